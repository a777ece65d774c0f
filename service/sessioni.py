"""Logins for the API and the console: throttling, audit, server-side sessions.

One path for ``POST /auth/token`` and the console form:

1. **Throttling** before the password is even checked: too many failed logins of the same
   username, or from the same client address, within ``login_finestra_minuti`` → ``TroppiTentativi``
   (429 with ``Retry-After``). Failed logins are audit rows (``accesso.fallito``), so every API
   replica sees the same count and nothing lives only in one process's memory. A successful
   login starts the username's count afresh (the address count is not reset).
2. **Audit** of every outcome: ``accesso`` (ok), ``accesso.fallito`` (wrong password, unknown
   or inactive user), ``accesso.limitato`` (refused by throttling). The failure row is written
   in its own transaction, so it survives the request that fails.
3. **Session**: a row in ``sessioni`` whose id is signed into the token; ``esci`` revokes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from archive.db import session_scope
from archive.utenti import ACCESSO_FALLITO, Audit, Utente, accessi_falliti, apri_sessione, autentica, \
    chiudi_sessione, registra_audit
from domain.errors import AppError
from service.auth import crea_token
from service.settings import Settings

__all__ = ["Accesso", "TroppiTentativi", "CredenzialiErrate", "accedi", "esci", "MESSAGGIO_CREDENZIALI"]

MESSAGGIO_CREDENZIALI = "Nome utente o password non corretti."
ACCESSO_OK = "accesso"
ACCESSO_LIMITATO = "accesso.limitato"


class CredenzialiErrate(AppError):
    """Wrong password, unknown or inactive user (one message for all: no user enumeration)."""


class TroppiTentativi(AppError):
    """Too many failed logins: ``attesa_s`` seconds before the next attempt is considered."""

    def __init__(self, message: str, *, attesa_s: int, path: tuple = ("username",)) -> None:
        super().__init__(message, path=path)
        self.attesa_s = attesa_s


@dataclass(frozen=True)
class Accesso:
    """A successful login: the user, its new session id and the signed token carrying it."""

    utente: Utente
    sid: str
    token: str


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _ultimo_accesso(session: Session, username: str) -> datetime | None:
    ultimo = session.scalar(select(func.max(Audit.istante)).where(Audit.azione == ACCESSO_OK,
                                                                  Audit.utente == username))
    if ultimo is not None and ultimo.tzinfo is None:
        ultimo = ultimo.replace(tzinfo=timezone.utc)
    return ultimo


def attesa_richiesta(session: Session, settings: Settings, username: str, origine: str,
                     adesso: datetime | None = None) -> int | None:
    """Seconds to wait before ``username`` may try again from ``origine``; None when it may now."""
    adesso = adesso or _now()
    finestra = timedelta(minutes=settings.login_finestra_minuti)
    inizio = adesso - finestra
    attese: list[float] = []
    ultimo = _ultimo_accesso(session, username)
    n, primo = accessi_falliti(session, dal=max(inizio, ultimo) if ultimo else inizio, utente=username)
    if n >= settings.login_tentativi_utente and primo is not None:
        attese.append((primo + finestra - adesso).total_seconds())
    n, primo = accessi_falliti(session, dal=inizio, origine=origine)
    if n >= settings.login_tentativi_indirizzo and primo is not None:
        attese.append((primo + finestra - adesso).total_seconds())
    return max(1, math.ceil(max(attese))) if attese else None


def _minuti(secondi: int) -> str:
    minuti = max(1, math.ceil(secondi / 60))
    return "1 minuto" if minuti == 1 else f"{minuti} minuti"


def accedi(sessions: sessionmaker, key: bytes, settings: Settings, username: str, password: str, *,
           origine: str, canale: str) -> Accesso:
    """Check throttling, then the password; open a session and return its token.

    Raises ``TroppiTentativi`` or ``CredenzialiErrate`` (both audited, in their own transaction).
    """
    username, origine = username[:64], origine[:64]
    with session_scope(sessions) as session:
        attesa = attesa_richiesta(session, settings, username, origine)
        if attesa is None:
            user = autentica(session, username, password[:256])
            if user is not None:
                sid = apri_sessione(session, user, minuti=settings.token_minuti, canale=canale, origine=origine).id
                registra_audit(session, utente=user.username, ruolo=user.ruolo, azione=ACCESSO_OK, origine=origine,
                               dettagli={"canale": canale})
                token = crea_token(key, user.username, user.ruolo, minuti=settings.token_minuti, sid=sid)
                return Accesso(user, sid, token)
    with session_scope(sessions) as session:  # the refusal is recorded even though the request fails
        registra_audit(session, utente=username, ruolo="", azione=ACCESSO_LIMITATO if attesa else ACCESSO_FALLITO,
                       esito="negato", origine=origine, dettagli={"canale": canale})
    if attesa is not None:
        raise TroppiTentativi(
            f"Troppi tentativi di accesso non riusciti per questo utente o da questo indirizzo: "
            f"riprovare tra {_minuti(attesa)}.", attesa_s=attesa)
    raise CredenzialiErrate(MESSAGGIO_CREDENZIALI, path=("password",))


def esci(session: Session, sid: str, *, username: str, ruolo: str, origine: str, canale: str) -> bool:
    """Revoke the session ``sid`` (logout), audited; False when it was already closed."""
    chiusa = chiudi_sessione(session, sid)
    if chiusa:
        registra_audit(session, utente=username, ruolo=ruolo, azione="uscita", origine=origine[:64],
                       dettagli={"canale": canale})
    return chiusa
