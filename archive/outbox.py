"""Document bytes + index record → archived exactly once, even while S3 is down.

:func:`archivia_ora` writes to S3, checks the hash of what was written and only then
records the index row. When S3 cannot be reached, :func:`accoda` keeps the bytes and the
pending index record in the database table ``archivio_outbox`` (durable: it survives a
restart); :func:`svuota` retries the due entries with exponential back-off. The S3 write is
idempotent on key + SHA-256, so a write whose confirmation was lost (server killed after
storing, before answering) does not produce a second version when retried, and the index row
appears in the same transaction that removes the outbox entry.

A document S3 refuses for a permanent reason (e.g. a retention date it will not accept, a
400) does not wait forever: it moves to the dead-letter state ``scartata`` with the Italian
reason, kept with its bytes for an operator (``curit-docs coda``, the console), and never blocks
the others. A transient failure reschedules only that entry; S3 unreachable stops the round
(every other write would fail the same way).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, Index, Integer, LargeBinary, String, Text, UniqueConstraint, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.db import Base, session_scope
from archive.errors import StorageError
from archive.indice import DatiIndice, Documento, adesso_utc, registra, titolare
from archive.objectstore import ObjectStore, sha256_hex

__all__ = ["VoceOutbox", "Voce", "Backoff", "EsitoSvuotamento", "archivia_ora", "accoda", "svuota", "in_coda",
           "scartate", "in_attesa", "permanente", "descrivi_errore", "IN_CODA", "SCARTATA"]

IN_CODA = "in_coda"
SCARTATA = "scartata"
"""Dead letter: S3 refused the document for a permanent reason; kept, never retried alone."""

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
    titolare: Mapped[str] = mapped_column(String(200))
    """Owner key (:func:`archive.indice.titolare`): with ``sha256``, the idempotency key."""
    stato: Mapped[str] = mapped_column(String(12), default=IN_CODA)
    """``in_coda`` (retried with back-off) or ``scartata`` (dead letter, reason in ``ultimo_errore``)."""
    scartata_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("s3_key", "sha256", name="uq_archivio_outbox_chiave_hash"),
        Index("ix_archivio_outbox_titolare_sha256", "titolare", "sha256"),
    )


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
    scartati: int = 0
    """Moved to the dead-letter state during this round."""


def archivia_ora(engine: Engine, store: ObjectStore, voce: Voce) -> Documento:
    """Write to S3 (verified), then record the index row. StorageError when S3 fails."""
    with session_scope(engine) as session:
        return _scrivi(session, store, voce)


def _scrivi(session: Session, store: ObjectStore, voce: Voce) -> Documento:
    return _registra(session, voce, _metti(store, voce))


def _metti(store: ObjectStore, voce: Voce) -> Any:
    """The verified S3 write (no database work here)."""
    pending = voce.indice
    if sha256_hex(voce.dati) != pending.sha256:
        raise StorageError("Il contenuto del documento non corrisponde alla sua impronta.")
    return store.put(pending.s3_key, voce.dati, retain_until=pending.conserva_fino_al, metadata=voce.metadati_s3)


def _registra(session: Session, voce: Voce, stored: Any) -> Documento:
    return registra(session, replace(voce.indice, version_id=stored.version_id, conserva_fino_al=stored.retain_until))


def accoda(engine: Engine, voce: Voce, *, errore: str, ora: datetime | None = None,
           scartata: bool = False) -> VoceOutbox:
    """Keep ``voce`` in the outbox (idempotent on key + hash, and on owner + hash); first retry
    right away, or straight to the dead-letter state when S3 refused it for good (``scartata``)."""
    ora = ora or adesso_utc()
    try:
        with session_scope(engine) as session:
            found = session.scalar(
                select(VoceOutbox).where(VoceOutbox.s3_key == voce.indice.s3_key, VoceOutbox.sha256 == voce.indice.sha256)
            ) or in_attesa(session, voce.indice.titolare, voce.indice.sha256, voce.indice.id)
            if found is not None:
                return found
            row = VoceOutbox(
                documento_id=voce.indice.id, s3_key=voce.indice.s3_key, sha256=voce.indice.sha256, dati=voce.dati,
                metadati_s3=voce.metadati_s3, indice=voce.indice.as_json(), tentativi=0,
                prossimo_tentativo=ora, ultimo_errore=errore, titolare=voce.indice.titolare,
                stato=SCARTATA if scartata else IN_CODA, scartata_il=ora if scartata else None,
            )
            session.add(row)
            session.flush()
            log.warning("Archivio S3 non disponibile: documento %s messo in coda (%s)", voce.indice.id, errore)
            return row
    except SQLAlchemyError as exc:
        raise StorageError("Né l'archivio né la coda di archiviazione sono disponibili.") from exc


def in_attesa(session: Session, titolare_: str, sha256: str, documento_id: str | None = None) -> VoceOutbox | None:
    """The owner's outbox entry (queued or dead letter) holding these bytes, if any (with a
    stable ``documento_id``, only that document's)."""
    q = select(VoceOutbox).where(VoceOutbox.titolare == titolare_, VoceOutbox.sha256 == sha256)
    if documento_id is not None:
        q = q.where(VoceOutbox.documento_id == documento_id)
    return session.scalars(q.order_by(VoceOutbox.id).limit(1)).first()


def permanente(exc: BaseException) -> bool:
    """True when retrying ``exc``'s document can never succeed: the S3 layer says so
    (``StorageRefused``, ``permanent = True``), or the index refused it (Conflict, RuleViolation)."""
    from minio.error import S3Error

    from domain.errors import Conflict, RuleViolation

    if isinstance(exc, (Conflict, RuleViolation)):
        return True
    causa = exc.__cause__
    if isinstance(causa, S3Error) and (causa.code in _CREDENZIALI or getattr(causa.response, "status", 0) in (401, 403)):
        return False  # keys, clock or bucket of this installation: fixed by an operator, then retried
    return bool(getattr(exc, "permanent", False))


_CREDENZIALI = frozenset({"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                          "InvalidToken", "NoSuchBucket", "RequestTimeTooSkewed"})


def _irraggiungibile(exc: BaseException) -> bool:
    """S3 did not answer at all (every other write would fail the same way)."""
    from minio.error import S3Error

    return isinstance(exc, StorageError) and not permanente(exc) and not isinstance(exc.__cause__, S3Error)


def descrivi_errore(exc: BaseException) -> str:
    """The Italian message with the S3 answer (code and message) when there is one."""
    from minio.error import S3Error

    testo = getattr(exc, "message", None) or str(exc)
    causa = exc.__cause__
    if isinstance(causa, S3Error):
        testo += f" (risposta S3: {causa.code}: {causa.message})"
    elif causa is not None:
        testo += f" ({type(causa).__name__})"
    return testo[:2000]


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


LEASE = timedelta(minutes=5)
"""How long a claimed entry is hidden from other drains while its S3 write runs (a drain that
dies mid-write leaves it due again after this)."""


def svuota(
    engine: Engine,
    store: ObjectStore,
    *,
    ora: datetime | None = None,
    backoff: Backoff = Backoff(),
    limite: int = 500,
) -> EsitoSvuotamento:
    """Retry the due outbox entries, oldest first. A permanent refusal moves that entry to the
    dead-letter state and the round goes on; a transient one reschedules it with back-off and
    the round goes on; S3 unreachable reschedules it and ends the round.

    No transaction is open during the S3 write (SQLite's write lock, and the store's own
    version ledger, would wait on it): an entry is claimed (leased) in one short transaction,
    written, then recorded and removed in another."""
    ora = _as_utc(ora or adesso_utc())
    archiviati = falliti = scartati = 0
    for _ in range(limite):
        with session_scope(engine) as session:
            row = session.scalar(
                select(VoceOutbox)
                .where(VoceOutbox.stato == IN_CODA, VoceOutbox.prossimo_tentativo <= ora)
                .order_by(VoceOutbox.prossimo_tentativo, VoceOutbox.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if row is None:
                break
            row_id, documento_id = row.id, row.documento_id
            voce = Voce(dati=row.dati, indice=DatiIndice.from_json(row.indice), metadati_s3=dict(row.metadati_s3))
            row.prossimo_tentativo = ora + LEASE
        try:
            stored = _metti(store, voce)
            with session_scope(engine) as session:
                _registra(session, voce, stored)
                found = session.get(VoceOutbox, row_id)
                if found is not None:
                    session.delete(found)
            archiviati += 1
            continue
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on its own entry
            if not isinstance(exc, StorageError) and not permanente(exc):
                raise
            errore = exc
        with session_scope(engine) as session:
            row = session.get(VoceOutbox, row_id)
            if row is None:
                continue
            row.tentativi += 1
            row.ultimo_errore = descrivi_errore(errore)
            if permanente(errore):
                row.stato = SCARTATA
                row.scartata_il = ora
                scartati += 1
                log.error("Archiviazione rifiutata in modo definitivo per il documento %s: %s",
                          documento_id, row.ultimo_errore)
                continue
            row.prossimo_tentativo = ora + backoff.attesa(row.tentativi)
            falliti += 1
        if _irraggiungibile(errore):
            break
    return EsitoSvuotamento(archiviati, falliti, in_coda(engine), scartati)


def in_coda(engine: Engine) -> int:
    """Entries waiting for a retry (dead letters excluded)."""
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(VoceOutbox).where(VoceOutbox.stato == IN_CODA)) or 0


def scartate(session: Session, *, limite: int = 200) -> list[VoceOutbox]:
    """Dead letters, newest first."""
    return list(session.scalars(select(VoceOutbox).where(VoceOutbox.stato == SCARTATA)
                                .order_by(VoceOutbox.scartata_il.desc(), VoceOutbox.id.desc()).limit(limite)))
