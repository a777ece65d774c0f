"""The web console end to end in headless Chromium (Debian ``chromium`` driven by Playwright).

The real programs run as processes with a temporary ``var/`` (tests/e2e/conftest.py): ``curit-docs
render`` renders a filled Allegato G, ``curit-docs archivia`` stores it (embedded SeaweedFS + SQLite),
then ``curit-docs serve --demo`` (API + console + embedded SeaweedFS + in-process batch workers + demo
data), as ``make run`` starts it. The browser logs in as the Ente of Mantova, searches the archive,
downloads the verified PDF, starts a targhe batch and waits for the progress bar to reach 100 %.
Screenshots go to a temporary folder; with ``CURIT_SCREENSHOTS=1`` they refresh
``docs/img/console-*.png`` (the README's pictures).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CODICE, browser, cli as _cli, porta as _porta, server, shot as _shot  # noqa: F401
# (browser, server: the shared fixtures, importable from here by modules written before conftest.py)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def test_login_search_download_batch(server: str, browser, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True, locale="it-IT")
    page = context.new_page()
    esterne: list[str] = []
    page.on("request", lambda r: esterne.append(r.url) if not r.url.startswith(server) else None)

    page.goto(server + "/")
    assert page.url.endswith("/console/accesso")
    expect(page.locator(".banner-demo")).to_contain_text("DEMO", use_inner_text=True)
    page.get_by_label("Nome utente").fill("ente.mantova")
    page.get_by_label("Password").fill("sbagliata")
    page.get_by_role("button", name="Accedi").click()
    expect(page.locator("#errore-accesso")).to_contain_text("non corretti", use_inner_text=True)
    _shot(page, "accesso")
    page.get_by_label("Password").fill("curit-demo")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(server + "/")
    assert "ente.mantova" in page.content()
    cookie = next(c for c in context.cookies() if c["name"] == "curit_sessione")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    _shot(page, "home")

    page.get_by_role("navigation").get_by_role("link", name="Archivio", exact=True).click()
    page.get_by_label("Codice impianto").fill(CODICE)
    page.get_by_role("button", name="Cerca").click()
    righe = page.locator("#risultati tbody tr")
    expect(righe).to_have_count(1, timeout=60_000)
    expect(righe.first).to_contain_text("Allegato G", use_inner_text=True)
    _shot(page, "archivio")
    righe.first.get_by_role("link", name="Dettagli").click()
    expect(page.locator("body")).to_contain_text("Scheda del documento")
    _shot(page, "documento")
    with page.expect_download() as dl:
        page.locator("#scarica-pdf").click()
    pdf = tmp_path / "scaricato.pdf"
    dl.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    testo = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "RAPPORTO DI CONTROLLO" in testo.upper()

    page.get_by_role("navigation").get_by_role("link", name="Stampe massive", exact=True).click()
    _shot(page, "lavori")
    page.locator("#avvia-lavoro").click()
    page.wait_for_url("**/console/lavori/*")
    page.wait_for_function("document.getElementById('stato-lavoro').dataset.stato === 'completato'", timeout=120_000)
    assert page.locator("#barra").get_attribute("aria-valuenow") == "100"
    _shot(page, "lavoro")
    with page.expect_download() as dl:
        page.get_by_role("link", name="File da stampare", exact=True).click()
    targhe = tmp_path / "targhe.pdf"
    dl.value.save_as(targhe)
    assert targhe.read_bytes().startswith(b"%PDF-")

    page.set_viewport_size({"width": 768, "height": 1024})  # tablet, portrait
    page.goto(server + "/console/archivio")
    _shot(page, "tablet")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert esterne == []

    # "Esci" ends the session server-side: a copy of the cookie no longer opens the console
    page.get_by_role("button", name="Esci").click()
    page.wait_for_url("**/console/accesso")
    r = httpx.get(f"{server}/console/archivio", cookies={"curit_sessione": cookie["value"]}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/accesso"
    context.close()


def test_console_post_without_csrf_is_refused(server: str) -> None:
    r = httpx.post(f"{server}/console/accesso", data={"username": "ente.mantova", "password": "curit-demo"})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html") and "Sessione del modulo scaduta" in r.text
