"""CAIT and manutentore paper: models of the documents with no printed model (FORMS.md §21).

The seed describes what these documents must say but gives no layout (§17, §18.1, §18.3, §19):
distinta-ricevuta cumulativa, lettera di trasmissione, ricevuta, rendiconto mensile CAIT and
trimestrale dell'Ente, pre-filled G/F, CAIT registry prints. They are designed as an Italian
public office issues its paper: letterhead, protocol-style number, place and date, "Oggetto:",
tables with totals, signature and stamp blocks.

Totals are never typed in. Every money or count total is recomputed from the rows
(:func:`riepilogo_rendiconto`, :func:`totale_ricevuta`…); a model that also carries a typed
total (``totale``, ``numero_allegati``…) is REJECTED when it disagrees with its rows, so a
document can never print a total its rows do not add up to. Money is ``Decimal`` (two places).

Pure functions only: no clock, no database (FORMS.md conventions).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Optional

from pydantic import AfterValidator, Field, create_model, field_validator, model_validator

from domain.codice import CodiceImpiantoStr
from domain.errors import RuleViolation
from domain.forms.allegato_f import AllegatoF, Bruciatore, DatiGeneratore, GeneratoreF
from domain.forms.allegato_g import AllegatoG, Breve, Consumo, Tecnico
from domain.forms.comuni import Modello
from domain.stagione import stagione_termica
from domain.tariffe import CENTESIMO

__all__ = [
    "Euro", "Ufficio", "Soggetto", "EnteDestinatario",
    "RigaDistinta", "DistintaRicevuta", "riepilogo_distinta",
    "RigaTrasmissione", "LetteraTrasmissione", "raggruppa_per_ente",
    "RigaRicevuta", "RicevutaCait", "totale_ricevuta",
    "RigaRendiconto", "RendicontoCait", "RendicontoEnte", "riepilogo_rendiconto",
    "ConsumoPrecompilato", "PrecompilatoG", "GeneratorePrecompilato", "PrecompilatoF",
    "precompila_g", "precompila_f", "stagioni_consumi",
    "RigaManutentore", "RigaOperatore", "RigaStrumento", "ElencoManutentori", "ElencoOperatori", "ElencoStrumenti",
    "mese", "trimestre",
]

ZERO = Decimal("0.00")


def _euro(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise ValueError("L'importo deve essere un numero non negativo (euro).")
    if value != value.quantize(CENTESIMO):
        raise ValueError("L'importo può avere al massimo due decimali (centesimi di euro).")
    return value.quantize(CENTESIMO)


Euro = Annotated[Decimal, AfterValidator(_euro)]
"""Euros with at most two decimals, never negative."""
Tipo = Literal["G", "F"]
Testo = Annotated[str, Field(min_length=1, max_length=200)]


def _fmt(value: Decimal) -> str:
    """``Decimal("1234.5")`` → ``1.234,50 €`` (for messages; templates use the ``euro`` filter)."""
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") + " €"


def _coerente(nome: str, scritto: Any, calcolato: Any) -> None:
    """A typed total must equal the one recomputed from the rows (otherwise the model is refused)."""
    if scritto is not None and scritto != calcolato:
        mostra = _fmt if isinstance(calcolato, Decimal) else str
        raise ValueError(f"Il totale «{nome}» indicato ({mostra(scritto)}) non corrisponde a quello calcolato "
                         f"dalle righe ({mostra(calcolato)}): i totali si calcolano dalle righe.")


# --------------------------------------------------------------------------- parties


class Ufficio(Modello):
    """Issuer in the letterhead: a CAIT (or the Ente's own sales desk)."""

    codice: Annotated[str, Field(max_length=32)] | None = None
    """CAIT id as registered (``CAIT-MN-01``)."""
    denominazione: Testo
    indirizzo: Breve | None = None
    comune: Breve | None = None
    partita_iva: Annotated[str, Field(pattern=r"^\d{11}$")] | None = None
    email: Breve | None = None


class Soggetto(Modello):
    """A ditta di manutenzione (or another counterpart) as printed on a document."""

    ragione_sociale: Testo
    partita_iva: Annotated[str, Field(pattern=r"^\d{11}$")] | None = None
    username: Breve | None = None
    indirizzo: Breve | None = None
    comune: Breve | None = None


class EnteDestinatario(Modello):
    """The competent Ente as addressee or issuer."""  # FORMS.md §0.7

    id: Annotated[str, Field(max_length=60)]
    denominazione: Testo
    indirizzo: Breve | None = None
    cap: Annotated[str, Field(pattern=r"^\d{5}$")] | None = None
    citta: Breve | None = None
    pec: Breve | None = None
    logo: Annotated[str, Field(pattern=r"^[a-z0-9-]+\.svg$")] | None = None


# --------------------------------------------------------------------------- distinta-ricevuta


class RigaDistinta(Modello):
    """One dichiarazione handed in (Disposizioni regionali, Allegato 1)."""  # FORMS.md §18.3 item 1

    codice_impianto: CodiceImpiantoStr
    responsabile: Breve | None = None
    indirizzo: Annotated[str, Field(max_length=200)] | None = None
    tipo: Tipo
    data_controllo: date
    numero_etichetta: Annotated[str, Field(max_length=40)] | None = None
    anomalie: Annotated[str, Field(max_length=500)] | None = None
    pregiudica_sicurezza: bool = False
    ente: Breve | None = None


class DistintaRicevuta(Modello):
    """Distinta-ricevuta cumulativa di consegna (copy for the manutentore and for the CAIT)."""

    numero: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,32}/\d{4}/\d{6}$")]
    """``<CAIT>/<anno>/<progressivo>``, unique per CAIT per year."""
    cait: Ufficio
    manutentore: Soggetto
    operatore: Testo
    emessa_il: datetime
    luogo: Breve
    righe: Annotated[list[RigaDistinta], Field(min_length=1, max_length=500)]
    numero_dichiarazioni: int | None = None
    """Optional typed count: refused when it differs from the rows."""

    @model_validator(mode="after")
    def _totali(self) -> DistintaRicevuta:
        _coerente("numero di dichiarazioni", self.numero_dichiarazioni, len(self.righe))
        visti = set()
        for r in self.righe:
            chiave = (r.codice_impianto, r.tipo, r.data_controllo)
            if chiave in visti:
                raise ValueError(f"La dichiarazione dell'impianto {r.codice_impianto} del "
                                 f"{r.data_controllo:%d/%m/%Y} compare due volte.")
            visti.add(chiave)
        return self


def riepilogo_distinta(righe: Sequence[RigaDistinta]) -> dict[str, Any]:
    """Totals printed under the list: per model, with anomalies, without etichetta, per Ente."""
    per_ente: dict[str, int] = defaultdict(int)
    for r in righe:
        per_ente[r.ente or "—"] += 1
    return {
        "totale": len(righe),
        "allegati_g": sum(r.tipo == "G" for r in righe),
        "allegati_f": sum(r.tipo == "F" for r in righe),
        "con_anomalie": sum(bool(r.anomalie) for r in righe),
        "sicurezza": sum(r.pregiudica_sicurezza for r in righe),
        "senza_etichetta": sum(not r.numero_etichetta for r in righe),
        "per_ente": sorted(per_ente.items()),
    }


# --------------------------------------------------------------------------- lettera di trasmissione


class RigaTrasmissione(Modello):
    """One attached rapporto: its responsabile and address (Disposizioni regionali, punto 10.3)."""

    codice_impianto: CodiceImpiantoStr
    responsabile: Breve
    indirizzo: Annotated[str, Field(max_length=200)]
    tipo: Tipo
    data_controllo: date
    numero_etichetta: Annotated[str, Field(max_length=40)] | None = None


class LetteraTrasmissione(Modello):
    """Lettera di trasmissione to the competent Ente, in duplicate (one copy comes back stamped)."""

    protocollo: Annotated[str, Field(min_length=1, max_length=80)]
    data: date
    luogo: Breve
    mittente: Soggetto
    """The manutentore transmitting its dichiarazioni."""
    tramite: Ufficio | None = None
    """The CAIT desk that collected them, when any."""
    ente: EnteDestinatario
    distinta: Annotated[str, Field(max_length=60)] | None = None
    righe: Annotated[list[RigaTrasmissione], Field(min_length=1, max_length=500)]
    numero_allegati: int | None = None
    """Optional typed count of attached rapporti: refused when it differs from the rows."""

    @model_validator(mode="after")
    def _totali(self) -> LetteraTrasmissione:
        _coerente("numero di rapporti allegati", self.numero_allegati, len(self.righe))
        return self


def raggruppa_per_ente(righe: Iterable[Any], ente_di: Any = lambda r: r["ente_id"]) -> dict[str, list[Any]]:
    """Rows by competent Ente, in first-seen Ente order: one lettera di trasmissione per Ente."""
    gruppi: dict[str, list[Any]] = {}
    for r in righe:
        gruppi.setdefault(ente_di(r), []).append(r)
    return gruppi


# --------------------------------------------------------------------------- ricevuta


class RigaRicevuta(Modello):
    """One etichetta sold (Ente quota + contributo regionale), or the Portafoglio top-up."""

    descrizione: Testo
    numero_etichetta: Annotated[str, Field(max_length=40)] | None = None
    tipo: Tipo | None = None
    fascia: Annotated[str, Field(pattern=r"^F[1-5]$")] | None = None
    fascia_descrizione: Breve | None = None
    ente: Breve | None = None
    quota_ente: Euro = ZERO
    contributo_regionale: Euro = ZERO
    importo: Euro | None = None
    """Row total; for an etichetta it is quota + contributo (typed values must agree)."""

    @model_validator(mode="after")
    def _importo(self) -> RigaRicevuta:
        if self.numero_etichetta:
            _coerente("importo della riga", self.importo, self.quota_ente + self.contributo_regionale)
            self.importo = self.quota_ente + self.contributo_regionale
        elif self.importo is None or self.importo <= 0:
            raise ValueError("Indicare l'importo della ricarica.")
        return self


class RicevutaCait(Modello):
    """Ricevuta of the CAIT desk (Disposizioni regionali, punti 10.5 e 17)."""

    numero: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,32}/RIC/\d{4}/\d{6}$")]
    cait: Ufficio
    intestatario: Soggetto
    emessa_il: datetime
    luogo: Breve
    operatore: Testo
    causale: Literal["etichette", "ricarica"]
    pagamento: Literal["contanti", "POS", "bonifico", "portafoglio"]
    righe: Annotated[list[RigaRicevuta], Field(min_length=1, max_length=500)]
    totale: Euro | None = None
    """Optional typed total: refused when it differs from the sum of the rows."""
    saldo_portafoglio: Decimal | None = None
    """Balance after the operation (printed on Portafoglio receipts)."""

    @model_validator(mode="after")
    def _coerenza(self) -> RicevutaCait:
        etichette = [r for r in self.righe if r.numero_etichetta]
        if self.causale == "etichette" and len(etichette) != len(self.righe):
            raise ValueError("Una ricevuta di vendita elenca solo etichette (numero, tipo, fascia).")
        if self.causale == "ricarica" and (etichette or len(self.righe) != 1):
            raise ValueError("Una ricevuta di ricarica del Portafoglio ha una sola riga, senza etichette.")
        if self.causale == "ricarica" and self.pagamento == "portafoglio":
            raise ValueError("Una ricarica non si paga con il Portafoglio stesso.")
        _coerente("totale", self.totale, totale_ricevuta(self.righe)["totale"])
        return self


def totale_ricevuta(righe: Sequence[RigaRicevuta]) -> dict[str, Decimal]:
    """Sums of a ricevuta: Ente quotas, contributo regionale, total (the single payment, S1 L1663)."""
    quota = sum((r.quota_ente for r in righe), ZERO)
    regionale = sum((r.contributo_regionale for r in righe), ZERO)
    return {"quota_ente": quota, "contributo_regionale": regionale,
            "totale": sum(((r.importo or ZERO) for r in righe), ZERO)}


# --------------------------------------------------------------------------- rendiconti


class RigaRendiconto(Modello):
    """One etichetta sold in the period (from the ricevute)."""

    ricevuta: Annotated[str, Field(max_length=60)]
    data: date
    numero_etichetta: Annotated[str, Field(max_length=40)]
    ente_id: Annotated[str, Field(max_length=60)]
    ente: Breve
    tipo: Tipo
    fascia: Annotated[str, Field(pattern=r"^F[1-5]$")]
    fascia_descrizione: Breve
    quota_ente: Euro
    contributo_regionale: Euro


class _Rendiconto(Modello):
    emittente: Ufficio
    periodo_dal: date
    periodo_al: date
    emesso_il: date
    luogo: Breve
    protocollo: Annotated[str, Field(max_length=80)]
    righe: Annotated[list[RigaRendiconto], Field(max_length=100_000)] = Field(default_factory=list)
    totale_quote_enti: Euro | None = None
    totale_contributo_regionale: Euro | None = None
    """Optional typed totals: refused when they differ from the sum of the rows."""

    @model_validator(mode="after")
    def _periodo_e_totali(self) -> _Rendiconto:
        if self.periodo_al < self.periodo_dal:
            raise ValueError("La fine del periodo precede l'inizio.")
        fuori = [r for r in self.righe if not self.periodo_dal <= r.data <= self.periodo_al]
        if fuori:
            raise ValueError(f"La ricevuta {fuori[0].ricevuta} del {fuori[0].data:%d/%m/%Y} è fuori dal periodo.")
        numeri = [r.numero_etichetta for r in self.righe]
        if len(set(numeri)) != len(numeri):
            raise ValueError("Un'etichetta compare due volte nel rendiconto.")
        r = riepilogo_rendiconto(self.righe)
        _coerente("quote degli Enti", self.totale_quote_enti, r["quota_ente"])
        _coerente("contributo regionale", self.totale_contributo_regionale, r["contributo_regionale"])
        return self


class RendicontoCait(_Rendiconto):
    """Rendiconto mensile CAIT: etichette sold in one calendar month (Disposizioni regionali, punto 16)."""

    @model_validator(mode="after")
    def _un_mese(self) -> RendicontoCait:
        if (self.periodo_dal, self.periodo_al) != mese(f"{self.periodo_dal:%Y-%m}"):
            raise ValueError("Il rendiconto del CAIT è mensile: il periodo va dal primo all'ultimo giorno del mese.")
        return self


class RendicontoEnte(_Rendiconto):
    """Quarterly statement of an Ente selling etichette itself (Disposizioni regionali, punto 16)."""

    ente: EnteDestinatario

    @model_validator(mode="after")
    def _un_trimestre(self) -> RendicontoEnte:
        q = (self.periodo_dal.month - 1) // 3 + 1
        if (self.periodo_dal, self.periodo_al) != trimestre(f"{self.periodo_dal.year}-{q}"):
            raise ValueError("Il rendiconto dell'Ente è trimestrale: il periodo è un trimestre solare.")
        if any(r.ente_id != self.ente.id for r in self.righe):
            raise ValueError("Il rendiconto dell'Ente elenca solo le sue etichette.")
        return self


def riepilogo_rendiconto(righe: Sequence[RigaRendiconto]) -> dict[str, Any]:
    """Totals by Ente and band, recomputed from the rows: what goes to each Ente, what to Punti Energia."""
    enti: dict[str, dict[str, Any]] = {}
    for r in sorted(righe, key=lambda r: (r.ente, r.fascia, r.numero_etichetta)):
        e = enti.setdefault(r.ente_id, {"ente_id": r.ente_id, "ente": r.ente, "fasce": {}, "numeri": [],
                                        "quantita": 0, "quota_ente": ZERO, "contributo_regionale": ZERO})
        f = e["fasce"].setdefault(r.fascia, {"fascia": r.fascia, "descrizione": r.fascia_descrizione, "tipo": r.tipo,
                                             "quantita": 0, "quota_ente": ZERO, "contributo_regionale": ZERO})
        for tot in (e, f):
            tot["quantita"] += 1
            tot["quota_ente"] += r.quota_ente
            tot["contributo_regionale"] += r.contributo_regionale
        e["numeri"].append(r.numero_etichetta)
    per_ente = [{**e, "fasce": [e["fasce"][k] for k in sorted(e["fasce"])],
                 "totale": e["quota_ente"] + e["contributo_regionale"]} for e in enti.values()]
    quota = sum((r.quota_ente for r in righe), ZERO)
    regionale = sum((r.contributo_regionale for r in righe), ZERO)
    return {"per_ente": per_ente, "quantita": len(righe), "quota_ente": quota, "contributo_regionale": regionale,
            "totale": quota + regionale, "ricevute": len({r.ricevuta for r in righe})}


def mese(testo: str) -> tuple[date, date]:
    """``"2026-10"`` → (1 Oct 2026, 31 Oct 2026)."""
    try:
        anno, m = (int(p) for p in testo.strip().split("-"))
        inizio = date(anno, m, 1)
    except (ValueError, AttributeError):
        raise RuleViolation("Mese non valido: scrivere aaaa-mm, ad esempio 2026-10.", path=("mese",)) from None
    fine = date(anno + (m == 12), m % 12 + 1, 1).toordinal() - 1
    return inizio, date.fromordinal(fine)


def trimestre(testo: str) -> tuple[date, date]:
    """``"2026-4"`` or ``"2026-T4"`` → (1 Oct 2026, 31 Dec 2026)."""
    try:
        anno, q = testo.strip().upper().replace("T", "").split("-")
        anno_i, q_i = int(anno), int(q)
        if not 1 <= q_i <= 4:
            raise ValueError
    except (ValueError, AttributeError):
        raise RuleViolation("Trimestre non valido: scrivere aaaa-T, ad esempio 2026-4 (ottobre-dicembre).",
                            path=("trimestre",)) from None
    inizio, _ = mese(f"{anno_i}-{3 * q_i - 2}")
    _, fine = mese(f"{anno_i}-{3 * q_i}")
    return inizio, fine


# --------------------------------------------------------------------------- pre-filled G / F


class ConsumoPrecompilato(Modello):
    """A consumi row: the season is printed, the value only when the catasto knows it."""

    modello_completo: ClassVar[type[Modello]] = Consumo

    stagione: Annotated[str, Field(pattern=r"^\d{4}/\d{2}$")]
    valore: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)] | None = None
    unita: Literal["m3", "kg"] | None = None


_OBBLIGATORI = frozenset({"comune", "provincia_sigla", "indirizzo", "codice_catasto"})
"""Known for every catasto record: they stay required in the pre-filled models."""


def _campi_del_modulo(modulo: type[Modello], chiavi: Iterable[str]) -> dict[str, Any]:
    """Fields ``chiavi`` of a form model with the same types and constraints, optional (None =
    blank on paper) except those of :data:`_OBBLIGATORI`; lists keep their empty default."""
    campi: dict[str, Any] = {}
    for k in chiavi:
        info = modulo.model_fields[k]
        tipo = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        if k in _OBBLIGATORI:
            campi[k] = (tipo, ...)
        elif info.default_factory is not None:
            campi[k] = (tipo, Field(default_factory=info.default_factory))
        else:
            campi[k] = (Optional[tipo], None)
    return campi


_CONTROLLO = ("comune", "provincia_sigla", "indirizzo", "cap", "responsabile_nome", "responsabile_tel",
              "responsabile_indirizzo", "responsabile_qualita", "proprietario_nome", "proprietario_tel",
              "proprietario_indirizzo", "codice_catasto", "volumetria_m3")
"""Keys F and G share (``allegato_g.Controllo``) that the catasto or the last dichiarazione know."""
_IMPIANTO_G = ("civico", "piano", "interno", "costruttore", "modello", "matricola", "pot_utile_kw", "pot_focolare_kw",
               "anno_costruzione", "data_installazione", "marcatura_efficienza", "uso", "tipo_caldaia", "combustibile",
               "altro_testo", "tiraggio_tipo", "locale", "interno_testo")
_IMPIANTO_F = ("destinazione", "combustibile", "altro_testo")


class _Precompilato(Modello):
    """Keys of Allegato G/F §7–§8 known before the visit; everything measured is absent (blank)."""

    data_controllo: date | None = None
    consumi: Annotated[list[ConsumoPrecompilato], Field(max_length=2)] = Field(default_factory=list)
    tecnico: Tecnico = Field(default_factory=Tecnico)
    cait: Ufficio | None = None
    """The CAIT that prints the precompilato for the manutentore (and signs it); not printed on the form."""


class _BaseG(_Precompilato):
    modello_completo: ClassVar[type[Modello]] = AllegatoG
    """The template reads a precompilato as an ``AllegatoG``: the fields it lacks print blank."""

    @field_validator("pot_focolare_kw", check_fields=False)
    @classmethod
    def _sotto_35(cls, v: Decimal | None) -> Decimal | None:
        if v is not None and v >= Decimal(35):
            raise ValueError("L'Allegato G è per impianti sotto i 35 kW al focolare: precompilare l'Allegato F.")
        return v


PrecompilatoG = create_model(
    "PrecompilatoG", __base__=_BaseG, __module__=__name__,
    **_campi_del_modulo(AllegatoG, _CONTROLLO + _IMPIANTO_G))
PrecompilatoG.__doc__ = "Allegato G with the impianto part filled in from the catasto (sections B–H left blank)."


class GeneratorePrecompilato(Modello):
    """Section D of one F generator sheet (the checks E, F and notes stay blank)."""

    generatore: DatiGeneratore
    bruciatore: Bruciatore = Field(default_factory=Bruciatore)
    data_installazione: date | None = None

    modello_completo: ClassVar[type[Modello]] = GeneratoreF
    """The template reads this sheet as a ``GeneratoreF``: its other fields print blank."""


class _BaseF(_Precompilato):
    modello_completo: ClassVar[type[Modello]] = AllegatoF
    generatori: Annotated[list[GeneratorePrecompilato], Field(min_length=1, max_length=30)]


PrecompilatoF = create_model(
    "PrecompilatoF", __base__=_BaseF, __module__=__name__,
    **_campi_del_modulo(AllegatoF, _CONTROLLO + _IMPIANTO_F))
PrecompilatoF.__doc__ = "Allegato F with Foglio 1 A and the generator data filled in (B, C, E, F left blank)."


def stagioni_consumi(data_controllo: date) -> list[str]:
    """The two heating seasons before the check, as the forms print them (``2024/25``, ``2025/26``)."""
    s = stagione_termica(data_controllo).start_year
    return [f"{a}/{(a + 1) % 100:02d}" for a in (s - 2, s - 1)]


_IDENTIFICAZIONE_G = ("costruttore", "modello", "matricola", "pot_utile_kw", "anno_costruzione", "data_installazione",
                      "marcatura_efficienza", "uso", "tipo_caldaia", "combustibile", "altro_testo", "tiraggio_tipo",
                      "locale", "interno_testo")
_DAL_PRECEDENTE = ("volumetria_m3", "responsabile_qualita", "proprietario_nome", "proprietario_tel",
                   "proprietario_indirizzo", "responsabile_tel")


def _base(impianto: dict[str, Any], precedente: dict[str, Any], oggi: date, tecnico: dict[str, Any] | None,
          data_controllo: date | None) -> dict[str, Any]:
    responsabile = impianto.get("responsabile_cognome_nome") or impianto.get("responsabile_ragione_sociale")
    indirizzo_resp = ", ".join(p for p in (impianto.get("responsabile_indirizzo"), impianto.get("responsabile_comune"))
                               if p) or None
    out: dict[str, Any] = {k: precedente[k] for k in _DAL_PRECEDENTE if precedente.get(k) is not None}
    noti = {c["stagione"]: c for c in precedente.get("consumi") or [] if isinstance(c, dict)}
    consumi = []
    for stagione in stagioni_consumi(data_controllo or oggi):
        c = noti.get(stagione) or noti.get(f"{stagione[:5]}{stagione[:2]}{stagione[5:]}")
        consumi.append({"stagione": stagione, "valore": c.get("valore") if c else None,
                        "unita": c.get("unita") if c else None})
    out.update({
        "data_controllo": data_controllo, "comune": impianto["comune"], "provincia_sigla": impianto["provincia"],
        "indirizzo": impianto["indirizzo"], "cap": impianto.get("cap"), "codice_catasto": impianto["codice_impianto"],
        "responsabile_nome": responsabile or precedente.get("responsabile_nome"),
        "responsabile_indirizzo": indirizzo_resp or precedente.get("responsabile_indirizzo"),
        "consumi": consumi, "tecnico": {k: v for k, v in (tecnico or {}).items() if v},
    })
    if impianto.get("responsabile_telefono"):
        out["responsabile_tel"] = impianto["responsabile_telefono"]
    return out


def precompila_g(impianto: dict[str, Any], precedente: dict[str, Any] | None = None, *, oggi: date,
                 data_controllo: date | None = None, tecnico: dict[str, Any] | None = None) -> dict[str, Any]:
    """Allegato G data from the catasto record (``impianti`` columns) and the last keyed-in G
    (generator, volumetria, proprietario, consumi), measurement parts absent (blank on paper)."""
    precedente = precedente or {}
    out = _base(impianto, precedente, oggi, tecnico, data_controllo)
    out.update({"civico": impianto.get("civico"), "piano": impianto.get("piano"), "interno": impianto.get("interno")})
    out.update({k: precedente[k] for k in _IDENTIFICAZIONE_G if precedente.get(k) not in (None, [])})
    potenza = impianto.get("potenza_focolare_totale_kw") or precedente.get("pot_focolare_kw")
    out["pot_focolare_kw"] = potenza
    return PrecompilatoG.model_validate(out).model_dump(mode="json", exclude_none=False)


def precompila_f(impianto: dict[str, Any], precedente: dict[str, Any] | None = None, *, oggi: date,
                 data_controllo: date | None = None, tecnico: dict[str, Any] | None = None) -> dict[str, Any]:
    """Allegato F data: Foglio 1 part A and, per generator of the last keyed-in F, section D."""
    precedente = precedente or {}
    out = _base(impianto, precedente, oggi, tecnico, data_controllo)
    out["indirizzo"] = " ".join(p for p in (impianto["indirizzo"], impianto.get("civico")) if p)
    for k in ("destinazione", "combustibile", "altro_testo"):
        if precedente.get(k) not in (None, []):
            out[k] = precedente[k]
    generatori = [{"generatore": g["generatore"], "bruciatore": g.get("bruciatore") or {},
                   "data_installazione": g.get("data_installazione")}
                  for g in precedente.get("generatori") or [] if isinstance(g, dict) and g.get("generatore")]
    if not generatori:
        potenza = impianto.get("potenza_focolare_totale_kw")
        if potenza is None:
            raise RuleViolation(f"Impianto {impianto['codice_impianto']}: potenza al focolare e generatori "
                                "sconosciuti, impossibile precompilare l'Allegato F.", path=("codice_impianto",))
        generatori = [{"generatore": {"pot_focolare_kw": potenza}}]
    out["generatori"] = generatori
    return PrecompilatoF.model_validate(out).model_dump(mode="json", exclude_none=False)


# --------------------------------------------------------------------------- registry prints (S2)


class RigaManutentore(Modello):
    ragione_sociale: Testo
    partita_iva: str
    username: Breve
    email: Breve | None = None
    indirizzo: Breve | None = None
    comune: Breve | None = None
    registrato_il: date


class RigaOperatore(Modello):
    cognome_nome: Testo
    username: Breve
    attivo: bool


class RigaStrumento(Modello):
    """Instrument key: marca, modello, matricola."""  # AMB-55

    marca: Breve
    modello: Breve
    matricola: Breve
    manutentore: Breve | None = None


class _Elenco(Modello):
    cait: Ufficio
    data: date
    luogo: Breve


class ElencoManutentori(_Elenco):
    """"Gestisci i Manutentori associati al tuo CAIT" as a print."""  # S2 L10–16

    righe: list[RigaManutentore] = Field(default_factory=list)


class ElencoOperatori(_Elenco):
    righe: list[RigaOperatore] = Field(default_factory=list)


class ElencoStrumenti(_Elenco):
    righe: list[RigaStrumento] = Field(default_factory=list)
