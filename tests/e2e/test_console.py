"""The web console end to end in headless Chromium (Debian ``chromium`` driven by Playwright).

The real programs run as processes with a temporary ``var/``: ``curit-docs render`` renders a
filled Allegato G, ``curit-docs archivia`` stores it (embedded SeaweedFS + SQLite), then
``curit-docs serve --demo`` (API + console + embedded SeaweedFS + in-process batch workers + demo
data), as ``make run`` starts it. The browser logs in as the Ente of Mantova, searches the archive, downloads the
verified PDF, starts a targhe batch and waits for the progress bar to reach 100 %.
Screenshots go to a temporary folder; with ``CURIT_SCREENSHOTS=1`` they refresh
``docs/img/console-*.png`` (the README's pictures).
"""

from __future__ import annotations

import json
import os
import tempfile
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
IMG = ROOT / "docs" / "img" if os.environ.get("CURIT_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp(prefix="console-"))

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def _porta() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env: dict[str, str], *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("curit-docs")
    return subprocess.run([str(exe), *args], env=env, input=stdin, capture_output=True, timeout=300, check=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "CURIT_VAR_DIR": str(base / "var"), "CURIT_DB_URL": f"sqlite:///{base / 'var' / 'curit.db'}",
           "CURIT_SECRET_KEY": "e2e-secret", "CURIT_BATCH_DIR": str(base / "var" / "lavori"),
           "CURIT_STAMPA_CACHE_DIR": str(base / "var" / "cache")}
    for k in ("CURIT_S3_ENDPOINT", "CURIT_S3_ACCESS_KEY", "CURIT_S3_SECRET_KEY", "CURIT_DEMO"):
        env.pop(k, None)
    esempio = json.loads(_cli(env, "esempio", "allegato-g").stdout)
    esempio_file = base / "g.json"
    esempio_file.write_text(json.dumps(esempio))
    _cli(env, "render", "allegato-g", str(esempio_file), "-o", str(base / "g.pdf"))
    _cli(env, "archivia", str(base / "g.pdf"), "--ente", "provincia-mantova", "--cait", "CAIT-MN-01",
         "--codice", "020066IN0000001", "--id", "g-viadana-2025")
    port = _porta()
    log = (base / "serve.log").open("wb")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("curit-docs")), "serve", "--demo", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/salute", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise AssertionError((base / "serve.log").read_text())
            time.sleep(0.2)
        else:
            raise AssertionError("server did not start: " + (base / "serve.log").read_text()[-2000:])
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _shot(page, nome: str) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / f"console-{nome}.png"), full_page=True)


def test_login_search_download_batch(server: str, browser, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True, locale="it-IT")
    page = context.new_page()
    esterne: list[str] = []
    page.on("request", lambda r: esterne.append(r.url) if not r.url.startswith(server) else None)

    page.goto(server + "/")
    assert page.url.endswith("/console/accesso")
    assert "DEMO" in page.locator(".banner-demo").inner_text()
    page.get_by_label("Nome utente").fill("ente.mantova")
    page.get_by_label("Password").fill("sbagliata")
    page.get_by_role("button", name="Accedi").click()
    assert "non corretti" in page.locator("#errore-accesso").inner_text()
    _shot(page, "accesso")
    page.get_by_label("Password").fill("curit-demo")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(server + "/")
    assert "ente.mantova" in page.content()
    cookie = next(c for c in context.cookies() if c["name"] == "curit_sessione")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    _shot(page, "home")

    page.get_by_role("navigation").get_by_role("link", name="Archivio", exact=True).click()
    page.get_by_label("Codice impianto").fill("020066IN0000001")
    page.get_by_role("button", name="Cerca").click()
    righe = page.locator("#risultati tbody tr")
    assert righe.count() == 1 and "Allegato G" in righe.first.inner_text()
    _shot(page, "archivio")
    righe.first.get_by_role("link", name="Dettagli").click()
    assert "Scheda del documento" in page.content()
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
