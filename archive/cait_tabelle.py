"""CAIT desk records: the tables, who reads and changes them, and the numbers they are issued under.

Tables (migration ``0006_cait``, branch ``cait_documenti``)::

    cait_dichiarazioni ──distinta_id──▶ cait_distinte
    cait_ricevute ◀──ricevuta_id── cait_ricevute_righe
    portafoglio_movimenti ──ricevuta_id──▶ cait_ricevute
    cait_contatori (cait_id, anno, serie) → last progressive of distinte / ricevute

Gap-free numbering (:func:`prossimo_progressivo`): a progressive is one ``INSERT … ON CONFLICT DO
UPDATE SET ultimo = ultimo + 1 RETURNING ultimo`` on the counter row, run in the caller's transaction
together with the sale/closure it numbers. PostgreSQL holds the counter row lock until commit (the
next seller waits and reads the committed value); SQLite serialises writers at ``BEGIN
IMMEDIATE`` (archive/db.py). A sale that fails rolls its counter move back with it, so the
numbers issued in a year are exactly 1…N.

The operations: dichiarazioni handed in and the distinte that close them in
:mod:`archive.cait_dichiarazioni`, ricevute and the Portafoglio in :mod:`archive.cait_ricevute`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

import archive.anagrafiche  # noqa: F401 - declares the cait, manutentori, operatori_cait tables the foreign keys name
from archive.db import Base
from archive.db import esegui as _esegui
from archive.errors import StorageError

__all__ = ["ContatoreCait", "Distinta", "Dichiarazione", "Ricevuta", "RigaRicevuta", "MovimentoPortafoglio", "Attore",
           "adesso", "prossimo_progressivo", "anno_locale"]


def adesso() -> datetime:
    """Now, in UTC: the instant records are stamped with."""
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------- tables


class ContatoreCait(Base):
    """Last progressive per CAIT, year and series (``distinta`` / ``ricevuta``)."""

    __tablename__ = "cait_contatori"
    cait_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    anno: Mapped[int] = mapped_column(Integer, primary_key=True)
    serie: Mapped[str] = mapped_column(String(10), primary_key=True)
    ultimo: Mapped[int] = mapped_column(Integer)


class Distinta(Base):
    """Distinta-ricevuta cumulativa: one visit of a manutentore at the CAIT desk, closed."""

    __tablename__ = "cait_distinte"
    __table_args__ = (UniqueConstraint("cait_id", "anno", "progressivo", name="uq_cait_distinte_cait_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    numero: Mapped[str] = mapped_column(String(60), unique=True)
    cait_id: Mapped[str] = mapped_column(ForeignKey("cait.id"), index=True)
    anno: Mapped[int] = mapped_column(Integer)
    progressivo: Mapped[int] = mapped_column(Integer)
    manutentore_id: Mapped[int] = mapped_column(ForeignKey("manutentori.id"), index=True)
    operatore_id: Mapped[int] = mapped_column(ForeignKey("operatori_cait.id"))
    operatore: Mapped[str] = mapped_column(String(200))
    """Operator's name at closure time (printed; the account may be renamed later)."""
    chiusa_il: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    utente: Mapped[str] = mapped_column(String(64))


class Dichiarazione(Base):
    """A paper G/F handed in at the CAIT desk, keyed in, ``aperta`` until a distinta closes it."""

    __tablename__ = "cait_dichiarazioni"
    __table_args__ = (
        UniqueConstraint("codice_impianto", "tipo", "data_controllo", name="uq_cait_dichiarazioni_codice_impianto"),
        CheckConstraint("tipo IN ('G', 'F')", name="tipo"),
        CheckConstraint("stato IN ('aperta', 'chiusa')", name="stato"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cait_id: Mapped[str] = mapped_column(ForeignKey("cait.id"), index=True)
    manutentore_id: Mapped[int] = mapped_column(ForeignKey("manutentori.id"), index=True)
    codice_impianto: Mapped[str] = mapped_column(String(15), index=True)
    ente_id: Mapped[str] = mapped_column(String(60), index=True)
    tipo: Mapped[str] = mapped_column(String(1))
    data_controllo: Mapped[date] = mapped_column(Date)
    numero_etichetta: Mapped[str | None] = mapped_column(String(40), nullable=True)
    anomalie: Mapped[str | None] = mapped_column(String(500), nullable=True)
    """Anomalies the CAIT operator flagged at the formal check (S1 All. 1 L5007–5012)."""
    pregiudica_sicurezza: Mapped[bool] = mapped_column(Boolean, default=False)
    """Prescrizioni/anomalies that compromise safety (the 'evidenza elettronica', S1 L5033–5041)."""
    dati: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    """The keyed-in G/F record (FORMS.md keys), when the desk typed it in."""
    stato: Mapped[str] = mapped_column(String(8), default="aperta")
    distinta_id: Mapped[int | None] = mapped_column(ForeignKey("cait_distinte.id"), nullable=True, index=True)
    consegnata_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=adesso)
    modificata_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    modificata_da: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Ricevuta(Base):
    """A numbered receipt: etichette sold, or a Portafoglio top-up."""

    __tablename__ = "cait_ricevute"
    __table_args__ = (
        UniqueConstraint("cait_id", "anno", "progressivo", name="uq_cait_ricevute_cait_id"),
        CheckConstraint("causale IN ('etichette', 'ricarica')", name="causale"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    numero: Mapped[str] = mapped_column(String(60), unique=True)
    cait_id: Mapped[str] = mapped_column(ForeignKey("cait.id"), index=True)
    anno: Mapped[int] = mapped_column(Integer)
    progressivo: Mapped[int] = mapped_column(Integer)
    manutentore_id: Mapped[int] = mapped_column(ForeignKey("manutentori.id"), index=True)
    causale: Mapped[str] = mapped_column(String(10))
    pagamento: Mapped[str] = mapped_column(String(12))
    operatore: Mapped[str] = mapped_column(String(200))
    emessa_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    totale: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    utente: Mapped[str] = mapped_column(String(64))


class RigaRicevuta(Base):
    """One line of a ricevuta: one etichetta (Ente quota + contributo regionale) or the top-up."""

    __tablename__ = "cait_ricevute_righe"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ricevuta_id: Mapped[int] = mapped_column(ForeignKey("cait_ricevute.id"), index=True)
    posizione: Mapped[int] = mapped_column(Integer)
    descrizione: Mapped[str] = mapped_column(String(200))
    numero_etichetta: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ente_id: Mapped[str | None] = mapped_column(String(60), nullable=True)
    tipo: Mapped[str | None] = mapped_column(String(1), nullable=True)
    fascia: Mapped[str | None] = mapped_column(String(2), nullable=True)
    quota_ente: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    contributo_regionale: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    importo: Mapped[Decimal] = mapped_column(Numeric(10, 2))


class MovimentoPortafoglio(Base):
    """One move of a manutentore's Portafoglio: top-up (+) or purchase paid from it (−)."""

    __tablename__ = "portafoglio_movimenti"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    manutentore_id: Mapped[int] = mapped_column(ForeignKey("manutentori.id"), index=True)
    cait_id: Mapped[str] = mapped_column(ForeignKey("cait.id"))
    istante: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=adesso)
    causale: Mapped[str] = mapped_column(String(10))
    importo: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    ricevuta_id: Mapped[int | None] = mapped_column(ForeignKey("cait_ricevute.id"), nullable=True)
    utente: Mapped[str] = mapped_column(String(64))


# --------------------------------------------------------------------------- who acts


@dataclass(frozen=True)
class Attore:
    """Who reads or changes a record, and the tenant that confines them."""

    username: str
    """Account name (``cli:<login>`` on the command line)."""
    ruolo: str
    """``manutentore``, ``cait``, ``ente``, ``admin`` or ``cli`` (the last two see everything)."""
    cait_id: str | None = None
    manutentore_id: int | None = None
    ente_id: str | None = None

    @property
    def pieni_poteri(self) -> bool:
        return self.ruolo in ("admin", "cli")

    def vede(self, d: Dichiarazione) -> bool:
        if self.pieni_poteri:
            return True
        return ((self.ruolo == "cait" and d.cait_id == self.cait_id)
                or (self.ruolo == "manutentore" and d.manutentore_id == self.manutentore_id)
                or (self.ruolo == "ente" and d.ente_id == self.ente_id))

    def puo_modificare_chiusa(self, d: Dichiarazione) -> bool:
        """After closure only the competent Ente may edit (S1 §15.3); admin keeps full powers."""
        return self.ruolo == "admin" or (self.ruolo == "ente" and d.ente_id == self.ente_id)


# --------------------------------------------------------------------------- numbering


def prossimo_progressivo(session: Session, cait_id: str, anno: int, serie: str) -> int:
    """Move the (CAIT, year, series) counter by one inside the caller's transaction."""
    ins = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(session.get_bind().dialect.name)
    if ins is None:  # pragma: no cover - only the two supported databases are configured
        raise StorageError("Database non supportato per la numerazione dei documenti CAIT.")
    t = ContatoreCait.__table__
    stmt = (ins(t).values(cait_id=cait_id, anno=anno, serie=serie, ultimo=1)
            .on_conflict_do_update(index_elements=["cait_id", "anno", "serie"], set_={"ultimo": t.c.ultimo + 1})
            .returning(t.c.ultimo))
    return _esegui(session, stmt).scalar_one()


def anno_locale(ora: datetime) -> int:
    """The year of ``ora`` in Italy: numbers start again from 1 on the local 1 January."""
    from zoneinfo import ZoneInfo

    return ora.astimezone(ZoneInfo("Europe/Rome")).year
