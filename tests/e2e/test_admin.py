"""The administrator in headless Chromium, against ``curit-docs serve --demo`` started as a newcomer
would (tests/e2e/conftest.py: empty ``var/``, embedded SeaweedFS, SQLite; one Allegato G archived
beforehand with the CLI; a server of its own, since its legal hold and etichette would change what
the other modules count): its menu lists every console page admin may open, and it does one job in
each area: an archive search and the document's details, a legal hold with its reason (seen again in
Conservazione), a request for the paper original marked as sent, a plates job to 100 %, an etichette
lot generated for an Ente it names, a PDF verified against the archive. Each step is read back from
the database.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CODICE, DOC, ServerE2E, shot as _shot

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-admin")]

MENU = ["Home", "Archivio", "Verifica un PDF", "Originali cartacei", "Stampe massive", "Conservazione", "Ispezioni",
        "Prova di combustione", "Etichette"]


def _uno(db: Path, sql: str, *params):
    with sqlite3.connect(db) as c:
        return c.execute(sql, params).fetchone()


def test_giornata_dell_admin(e2e: ServerE2E, entra) -> None:
    url, db = e2e.url, e2e.db
    # the CAIT keeps the paper original, the Ente asks for it (their own areas, not this test's subject)
    r = httpx.post(f"{url}/archivio/documenti/{DOC}/originale", json={"ricevuto_il": "2025-10-03", "faldone": "F-1"},
                   headers=e2e.token("cait.mantova"), timeout=30)
    assert r.status_code == 201, r.text
    r = httpx.post(f"{url}/archivio/documenti/{DOC}/originale/richieste", json={},
                   headers=e2e.token("ente.mantova"), timeout=30)
    assert r.status_code == 201, r.text
    richiesta = r.json()["id"]

    page = entra("admin", accept_downloads=True)
    page.context.set_default_timeout(90_000)
    nav = page.get_by_role("navigation", name="Navigazione principale")
    assert [t.strip() for t in nav.get_by_role("link").all_inner_texts()] == MENU
    for voce in MENU[1:]:  # every entry opens an Italian page, never an error
        nav.get_by_role("link", name=voce, exact=True).click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() != "Operazione non riuscita", voce
        assert page.locator("html").get_attribute("lang") == "it"
        nav = page.get_by_role("navigation", name="Navigazione principale")
    _shot(page, "admin-home")

    # Archivio: search, details, legal hold with its reason
    nav.get_by_role("link", name="Archivio", exact=True).click()
    page.get_by_label("Codice impianto").fill(CODICE)
    page.get_by_role("button", name="Cerca").click()
    righe = page.locator("#risultati tbody tr")
    expect(righe).to_have_count(1, timeout=60_000)
    expect(righe.first).to_contain_text("Allegato G", use_inner_text=True)
    expect(righe.first).to_contain_text("Provincia di Mantova", use_inner_text=True)
    righe.first.get_by_role("link", name="Dettagli").click()
    expect(page.locator("body")).to_contain_text("Scheda del documento")
    page.get_by_label("Motivo (es. riferimento del procedimento)").fill("Esposto 3/2026")
    page.get_by_role("button", name="Attiva il blocco legale").click()
    expect(page.locator("#esito")).to_contain_text("Blocco legale attivato", use_inner_text=True)
    assert _uno(db, "SELECT blocco_legale FROM archivio_documenti WHERE id = ?", DOC)[0] in (1, True)
    assert _uno(db, "SELECT count(*) FROM audit WHERE utente = 'admin' AND oggetto LIKE ?", f"%{DOC}%")[0] >= 1
    page.get_by_role("navigation", name="Navigazione principale").get_by_role(
        "link", name="Conservazione", exact=True).click()
    expect(page.locator("body")).to_contain_text("1 documento sotto blocco legale")

    # Originali cartacei: the request appears with its 5-working-day due date; admin marks it sent
    page.get_by_role("navigation", name="Navigazione principale").get_by_role(
        "link", name="Originali cartacei", exact=True).click()
    riga = page.locator(f"#richiesta-{richiesta}")
    assert "Provincia di Mantova" in riga.inner_text() and "CAIT" in riga.inner_text()
    oggi = date.today().isoformat()
    riga.get_by_label("Inviato il").fill(oggi)
    riga.get_by_role("button", name="Segna inviato").click()
    expect(page.locator("#esito")).to_contain_text("Invio dell'originale registrato", use_inner_text=True)
    stato = _uno(db, "SELECT stato, inviato_il FROM archivio_richieste WHERE id = ?", richiesta)
    assert stato[0] == "inviato" and str(stato[1]).startswith(oggi)
    _shot(page, "admin-richieste")

    # Stampe massive: a plates job to 100 %
    page.get_by_role("navigation", name="Navigazione principale").get_by_role(
        "link", name="Stampe massive", exact=True).click()
    page.locator("#avvia-lavoro").click()
    page.wait_for_url("**/console/lavori/*")
    page.wait_for_function("document.getElementById('stato-lavoro').dataset.stato === 'completato'", timeout=120_000)
    lavoro = page.url.rsplit("/", 1)[1]
    assert _uno(db, "SELECT stato FROM lavori WHERE id = ?", lavoro)[0] == "completato"

    # Etichette: a lot for the Ente admin names
    page.get_by_role("navigation", name="Navigazione principale").get_by_role(
        "link", name="Etichette", exact=True).click()
    prima = _uno(db, "SELECT count(*) FROM etichette")[0]
    modulo = page.locator("#modulo-lotto")
    modulo.get_by_label("Ente").select_option(label="Provincia di Mantova")
    modulo.get_by_label("Tipo").select_option("G")
    modulo.get_by_label("Quantità").fill("2")
    page.locator("#genera-lotto").click()
    page.wait_for_load_state()
    assert _uno(db, "SELECT count(*) FROM etichette")[0] == prima + 2
    _shot(page, "admin-etichette")

    # Verifica: the archived PDF is recognised
    page.get_by_role("navigation", name="Navigazione principale").get_by_role(
        "link", name="Verifica un PDF", exact=True).click()
    page.locator("#file").set_input_files(str(e2e.pdf))
    page.get_by_role("button", name="Verifica", exact=True).click()
    expect(page.locator("body")).to_contain_text("Lo stesso file è in archivio")
