"""Power of the generator in the rapporti di prova: at the burner from the fuel flow, and kcal/h → kW.

Potenza termica al focolare misurata from the fuel flow (A 3.l / B 5.m) and plate data given in
kcal/h (A 3.i). Sources: Disposizioni 18/09/2007 (seed S1) R-A-08, the conventional factors
(L2288–2291, L2312–2314), and the manual of Allegato A on 3.i (L2273–2279); FORMS.md §2.5 and
§2.12. The project's decision on kcal/h precision is in the table of
``docs/parts/regole-combustione.md``.

Nothing here reads settings, files or the clock. Flows and powers are ``Decimal``; a bad one
raises ``RuleViolation`` with an Italian message and a field path (pydantic ``loc`` shape).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from domain.combustione.combustibili import CombustibileTecnico
from domain.errors import RuleViolation

__all__ = [
    "PCI",
    "potenza_focolare_da_portata",
    "KCALH_PER_KW",
    "kcalh_a_kw",
]

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
