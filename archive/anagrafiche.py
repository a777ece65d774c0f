"""Registry of the actors: CAIT, their operatori and manutentori, strumenti, and who
maintains which impianto (FORMS.md §18–19, CURIT "I servizi per i CAIT").
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.db import Base
from domain.errors import Conflict, NotFound, RuleViolation

__all__ = ["Cait", "CaitEnte", "Manutentore", "OperatoreCait", "Strumento", "ManutenzioneImpianto", "IbanPortafoglio",
           "PasswordProvvisoria", "scollega_manutentore", "impianti_del_manutentore", "email_in_uso"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Cait(Base):
    """Centro di Assistenza Impianti Termici."""

    __tablename__ = "cait"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    denominazione: Mapped[str] = mapped_column(String(200))
    indirizzo: Mapped[str] = mapped_column(String(200), default="")
    comune: Mapped[str] = mapped_column(String(100), default="")
    partita_iva: Mapped[str] = mapped_column(String(11), default="")
    email: Mapped[str] = mapped_column(String(200), default="")


class CaitEnte(Base):
    """Convenzione: the Enti for which a CAIT sells etichette and collects dichiarazioni."""

    __tablename__ = "cait_enti"
    cait_id: Mapped[str] = mapped_column(ForeignKey("cait.id"), primary_key=True)
    ente_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class Manutentore(Base):
    """Ditta di manutenzione; ``cait_id`` is None once scollegata (operates autonomously)."""

    __tablename__ = "manutentori"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ragione_sociale: Mapped[str] = mapped_column(String(200))
    partita_iva: Mapped[str] = mapped_column(String(11), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    cait_id: Mapped[str | None] = mapped_column(ForeignKey("cait.id"), nullable=True, index=True)
    registrato_il: Mapped[date] = mapped_column(Date)
    indirizzo: Mapped[str] = mapped_column(String(200), default="")
    comune: Mapped[str] = mapped_column(String(100), default="")


class OperatoreCait(Base):
    __tablename__ = "operatori_cait"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cait_id: Mapped[str] = mapped_column(ForeignKey("cait.id"), index=True)
    cognome_nome: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(64), unique=True)
    attivo: Mapped[bool] = mapped_column(Boolean, default=True)


class Strumento(Base):
    """Measuring instrument (marca, modello, matricola: AMB-55) registered by a CAIT."""

    __tablename__ = "strumenti"
    __table_args__ = (UniqueConstraint("marca", "modello", "matricola"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cait_id: Mapped[str] = mapped_column(ForeignKey("cait.id"), index=True)
    manutentore_id: Mapped[int | None] = mapped_column(ForeignKey("manutentori.id"), nullable=True)
    marca: Mapped[str] = mapped_column(String(100))
    modello: Mapped[str] = mapped_column(String(100))
    matricola: Mapped[str] = mapped_column(String(100))


class ManutenzioneImpianto(Base):
    """Which manutentore maintains which impianto (drives a manutentore's visibility)."""

    __tablename__ = "manutenzioni_impianti"
    codice_impianto: Mapped[str] = mapped_column(String(15), primary_key=True)
    manutentore_id: Mapped[int] = mapped_column(ForeignKey("manutentori.id"), primary_key=True, index=True)
    dal: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class IbanPortafoglio(Base):
    """The IBAN a manutentore registered for its Portafoglio (refunds), set at its CAIT's desk."""

    __tablename__ = "portafoglio_iban"
    manutentore_id: Mapped[int] = mapped_column(ForeignKey("manutentori.id"), primary_key=True)
    iban: Mapped[str] = mapped_column(String(34))
    intestatario: Mapped[str] = mapped_column(String(200))
    registrato_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    utente: Mapped[str] = mapped_column(String(64))


class PasswordProvvisoria(Base):
    """An account whose password was sent by e-mail ("Recupera la password"): it must be replaced
    at the first login, and the provisional one stops working after ``scade_il``."""

    __tablename__ = "password_provvisorie"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    creata_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    scade_il: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def email_in_uso(session: Session, email: str, *, tranne_manutentore: int | None = None) -> bool:
    """True when another manutentore or CAIT already uses ``email`` (case-insensitive)."""
    email = email.strip().lower()
    q = select(Manutentore.id).where(func.lower(Manutentore.email) == email)
    if tranne_manutentore is not None:
        q = q.where(Manutentore.id != tranne_manutentore)
    return (session.scalar(q.limit(1)) is not None
            or session.scalar(select(Cait.id).where(func.lower(Cait.email) == email).limit(1)) is not None)


def scollega_manutentore(session: Session, manutentore_id: int, *, cait_id: str, email: str) -> Manutentore:
    """Scollegamento (S2): only the CAIT does it, with an e-mail unique across users."""
    m = session.get(Manutentore, manutentore_id)
    if m is None or m.cait_id != cait_id:
        raise NotFound("Manutentore non associato a questo CAIT.", path=("manutentore_id",))
    email = email.strip().lower()
    locale, _, dominio = email.partition("@")
    if not locale or "." not in dominio or dominio.startswith(".") or dominio.endswith(".") or " " in email:
        raise RuleViolation("Indirizzo e-mail non valido: indicare un indirizzo al quale la Ditta ha accesso.",
                            path=("email",))
    if email_in_uso(session, email, tranne_manutentore=m.id):
        raise Conflict("Indirizzo e-mail già in uso da parte di un'altra utenza: inserirne uno valido e non già in uso.",
                       path=("email",))
    m.email = email
    m.cait_id = None
    return m


def impianti_del_manutentore(session: Session, manutentore_id: int) -> list[str]:
    rows = session.scalars(select(ManutenzioneImpianto.codice_impianto)
                           .where(ManutenzioneImpianto.manutentore_id == manutentore_id))
    return sorted(rows)
