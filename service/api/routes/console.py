"""Web console pages (Italian, server-rendered): login, home per role, archive search, document
page with verified download and paper original, verification of an upload, requests for
originals, batch jobs with a live progress bar, the manutentore's forms, the CAIT desk.

Every page calls the same functions as the API routes with the same tenant scope; the console
only swaps the bearer header for the session cookie (see :mod:`service.console`). Pages are
left out of the OpenAPI schema.
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from domain.errors import AppError
from service.api.archivio_dep import ArchivioDep, limita_al_tenant
from service.api.deps import Principal, SessionDep, SettingsDep, StateDep, audit
from service.api.routes import archivio as api_archivio
from service.api.routes import lavori as api_lavori
from service.console import COOKIE_TOKEN, STATIC_DIR, RifiutoConsole, csrf_valido, imposta_cookie, pagina, utente_da_cookie
from service.sessioni import CredenzialiErrate, TroppiTentativi, accedi, esci as chiudi

router = APIRouter(include_in_schema=False)

STATIC = {"bootstrap-italia.min.css": "text/css", "console.css": "text/css", "console.js": "text/javascript",
          "modulo.js": "text/javascript", "favicon.svg": "image/svg+xml", "prova.js": "text/javascript",
          "file.js": "text/javascript",
          "LICENSE-bootstrap-italia.txt": "text/plain"}
FONT_DIR = FsPath("titillium-web")


def _utente(request: Request, state: StateDep, session: SessionDep) -> Principal:
    user = utente_da_cookie(request, state, session)
    if user is None:
        raise HTTPException(303, headers={"Location": "/console/accesso"})
    return user


ConsoleUser = Annotated[Principal, Depends(_utente)]


def _ruoli(user: Principal, *ruoli: str) -> None:
    if user.ruolo not in ruoli and user.ruolo != "admin":
        raise HTTPException(403)


_CSRF_SCADUTO = "Sessione del modulo scaduta: ricaricare la pagina e riprovare."


def _csrf(request: Request, state: StateDep, session: SessionDep,
          csrf: Annotated[str, Form(max_length=100)] = "") -> None:
    """The form's CSRF token is the one of the caller's open session (service/console); without
    one (no cookie, or a cookie whose session was revoked) the page's double-submit token."""
    aperta = utente_da_cookie(request, state, session) is not None
    if not csrf_valido(request, csrf, state.key if aperta else None):
        raise RifiutoConsole(_CSRF_SCADUTO)


def _csrf_accesso(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> None:
    """The login form has no session yet: double-submit cookie."""
    if not csrf_valido(request, csrf, di_sessione=False):
        raise RifiutoConsole(_CSRF_SCADUTO)


Csrf = Depends(_csrf)


def _errore(request: Request, user: Principal | None, exc: AppError, status: int = 422) -> Response:
    from service.api.errors import status_for

    return pagina(request, "errore", utente=user, titolo="Operazione non riuscita", status=status_for(exc),
                  messaggio=exc.message)


# -- static -----------------------------------------------------------------------------------


@router.get("/static/{nome}")
def statico(nome: str) -> FileResponse:
    if nome not in STATIC:
        raise HTTPException(404)
    return FileResponse(STATIC_DIR / nome, media_type=STATIC[nome], headers={"Cache-Control": "max-age=3600"})


@router.get("/static/fonts/{nome}")
def font(nome: Annotated[str, Path(pattern=r"^TitilliumWeb-[a-z0-9-]+\.ttf$")], settings: SettingsDep) -> FileResponse:
    percorso = settings.fonts_dir / FONT_DIR / nome
    if not percorso.is_file():
        raise HTTPException(404)
    return FileResponse(percorso, media_type="font/ttf", headers={"Cache-Control": "max-age=86400"})


# -- login ------------------------------------------------------------------------------------


@router.get("/console/accesso")
def accesso(request: Request) -> Response:
    return pagina(request, "accesso", utente=None, titolo="Accesso", errore=None, username="")


@router.post("/console/accesso", dependencies=[Depends(_csrf_accesso)])
def entra(request: Request, state: StateDep, settings: SettingsDep,
          username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=256)]) -> Response:
    """Login: throttled and audited like /auth/token (service/sessioni.py); a new server-side session."""
    try:
        accesso = accedi(state.sessions, state.key, settings, username, password,
                         origine=request.client.host if request.client else "", canale="console")
    except (TroppiTentativi, CredenzialiErrate) as exc:
        limitato = isinstance(exc, TroppiTentativi)
        response = pagina(request, "accesso", utente=None, titolo="Accesso", status=429 if limitato else 401,
                          username=username, errore=exc.message)
        if limitato:
            response.headers["Retry-After"] = str(exc.attesa_s)
        return response
    response = RedirectResponse("/", status_code=303)
    imposta_cookie(request, response, COOKIE_TOKEN, accesso.token, max_age=settings.token_minuti * 60)
    return response


@router.post("/console/esci", dependencies=[Csrf])
def esci(request: Request, state: StateDep, session: SessionDep) -> Response:
    """Logout: the session is revoked server-side, so the cookie (or a copy of it) stops working."""
    user = utente_da_cookie(request, state, session)
    if user is not None and user.sid is not None:
        chiudi(session, user.sid, username=user.username, ruolo=user.ruolo,
               origine=request.client.host if request.client else "", canale="console")
    response = RedirectResponse("/console/accesso", status_code=303)
    response.delete_cookie(COOKIE_TOKEN, path="/")
    return response


@router.get("/")
def home(request: Request, state: StateDep, session: SessionDep) -> Response:
    user = utente_da_cookie(request, state, session)
    if user is None:
        return RedirectResponse("/console/accesso", status_code=303)
    from service.servizi_cait import deve_cambiare_password

    if deve_cambiare_password(session, user.username):  # a provisional password sent by e-mail
        return RedirectResponse("/console/password", status_code=303)
    return pagina(request, "home", utente=user, titolo="Home")


# -- archive ----------------------------------------------------------------------------------


def _scoped(session: Session, user: Principal) -> Session:
    return limita_al_tenant(session, user)


# archive search, document page, paper originals: service/api/routes/console_archivio.py


@router.get("/console/documento/{documento_id}/pdf")
def documento_pdf(request: Request, documento_id: api_archivio.DocId, user: ConsoleUser, session: SessionDep,
                  archivio: ArchivioDep) -> Response:
    try:
        return api_archivio.scarica(documento_id, user, _scoped(session, user), archivio, request)
    except AppError as exc:
        return _errore(request, user, exc)


@router.get("/console/verifica")
def verifica_form(request: Request, user: ConsoleUser) -> Response:
    return pagina(request, "verifica", utente=user, titolo="Verifica un PDF", esito=None)


@router.post("/console/verifica", dependencies=[Csrf])
def verifica(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep,
             file: Annotated[UploadFile, File()]) -> Response:
    try:
        esito = api_archivio.verifica_pdf(api_archivio.leggi_pdf(file), _scoped(session, user), settings)
    except AppError as exc:
        return _errore(request, user, exc)
    return pagina(request, "verifica", utente=user, titolo="Verifica un PDF", esito=esito, nome_file=file.filename)


# -- batch jobs -------------------------------------------------------------------------------


def _impianti_ente(session: Session, user: Principal) -> list[Any]:
    from sqlalchemy import select

    from archive.catasto import ImpiantoCatasto

    q = select(ImpiantoCatasto).order_by(ImpiantoCatasto.codice_impianto).limit(500)
    if user.ruolo != "admin":
        q = q.where(ImpiantoCatasto.ente_id == user.ente_id)
    return list(session.scalars(q))


@router.get("/console/lavori")
def lavori(request: Request, user: ConsoleUser, session: SessionDep, state: StateDep) -> Response:
    _ruoli(user, "ente")
    return pagina(request, "lavori", utente=user, titolo="Stampe massive", impianti=_impianti_ente(session, user),
                  lavori=api_lavori.elenco(user, session, state), errore=None)


@router.post("/console/lavori", dependencies=[Csrf])
def nuovo_lavoro(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep, state: StateDep,
                 codici: Annotated[list[str], Form(max_length=api_lavori.MAX_RECORD)] = []) -> Response:  # noqa: B006
    _ruoli(user, "ente")
    try:
        body = api_lavori.NuovoLavoro(tipo="targhe", codici=codici or None)
        creato = api_lavori.crea(body, user, session, settings, state.engine, request.app, request)
    except (AppError, ValueError) as exc:
        messaggio = exc.message if isinstance(exc, AppError) else "Selezionare almeno un impianto."
        return pagina(request, "lavori", utente=user, titolo="Stampe massive", status=422, errore=messaggio,
                      impianti=_impianti_ente(session, user), lavori=api_lavori.elenco(user, session, state))
    return RedirectResponse(f"/console/lavori/{creato['id']}", status_code=303)


@router.get("/console/lavori/{lavoro_id}")
def lavoro(request: Request, lavoro_id: api_lavori.LavoroId, user: ConsoleUser, session: SessionDep,
           state: StateDep) -> Response:
    try:
        stato = api_lavori.stato(lavoro_id, user, session, state.engine)
    except AppError as exc:
        return _errore(request, user, exc)
    return pagina(request, "lavoro", utente=user, titolo=f"Lavoro {lavoro_id}", lavoro=stato)


@router.get("/console/lavori/{lavoro_id}/stato")
def lavoro_stato(lavoro_id: api_lavori.LavoroId, user: ConsoleUser, session: SessionDep,
                 state: StateDep) -> dict[str, Any]:
    """JSON polled by the progress bar."""
    return api_lavori.stato(lavoro_id, user, session, state.engine)


@router.get("/console/lavori/{lavoro_id}/file/{nome}")
def lavoro_file(request: Request, lavoro_id: api_lavori.LavoroId, nome: Annotated[str, Path(pattern=r"^[\w.-]+$")],
                user: ConsoleUser, session: SessionDep, state: StateDep) -> Response:
    try:
        return api_lavori.scarica(lavoro_id, nome, user, session, state, request)
    except AppError as exc:
        return _errore(request, user, exc)


# -- manutentore and CAIT: service/api/routes/console_cait*.py and console_manutentore.py ----------
