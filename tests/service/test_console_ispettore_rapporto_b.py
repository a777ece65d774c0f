"""The ispettore's rapporto di prova Allegato B (35 kW and over: foglio 1 + one sheet per generator)
from an impianto of the catasto, over the API and from the console: each generator's esito and the
overall one computed by the same function as ``POST /ispettore/esito``, Italian errors naming the
sheet and the field (input kept), a registered instrument chosen, signed by the Ente and archived,
the lettera di esito from it in one step."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from archive.catasto import ImpiantoCatasto
from tests.service.test_console_ispettore_rapporto import _testo

pytestmark = pytest.mark.db_backend("postgresql")  # console/API flow: see docs/parts/tests.md

PROVA = {"data_installazione": "2004-10-12", "pn_utile_kw": "160", "tipo_caldaia": "B", "tiraggio_pa": "6",
         "classificazione": "Standard", **{f"t_mandata_{i}": "70" for i in (1, 2, 3)},
         **{f"t_aria_{i}": "18" for i in (1, 2, 3)}, **{f"t_fumi_{i}": "150" for i in (1, 2, 3)},
         **{f"co_misurato_{i}": "30" for i in (1, 2, 3)}, **{f"o2_co2_{i}": "4,2" for i in (1, 2, 3)}}


def _impianto_b(db_url: str) -> ImpiantoCatasto:
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            return next(i for i in s.scalars(select(ImpiantoCatasto).where(ImpiantoCatasto.ente_id == "provincia-mantova")
                                             .order_by(ImpiantoCatasto.codice_impianto))
                        if i.potenza_focolare_totale_kw is not None and i.potenza_focolare_totale_kw >= 35)
    finally:
        engine.dispose()


def _due_generatori(valori: dict[str, str], co_secondo: str = "1500") -> dict[str, str]:
    out = {**valori, "generatori": "2", "numero_ispezione": "MN-2026/B001", "data_realizzazione_impianto": "1995-09-30"}
    for n in (1, 2):
        out.update({f"g{n}_{k}": v for k, v in PROVA.items()})
    out.update({f"g2_co_misurato_{i}": co_secondo for i in (1, 2, 3)})
    return out


def _strumento(client, login) -> dict[str, str]:
    cait = login("cait.mantova")
    r = client.post("/cait/strumenti", headers=cait, json={"marca": "Seitron", "modello": "Chemist 900",
                                                            "matricola": "ISP-7781"})
    assert r.status_code == 201, r.text
    return r.json()


def test_api_rapporto_b(client, login, db_url, tmp_path) -> None:
    imp = _impianto_b(db_url)
    _strumento(client, login)
    isp = login("ispettore.mantova")
    m = client.get(f"/ispettore/impianti/{imp.codice_impianto}/rapporto", headers=isp)
    assert m.status_code == 200, m.text
    modulo = m.json()
    assert modulo["allegato"] == "B" and any(c["chiave"] == "estintori" for c in modulo["campi"])
    assert any(c["chiave"] == "pn_utile_kw" for c in modulo["campi_generatore"])
    [registrato] = [s for s in modulo["strumenti"] if s["matricola"] == "ISP-7781"]
    # another Ente's CAIT instruments are not offered
    assert all(s["cait"] != "CAIT Brescia" for s in modulo["strumenti"])
    valori = {**_due_generatori(modulo["valori"]), "strumento_scelto": registrato["id"]}
    # each sheet's esito by the function of POST /ispettore/esito; one failing generator makes the rapporto 9.b
    e = client.post(f"/ispettore/impianti/{imp.codice_impianto}/rapporto/esito", headers=isp, json=valori).json()
    atteso = client.post("/ispettore/esito", headers=isp, json={
        "allegato": "B", "combustibile": "gas naturale", "pn_utile_kw": "160", "data_installazione": "2004-10-12",
        "classificazione": "Standard", "tipo_caldaia": "B", "tiraggio_pa": "6", "t_mandata": ["70"] * 3,
        "t_aria": ["18"] * 3, "t_fumi": ["150"] * 3, "co_misurato": ["30"] * 3, "o2_co2": ["4.2"] * 3}).json()
    assert [g["esito"]["esito"] for g in e["generatori"]] == ["9.a", "9.b"] and e["esito_complessivo"] == "9.b"
    assert e["generatori"][0]["esito"]["eta_min"] == atteso["eta_min"]
    assert e["generatori"][0]["esito"]["co_corretto_ppm"] == atteso["co_corretto_ppm"]
    # errors name the sheet and the field; nothing is written
    errato = {**valori, "g2_t_fumi_2": "caldo", "estintori": ""}
    r = client.post(f"/ispettore/impianti/{imp.codice_impianto}/rapporto/verifica", headers=isp, json=errato)
    assert r.status_code == 422, r.text
    errori = r.json()["errori"]
    assert errori["g2_t_fumi"].startswith("Generatore 2, 7.b Temperatura dei fumi") and "estintori" in errori
    r = client.post(f"/ispettore/impianti/{imp.codice_impianto}/rapporto", headers=isp, json=valori)
    assert r.status_code == 201, r.text
    testo, firma = _testo(r.content, tmp_path, "rapporto-b")
    assert testo.count("Foglio n°3 di 3") == 3, testo  # foglio 1 + two generator sheets, three copies
    assert "MN-2026/B001" in testo and "ISP-7781" in testo and "Chemist 900" in testo
    assert "Signature Validation: Signature is Valid" in firma, firma
    documento = r.headers["X-Curit-Documento"]
    record = client.get(f"/archivio/documenti/{documento}", headers=isp).json()
    assert record["tipo"] == "allegato-b" and record["ente"] == "provincia-mantova" and record["firma_valida"]
    assert record["codice_impianto"] == imp.codice_impianto
    r = client.post(f"/ispettore/rapporti/{documento}/lettera-esito", headers=isp,
                    json={"protocollo": "MN-ESI-2026/B1", "funzionario": "Dott. Carla Neri"})
    assert r.status_code == 201, r.text
    tipi = [d["tipo"] for d in r.json()["documenti"]]
    assert tipi and "esito-positivo" not in tipi, tipi


def test_console_rapporto_b(console, client, login, db_url, tmp_path) -> None:
    imp = _impianto_b(db_url)
    registrato = _strumento(client, login)
    console.entra("ispettore.mantova")
    pagina = client.get(f"/console/ispettore/rapporto/{imp.codice_impianto}")
    assert pagina.status_code == 200 and "Allegato B" in pagina.text and 'id="generatore-1"' in pagina.text
    assert "Chemist 900 · matricola ISP-7781" in pagina.text
    csrf = console.csrf(pagina.text)
    # from the prova page: the trials become the first sheet; "Aggiungi un generatore" adds the second
    prova = {**PROVA, "allegato": "B", "combustibile": "gasolio", "csrf": csrf, "azione": "aggiungi",
             **{f"bacharach_{i}": "1" for i in (1, 2, 3)}}
    r = client.post(f"/console/ispettore/rapporto/{imp.codice_impianto}/compila", data=prova, headers=console.ORIGIN)
    assert r.status_code == 200, r.text
    assert 'id="generatore-2"' in r.text and 'name="g1_t_fumi_1" id="g1_t_fumi_1"' in r.text
    assert re.search(r'<option value="Gasolio" selected>', r.text)
    assert "9.a · positivo" in r.text  # the first sheet's esito, computed on the page
    # without JavaScript "Calcola l'esito" posts the form back: the second sheet (CO 1500) fails, so does the rapporto
    secondo = {"csrf": csrf, "azione": "calcola", "generatori": "2", "combustibile": "Gasolio",
               **{f"g{n}_{k}": v for n in (1, 2) for k, v in prova.items() if k not in ("allegato", "combustibile",
                                                                                       "csrf", "azione")},
               **{f"g2_co_misurato_{i}": "1500" for i in (1, 2, 3)}}
    r = client.post(f"/console/ispettore/rapporto/{imp.codice_impianto}/compila", data=secondo, headers=console.ORIGIN)
    assert r.status_code == 200 and 'id="generatore-3"' not in r.text
    assert "9.b · negativo: almeno un generatore non rientra" in r.text, r.text
    prefill = client.get(f"/ispettore/impianti/{imp.codice_impianto}/rapporto", headers=login("ispettore.mantova"))
    dati = {**_due_generatori(prefill.json()["valori"], co_secondo="30"), "csrf": csrf,
            "strumento_scelto": str(registrato["id"]), "g2_pn_utile_kw": "", "g2_t_aria_3": "freddo"}
    r = client.post(f"/console/ispettore/rapporto/{imp.codice_impianto}", data=dati, headers=console.ORIGIN)
    assert r.status_code == 422, r.text
    assert "Generatore 2, 7.b Temperatura dell&#39;aria comburente" in r.text and 'value="freddo"' in r.text
    assert re.search(r'<tr id="g2_t_aria">.*?aria-invalid="true"', r.text, re.S)
    dati["g2_t_aria_3"] = "18"
    r = client.post(f"/console/ispettore/rapporto/{imp.codice_impianto}", data=dati, headers=console.ORIGIN)
    assert r.status_code == 422, r.text
    assert re.search(r'id="g2_pn_utile_kw"[^>]*aria-invalid="true"', r.text)
    assert "Generatore 2, 5.l Potenza utile nominale" in r.text
    dati.update({"g2_pn_utile_kw": "140", "g2_t_aria_3": "18"})
    r = client.post(f"/console/ispettore/rapporto/{imp.codice_impianto}", data=dati, headers=console.ORIGIN,
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    documento = r.headers["location"].rsplit("/", 1)[1]
    pdf = client.get(f"/console/documento/{documento}/pdf")
    assert pdf.status_code == 200 and pdf.headers["X-Curit-Firma"] == "valida"
    testo, _ = _testo(pdf.content, tmp_path, "rapporto-b-console")
    assert testo.count("Foglio n°3 di 3") == 3 and "ISP-7781" in testo  # the chosen instrument, filled by the server
    pagina = client.get(r.headers["location"])
    r = client.post(f"/console/ispettore/rapporti/{documento}/lettera", headers=console.ORIGIN,
                    data={"csrf": console.csrf(pagina.text), "protocollo": "MN-ESI-2026/B2", "funzionario": "Dott. Carla Neri",
                          "data_lettera": "2026-12-04"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text
    testo, firma = _testo(r.content, tmp_path, "lettera-b")
    assert "MN-ESI-2026/B2" in testo and imp.codice_impianto in testo and "Signature is Valid" in firma
