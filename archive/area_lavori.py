"""The S3 work area of batch jobs split across machines (``curit-docs batch --distribuito``).

:class:`AreaLavori`: plain objects (no Object Lock, no retention: they are intermediate results,
not records) in their own bucket, under ``lavori/<id>/``. Apart from ``archive.lavori`` (the jobs'
table) so that a job printed on one machine does not import the S3 client.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from archive.errors import StorageError
from archive.objectstore import S3Config

__all__ = ["AreaLavori"]

_ERRORI_RETE = (MinioException, urllib3.exceptions.HTTPError, OSError)
SHA256_META = "sha256"


@contextmanager
def _s3(messaggio: str) -> Iterator[None]:
    try:
        yield
    except S3Error as exc:
        raise StorageError(messaggio) from exc
    except _ERRORI_RETE as exc:
        raise StorageError("Area di lavoro S3 dei lavori di stampa non raggiungibile.") from exc


class AreaLavori:
    """Plain objects of distributed jobs under ``lavori/<id>/`` in ``config.bucket`` (created
    without Object Lock when missing). Each object carries its SHA-256 in its metadata."""

    def __init__(self, config: S3Config) -> None:
        self.bucket = config.bucket
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=config.connect_timeout, read=config.read_timeout),
            retries=urllib3.Retry(total=config.retries, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
            maxsize=8,
        )
        self.client = Minio(config.endpoint, access_key=config.access_key, secret_key=config.secret_key,
                            secure=config.secure, region=config.region, http_client=http)

    @staticmethod
    def chiave(lavoro_id: str, nome: str) -> str:
        return f"lavori/{lavoro_id}/{nome}"

    def prepara(self) -> None:
        with _s3(f"Impossibile preparare il bucket {self.bucket} dei lavori di stampa."):
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket)
                except S3Error as exc:  # another worker made it meanwhile
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

    def metti(self, lavoro_id: str, nome: str, dati: bytes) -> str:
        """Store ``dati`` as ``lavori/<id>/<nome>``; its SHA-256."""
        sha = hashlib.sha256(dati).hexdigest()
        with _s3("Scrittura nell'area di lavoro S3 non riuscita."):
            self.client.put_object(self.bucket, self.chiave(lavoro_id, nome), io.BytesIO(dati), len(dati),
                                   metadata={SHA256_META: sha})
        return sha

    def prendi(self, lavoro_id: str, nome: str) -> bytes | None:
        """The bytes of ``lavori/<id>/<nome>``, None when absent."""
        try:
            with _s3("Lettura dall'area di lavoro S3 non riuscita."):
                risposta = self.client.get_object(self.bucket, self.chiave(lavoro_id, nome))
                try:
                    return risposta.read()
                finally:
                    risposta.close()
                    risposta.release_conn()
        except StorageError as exc:
            if isinstance(exc.__cause__, S3Error) and exc.__cause__.code in ("NoSuchKey", "NoSuchBucket"):
                return None
            raise

    def sha256(self, lavoro_id: str, nome: str) -> str | None:
        """The SHA-256 recorded with the object (a HEAD request), None when absent."""
        try:
            with _s3("Lettura dall'area di lavoro S3 non riuscita."):
                stat = self.client.stat_object(self.bucket, self.chiave(lavoro_id, nome))
        except StorageError as exc:
            if isinstance(exc.__cause__, S3Error) and exc.__cause__.code in ("NoSuchKey", "NoSuchBucket",
                                                                           "ResponseCode404"):
                return None
            raise
        for k, v in (stat.metadata or {}).items():
            if k.lower() == f"x-amz-meta-{SHA256_META}":
                return v
        return None

    def elenco(self, lavoro_id: str, cartella: str = "") -> list[str]:
        """Names (relative to ``lavori/<id>/``) of the objects under ``cartella``."""
        base = self.chiave(lavoro_id, "")
        with _s3("Elenco dell'area di lavoro S3 non disponibile."):
            return sorted(o.object_name[len(base):] for o in
                          self.client.list_objects(self.bucket, prefix=base + cartella, recursive=True))
