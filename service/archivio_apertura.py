"""Configuration → a running archive: the S3 to use (:func:`s3_config`: the configured one or an
embedded SeaweedFS under ``var/``), its keys, and :func:`apri_archivio`, which yields a ready
:class:`service.archivio.Archivio` (migrated index, bucket prepared, or the outbox when S3 is down).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from archive.db import make_engine, upgrade
from archive.errors import StorageError
from archive.objectstore import ObjectStore, S3Config
from archive.outbox import Backoff
from archive.seaweed import EmbeddedSeaweed
from domain.conservazione import PoliticaConservazione
from domain.errors import RuleViolation
from service.archivio import Archivio
from service.settings import Settings

__all__ = ["s3_config", "apri_archivio", "politica_da_settings", "StoreNonDisponibile"]

log = logging.getLogger("curit.archivio")


def politica_da_settings(settings: Settings) -> PoliticaConservazione:
    return PoliticaConservazione(
        anni_dichiarazioni=settings.conservazione_anni_dichiarazioni,
        anni_default=settings.conservazione_anni_default,
        anni_per_tipo=dict(settings.conservazione_anni_per_tipo),
        giorni_minimi=settings.conservazione_minima_giorni,
    )


def _chiavi_incorporate(settings: Settings) -> tuple[str, str]:
    """Keys of the embedded SeaweedFS: from settings, else generated once under var/."""
    if settings.s3_access_key and settings.s3_secret_key:
        return settings.s3_access_key, settings.s3_secret_key
    path = settings.var_dir / "seaweedfs-chiavi.json"
    try:
        saved = json.loads(path.read_text())
        return saved["access_key"], saved["secret_key"]
    except (OSError, ValueError, KeyError):
        keys = {"access_key": "curit" + secrets.token_hex(6), "secret_key": secrets.token_urlsafe(30)}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(keys))
        path.chmod(0o600)
        return keys["access_key"], keys["secret_key"]


@contextmanager
def s3_config(settings: Settings, *, pubblica: bool = False) -> Iterator[S3Config]:
    """The configured S3 (``CURIT_S3_*``), or an embedded SeaweedFS under ``var/`` started for
    the duration of the block when ``CURIT_S3_ENDPOINT`` is not set."""
    if settings.s3_endpoint:
        if not (settings.s3_access_key and settings.s3_secret_key):
            raise RuleViolation("Configurare CURIT_S3_ACCESS_KEY e CURIT_S3_SECRET_KEY per l'archivio S3.",
                                path=("s3_access_key",))
        yield S3Config(settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key, settings.s3_bucket,
                       secure=settings.s3_secure, region=settings.s3_region)
        return
    access, secret = _chiavi_incorporate(settings)
    # one embedded server per var/: attach to the one ``serve`` published (pubblica=True), else start one
    # isolata: its own network namespace, only S3 exposed (archive/isolamento.py)
    with EmbeddedSeaweed(settings.var_dir / "seaweedfs", access, secret, pubblica=pubblica, isolata=True) as weed:
        yield S3Config(weed.endpoint, access, secret, settings.s3_bucket, region=settings.s3_region)


class StoreNonDisponibile:
    """Stand-in for the object store when S3 (or its bucket check) failed at opening and the
    caller asked to go on (``apri_archivio(anche_senza_s3=True)``): every call fails with a
    transient error carrying the original reason, so :meth:`Archivio.archivia` queues the
    document in the outbox and work already rendered is kept."""

    def __init__(self, motivo: StorageError, bucket: str) -> None:
        self.motivo = motivo
        self.bucket = bucket

    def __getattr__(self, nome: str) -> Callable[..., Any]:
        def _non_disponibile(*_a: Any, **_k: Any) -> Any:
            from archive.errors import StorageTransient

            errore = StorageTransient(self.motivo.message)
            raise errore from (self.motivo.__cause__ or self.motivo)

        return _non_disponibile


def _errore_database(exc: BaseException) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    from archive.errors import DatabaseNonDisponibile

    return isinstance(exc, DatabaseNonDisponibile) or isinstance(exc.__cause__, SQLAlchemyError)


@contextmanager
def apri_archivio(settings: Settings, *, anche_senza_s3: bool = False) -> Iterator[Archivio]:
    """A ready archive for one command or one server run (migrated index, bucket prepared).

    ``anche_senza_s3``: when S3 cannot be reached or its bucket check fails, yield the archive
    anyway with a :class:`StoreNonDisponibile`: documents go to the outbox (``stato: in_coda``)
    instead of the command failing after its work was done (``archivia``, ``render --archivia``,
    ``batch --archivia``). A database failure is raised either way."""
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    try:
        with ExitStack() as stack:
            try:
                config = stack.enter_context(s3_config(settings))
                from archive.versioni import RegistroDb

                store: Any = ObjectStore(config, registro=RegistroDb(engine))  # every S3 version we create is recorded
                store.ensure_bucket()
            except StorageError as exc:
                if not anche_senza_s3 or _errore_database(exc):
                    raise
                log.warning("Archivio S3 non disponibile (%s): i documenti saranno messi in coda", exc.message)
                store = StoreNonDisponibile(exc, settings.s3_bucket)
            yield Archivio(
                engine, store, politica_da_settings(settings),
                Backoff(settings.archivio_coda_attesa_s, settings.archivio_coda_attesa_max_s),
            )
    finally:
        engine.dispose()
