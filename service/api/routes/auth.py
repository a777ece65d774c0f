"""Login (OAuth2 password flow → short-lived bearer token), who am I, API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from archive.utenti import autentica, crea_api_key
from service.api.deps import CurrentUser, SessionDep, SettingsDep, StateDep, audit
from service.auth import crea_token

router = APIRouter(prefix="/auth", tags=["autenticazione"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    scade_tra_secondi: int


@router.post("/token", response_model=Token)
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, state: StateDep,
          settings: SettingsDep) -> Token:
    user = autentica(session, form.username[:64], form.password[:256])
    if user is None:
        raise HTTPException(401, detail="Nome utente o password non corretti.", headers={"WWW-Authenticate": "Bearer"})
    tok = crea_token(state.key, user.username, user.ruolo, minuti=settings.token_minuti)
    return Token(access_token=tok, scade_tra_secondi=settings.token_minuti * 60)


@router.get("/io")
def io(user: CurrentUser) -> dict:
    """The authenticated user and its tenant."""
    return {"username": user.username, "ruolo": user.ruolo, "ente_id": user.ente_id,
            "cait_id": user.cait_id, "manutentore_id": user.manutentore_id}


class NuovaChiave(BaseModel):
    descrizione: str = Field(default="", max_length=200)


@router.post("/api-keys", status_code=201)
def nuova_api_key(body: NuovaChiave, user: CurrentUser, session: SessionDep, request: Request) -> dict:
    """Create an API key for a machine client acting as the current user; shown only once."""
    from sqlalchemy import select

    from archive.utenti import Utente

    utente = session.scalar(select(Utente).where(Utente.username == user.username))
    chiave = crea_api_key(session, utente.id, body.descrizione)
    audit(session, request, user, "api_key.crea", oggetto=chiave.split(".")[0])
    return {"api_key": chiave, "nota": "Conservare la chiave: non sarà più mostrata."}
