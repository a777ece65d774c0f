"""domain/combustione.py: FORMS.md §4 worked examples, brackets, CO, Bacharach, Siegert, PCI."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import combustione as c
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
    risultato = c.eta_min(
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
    assert c.eta_min(
        fluido="acqua", fascia=fascia, classificazione=classificazione, pn_utile_kw=D(100), allegato="A"
    ) == D(atteso)


@pytest.mark.parametrize(
    ("fascia", "atteso"),
    [("prima del 29/10/1993", "81.0"), ("dal 29/10/1993 al 31/12/1997", "84.0"), (ACQUA_98, "84.0"), ("dal 08/10/2005", "84.0")],
)
def test_eta_min_aria_a_100_kw(fascia, atteso):
    assert c.eta_min(fluido="aria", fascia=fascia, classificazione=None, pn_utile_kw=D(100), allegato="A") == D(atteso)


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
    assert c.eta_min(
        fluido="acqua", fascia="dal 08/10/2005", classificazione=None, pn_utile_kw=D(pn), allegato=allegato
    ) == D(atteso)


def test_cap_400_kw_anche_per_aria():
    assert c.eta_min(fluido="aria", fascia="dal 08/10/2005", classificazione=None, pn_utile_kw=D(900), allegato="B") == D(
        "85.2"
    )


@pytest.mark.parametrize(
    ("combustibile", "atteso"),
    [("gasolio", "89.6"), ("olio combustibile", "89.6"), ("altro liquido", "89.6"), ("gas naturale", "92.4"), (None, "92.4")],
)
def test_condensazione_a_combustibile_liquido_come_bassa_temperatura(combustibile, atteso):
    assert c.eta_min(
        fluido="acqua",
        fascia=ACQUA_98,
        classificazione="a gas a condensazione",
        pn_utile_kw=D(24),
        allegato="A",
        combustibile=combustibile,
    ) == D(atteso)


def test_eta_min_fluido_altro_none():
    assert c.eta_min(fluido="altro", fascia="dal 08/10/2005", classificazione=None, pn_utile_kw=D(24), allegato="A") is None


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
        c.eta_min(**{**base, **kwargs})
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
    assert c.fascia_installazione(giorno) == fascia
    assert c.fascia_da_dichiarazione(giorno) == fascia


@pytest.mark.parametrize("testo", ["dopo il 29/10/1993", "Dopo il 29/10/1993", "  DOPO IL 29/10/1993 "])
def test_dopo_il_29_10_1993_non_sceglie_la_fascia(testo):
    assert c.fascia_da_dichiarazione(testo) is None


def test_dichiarazione_testo_libero_rifiutata():
    with pytest.raises(RuleViolation) as exc:
        c.fascia_da_dichiarazione("anni novanta")
    assert exc.value.path == ("data_installazione_gen",)


# --- Fuels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scelta", "testo", "atteso"),
    [
        ("Gas naturale", None, "gas naturale"),
        ("GAS NATURALE", None, "gas naturale"),
        ("GPL", None, "gpl"),
        ("Gpl", None, "gpl"),
        ("Gasolio", None, "gasolio"),
        ("Olio combustibile", None, "olio combustibile"),
        ("olio comb.", None, "olio combustibile"),
        ("Kerosene", None, "altro liquido"),
        ("Altro", "olio combustibile", "olio combustibile"),
        ("Altro", "Olio combustibile BTZ", "olio combustibile"),
        ("Altro", "emulsione acqua-olio", "olio combustibile"),
        ("Altro", "legna", "solido"),
        ("Altro", "Legno", "solido"),
        ("Altro", "pellet di legno", "solido"),
        ("Altro", "carbone", "solido"),
        ("Altro", "cippato", "solido"),
        ("Altro", "biogas", "altro"),
        ("Altro", "Biogas da digestore", "altro"),
        ("Altro", "gas residui di lavorazione", "altro"),
        ("Altro", "metano", "gas naturale"),
        ("Altro", "propano", "gpl"),
        ("altro", "cherosene", "altro liquido"),
        ("Altro", "petrolio", "altro liquido"),
        ("Altro", "olio vegetale", "altro"),  # unknown → not covered by UNI 10389
        ("Altro", "idrogeno", "altro"),
    ],
)
def test_combustibile_tecnico(scelta, testo, atteso):
    assert c.combustibile_tecnico(scelta, testo) == atteso


@pytest.mark.parametrize(
    ("scelta", "testo", "campo"),
    [("Altro", None, "altro_testo"), ("Altro", "   ", "altro_testo"), ("", None, "combustibile"), ("acqua", None, "combustibile")],
)
def test_combustibile_tecnico_errori(scelta, testo, campo):
    with pytest.raises(RuleViolation) as exc:
        c.combustibile_tecnico(scelta, testo)
    assert exc.value.path == (campo,)
    assert exc.value.message.endswith(".")


@pytest.mark.parametrize(
    ("classe", "non_uni", "liquido", "gassoso", "bacharach"),
    [
        ("gas naturale", False, False, True, None),
        ("gpl", False, False, True, None),
        ("gasolio", False, True, False, 2),
        ("olio combustibile", False, True, False, 6),
        ("altro liquido", False, True, False, c.BACHARACH_LIMITE_ALTRI_LIQUIDI),
        ("solido", True, False, False, None),
        ("altro", True, False, False, None),
    ],
)
def test_classi_di_combustibile(classe, non_uni, liquido, gassoso, bacharach):
    assert c.non_uni10389(classe) is non_uni
    assert c.combustibile_liquido(classe) is liquido
    assert c.combustibile_gassoso(classe) is gassoso
    assert c.bacharach_limite(classe) == bacharach


def test_ogni_classe_e_coperta():
    assert set(c.COMBUSTIBILI_TECNICI) == {"gas naturale", "gpl", "gasolio", "olio combustibile", "altro liquido", "solido", "altro"}
    # the classes covered by UNI 10389 are exactly those with Siegert coefficients and CO2max
    coperti = {k for k in c.COMBUSTIBILI_TECNICI if not c.non_uni10389(k)}
    assert coperti == set(c.COEFFICIENTI_UNI10389) == set(c.CO2_MAX)


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
    risultato = c.media([D(v) if v is not None else None for v in valori])
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
    assert c.co_corretto(D(co), o2_percent=D(o2)) == atteso


def test_co_corretto_arrotonda_mezzo_per_eccesso():
    # 50 × 21/(21 − 0.35) = 50 × 1.016949… = 50.85 → 51; 10 × 21/16.8 = 12.5 → 13 (half-up)
    assert c.co_corretto(D("50"), o2_percent=D("0.35")) == 51
    assert c.co_corretto(D("10"), o2_percent=D("4.2")) == 13


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
    assert c.co_corretto(D(co), co2_percent=D(co2), combustibile=combustibile) == atteso


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
        c.indice_aria(**kwargs)
    assert exc.value.path == (campo,)


def test_co_negativo_rifiutato():
    with pytest.raises(RuleViolation):
        c.co_corretto(D(-1), o2_percent=D(3))


def test_co_corretto_da_prove_usa_le_medie():
    # AMB-13: mean CO 116.67 and mean O2 6.00 → 116.67 × 1.4 = 163.34 → 163
    co = (D(100), D(120), D(130))
    o2 = (D(5), D(6), D(7))
    assert c.co_corretto_da_prove(co, o2, cella="O2") == 163
    # per-test correction would give round((131.25 + 168 + 185.71) / 3) = 162: the mean is the rule
    assert c.co_corretto_da_prove((D(100),) * 3, (D("5.85"),) * 3, cella="CO2", combustibile="gas naturale") == 200


@pytest.mark.parametrize(("valore", "regolare"), [(0, True), (999, True), (1000, True), (1001, False), (5000, False)])
def test_co_regolare(valore, regolare):
    assert c.co_regolare(valore) is regolare
    assert c.CO_LIMITE_PPM == 1000


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
    assert c.bacharach_superato(valori, combustibile) is atteso


@pytest.mark.parametrize("letture", [(D(1), D(10), D(1)), (D(-1), D(1), D(1))])
def test_bacharach_fuori_scala(letture):
    with pytest.raises(RuleViolation) as exc:
        c.bacharach_superato(letture, "gasolio")
    assert exc.value.path[0] == "bacharach"


def test_bacharach_al_massimo_tre_letture():
    with pytest.raises(RuleViolation):
        c.bacharach_superato([D(1)] * 4, "gasolio")


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
    eta = c.rendimento_combustione(
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
        c.rendimento_combustione(**{**base, **kwargs})
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
    assert c.piu_due(D(rilevato)) == D(rilevato) + 2
    assert c.rendimento_sufficiente(D(rilevato), D(minimo)) is sufficiente


# --- PCI, units, 65 + 3 log Pn --------------------------------------------------------------


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
    assert c.potenza_focolare_da_portata(D(portata), combustibile) == D(kw)


@pytest.mark.parametrize("combustibile", ["solido", "altro", "altro liquido"])
def test_potenza_focolare_senza_fattore(combustibile):
    with pytest.raises(RuleViolation) as exc:
        c.potenza_focolare_da_portata(D(1), combustibile)
    assert "10.a" in exc.value.message


@pytest.mark.parametrize(("kcalh", "kw"), [("100000", "116.28"), ("860", "1.00"), ("20640", "24.00"), ("25000", "29.07")])
def test_kcalh_a_kw(kcalh, kw):
    assert c.kcalh_a_kw(D(kcalh)) == D(kw)


def test_kcalh_come_nel_seme():
    # S1 L3344–3356: "superiore a 100.000 kcal/h (116,3 kW)"
    assert c.arrotonda_decimo(c.kcalh_a_kw(D(100000))) == D("116.3")


@pytest.mark.parametrize(("pn", "atteso"), [("10", "68.0"), ("100", "71.0"), ("24", "69.1"), ("350", "72.6")])
def test_rendimento_globale_minimo(pn, atteso):
    assert c.rendimento_globale_minimo(D(pn)) == D(atteso)


# --- AMB settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(("valore", "atteso"), [("86.75", "86.8"), ("86.85", "86.9"), ("86.749", "86.7"), ("-0.05", "-0.1")])
def test_arrotondamento_half_up(valore, atteso):
    assert c.arrotonda_decimo(D(valore)) == D(atteso)


def test_log_decimale():
    assert c.log_pn(D(1000)) == D(3)
    assert abs(c.log_pn(D(24)) - D("1.380211241711606")) < D("1e-15")


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
    assert c.eta_min(pn_utile_kw=basso, **kw) <= c.eta_min(pn_utile_kw=alto, **kw)


@given(pn=_pn, caso=_fascia_classe)
def test_eta_min_un_decimale_e_b_non_supera_a(pn, caso):
    fluido, fascia, classe = caso
    a = c.eta_min(fluido=fluido, fascia=fascia, classificazione=classe, pn_utile_kw=pn, allegato="A")
    b = c.eta_min(fluido=fluido, fascia=fascia, classificazione=classe, pn_utile_kw=pn, allegato="B")
    assert a.as_tuple().exponent == -1 and b.as_tuple().exponent == -1
    assert b <= a
    assert (a == b) or pn > 400


@given(
    co=st.decimals(min_value=0, max_value=20000, places=1),
    o2=st.decimals(min_value=0, max_value=20, places=2),
)
def test_co_corretto_non_minore_del_misurato(co, o2):
    corretto = c.co_corretto(co, o2_percent=o2)
    assert isinstance(corretto, int)
    assert corretto >= co.to_integral_value(rounding="ROUND_HALF_UP")


@given(
    tf=st.decimals(min_value=20, max_value=400, places=1),
    o2=st.decimals(min_value=0, max_value=20, places=1),
    combustibile=st.sampled_from(["gas naturale", "gpl", "gasolio", "olio combustibile"]),
)
def test_rendimento_un_decimale_e_decrescente_con_tf(tf, o2, combustibile):
    eta = c.rendimento_combustione(combustibile=combustibile, t_fumi_c=tf, t_aria_c=D(20), o2_percent=o2)
    assert eta.as_tuple().exponent == -1
    assert eta <= 100
    piu_caldo = c.rendimento_combustione(combustibile=combustibile, t_fumi_c=tf + 10, t_aria_c=D(20), o2_percent=o2)
    assert piu_caldo <= eta
