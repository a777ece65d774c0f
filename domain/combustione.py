"""Combustion rules of the rapporti di prova (Allegati A and B): values in, Decimals out.

Sources: Disposizioni 18/09/2007 (seed S1), manuals of Allegato A (L2076–2687) and
Allegato B (L3064–3694); FORMS.md §2.9–§2.14 and §4. Every ambiguity of the seed that
this module resolves is one named setting or function whose docstring cites its AMB id
(FORMS.md §22); ``docs/parts/regole-combustione.md`` lists them in a table.

Nothing here reads settings, files or the clock. Inputs are ``Decimal``; a bad input
raises ``RuleViolation`` with an Italian message and a field path (pydantic ``loc`` shape).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, get_args

from domain.errors import RuleViolation

__all__ = [
    "CombustibileTecnico",
    "COMBUSTIBILI_TECNICI",
    "combustibile_tecnico",
    "non_uni10389",
    "combustibile_liquido",
    "combustibile_gassoso",
    "FasciaInstallazione",
    "FASCE_INSTALLAZIONE",
    "fascia_installazione",
    "DOPO_IL_29_10_1993",
    "fascia_da_dichiarazione",
    "Fluido",
    "Classificazione",
    "FORMULE_ETA_MIN",
    "PN_MASSIMA_ALLEGATO_B_KW",
    "log_pn",
    "ARROTONDAMENTO",
    "arrotonda_decimo",
    "eta_min",
    "CIFRE_DECIMALI_MEDIA",
    "media",
    "CO2_MAX",
    "indice_aria",
    "co_corretto",
    "co_corretto_da_prove",
    "CO_LIMITE_PPM",
    "co_regolare",
    "BACHARACH_LIMITI",
    "BACHARACH_LIMITE_ALTRI_LIQUIDI",
    "bacharach_limite",
    "bacharach_superato",
    "CoefficientiSiegert",
    "COEFFICIENTI_UNI10389",
    "rendimento_combustione",
    "ERRORE_DI_MISURA_PUNTI",
    "piu_due",
    "rendimento_sufficiente",
    "PCI",
    "potenza_focolare_da_portata",
    "KCALH_PER_KW",
    "kcalh_a_kw",
    "rendimento_globale_minimo",
]

# ---------------------------------------------------------------------------
# Fuels

CombustibileTecnico = Literal[
    "gas naturale", "gpl", "gasolio", "olio combustibile", "altro liquido", "solido", "altro"
]
"""Technical class of the fuel in use at the time of the test.

``"altro liquido"`` (kerosene, petrolio, light distillates) is a liquid fuel covered by
UNI 10389 whose Bacharach limit the seed does not give (AMB-14). ``"altro"`` is a fuel
not covered by UNI 10389 (biogas, gas residui di lavorazione, anything unrecognised);
``"solido"`` is wood, pellet, coal…: both follow R-A-02.
"""

COMBUSTIBILI_TECNICI: tuple[str, ...] = get_args(CombustibileTecnico)

_LIQUIDI = frozenset({"gasolio", "olio combustibile", "altro liquido"})
_GASSOSI = frozenset({"gas naturale", "gpl"})

# (pattern on the normalised text, class). Order matters: the first match wins.
_PAROLE_COMBUSTIBILE: tuple[tuple[str, CombustibileTecnico], ...] = (
    (r"\bbio ?gas\b|\bgas (residu|di (processo|recupero|raffineria|discarica))|\bsyngas\b|\bidrogeno\b", "altro"),
    (r"\bolio (combustibile|comb\b|denso|pesante)|\b[ab]tz\b|\bemulsion|\bdistillati pesanti\b", "olio combustibile"),
    (r"\bgasolio\b|\bdiesel\b", "gasolio"),
    (r"\b(kerosene|cherosene|petrolio)\b|\bdistillati? legger", "altro liquido"),
    (r"\bgpl\b|\bg\.p\.l\.?|\bpropano\b|\bbutano\b", "gpl"),
    (r"\bmetano\b|\bgas naturale\b", "gas naturale"),
    (
        r"\blegn|\bpellet|\bcippat|\bcarbon[ei]\b|\bcoke\b|\bbiomass|\bbricchett|\bantracite\b"
        r"|\blignite\b|\btorba\b|\bnocciolino\b|\bgusci|\bmais\b|\bsolid",
        "solido",
    ),
)


def _normalizza(testo: str) -> str:
    senza_accenti = unicodedata.normalize("NFKD", testo).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", senza_accenti.strip().lower())


def combustibile_tecnico(scelta: str, altro_testo: str | None = None) -> CombustibileTecnico:
    """Map the printed fuel choice of A 2.d / B 2.d (+ the "Altro ……" text) to a technical class.

    Printed choices: A "Gas naturale", "Gasolio", "GPL", "Altro"; B adds "Olio combustibile"
    (S1 L3212–3218: "utilizzare la casella altro specificandolo (per esempio carbone,
    legno ecc.)"). F/G spellings ("olio comb.", "Kerosene", "Gpl") are accepted too.
    Case-insensitive. An "Altro" text that names no known fuel is ``"altro"`` (not covered by
    UNI 10389, R-A-02), the conservative reading: no UNI 10389 coefficient exists for it.
    """
    testo = _normalizza(scelta or "")
    if testo in COMBUSTIBILI_TECNICI and testo != "altro":
        return testo  # type: ignore[return-value]
    if testo == "altro":
        libero = _normalizza(altro_testo or "")
        if not libero:
            raise RuleViolation(
                "Combustibile «Altro»: specificare quale combustibile è in uso (es. olio combustibile, legna).",
                path=("altro_testo",),
            )
        return _classifica(libero)
    if not testo:
        raise RuleViolation("Indicare il combustibile in uso al momento della prova.", path=("combustibile",))
    trovato = _classifica(testo, default=None)
    if trovato is None:
        raise RuleViolation(
            f"Combustibile «{scelta}» non previsto: scegliere tra Gas naturale, GPL, Gasolio, "
            "Olio combustibile o Altro (specificando quale).",
            path=("combustibile",),
        )
    return trovato


def _classifica(testo: str, default: CombustibileTecnico | None = "altro") -> CombustibileTecnico | None:
    for modello, classe in _PAROLE_COMBUSTIBILE:
        if re.search(modello, testo):
            return classe
    return default


def non_uni10389(c: CombustibileTecnico) -> bool:
    """True for solid fuels and fuels not covered by UNI 10389 (R-A-02, S1 L2089–2098).

    "Se il generatore è alimentato a combustibile solido e comunque non tra quelli
    individuati dalla norma UNI 10389 (gas residui di lavorazione, biogas, ecc..) non è
    possibile eseguire la misurazione in opera del rendimento di combustione".
    """
    return c in ("solido", "altro")


def combustibile_liquido(c: CombustibileTecnico) -> bool:
    """Liquid fuels: the Bacharach test (7.a/8.c) applies (S1 L2470–2473, L2567–2577)."""
    return c in _LIQUIDI


def combustibile_gassoso(c: CombustibileTecnico) -> bool:
    """Gaseous fuels covered by UNI 10389: 7.a and 8.c are struck (FORMS.md §2.13)."""
    return c in _GASSOSI


# ---------------------------------------------------------------------------
# Installation date brackets and η min (FORMS.md §4)

FasciaInstallazione = Literal[
    "prima del 29/10/1993",
    "dal 29/10/1993 al 31/12/1997",
    "dal 01/01/1998 al 07/10/2005",
    "dal 08/10/2005",
]
FASCE_INSTALLAZIONE: tuple[str, ...] = get_args(FasciaInstallazione)

_INIZIO_412 = date(1993, 10, 29)  # entrata in vigore art. 11 D.P.R. 412/93
_FINE_FASCIA_2 = date(1997, 12, 31)
_FINE_FASCIA_3 = date(2005, 10, 7)


def fascia_installazione(d: date) -> FasciaInstallazione:
    """Installation bracket of the generator (A manual L2586–2598, B manual L3612–3628).

    "antecedentemente al 29/10/93" · "dal 29/10/93 fino al 31/12/97" · "dal 1/1/98 fino al
    07/10/05" · "dal 08/10/05": both end dates are inclusive.
    """
    if d < _INIZIO_412:
        return "prima del 29/10/1993"
    if d <= _FINE_FASCIA_2:
        return "dal 29/10/1993 al 31/12/1997"
    if d <= _FINE_FASCIA_3:
        return "dal 01/01/1998 al 07/10/2005"
    return "dal 08/10/2005"


DOPO_IL_29_10_1993 = "dopo il 29/10/1993"
"""The literal that 3.d / 5.b may hold instead of a date (R-A-07, S1 L2241–2251)."""


def fascia_da_dichiarazione(valore: date | str) -> FasciaInstallazione | None:
    """Bracket for the value of 3.d (A) / 5.b (B); ``None`` when it cannot be chosen (AMB-26).

    AMB-26: "dopo il 29/10/1993" rules out the first bracket but does not choose between the
    other three, so it yields ``None``: the caller must obtain the bracket from the inspector
    or a manually entered η min (``IngressoEsito.fascia`` / ``eta_min_manuale``). A date
    yields its bracket; any other text is an error.
    """
    if isinstance(valore, date):
        return fascia_installazione(valore)
    if _normalizza(valore) == DOPO_IL_29_10_1993:
        return None
    raise RuleViolation(
        "Data di installazione del generatore non valida: indicare una data (gg/mm/aaaa) "
        "oppure la dicitura «dopo il 29/10/1993».",
        path=("data_installazione_gen",),
    )


Fluido = Literal["acqua", "aria", "altro"]
Classificazione = Literal["Standard", "a bassa temperatura", "a gas a condensazione"]

FORMULE_ETA_MIN: dict[tuple[str, str, str | None], tuple[Decimal, Decimal]] = {
    # (fluido, fascia, classificazione or None for "per tutte") → (a, k) in  η ≥ a + k·Log Pn
    ("acqua", "prima del 29/10/1993", None): (Decimal("82"), Decimal("2")),
    ("acqua", "dal 29/10/1993 al 31/12/1997", None): (Decimal("84"), Decimal("2")),
    ("acqua", "dal 01/01/1998 al 07/10/2005", "Standard"): (Decimal("84"), Decimal("2")),
    ("acqua", "dal 01/01/1998 al 07/10/2005", "a bassa temperatura"): (Decimal("87.5"), Decimal("1.5")),
    ("acqua", "dal 01/01/1998 al 07/10/2005", "a gas a condensazione"): (Decimal("91"), Decimal("1")),
    ("acqua", "dal 08/10/2005", None): (Decimal("89"), Decimal("2")),
    ("aria", "prima del 29/10/1993", None): (Decimal("77"), Decimal("2")),
    ("aria", "dal 29/10/1993 al 31/12/1997", None): (Decimal("80"), Decimal("2")),
    ("aria", "dal 01/01/1998 al 07/10/2005", None): (Decimal("80"), Decimal("2")),
    ("aria", "dal 08/10/2005", None): (Decimal("80"), Decimal("2")),
}
"""η min DPR as printed in the A manual (L2585–2606) and the B manual (L3612–3640)."""

PN_MASSIMA_ALLEGATO_B_KW = Decimal("400")
"""B manual L3630–3633: "Per potenza nominale superiore a 400 kW … calcolato a Pn = 400 kW"."""


def log_pn(pn_kw: Decimal) -> Decimal:
    """The "Log" of the η min formulas: decimal logarithm (AMB-24).

    AMB-24: the seed never states the base; log10 is the convention of the D.P.R. 412/93
    formulas these come from (FORMS.md §4). Computed in Decimal (28 significant digits).
    """
    return Decimal(pn_kw).log10()


ARROTONDAMENTO = ROUND_HALF_UP
"""AMB-25: rounding mode for "arrotondato alla prima cifra decimale" (η min and η rilevato)
and for "arrotondato all'intero" (CO corretto). The seed does not name one; half-up is the
rounding taught for hand-filled forms."""


def arrotonda_decimo(valore: Decimal) -> Decimal:
    """Round to one decimal with ``ARROTONDAMENTO`` (AMB-25; A manual L2616–2627)."""
    return Decimal(valore).quantize(Decimal("0.1"), rounding=ARROTONDAMENTO)


def eta_min(
    *,
    fluido: Fluido,
    fascia: FasciaInstallazione,
    classificazione: Classificazione | None,
    pn_utile_kw: Decimal,
    allegato: Literal["A", "B"],
    combustibile: CombustibileTecnico | None = None,
) -> Decimal | None:
    """Rendimento di combustione minimo ammissibile, 8.d (A manual L2579–2633; B L3606–3672).

    ``pn_utile_kw`` is "la potenza termica utile nominale del generatore (dato di targa)".
    On Allegato B it is capped at 400 kW. A condensing boiler on liquid fuel is treated as
    "a bassa temperatura" (3.h / 5.i note). ``fluido == "altro"`` → ``None``: the minimum is
    the manufacturer's value, or 8.d is struck. Log base: ``log_pn`` (AMB-24); rounding:
    ``arrotonda_decimo`` (AMB-25). For "dopo il 29/10/1993" see ``fascia_da_dichiarazione``
    (AMB-26): this function needs an actual bracket.
    """
    if fluido == "altro":
        return None
    if fluido not in ("acqua", "aria"):
        raise RuleViolation("Fluido termovettore non valido: scegliere tra acqua, aria o altro.", path=("fluido",))
    if fascia not in FASCE_INSTALLAZIONE:
        raise RuleViolation(
            "Indicare la fascia della data di installazione del generatore (la dicitura «dopo il "
            "29/10/1993» non individua la formula del rendimento minimo).",
            path=("fascia",),
        )
    pn = Decimal(pn_utile_kw)
    if not pn > 0:
        raise RuleViolation(
            "La potenza termica utile nominale deve essere maggiore di zero.", path=("pot_utile_nom_kw",)
        )
    if allegato == "B":
        pn = min(pn, PN_MASSIMA_ALLEGATO_B_KW)
    a, k = _formula(fluido, fascia, classificazione, combustibile)
    return arrotonda_decimo(a + k * log_pn(pn))


def _formula(
    fluido: str, fascia: str, classificazione: str | None, combustibile: CombustibileTecnico | None
) -> tuple[Decimal, Decimal]:
    per_tutte = FORMULE_ETA_MIN.get((fluido, fascia, None))
    if per_tutte is not None:
        return per_tutte
    if classificazione is None:
        raise RuleViolation(
            "Indicare la classificazione DPR 660/96 del generatore: serve per il rendimento minimo "
            "delle caldaie installate dal 01/01/1998 al 07/10/2005.",
            path=("classificazione",),
        )
    if classificazione == "a gas a condensazione" and combustibile is not None and combustibile_liquido(combustibile):
        classificazione = "a bassa temperatura"
    formula = FORMULE_ETA_MIN.get((fluido, fascia, classificazione))
    if formula is None:
        raise RuleViolation(
            "Classificazione DPR 660/96 non valida: scegliere tra Standard, a bassa temperatura "
            "o a gas a condensazione.",
            path=("classificazione",),
        )
    return formula


# ---------------------------------------------------------------------------
# Section 7 averages, CO and Bacharach

CIFRE_DECIMALI_MEDIA = 2
"""Decimals kept in the "Media" column (R-A-18 says only "media aritmetica"). The verdicts
are computed from these printed means, so a hand check of the form gives the same result."""


def media(valori: Sequence[Decimal | None]) -> Decimal | None:
    """Arithmetic mean of the tests that were made (R-A-18, S1 L2518–2525); ``None`` if none.

    Rounded half-up to ``CIFRE_DECIMALI_MEDIA`` decimals.
    """
    presenti = [Decimal(v) for v in valori if v is not None]
    if not presenti:
        return None
    quanto = Decimal(1).scaleb(-CIFRE_DECIMALI_MEDIA)
    return (sum(presenti, Decimal(0)) / len(presenti)).quantize(quanto, rounding=ROUND_HALF_UP)


CO2_MAX: dict[str, Decimal] = {
    "gas naturale": Decimal("11.7"),
    "gpl": Decimal("13.9"),
    "gasolio": Decimal("15.4"),
    "olio combustibile": Decimal("15.9"),
    "altro liquido": Decimal("15.4"),
}
"""CO2 massima teorica nei fumi secchi (%), for analysers with a CO2 cell (AMB-13).

The seed only refers to "punto 6.1. dell'UNI 10389" (S1 L2557–2566). These are the values
of the UNI 10389 fuel table as programmed in combustion analysers (gas naturale 11,7;
GPL 13,9; gasolio 15,4; olio combustibile 15,9). "altro liquido" uses the gasolio value,
a light distillate (AMB-14). Verify against the licensed standard before relying on the
CO2-cell path; the O2 path (``21/(21 − O2)``) needs no fuel data.
"""


def indice_aria(
    *,
    o2_percent: Decimal | None = None,
    co2_percent: Decimal | None = None,
    combustibile: CombustibileTecnico | None = None,
) -> Decimal:
    """Indice d'aria n (UNI 10389 §6.1, cited by R-A-21 / AMB-13): ``21/(21 − O2)`` or ``CO2max/CO2``.

    Exactly one of ``o2_percent`` (O2 cell) and ``co2_percent`` (CO2 cell, needs the fuel's
    ``CO2_MAX``) must be given. Unrounded.
    """
    if (o2_percent is None) == (co2_percent is None):
        raise RuleViolation("Indicare il valore di O2 oppure di CO2 (una sola cella di misura).", path=("o2_co2",))
    if o2_percent is not None:
        o2 = Decimal(o2_percent)
        if not Decimal(0) <= o2 < Decimal(21):
            raise RuleViolation("L'ossigeno (O2) deve essere compreso tra 0 e 21 %.", path=("o2_co2",))
        return Decimal(21) / (Decimal(21) - o2)
    co2 = Decimal(co2_percent)  # type: ignore[arg-type]
    co2_max = CO2_MAX.get(combustibile or "")
    if co2_max is None:
        raise RuleViolation(
            "Con la cella CO2 l'indice d'aria richiede un combustibile previsto dalla norma UNI 10389.",
            path=("cella",),
        )
    if not Decimal(0) < co2 <= co2_max:
        raise RuleViolation(
            f"L'anidride carbonica (CO2) deve essere maggiore di 0 e non superiore a {_it(co2_max)} %.",
            path=("o2_co2",),
        )
    return co2_max / co2


def _it(valore: Decimal) -> str:
    return format(valore, "f").replace(".", ",")


def co_corretto(
    co_misurato_ppm: Decimal,
    *,
    o2_percent: Decimal | None = None,
    co2_percent: Decimal | None = None,
    combustibile: CombustibileTecnico | None = None,
) -> int:
    """CO nei fumi secchi e senz'aria, 8.b (R-A-21, S1 L2557–2566): CO misurato × indice d'aria.

    "Il valore così ottenuto deve essere arrotondato all'intero" (half-up, AMB-25). Pass the
    means of section 7 (AMB-13, see ``co_corretto_da_prove``).
    """
    co = Decimal(co_misurato_ppm)
    if co < 0:
        raise RuleViolation("Il CO misurato non può essere negativo.", path=("co_misurato",))
    n = indice_aria(o2_percent=o2_percent, co2_percent=co2_percent, combustibile=combustibile)
    return int((co * n).quantize(Decimal(1), rounding=ARROTONDAMENTO))


def co_corretto_da_prove(
    co_misurati: Sequence[Decimal | None],
    o2_co2: Sequence[Decimal | None],
    *,
    cella: Literal["O2", "CO2"],
    combustibile: CombustibileTecnico | None = None,
) -> int:
    """8.b "Valore rilevato" from the three tests of section 7, using their means (AMB-13).

    AMB-13: the seed does not say whether the CO is corrected per test or on the mean; the
    "Media" column is the natural reading (FORMS.md §22), and it matches 8.d, which uses
    "i valori medi del punto 7.". Means are those of ``media`` (as printed in the column).
    """
    co_medio, gas_medio = media(co_misurati), media(o2_co2)
    if co_medio is None:
        raise RuleViolation("Mancano le misure del CO (7.b).", path=("co_misurato",))
    if gas_medio is None:
        raise RuleViolation("Mancano le misure di O2/CO2 (7.b).", path=("o2_co2",))
    if cella == "O2":
        return co_corretto(co_medio, o2_percent=gas_medio, combustibile=combustibile)
    return co_corretto(co_medio, co2_percent=gas_medio, combustibile=combustibile)


CO_LIMITE_PPM = 1000
"""8.b legend: "(deve essere inferiore o uguale a 1000 ppm = 0,1%)"."""


def co_regolare(co_corretto_ppm: int) -> bool:
    """8.b Regolare iff CO corretto ≤ 1000 ppm (R-A-21: irregolare "superiore a 1000 ppm")."""
    return co_corretto_ppm <= CO_LIMITE_PPM


BACHARACH_LIMITI: dict[str, int] = {"gasolio": 2, "olio combustibile": 6}
"""R-A-22 (S1 L2567–2577): "quello limite che è 2 per il gasolio e 6 per l'olio combustibile"."""

BACHARACH_LIMITE_ALTRI_LIQUIDI = 2
"""AMB-14: Bacharach limit for liquid fuels other than gasolio / olio combustibile
("altro liquido": kerosene, petrolio …). Not given by the seed; default 2 (the gasolio
limit, the closest fuel). Change here if the Ente decides otherwise."""

_BACHARACH_SCALA = (Decimal(0), Decimal(9))


def bacharach_limite(c: CombustibileTecnico) -> int | None:
    """Bacharach limit for the fuel; ``None`` when 7.a/8.c do not apply (gas, solid, non-UNI)."""
    if c in BACHARACH_LIMITI:
        return BACHARACH_LIMITI[c]
    if c == "altro liquido":
        return BACHARACH_LIMITE_ALTRI_LIQUIDI
    return None


def bacharach_superato(letture: Sequence[Decimal | None], c: CombustibileTecnico) -> bool | None:
    """8.c: "superata se almeno due delle tre misurazioni … non superiori a quello limite".

    ``None`` = the test does not apply to this fuel. A missing reading (``None``) does not
    count as within the limit. At most three readings, each on the 0–9 scale.
    """
    limite = bacharach_limite(c)
    if limite is None:
        return None
    if len(letture) > 3:
        raise RuleViolation("Le misure dell'indice di Bacharach sono tre.", path=("bacharach",))
    entro = 0
    for i, valore in enumerate(letture):
        if valore is None:
            continue
        if not _BACHARACH_SCALA[0] <= Decimal(valore) <= _BACHARACH_SCALA[1]:
            raise RuleViolation("L'indice di Bacharach va da 0 a 9.", path=("bacharach", i))
        entro += Decimal(valore) <= limite
    return entro >= 2


# ---------------------------------------------------------------------------
# Measured combustion efficiency (UNI 10389 §6)


@dataclass(frozen=True)
class CoefficientiSiegert:
    """Coefficients of the Siegert formula of UNI 10389 §6 for one fuel."""

    a1: Decimal
    """Coefficient over (21 − O2), for an O2 cell."""
    a2: Decimal
    """Coefficient over CO2, for a CO2 cell."""
    b: Decimal
    """Additive coefficient."""


COEFFICIENTI_UNI10389: dict[str, CoefficientiSiegert] = {
    "gas naturale": CoefficientiSiegert(Decimal("0.66"), Decimal("0.38"), Decimal("0.010")),
    "gpl": CoefficientiSiegert(Decimal("0.63"), Decimal("0.42"), Decimal("0.008")),
    "gasolio": CoefficientiSiegert(Decimal("0.68"), Decimal("0.50"), Decimal("0.007")),
    "olio combustibile": CoefficientiSiegert(Decimal("0.68"), Decimal("0.52"), Decimal("0.007")),
    "altro liquido": CoefficientiSiegert(Decimal("0.68"), Decimal("0.50"), Decimal("0.007")),
}
"""UNI 10389 fuel table (A1, A2, B): gas naturale 0,66/0,38/0,010; GPL 0,63/0,42/0,008;
gasolio 0,68/0,50/0,007; olio combustibile 0,68/0,52/0,007. The seed does not print them
(it refers to "punto 6. della norma UNI 10389", S1 L2620–2622). "altro liquido" uses the
gasolio row (AMB-14, a light distillate). Verify against the licensed standard."""


def rendimento_combustione(
    *,
    combustibile: CombustibileTecnico,
    t_fumi_c: Decimal,
    t_aria_c: Decimal,
    o2_percent: Decimal | None = None,
    co2_percent: Decimal | None = None,
) -> Decimal:
    """Rendimento di combustione rilevato, 8.d "Valore rilevato" (UNI 10389 §6; A manual L2620–2627).

    Siegert: ``qs = (tf − ta)·(A1/(21 − O2) + B)`` with an O2 cell, ``qs = (tf − ta)·(A2/CO2 + B)``
    with a CO2 cell; ``η = 100 − qs``, rounded to 0.1 (AMB-25). Pass the section-7 means.
    Coefficients: ``COEFFICIENTI_UNI10389``.
    """
    coeff = COEFFICIENTI_UNI10389.get(combustibile)
    if coeff is None:
        raise RuleViolation(
            "Il rendimento di combustione non si misura con la norma UNI 10389 per questo combustibile.",
            path=("combustibile",),
        )
    if (o2_percent is None) == (co2_percent is None):
        raise RuleViolation("Indicare il valore di O2 oppure di CO2 (una sola cella di misura).", path=("o2_co2",))
    tf, ta = Decimal(t_fumi_c), Decimal(t_aria_c)
    if tf < ta:
        raise RuleViolation(
            "La temperatura dei fumi non può essere inferiore a quella dell'aria comburente.", path=("t_fumi",)
        )
    if o2_percent is not None:
        o2 = Decimal(o2_percent)
        if not Decimal(0) <= o2 < Decimal(21):
            raise RuleViolation("L'ossigeno (O2) deve essere compreso tra 0 e 21 %.", path=("o2_co2",))
        fattore = coeff.a1 / (Decimal(21) - o2)
    else:
        co2 = Decimal(co2_percent)  # type: ignore[arg-type]
        if not co2 > 0:
            raise RuleViolation("L'anidride carbonica (CO2) deve essere maggiore di zero.", path=("o2_co2",))
        fattore = coeff.a2 / co2
    qs = (tf - ta) * (fattore + coeff.b)
    return arrotonda_decimo(Decimal(100) - qs)


ERRORE_DI_MISURA_PUNTI = Decimal(2)
"""8.d: "lo stesso valore aumentato di 2 punti percentuali dovuti all'errore di misura"."""


def piu_due(eta: Decimal) -> Decimal:
    """8.d "Valore rilevato + 2" (A manual L2622–2627)."""
    return Decimal(eta) + ERRORE_DI_MISURA_PUNTI


def rendimento_sufficiente(eta_rilevato: Decimal, eta_min: Decimal) -> bool:
    """8.d Sufficiente iff (η rilevato + 2) ≥ η min (A manual L2624–2627)."""
    return piu_due(eta_rilevato) >= Decimal(eta_min)


# ---------------------------------------------------------------------------
# Power from fuel flow and units (A 3.l / B 5.m; A 3.i)

PCI: dict[str, Decimal] = {
    "gas naturale": Decimal("9.60"),
    "gpl": Decimal("31.4"),
    "gasolio": Decimal("11.872"),
    "olio combustibile": Decimal("11.477"),
}
"""Fattori convenzionali (potere calorifico inferiore), R-A-08 (S1 L2288–2291, L2312–2314):
kW per m3/h for gas naturale and GPL, kW per kg/h for gasolio and olio combustibile."""


def potenza_focolare_da_portata(portata: Decimal, combustibile: CombustibileTecnico) -> Decimal:
    """Potenza termica al focolare misurata (kW) = portata × PCI (R-A-08).

    Gas: ``portata`` in m3/h; liquids: kg/h. Other fuels have no factor: the seed says to
    strike the box and give the reason in 10.a ("combustibili solidi o non comuni").
    """
    fattore = PCI.get(combustibile)
    if fattore is None:
        raise RuleViolation(
            "Per questo combustibile non c'è un fattore di conversione: annullare la potenza al focolare "
            "misurata e indicarne il motivo nelle osservazioni (10.a).",
            path=("pot_focolare_misurata_kw",),
        )
    q = Decimal(portata)
    if q < 0:
        raise RuleViolation("La portata di combustibile non può essere negativa.", path=("portata",))
    return q * fattore


KCALH_PER_KW = Decimal(860)
"""A manual 3.i (S1 L2273–2279): "Nel caso i dati siano espressi in Kcal/h occorre dividerlo per 860"."""


def kcalh_a_kw(v: Decimal) -> Decimal:
    """kcal/h → kW (÷ 860), rounded half-up to 0.01 kW (100 000 kcal/h → 116.28 ≈ "116,3 kW")."""
    return (Decimal(v) / KCALH_PER_KW).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def rendimento_globale_minimo(pn_kw: Decimal) -> Decimal:
    """Limit of the rendimento globale medio stagionale for generators older than 15 years.

    S1 §7.1 L475–482: "superiore al valore limite di 65+3 log Pn" (log10, AMB-24); rounded
    to 0.1 (AMB-25).
    """
    pn = Decimal(pn_kw)
    if not pn > 0:
        raise RuleViolation("La potenza nominale deve essere maggiore di zero.", path=("pn_kw",))
    return arrotonda_decimo(Decimal(65) + Decimal(3) * log_pn(pn))
