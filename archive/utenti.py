"""Users, API keys and the audit log of the service.

Passwords and API keys are stored only as argon2 hashes; an API key is shown
once, at creation, as ``<prefix>.<secret>``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.db import Base
from domain.errors import Conflict, RuleViolation

__all__ = ["RUOLI", "Utente", "ApiKey", "Audit", "crea_utente", "hash_password", "autentica", "crea_api_key",
           "autentica_api_key", "registra_audit"]

RUOLI = ("ente", "cait", "manutentore", "archivista", "ispettore", "admin")

_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
"""argon2id with the OWASP minimum (19 MiB, 2 iterations, 1 lane): safe and quick enough for logins."""
_DUMMY_HASH = _hasher.hash("curit-docs-dummy")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Utente(Base):
    __tablename__ = "utenti"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    ruolo: Mapped[str] = mapped_column(String(16))
    nome: Mapped[str] = mapped_column(String(200), default="")
    ente_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    cait_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    manutentore_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attivo: Mapped[bool] = mapped_column(Boolean, default=True)
    creato_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefisso: Mapped[str] = mapped_column(String(16), unique=True)
    hash: Mapped[str] = mapped_column(String(200))
    utente_id: Mapped[int] = mapped_column(ForeignKey("utenti.id"), index=True)
    descrizione: Mapped[str] = mapped_column(String(200), default="")
    revocata: Mapped[bool] = mapped_column(Boolean, default=False)
    creata_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Audit(Base):
    """Who did what, when, from where: issue, retrieval, signature, legal hold, disposal…"""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    istante: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    utente: Mapped[str] = mapped_column(String(64), index=True)
    ruolo: Mapped[str] = mapped_column(String(16))
    azione: Mapped[str] = mapped_column(String(64), index=True)
    oggetto: Mapped[str] = mapped_column(String(200), default="")
    esito: Mapped[str] = mapped_column(String(16), default="ok")
    origine: Mapped[str] = mapped_column(String(64), default="")
    dettagli: Mapped[dict] = mapped_column(JSON, default=dict)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def crea_utente(session: Session, username: str, password: str, ruolo: str, *, password_hash: str | None = None,
                **scope: object) -> Utente:
    """A new account; ``password_hash`` lets a seeder reuse one hash for many demo users."""
    if ruolo not in RUOLI:
        raise RuleViolation(f"Ruolo non valido: scegliere tra {', '.join(RUOLI)}.", path=("ruolo",))
    if len(password) < 8:
        raise RuleViolation("La password deve avere almeno 8 caratteri.", path=("password",))
    if session.scalar(select(Utente).where(Utente.username == username)) is not None:
        raise Conflict("Nome utente già in uso.", path=("username",))
    user = Utente(username=username, password_hash=password_hash or _hasher.hash(password), ruolo=ruolo, **scope)
    session.add(user)
    session.flush()
    return user


def autentica(session: Session, username: str, password: str) -> Utente | None:
    """The user when the password matches an active account; None otherwise (constant-ish time)."""
    user = session.scalar(select(Utente).where(Utente.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user if (user is not None and user.attivo) else None


def crea_api_key(session: Session, utente_id: int, descrizione: str = "") -> str:
    prefisso = secrets.token_hex(6)
    segreto = secrets.token_urlsafe(32)
    session.add(ApiKey(prefisso=prefisso, hash=_hasher.hash(segreto), utente_id=utente_id, descrizione=descrizione))
    session.flush()
    return f"{prefisso}.{segreto}"


def autentica_api_key(session: Session, chiave: str) -> Utente | None:
    prefisso, _, segreto = chiave.partition(".")
    key = session.scalar(select(ApiKey).where(ApiKey.prefisso == prefisso, ApiKey.revocata.is_(False)))
    try:
        _hasher.verify(key.hash if key else _DUMMY_HASH, segreto)
    except (VerificationError, InvalidHashError):
        return None
    if key is None:
        return None
    user = session.get(Utente, key.utente_id)
    return user if (user is not None and user.attivo) else None


def registra_audit(session: Session, *, utente: str, ruolo: str, azione: str, oggetto: str = "",
                   esito: str = "ok", origine: str = "", dettagli: dict | None = None) -> None:
    session.add(Audit(utente=utente, ruolo=ruolo, azione=azione, oggetto=oggetto, esito=esito,
                      origine=origine, dettagli=dettagli or {}))
