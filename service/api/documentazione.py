"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served from assets shipped with the package, so the
API documentation works on a machine with no internet access (FastAPI's defaults load them from a
CDN). The assets are the unmodified release files of the npm packages ``swagger-ui-dist`` and
``redoc``, with their licences, under ``service/api/static/docs/`` (see the README there).

One URL is written into the ReDoc bundle itself: the "API docs by Redocly" footer image comes from
``cdn.redoc.ly``. The bundle is served from the unmodified file with that one URL pointed at a local
image (``redoc/logo-mini.svg``), so the page makes no request off the machine."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_DIR", "PREFISSO", "installa"]

ASSETS_DIR = Path(__file__).resolve().parent / "static" / "docs"
PREFISSO = "/docs-static"
"""Where the assets are served (under the docs, outside the API's own paths)."""
LOGO_CDN = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
"""The only off-machine URL in ``redoc.standalone.js`` (its footer image)."""
LOGO_LOCALE = f"{PREFISSO}/redoc/logo-mini.svg"


@cache
def redoc_js() -> bytes:
    """``redoc.standalone.js`` with its footer image served by the app (the file on disk stays as released)."""
    return (ASSETS_DIR / "redoc" / "redoc.standalone.js").read_bytes().replace(LOGO_CDN, LOGO_LOCALE.encode())


def installa(app: FastAPI) -> None:
    """Serve ``/docs``, ``/docs/oauth2-redirect`` and ``/redoc`` on local assets. The app must be
    created with ``docs_url=None, redoc_url=None`` (FastAPI's CDN pages are then not registered)."""
    openapi_url = app.openapi_url or "/openapi.json"
    redirect = "/docs/oauth2-redirect"

    @app.get(f"{PREFISSO}/redoc/redoc.standalone.js", include_in_schema=False)
    def redoc_bundle() -> Response:  # registered before the mount below, which would serve the file as is
        return Response(redoc_js(), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=3600"})

    app.mount(PREFISSO, StaticFiles(directory=ASSETS_DIR), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{app.title} - API",
            swagger_js_url=f"{PREFISSO}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFISSO}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{PREFISSO}/swagger-ui/favicon-32x32.png",
            oauth2_redirect_url=redirect)

    @app.get(redirect, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url, title=f"{app.title} - API",
            redoc_js_url=f"{PREFISSO}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{PREFISSO}/swagger-ui/favicon-32x32.png", with_google_fonts=False)
