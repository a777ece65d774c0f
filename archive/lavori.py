"""Batch jobs (lavori di stampa): state and progress of each job, one row per job.

Table ``lavori`` (migration ``0007_lavori``, branch ``lavori``). The job's records, chunks and
outputs live in its directory (``cartella``); the row says where it is, how far it got and how
fast, so that ``curit-docs batch stato`` and the API can report progress from any process.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from sqlalchemy import CheckConstraint, DateTime, Engine, Float, Integer, String, Text, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from archive.db import Base, session_scope
from archive.errors import StorageError
from domain.errors import NotFound

__all__ = ["Lavoro", "StatoLavoro", "STATI_LAVORO", "registra_lavoro", "aggiorna_lavoro", "get_lavoro", "elenco_lavori"]

StatoLavoro = Literal["creato", "in corso", "interrotto", "completato", "fallito"]
STATI_LAVORO: tuple[str, ...] = ("creato", "in corso", "interrotto", "completato", "fallito")


def _ora() -> datetime:
    return datetime.now(timezone.utc)


class Lavoro(Base):
    """One batch job: kind, manifest hash, progress counters, rate and ETA."""

    __tablename__ = "lavori"
    __table_args__ = (
        CheckConstraint("stato IN ('creato', 'in corso', 'interrotto', 'completato', 'fallito')", name="stato"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tipo: Mapped[str] = mapped_column(String(60))
    """Batch kind: ``targhe``, ``etichette``, ``avvisi``, ``esiti``, ``moduli:<tipo>``."""
    stato: Mapped[str] = mapped_column(String(20), default="creato")
    cartella: Mapped[str] = mapped_column(String(500))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    record_totali: Mapped[int] = mapped_column(Integer, default=0)
    record_fatti: Mapped[int] = mapped_column(Integer, default=0)
    record_scartati: Mapped[int] = mapped_column(Integer, default=0)
    record_falliti: Mapped[int] = mapped_column(Integer, default=0)
    impaginazioni_complete: Mapped[int] = mapped_column(Integer, default=0)
    pagine: Mapped[int] = mapped_column(Integer, default=0)
    pagine_al_secondo: Mapped[float | None] = mapped_column(Float)
    eta_secondi: Mapped[float | None] = mapped_column(Float)
    messaggio: Mapped[str | None] = mapped_column(Text)
    creato_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_ora)
    aggiornato_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_ora)
    concluso_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def as_dict(self) -> dict[str, object]:
        return {c.name: (v.isoformat() if isinstance(v := getattr(self, c.name), datetime) else v)
                for c in self.__table__.columns}


def registra_lavoro(engine: Engine, lavoro: Lavoro) -> None:
    try:
        with session_scope(engine) as s:
            s.add(lavoro)
    except SQLAlchemyError as exc:
        raise StorageError() from exc


def aggiorna_lavoro(engine: Engine, lavoro_id: str, **campi: object) -> None:
    """Set some columns of a job (``aggiornato_il`` follows; ``concluso_il`` when it ends)."""
    try:
        with session_scope(engine) as s:
            row = s.get(Lavoro, lavoro_id)
            if row is None:
                raise NotFound(f"Lavoro {lavoro_id} inesistente.", path=("lavoro",))
            for k, v in campi.items():
                setattr(row, k, v)
            row.aggiornato_il = _ora()
            if campi.get("stato") in ("completato", "fallito"):
                row.concluso_il = row.aggiornato_il
    except SQLAlchemyError as exc:
        raise StorageError() from exc


def get_lavoro(engine: Engine, lavoro_id: str) -> Lavoro:
    try:
        with session_scope(engine) as s:
            row = s.get(Lavoro, lavoro_id)
    except SQLAlchemyError as exc:
        raise StorageError() from exc
    if row is None:
        raise NotFound(f"Lavoro {lavoro_id} inesistente.", path=("lavoro",))
    return row


def elenco_lavori(engine: Engine, limite: int = 50) -> list[Lavoro]:
    try:
        with session_scope(engine) as s:
            return list(s.scalars(select(Lavoro).order_by(Lavoro.creato_il.desc()).limit(limite)))
    except SQLAlchemyError as exc:
        raise StorageError() from exc
