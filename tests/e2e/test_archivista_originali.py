"""The archivista and the Ente in Chromium, on the real server: the archivista registers the paper
original of an archived rapporto (faldone, scatola, posizione), a wrong date keeps what was typed;
the Ente sets a legal hold with its reason and reads the retention report; the archivista hands
the paper to the CAIT. What the archive then holds is read back through the API.
Screenshots ``console-archivio-*.png``."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_console import _shot, browser, server  # noqa: F401 - module fixtures

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

DOC = "g-viadana-2025"


def _pagina(browser, server: str, username: str):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    page.goto(server + "/console/accesso")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill("curit-demo")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(server + "/")
    return context, page


def _api(server: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{server}/auth/token", data={"username": username, "password": "curit-demo"})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_archivista_ed_ente(server: str, browser) -> None:  # noqa: F811
    context, page = _pagina(browser, server, "archivista.mantova")
    page.get_by_role("navigation").get_by_role("link", name="Archivio", exact=True).click()
    page.get_by_label("Codice impianto").fill("020066IN0000001")
    page.get_by_role("button", name="Cerca").click()
    riga = page.locator("#risultati tbody tr").first
    assert "Provincia di Mantova" in riga.inner_text() and "provincia-mantova" not in riga.inner_text()
    _shot(page, "archivio-ricerca")
    riga.get_by_role("link", name="Dettagli").click()
    page.get_by_label("Ricevuto il").fill("")
    page.get_by_label("Faldone").first.fill("F-2025-07")
    page.locator("#o-ricevuto_il").evaluate("e => e.removeAttribute('required')")
    page.get_by_role("button", name="Registra l'originale").click()
    expect(page.locator("#errore")).to_contain_text("Ricevuto il:", use_inner_text=True)
    assert page.locator("#o-faldone").input_value() == "F-2025-07"
    page.get_by_label("Ricevuto il").fill("2025-10-03")
    page.locator("#o-scatola").fill("S-12")
    page.get_by_role("button", name="Registra l'originale").click()
    expect(page.locator("#esito")).to_contain_text("Originale cartaceo registrato", use_inner_text=True)
    expect(page.locator("#custode")).to_contain_text("Provincia di Mantova", use_inner_text=True)
    assert page.locator("#dettagli-tecnici").is_visible() and not page.locator("#dettagli-tecnici code").first.is_visible()
    _shot(page, "archivio-documento")
    page.get_by_role("navigation").get_by_role("link", name="Originali cartacei", exact=True).click()
    expect(page.locator("body")).to_contain_text("5 giorni lavorativi")
    _shot(page, "archivio-richieste")
    context.close()
    dove = httpx.get(f"{server}/archivio/documenti/{DOC}/originale", headers=_api(server, "ente.mantova")).json()
    assert dove["detentore"] == "provincia-mantova" and dove["faldone"] == "F-2025-07" and dove["scatola"] == "S-12"

    # the Ente: legal hold with its reason, then the retention report
    context, page = _pagina(browser, server, "ente.mantova")
    page.goto(f"{server}/console/documento/{DOC}")
    page.get_by_label("Motivo (es. riferimento del procedimento)").fill("Procedimento sanzionatorio 12/2026")
    page.get_by_role("button", name="Attiva il blocco legale").click()
    expect(page.locator("#esito")).to_contain_text("Blocco legale attivato", use_inner_text=True)
    page.get_by_role("navigation").get_by_role("link", name="Conservazione", exact=True).click()
    expect(page.locator("body")).to_contain_text("1 documento sotto blocco legale")
    _shot(page, "ente-conservazione")
    context.close()
    record = httpx.get(f"{server}/archivio/documenti/{DOC}", headers=_api(server, "ente.mantova")).json()
    assert record["blocco_legale"] is True

    # the archivista hands the paper to the CAIT
    context, page = _pagina(browser, server, "archivista.mantova")
    page.goto(f"{server}/console/documento/{DOC}")
    page.get_by_label("Destinatario (CAIT o Ente)").select_option("cait:CAIT-MN-01")
    page.get_by_label("Data del passaggio").fill("2025-11-05")
    page.get_by_role("button", name="Trasferisci").click()
    expect(page.locator("#esito")).to_contain_text("Custodia dell'originale trasferita", use_inner_text=True)
    expect(page.locator("#custode")).to_contain_text("CAIT Mantova", use_inner_text=True)
    context.close()
    dove = httpx.get(f"{server}/archivio/documenti/{DOC}/originale", headers=_api(server, "ente.mantova")).json()
    assert dove["detentore"] == "CAIT-MN-01" and dove["trasferimenti"][0]["eseguito_da"] == "archivista.mantova"
