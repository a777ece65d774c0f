"""Application factory: settings → migrated database → routers, error handlers, limits."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI

from service.api import documentazione, errors
from service.api.deps import get_settings_dep, state_for
from service.settings import Settings, get_settings

log = logging.getLogger("curit.api")


def _routers():
    from service.api import routes

    for info in sorted(pkgutil.iter_modules(routes.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{routes.__name__}.{info.name}")
        yield module.router


def _semina_archivio(app: FastAPI, settings: Settings) -> None:
    """Demo only: issue a few signed documents into an empty archive (never fatal)."""
    from service.api.routes.documenti import emissione_per
    from service.demo import semina_archivio

    try:
        emessi = semina_archivio(emissione_per(app, settings))
        if emessi:
            log.info("Archivio demo: emessi %d documenti firmati.", emessi)
    except Exception:  # the service is usable without the demo documents
        log.exception("Archivio demo non popolato.")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state_for(settings)  # migrate and seed before the first request
        if settings.demo and settings.demo_documenti and settings.s3_endpoint:
            threading.Thread(target=_semina_archivio, args=(app, settings), name="demo-archivio", daemon=True).start()
        yield

    app = FastAPI(
        title="curit-docs",
        description="Documenti del Catasto Unico Regionale Impianti Termici - Regione Lombardia",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served on local assets by documentazione.installa (works offline)
        redoc_url=None,
    )
    documentazione.installa(app)
    app.dependency_overrides[get_settings_dep] = lambda: settings
    errors.install(app, max_body=settings.max_richiesta_bytes)
    from service.console import installa as installa_console

    installa_console(app, settings)  # Origin check of console posts, demo banner
    for router in _routers():
        app.include_router(router)
    return app
