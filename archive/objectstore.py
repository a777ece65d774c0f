"""Bytes + key + retention date → an immutable, verified object version in S3 (minio SDK).

Works with any S3 implementation that supports Object Lock; tested against SeaweedFS and
Ceph RGW. The bucket is created with Object Lock (which implies versioning). Every version
is written with a COMPLIANCE retention; a legal hold can be added and removed and outlives
the retention date. The SHA-256 of the content travels in the object metadata
(``x-amz-meta-sha256``) and every write is read back and hashed before it counts.

Interoperability handled here (see PERFORMANCE-NOTES, S3 section):

* Ceph RGW returns ``RetainUntilDate`` with nine fractional digits, which minio-py 7.2
  cannot parse: the retention is read from the HEAD response headers with a tolerant parser
  instead of ``get_object_retention``;
* SeaweedFS ignores lock headers on ``copy_object``: nothing here copies objects.

minio / urllib3 errors become :class:`archive.errors.StorageError` (Italian message, the
technical cause chained); a deletion refused by the lock becomes
:class:`domain.errors.Conflict`.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import MinioException, S3Error
from minio.retention import Retention

from archive.errors import StorageError
from domain.errors import Conflict, NotFound

__all__ = ["S3Config", "StoredObject", "ObjectInfo", "ObjectStore", "object_key", "sha256_hex", "parse_s3_datetime"]

SHA256_META = "sha256"
"""User metadata name of the content hash (``x-amz-meta-sha256``)."""


@dataclass(frozen=True)
class S3Config:
    """Where the archive lives (values come from settings, passed in by ``service``)."""

    endpoint: str
    """``host:port`` of the S3 API."""
    access_key: str
    secret_key: str
    bucket: str
    secure: bool = False
    """HTTPS when true."""
    region: str | None = "us-east-1"
    connect_timeout: float = 3.0
    """Seconds to wait for a TCP connection (short: the outbox takes over when S3 is down)."""
    read_timeout: float = 60.0
    retries: int = 2
    """HTTP-level retries of one request (the outbox retries whole writes with back-off)."""


@dataclass(frozen=True)
class StoredObject:
    """A confirmed, hash-checked object version."""

    key: str
    version_id: str
    sha256: str
    size: int
    retain_until: date
    created: bool
    """False when identical bytes were already the current version (idempotent store)."""


@dataclass(frozen=True)
class ObjectInfo:
    """What S3 says about one object version."""

    key: str
    version_id: str
    sha256: str | None
    size: int
    retention_mode: str | None
    retain_until: datetime | None
    legal_hold: bool


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _segment(value: str | None, empty: str) -> str:
    text = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9._-]+", "-", text).strip("-.")
    return text or empty


def object_key(*, ente: str | None, stagione: str | None, tipo: str, codice_impianto: str | None, document_id: str) -> str:
    """Deterministic, readable key: ``ente/stagione/tipo/codice_impianto/document_id.pdf``.

    ``stagione`` may be written ``2025/2026``; it becomes ``2025-2026`` inside one segment.
    """
    parts = (
        _segment(ente, "ente-non-indicato"),
        _segment((stagione or "").replace("/", "-"), "stagione-non-indicata"),
        _segment(tipo, "tipo-non-indicato"),
        _segment(codice_impianto, "senza-codice"),
        _segment(document_id, "documento"),
    )
    return "/".join(parts) + ".pdf"


_S3_DT = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")


def parse_s3_datetime(text: str) -> datetime:
    """ISO 8601 as S3 servers write it, any number of fractional digits (RGW writes nine)."""
    m = _S3_DT.match(text.strip())
    if not m:
        raise ValueError(f"not an S3 timestamp: {text!r}")
    base, frac, tz = m.groups()
    micro = (frac or "0")[:6].ljust(6, "0")
    offset = "+00:00" if tz in (None, "Z") else tz
    return datetime.fromisoformat(f"{base}.{micro}{offset}")


def _until(d: date | datetime) -> datetime:
    """Retention of a date: to the end of that day (UTC); a datetime is taken as it is."""
    if isinstance(d, datetime):
        return d if d.tzinfo else d.replace(tzinfo=timezone.utc)
    return datetime.combine(d, time(23, 59, 59), tzinfo=timezone.utc)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lower = name.lower()
    for k, v in headers.items():
        if k.lower() == lower:
            return v
    return None


_NO_HOLD_CODES = ("NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "NoSuchLegalHold")
"""What servers answer when a version never had a legal hold (SeaweedFS, RGW)."""

_CONNECTION_ERRORS = (urllib3.exceptions.HTTPError, OSError, MinioException)
_NOT_FOUND_CODES = ("NoSuchKey", "NoSuchVersion", "NoSuchObject", "ResponseCode404")


@contextmanager
def _s3(messaggio: str, *, not_found: bool = False) -> Iterator[None]:
    """Translate minio/urllib3 failures at this boundary: StorageError (or NotFound)."""
    try:
        yield
    except S3Error as exc:
        if not_found and exc.code in _NOT_FOUND_CODES:
            raise NotFound("Documento non presente nell'archivio.") from exc
        raise StorageError(messaggio) from exc
    except _CONNECTION_ERRORS as exc:
        raise StorageError("Archivio documentale non raggiungibile.") from exc


class ObjectStore:
    """The archive bucket: put/get/verify, retention, legal hold, disposal of expired versions."""

    def __init__(self, config: S3Config) -> None:
        self.config = config
        self.bucket = config.bucket
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=config.connect_timeout, read=config.read_timeout),
            retries=urllib3.Retry(total=config.retries, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
            maxsize=8,
        )
        self.client = Minio(
            config.endpoint, access_key=config.access_key, secret_key=config.secret_key,
            secure=config.secure, region=config.region, http_client=http,
        )

    # -- bucket ----------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        """Create the bucket with Object Lock (and so versioning) unless it exists; refuse a
        bucket that exists without Object Lock, since retention could not be enforced."""
        try:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket, object_lock=True)
            lock = self.client.get_object_lock_config(self.bucket)
        except S3Error as exc:
            if exc.code == "ObjectLockConfigurationNotFoundError":
                raise StorageError(
                    f"Il bucket {self.bucket} esiste ma non ha il blocco oggetti (Object Lock) attivo."
                ) from exc
            raise StorageError("Impossibile preparare il bucket dell'archivio.") from exc
        except _CONNECTION_ERRORS as exc:
            raise StorageError("Archivio documentale non raggiungibile.") from exc
        if lock is None:
            raise StorageError(f"Il bucket {self.bucket} non ha il blocco oggetti (Object Lock) attivo.")

    # -- write -----------------------------------------------------------------------------

    def put(
        self, key: str, data: bytes, *, retain_until: date | datetime, metadata: Mapping[str, str] | None = None
    ) -> StoredObject:
        """Store ``data`` under ``key`` with COMPLIANCE retention until the end of ``retain_until``
        (a date: to the end of that day, UTC; a datetime: to that instant).

        Idempotent: when the current version of ``key`` already holds the same SHA-256, no new
        version is written. Otherwise a new version appears and the older ones stay. The written
        version is read back and hashed; only then is it returned.
        """
        digest = sha256_hex(data)
        current = self._current(key)
        if current is not None and current.sha256 == digest:
            self._verify(key, current.version_id, digest)
            until = current.retain_until.date() if current.retain_until else _until(retain_until).date()
            return StoredObject(key, current.version_id, digest, current.size, until, created=False)
        meta = {SHA256_META: digest, **{k: _ascii(v) for k, v in (metadata or {}).items()}}
        with _s3("Scrittura nell'archivio documentale non riuscita."):
            result = self.client.put_object(
                self.bucket, key, io.BytesIO(data), len(data),
                content_type="application/pdf", metadata=meta,
                retention=Retention(COMPLIANCE, _until(retain_until)),
            )
        if not result.version_id:
            raise StorageError("L'archivio non ha restituito la versione del documento: versioning non attivo.")
        self._verify(key, result.version_id, digest)
        return StoredObject(key, result.version_id, digest, len(data), _until(retain_until).date(), created=True)

    def _current(self, key: str) -> ObjectInfo | None:
        try:
            return self.info(key)
        except NotFound:
            return None

    def _verify(self, key: str, version_id: str, digest: str) -> None:
        if sha256_hex(self.get(key, version_id)) != digest:
            raise StorageError("Il documento riletto dall'archivio non corrisponde a quello scritto.")

    # -- read ------------------------------------------------------------------------------

    def get(self, key: str, version_id: str | None = None) -> bytes:
        """The bytes of ``key`` (a given version, or the current one)."""
        with _s3("Lettura dall'archivio documentale non riuscita.", not_found=True):
            response = self.client.get_object(self.bucket, key, version_id=version_id)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def info(self, key: str, version_id: str | None = None) -> ObjectInfo:
        """Metadata, retention and legal hold of one version (a HEAD request)."""
        with _s3("Lettura dall'archivio documentale non riuscita.", not_found=True):
            stat = self.client.stat_object(self.bucket, key, version_id=version_id)
        headers = stat.metadata or {}
        until = _header(headers, "x-amz-object-lock-retain-until-date")
        return ObjectInfo(
            key=key,
            version_id=stat.version_id or version_id or "",
            sha256=_header(headers, f"x-amz-meta-{SHA256_META}"),
            size=stat.size or 0,
            retention_mode=_header(headers, "x-amz-object-lock-mode"),
            retain_until=parse_s3_datetime(until) if until else None,
            legal_hold=(_header(headers, "x-amz-object-lock-legal-hold") or "").upper() == "ON",
        )

    def versions(self, key: str) -> list[str]:
        """Version ids of ``key``, newest first."""
        with _s3("Elenco delle versioni non disponibile."):
            found = [
                o for o in self.client.list_objects(self.bucket, prefix=key, include_version=True)
                if o.object_name == key and not o.is_delete_marker
            ]
        found.sort(key=lambda o: o.last_modified or datetime.min.replace(tzinfo=timezone.utc), reverse=True)
        return [o.version_id for o in found if o.version_id]

    # -- legal hold and disposal -----------------------------------------------------------

    def legal_hold(self, key: str, version_id: str) -> bool:
        try:
            with _s3("Stato del blocco legale non disponibile."):
                return self.client.is_object_legal_hold_enabled(self.bucket, key, version_id=version_id)
        except StorageError as exc:
            if isinstance(exc.__cause__, S3Error) and exc.__cause__.code in _NO_HOLD_CODES:
                return False  # never set on this version
            raise

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        """Set (``on=True``) or release a legal hold on one version."""
        with _s3("Impossibile modificare il blocco legale del documento."):
            if on:
                self.client.enable_object_legal_hold(self.bucket, key, version_id=version_id)
            else:
                self.client.disable_object_legal_hold(self.bucket, key, version_id=version_id)

    def delete_version(self, key: str, version_id: str) -> None:
        """Permanently delete one version; Conflict while retention or a legal hold protects it."""
        try:
            with _s3("Eliminazione dall'archivio documentale non riuscita."):
                self.client.remove_object(self.bucket, key, version_id=version_id)
        except StorageError as exc:
            refused = isinstance(exc.__cause__, S3Error) and exc.__cause__.code == "AccessDenied"
            if refused and self._locked(key, version_id):
                raise Conflict(
                    "Il documento è protetto da conservazione obbligatoria o blocco legale e non può essere eliminato."
                ) from exc.__cause__
            raise

    def _locked(self, key: str, version_id: str) -> bool:
        info = self.info(key, version_id)
        if info.retain_until is not None and info.retain_until > datetime.now(timezone.utc):
            return True
        return info.legal_hold or self.legal_hold(key, version_id)


def _ascii(value: str) -> str:
    """S3 user metadata travels in HTTP headers: keep it ASCII."""
    return unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
