"""Signing and verification of uploaded PDFs (PAdES, pyHanko via ``service.firma``).

Signing an uploaded PDF puts the organisation's signature on bytes nobody here produced, so it
needs the dedicated permission ``firma_pdf`` on top of the role (granted per user:
``curit-docs utenti permesso USER firma_pdf``). An Ente signs with its own identity
(``ente-<id>``), a CAIT with its own (``cait-<id>``); admin names the identity (e.g.
``regione``). Nobody else signs. Anyone authenticated may verify. Every signature is audited
with the SHA-256 of the uploaded and of the signed bytes; refusals are audited too. pyHanko runs its own event loop, so these routes are sync
(thread pool).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from archive.objectstore import sha256_hex
from service.api.deps import CurrentUser, Principal, SessionDep, SettingsDep, audit, richiede
from service.api.routes.archivio import leggi_pdf

router = APIRouter(prefix="/firma", tags=["firma"])


def identita_di(user: Principal, richiesta: str | None) -> str:
    """The identity the caller signs with: its organisation's; admin names one."""
    from service.identita import nome_identita

    if user.ruolo == "admin":
        if not richiesta:
            from domain.errors import RuleViolation

            raise RuleViolation("Indicare l'identità di firma (es. regione).", path=("identita",))
        return richiesta
    if user.ruolo == "ente" and user.ente_id:
        propria = nome_identita("ente", user.ente_id)
    elif user.ruolo == "cait" and user.cait_id:
        propria = nome_identita("cait", user.cait_id)
    else:
        raise HTTPException(403)
    if richiesta and richiesta != propria:
        raise HTTPException(403)
    return propria


@router.get("/identita", dependencies=[richiede("ente", "cait")])
def identita(user: CurrentUser, settings: SettingsDep) -> dict[str, Any]:
    """The identity the caller signs with and whether its key material is configured."""
    from service.identita import elenca_identita

    disponibili = elenca_identita(settings)
    if user.ruolo == "admin":
        return {"identita": None, "configurata": bool(disponibili), "disponibili": disponibili}
    nome = identita_di(user, None)
    return {"identita": nome, "configurata": nome in disponibili, "permesso_firma_pdf": PERMESSO in user.permessi}


PERMESSO = "firma_pdf"


def _permesso(user: CurrentUser, session: SessionDep, request: Request) -> Principal:
    """The caller holds ``firma_pdf``; a refusal is audited (committed first: the request then fails)."""
    if PERMESSO in user.permessi:
        return user
    audit(session, request, user, "firma.firma", esito="negato", motivo="permesso firma_pdf mancante")
    session.commit()
    raise HTTPException(403, detail="Firmare un PDF caricato richiede il permesso «firma_pdf»: chiederlo "
                                    "all'amministratore.")


@router.post("", response_class=Response, dependencies=[richiede("ente", "cait"), Depends(_permesso)],
             responses={200: {"content": {"application/pdf": {}}}})
def firma(
    file: Annotated[UploadFile, File(description="PDF da firmare")],
    user: CurrentUser, session: SessionDep, settings: SettingsDep, request: Request,
    tipo: Annotated[str | None, Form(max_length=40, description="Tipo di documento: decide la firma visibile")] = None,
    visibile: Annotated[bool | None, Form()] = None,
    motivo: Annotated[str | None, Form(max_length=200)] = None,
    luogo: Annotated[str | None, Form(max_length=100)] = None,
    livello: Annotated[Literal["auto", "B-B", "B-T"], Form()] = "auto",
    identita: Annotated[str | None, Form(max_length=63, description="Solo admin: identità da usare")] = None,
) -> Response:
    """Sign an uploaded PDF with the caller's organisation identity (PAdES B-B, or B-T with a TSA)."""
    from service.firma import firma_documento, spec_per_tipo

    nome = identita_di(user, identita)
    data = leggi_pdf(file)
    spec = spec_per_tipo(tipo, visibile=visibile, motivo=motivo, luogo=luogo, livello=livello, settings=settings)
    signed = firma_documento(data, nome, spec=spec, settings=settings)
    audit(session, request, user, "firma.firma", oggetto=nome, sha256_in=sha256_hex(data), sha256=sha256_hex(signed))
    return Response(signed, media_type="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="firmato.pdf"',
                             "X-Curit-Sha256": sha256_hex(signed)})


@router.post("/verifica")
def verifica(file: Annotated[UploadFile, File(description="PDF firmato da verificare")], user: CurrentUser,
             settings: SettingsDep) -> dict[str, Any]:
    """Verify every signature of an uploaded PDF against the configured trust list (Italian verdict)."""
    from service.firma import verifica_documento

    return verifica_documento(leggi_pdf(file), settings=settings).as_dict()
