"""domain/contributo.py: contributo regionale bands (FORMS.md §17) and model selection (§13.1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.contributo import (
    FAMIGLIE,
    FASCE,
    allegato_per_potenza,
    contributo_regionale,
    fascia_potenza,
    potenza_kw,
)
from domain.errors import RuleViolation


@pytest.mark.parametrize(
    ("potenza", "codice", "importo"),
    [
        ("0.5", "F1", "1.00"),
        ("34.9999", "F1", "1.00"),
        ("35", "F2", "1.50"),  # "exactly 35 kW → 35-50"
        ("50", "F2", "1.50"),
        ("50.0001", "F3", "3.50"),  # AMB-52: the 50–50,1 gap belongs to the upper band
        ("116.3", "F3", "3.50"),
        ("116.30001", "F4", "10.00"),  # AMB-52: the 116,3–116,4 gap
        ("116.35", "F4", "10.00"),
        ("350", "F4", "10.00"),  # "350 kW → 116,4 – 350"
        ("350.0001", "F5", "18.00"),
        ("2000", "F5", "18.00"),
    ],
)
def test_band_edges(potenza: str, codice: str, importo: str) -> None:
    f = fascia_potenza(Decimal(potenza))
    assert f.codice == codice
    assert f.importo == Decimal(importo)
    assert contributo_regionale(potenza) == Decimal(importo)


def test_labels_and_amounts_as_printed() -> None:
    assert [(f.etichetta, str(f.importo)) for f in FASCE] == [
        ("Potenza inferiore a 35 kW", "1.00"),
        ("Potenza 35-50 kW", "1.50"),
        ("Potenza 50,1-116,3 kW", "3.50"),
        ("Potenza 116,4 – 350 kW", "10.00"),
        ("Potenza maggiore di 350 kW", "18.00"),
    ]


def test_amb51_table_not_formula() -> None:
    formula = [f.importo_da_formula for f in FASCE]
    assert formula == [Decimal("1.05"), Decimal("1.50"), Decimal("3.489"), Decimal("10.50"), Decimal("18.00")]
    assert fascia_potenza(10).importo == Decimal("1.00") != formula[0]
    assert fascia_potenza(200).importo == Decimal("10.00") != formula[3]


def test_floats_keep_their_decimal_meaning() -> None:
    assert fascia_potenza(116.3).codice == "F3"
    assert fascia_potenza(116.30001).codice == "F4"
    assert potenza_kw("116,3") == Decimal("116.3")


@given(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("100000"), places=4))
def test_every_positive_power_in_exactly_one_band(p: Decimal) -> None:
    assert sum(f.contiene(p) for f in FASCE) == 1


@pytest.mark.parametrize("potenza", [0, "-1", "dieci", Decimal("Infinity")])
def test_invalid_power(potenza) -> None:
    with pytest.raises(RuleViolation) as exc:
        fascia_potenza(potenza)
    assert exc.value.path == ("potenza_focolare_totale_kw",)


@pytest.mark.parametrize(
    ("famiglia", "piccolo", "grande"),
    [
        ("rapporto_controllo", "G", "F"),
        ("rapporto_prova", "A", "B"),
        ("scheda_identificativa", "E1", "E2"),
        ("nomina_terzo_responsabile", "H", "I"),
    ],
)
def test_allegato_per_potenza(famiglia: str, piccolo: str, grande: str) -> None:
    assert allegato_per_potenza(Decimal("4"), famiglia) == piccolo
    assert allegato_per_potenza(Decimal("34.99"), famiglia) == piccolo
    assert allegato_per_potenza(Decimal("35"), famiglia) == grande
    assert allegato_per_potenza(Decimal("1200"), famiglia) == grande
    assert FAMIGLIE[famiglia] == (piccolo, grande)


def test_unknown_family() -> None:
    with pytest.raises(RuleViolation) as exc:
        allegato_per_potenza(10, "altro")  # type: ignore[arg-type]
    assert exc.value.path == ("famiglia",)
