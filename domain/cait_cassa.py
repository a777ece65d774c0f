"""Money documents of the CAIT paper: the ricevuta of the desk (etichette sold, Portafoglio top-up;
Disposizioni regionali, punti 10.5 e 17) and the rendiconti built from the ricevute, mensile of a CAIT
and trimestrale of an Ente selling etichette itself (punto 16), with the periods they cover
(:func:`mese`, :func:`trimestre`).

Every sum is recomputed from the rows (:func:`totale_ricevuta`, :func:`riepilogo_rendiconto`); a typed
total that disagrees is REJECTED (:func:`domain.cait.coerente`). Money is ``Decimal`` (two places).
Pure functions only: no clock, no database (FORMS.md conventions).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from domain.cait import EnteDestinatario, Euro, Soggetto, Testo, Tipo, Ufficio, coerente
from domain.errors import RuleViolation
from domain.forms.comuni import Modello
from domain.forms.rapporto_controllo import Breve

__all__ = ["RigaRicevuta", "RicevutaCait", "totale_ricevuta", "RigaRendiconto", "RendicontoCait", "RendicontoEnte",
           "riepilogo_rendiconto", "mese", "trimestre"]

ZERO = Decimal("0.00")


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
            coerente("importo della riga", self.importo, self.quota_ente + self.contributo_regionale)
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
        coerente("totale", self.totale, totale_ricevuta(self.righe)["totale"])
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
        coerente("quote degli Enti", self.totale_quote_enti, r["quota_ente"])
        coerente("contributo regionale", self.totale_contributo_regionale, r["contributo_regionale"])
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
