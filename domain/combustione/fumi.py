"""Flue-gas analysis of the rapporti di prova (A/B 7, 8.b, 8.c): section-7 means, CO corretto, Bacharach.

Sources: Disposizioni 18/09/2007 (seed S1), manual of Allegato A: R-A-18 means (L2518–2525),
R-A-21 CO nei fumi secchi e senz'aria (L2557–2566), R-A-22 Bacharach (L2567–2577); FORMS.md
§2.9, §2.10 and §2.12, UNI 10389 §6.1 (indice d'aria). The seed's ambiguities resolved here are
named settings and functions: AMB-13 (``indice_aria``, ``co_corretto_da_prove``, ``CO2_MAX``)
and AMB-14 (``BACHARACH_LIMITE_ALTRI_LIQUIDI``); CO corretto is rounded with AMB-25's
``ARROTONDAMENTO`` of ``domain.combustione.rendimento``. ``docs/parts/regole-combustione.md``
lists them in a table.

Nothing here reads settings, files or the clock. Readings are ``Decimal`` (``None`` for a test
not made); a bad reading raises ``RuleViolation`` with an Italian message and a field path
(pydantic ``loc`` shape).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from domain.combustione.combustibili import CombustibileTecnico
from domain.combustione.rendimento import ARROTONDAMENTO
from domain.errors import RuleViolation

__all__ = [
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
]

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

