"""domain/esito.py: one scenario per trigger of the strike-through matrix (FORMS.md §2.13/§2.14)."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal as D

import pytest

from domain import esito as e
from domain.errors import RuleViolation
from domain.esito import valuta_rapporto
from domain.esito_dati import CHIAVI_BARRABILI, PRECEDENTI_NEGATIVO_DEFAULT, IngressoEsito


def _terna(*valori):
    return tuple(D(str(v)) if v is not None else None for v in valori)


# A regular gas boiler, type C, installed after 08/10/2005: 9.a with nothing negative.
BASE = IngressoEsito(
    allegato="A",
    combustibile="gas naturale",
    fluido="acqua",
    fascia="dal 08/10/2005",
    classificazione="Standard",
    pn_utile_kw=D(24),
    tipo_caldaia="C",
    foro_presente=True,
    manut_corrente="Effettuata",
    manut_precedenti="Effettuata",
    libretto_presente=True,
    t_mandata=_terna(60, 61, 62),
    t_aria=_terna(20, 20, 21),
    t_fumi=_terna(120, 122, 121),
    co_misurato=_terna(50, 60, 55),
    o2_co2=_terna(4, "4.2", "4.1"),
)

GASOLIO = dataclasses.replace(
    BASE,
    combustibile="gasolio",
    tipo_caldaia="B",
    tiraggio_pa=D(8),
    bacharach=_terna(1, 2, 1),
    t_fumi=_terna(180, 182, 181),
)


def _con(base=BASE, **modifiche):
    return valuta_rapporto(dataclasses.replace(base, **modifiche))


def test_caso_regolare_gas():
    r = valuta_rapporto(BASE)
    assert r.esito == "9.a"
    assert r.punti_non_conformi == ()
    assert r.campi_barrati == {"7.a", "7.c", "8.c", "10.b"}
    assert r.eta_min == D("91.8")
    assert r.co_corretto_ppm == 68  # 55 × 21/(21 − 4.1)
    assert r.co_regolare is True
    assert r.bacharach_ok is None
    assert r.eta_rilevato == D("95.1")
    assert r.eta_rilevato_piu_2 == D("97.1")
    assert r.rendimento_sufficiente is True
    assert r.motivazioni == ()
    assert r.medie == {
        "bacharach": None,
        "t_mandata": D("61.00"),
        "t_aria": D("20.33"),
        "t_fumi": D("121.00"),
        "co_misurato": D("55.00"),
        "o2_co2": D("4.10"),
    }


def test_foro_assente_barra_7_8bcd_e_9():
    r = _con(foro_presente=False, manut_corrente="Non effettuata")
    assert r.esito == "BARRATO"
    assert {"7", "7.a", "7.b", "7.c", "8.b", "8.c", "8.d", "9"} <= r.campi_barrati
    assert r.punti_non_conformi == ()  # no esito at all, even with maintenance not done
    assert r.note_9b == ()
    assert any("(4.a)" in m and "Foro" in m for m in r.motivazioni)
    assert r.eta_min is r.eta_rilevato is r.co_corretto_ppm is None
    assert all(v is None for v in r.medie.values())


def test_foro_assente_senza_libretto_resta_barrato_ma_annota():
    r = _con(foro_presente=False, libretto_presente=False)
    assert r.esito == "BARRATO"
    assert "5.b" in r.campi_barrati
    assert any("Libretto di impianto assente" in m and "(5.a)" in m for m in r.motivazioni)


@pytest.mark.parametrize("combustibile", ["gas naturale", "gpl"])
def test_gas_barra_7a_e_8c(combustibile):
    r = _con(combustibile=combustibile)
    assert {"7.a", "8.c"} <= r.campi_barrati
    assert r.medie["bacharach"] is None
    assert r.esito == "9.a"


def test_liquido_regolare_tipo_b():
    r = valuta_rapporto(GASOLIO)
    assert r.esito == "9.a"
    assert r.bacharach_ok is True
    assert r.medie["bacharach"] == D("1.33")
    assert not ({"7.a", "7.b", "7.c", "8.b", "8.c", "8.d"} & r.campi_barrati)
    assert r.campi_barrati == {"10.b"}
    assert r.eta_rilevato == D("92.4")  # 100 − 160.67 × (0.68/16.9 + 0.007) = 100 − 7.59


@pytest.mark.parametrize(
    ("combustibile", "letture"),
    [("gasolio", (3, 3, 1)), ("olio combustibile", (7, 8, 6)), ("gasolio", (3, 3, 3)), ("altro liquido", (3, 2, 3))],
)
def test_bacharach_non_superato(combustibile, letture):
    r = _con(GASOLIO, combustibile=combustibile, bacharach=_terna(*letture))
    assert r.bacharach_ok is False
    assert r.esito == "9.b"
    assert r.punti_non_conformi == ("8.c",)
    assert {"7.b", "7.c", "8.b", "8.d"} <= r.campi_barrati
    assert not ({"7", "7.a", "8.c"} & r.campi_barrati)  # the Bacharach row and its verdict stay
    assert r.co_corretto_ppm is None and r.eta_min is None
    assert r.medie["bacharach"] is not None and r.medie["t_fumi"] is None


def test_bacharach_non_superato_non_richiede_le_misure_7b():
    r = _con(GASOLIO, bacharach=_terna(5, 5, 5), t_fumi=(None, None, None), tiraggio_pa=None)
    assert r.esito == "9.b"


def test_bacharach_mancante_per_liquido():
    with pytest.raises(RuleViolation) as exc:
        _con(GASOLIO, bacharach=_terna(1, None, 1))
    assert exc.value.path == ("bacharach", 1)
    assert "prova 2" in exc.value.message


def test_co_irregolare_barra_8d():
    # mean CO 800, O2 6 → 800 × 1.4 = 1120 ppm
    r = _con(co_misurato=_terna(800, 800, 800), o2_co2=_terna(6, 6, 6))
    assert r.co_corretto_ppm == 1120
    assert r.co_regolare is False
    assert r.esito == "9.b"
    assert r.punti_non_conformi == ("8.b",)
    assert "8.d" in r.campi_barrati and "8.b" not in r.campi_barrati
    assert r.eta_min is None and r.eta_rilevato is None and r.rendimento_sufficiente is None


def test_co_a_1000_ppm_e_regolare():
    r = _con(co_misurato=_terna(700, 700, 700), o2_co2=_terna("6.3", "6.3", "6.3"))
    assert r.co_corretto_ppm == 1000
    assert r.co_regolare is True
    assert "8.d" not in r.campi_barrati


def test_rendimento_insufficiente():
    # hot flue gases: mean 260 °C, O2 9 → η = 100 − 239.67 × (0.66/12 + 0.010) = 84.4; 86.4 < 91.8
    r = _con(t_fumi=_terna(260, 260, 260), o2_co2=_terna(9, 9, 9), co_misurato=_terna(10, 10, 10))
    assert r.eta_rilevato == D("84.4")
    assert r.eta_rilevato_piu_2 == D("86.4")
    assert r.rendimento_sufficiente is False
    assert r.esito == "9.b"
    assert r.punti_non_conformi == ("8.d",)


def test_rendimento_uguale_al_minimo_piu_due_e_sufficiente():
    r = _con(eta_min_manuale=D("97.1"))
    assert r.eta_rilevato_piu_2 == D("97.1")
    assert r.rendimento_sufficiente is True
    assert _con(eta_min_manuale=D("97.2")).rendimento_sufficiente is False


def test_tipo_c_barra_7c_tipo_b_richiede_tiraggio():
    assert "7.c" in _con(tipo_caldaia="C").campi_barrati
    assert "7.c" not in _con(tipo_caldaia="B", tiraggio_pa=D(6)).campi_barrati
    with pytest.raises(RuleViolation) as exc:
        _con(tipo_caldaia="B", tiraggio_pa=None)
    assert exc.value.path == ("tiraggio_pa",)


@pytest.mark.parametrize(("tiraggio", "nota"), [("1", True), ("2.5", True), ("3", True), ("0.9", False), ("3.1", False)])
def test_tiraggio_tra_1_e_3_pa_richiede_confronto(tiraggio, nota):
    r = _con(tipo_caldaia="B", tiraggio_pa=D(tiraggio))
    assert any("UNI 10845" in m for m in r.motivazioni) is nota


def test_tipo_caldaia_obbligatorio_su_a():
    with pytest.raises(RuleViolation) as exc:
        _con(tipo_caldaia=None)
    assert exc.value.path == ("tipo_caldaia",)


@pytest.mark.parametrize(("tiraggio", "barrato"), [(None, True), (D(5), False)])
def test_allegato_b_tipo_nascosto_amb21(tiraggio, barrato):
    r = _con(allegato="B", tipo_caldaia=None, tiraggio_pa=tiraggio)
    assert ("7.c" in r.campi_barrati) is barrato


def test_fluido_altro_senza_minimo_dichiarato():
    r = _con(fluido="altro")
    assert "8.d" in r.campi_barrati
    assert any("(8.d)" in m for m in r.motivazioni)
    assert r.eta_min is None and r.rendimento_sufficiente is None
    assert r.co_regolare is True  # 8.b is still evaluated
    assert r.esito == "9.a"


def test_fluido_altro_con_minimo_dichiarato():
    r = _con(fluido="altro", eta_min_manuale=D("90"))
    assert "8.d" not in r.campi_barrati
    assert r.eta_min == D("90.0")
    assert r.rendimento_sufficiente is True


@pytest.mark.parametrize("combustibile", ["solido", "altro"])
def test_combustibile_non_uni_rispetta_limiti(combustibile):
    r = _con(combustibile=combustibile, limiti_libretto_rispettati=True, o2_co2=(None, None, None))
    assert {"7", "7.a", "7.b", "7.c", "8.b", "8.c", "8.d"} <= r.campi_barrati
    assert "9" not in r.campi_barrati
    assert r.esito == "9.a"
    assert any("UNI 10389" in m and "(7)" in m for m in r.motivazioni)  # procedure noted in 10.a


def test_combustibile_solido_limiti_non_rispettati_amb17():
    r = _con(combustibile="solido", limiti_libretto_rispettati=False)
    assert r.esito == "9.b"
    assert r.punti_non_conformi == ()  # AMB-17 default: free-text motivation, no box
    assert any("limiti di esercizio" in n for n in r.note_9b)


def test_amb17_casella_configurabile(monkeypatch):
    monkeypatch.setattr(e, "CASELLA_9B_LIMITI_LIBRETTO", "8.a")
    r = _con(combustibile="solido", limiti_libretto_rispettati=False)
    assert r.punti_non_conformi == ("8.a",)


def test_combustibile_solido_richiede_la_dichiarazione_sui_limiti():
    with pytest.raises(RuleViolation) as exc:
        _con(combustibile="solido")
    assert exc.value.path == ("limiti_libretto_rispettati",)


@pytest.mark.parametrize(("allegato", "campo", "compilazione", "nome"), [("A", "5.a", "5.b", "Libretto di impianto"), ("B", "4.a", "4.b", "Libretto di centrale")])
def test_libretto_assente_da_9b(allegato, campo, compilazione, nome):
    r = _con(allegato=allegato, libretto_presente=False)
    assert r.esito == "9.b"
    assert r.punti_non_conformi == ("8.a",)
    assert compilazione in r.campi_barrati
    assert any(nome in n for n in r.note_9b)  # in the 9.b notes …
    assert any(nome in m and f"({campo})" in m for m in r.motivazioni)  # … and in 10.a


def test_libretto_assente_con_combustibile_solido():
    r = _con(combustibile="solido", limiti_libretto_rispettati=True, libretto_presente=False)
    assert r.esito == "9.b"
    assert r.punti_non_conformi == ("8.a",)


def test_manutenzione_in_corso_non_effettuata():
    r = _con(manut_corrente="Non effettuata")
    assert r.esito == "9.b"
    assert r.punti_non_conformi == ("8.a",)
    assert r.note_9b == ("Manutenzione non effettuata: Anno/Biennio in corso",)


@pytest.mark.parametrize(("precedenti_negativo", "esito"), [(True, "9.b"), (False, "9.a")])
def test_manutenzione_precedente_amb16(precedenti_negativo, esito):
    r = _con(manut_precedenti="Non effettuata", precedenti_negativo=precedenti_negativo)
    assert r.esito == esito


def test_amb16_default_negativo():
    assert PRECEDENTI_NEGATIVO_DEFAULT is True
    assert _con(manut_precedenti="Non effettuata").punti_non_conformi == ("8.a",)
    assert _con(allegato="B", manut_precedenti="Non effettuata").note_9b == ("Manutenzione non effettuata: Anni precedenti",)


@pytest.mark.parametrize("presente", [False, True, None])
def test_allegato_g_mancante_non_rende_negativo(presente):
    assert _con(allegato_gf_presente=presente).esito == "9.a"


def test_piu_punti_negativi_in_ordine():
    r = _con(
        GASOLIO,
        bacharach=_terna(4, 4, 4),
        manut_corrente="Non effettuata",
        libretto_presente=False,
    )
    assert r.punti_non_conformi == ("8.a", "8.c")
    r = _con(co_misurato=_terna(900, 900, 900), o2_co2=_terna(8, 8, 8), manut_corrente="Non effettuata")
    assert r.punti_non_conformi == ("8.a", "8.b")


def test_generatore_esterno_barra_4c_solo_su_a():
    assert "4.c" in _con(generatore_esterno=True).campi_barrati
    assert "4.c" not in _con(allegato="B", generatore_esterno=True).campi_barrati


def test_solo_acs_barra_1p_e_prova_in_acs_annotata():
    assert "1.p" in _con(solo_acs=True).campi_barrati
    r = _con(prova_in_acs=True)
    assert "prova eseguita con generatore in produzione di acqua calda sanitaria (7.b)" in r.motivazioni


def test_misure_impossibili():
    r = _con(misure_impossibili="generatore spento per guasto", co_misurato=(None, None, None))
    assert {"7", "8.b", "8.c", "8.d"} <= r.campi_barrati
    assert r.esito == "9.a"
    assert "Misure non eseguite: generatore spento per guasto (7)" in r.motivazioni


def test_codici_nc():
    assert "10.b" in valuta_rapporto(BASE).campi_barrati
    r = _con(codici_nc=("a7", "A15"))
    assert "10.b" not in r.campi_barrati
    assert r.codici_nc == ("A7", "A15")
    assert r.esito == "9.a"  # codes alone do not decide the esito


def test_codici_nc_oltre_gli_otto_posti_amb11():
    codici = tuple(f"A{n}" for n in range(1, 11))
    r = _con(codici_nc=codici)
    assert r.codici_nc == codici[:8]
    assert "Ulteriori codici di non conformità: A9, A10 (10.b)" in r.motivazioni


@pytest.mark.parametrize(("allegato", "codice"), [("A", "C3"), ("B", "A1"), ("A", "A19")])
def test_codici_nc_dell_altro_allegato_rifiutati(allegato, codice):
    with pytest.raises(RuleViolation) as exc:
        _con(allegato=allegato, codici_nc=(codice,))
    assert exc.value.path == ("codici_nc", 0)


def test_amb26_senza_fascia_serve_il_minimo_manuale():
    with pytest.raises(RuleViolation) as exc:
        _con(fascia=None)
    assert exc.value.path == ("fascia",)
    assert "dopo il 29/10/1993" in exc.value.message
    assert _con(fascia=None, eta_min_manuale=D("91.76")).eta_min == D("91.8")


def test_amb26_senza_fascia_non_serve_se_8d_barrato():
    assert _con(fascia=None, foro_presente=False).esito == "BARRATO"
    assert _con(fascia=None, combustibile="solido", limiti_libretto_rispettati=True).esito == "9.a"


def test_pn_mancante():
    with pytest.raises(RuleViolation) as exc:
        _con(pn_utile_kw=None)
    assert exc.value.path == ("pn_utile_kw",)


def test_allegato_b_limita_pn():
    r = _con(allegato="B", pn_utile_kw=D(500))
    assert r.eta_min == D("94.2")


def test_cella_co2():
    r = _con(cella="CO2", o2_co2=_terna("9.5", "9.5", "9.5"), co_misurato=_terna(100, 100, 100))
    assert r.co_corretto_ppm == 123  # 100 × 11.7/9.5
    assert r.eta_rilevato == D("95.0")  # 100.67 × (0.38/9.5 + 0.010) = 5.03


@pytest.mark.parametrize("campo", ["t_mandata", "t_aria", "t_fumi", "co_misurato", "o2_co2"])
def test_misura_7b_mancante(campo):
    with pytest.raises(RuleViolation) as exc:
        _con(**{campo: _terna(1, 1, None)})
    assert exc.value.path == (campo, 2)
    assert "(7.b)" in exc.value.message


@pytest.mark.parametrize(
    ("modifica", "campo"),
    [
        ({"combustibile": "metano"}, "combustibile"),
        ({"fluido": "vapore"}, "fluido"),
        ({"fascia": "1999"}, "fascia"),
        ({"manut_corrente": "Si"}, "manut_corrente"),
        ({"cella": "N2"}, "cella"),
        ({"allegato": "G"}, "allegato"),
        ({"t_fumi": (D(1), D(2))}, "t_fumi"),
    ],
)
def test_ingresso_non_valido(modifica, campo):
    with pytest.raises(RuleViolation) as exc:
        dataclasses.replace(BASE, **modifica)
    assert exc.value.path == (campo,)


def test_as_dict_json():
    r = _con(GASOLIO, codici_nc=("A18",), manut_corrente="Non effettuata")
    d = r.as_dict()
    json.dumps(d)  # JSON-ready
    assert d["eta_min"] == "91.8" and d["eta_rilevato"] == "92.4"
    assert d["esito"] == "9.b" and d["punti_non_conformi"] == ["8.a"]
    assert d["medie"]["bacharach"] == "1.33"
    assert d["codici_nc"] == ["A18"]
    assert d["campi_barrati"] == []
    d = _con(foro_presente=False, solo_acs=True).as_dict()
    assert d["campi_barrati"] == ["1.p", "7", "7.a", "7.b", "7.c", "8.b", "8.c", "8.d", "9", "10.b"]


@pytest.mark.parametrize(
    "ingresso",
    [
        BASE,
        GASOLIO,
        dataclasses.replace(BASE, foro_presente=False),
        dataclasses.replace(BASE, combustibile="solido", limiti_libretto_rispettati=False, libretto_presente=False),
        dataclasses.replace(GASOLIO, bacharach=_terna(9, 9, 9), solo_acs=True, generatore_esterno=True),
        dataclasses.replace(BASE, fluido="altro", codici_nc=("A1",)),
    ],
)
def test_invarianti(ingresso):
    r = valuta_rapporto(ingresso)
    assert r.campi_barrati <= CHIAVI_BARRABILI
    assert "8.a" not in r.campi_barrati and "10.a" not in r.campi_barrati
    if "7" in r.campi_barrati:
        assert {"7.a", "7.b", "7.c"} <= r.campi_barrati
    assert (r.esito == "BARRATO") == ("9" in r.campi_barrati)
    if r.esito == "9.a":
        assert r.punti_non_conformi == () and r.note_9b == ()
    assert list(r.punti_non_conformi) == sorted(r.punti_non_conformi)
    # a struck section carries no value
    if "8.d" in r.campi_barrati:
        assert r.eta_min is r.eta_rilevato is r.rendimento_sufficiente is None
    if "8.b" in r.campi_barrati:
        assert r.co_corretto_ppm is None
    if "8.c" in r.campi_barrati:
        assert r.bacharach_ok is None
