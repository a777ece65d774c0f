"""Combustion efficiency of the rapporti di prova (A/B 8.d): the minimum, the measured value, the verdict.

Sources: Disposizioni 18/09/2007 (seed S1), manual of Allegato A (brackets L2586–2598, η min
L2579–2633, "+2" L2620–2627) and of Allegato B (L3606–3672, the 400 kW cap L3630–3633), S1
§7.1 L475–482 (65 + 3 log Pn); FORMS.md §4 (η min), §2.12 (R-A-07, R-A-23) and UNI 10389 §6
(Siegert). The seed's ambiguities resolved here are named settings and functions: AMB-24
(``log_pn``), AMB-25 (``ARROTONDAMENTO``, ``arrotonda_decimo``, also used for CO corretto by
``domain.combustione.fumi``), AMB-26 (``fascia_da_dichiarazione``); the table of
``docs/parts/regole-combustione.md`` lists them.

Nothing here reads settings, files or the clock. Powers, temperatures and percentages are
``Decimal``; a bad one raises ``RuleViolation`` with an Italian message and a field path
(pydantic ``loc`` shape).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, get_args

from domain.combustione.combustibili import CombustibileTecnico, combustibile_liquido, normalizza
from domain.errors import RuleViolation

__all__ = [
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
    "CoefficientiSiegert",
    "COEFFICIENTI_UNI10389",
    "rendimento_combustione",
    "ERRORE_DI_MISURA_PUNTI",
    "piu_due",
    "rendimento_sufficiente",
    "rendimento_globale_minimo",
]

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
    if normalizza(valore) == DOPO_IL_29_10_1993:
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
# Rendimento globale medio stagionale (S1 §7.1)


def rendimento_globale_minimo(pn_kw: Decimal) -> Decimal:
    """Limit of the rendimento globale medio stagionale for generators older than 15 years.

    S1 §7.1 L475–482: "superiore al valore limite di 65+3 log Pn" (log10, AMB-24); rounded
    to 0.1 (AMB-25).
    """
    pn = Decimal(pn_kw)
    if not pn > 0:
        raise RuleViolation("La potenza nominale deve essere maggiore di zero.", path=("pn_kw",))
    return arrotonda_decimo(Decimal(65) + Decimal(3) * log_pn(pn))
