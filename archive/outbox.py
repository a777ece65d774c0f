"""Document bytes + index record → archived exactly once, even while S3 is down.

:func:`archivia_ora` writes to S3, checks the hash of what was written and only then
records the index row. When S3 cannot be reached, :func:`accoda` keeps the bytes and the
pending index record in the database table ``archivio_outbox`` (durable: it survives a
restart); :func:`svuota` retries the due entries with exponential back-off. The S3 write is
idempotent on key + SHA-256, so a write whose confirmation was lost (server killed after
storing, before answering) does not produce a second version when retried, and the index row
appears in the same transaction that removes the outbox entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, Integer, LargeBinary, String, Text, UniqueConstraint, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.db import Base, session_scope
from archive.errors import StorageError
from archive.indice import DatiIndice, Documento, adesso_utc, registra
from archive.objectstore import ObjectStore, sha256_hex

__all__ = ["VoceOutbox", "Voce", "Backoff", "EsitoSvuotamento", "archivia_ora", "accoda", "svuota", "in_coda"]

log = logging.getLogger(__name__)


class VoceOutbox(Base):
    """A document waiting for its S3 write."""

    __tablename__ = "archivio_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    documento_id: Mapped[str] = mapped_column(String(64), index=True)
    s3_key: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    dati: Mapped[bytes] = mapped_column(LargeBinary)
    metadati_s3: Mapped[dict[str, str]] = mapped_column(JSON)
    indice: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The pending :class:`DatiIndice` (version id still empty)."""
    tentativi: Mapped[int] = mapped_column(Integer, default=0)
    prossimo_tentativo: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ultimo_errore: Mapped[str | None] = mapped_column(Text)
    creata_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=adesso_utc)

    __table_args__ = (UniqueConstraint("s3_key", "sha256", name="uq_archivio_outbox_chiave_hash"),)


@dataclass(frozen=True)
class Voce:
    """One document to archive: its bytes, S3 metadata and the index record to write."""

    dati: bytes
    indice: DatiIndice
    """``s3_key``, ``sha256``, ``conserva_fino_al`` set; ``version_id`` filled by the write."""
    metadati_s3: dict[str, str]


@dataclass(frozen=True)
class Backoff:
    """Retry schedule of the outbox: ``base * 2**(n-1)`` seconds, at most ``massimo``."""

    base: float = 2.0
    """Seconds before the first retry."""
    massimo: float = 600.0
    """Upper bound of the wait between two retries."""

    def attesa(self, tentativi: int) -> timedelta:
        return timedelta(seconds=min(self.base * 2 ** max(tentativi - 1, 0), self.massimo))


@dataclass(frozen=True)
class EsitoSvuotamento:
    archiviati: int
    falliti: int
    in_coda: int


def archivia_ora(engine: Engine, store: ObjectStore, voce: Voce) -> Documento:
    """Write to S3 (verified), then record the index row. StorageError when S3 fails."""
    with session_scope(engine) as session:
        return _scrivi(session, store, voce)


def _scrivi(session: Session, store: ObjectStore, voce: Voce) -> Documento:
    pending = voce.indice
    if sha256_hex(voce.dati) != pending.sha256:
        raise StorageError("Il contenuto del documento non corrisponde alla sua impronta.")
    stored = store.put(pending.s3_key, voce.dati, retain_until=pending.conserva_fino_al, metadata=voce.metadati_s3)
    return registra(session, replace(pending, version_id=stored.version_id, conserva_fino_al=stored.retain_until))


def accoda(engine: Engine, voce: Voce, *, errore: str, ora: datetime | None = None) -> VoceOutbox:
    """Keep ``voce`` in the outbox (idempotent on key + hash); first retry right away."""
    ora = ora or adesso_utc()
    try:
        with session_scope(engine) as session:
            found = session.scalar(
                select(VoceOutbox).where(VoceOutbox.s3_key == voce.indice.s3_key, VoceOutbox.sha256 == voce.indice.sha256)
            )
            if found is not None:
                return found
            row = VoceOutbox(
                documento_id=voce.indice.id, s3_key=voce.indice.s3_key, sha256=voce.indice.sha256, dati=voce.dati,
                metadati_s3=voce.metadati_s3, indice=voce.indice.as_json(), tentativi=0,
                prossimo_tentativo=ora, ultimo_errore=errore,
            )
            session.add(row)
            session.flush()
            log.warning("Archivio S3 non disponibile: documento %s messo in coda (%s)", voce.indice.id, errore)
            return row
    except SQLAlchemyError as exc:
        raise StorageError("Né l'archivio né la coda di archiviazione sono disponibili.") from exc


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def svuota(
    engine: Engine,
    store: ObjectStore,
    *,
    ora: datetime | None = None,
    backoff: Backoff = Backoff(),
    limite: int = 500,
) -> EsitoSvuotamento:
    """Retry the due outbox entries, oldest first; stop at the first S3 failure (S3 is down,
    the others would fail too) after rescheduling that entry with back-off."""
    ora = ora or adesso_utc()
    archiviati = falliti = 0
    for _ in range(limite):
        with session_scope(engine) as session:
            row = session.scalar(
                select(VoceOutbox)
                .where(VoceOutbox.prossimo_tentativo <= ora)
                .order_by(VoceOutbox.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if row is None:
                break
            voce = Voce(dati=row.dati, indice=DatiIndice.from_json(row.indice), metadati_s3=dict(row.metadati_s3))
            try:
                _scrivi(session, store, voce)
            except StorageError as exc:
                row.tentativi += 1
                row.prossimo_tentativo = _as_utc(ora) + backoff.attesa(row.tentativi)
                row.ultimo_errore = f"{exc.message} ({exc.__cause__!r})"[:2000]
                falliti += 1
                break
            session.delete(row)
            archiviati += 1
    return EsitoSvuotamento(archiviati, falliti, in_coda(engine))


def in_coda(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(VoceOutbox)) or 0
