"""ReDoc's footer image ("API docs by Redocly") is the one URL written into the vendored bundle that
points off the machine: the app serves the bundle with that URL pointed at a local image, and in
headless Chromium with every outside request refused the page makes none and draws the image."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from service.api.documentazione import ASSETS_DIR, LOGO_CDN, LOGO_LOCALE
from service.settings import Settings
from tests.service.test_docs_offline import impostazioni, server  # noqa: F401 - module fixtures: settings, uvicorn

CHROMIUM = "/usr/bin/chromium"


def test_the_bundle_is_served_with_the_local_logo_and_the_file_stays_as_released(impostazioni: Settings) -> None:
    su_disco = (ASSETS_DIR / "redoc" / "redoc.standalone.js").read_bytes()
    assert su_disco.count(LOGO_CDN) == 1  # the released file, untouched (see static/docs/README.md)
    with TestClient(create_app(impostazioni)) as c:
        js = c.get("/docs-static/redoc/redoc.standalone.js")
        assert js.status_code == 200 and "javascript" in js.headers["content-type"]
        assert b"cdn.redoc.ly" not in js.content and js.content.count(LOGO_LOCALE.encode()) == 1
        assert len(js.content) == len(su_disco) - len(LOGO_CDN) + len(LOGO_LOCALE)
        logo = c.get(LOGO_LOCALE)
        assert logo.status_code == 200 and logo.headers["content-type"].startswith("image/svg+xml")
        assert logo.content.lstrip().startswith(b"<svg")


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
