"""domain/combustione/fumi.py: section-7 means, CO corretto (O2 and CO2 cells, AMB-13), Bacharach 2 of 3 (AMB-14)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.combustione import fumi
from domain.errors import RuleViolation


# --- Means, CO ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("valori", "atteso"),
    [
        (["1", "2", "3"], "2.00"),
        (["100", "120", "130"], "116.67"),
        (["4.1", "4.2", "4.25"], "4.18"),  # 4.18333
        (["0.005", "0.005", "0.005"], "0.01"),  # half-up
        (["5", None, "7"], "6.00"),
        ([None, None, None], None),
        ([], None),
    ],
)
def test_media(valori, atteso):
    risultato = fumi.media([D(v) if v is not None else None for v in valori])
    assert risultato == (D(atteso) if atteso else None)


@pytest.mark.parametrize(
    ("co", "o2", "atteso"),
    [
        ("100", "0", 100),  # no excess air
        ("100", "10.5", 200),  # n = 2
        ("100", "5", 131),  # 131.25
        ("60", "7", 90),  # 21/14 = 1.5
        ("55", "4.1", 68),  # 68.34
        ("700", "6.3", 1000),  # exactly 1000: still regular
        ("701", "6.3", 1001),  # 1001.43
        ("333", "14", 999),  # 999.0
        ("40", "17", 210),
        ("0", "12", 0),
    ],
)
def test_co_corretto_con_o2(co, o2, atteso):
    assert fumi.co_corretto(D(co), o2_percent=D(o2)) == atteso


def test_co_corretto_arrotonda_mezzo_per_eccesso():
    # 50 × 21/(21 − 0.35) = 50 × 1.016949… = 50.85 → 51; 10 × 21/16.8 = 12.5 → 13 (half-up)
    assert fumi.co_corretto(D("50"), o2_percent=D("0.35")) == 51
    assert fumi.co_corretto(D("10"), o2_percent=D("4.2")) == 13


@pytest.mark.parametrize(
    ("combustibile", "co2", "co", "atteso"),
    [
        ("gas naturale", "11.7", "100", 100),
        ("gas naturale", "5.85", "100", 200),
        ("gasolio", "7.7", "100", 200),
        ("olio combustibile", "10.6", "100", 150),
        ("gpl", "13.9", "250", 250),
    ],
)
def test_co_corretto_con_co2(combustibile, co2, co, atteso):
    assert fumi.co_corretto(D(co), co2_percent=D(co2), combustibile=combustibile) == atteso


@pytest.mark.parametrize(
    ("kwargs", "campo"),
    [
        ({"o2_percent": D(21)}, "o2_co2"),
        ({"o2_percent": D(-1)}, "o2_co2"),
        ({}, "o2_co2"),
        ({"o2_percent": D(3), "co2_percent": D(9)}, "o2_co2"),
        ({"co2_percent": D(9), "combustibile": "solido"}, "cella"),
        ({"co2_percent": D(12), "combustibile": "gas naturale"}, "o2_co2"),  # above CO2max 11.7
        ({"co2_percent": D(0), "combustibile": "gas naturale"}, "o2_co2"),
    ],
)
def test_indice_aria_errori(kwargs, campo):
    with pytest.raises(RuleViolation) as exc:
        fumi.indice_aria(**kwargs)
    assert exc.value.path == (campo,)


def test_co_negativo_rifiutato():
    with pytest.raises(RuleViolation):
        fumi.co_corretto(D(-1), o2_percent=D(3))


def test_co_corretto_da_prove_usa_le_medie():
    # AMB-13: mean CO 116.67 and mean O2 6.00 → 116.67 × 1.4 = 163.34 → 163
    co = (D(100), D(120), D(130))
    o2 = (D(5), D(6), D(7))
    assert fumi.co_corretto_da_prove(co, o2, cella="O2") == 163
    # per-test correction would give round((131.25 + 168 + 185.71) / 3) = 162: the mean is the rule
    assert fumi.co_corretto_da_prove((D(100),) * 3, (D("5.85"),) * 3, cella="CO2", combustibile="gas naturale") == 200


@pytest.mark.parametrize(("valore", "regolare"), [(0, True), (999, True), (1000, True), (1001, False), (5000, False)])
def test_co_regolare(valore, regolare):
    assert fumi.co_regolare(valore) is regolare
    assert fumi.CO_LIMITE_PPM == 1000


# --- Bacharach ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("letture", "combustibile", "atteso"),
    [
        (("1", "2", "2"), "gasolio", True),
        (("2", "2", "3"), "gasolio", True),  # two of three within the limit
        (("3", "2", "3"), "gasolio", False),
        (("3", "3", "3"), "gasolio", False),
        (("0", "0", "9"), "gasolio", True),
        (("6", "6", "7"), "olio combustibile", True),
        (("7", "6", "7"), "olio combustibile", False),
        (("5", "5", "5"), "olio combustibile", True),
        (("2", None, "2"), "gasolio", True),  # a missing reading is not within the limit…
        (("2", None, "3"), "gasolio", False),  # …so one valid pass is not enough
        ((None, None, None), "gasolio", False),
        (("2.5", "2", "2.5"), "altro liquido", False),  # AMB-14 default 2
        (("1", "1", "1"), "gas naturale", None),  # not applicable
        (("1", "1", "1"), "gpl", None),
        ((None, None, None), "solido", None),
        ((None, None, None), "altro", None),
    ],
)
def test_bacharach_due_su_tre(letture, combustibile, atteso):
    valori = [D(v) if v is not None else None for v in letture]
    assert fumi.bacharach_superato(valori, combustibile) is atteso


@pytest.mark.parametrize("letture", [(D(1), D(10), D(1)), (D(-1), D(1), D(1))])
def test_bacharach_fuori_scala(letture):
    with pytest.raises(RuleViolation) as exc:
        fumi.bacharach_superato(letture, "gasolio")
    assert exc.value.path[0] == "bacharach"


def test_bacharach_al_massimo_tre_letture():
    with pytest.raises(RuleViolation):
        fumi.bacharach_superato([D(1)] * 4, "gasolio")


# --- Properties -----------------------------------------------------------------------------


@given(
    co=st.decimals(min_value=0, max_value=20000, places=1),
    o2=st.decimals(min_value=0, max_value=20, places=2),
)
def test_co_corretto_non_minore_del_misurato(co, o2):
    corretto = fumi.co_corretto(co, o2_percent=o2)
    assert isinstance(corretto, int)
    assert corretto >= co.to_integral_value(rounding="ROUND_HALF_UP")
