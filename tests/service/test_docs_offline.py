"""``/docs`` (Swagger UI) and ``/redoc`` work without internet: every asset the pages reference is
served by the app itself (vendored under service/api/static/docs/), and in headless Chromium with
every request off the machine refused, both pages draw the API's operations and ReDoc's footer image
comes from the app (the bundle is served with its one CDN URL pointed at a local image)."""

from __future__ import annotations

import re
import socket
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
_RIFERIMENTI = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|\burl\s*:\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
def impostazioni(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("docs-offline") / "var"
    return Settings(var_dir=var, secret_key="docs-offline", demo=False, demo_documenti=False)


@pytest.fixture(scope="module")
def client(impostazioni: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(impostazioni)) as c:
        yield c


def _riferimenti(html: str) -> list[str]:
    return [a or b for a, b in _RIFERIMENTI.findall(html)]


@pytest.mark.parametrize(("pagina", "attesi"), [
    ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "openapi.json"}),
    ("/redoc", {"redoc.standalone.js", "favicon-32x32.png", "openapi.json"}),
])
def test_the_page_and_every_asset_it_references_come_from_the_app(client: TestClient, pagina: str,
                                                                  attesi: set[str]) -> None:
    r = client.get(pagina)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    riferimenti = _riferimenti(r.text)
    assert {u.rsplit("/", 1)[-1] for u in riferimenti} >= attesi
    esterni = [u for u in riferimenti if re.match(r"^(https?:)?//", u)]
    assert esterni == [], f"{pagina} loads from outside the machine: {esterni}"
    assert "fonts.googleapis" not in r.text and "cdn.jsdelivr" not in r.text
    for url in riferimenti:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 0, url
    js = next(u for u in riferimenti if u.endswith(".js"))
    assert "javascript" in client.get(js).headers["content-type"]


def test_the_oauth2_redirect_page_and_the_licences_are_served(client: TestClient) -> None:
    assert client.get("/docs/oauth2-redirect").status_code == 200
    for licenza, testo in (("swagger-ui/LICENSE", "Apache License"), ("redoc/LICENSE", "MIT License")):
        r = client.get(f"/docs-static/{licenza}")
        assert r.status_code == 200 and testo in r.text
    assert client.get("/docs-static/../settings.py").status_code == 404
    assert "/docs-static" not in client.get("/openapi.json").text  # not part of the API


def _porta() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(impostazioni: Settings) -> Iterator[str]:
    import uvicorn

    porta = _porta()
    srv = uvicorn.Server(uvicorn.Config(create_app(impostazioni), host="127.0.0.1", port=porta, log_level="warning"))
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


@pytest.fixture(scope="module")
def chromium_senza_rete(server: str) -> Iterator[tuple]:
    """``(page, esterne, immagini)``: a headless Chromium page on the app's server where every request off the
    machine is refused and listed in ``esterne``; ``immagini`` lists the images requested. One per module."""
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
            yield page, esterne, immagini
        finally:
            browser.close()


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium (Debian package 'chromium') not installed")
def test_swagger_ui_and_redoc_draw_the_api_in_chromium_with_no_internet(chromium_senza_rete, server: str,
                                                                        tmp_path: Path) -> None:
    page, esterne, _ = chromium_senza_rete
    page.goto(f"{server}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() > 10
    assert "/auth/token" in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "docs.png"))

    page.goto(f"{server}/redoc")
    page.wait_for_selector("[data-section-id]", timeout=30_000)
    assert page.locator("[data-section-id]").count() > 10
    page.screenshot(path=str(tmp_path / "redoc.png"))
    # nothing comes from outside, ReDoc's footer image included (served by the app)
    assert esterne == []


# ReDoc's footer image ("API docs by Redocly") is the one URL written into the vendored bundle that points
# off the machine: the app serves the bundle with that URL pointed at a local image.

def test_the_bundle_is_served_with_the_local_logo_and_the_file_stays_as_released(client: TestClient) -> None:
    su_disco = (ASSETS_DIR / "redoc" / "redoc.standalone.js").read_bytes()
    assert su_disco.count(LOGO_CDN) == 1  # the released file, untouched (see static/docs/README.md)
    js = client.get("/docs-static/redoc/redoc.standalone.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert b"cdn.redoc.ly" not in js.content and js.content.count(LOGO_LOCALE.encode()) == 1
    assert len(js.content) == len(su_disco) - len(LOGO_CDN) + len(LOGO_LOCALE)
    logo = client.get(LOGO_LOCALE)
    assert logo.status_code == 200 and logo.headers["content-type"].startswith("image/svg+xml")
    assert logo.content.lstrip().startswith(b"<svg")


@pytest.mark.slow
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium (Debian package 'chromium') not installed")
def test_redoc_footer_logo_comes_from_the_app_in_chromium(chromium_senza_rete, server: str) -> None:
    page, esterne, immagini = chromium_senza_rete
    page.goto(f"{server}/redoc")
    page.wait_for_selector("[data-section-id]", timeout=30_000)
    logo = page.locator('img[alt="redocly logo"]')
    logo.wait_for(timeout=30_000)
    page.wait_for_function("document.querySelector('img[alt=\"redocly logo\"]').complete")
    assert logo.evaluate("i => i.naturalWidth") > 0
    assert esterne == []
    assert f"{server}{LOGO_LOCALE}" in immagini
