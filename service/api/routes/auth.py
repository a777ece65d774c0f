"""Login (OAuth2 password flow → short-lived bearer token of a server-side session), logout,
who am I, API keys (created from a login session, expiring, listed, revocable)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from archive.utenti import Utente, crea_api_key, elenca_api_keys, revoca_api_key
from service.api.deps import CurrentUser, Principal, SessionDep, SettingsDep, StateDep, audit
from service.sessioni import CredenzialiErrate, TroppiTentativi, accedi, esci

router = APIRouter(prefix="/auth", tags=["autenticazione"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    scade_tra_secondi: int
    password_provvisoria: bool = False
    """True: the token serves only ``POST /password/cambia`` (and ``/auth/io``, ``/auth/esci``)."""
    messaggio: str | None = None


def origine(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post("/token", response_model=Token,
             responses={401: {"description": "Credenziali errate"},
                        429: {"description": "Troppi tentativi non riusciti (intestazione Retry-After)"}})
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], state: StateDep, settings: SettingsDep,
          request: Request) -> Token:
    """Log in: a bearer token valid ``CURIT_TOKEN_MINUTI`` minutes, ended early by ``/auth/esci``.

    With a provisional password ("Recupera la password") the token is limited to replacing it:
    every other route answers 403 until ``POST /password/cambia`` succeeds."""
    try:
        accesso = accedi(state.sessions, state.key, settings, form.username, form.password,
                         origine=origine(request), canale="api")
    except TroppiTentativi as exc:
        raise HTTPException(429, detail=exc.message, headers={"Retry-After": str(exc.attesa_s)}) from None
    except CredenzialiErrate as exc:
        raise HTTPException(401, detail=exc.message, headers={"WWW-Authenticate": "Bearer"}) from None
    if accesso.utente.ruolo == "manutentore":
        from archive.anagrafiche import PasswordProvvisoria
        from archive.db import session_scope
        from service.api.deps import MESSAGGIO_PASSWORD_PROVVISORIA

        with session_scope(state.sessions) as session:
            if session.get(PasswordProvvisoria, accesso.utente.username) is not None:
                return Token(access_token=accesso.token, scade_tra_secondi=settings.token_minuti * 60,
                             password_provvisoria=True, messaggio=MESSAGGIO_PASSWORD_PROVVISORIA)
    return Token(access_token=accesso.token, scade_tra_secondi=settings.token_minuti * 60)


@router.post("/esci", status_code=204)
def esci_api(user: CurrentUser, session: SessionDep, request: Request) -> None:
    """Log out: the bearer token of this session stops working at once (API keys are revoked apart)."""
    if user.sid is None:
        raise HTTPException(422, detail="Una chiave API non ha una sessione da chiudere: revocarla con "
                                        "DELETE /auth/api-keys/{prefisso}.")
    esci(session, user.sid, username=user.username, ruolo=user.ruolo, origine=origine(request), canale="api")


@router.get("/io")
def io(user: CurrentUser) -> dict:
    """The authenticated user and its tenant."""
    return {"username": user.username, "ruolo": user.ruolo, "ente_id": user.ente_id,
            "cait_id": user.cait_id, "manutentore_id": user.manutentore_id, "permessi": sorted(user.permessi)}


class NuovaChiave(BaseModel):
    descrizione: str = Field(default="", max_length=200)
    giorni: int | None = Field(default=None, ge=1, le=365, description="Validità in giorni (predefinita: 90)")


class Chiave(BaseModel):
    prefisso: str
    descrizione: str
    creata_il: datetime
    scade_il: datetime
    revocata: bool


def _utente(session: SessionDep, user: Principal) -> Utente:
    from sqlalchemy import select

    return session.scalar(select(Utente).where(Utente.username == user.username))


@router.post("/api-keys", status_code=201)
def nuova_api_key(body: NuovaChiave, user: CurrentUser, session: SessionDep, settings: SettingsDep,
                  request: Request) -> dict:
    """Create an API key for a machine client acting as the current user; shown only once.

    Only from a login session (a key cannot mint keys, or it would never expire)."""
    if user.sid is None:
        raise HTTPException(403, detail="Una chiave API si crea solo da una sessione di accesso (token), "
                                        "non con un'altra chiave API.")
    giorni = body.giorni or settings.api_key_giorni
    chiave = crea_api_key(session, _utente(session, user).id, body.descrizione, giorni=giorni)
    audit(session, request, user, "api_key.crea", oggetto=chiave.split(".")[0], giorni=giorni)
    return {"api_key": chiave, "prefisso": chiave.split(".")[0], "scade_tra_giorni": giorni,
            "nota": "Conservare la chiave: non sarà più mostrata."}


@router.get("/api-keys", response_model=list[Chiave])
def elenco_api_keys(user: CurrentUser, session: SessionDep) -> list[Chiave]:
    """The caller's API keys (never their secret), revoked and expired ones included."""
    return [Chiave(prefisso=k.prefisso, descrizione=k.descrizione, creata_il=k.creata_il, scade_il=k.scade_il,
                   revocata=k.revocata) for k in elenca_api_keys(session, _utente(session, user).id)]


@router.delete("/api-keys/{prefisso}", status_code=204)
def revoca(prefisso: Annotated[str, Path(pattern=r"^[0-9a-f]{1,16}$")], user: CurrentUser, session: SessionDep,
           request: Request) -> None:
    """Revoke one of the caller's API keys: it stops working at once."""
    revoca_api_key(session, _utente(session, user).id, prefisso)
    audit(session, request, user, "api_key.revoca", oggetto=prefisso)
