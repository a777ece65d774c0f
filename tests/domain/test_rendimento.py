"""domain/combustione/rendimento.py: FORMS.md §4 worked examples, brackets, Siegert, +2, 65 + 3 log Pn, AMB-24/25."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.combustione import rendimento
from domain.errors import RuleViolation

ACQUA_98 = "dal 01/01/1998 al 07/10/2005"


# --- FORMS.md §4 "Worked examples (log10)" ----------------------------------------------


@pytest.mark.parametrize(
    ("fluido", "fascia", "classificazione", "pn", "allegato", "atteso"),
    [
        ("acqua", ACQUA_98, "Standard", "24", "A", "86.8"),  # installed 2000
        ("acqua", ACQUA_98, "a bassa temperatura", "24", "A", "89.6"),  # 2000
        ("acqua", ACQUA_98, "a gas a condensazione", "24", "A", "92.4"),  # 2003
        ("acqua", "dal 08/10/2005", None, "24", "A", "91.8"),
        ("acqua", "prima del 29/10/1993", None, "24", "A", "84.8"),
        ("aria", "prima del 29/10/1993", None, "24", "A", "79.8"),
        ("aria", "dal 29/10/1993 al 31/12/1997", None, "24", "A", "82.8"),
        ("acqua", "dal 08/10/2005", None, "500", "B", "94.2"),  # computed at 400 kW
    ],
)
def test_eta_min_esempi_forms(fluido, fascia, classificazione, pn, allegato, atteso):
    risultato = rendimento.eta_min(
        fluido=fluido, fascia=fascia, classificazione=classificazione, pn_utile_kw=D(pn), allegato=allegato
    )
    assert risultato == D(atteso)
    assert risultato.as_tuple().exponent == -1


@pytest.mark.parametrize(
    ("fascia", "classificazione", "atteso"),
    [
        # every row of the §4 table at Pn = 100 kW (Log = 2): the formula constants in plain view
        ("prima del 29/10/1993", None, "86.0"),
        ("dal 29/10/1993 al 31/12/1997", "a bassa temperatura", "88.0"),  # "per tutte": class ignored
        (ACQUA_98, "Standard", "88.0"),
        (ACQUA_98, "a bassa temperatura", "90.5"),
        (ACQUA_98, "a gas a condensazione", "93.0"),
        ("dal 08/10/2005", "a gas a condensazione", "93.0"),
    ],
)
def test_eta_min_formule_a_100_kw(fascia, classificazione, atteso):
    assert rendimento.eta_min(
        fluido="acqua", fascia=fascia, classificazione=classificazione, pn_utile_kw=D(100), allegato="A"
    ) == D(atteso)


@pytest.mark.parametrize(
    ("fascia", "atteso"),
    [("prima del 29/10/1993", "81.0"), ("dal 29/10/1993 al 31/12/1997", "84.0"), (ACQUA_98, "84.0"), ("dal 08/10/2005", "84.0")],
)
def test_eta_min_aria_a_100_kw(fascia, atteso):
    assert rendimento.eta_min(fluido="aria", fascia=fascia, classificazione=None, pn_utile_kw=D(100), allegato="A") == D(atteso)


@pytest.mark.parametrize(
    ("pn", "allegato", "atteso"),
    [
        ("400", "B", "94.2"),
        ("401", "B", "94.2"),
        ("2000", "B", "94.2"),
        ("399", "B", "94.2"),  # 89 + 2·log10(399) = 94.2018
        ("300", "B", "94.0"),
        ("1000", "A", "95.0"),  # no cap on A
        ("500", "A", "94.4"),
    ],
)
def test_allegato_b_limita_pn_a_400_kw(pn, allegato, atteso):
    assert rendimento.eta_min(
        fluido="acqua", fascia="dal 08/10/2005", classificazione=None, pn_utile_kw=D(pn), allegato=allegato
    ) == D(atteso)


def test_cap_400_kw_anche_per_aria():
    assert rendimento.eta_min(fluido="aria", fascia="dal 08/10/2005", classificazione=None, pn_utile_kw=D(900), allegato="B") == D(
        "85.2"
    )


@pytest.mark.parametrize(
    ("combustibile", "atteso"),
    [("gasolio", "89.6"), ("olio combustibile", "89.6"), ("altro liquido", "89.6"), ("gas naturale", "92.4"), (None, "92.4")],
)
def test_condensazione_a_combustibile_liquido_come_bassa_temperatura(combustibile, atteso):
    assert rendimento.eta_min(
        fluido="acqua",
        fascia=ACQUA_98,
        classificazione="a gas a condensazione",
        pn_utile_kw=D(24),
        allegato="A",
        combustibile=combustibile,
    ) == D(atteso)


def test_eta_min_fluido_altro_none():
    assert rendimento.eta_min(fluido="altro", fascia="dal 08/10/2005", classificazione=None, pn_utile_kw=D(24), allegato="A") is None


@pytest.mark.parametrize(
    ("kwargs", "campo"),
    [
        ({"pn_utile_kw": D(0)}, "pot_utile_nom_kw"),
        ({"pn_utile_kw": D(-5)}, "pot_utile_nom_kw"),
        ({"classificazione": None}, "classificazione"),
        ({"classificazione": "condensazione"}, "classificazione"),
        ({"fascia": "dopo il 29/10/1993"}, "fascia"),
        ({"fluido": "olio diatermico"}, "fluido"),
    ],
)
def test_eta_min_errori(kwargs, campo):
    base = dict(fluido="acqua", fascia=ACQUA_98, classificazione="Standard", pn_utile_kw=D(24), allegato="A")
    with pytest.raises(RuleViolation) as exc:
        rendimento.eta_min(**{**base, **kwargs})
    assert exc.value.path == (campo,)


# --- Brackets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("giorno", "fascia"),
    [
        (date(1980, 1, 1), "prima del 29/10/1993"),
        (date(1993, 10, 28), "prima del 29/10/1993"),
        (date(1993, 10, 29), "dal 29/10/1993 al 31/12/1997"),
        (date(1997, 12, 31), "dal 29/10/1993 al 31/12/1997"),
        (date(1998, 1, 1), "dal 01/01/1998 al 07/10/2005"),
        (date(2005, 10, 7), "dal 01/01/1998 al 07/10/2005"),
        (date(2005, 10, 8), "dal 08/10/2005"),
        (date(2030, 1, 1), "dal 08/10/2005"),
    ],
)
def test_fascia_installazione_confini(giorno, fascia):
    assert rendimento.fascia_installazione(giorno) == fascia
    assert rendimento.fascia_da_dichiarazione(giorno) == fascia


@pytest.mark.parametrize("testo", ["dopo il 29/10/1993", "Dopo il 29/10/1993", "  DOPO IL 29/10/1993 "])
def test_dopo_il_29_10_1993_non_sceglie_la_fascia(testo):
    assert rendimento.fascia_da_dichiarazione(testo) is None


def test_dichiarazione_testo_libero_rifiutata():
    with pytest.raises(RuleViolation) as exc:
        rendimento.fascia_da_dichiarazione("anni novanta")
    assert exc.value.path == ("data_installazione_gen",)


# --- Measured efficiency (Siegert, UNI 10389 §6) -------------------------------------------


@pytest.mark.parametrize(
    ("combustibile", "tf", "ta", "o2", "co2", "atteso"),
    [
        # qs = (tf − ta)·(A1/(21 − O2) + B)
        ("gas naturale", "150", "20", "5", None, "93.3"),  # 130 × 0.05125 = 6.6625
        ("gas naturale", "121", "20.33", "4.1", None, "95.1"),
        ("gas naturale", "20", "20", "5", None, "100.0"),  # no temperature difference, no loss
        ("gpl", "180", "20", "6", None, "92.0"),  # 160 × (0.042 + 0.008) = 8.0
        ("gasolio", "200", "20", "4", None, "91.5"),  # 180 × (0.04 + 0.007) = 8.46
        ("olio combustibile", "240", "20", "4", None, "89.7"),  # 220 × 0.047 = 10.34
        # qs = (tf − ta)·(A2/CO2 + B)
        ("gas naturale", "150", "20", None, "9.5", "93.5"),  # 130 × (0.04 + 0.010) = 6.5
        ("gasolio", "200", "20", None, "12.5", "91.5"),  # 180 × (0.04 + 0.007) = 8.46
        ("olio combustibile", "220", "20", None, "13", "90.6"),  # 200 × 0.047 = 9.4
    ],
)
def test_rendimento_combustione(combustibile, tf, ta, o2, co2, atteso):
    eta = rendimento.rendimento_combustione(
        combustibile=combustibile,
        t_fumi_c=D(tf),
        t_aria_c=D(ta),
        o2_percent=D(o2) if o2 else None,
        co2_percent=D(co2) if co2 else None,
    )
    assert eta == D(atteso)


@pytest.mark.parametrize(
    ("kwargs", "campo"),
    [
        ({"combustibile": "solido"}, "combustibile"),
        ({"combustibile": "altro"}, "combustibile"),
        ({"t_fumi_c": D(10)}, "t_fumi"),
        ({"o2_percent": None}, "o2_co2"),
        ({"o2_percent": D(21)}, "o2_co2"),
        ({"o2_percent": None, "co2_percent": D(0)}, "o2_co2"),
    ],
)
def test_rendimento_combustione_errori(kwargs, campo):
    base = dict(combustibile="gas naturale", t_fumi_c=D(150), t_aria_c=D(20), o2_percent=D(5))
    with pytest.raises(RuleViolation) as exc:
        rendimento.rendimento_combustione(**{**base, **kwargs})
    assert exc.value.path == (campo,)


@pytest.mark.parametrize(
    ("rilevato", "minimo", "sufficiente"),
    [
        ("89.8", "91.8", True),  # 91.8 ≥ 91.8: equal is sufficient
        ("89.7", "91.8", False),
        ("93.3", "91.8", True),
        ("84.8", "86.8", True),
        ("84.7", "86.8", False),
    ],
)
def test_piu_due_e_sufficienza(rilevato, minimo, sufficiente):
    assert rendimento.piu_due(D(rilevato)) == D(rilevato) + 2
    assert rendimento.rendimento_sufficiente(D(rilevato), D(minimo)) is sufficiente


# --- 65 + 3 log Pn (S1 §7.1) ----------------------------------------------------------------


@pytest.mark.parametrize(("pn", "atteso"), [("10", "68.0"), ("100", "71.0"), ("24", "69.1"), ("350", "72.6")])
def test_rendimento_globale_minimo(pn, atteso):
    assert rendimento.rendimento_globale_minimo(D(pn)) == D(atteso)


# --- AMB settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(("valore", "atteso"), [("86.75", "86.8"), ("86.85", "86.9"), ("86.749", "86.7"), ("-0.05", "-0.1")])
def test_arrotondamento_half_up(valore, atteso):
    assert rendimento.arrotonda_decimo(D(valore)) == D(atteso)


def test_log_decimale():
    assert rendimento.log_pn(D(1000)) == D(3)
    assert abs(rendimento.log_pn(D(24)) - D("1.380211241711606")) < D("1e-15")


# --- Properties -----------------------------------------------------------------------------

_pn = st.decimals(min_value=D("0.5"), max_value=D("5000"), places=2)
_fascia_classe = st.sampled_from(
    [
        ("acqua", "prima del 29/10/1993", None),
        ("acqua", "dal 29/10/1993 al 31/12/1997", None),
        ("acqua", ACQUA_98, "Standard"),
        ("acqua", ACQUA_98, "a bassa temperatura"),
        ("acqua", ACQUA_98, "a gas a condensazione"),
        ("acqua", "dal 08/10/2005", None),
        ("aria", "prima del 29/10/1993", None),
        ("aria", "dal 08/10/2005", None),
    ]
)


@given(p1=_pn, p2=_pn, caso=_fascia_classe, allegato=st.sampled_from(["A", "B"]))
def test_eta_min_monotono_in_pn(p1, p2, caso, allegato):
    fluido, fascia, classe = caso
    basso, alto = sorted((p1, p2))
    kw = dict(fluido=fluido, fascia=fascia, classificazione=classe, allegato=allegato)
    assert rendimento.eta_min(pn_utile_kw=basso, **kw) <= rendimento.eta_min(pn_utile_kw=alto, **kw)


@given(pn=_pn, caso=_fascia_classe)
def test_eta_min_un_decimale_e_b_non_supera_a(pn, caso):
    fluido, fascia, classe = caso
    a = rendimento.eta_min(fluido=fluido, fascia=fascia, classificazione=classe, pn_utile_kw=pn, allegato="A")
    b = rendimento.eta_min(fluido=fluido, fascia=fascia, classificazione=classe, pn_utile_kw=pn, allegato="B")
    assert a.as_tuple().exponent == -1 and b.as_tuple().exponent == -1
    assert b <= a
    assert (a == b) or pn > 400

@given(
    tf=st.decimals(min_value=20, max_value=400, places=1),
    o2=st.decimals(min_value=0, max_value=20, places=1),
    combustibile=st.sampled_from(["gas naturale", "gpl", "gasolio", "olio combustibile"]),
)
def test_rendimento_un_decimale_e_decrescente_con_tf(tf, o2, combustibile):
    eta = rendimento.rendimento_combustione(combustibile=combustibile, t_fumi_c=tf, t_aria_c=D(20), o2_percent=o2)
    assert eta.as_tuple().exponent == -1
    assert eta <= 100
    piu_caldo = rendimento.rendimento_combustione(combustibile=combustibile, t_fumi_c=tf + 10, t_aria_c=D(20), o2_percent=o2)
    assert piu_caldo <= eta
