"""minio / urllib3 failures → :mod:`archive.errors` at the S3 boundary, and the SDK's retry policy.

What an S3 server answers is sorted here once for :class:`archive.objectstore.ObjectStore`
and the start-up self-test (:mod:`archive.autoverifica`): no answer or a 5xx is
:class:`StorageTransient` (retrying may help), any other refusal is :class:`StorageRefused`, a
missing key is :class:`domain.errors.NotFound`. Writes are never retried by the SDK.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import urllib3
from minio.error import MinioException, S3Error

from archive.errors import StorageRefused, StorageTransient
from domain.errors import NotFound

__all__ = ["CONNECTION_ERRORS", "NO_HOLD_CODES", "NO_RETENTION_CODES", "intestazione", "politica_ripetizioni",
           "transitorio", "traduci_errori"]


def intestazione(headers: Mapping[str, str], name: str) -> str | None:
    lower = name.lower()
    for k, v in headers.items():
        if k.lower() == lower:
            return v
    return None


NO_HOLD_CODES = ("NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "NoSuchLegalHold")
"""What servers answer when a version never had a legal hold (SeaweedFS, RGW)."""
NO_RETENTION_CODES = ("NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError")
"""What servers answer to ``GET ?retention`` on a version without retention (RGW after a multipart upload)."""

CONNECTION_ERRORS = (urllib3.exceptions.HTTPError, OSError, MinioException)
NOT_FOUND_CODES = ("NoSuchKey", "NoSuchVersion", "NoSuchObject", "ResponseCode404")
TRANSIENT_CODES = ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed",
                    "NoSuchUpload")
"""``NoSuchUpload``: the SDK aborts a multipart upload whose completion reply was lost, and the
store answers that the upload is gone (completed): the version may exist, adopt it on retry."""


def transitorio(exc: S3Error) -> bool:
    status = getattr(getattr(exc, "response", None), "status", None) or 0
    return status >= 500 or status in (408, 429) or exc.code in TRANSIENT_CODES


@contextmanager
def traduci_errori(messaggio: str, *, not_found: bool = False) -> Iterator[None]:
    """Translate minio/urllib3 failures at this boundary: StorageTransient when retrying may
    help (no answer, 5xx), StorageRefused when S3 answered no (4xx), or NotFound."""
    try:
        yield
    except S3Error as exc:
        if not_found and exc.code in NOT_FOUND_CODES:
            raise NotFound("Documento non presente nell'archivio.") from exc
        raise (StorageTransient(messaggio) if transitorio(exc) else StorageRefused(messaggio)) from exc
    except CONNECTION_ERRORS as exc:
        raise StorageTransient("Archivio documentale non raggiungibile.") from exc


def politica_ripetizioni(retries: int) -> urllib3.Retry:
    """SDK-level retries: connection attempts (nothing was sent) and reading requests only.
    urllib3's default also retries PUT after a read error, which after a lost reply writes a
    second locked version; POST (multipart create/complete) and DELETE are excluded as well."""
    return urllib3.Retry(
        total=retries, connect=retries, read=retries, status=retries, other=0,
        allowed_methods=frozenset({"GET", "HEAD"}), status_forcelist=(500, 502, 503, 504),
        backoff_factor=0.2, raise_on_status=False,
    )
