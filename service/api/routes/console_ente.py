"""Console of the Ente: its archive duties (legal hold set / released, the retention report and
the disposal of expired documents with an explicit two-step confirmation, both steps audited).

Each action calls the same function as its API route (``service/api/routes/archivio.py``)."""

from __future__ import annotations

import hmac
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from archive import indice as idx
from domain.errors import AppError, NotFound
from service.api.archivio_dep import ArchivioDep
from service.api.deps import SessionDep, StateDep, audit
from service.api.routes import archivio as api_archivio
from service.api.routes.console import ConsoleUser, Csrf, _errore, _ruoli, _scoped
from service.api.routes.console_archivio import _pagina_documento, messaggi_campi
from service.console import pagina

router = APIRouter(include_in_schema=False)

CAMPI = {"motivo": "Motivo", "conferma": "Conferma", "attivo": "Blocco legale"}


@router.post("/console/documento/{documento_id}/blocco-legale", dependencies=[Csrf])
def blocco_legale(request: Request, documento_id: api_archivio.DocId, user: ConsoleUser, session: SessionDep,
                  archivio: ArchivioDep, attivo: Annotated[str, Form(max_length=2)] = "",
                  motivo: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Set (``attivo=1``) or release (``attivo=0``) the legal hold, with the reason (audited)."""
    _ruoli(user, "ente")
    try:
        body = api_archivio.BloccoLegale(attivo=attivo == "1", motivo=motivo.strip())
        api_archivio.blocco_legale(documento_id, body, user, _scoped(session, user), archivio, request)
    except (AppError, ValidationError) as exc:
        session.rollback()
        messaggio, errati = messaggi_campi(exc, CAMPI)
        return _pagina_documento(request, user, session, documento_id, status=422, errore=messaggio,
                                 errati={f"blocco_{c}" for c in errati}, valori={"blocco_motivo": motivo})
    return RedirectResponse(f"/console/documento/{documento_id}?esito=blocco-{'attivato' if attivo == '1' else 'rimosso'}",
                            status_code=303)


@router.get("/console/ente/conservazione")
def conservazione(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    """The retention report: the Ente's documents whose retention has ended (nothing deleted)."""
    _ruoli(user, "ente", "archivista")
    scaduti = [idx.as_dict(d) for d in idx.scaduti(_scoped(session, user), date.today())]
    sotto_blocco = [idx.as_dict(d) for d in _sotto_blocco(_scoped(session, user))]
    return pagina(request, "ente/conservazione", utente=user, titolo="Conservazione e scarto", scaduti=scaduti,
                  bloccati=len(sotto_blocco), sotto_blocco=sotto_blocco, esito=request.query_params.get("esito"))


def _sotto_blocco(session: Any, limite: int = 500) -> list[Any]:
    """The caller's documents under legal hold (the scope comes from the session's tenant criteria)."""
    from sqlalchemy import select

    q = select(idx.Documento).where(idx.Documento.blocco_legale.is_(True), idx.Documento.smaltito_il.is_(None)) \
        .order_by(idx.Documento.conserva_fino_al, idx.Documento.id).limit(limite)
    return list(session.scalars(q))


def _gettone(state: Any, user: Any, documento_id: str, motivo: str) -> str:
    """Binds the second step to the first: same user, document and reason."""
    import hashlib

    return hmac.new(state.key, f"smaltimento|{user.username}|{documento_id}|{motivo}".encode(),
                    hashlib.sha256).hexdigest()


@router.post("/console/ente/smaltimento/{documento_id}", dependencies=[Csrf])
def smaltimento(request: Request, documento_id: api_archivio.DocId, user: ConsoleUser, session: SessionDep,
                state: StateDep, archivio: ArchivioDep, motivo: Annotated[str, Form(max_length=500)] = "",
                conferma: Annotated[str, Form(max_length=200)] = "",
                digitato: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Two steps. 1) reason given → a confirmation page naming the document and what is lost
    (audited ``archivio.smaltimento.preparato``); 2) that page's form, with the word SMALTISCI typed,
    → the disposal (audited ``archivio.smaltisci``)."""
    _ruoli(user, "ente")
    motivo = motivo.strip()
    scoped = _scoped(session, user)
    try:
        doc = api_archivio.documento_visibile(scoped, documento_id)
    except NotFound as exc:
        return _errore(request, user, exc)
    if len(motivo) < 3:
        return _conferma(request, user, doc, motivo, None, status=422,
                         errore="Motivo: indicare il motivo e il riferimento dell'autorizzazione allo scarto "
                                "(almeno 3 caratteri).")
    gettone = _gettone(state, user, documento_id, motivo)
    if not conferma:
        audit(session, request, user, "archivio.smaltimento.preparato", oggetto=documento_id, motivo=motivo)
        return _conferma(request, user, doc, motivo, gettone)
    if not hmac.compare_digest(conferma, gettone):
        return _conferma(request, user, doc, motivo, gettone, status=422,
                         errore="Conferma: il motivo è cambiato dopo il primo passaggio; confermare di nuovo.")
    if digitato.strip().upper() != "SMALTISCI":
        return _conferma(request, user, doc, motivo, gettone, status=422,
                         errore="Conferma: scrivere SMALTISCI nel campo per confermare lo smaltimento definitivo.")
    try:
        body = api_archivio.Smaltimento(motivo=motivo, conferma=True)
        api_archivio.smaltisci(documento_id, body, user, scoped, archivio, request)
    except (AppError, ValidationError) as exc:
        session.rollback()
        messaggio, _ = messaggi_campi(exc, CAMPI)
        return _conferma(request, user, doc, motivo, None, status=409, errore=messaggio)
    return RedirectResponse("/console/ente/conservazione?esito=smaltito", status_code=303)


def _conferma(request: Request, user: Any, doc: dict[str, Any], motivo: str, gettone: str | None, *,
              status: int = 200, errore: str | None = None) -> Response:
    return pagina(request, "ente/smaltimento", utente=user, titolo="Conferma dello smaltimento", doc=doc,
                  motivo=motivo, gettone=gettone, errore=errore, status=status)
