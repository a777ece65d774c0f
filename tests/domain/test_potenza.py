"""domain/combustione/potenza.py: power at the burner from the fuel flow (PCI, R-A-08), kcal/h → kW (3.i)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from domain.combustione import potenza, rendimento
from domain.errors import RuleViolation


# --- PCI and units --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("portata", "combustibile", "kw"),
    [
        ("2.5", "gas naturale", "24.000"),
        ("1", "gas naturale", "9.60"),
        ("1", "gpl", "31.4"),
        ("1", "gasolio", "11.872"),
        ("1", "olio combustibile", "11.477"),
        ("3.2", "gasolio", "37.9904"),
        ("10", "olio combustibile", "114.770"),
    ],
)
def test_potenza_focolare_da_portata(portata, combustibile, kw):
    assert potenza.potenza_focolare_da_portata(D(portata), combustibile) == D(kw)


@pytest.mark.parametrize("combustibile", ["solido", "altro", "altro liquido"])
def test_potenza_focolare_senza_fattore(combustibile):
    with pytest.raises(RuleViolation) as exc:
        potenza.potenza_focolare_da_portata(D(1), combustibile)
    assert "10.a" in exc.value.message


@pytest.mark.parametrize(("kcalh", "kw"), [("100000", "116.28"), ("860", "1.00"), ("20640", "24.00"), ("25000", "29.07")])
def test_kcalh_a_kw(kcalh, kw):
    assert potenza.kcalh_a_kw(D(kcalh)) == D(kw)


def test_kcalh_come_nel_seme():
    # S1 L3344–3356: "superiore a 100.000 kcal/h (116,3 kW)"
    assert rendimento.arrotonda_decimo(potenza.kcalh_a_kw(D(100000))) == D("116.3")
