"""Batch jobs (lavori di stampa): state and progress of each job; the S3 work area of distributed jobs.

Table ``lavori`` (migrations ``0007_lavori`` and ``0008_lavori``, branch ``lavori``): one row per
job. The job's records, chunks and outputs live in its directory (``cartella``); the row says
where it is, who signs its output, how far it got and how fast, so that ``curit-docs batch stato``
and the API can report progress from any process. Table ``lavori_blocchi``: one row per finished
chunk, written by whichever process or machine printed it (:func:`registra_blocco` recomputes
the job's totals, rate and ETA in the same transaction, so concurrent workers never lose a count
and a chunk reported twice counts once).

The S3 work area of jobs split across machines is :class:`archive.area_lavori.AreaLavori` (its
own module: a job on one machine never imports the S3 client).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy import CheckConstraint, DateTime, Engine, Float, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from archive.db import Base, session_scope
from archive.errors import StorageError
from domain.errors import NotFound

__all__ = ["Lavoro", "BloccoLavoro", "StatoLavoro", "STATI_LAVORO", "registra_lavoro", "aggiorna_lavoro",
           "get_lavoro", "elenco_lavori", "registra_blocco"]

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
    emittente: Mapped[str | None] = mapped_column(String(80))
    """Organisation that signs the job's print output (Ente id, CAIT id or ``regione``); None: unsigned."""
    avviato_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Start of the current run (the rate counts the chunks finished since then)."""
    creato_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_ora)
    aggiornato_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_ora)
    concluso_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def as_dict(self) -> dict[str, object]:
        return {c.name: (v.isoformat() if isinstance(v := getattr(self, c.name), datetime) else v)
                for c in self.__table__.columns}


class BloccoLavoro(Base):
    """One finished chunk of a job (whoever printed it): its counts and when it was done."""

    __tablename__ = "lavori_blocchi"

    lavoro_id: Mapped[str] = mapped_column(String(40), ForeignKey("lavori.id", ondelete="CASCADE"), primary_key=True)
    indice: Mapped[int] = mapped_column(Integer, primary_key=True)
    record: Mapped[int] = mapped_column(Integer)
    pagine: Mapped[int] = mapped_column(Integer)
    falliti: Mapped[int] = mapped_column(Integer)
    complete: Mapped[int] = mapped_column(Integer)
    """Records of the chunk laid out in full by WeasyPrint (fallback)."""
    finito_il: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def registra_blocco(engine: Engine, lavoro_id: str, indice: int, *, record: int, pagine: int, falliti: int,
                    complete: int) -> dict[str, Any]:
    """Record a finished chunk and refresh the job's totals, pages/s and ETA; the job's row.

    Idempotent (a chunk already recorded keeps its first row) and safe between concurrent
    workers: the job row is locked first (``FOR UPDATE``; SQLite takes its write lock at BEGIN),
    then the totals are summed from the chunk rows. The rate counts only the chunks finished
    since ``avviato_il`` (a resumed job does not inherit the speed of its first run)."""
    try:
        with session_scope(engine) as s:
            row = s.scalars(select(Lavoro).where(Lavoro.id == lavoro_id).with_for_update()).one_or_none()
            if row is None:
                raise NotFound(f"Lavoro {lavoro_id} inesistente.", path=("lavoro",))
            ora = _ora()
            if s.get(BloccoLavoro, (lavoro_id, indice)) is None:
                s.add(BloccoLavoro(lavoro_id=lavoro_id, indice=indice, record=record, pagine=pagine,
                                   falliti=falliti, complete=complete, finito_il=ora))
                s.flush()
            b = BloccoLavoro
            tot = s.execute(select(func.coalesce(func.sum(b.record), 0), func.coalesce(func.sum(b.pagine), 0),
                                   func.coalesce(func.sum(b.falliti), 0), func.coalesce(func.sum(b.complete), 0))
                            .where(b.lavoro_id == lavoro_id)).one()
            row.record_fatti, row.pagine, row.record_falliti, row.impaginazioni_complete = (int(v) for v in tot)
            if row.avviato_il is not None:
                avvio = _utc(row.avviato_il)
                rec_run, pag_run = s.execute(
                    select(func.coalesce(func.sum(b.record), 0), func.coalesce(func.sum(b.pagine), 0))
                    .where(b.lavoro_id == lavoro_id, b.finito_il >= row.avviato_il)).one()
                trascorso = max((ora - avvio).total_seconds(), 1e-3)
                if rec_run:
                    row.pagine_al_secondo = int(pag_run) / trascorso
                    row.eta_secondi = max(0.0, trascorso / int(rec_run) * (row.record_totali - row.record_fatti))
            row.aggiornato_il = ora
            return row.as_dict()
    except SQLAlchemyError as exc:
        raise StorageError() from exc
