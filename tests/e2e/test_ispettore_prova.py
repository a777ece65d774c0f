"""The ispettore in Chromium: from an impianto of the catasto, the three combustion trials typed
in, the esito computed live while typing (9.a, then 9.b when the CO goes up), the same verdict
as ``POST /ispettore/esito``. Screenshot ``console-ispettore-prova.png``."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_console import _shot, browser, server  # noqa: F401 - module fixtures

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def test_prova_di_combustione_con_esito_dal_vivo(server: str, browser) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    page.goto(server + "/console/accesso")
    page.get_by_label("Nome utente").fill("ispettore.mantova")
    page.get_by_label("Password").fill("curit-demo")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(server + "/")
    page.get_by_role("navigation").get_by_role("link", name="Prova di combustione", exact=True).click()
    scelta = page.get_by_label("Impianto del catasto")
    expect(scelta).to_be_visible()  # all_inner_texts does not wait for the new page
    opzioni = scelta.locator("option").all_inner_texts()
    assert len(opzioni) > 1, opzioni
    scelta.select_option(index=1)
    page.get_by_role("button", name="Usa l'impianto").click()
    expect(page.locator("#impianto-scelto")).to_be_visible()  # waits for the page the form's GET returns
    page.get_by_label("Data di installazione del generatore").fill("2010-05-01")
    page.get_by_label("Classificazione (D.P.R. 660/96)").select_option("Standard")
    page.get_by_label("Potenza termica utile nominale (kW)").fill("24")
    page.get_by_label("Tipo caldaia").select_option("C")
    for riga, valore in (("Temperatura fluido di mandata (°C)", "70"), ("Temperatura aria comburente (°C)", "20"),
                         ("Temperatura fumi (°C)", "140"), ("CO misurato (ppm)", "50"), ("O2 / CO2 (%)", "5,5")):
        for n in (1, 2, 3):
            page.get_by_label(f"{riga}, prova {n}").fill(valore)
    # no click: the panel follows the typing
    page.wait_for_function("document.getElementById('esito-valore').textContent.includes('9.a')", timeout=20_000)
    token = httpx.post(f"{server}/auth/token", data={"username": "ispettore.mantova", "password": "curit-demo"}).json()
    atteso = httpx.post(f"{server}/ispettore/esito", headers={"Authorization": f"Bearer {token['access_token']}"},
                        json={"pn_utile_kw": "24", "data_installazione": "2010-05-01", "classificazione": "Standard",
                              "tipo_caldaia": "C", "t_mandata": ["70"] * 3, "t_aria": ["20"] * 3,
                              "t_fumi": ["140"] * 3, "co_misurato": ["50"] * 3, "o2_co2": ["5.5"] * 3}).json()
    assert page.locator("#v-eta_min").inner_text() == atteso["eta_min"]
    assert page.locator("#media-t_fumi").inner_text() == atteso["medie"]["t_fumi"]
    expect(page.locator("#v-barrati")).to_contain_text("7.c tiraggio", use_inner_text=True)
    _shot(page, "ispettore-prova")
    for n in (1, 2, 3):
        page.get_by_label(f"CO misurato (ppm), prova {n}").fill("900")
    page.wait_for_function("document.getElementById('esito-valore').textContent.includes('9.b')", timeout=20_000)
    expect(page.locator("#v-co_corretto_ppm")).to_contain_text("irregolare", use_inner_text=True)
    page.get_by_label("Tipo caldaia").select_option("B")  # type B needs the tiraggio: the field is named
    page.wait_for_function("document.getElementById('e-tiraggio_pa').textContent.includes('tiraggio')", timeout=20_000)
    page.get_by_role("navigation").get_by_role("link", name="Ispezioni", exact=True).click()
    expect(page.locator("body")).to_contain_text("Ispezioni programmate")
    context.close()
