"""Avviso di ispezione and lettere di esito: models and the rules that fill them (FORMS.md §20).

No printed model exists for these letters (FORMS.md §20–21): they are designed as an Italian
Ente issues its correspondence (letterhead, protocol, addressee window, "Oggetto:", body,
signature of the responsible officer) and carry what the seed requires:

* **Avviso di ispezione** (§20.1, S1 L1288–1295, L1336–1338): appointment date and time, the
  ispettore, the presence of the responsabile or a delegato (UNI 10389 4.1.2.b), the documents
  to keep ready (libretto di impianto + libretto d'uso e manutenzione under 35 kW; libretto di
  centrale + libretti of generators and burners from 35 kW; for olio combustibile the
  autocertificazioni and chemist's analyses of the last two years) and, for liquid fuels, the
  request to have a pressure gauge fitted on the burner (S1 L2300–2302).
* **Lettere di esito** (§20.2, S1 L1304–1306, L1076–1090): one letter to the responsabile with
  the esito per generator, the failed points and the non-conformity codes, a peremptory deadline
  when irregularities must be removed (*diffida*), and the §7.1 obligations (FORMS.md §1.8); plus
  one letter to each other competent body linked to the anomalies found ("n enti interessati").
  The link anomaly → body comes from the configurable table "Gestione tipologia Enti competenti
  per anomalie" (S1 L1438–1439); :data:`ENTI_PER_ANOMALIA` is the project's default table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.codice import CodiceImpiantoStr, comune_discorde
from domain.identificativi import valida_cap
from domain.non_conformita import non_conformita

__all__ = [
    "Destinatario",
    "CombustibileAvviso",
    "AvvisoIspezione",
    "documenti_da_preparare",
    "serve_manometro",
    "variante_avviso",
    "EsitoGeneratore",
    "Anomalia",
    "RiepilogoIspezione",
    "TipoLettera",
    "LetteraEsito",
    "EnteTerzo",
    "ENTI_PER_ANOMALIA",
    "ENTI_TERZI",
    "TERMINE_DIFFIDA_GIORNI",
    "lettere_esito",
    "riepilogo_da_rapporto",
    "obblighi_post_ispezione",
    "limite_rendimento_stagionale",
    "MAX_ANOMALIE_STAMPATE",
    "MAX_OBBLIGHI_STAMPATI",
    "esempio_avviso",
    "esempio_riepilogo",
]

SOGLIA_KW = Decimal("35")
COMBUSTIBILI_LIQUIDI = frozenset({"Gasolio", "Olio combustibile", "Kerosene"})
TERMINE_DIFFIDA_GIORNI = 60
"""Days of the "termine perentorio" of a diffida. The seed leaves it to the Ente (S1 L1083–1085);
60 days is the project default, overridable per job."""
MAX_ANOMALIE_STAMPATE = 6
"""Anomaly rows a letter has room for on its single page; more → full layout (several pages)."""
MAX_OBBLIGHI_STAMPATI = 4


def _testo(max_length: int, **kw: Any) -> Any:
    return Field(min_length=1, max_length=max_length, **kw)


class Destinatario(BaseModel):
    """Addressee window of a letter (responsabile, or another competent body)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    nominativo: str = _testo(80)
    presso: str | None = Field(default=None, max_length=80)
    """Second line ("c/o Studio Rossi amministrazioni", "Ufficio protocollo")."""
    indirizzo: str | None = Field(default=None, max_length=80)
    """Street and civico; None for a body reached by PEC only."""
    cap: str | None = None
    comune: str | None = Field(default=None, max_length=60)
    provincia: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    pec: str | None = Field(default=None, max_length=80)

    @field_validator("cap")
    @classmethod
    def _cap(cls, v: str | None) -> str | None:
        return valida_cap(v) if v is not None else None

    @property
    def riga_localita(self) -> str:
        parti = [p for p in (self.cap, self.comune) if p]
        return " ".join(parti) + (f" ({self.provincia})" if self.provincia else "")


CombustibileAvviso = Literal["Gas naturale", "GPL", "Gasolio", "Olio combustibile", "Kerosene", "Biomassa", "Altro"]


class AvvisoIspezione(BaseModel):
    """One row of the inspection plan, as printed on the avviso."""  # FORMS.md §20.1

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    ente_id: str | None = Field(default=None, max_length=60)
    """Issuing Ente; None → the competent Ente of the impianto's comune (§0.7)."""
    protocollo: str = _testo(30)
    data_avviso: date
    codice_impianto: CodiceImpiantoStr
    impianto_indirizzo: str = _testo(80)
    impianto_comune: str = _testo(60)
    responsabile: Destinatario
    data_ispezione: date
    ora_ispezione: time
    ispettore: str = _testo(60)
    potenza_kw: Decimal = Field(gt=0, le=100_000)
    """Potenza termica al focolare complessiva (drives the documents to prepare)."""
    combustibile: CombustibileAvviso
    recapito: str = _testo(80)
    """Office to call to move or cancel the appointment (phone, e-mail)."""
    funzionario: str = _testo(60)
    """Officer signing for the Ente."""

    @field_validator("impianto_comune")
    @classmethod
    def _comune_del_codice(cls, v: str, info: Any) -> str:
        errore = comune_discorde(info.data.get("codice_impianto"), v, campo_codice="codice impianto")
        if errore is not None:
            raise ValueError(errore.message)
        return v

    @field_validator("data_ispezione")
    @classmethod
    def _dopo_avviso(cls, v: date, info: Any) -> date:
        avviso = info.data.get("data_avviso")
        if avviso is not None and v <= avviso:
            raise ValueError("La data dell'ispezione deve seguire la data dell'avviso.")
        return v


def documenti_da_preparare(potenza_kw: Decimal, combustibile: str) -> tuple[str, ...]:
    """Documents the responsabile keeps ready (FORMS.md §20.1, from the A/B manuals)."""
    if potenza_kw < SOGLIA_KW:
        docs = ["il libretto di impianto", "il libretto d'uso e manutenzione del generatore"]
    else:
        docs = ["il libretto di centrale", "i libretti d'uso e manutenzione dei generatori e dei bruciatori"]
    docs.append("l'ultimo rapporto di controllo tecnico (Allegato G o F) e la relativa dichiarazione")
    if combustibile == "Olio combustibile":
        docs.append("le autocertificazioni e le analisi del combustibile degli ultimi due anni "
                    "firmate da un chimico iscritto all'albo")
    return tuple(docs)


def serve_manometro(combustibile: str) -> bool:
    """Liquid fuels: the responsabile must have a pressure gauge fitted on the burner (S1 L2300–2302)."""
    return combustibile in COMBUSTIBILI_LIQUIDI


def variante_avviso(a: AvvisoIspezione) -> str:
    """Layout variant: the static text differs by power class and fuel family only."""
    classe = "ge35" if a.potenza_kw >= SOGLIA_KW else "lt35"
    fuel = "olio" if a.combustibile == "Olio combustibile" else "liquido" if serve_manometro(a.combustibile) else "altro"
    return f"{classe}-{fuel}"


# --- lettere di esito -------------------------------------------------------------------------

class EsitoGeneratore(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    numero: int = Field(ge=1, le=99)
    esito: Literal["9.a", "9.b", "BARRATO"]
    punti_non_conformi: tuple[str, ...] = ()
    rendimento_sufficiente: bool | None = None
    data_installazione: date | None = None
    potenza_utile_kw: Decimal | None = None


class Anomalia(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    codice: str
    testo: str


class RiepilogoIspezione(BaseModel):
    """What the letters need from one rapporto di prova (A or B)."""

    model_config = ConfigDict(extra="forbid")

    allegato: Literal["A", "B"]
    codice_impianto: CodiceImpiantoStr
    impianto_indirizzo: str = _testo(80)
    impianto_comune: str = _testo(60)
    data_ispezione: date
    numero_ispezione: str = _testo(40)
    ispettore: str = _testo(80)
    combustibile: str = _testo(40)
    responsabile: Destinatario
    generatori: list[EsitoGeneratore] = Field(min_length=1, max_length=20)
    codici_nc: list[str] = Field(default_factory=list)

    @field_validator("impianto_comune")
    @classmethod
    def _comune_del_codice(cls, v: str, info: Any) -> str:
        errore = comune_discorde(info.data.get("codice_impianto"), v, campo_codice="codice impianto")
        if errore is not None:
            raise ValueError(errore.message)
        return v

    @property
    def anomalie(self) -> list[Anomalia]:
        return [Anomalia(codice=c, testo=non_conformita(c, self.allegato).testo) for c in self.codici_nc]

    @property
    def negativo(self) -> bool:
        return any(g.esito == "9.b" for g in self.generatori)


TipoLettera = Literal["esito-positivo", "diffida", "ente-competente"]


class LetteraEsito(BaseModel):
    """One letter of the esito batch, to the responsabile or to another competent body."""

    model_config = ConfigDict(extra="forbid")

    tipo: TipoLettera
    ente_id: str | None = None
    protocollo: str = _testo(30)
    data_lettera: date
    destinatario: Destinatario
    riepilogo: RiepilogoIspezione
    anomalie: list[Anomalia] = Field(default_factory=list)
    """For ``ente-competente``: only the anomalies linked to that body."""
    obblighi: list[str] = Field(default_factory=list)
    termine: date | None = None
    """Peremptory deadline of a diffida."""
    funzionario: str = _testo(60)


@dataclass(frozen=True)
class EnteTerzo:
    """A kind of body competent for some anomalies (S1 L1438–1439, configurable)."""

    codice: str
    denominazione: str
    """``{provincia}`` / ``{comune}`` are replaced by those of the impianto."""
    motivo: str
    """Why it is informed (printed in the letter)."""


ENTI_TERZI: dict[str, EnteTerzo] = {e.codice: e for e in (
    EnteTerzo("vvf", "Comando Provinciale dei Vigili del Fuoco di {provincia}",
              "per gli aspetti di prevenzione incendi della centrale termica"),
    EnteTerzo("ats", "Agenzia di Tutela della Salute competente per il Comune di {comune}",
              "per i rischi di rigurgito di prodotti della combustione negli ambienti abitati"),
    EnteTerzo("comune", "Comune di {comune} - Ufficio tecnico",
              "per gli aspetti edilizi di camini, canne fumarie e scarichi a parete"),
    EnteTerzo("gas", "Distributore del gas della rete di {comune}",
              "per la sicurezza della linea di adduzione del gas"),
)}

ENTI_PER_ANOMALIA: dict[str, tuple[str, ...]] = {
    **{c: ("ats",) for c in ("A1", "A2", "A3", "A4", "A7", "A8", "A9", "C11", "C12")},
    **{c: ("comune",) for c in ("A10", "A11", "A12", "A13", "A14", "A18")},
    **{c: ("gas",) for c in ("A15", "A16", "A17")},
    "A5": ("vvf",), "A6": ("ats",),
    **{c: ("vvf",) for c in ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "C13")},
}
"""Project default of "Gestione tipologia Enti competenti per anomalie": code → bodies informed.
C14 (fluid leaks) stays with the Ente; an Ente configures its own table (``CURIT_BATCH_ENTI_ANOMALIE_FILE``)."""


def limite_rendimento_stagionale(potenza_utile_kw: Decimal) -> Decimal:
    """65 + 3 log Pn (Pn in kW), one decimal half-up (S1 L475–491, FORMS.md §1.8)."""
    valore = Decimal(65) + Decimal(3) * Decimal(str(math.log10(float(potenza_utile_kw))))
    return valore.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _data(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def obblighi_post_ispezione(r: RiepilogoIspezione, termine: date | None) -> list[str]:
    """Obligations the letter to the responsabile must recall (FORMS.md §1.8, §20.2)."""
    out: list[str] = []
    if any(g.rendimento_sufficiente is False for g in r.generatori):
        out.append(
            "Rendimento di combustione insufficiente: inviare all'Ente copia di un rapporto di controllo tecnico, "
            "redatto dopo l'ispezione da un soggetto abilitato, che attesti il rientro nei limiti; in mancanza il "
            f"generatore va sostituito entro 180 giorni dall'ispezione, cioè entro il {_data(r.data_ispezione + timedelta(days=180))}.")
    vecchi = [g for g in r.generatori if g.data_installazione is not None
              and _anni(g.data_installazione, r.data_ispezione) > 15]
    for g in vecchi:
        limite = (f" (per {g.potenza_utile_kw} kW: {str(limite_rendimento_stagionale(g.potenza_utile_kw)).replace('.', ',')} %)"
                  if g.potenza_utile_kw else "")
        out.append(
            f"Generatore {g.numero} con più di quindici anni: entro il {_data(r.data_ispezione + timedelta(days=30))} "
            "presentare la relazione di un tecnico abilitato che dimostri un rendimento globale medio stagionale "
            f"superiore a 65 + 3 log Pn{limite}.")
    if r.codici_nc and termine is not None:
        out.append(f"Eliminare le non conformità elencate entro il termine perentorio del {_data(termine)}, "
                   "dandone comunicazione all'Ente; il mancato adempimento comporta l'avvio della procedura "
                   "sanzionatoria.")
    if r.combustibile == "Olio combustibile":
        out.append("L'impiego di olio combustibile è soggetto alle limitazioni regionali sull'uso dei combustibili "
                   "(art. 30 c. 5 L.R. 24/06): verificarne l'ammissibilità per l'impianto.")
    return out


def _anni(dal: date, al: date) -> int:
    return al.year - dal.year - ((al.month, al.day) < (dal.month, dal.day))


def lettere_esito(
    r: RiepilogoIspezione, *, protocollo: str, data_lettera: date, funzionario: str, ente_id: str | None = None,
    termine_giorni: int = TERMINE_DIFFIDA_GIORNI, mappa: dict[str, tuple[str, ...]] | None = None,
    enti_terzi: dict[str, EnteTerzo] | None = None, provincia: str = "",
) -> list[LetteraEsito]:
    """The letters of one rapporto: the responsabile's, then one per other competent body.

    A letter is a *diffida* when the esito is 9.b or non-conformities were found; otherwise an
    *esito positivo*. Bodies are listed in the order of their first anomaly; protocol numbers of
    the further letters get the suffix ``/1``, ``/2``…
    """
    mappa = ENTI_PER_ANOMALIA if mappa is None else mappa
    enti_terzi = ENTI_TERZI if enti_terzi is None else enti_terzi
    diffida = r.negativo or bool(r.codici_nc)
    termine = data_lettera + timedelta(days=termine_giorni) if diffida else None
    comuni = dict(ente_id=ente_id, data_lettera=data_lettera, riepilogo=r, funzionario=funzionario)
    lettere = [LetteraEsito(tipo="diffida" if diffida else "esito-positivo", protocollo=protocollo,
                            destinatario=r.responsabile, anomalie=r.anomalie,
                            obblighi=obblighi_post_ispezione(r, termine), termine=termine, **comuni)]
    per_ente: dict[str, list[Anomalia]] = {}
    for anomalia in r.anomalie:
        for codice_ente in mappa.get(anomalia.codice, ()):
            per_ente.setdefault(codice_ente, []).append(anomalia)
    for k, (codice_ente, anomalie) in enumerate(per_ente.items(), start=1):
        terzo = enti_terzi[codice_ente]
        nome = terzo.denominazione.format(provincia=provincia or r.impianto_comune, comune=r.impianto_comune)
        lettere.append(LetteraEsito(
            tipo="ente-competente", protocollo=f"{protocollo}/{k}", anomalie=anomalie,
            destinatario=Destinatario(nominativo=nome[:80], presso="Ufficio protocollo"),
            obblighi=[f"Comunicazione {terzo.motivo}, ai sensi delle Disposizioni regionali (D.G.R. 18/09/2007, punto 14)."],
            **comuni))
    return lettere


_RUOLI = {"Occupante": "occupante", "Proprietario/i": "proprietario", "Amministratore": "amministratore",
          "Terzo responsabile (manutentore)": "terzo_resp_manutentore"}


def _valore(v: Any) -> Any:
    return None if v in (None, "", "BARRATO") else v


def riepilogo_da_rapporto(allegato: Literal["A", "B"], rapporto: Any, destinatario: Destinatario | None = None
                          ) -> RiepilogoIspezione:
    """A validated Allegato A or B (``domain.forms``) → what its letters need.

    The addressee defaults to the subject the rapporto names as responsabile (1.i); the
    rapporto has no CAP, so mailing splits by CAP need ``destinatario`` from the catasto.
    """
    esiti = [rapporto.esito()] if allegato == "A" else rapporto.esiti()
    gens = [rapporto] if allegato == "A" else list(rapporto.generatori)
    generatori, codici = [], []
    for n, (g, e) in enumerate(zip(gens, esiti), start=1):
        installato = g.data_installazione_gen if isinstance(g.data_installazione_gen, date) else None
        generatori.append(EsitoGeneratore(
            numero=n, esito=e.esito, punti_non_conformi=e.punti_non_conformi,
            rendimento_sufficiente=e.rendimento_sufficiente, data_installazione=installato,
            potenza_utile_kw=_valore(g.pot_utile_nom_kw)))
        codici += [c for c in (g.codici_nc if isinstance(g.codici_nc, list) else []) if c not in codici]
    if destinatario is None:
        soggetto = getattr(rapporto, _RUOLI[rapporto.responsabile_ruolo], None)
        nome = _valore(getattr(soggetto, "ragione_sociale", None)) or _valore(getattr(soggetto, "cognome_nome", None))
        destinatario = Destinatario(nominativo=nome or "Responsabile dell'impianto",
                                    indirizzo=_valore(getattr(soggetto, "indirizzo", None)),
                                    comune=_valore(getattr(soggetto, "comune", None)))
    combustibile = rapporto.combustibile if allegato == "A" else rapporto.combustibile[0]
    return RiepilogoIspezione(
        allegato=allegato, codice_impianto=rapporto.codice_catasto,
        impianto_indirizzo=rapporto.ubicazione.indirizzo, impianto_comune=rapporto.ubicazione.comune,
        data_ispezione=rapporto.data_ispezione, numero_ispezione=rapporto.numero_ispezione,
        ispettore=rapporto.ispettore[:80], combustibile=combustibile, responsabile=destinatario,
        generatori=generatori, codici_nc=codici)


# --- examples ---------------------------------------------------------------------------------

def esempio_avviso() -> dict[str, Any]:
    """A flat in Viadana (MN) with a gasolio boiler: the avviso asks for the manometro."""
    return {
        "ente_id": "provincia-mantova", "protocollo": "MN-ISP-2026/004127", "data_avviso": "2026-01-12",
        "codice_impianto": "020066IN0001873", "impianto_indirizzo": "Via Giuseppe Garibaldi 41",
        "impianto_comune": "Viadana",
        "responsabile": {"nominativo": "Bianchi Giuseppe", "indirizzo": "Via Giuseppe Garibaldi 41",
                         "cap": "46019", "comune": "Viadana", "provincia": "MN"},
        "data_ispezione": "2026-02-17", "ora_ispezione": "09:30",
        "ispettore": "Bonfanti Gianni (ispettore n. 27)", "potenza_kw": "26.3", "combustibile": "Gasolio",
        "recapito": "Ufficio Impianti Termici - tel. 0376 204 511", "funzionario": "Dott.ssa Laura Castelli",
    }


def esempio_riepilogo() -> dict[str, Any]:
    """Brescia, condominio: generator 2 (1991) fails 8.c; C4 and C11 found → two other bodies."""
    return {
        "allegato": "B", "codice_impianto": "017029CT0000318", "impianto_indirizzo": "Via Solferino 32",
        "impianto_comune": "Brescia", "data_ispezione": "2026-01-20", "numero_ispezione": "BS-2026/0077",
        "ispettore": "Ing. Paolo Ghidini", "combustibile": "Gasolio",
        "responsabile": {"nominativo": "Condominio Solferino 32", "presso": "c/o Studio Amministrazioni Ferrari",
                         "indirizzo": "Corso Zanardelli 18", "cap": "25121", "comune": "Brescia", "provincia": "BS"},
        "generatori": [
            {"numero": 1, "esito": "9.a", "rendimento_sufficiente": True, "data_installazione": "2004-10-12",
             "potenza_utile_kw": "180"},
            {"numero": 2, "esito": "9.b", "punti_non_conformi": ["8.c"], "rendimento_sufficiente": None,
             "data_installazione": "1991-09-30", "potenza_utile_kw": "115"},
        ],
        "codici_nc": ["C4", "C11"],
    }
