"""Users, their sessions and API keys, and the audit log of the service.

Passwords and API keys are stored only as argon2 hashes; an API key is shown
once, at creation, as ``<prefix>.<secret>``, and expires. A login opens a server-side
``Sessione`` whose id travels in the signed bearer token: logging out, deactivating or
deleting the user ends it at once (``revoca_accessi_utente``). Failed logins are audit rows
(``accesso.fallito``), which also drive the login throttling of the service.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.db import Base
from domain.errors import Conflict, NotFound, RuleViolation

__all__ = ["RUOLI", "PERMESSI", "Utente", "ApiKey", "Sessione", "Audit", "crea_utente", "hash_password", "autentica",
           "crea_api_key", "autentica_api_key", "elenca_api_keys", "revoca_api_key", "apri_sessione",
           "utente_della_sessione", "chiudi_sessione", "revoca_accessi_utente", "disattiva_utente", "elimina_utente",
           "registra_audit", "accessi_falliti", "ACCESSO_FALLITO"]

RUOLI = ("ente", "cait", "manutentore", "archivista", "ispettore", "admin")
PERMESSI = ("firma_pdf",)
"""Permissions beyond the role: ``firma_pdf`` signs uploaded PDFs with the organisation's key."""
ACCESSO_FALLITO = "accesso.fallito"
"""Audit action of a refused login (wrong password, unknown or inactive user)."""

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
    permessi: Mapped[list] = mapped_column(JSON, default=list)
    """Granted permissions beyond the role (``PERMESSI``)."""


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefisso: Mapped[str] = mapped_column(String(16), unique=True)
    hash: Mapped[str] = mapped_column(String(200))
    utente_id: Mapped[int] = mapped_column(ForeignKey("utenti.id"), index=True)
    descrizione: Mapped[str] = mapped_column(String(200), default="")
    revocata: Mapped[bool] = mapped_column(Boolean, default=False)
    creata_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    scade_il: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revocata_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Sessione(Base):
    """One login: its id is inside the bearer token (API) or the session cookie (console)."""

    __tablename__ = "sessioni"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    utente_id: Mapped[int] = mapped_column(ForeignKey("utenti.id", ondelete="CASCADE"), index=True)
    canale: Mapped[str] = mapped_column(String(16))
    origine: Mapped[str] = mapped_column(String(64), default="")
    creata_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    scade_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    revocata_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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
                permessi: list[str] | tuple[str, ...] = (), **scope: object) -> Utente:
    """A new account; ``password_hash`` lets a seeder reuse one hash for many demo users."""
    if ruolo not in RUOLI:
        raise RuleViolation(f"Ruolo non valido: scegliere tra {', '.join(RUOLI)}.", path=("ruolo",))
    if not username or len(username) > 64 or not username.isprintable() or " " in username:
        raise RuleViolation("Nome utente non valido: da 1 a 64 caratteri, senza spazi.", path=("username",))
    if len(password) < 8:
        raise RuleViolation("La password deve avere almeno 8 caratteri.", path=("password",))
    sconosciuti = sorted(set(permessi) - set(PERMESSI))
    if sconosciuti:
        raise RuleViolation(f"Permesso sconosciuto: {', '.join(sconosciuti)} (disponibili: {', '.join(PERMESSI)}).",
                            path=("permessi",))
    if session.scalar(select(Utente).where(Utente.username == username)) is not None:
        raise Conflict("Nome utente già in uso.", path=("username",))
    user = Utente(username=username, password_hash=password_hash or _hasher.hash(password), ruolo=ruolo,
                  permessi=sorted(set(permessi)), **scope)
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


# -- sessions -----------------------------------------------------------------------------------


def apri_sessione(session: Session, utente: Utente, *, minuti: int, canale: str, origine: str = "",
                  adesso: datetime | None = None) -> Sessione:
    """A new server-side session of ``utente`` lasting ``minuti``; its id goes into the token."""
    adesso = adesso or _now()
    # the user's sessions that ended a day ago are of no further use: the table stays small
    session.execute(delete(Sessione).where(Sessione.utente_id == utente.id,
                                           Sessione.scade_il < adesso - timedelta(days=1)))
    row = Sessione(id=secrets.token_hex(16), utente_id=utente.id, canale=canale[:16], origine=origine[:64],
                   creata_il=adesso, scade_il=adesso + timedelta(minutes=minuti))
    session.add(row)
    session.flush()
    return row


def utente_della_sessione(session: Session, sid: str, username: str) -> Utente | None:
    """The active user of an open, unexpired session ``sid`` belonging to ``username``; else None."""
    return session.scalar(
        select(Utente).join(Sessione, Sessione.utente_id == Utente.id).where(
            Sessione.id == sid, Sessione.revocata_il.is_(None), Sessione.scade_il > _now(),
            Utente.username == username, Utente.attivo.is_(True)))


def chiudi_sessione(session: Session, sid: str) -> bool:
    """Revoke one session (logout); False when it was not open."""
    done = session.execute(update(Sessione).where(Sessione.id == sid, Sessione.revocata_il.is_(None))
                           .values(revocata_il=_now()))
    return bool(done.rowcount)


def revoca_accessi_utente(session: Session, username: str) -> int:
    """End every open session (bearer tokens and console cookies) and revoke every API key of
    ``username`` at once; returns how many were revoked. Call it whenever a user loses access
    (deactivated, deleted, an operator set inactive by its CAIT, a suspected leak)."""
    user = session.scalar(select(Utente).where(Utente.username == username))
    if user is None:
        return 0
    adesso = _now()
    sessioni = session.execute(update(Sessione).where(Sessione.utente_id == user.id, Sessione.revocata_il.is_(None))
                               .values(revocata_il=adesso)).rowcount
    chiavi = session.execute(update(ApiKey).where(ApiKey.utente_id == user.id, ApiKey.revocata.is_(False))
                             .values(revocata=True, revocata_il=adesso)).rowcount
    return (sessioni or 0) + (chiavi or 0)


def disattiva_utente(session: Session, username: str) -> Utente:
    """Deactivate an account and end all its sessions and API keys (reactivating revives none)."""
    user = session.scalar(select(Utente).where(Utente.username == username))
    if user is None:
        raise NotFound(f"Utente {username} inesistente.", path=("username",))
    user.attivo = False
    revoca_accessi_utente(session, username)
    session.flush()
    return user


def elimina_utente(session: Session, username: str) -> None:
    """Delete an account with its sessions and API keys (the audit log keeps its name)."""
    user = session.scalar(select(Utente).where(Utente.username == username))
    if user is None:
        raise NotFound(f"Utente {username} inesistente.", path=("username",))
    session.execute(delete(Sessione).where(Sessione.utente_id == user.id))
    session.execute(delete(ApiKey).where(ApiKey.utente_id == user.id))
    session.delete(user)
    session.flush()


# -- API keys -------------------------------------------------------------------------------------


def crea_api_key(session: Session, utente_id: int, descrizione: str = "", *, giorni: int = 90) -> str:
    """A new key valid ``giorni`` days, returned once as ``<prefisso>.<segreto>``."""
    prefisso = secrets.token_hex(6)
    segreto = secrets.token_urlsafe(32)
    adesso = _now()
    session.add(ApiKey(prefisso=prefisso, hash=_hasher.hash(segreto), utente_id=utente_id, descrizione=descrizione,
                       creata_il=adesso, scade_il=adesso + timedelta(days=giorni)))
    session.flush()
    return f"{prefisso}.{segreto}"


def autentica_api_key(session: Session, chiave: str) -> Utente | None:
    """The active owner of an unrevoked, unexpired key; None otherwise."""
    prefisso, _, segreto = chiave.partition(".")
    key = session.scalar(select(ApiKey).where(ApiKey.prefisso == prefisso[:16], ApiKey.revocata.is_(False),
                                              ApiKey.scade_il > _now()))
    try:
        _hasher.verify(key.hash if key else _DUMMY_HASH, segreto)
    except (VerificationError, InvalidHashError):
        return None
    if key is None:
        return None
    user = session.get(Utente, key.utente_id)
    return user if (user is not None and user.attivo) else None


def elenca_api_keys(session: Session, utente_id: int) -> list[ApiKey]:
    """Every key of a user (revoked and expired ones too), newest first."""
    return list(session.scalars(select(ApiKey).where(ApiKey.utente_id == utente_id)
                                .order_by(ApiKey.creata_il.desc(), ApiKey.id.desc())))


def revoca_api_key(session: Session, utente_id: int, prefisso: str) -> None:
    """Revoke one of the user's own keys; another user's key is as unknown as a missing one."""
    key = session.scalar(select(ApiKey).where(ApiKey.prefisso == prefisso, ApiKey.utente_id == utente_id))
    if key is None:
        raise NotFound("Chiave API inesistente.", path=("prefisso",))
    if not key.revocata:
        key.revocata, key.revocata_il = True, _now()
    session.flush()


# -- audit ------------------------------------------------------------------------------------------


def registra_audit(session: Session, *, utente: str, ruolo: str, azione: str, oggetto: str = "",
                   esito: str = "ok", origine: str = "", dettagli: dict | None = None) -> None:
    session.add(Audit(utente=utente[:64], ruolo=ruolo[:16], azione=azione, oggetto=oggetto[:200], esito=esito,
                      origine=origine[:64], dettagli=dettagli or {}))


def accessi_falliti(session: Session, *, dal: datetime, utente: str | None = None,
                    origine: str | None = None) -> tuple[int, datetime | None]:
    """Failed logins since ``dal`` for a username or a client address: (count, the oldest's time)."""
    q = select(func.count(Audit.id), func.min(Audit.istante)).where(Audit.azione == ACCESSO_FALLITO,
                                                                     Audit.istante >= dal)
    if utente is not None:
        q = q.where(Audit.utente == utente[:64])
    if origine is not None:
        q = q.where(Audit.origine == origine[:64])
    n, primo = session.execute(q).one()
    if primo is not None and primo.tzinfo is None:  # SQLite gives back naive UTC
        primo = primo.replace(tzinfo=timezone.utc)
    return int(n or 0), primo
