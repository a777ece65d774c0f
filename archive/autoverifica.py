"""Start-up self-test of the archive bucket: a locked probe must be held, refused deletion, and read back.

``curit-docs serve`` runs :func:`verifica_avvio` before accepting work; the probes live under
:data:`PROBE_PREFIX` (``archive.versioni`` leaves them out of the ledger checks).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from archive.errors import StorageError, StorageRefused
from archive.objectstore import ObjectStore, S3Config, StoredObject, sha256_hex
from archive.s3_confine import traduci_errori
from domain.errors import NotFound

__all__ = ["PROBE_PREFIX", "PROBE_RETENTION", "autoverifica", "verifica_avvio"]


PROBE_PREFIX = "_curit-autoverifica/"
"""Key prefix of the start-up probes (tiny objects, locked for :data:`PROBE_RETENTION`)."""
PROBE_RETENTION = timedelta(minutes=10)


def autoverifica(store: ObjectStore, *, ora: datetime | None = None) -> StoredObject:
    """Start-up self-test of the bucket: write a probe with COMPLIANCE retention, read the
    retention back (mode and date, exactly), then try to delete that locked version, which
    must be refused. :class:`StorageRefused` (or :class:`LockNotHeld`) when the bucket does
    not protect what it stores; :class:`StorageTransient` when it cannot be reached.
    """
    ora = ora or datetime.now(timezone.utc)
    until = (ora + PROBE_RETENTION).replace(microsecond=0)
    key = f"{PROBE_PREFIX}{ora.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.bin"
    probe = b"curit-docs autoverifica " + ora.isoformat().encode()
    stored = store.put(key, probe, retain_until=until, metadata={"scopo": "autoverifica"})
    try:
        with traduci_errori("Eliminazione della prova non riuscita."):
            store.client.remove_object(store.bucket, key, version_id=stored.version_id)
    except StorageRefused:
        pass  # refused: the lock holds
    else:
        raise StorageRefused(
            f"Il bucket {store.bucket} ha lasciato eliminare una versione sotto conservazione obbligatoria: "
            "l'archivio non può garantire la conservazione dei documenti."
        )
    try:
        if sha256_hex(store.get(key, stored.version_id)) != stored.sha256:
            raise StorageRefused(f"Il bucket {store.bucket} non restituisce la prova scritta all'avvio.")
    except NotFound:
        raise StorageRefused(
            f"Il bucket {store.bucket} ha perso una versione sotto conservazione obbligatoria."
        ) from None
    return stored


def verifica_avvio(config: S3Config) -> StoredObject:
    """Bucket prepared and :func:`autoverifica` passed, or the same error with an Italian
    message saying the server does not start (``curit-docs serve`` calls this)."""
    store = ObjectStore(config)
    try:
        store.ensure_bucket()
        return autoverifica(store)
    except StorageError as exc:
        errore = type(exc)(f"Avvio rifiutato: il bucket {config.bucket} non supera la verifica della "
                           f"conservazione obbligatoria. {exc.message}")
        raise errore from exc
