"""Esito of a rapporto di prova (A/B 9.a/9.b) and the fields it strikes: IngressoEsito → EsitoRapporto.

Implements the strike-through matrix and the esito derivation of FORMS.md §2.13/§2.14
(seed S1, A manual L2081–2687, B manual L3064–3694) for one generator. The records it reads
and returns, with the keys of ``campi_barrati``, are in ``domain.esito_dati``; the arithmetic
is in ``domain.combustione``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from domain.combustione.combustibili import combustibile_liquido, non_uni10389
from domain.combustione.fumi import bacharach_superato, co_corretto_da_prove, co_regolare, media
from domain.combustione.rendimento import (
    arrotonda_decimo,
    eta_min,
    piu_due,
    rendimento_combustione,
    rendimento_sufficiente,
)
from domain.errors import RuleViolation
from domain.esito_dati import RIGHE_7B, EsitoRapporto, IngressoEsito, Terna
from domain.non_conformita import verifica_codici

__all__ = [
    "CASELLA_9B_LIMITI_LIBRETTO",
    "POSTI_CODICI_10B",
    "tipo_per_tiraggio",
    "valuta_rapporto",
]

CASELLA_9B_LIMITI_LIBRETTO: str | None = None
"""AMB-17: for solid / non-UNI-10389 fuels the seed says only that 9.b "deve essere redatto
solo se l'impianto non rispetta i limiti di esercizio indicati nel libretto … specificando
nelle note sottostanti le non conformità". No 8.x box names that case, so by default no box
is ticked and the motivation goes in the 9.b notes (free text). Set to "8.a" to tick it."""

POSTI_CODICI_10B = 8
"""AMB-11: the printed 10.b has 8 slots; further codes overflow into 10.a."""

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
    for campo, descrizione in RIGHE_7B.items():
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
    for campo in RIGHE_7B:
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
