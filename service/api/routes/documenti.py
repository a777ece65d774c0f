"""Single documents: list the types, their JSON Schema and example, render a PDF."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response

from service.api.deps import CurrentUser, SessionDep, SettingsDep, audit
from service.produce import render_document
from service.registry import DOCUMENT_TYPES, get_document_type

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
        session: SessionDep, request: Request, modo: ModoQuery = None) -> Response:
    """Validate the data and render the filled form (Italian errors with field paths on 422)."""
    doc = get_document_type(tipo)
    data = render_document(tipo, dati, modo=modo, settings=settings)
    audit(session, request, user, "documento.emetti", oggetto=tipo, byte=len(data))
    return _pdf(data, doc.code)
