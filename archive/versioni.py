"""Every S3 version we create → a ledger row; bucket + ledger → the integrity report.

:class:`RegistroDb` is the :data:`archive.objectstore.RegistroVersioni` of a running
archive: :meth:`ObjectStore.put` calls it as soon as S3 names a version (before the lock
is verified, in its own transaction), and again when it adopts a version found by hash
after a lost reply, so that no version the archive caused goes unaccounted (issue 12:
"3 locked versions, 1 recorded"). :func:`controlla` compares the bucket with the ledger:
versions nobody recorded, versions without the COMPLIANCE retention recorded for them,
versions whose hash differs, recorded versions the bucket no longer has.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import BigInteger, Boolean, DateTime, Engine, Index, Integer, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from archive.db import Base, session_scope
from archive.errors import errore_database
from archive.objectstore import PROBE_PREFIX, ObjectStore, VersioneCreata, sha256_hex
from domain.errors import NotFound

__all__ = ["VersioneS3", "RegistroDb", "Anomalia", "controlla"]


def _adesso() -> datetime:
    return datetime.now(timezone.utc)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class VersioneS3(Base):
    """One object version the archive wrote (or adopted by hash) in one bucket."""

    __tablename__ = "archivio_versioni_s3"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bucket: Mapped[str] = mapped_column(String(63))
    s3_key: Mapped[str] = mapped_column(String(512))
    version_id: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    dimensione: Mapped[int] = mapped_column(BigInteger)
    conserva_fino_al: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """The retain-until instant asked for this version."""
    adottata: Mapped[bool] = mapped_column(Boolean)
    registrata_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_adesso)

    __table_args__ = (
        UniqueConstraint("bucket", "s3_key", "version_id", name="uq_archivio_versioni_s3_versione"),
        Index("ix_archivio_versioni_s3_chiave", "bucket", "s3_key"),
    )


class RegistroDb:
    """Records versions in ``archivio_versioni_s3`` (idempotent on bucket + key + version).
    A database failure is a StorageError: the write is then retried, and adopts the version."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, v: VersioneCreata) -> None:
        try:
            with session_scope(self.engine) as session:
                riga = session.scalar(select(VersioneS3).where(
                    VersioneS3.bucket == v.bucket, VersioneS3.s3_key == v.key, VersioneS3.version_id == v.version_id))
                if riga is None:
                    session.add(VersioneS3(
                        bucket=v.bucket, s3_key=v.key, version_id=v.version_id, sha256=v.sha256, dimensione=v.size,
                        conserva_fino_al=v.retain_until, adottata=v.adottata,
                    ))
                elif _utc(riga.conserva_fino_al) < v.retain_until:
                    riga.conserva_fino_al = v.retain_until  # an adopted version asked to be kept longer
        except IntegrityError:
            return  # recorded meanwhile by a concurrent writer of the same version
        except SQLAlchemyError as exc:
            raise errore_database(exc) from exc


@dataclass(frozen=True)
class Anomalia:
    """One finding of :func:`controlla`."""

    tipo: str
    """``non_registrata`` | ``senza_blocco`` | ``blocco_diverso`` | ``impronta_diversa`` | ``mancante``."""
    s3_key: str
    version_id: str
    dettaglio: str

    def as_dict(self) -> dict[str, str]:
        return {"tipo": self.tipo, "s3_key": self.s3_key, "version_id": self.version_id, "dettaglio": self.dettaglio}


def _registrate(engine: Engine, bucket: str) -> dict[tuple[str, str], VersioneS3]:
    try:
        with session_scope(engine) as session:
            righe = session.scalars(select(VersioneS3).where(VersioneS3.bucket == bucket)).all()
            return {(r.s3_key, r.version_id): r for r in righe}
    except SQLAlchemyError as exc:
        raise errore_database(exc) from exc


def controlla(engine: Engine, store: ObjectStore, *, contenuto: bool = False) -> Iterator[Anomalia]:
    """Walk every version of the bucket against the ledger (start-up probes excepted).

    ``contenuto=True`` also reads and hashes every version's bytes (slow), instead of only
    comparing the hash metadata with the ledger.
    """
    registrate = _registrate(engine, store.bucket)
    viste: set[tuple[str, str]] = set()
    adesso = _adesso()
    for key, version_id in store.all_versions():
        viste.add((key, version_id))
        if key.startswith(PROBE_PREFIX):
            continue
        riga = registrate.get((key, version_id))
        if riga is None:
            yield Anomalia("non_registrata", key, version_id, "Versione presente nel bucket ma non registrata dall'archivio.")
        ritenzione = store.retention(key, version_id)
        if ritenzione.mode != "COMPLIANCE" or ritenzione.until is None:
            yield Anomalia("senza_blocco", key, version_id, f"Conservazione letta: {ritenzione.descrizione()}.")
        elif riga is not None and ritenzione.until.replace(microsecond=0) < _utc(riga.conserva_fino_al).replace(microsecond=0):
            yield Anomalia("blocco_diverso", key, version_id,
                           f"Conservazione letta: {ritenzione.descrizione()}; richiesta fino al "
                           f"{_utc(riga.conserva_fino_al).strftime('%d/%m/%Y %H:%M:%S')} UTC.")
        elif riga is None and ritenzione.until < adesso:
            yield Anomalia("senza_blocco", key, version_id, f"Conservazione scaduta: {ritenzione.descrizione()}.")
        if riga is not None:
            try:
                info = store.info(key, version_id)
                letta = sha256_hex(store.get(key, version_id)) if contenuto else info.sha256
            except NotFound:
                continue
            if letta != riga.sha256:
                yield Anomalia("impronta_diversa", key, version_id,
                               f"Impronta registrata {riga.sha256[:16]}…, nell'archivio {str(letta)[:16]}….")
    for (key, version_id), riga in registrate.items():
        if (key, version_id) not in viste and _utc(riga.conserva_fino_al) > adesso:
            yield Anomalia("mancante", key, version_id, "Versione registrata ma assente dal bucket.")

