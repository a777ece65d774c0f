"""Esito of a rapporto di prova (A/B 9.a/9.b) and the fields it strikes: IngressoEsito → EsitoRapporto.

Implements the strike-through matrix and the esito derivation of FORMS.md §2.13/§2.14
(seed S1, A manual L2081–2687, B manual L3064–3694) for one generator.

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

from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Literal, get_args

from domain.combustione import (
    COMBUSTIBILI_TECNICI,
    FASCE_INSTALLAZIONE,
    Classificazione,
    CombustibileTecnico,
    FasciaInstallazione,
    Fluido,
    arrotonda_decimo,
    bacharach_superato,
    co_corretto_da_prove,
    co_regolare,
    combustibile_liquido,
    eta_min,
    media,
    non_uni10389,
    piu_due,
    rendimento_combustione,
    rendimento_sufficiente,
)
from domain.errors import RuleViolation
from domain.non_conformita import verifica_codici

__all__ = [
    "CHIAVI_BARRABILI",
    "PRECEDENTI_NEGATIVO_DEFAULT",
    "CASELLA_9B_LIMITI_LIBRETTO",
    "POSTI_CODICI_10B",
    "tipo_per_tiraggio",
    "Terna",
    "IngressoEsito",
    "EsitoRapporto",
    "valuta_rapporto",
]

CHIAVI_BARRABILI = frozenset({"1.p", "4.b", "4.c", "5.b", "7", "7.a", "7.b", "7.c", "8.b", "8.c", "8.d", "9", "10.b"})
"""Every key ``campi_barrati`` may contain (see the module docstring)."""

PRECEDENTI_NEGATIVO_DEFAULT = True
"""AMB-16: does "Anno/Bienni precedenti: Non effettuata" alone give 9.b? The seed ties 9.b to
"uno o più risultati … al punto 8" without excluding it; default yes (negative, box 8.a).
The inspector overrides it per report with ``IngressoEsito.precedenti_negativo``."""

CASELLA_9B_LIMITI_LIBRETTO: str | None = None
"""AMB-17: for solid / non-UNI-10389 fuels the seed says only that 9.b "deve essere redatto
solo se l'impianto non rispetta i limiti di esercizio indicati nel libretto … specificando
nelle note sottostanti le non conformità". No 8.x box names that case, so by default no box
is ticked and the motivation goes in the 9.b notes (free text). Set to "8.a" to tick it."""

POSTI_CODICI_10B = 8
"""AMB-11: the printed 10.b has 8 slots; further codes overflow into 10.a."""

Terna = tuple[Decimal | None, Decimal | None, Decimal | None]
_VUOTA: Terna = (None, None, None)
Manutenzione = Literal["Effettuata", "Non effettuata"]

_RIGHE_7B: dict[str, str] = {
    "t_mandata": "della temperatura del fluido di mandata",
    "t_aria": "della temperatura dell'aria comburente",
    "t_fumi": "della temperatura dei fumi",
    "co_misurato": "del CO misurato",
    "o2_co2": "di O2/CO2",
}
_SEZIONE_7 = frozenset({"7", "7.a", "7.b", "7.c"})


def tipo_per_tiraggio(
    allegato: Literal["A", "B"], tipo_caldaia: Literal["B", "C"] | None, tiraggio_pa: Decimal | None
) -> Literal["B", "C"]:
    """Appliance type that decides 7.c ("solo in caso di apparecchi di tipo B", R-A-19).

    A prints "Tipo caldaia" (3.b): it is required. AMB-21: B has no such field, so the hidden
    ``tipo_caldaia`` may be missing; then a measured tiraggio means type B, none means the
    field is struck as for type C.
    """
    if tipo_caldaia in ("B", "C"):
        return tipo_caldaia
    if tipo_caldaia is not None:
        raise RuleViolation("Tipo caldaia non valido: scegliere tra B e C.", path=("tipo_caldaia",))
    if allegato == "A":
        raise RuleViolation("Indicare il tipo caldaia (B o C): decide la misura del tiraggio (7.c).", path=("tipo_caldaia",))
    return "B" if tiraggio_pa is not None else "C"


@dataclass(frozen=True, kw_only=True)
class IngressoEsito:
    """Everything the esito of one generator depends on (A: the form; B: one generator sheet)."""

    allegato: Literal["A", "B"]
    combustibile: CombustibileTecnico
    """Technical class, from ``domain.combustione.combustibile_tecnico`` (A/B 2.d)."""
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
        for nome in ("bacharach", *_RIGHE_7B):
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


@dataclass
class _Stato:
    """Mutable collector used while the rules run."""

    ingresso: IngressoEsito
    barrati: set[str] = field(default_factory=set)
    note: list[str] = field(default_factory=list)
    note_9b: list[str] = field(default_factory=list)
    punti: set[str] = field(default_factory=set)
    negativo: bool = False
    risultati: dict[str, Any] = field(default_factory=dict)

    def barra(self, *chiavi: str) -> None:
        self.barrati.update(chiavi)
        if "7" in chiavi:
            self.barrati.update(_SEZIONE_7)

    def non_conforme(self, punto: str | None, nota_9b: str | None = None) -> None:
        self.negativo = True
        if punto:
            self.punti.add(punto)
        if nota_9b and nota_9b not in self.note_9b:
            self.note_9b.append(nota_9b)


def valuta_rapporto(i: IngressoEsito) -> EsitoRapporto:
    """Apply the rules of FORMS.md §2.12–§2.14 (A) and §3.8–§3.9 (B) to one generator.

    Order as in the manual: foro (R-A-09) → fuel (R-A-02) → Bacharach first (R-A-16/22) →
    CO (R-A-21) → rendimento (R-A-23) → manutenzione and libretto (R-A-20, R-A-02b) → esito
    (R-A-30). Missing Allegato G/F alone never makes the esito negative.
    """
    st = _Stato(i)
    _barrature_indipendenti(st)
    if not i.foro_presente:
        st.barra("7", "8.b", "8.c", "8.d", "9")
        st.note.append(
            "Foro per il prelievo dei prodotti della combustione assente o inaccessibile: "
            "la prova non può essere eseguita (4.a)"
        )
        if not i.libretto_presente:
            _libretto_assente(st)
        return _risultato(st, "BARRATO")
    _valuta_sezione_7(st)
    _valuta_tiraggio(st)
    _valuta_manutenzione(st)
    return _risultato(st, "9.b" if st.negativo else "9.a")


def _libretto(i: IngressoEsito) -> str:
    return "libretto di impianto" if i.allegato == "A" else "libretto di centrale"


def _barrature_indipendenti(st: _Stato) -> None:
    i = st.ingresso
    if i.solo_acs:
        st.barra("1.p")
    if i.generatore_esterno and i.allegato == "A":
        st.barra("4.c")
    codici = verifica_codici(i.codici_nc, i.allegato)
    if not codici:
        st.barra("10.b")
    st.risultati["codici_nc"] = codici[:POSTI_CODICI_10B]
    if len(codici) > POSTI_CODICI_10B:
        st.note.append(f"Ulteriori codici di non conformità: {', '.join(codici[POSTI_CODICI_10B:])} (10.b)")


def _valuta_sezione_7(st: _Stato) -> None:
    i = st.ingresso
    if non_uni10389(i.combustibile):
        _combustibile_non_uni(st)
        return
    if i.misure_impossibili:
        st.barra("7", "8.b", "8.c", "8.d")
        st.note.append(f"Misure non eseguite: {i.misure_impossibili.strip()} (7)")
        return
    if combustibile_liquido(i.combustibile):
        _richiedi(i.bacharach, "bacharach", "dell'indice di Bacharach (7.a)")
        ok = bacharach_superato(i.bacharach, i.combustibile)
        st.risultati["bacharach_ok"] = ok
        if not ok:
            st.barra("7.b", "7.c", "8.b", "8.d")
            st.non_conforme("8.c")
            return
    else:
        st.barra("7.a", "8.c")
    _valuta_combustione(st)


def _combustibile_non_uni(st: _Stato) -> None:
    i = st.ingresso
    st.barra("7", "8.b", "8.c", "8.d")
    st.note.append(
        "Combustibile non previsto dalla norma UNI 10389: misura del rendimento di combustione non "
        "eseguibile, seguita la procedura indicata dal costruttore e/o dall'installatore nel "
        f"{_libretto(i)} (7)"
    )
    if i.limiti_libretto_rispettati is None:
        raise RuleViolation(
            "Per questo combustibile indicare se l'impianto rispetta i limiti di esercizio del libretto.",
            path=("limiti_libretto_rispettati",),
        )
    if not i.limiti_libretto_rispettati:
        st.non_conforme(
            CASELLA_9B_LIMITI_LIBRETTO,
            "L'impianto non rispetta i limiti di esercizio indicati nel libretto di uso e manutenzione "
            f"e/o nel {_libretto(i)}",
        )


def _richiedi(terna: Terna, campo: str, descrizione: str) -> None:
    for n, valore in enumerate(terna):
        if valore is None:
            raise RuleViolation(f"Manca la prova {n + 1} {descrizione}.", path=(campo, n))


def _valuta_combustione(st: _Stato) -> None:
    i = st.ingresso
    for campo, descrizione in _RIGHE_7B.items():
        _richiedi(getattr(i, campo), campo, f"{descrizione} (7.b)")
    if i.prova_in_acs:
        st.note.append("prova eseguita con generatore in produzione di acqua calda sanitaria (7.b)")
    co = co_corretto_da_prove(i.co_misurato, i.o2_co2, cella=i.cella, combustibile=i.combustibile)
    st.risultati.update(co_corretto_ppm=co, co_regolare=co_regolare(co))
    if not co_regolare(co):
        st.barra("8.d")
        st.non_conforme("8.b")
        return
    minimo = _eta_min_rapporto(st)
    if minimo is None:
        return
    o2_co2 = {"o2_percent" if i.cella == "O2" else "co2_percent": media(i.o2_co2)}
    eta = rendimento_combustione(
        combustibile=i.combustibile, t_fumi_c=media(i.t_fumi), t_aria_c=media(i.t_aria), **o2_co2
    )
    sufficiente = rendimento_sufficiente(eta, minimo)
    st.risultati.update(
        eta_min=minimo, eta_rilevato=eta, eta_rilevato_piu_2=piu_due(eta), rendimento_sufficiente=sufficiente
    )
    if not sufficiente:
        st.non_conforme("8.d")


def _eta_min_rapporto(st: _Stato) -> Decimal | None:
    i = st.ingresso
    if i.eta_min_manuale is not None:
        return arrotonda_decimo(i.eta_min_manuale)
    if i.fluido == "altro":
        st.barra("8.d")
        st.note.append(
            "Fluido termovettore diverso da aria e acqua: il costruttore e/o l'installatore non indica "
            "il rendimento minimo ammissibile (8.d)"
        )
        return None
    if i.fascia is None:
        raise RuleViolation(
            "Indicare la fascia della data di installazione del generatore (la dicitura «dopo il 29/10/1993» "
            "non individua la formula) oppure il rendimento minimo ammissibile (8.d).",
            path=("fascia",),
        )
    if i.pn_utile_kw is None:
        raise RuleViolation(
            "Indicare la potenza termica utile nominale (dato di targa): serve per il rendimento minimo (8.d).",
            path=("pn_utile_kw",),
        )
    return eta_min(
        fluido=i.fluido,
        fascia=i.fascia,
        classificazione=i.classificazione,
        pn_utile_kw=i.pn_utile_kw,
        allegato=i.allegato,
        combustibile=i.combustibile,
    )


def _valuta_tiraggio(st: _Stato) -> None:
    i = st.ingresso
    if "7.c" in st.barrati:
        return
    if tipo_per_tiraggio(i.allegato, i.tipo_caldaia, i.tiraggio_pa) == "C":
        st.barra("7.c")
        return
    if i.tiraggio_pa is None:
        raise RuleViolation("Per gli apparecchi di tipo B indicare il tiraggio misurato (7.c).", path=("tiraggio_pa",))
    if Decimal(1) <= i.tiraggio_pa <= Decimal(3):
        st.note.append("tiraggio compreso tra 1 e 3 Pa: eseguito il confronto con la prova indiretta UNI 10845 (7.c)")


def _valuta_manutenzione(st: _Stato) -> None:
    i = st.ingresso
    corrente, precedenti = ("Anno/Biennio in corso", "Anno/Bienni precedenti") if i.allegato == "A" else (
        "Anno in corso",
        "Anni precedenti",
    )
    if i.manut_corrente == "Non effettuata":
        st.non_conforme("8.a", f"Manutenzione non effettuata: {corrente}")
    if i.manut_precedenti == "Non effettuata" and i.precedenti_negativo:
        st.non_conforme("8.a", f"Manutenzione non effettuata: {precedenti}")
    if not i.libretto_presente:
        st.non_conforme("8.a", _libretto_assente(st))


def _libretto_assente(st: _Stato) -> str:
    """R-A-02b / B L3093–3095: motivation in the 9.b notes and in 10.a; "Compilazione" struck."""
    i = st.ingresso
    campo, compilazione = ("5.a", "5.b") if i.allegato == "A" else ("4.a", "4.b")
    st.barra(compilazione)
    motivo = f"{_libretto(i).capitalize()} assente: l'impianto non rispetta la normativa"
    st.note.append(f"{motivo} ({campo})")
    return motivo


def _risultato(st: _Stato, esito: Literal["9.a", "9.b", "BARRATO"]) -> EsitoRapporto:
    i, r = st.ingresso, st.risultati
    medie: dict[str, Decimal | None] = {"bacharach": None if "7.a" in st.barrati else media(i.bacharach)}
    for campo in _RIGHE_7B:
        medie[campo] = None if "7.b" in st.barrati else media(getattr(i, campo))
    return EsitoRapporto(
        eta_min=r.get("eta_min"),
        eta_rilevato=r.get("eta_rilevato"),
        eta_rilevato_piu_2=r.get("eta_rilevato_piu_2"),
        co_corretto_ppm=r.get("co_corretto_ppm"),
        co_regolare=r.get("co_regolare"),
        bacharach_ok=r.get("bacharach_ok"),
        rendimento_sufficiente=r.get("rendimento_sufficiente"),
        esito=esito,
        punti_non_conformi=() if esito == "BARRATO" else tuple(p for p in ("8.a", "8.b", "8.c", "8.d") if p in st.punti),
        campi_barrati=frozenset(st.barrati),
        motivazioni=tuple(st.note),
        medie=medie,
        note_9b=() if esito == "BARRATO" else tuple(st.note_9b),
        codici_nc=r.get("codici_nc", ()),
    )
