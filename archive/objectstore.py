"""Bytes + key + retention date → an immutable, verified object version in S3 (minio SDK).

Works with any S3 implementation that supports Object Lock; tested against SeaweedFS and
Ceph RGW. The bucket is created with Object Lock (which implies versioning). Every version
is written with a COMPLIANCE retention; a legal hold can be added and removed and outlives
the retention date. The SHA-256 of the content travels in the object metadata
(``x-amz-meta-sha256``) and every write is read back and hashed before it counts.

Verified lock (issue 12): after every write, single PUT or multipart, the retention of that
exact version is read back (``GET ?retention``) and compared, mode and date, with what was
asked; missing or earlier → PutObjectRetention and a second read; otherwise
:class:`archive.errors.LockNotHeld`. Before writing, a version with the same hash is adopted
instead (a lost reply), with the same checks. The SDK never retries a write (PUT/POST/DELETE);
every version S3 names is passed to the ``registro`` (``archive.versioni``).

Around it: :mod:`archive.ritenzione` reads retention as servers write it (Ceph RGW returns
``RetainUntilDate`` with nine fractional digits, which minio-py 7.2 cannot parse, so it is read
tolerantly and never through ``get_object_retention``); :mod:`archive.s3_confine` turns minio /
urllib3 errors into :class:`archive.errors.StorageTransient` (no answer, 5xx) or
:class:`archive.errors.StorageRefused` (a 4xx: retrying cannot help), each with an Italian message
and the cause chained; :mod:`archive.autoverifica` is the start-up self-test of a bucket (its
names stay importable from here). A deletion refused by the lock becomes
:class:`domain.errors.Conflict`. SeaweedFS ignores lock headers on ``copy_object``: nothing here
copies objects.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention

from archive.errors import LockNotHeld, StorageError, StorageRefused, StorageTransient
from archive.ritenzione import Ritenzione, fine_conservazione, leggi_ritenzione, parse_s3_datetime, stesso_istante
from archive.s3_confine import (CONNECTION_ERRORS, NO_HOLD_CODES, NO_RETENTION_CODES, intestazione,
                                politica_ripetizioni, traduci_errori, transitorio)
from domain.errors import Conflict

__all__ = [
    "S3Config", "StoredObject", "ObjectInfo", "Ritenzione", "VersioneCreata", "RegistroVersioni", "ObjectStore",
    "object_key", "sha256_hex", "parse_s3_datetime", "autoverifica", "verifica_avvio",
]

_AUTOVERIFICA = ("autoverifica", "verifica_avvio", "PROBE_PREFIX", "PROBE_RETENTION")
"""Names of the start-up self-test, now in :mod:`archive.autoverifica`, still importable from here."""


def __getattr__(name: str):  # noqa: ANN202 - PEP 562: the self-test imports this module, so it is loaded late
    if name in _AUTOVERIFICA:
        from archive import autoverifica

        return getattr(autoverifica, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    """HTTP-level retries of one *reading* request (GET/HEAD) and of connection attempts. Writes
    (PUT/POST/DELETE) are never retried by the SDK: a lost reply must not become a second
    locked version; :meth:`ObjectStore.put` retries itself after adopting what was stored."""
    put_attempts: int = 2
    """Write attempts of one :meth:`ObjectStore.put` (each one first adopts an existing version
    with the same hash); the outbox retries further with back-off."""


@dataclass(frozen=True)
class StoredObject:
    """A confirmed, hash-checked object version."""

    key: str
    version_id: str
    sha256: str
    size: int
    retain_until: date
    created: bool
    """False when a version with identical bytes already existed and was adopted."""
    retain_until_exact: datetime | None = None
    """The retain-until instant the store read back for this version."""


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


@dataclass(frozen=True)
class VersioneCreata:
    """One object version this archive created (or adopted after a lost reply)."""

    bucket: str
    key: str
    version_id: str
    sha256: str
    size: int
    retain_until: datetime
    """The retention asked for."""
    adottata: bool
    """True when found by hash after a write whose reply was lost (or an earlier write)."""


RegistroVersioni = Callable[[VersioneCreata], None]
"""Called as soon as S3 names a version we wrote, before its lock is verified, so that a
version whose verification fails is still accounted for (``archive.versioni`` records it)."""


class ObjectStore:
    """The archive bucket: put/get/verify, retention, legal hold, disposal of expired versions."""

    def __init__(self, config: S3Config, *, registro: RegistroVersioni | None = None) -> None:
        self.config = config
        self.bucket = config.bucket
        self.registro = registro
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=config.connect_timeout, read=config.read_timeout),
            retries=politica_ripetizioni(config.retries),
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
                raise StorageRefused(
                    f"Il bucket {self.bucket} esiste ma non ha il blocco oggetti (Object Lock) attivo."
                ) from exc
            raise (StorageTransient if transitorio(exc) else StorageRefused)(
                "Impossibile preparare il bucket dell'archivio.") from exc
        except CONNECTION_ERRORS as exc:
            raise StorageTransient("Archivio documentale non raggiungibile.") from exc
        if lock is None:
            raise StorageRefused(f"Il bucket {self.bucket} non ha il blocco oggetti (Object Lock) attivo.")

    # -- write -----------------------------------------------------------------------------

    def put(
        self, key: str, data: bytes, *, retain_until: date | datetime, metadata: Mapping[str, str] | None = None
    ) -> StoredObject:
        """Store ``data`` under ``key`` with COMPLIANCE retention until the end of ``retain_until``
        (a date: to the end of that day, UTC; a datetime: to that instant).

        Idempotent: a version of ``key`` already holding the same SHA-256 is adopted instead of
        writing another (after a lost reply, the version the store did keep). Whatever the
        version, its retention is read back (mode and date, exactly) and set with
        PutObjectRetention when missing or earlier; :class:`LockNotHeld` when the store still
        does not hold it. The bytes are read back and hashed; only then is it returned.
        """
        digest = sha256_hex(data)
        asked = fine_conservazione(retain_until)
        meta = {SHA256_META: digest, **{k: _ascii(v) for k, v in (metadata or {}).items()}}
        attempts = max(1, self.config.put_attempts)
        for attempt in range(1, attempts + 1):
            found = self._adopt(key, digest)
            if found is not None:
                self._record(key, found.version_id, digest, found.size, asked, adottata=True)
                held = self._lock(key, found.version_id, asked, new=False)
                self._verify(key, found.version_id, digest)
                return StoredObject(key, found.version_id, digest, found.size, held.date(), created=False,
                                    retain_until_exact=held)
            try:
                with traduci_errori("Scrittura nell'archivio documentale non riuscita."):
                    result = self.client.put_object(
                        self.bucket, key, io.BytesIO(data), len(data),
                        content_type="application/pdf", metadata=meta,
                        retention=Retention(COMPLIANCE, asked),
                    )
            except StorageTransient:
                if attempt == attempts:
                    raise
                continue  # the reply may be lost while the version exists: adopt it first
            if not result.version_id:
                raise StorageRefused("L'archivio non ha restituito la versione del documento: versioning non attivo.")
            self._record(key, result.version_id, digest, len(data), asked, adottata=False)
            held = self._lock(key, result.version_id, asked, new=True)
            self._verify(key, result.version_id, digest)
            return StoredObject(key, result.version_id, digest, len(data), held.date(), created=True,
                                retain_until_exact=held)
        raise AssertionError("unreachable")  # pragma: no cover

    def _record(self, key: str, version_id: str, digest: str, size: int, asked: datetime, *, adottata: bool) -> None:
        if self.registro is not None:
            self.registro(VersioneCreata(self.bucket, key, version_id, digest, size, asked, adottata))

    def _adopt(self, key: str, digest: str) -> ObjectInfo | None:
        """The newest version of ``key`` whose hash metadata is ``digest`` (None if none)."""
        for version_id in self.versions(key):
            try:
                info = self.info(key, version_id)
            except NotFound:
                continue
            if info.sha256 == digest:
                return info
        return None

    def retention(self, key: str, version_id: str) -> Ritenzione:
        """Retention of one exact version as the store reports it (``GET ?retention``, parsed
        tolerantly: RGW writes nine fractional digits, which minio-py cannot read)."""
        try:
            with traduci_errori("Lettura della conservazione del documento non riuscita.", not_found=True):
                response = self.client._execute(
                    "GET", self.bucket, object_name=key, query_params={"versionId": version_id, "retention": ""},
                )
                text = response.data.decode()
        except StorageRefused as exc:
            if isinstance(exc.__cause__, S3Error) and exc.__cause__.code in NO_RETENTION_CODES:
                return Ritenzione(None, None)
            raise
        try:
            return leggi_ritenzione(text)
        except (ET.ParseError, ValueError) as exc:
            raise StorageTransient("Risposta dell'archivio sulla conservazione non leggibile.") from exc

    def _lock(self, key: str, version_id: str, asked: datetime, *, new: bool) -> datetime:
        """Make sure ``version_id`` holds COMPLIANCE until ``asked``; the instant held.

        A new version must read back exactly ``asked``; an adopted one at least ``asked``.
        Missing or earlier: PutObjectRetention, then read again. Anything else: LockNotHeld.
        """
        def held(r: Ritenzione) -> bool:
            if r.mode != COMPLIANCE or r.until is None:
                return False
            return stesso_istante(r.until, asked) or (not new and r.until > asked)

        letta = self.retention(key, version_id)
        if held(letta):
            return letta.until  # type: ignore[return-value]
        if letta.until is None or letta.until < asked or letta.mode != COMPLIANCE:
            with traduci_errori("Impostazione della conservazione del documento non riuscita."):
                self.client.set_object_retention(self.bucket, key, Retention(COMPLIANCE, asked), version_id=version_id)
            letta = self.retention(key, version_id)
            if held(letta):
                return letta.until  # type: ignore[return-value]
        raise LockNotHeld(
            f"L'archivio S3 non conserva il documento fino al {asked.strftime('%d/%m/%Y')} "
            f"(riletto: {letta.descrizione()}): il documento non è archiviato."
        )

    def _current(self, key: str) -> ObjectInfo | None:
        try:
            return self.info(key)
        except NotFound:
            return None

    def _verify(self, key: str, version_id: str, digest: str) -> None:
        if sha256_hex(self.get(key, version_id)) != digest:
            raise StorageRefused("Il documento riletto dall'archivio non corrisponde a quello scritto.")

    # -- read ------------------------------------------------------------------------------

    def get(self, key: str, version_id: str | None = None) -> bytes:
        """The bytes of ``key`` (a given version, or the current one)."""
        with traduci_errori("Lettura dall'archivio documentale non riuscita.", not_found=True):
            response = self.client.get_object(self.bucket, key, version_id=version_id)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def info(self, key: str, version_id: str | None = None) -> ObjectInfo:
        """Metadata, retention and legal hold of one version (a HEAD request)."""
        with traduci_errori("Lettura dall'archivio documentale non riuscita.", not_found=True):
            stat = self.client.stat_object(self.bucket, key, version_id=version_id)
        headers = stat.metadata or {}
        until = intestazione(headers, "x-amz-object-lock-retain-until-date")
        return ObjectInfo(
            key=key,
            version_id=stat.version_id or version_id or "",
            sha256=intestazione(headers, f"x-amz-meta-{SHA256_META}"),
            size=stat.size or 0,
            retention_mode=intestazione(headers, "x-amz-object-lock-mode"),
            retain_until=parse_s3_datetime(until) if until else None,
            legal_hold=(intestazione(headers, "x-amz-object-lock-legal-hold") or "").upper() == "ON",
        )

    def versions(self, key: str) -> list[str]:
        """Version ids of ``key``, newest first."""
        with traduci_errori("Elenco delle versioni non disponibile."):
            found = [
                o for o in self.client.list_objects(self.bucket, prefix=key, include_version=True)
                if o.object_name == key and not o.is_delete_marker
            ]
        found.sort(key=lambda o: o.last_modified or datetime.min.replace(tzinfo=timezone.utc), reverse=True)
        return [o.version_id for o in found if o.version_id]

    def all_versions(self, prefix: str = "") -> Iterator[tuple[str, str]]:
        """``(key, version_id)`` of every object version in the bucket (delete markers skipped)."""
        with traduci_errori("Elenco delle versioni non disponibile."):
            for o in self.client.list_objects(self.bucket, prefix=prefix or None, recursive=True, include_version=True):
                if not o.is_delete_marker and o.version_id and o.object_name:
                    yield o.object_name, o.version_id

    # -- legal hold and disposal -----------------------------------------------------------

    def legal_hold(self, key: str, version_id: str) -> bool:
        try:
            with traduci_errori("Stato del blocco legale non disponibile."):
                return self.client.is_object_legal_hold_enabled(self.bucket, key, version_id=version_id)
        except StorageError as exc:
            if isinstance(exc.__cause__, S3Error) and exc.__cause__.code in NO_HOLD_CODES:
                return False  # never set on this version
            raise

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        """Set (``on=True``) or release a legal hold on one version."""
        with traduci_errori("Impossibile modificare il blocco legale del documento."):
            if on:
                self.client.enable_object_legal_hold(self.bucket, key, version_id=version_id)
            else:
                self.client.disable_object_legal_hold(self.bucket, key, version_id=version_id)

    def delete_version(self, key: str, version_id: str) -> None:
        """Permanently delete one version; Conflict while retention or a legal hold protects it."""
        try:
            with traduci_errori("Eliminazione dall'archivio documentale non riuscita."):
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
