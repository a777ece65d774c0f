"""ReDoc's footer image ("API docs by Redocly") is the one URL written into the vendored bundle that
points off the machine: the app serves the bundle with that URL pointed at a local image, and in
headless Chromium with every outside request refused the page makes none and draws the image."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from service.api.documentazione import ASSETS_DIR, LOGO_CDN, LOGO_LOCALE
from service.settings import Settings

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    var = tmp_path_factory.mktemp("redoc-logo") / "var"
    return create_app(Settings(var_dir=var, secret_key="redoc-logo", demo=False, demo_documenti=False))


def test_the_bundle_is_served_with_the_local_logo_and_the_file_stays_as_released(app) -> None:
    su_disco = (ASSETS_DIR / "redoc" / "redoc.standalone.js").read_bytes()
    assert su_disco.count(LOGO_CDN) == 1  # the released file, untouched (see static/docs/README.md)
    with TestClient(app) as c:
        js = c.get("/docs-static/redoc/redoc.standalone.js")
        assert js.status_code == 200 and "javascript" in js.headers["content-type"]
        assert b"cdn.redoc.ly" not in js.content and js.content.count(LOGO_LOCALE.encode()) == 1
        assert len(js.content) == len(su_disco) - len(LOGO_CDN) + len(LOGO_LOCALE)
        logo = c.get(LOGO_LOCALE)
        assert logo.status_code == 200 and logo.headers["content-type"].startswith("image/svg+xml")
        assert logo.content.lstrip().startswith(b"<svg")


@pytest.fixture(scope="module")
def server(app) -> Iterator[str]:
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        porta = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=porta, log_level="warning"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{porta}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    srv.should_exit = True
    t.join(timeout=10)


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium (Debian package 'chromium') not installed")
def test_redoc_footer_logo_comes_from_the_app_in_chromium(server: str) -> None:
    from playwright.sync_api import sync_playwright

    esterne: list[str] = []
    immagini: list[str] = []

    def solo_locale(route) -> None:
        if route.request.resource_type == "image":
            immagini.append(route.request.url)
        if route.request.url.startswith(server) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            esterne.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.route("**/*", solo_locale)
            page.goto(f"{server}/redoc")
            page.wait_for_selector("[data-section-id]", timeout=30_000)
            logo = page.locator('img[alt="redocly logo"]')
            logo.wait_for(timeout=30_000)
            page.wait_for_function("document.querySelector('img[alt=\"redocly logo\"]').complete")
            assert logo.evaluate("i => i.naturalWidth") > 0
        finally:
            browser.close()
    assert esterne == []
    assert f"{server}{LOGO_LOCALE}" in immagini
