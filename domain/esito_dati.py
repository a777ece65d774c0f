"""Records of the esito of a rapporto di prova (A/B 7–10): IngressoEsito in, EsitoRapporto out.

Field by field as FORMS.md §2.13/§2.14 (seed S1, A manual L2081–2687, B manual L3064–3694),
for one generator. The rules that turn one into the other are ``domain.esito.valuta_rapporto``.

Keys of ``EsitoRapporto.campi_barrati`` (the template draws a strike line over each):

    "1.p"   Volumetria riscaldata (impianto for ACS only, R-A-05)
    "4.b"   B only: Compilazione libretto di centrale (the libretto is missing)
    "4.c"   the three fields of 4.c Esame visivo locale (A only, generator outdoors, R-A-11)
    "5.b"   A only: Compilazione libretto (the libretto di impianto is missing)
    "7"     the whole of section 7, instruments included; always comes with "7.a", "7.b", "7.c"
    "7.a"   Bacharach row (three tests and Media)
    "7.b"   combustion rows: temperature, CO, O2/CO2 (three tests, Media, cell type)
    "7.c"   tiraggio: instrument and value
    "8.b"   CO nei fumi secchi e senz'aria (value and Regolare/Irregolare)
    "8.c"   Bacharach verdict
    "8.d"   rendimento: η min, valore rilevato, valore rilevato + 2, Sufficiente/Insufficiente
    "9"     the whole esito (9.a, 9.b, its boxes and note lines)
    "10.b"  codici di non conformità (no code applies)

"8.a" and "10.a" are never struck (R-A-40: with no observations 10.a stays blank).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Literal, get_args

from domain.combustione.combustibili import COMBUSTIBILI_TECNICI, CombustibileTecnico
from domain.combustione.rendimento import FASCE_INSTALLAZIONE, Classificazione, FasciaInstallazione, Fluido
from domain.errors import RuleViolation

__all__ = [
    "CHIAVI_BARRABILI",
    "PRECEDENTI_NEGATIVO_DEFAULT",
    "Terna",
    "RIGHE_7B",
    "IngressoEsito",
    "EsitoRapporto",
]

CHIAVI_BARRABILI = frozenset({"1.p", "4.b", "4.c", "5.b", "7", "7.a", "7.b", "7.c", "8.b", "8.c", "8.d", "9", "10.b"})
"""Every key ``campi_barrati`` may contain (see the module docstring)."""

PRECEDENTI_NEGATIVO_DEFAULT = True
"""AMB-16: does "Anno/Bienni precedenti: Non effettuata" alone give 9.b? The seed ties 9.b to
"uno o più risultati … al punto 8" without excluding it; default yes (negative, box 8.a).
The inspector overrides it per report with ``IngressoEsito.precedenti_negativo``."""

Terna = tuple[Decimal | None, Decimal | None, Decimal | None]
_VUOTA: Terna = (None, None, None)
Manutenzione = Literal["Effettuata", "Non effettuata"]

RIGHE_7B: dict[str, str] = {
    "t_mandata": "della temperatura del fluido di mandata",
    "t_aria": "della temperatura dell'aria comburente",
    "t_fumi": "della temperatura dei fumi",
    "co_misurato": "del CO misurato",
    "o2_co2": "di O2/CO2",
}
"""The 7.b rows (field → its name in "Manca la prova …"), also keys of ``EsitoRapporto.medie``."""


@dataclass(frozen=True, kw_only=True)
class IngressoEsito:
    """Everything the esito of one generator depends on (A: the form; B: one generator sheet)."""

    allegato: Literal["A", "B"]
    combustibile: CombustibileTecnico
    """Technical class, from ``domain.combustione.combustibili.combustibile_tecnico`` (A/B 2.d)."""
    fluido: Fluido
    """A 3.a / B 5.d."""
    fascia: FasciaInstallazione | None
    """Bracket of the installation date (A 3.d / B 5.b); ``None`` for "dopo il 29/10/1993" (AMB-26)."""
    classificazione: Classificazione | None
    """DPR 660/96 classification (A 3.h / B 5.i)."""
    pn_utile_kw: Decimal | None
    """Potenza termica utile nominale, plate value (A 3.i / B 5.l)."""
    eta_min_manuale: Decimal | None = None
    """η min declared by the manufacturer/installer (other fluid) or entered by hand (AMB-26); wins over the formula."""
    tipo_caldaia: Literal["B", "C"] | None
    """A 3.b; on B the hidden field of AMB-21."""
    foro_presente: bool
    """A 4.a "Foro per prelievo presente e accessibile" (R-A-09)."""
    generatore_esterno: bool = False
    """A 3.g Locale d'installazione = Esterno (R-A-11)."""
    manut_corrente: Manutenzione
    """8.a "Anno/Biennio in corso" (B: "Anno in corso")."""
    manut_precedenti: Manutenzione
    """8.a "Anno/Bienni precedenti" (B: "Anni precedenti")."""
    libretto_presente: bool
    """Libretto di impianto (A) / di centrale (B) exists (R-A-02b)."""
    limiti_libretto_rispettati: bool | None = None
    """Solid / non-UNI fuels only: operating limits of the libretto respected (R-A-02, AMB-17)."""
    allegato_gf_presente: bool | None = None
    """A 6.c Allegato G / B 6.c Allegato F present: recorded, never negative by itself (R-A-30)."""
    bacharach: Terna = _VUOTA
    t_mandata: Terna = _VUOTA
    t_aria: Terna = _VUOTA
    t_fumi: Terna = _VUOTA
    co_misurato: Terna = _VUOTA
    o2_co2: Terna = _VUOTA
    cella: Literal["O2", "CO2"] = "O2"
    """Cell type of the analyser, ticked on the O2/CO2 row (R-A-18)."""
    tiraggio_pa: Decimal | None = None
    """7.c, single value in Pa (type B only)."""
    solo_acs: bool = False
    """Impianto producing only acqua calda sanitaria: 1.p is struck (R-A-05)."""
    prova_in_acs: bool = False
    """Combined boiler tested while producing ACS (R-A-17): a note for 10.a."""
    misure_impossibili: str | None = None
    """Reason why the measurements could not be made for other causes (R-A-01): 7, 8.b–8.d struck."""
    precedenti_negativo: bool = PRECEDENTI_NEGATIVO_DEFAULT
    """AMB-16 override for this report."""
    codici_nc: tuple[str, ...] = ()
    """10.b codes (A1–A18 / C1–C14)."""

    def __post_init__(self) -> None:
        _scelta(self.allegato, ("A", "B"), "allegato")
        _scelta(self.combustibile, COMBUSTIBILI_TECNICI, "combustibile")
        _scelta(self.fluido, get_args(Fluido), "fluido")
        _scelta(self.fascia, (*FASCE_INSTALLAZIONE, None), "fascia")
        _scelta(self.classificazione, (*get_args(Classificazione), None), "classificazione")
        _scelta(self.manut_corrente, get_args(Manutenzione), "manut_corrente")
        _scelta(self.manut_precedenti, get_args(Manutenzione), "manut_precedenti")
        _scelta(self.cella, ("O2", "CO2"), "cella")
        for nome in ("bacharach", *RIGHE_7B):
            if len(getattr(self, nome)) != 3:
                raise RuleViolation("Servono i valori delle tre prove.", path=(nome,))


def _scelta(valore: object, ammessi: tuple[object, ...], campo: str) -> None:
    if valore not in ammessi:
        elenco = ", ".join(str(a) for a in ammessi if a is not None)
        raise RuleViolation(f"Valore «{valore}» non ammesso: scegliere tra {elenco}.", path=(campo,))


@dataclass(frozen=True)
class EsitoRapporto:
    """What the rules derive for sections 7–10 of one generator."""

    eta_min: Decimal | None
    eta_rilevato: Decimal | None
    eta_rilevato_piu_2: Decimal | None
    co_corretto_ppm: int | None
    co_regolare: bool | None
    bacharach_ok: bool | None
    rendimento_sufficiente: bool | None
    esito: Literal["9.a", "9.b", "BARRATO"]
    punti_non_conformi: tuple[str, ...]
    """Boxes ticked in 9.b, subset of "8.a", "8.b", "8.c", "8.d" in this order."""
    campi_barrati: frozenset[str]
    """Keys of ``CHIAVI_BARRABILI`` to strike."""
    motivazioni: tuple[str, ...]
    """Notes the inspector must write in 10.a, each ending with its field, e.g. "… (4.a)"."""
    medie: dict[str, Decimal | None]
    """Media column of section 7 ("bacharach", "t_mandata", "t_aria", "t_fumi", "co_misurato", "o2_co2"); None if struck."""
    note_9b: tuple[str, ...] = ()
    """Annotations for the lines under 9.b (R-A-02, R-A-02b, R-A-30)."""
    codici_nc: tuple[str, ...] = ()
    """The 10.b codes that fit the printed slots (the rest are in ``motivazioni``, AMB-11)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: Decimals as strings (exact, e.g. "86.8"), field keys in form order, tuples as lists."""
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


def _json(valore: Any) -> Any:
    if isinstance(valore, Decimal):
        return str(valore)
    if isinstance(valore, frozenset):
        return sorted(valore, key=lambda k: [int(p) if p.isdigit() else p for p in k.split(".")])
    if isinstance(valore, tuple):
        return [_json(v) for v in valore]
    if isinstance(valore, dict):
        return {k: _json(v) for k, v in valore.items()}
    return valore

