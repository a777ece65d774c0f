"""Shared dependencies as named ``Annotated`` aliases (SettingsDep, SessionDep, CurrentUser…)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Request
from pydantic import Field
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from archive.db import make_engine, session_scope
from archive.utenti import Utente, autentica_api_key, registra_audit, utente_della_sessione
from service.auth import chiave_segreta, leggi_token
from service.settings import Settings, get_settings

__all__ = ["IdPath", "IdCampo", "MAX_ID", "SettingsDep", "SessionDep", "CurrentUser", "Principal", "richiede", "richiede_permesso", "audit", "state_for"]


MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A database id in a URL path: bounded, so no backend ever sees an out-of-range integer."""
IdCampo = Annotated[int, Field(ge=1, le=MAX_ID)]
"""The same bound for ids inside request bodies."""


def get_settings_dep() -> Settings:
    return get_settings()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


@dataclass(frozen=True)
class AppState:
    engine: Engine
    sessions: sessionmaker
    key: bytes


_states: dict[str, AppState] = {}
_lock = threading.Lock()


def state_for(settings: Settings) -> AppState:
    """Engine, session factory and token key for a configuration; migrates (and seeds) once."""
    with _lock:
        state = _states.get(settings.db_url)
        if state is None:
            engine = make_engine(settings.db_url)  # brings the schema up to date
            state = AppState(engine, sessionmaker(engine, expire_on_commit=False),
                             chiave_segreta(settings.secret_key, settings.var_dir))
            if settings.demo:
                from service.demo import semina

                with state.sessions.begin() as session:
                    semina(session)
            _states[settings.db_url] = state
        return state


def _state(settings: SettingsDep) -> AppState:
    return state_for(settings)


StateDep = Annotated[AppState, Depends(_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    with session_scope(state.sessions) as session:
        yield session


# scope="function": the unit of work commits when the endpoint returns, before the response is
# sent. With the default ("request") the commit ran after the client already had its 201/303, so a
# browser could read the next page before the audit row existed, and a failed commit went unseen.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller and the tenant it is confined to."""

    username: str
    ruolo: str
    ente_id: str | None
    cait_id: str | None
    manutentore_id: int | None
    permessi: frozenset[str] = frozenset()
    """Permissions beyond the role (``archive.utenti.PERMESSI``)."""
    sid: str | None = None
    """The server-side session of a bearer token or console cookie; None for an API key."""

    @classmethod
    def of(cls, u: Utente, sid: str | None = None) -> "Principal":
        return cls(u.username, u.ruolo, u.ente_id, u.cait_id, u.manutentore_id, frozenset(u.permessi or ()), sid)


_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


SOLO_CAMBIO_PASSWORD = frozenset({"/password/cambia", "/auth/io", "/auth/esci"})
"""What a user whose password is provisional ("Recupera la password") may call until it is replaced."""

MESSAGGIO_PASSWORD_PROVVISORIA = (
    "La password è provvisoria (inviata con \"Recupera la password\"): sostituirla con una definitiva "
    "prima di usare l'API, con POST /password/cambia (campi attuale, nuova, conferma) o dalla console.")


def _password_provvisoria(session: Session, user: Utente) -> bool:
    if user.ruolo != "manutentore":  # only manutentori recover a password by e-mail
        return False
    from archive.anagrafiche import PasswordProvvisoria

    return session.get(PasswordProvvisoria, user.username) is not None


def current_principal(
    request: Request,
    state: StateDep,
    session: SessionDep,
    token: Annotated[str | None, Depends(_bearer)],
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    user: Utente | None = None
    sid: str | None = None
    if token:
        payload = leggi_token(state.key, token)
        if payload is not None:  # signed and unexpired; the session must still be open (not logged out)
            sid = payload["sid"]
            user = utente_della_sessione(session, sid, payload["sub"])
    elif x_api_key:
        user = autentica_api_key(session, x_api_key[:200])
    if user is None:
        raise HTTPException(401, headers={"WWW-Authenticate": "Bearer"})
    if request.url.path not in SOLO_CAMBIO_PASSWORD and _password_provvisoria(session, user):
        raise HTTPException(403, detail=MESSAGGIO_PASSWORD_PROVVISORIA)
    return Principal.of(user, sid)


CurrentUser = Annotated[Principal, Depends(current_principal)]


def richiede(*ruoli: str):
    """Dependency: the caller must have one of ``ruoli`` (admin always passes)."""

    def _check(user: CurrentUser) -> Principal:
        if user.ruolo not in ruoli and user.ruolo != "admin":
            raise HTTPException(403)
        return user

    return Depends(_check)


def richiede_permesso(permesso: str, *ruoli: str):
    """Dependency: the caller must hold ``permesso`` (admin included) and, if given, one of ``ruoli``."""

    def _check(user: CurrentUser) -> Principal:
        if permesso not in user.permessi or (ruoli and user.ruolo not in ruoli and user.ruolo != "admin"):
            raise HTTPException(403, detail=f"Operazione riservata agli utenti con il permesso «{permesso}».")
        return user

    return Depends(_check)


def audit(session: Session, request: Request, user: Principal, azione: str, oggetto: str = "", *, esito: str = "ok",
          **dettagli) -> None:
    origine = request.client.host if request.client else ""
    registra_audit(session, utente=user.username, ruolo=user.ruolo, azione=azione, oggetto=oggetto, esito=esito,
                   origine=origine, dettagli={k: str(v) for k, v in dettagli.items()})
