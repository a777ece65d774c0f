"""Single documents: list the types, their JSON Schema and example, issue a signed PDF.

``POST /documenti/{tipo}/pdf`` issues through ``service.emissione``: the caller's organisation
signs (an Ente user, ispettore included, signs as its Ente; a CAIT user as its CAIT; a manutentore's
declarations are sealed by its CAIT; admin names the emittente or gets the one the data imply) and
the signed PDF is archived in the app's archive (``archivio_dep.archivio_per``) before it is
returned. The archivista is read-only and issues nothing. pyHanko runs its own event loop, so
the route is sync (thread pool).
"""

from __future__ import annotations

from typing import Annotated, Any

import threading

from fastapi import APIRouter, Body, FastAPI, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from service.api.archivio_dep import archivio_per, rilascia
from service.api.deps import CurrentUser, Principal, SessionDep, SettingsDep, audit
from service.emissione import Emissione
from service.produce import render_document
from service.registry import DOCUMENT_TYPES, get_document_type
from service.settings import Settings

__all__ = ["router", "emissione_per", "emittente_di"]

router = APIRouter(prefix="/documenti", tags=["documenti"])

ModoQuery = Annotated[str | None, Query(pattern="^(facsimile|normalizzato)$", description="facsimile | normalizzato")]


def _pdf(data: bytes, nome: str) -> Response:
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{nome}.pdf"'})


@router.get("/tipi")
def tipi(user: CurrentUser) -> list[dict[str, str]]:
    return [{"tipo": dt.code, "titolo": dt.title} for dt in DOCUMENT_TYPES.values()]


@router.get("/{tipo}/schema")
def schema(tipo: str, user: CurrentUser) -> dict[str, Any]:
    return get_document_type(tipo).model.model_json_schema()


@router.get("/{tipo}/esempio")
def esempio(tipo: str, user: CurrentUser) -> Any:
    return get_document_type(tipo).example()


@router.get("/{tipo}/vuoto", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def vuoto(tipo: str, user: CurrentUser, settings: SettingsDep, modo: ModoQuery = None) -> Response:
    """The blank form, for handwriting."""
    return _pdf(render_document(tipo, None, modo=modo, settings=settings), f"{tipo}-vuoto")


@router.post("/{tipo}/pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def pdf(tipo: str, dati: Annotated[dict[str, Any] | list[Any], Body()], user: CurrentUser, settings: SettingsDep,
        session: SessionDep, request: Request, modo: ModoQuery = None,
        emittente: Annotated[str | None, Query(max_length=40, description="Solo admin: chi emette")] = None) -> Response:
    """Validate, render, sign as the caller's organisation, archive; the signed PDF (Italian errors on 422)."""
    org = emittente_di(user, session, emittente)
    rilascia(session)  # before the archive opens its own sessions (SQLite write lock)
    emissione = emissione_per(request.app, settings)
    emesso = emissione.emetti(tipo, dati, emittente=org, modo=modo, archivia=True)
    record = emesso.record or {}
    audit(session, request, user, "documento.emetti", oggetto=record.get("id", tipo), tipo=tipo,
          emittente=emesso.emittente.id, sha256=record.get("sha256", ""), stato=record.get("stato", ""))
    return _emesso(emesso.pdf, get_document_type(tipo).code, record)


def _emesso(data: bytes, nome: str, record: dict[str, Any]) -> Response:
    response = _pdf(data, nome)
    response.headers["X-Curit-Documento"] = str(record.get("id", ""))
    response.headers["X-Curit-Sha256"] = str(record.get("sha256", ""))
    response.headers["X-Curit-Archivio"] = str(record.get("stato", ""))
    return response


_lock = threading.Lock()


def emissione_per(app: FastAPI, settings: Settings) -> Emissione:
    """The app's emission stage, built once: loaded identities + the app's archive."""
    emissione: Emissione | None = getattr(app.state, "curit_emissione", None)
    if emissione is None:
        archivio = archivio_per(app, settings)
        with _lock:
            emissione = getattr(app.state, "curit_emissione", None)
            if emissione is None:
                emissione = app.state.curit_emissione = Emissione(settings, archivio=archivio)
    return emissione


def emittente_di(user: Principal, session: Session, richiesto: str | None) -> str | None:
    """The organisation the caller issues as; admin names one (None: the one the data imply)."""
    if user.ruolo == "admin":
        return richiesto
    if user.ruolo in ("ente", "ispettore") and user.ente_id:
        proprio = user.ente_id
    elif user.ruolo == "cait" and user.cait_id:
        proprio = user.cait_id
    elif user.ruolo == "manutentore" and user.manutentore_id is not None:
        proprio = _cait_del_manutentore(session, user.manutentore_id)
    else:
        raise HTTPException(403)
    if richiesto and richiesto != proprio:
        raise HTTPException(403)
    return proprio


def _cait_del_manutentore(session: Session, manutentore_id: int) -> str:
    """A manutentore's declarations are received (and sealed) by the CAIT it belongs to."""
    from archive.anagrafiche import Manutentore

    m = session.get(Manutentore, manutentore_id)
    if m is None or not m.cait_id:
        raise HTTPException(403)
    return m.cait_id
