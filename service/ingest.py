"""Many PDFs → signed, stored on S3 Object Lock and indexed, fast: the archive ingest of a batch.

Same steps and guarantees as one :meth:`service.emissione.Emissione.emetti_pdf` per document, with
the work spread out:

- **sign** in ``processi`` worker processes, each with the identities loaded once
  (``Emissione.firma_pdf``; a B-B CMS after an identity's first from a template,
  ``renderers.firma_cms``); blocks of documents go out and come back in order. The workers are
  forked when the calling process runs one thread (they inherit the imported signing stack:
  ~1.5 s of CPU each when spawned), spawned otherwise (a server's threads);
- **verdict** of each signature by hash (``service.firma.FirmeProprie``): the bytes are the
  ones a worker of this run signed a moment ago; the first of each identity is verified in full.
  Retrieval and ``curit-docs archivio verifica`` verify in full;
- **S3** writes of a block run concurrently (``concorrenza`` threads): each one is still the
  idempotent, read-back-checked ``ObjectStore.put``. With worker processes, the writes of a block
  start as soon as it is signed and run while the block before it is indexed and handed back
  (one block ahead): S3, the database and the signing processes work at the same time;
- **index** rows of a block are written in one transaction, new ones in one INSERT round
  (``archive.indice_lotto``);
- a document whose S3 write fails goes to the durable outbox (``archive.outbox.accoda``), exactly
  as ``Archivio.archivia`` does: nothing is lost, and the retry writes it once. A block whose
  writes are under way is always indexed (or queued) before the run stops, also when a later
  block fails to sign or the caller stops reading.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from itertools import islice
from multiprocessing import get_context
from typing import Any

from archive import indice as idx
from archive.db import session_scope
from archive.errors import StorageError
from archive.indice_lotto import registra_lotto
from archive.outbox import Voce, accoda
from domain.errors import AppError
from service.archivio import Archivio, MetadatiDocumento
from service.emissione import Emesso, Emissione, Firmato
from service.settings import Settings

__all__ = ["DaEmettere", "archivia_lotto", "emetti_lotto"]

log = logging.getLogger("curit.ingest")


@dataclass(frozen=True)
class DaEmettere:
    """One PDF to sign as ``emittente`` and archive with ``metadati``; ``chiave`` is the caller's."""

    pdf: bytes
    emittente: str
    metadati: MetadatiDocumento
    chiave: Any = None


def archivia_lotto(archivio: Archivio, documenti: list[tuple[bytes, MetadatiDocumento]], *,
                   thread: ThreadPoolExecutor | None = None, ora: datetime | None = None) -> list[dict[str, Any]]:
    """Archive signed PDFs: S3 writes concurrently, index rows in one transaction; a failed S3
    write puts that document in the outbox (``stato: in_coda``). Records in input order."""
    propria = thread is None
    thread = thread or ThreadPoolExecutor(8, thread_name_prefix="s3")
    try:
        return _registra(archivio, _avvia_scritture(archivio, documenti, thread, ora))
    finally:
        if propria:
            thread.shutdown()


@dataclass
class _Scritture:
    """The S3 writes of one block, under way: each future gives a ``StoredObject`` or the ``StorageError``."""

    voci: list[Voce]
    futuri: list[Future]
    ora: datetime
    records: list[dict[str, Any]] | None = field(default=None)


def _avvia_scritture(archivio: Archivio, documenti: list[tuple[bytes, MetadatiDocumento]],
                     thread: ThreadPoolExecutor, ora: datetime | None = None) -> _Scritture:
    ora = ora or datetime.now(timezone.utc)
    voci = [archivio.prepara_voce(pdf, meta, ora=ora) for pdf, meta in documenti]
    return _Scritture(voci, [thread.submit(_scrivi_s3, archivio, v) for v in voci], ora)


def _registra(archivio: Archivio, s: _Scritture) -> list[dict[str, Any]]:
    """Wait for the block's writes; the written ones indexed in one transaction, the failed ones in
    the outbox. Records in input order."""
    if s.records is not None:
        return s.records
    voci, ora = s.voci, s.ora
    scritti = [f.result() for f in s.futuri]
    records: list[dict[str, Any] | None] = [None] * len(voci)
    scritte = [i for i, esito in enumerate(scritti) if not isinstance(esito, StorageError)]
    with session_scope(archivio.engine) as session:
        righe = registra_lotto(session, [replace(voci[i].indice, version_id=scritti[i].version_id,
                                                 conserva_fino_al=scritti[i].retain_until) for i in scritte])
        for i, doc in zip(scritte, righe):
            records[i] = {**idx.as_dict(doc), "stato": "archiviato"}
    for i, (voce, esito) in enumerate(zip(voci, scritti)):
        if isinstance(esito, StorageError):
            accoda(archivio.engine, voce, errore=f"{esito.message} ({esito.__cause__!r})", ora=ora)
            records[i] = {**voce.indice.as_json(), "stato": "in_coda", "version_id": None}
    s.records = records  # type: ignore[assignment]
    return s.records  # type: ignore[return-value]


def _scrivi_s3(archivio: Archivio, voce: Voce) -> Any:
    try:
        return archivio.store.put(voce.indice.s3_key, voce.dati, retain_until=voce.indice.conserva_fino_al,
                                  metadata=voce.metadati_s3)
    except StorageError as exc:
        return exc


def emetti_lotto(emissione: Emissione, documenti: Iterable[DaEmettere], *, processi: int = 1, blocco: int = 32,
                 concorrenza: int = 8, archivia: bool = True) -> Iterator[tuple[DaEmettere, Emesso]]:
    """Sign (in ``processi`` worker processes when > 1) and archive every document; yields
    ``(documento, Emesso)`` in input order, one block at a time. Policy or identity errors are
    raised before the block that holds the document is archived (the blocks before it are)."""
    archivia = archivia and emissione.archivio is not None
    blocchi = _blocchi(documenti, blocco)
    with ThreadPoolExecutor(concorrenza, thread_name_prefix="s3") as thread:
        if processi <= 1:
            for parte in blocchi:
                yield from _archivia(emissione, parte, [_firma(emissione, d) for d in parte], archivia, thread)
            return
        pool = _pool(emissione, processi)
        in_volo: deque[tuple[list[DaEmettere], Future]] = deque()
        in_s3: deque[tuple[list[DaEmettere], list[Firmato], _Scritture | None]] = deque()
        try:
            def avanza() -> Iterator[tuple[DaEmettere, Emesso]]:
                parte, futuro = in_volo.popleft()
                try:
                    firmati = _firmati(emissione, futuro)
                except BaseException:  # the blocks already on their way to S3 are handed back first
                    while in_s3:
                        yield from _consegna(emissione, *in_s3.popleft())
                    raise
                scritture = _avvia_scritture(emissione.archivio, [(f.pdf, f.metadati) for f in firmati], thread) \
                    if archivia else None
                in_s3.append((parte, firmati, scritture))
                if len(in_s3) > 1:  # one block's writes ahead of the block being indexed
                    yield from _consegna(emissione, *in_s3.popleft())

            for parte in blocchi:
                in_volo.append((parte, pool.submit(_firma_blocco, [replace(d, chiave=None) for d in parte])))
                if len(in_volo) > 2 * processi:
                    yield from avanza()
            while in_volo:
                yield from avanza()
            while in_s3:
                yield from _consegna(emissione, *in_s3.popleft())
        finally:
            for _, _, scritture in in_s3:  # stopped early: what went to S3 is indexed (or queued) all the same
                if scritture is not None:
                    _registra(emissione.archivio, scritture)
            pool.shutdown(wait=True, cancel_futures=True)


def _pool(emissione: Emissione, processi: int) -> ProcessPoolExecutor:
    """The signing processes: forked from a process that runs one thread (the signing stack is
    already imported: nothing to load again), spawned from one that runs more (a server)."""
    if threading.active_count() > 1:
        return ProcessPoolExecutor(processi, mp_context=get_context("spawn"), initializer=_avvia,
                                   initargs=(emissione.settings, emissione.firma))
    from service.lavoratori import pool_biforcato

    return pool_biforcato(processi, _avvia, (emissione.settings, emissione.firma))


def _blocchi(documenti: Iterable[DaEmettere], n: int) -> Iterator[list[DaEmettere]]:
    it = iter(documenti)
    while parte := list(islice(it, max(1, n))):
        yield parte


def _firma(emissione: Emissione, d: DaEmettere) -> Firmato:
    # a batch job's records are sealed while their chunk is printed (service.batch.sigilli: the print
    # file carries the same seal), never here: a seal drawn only on the archived copy would not be on the paper
    return emissione.firma_pdf(d.pdf, emittente=d.emittente, metadati=d.metadati, contrassegno=False)


def _firmati(emissione: Emissione, futuro: Future) -> list[Firmato]:
    """A block signed by a worker: its results, each own signature registered for the verdict by hash."""
    esito, valore = futuro.result()
    if esito == "errore":
        from service.lavoratori import _ricostruisci

        raise _ricostruisci(valore)
    for firmato in valore:
        if firmato.firmato:
            emissione.proprie.registra(firmato.pdf, firmato.emittente.identita)
    return valore


def _archivia(emissione: Emissione, parte: list[DaEmettere], firmati: list[Firmato], archivia: bool,
              thread: ThreadPoolExecutor) -> Iterator[tuple[DaEmettere, Emesso]]:
    scritture = _avvia_scritture(emissione.archivio, [(f.pdf, f.metadati) for f in firmati], thread) \
        if archivia else None
    yield from _consegna(emissione, parte, firmati, scritture)


def _consegna(emissione: Emissione, parte: list[DaEmettere], firmati: list[Firmato],
              scritture: _Scritture | None) -> Iterator[tuple[DaEmettere, Emesso]]:
    records: list[dict[str, Any] | None] = [None] * len(firmati)
    if scritture is not None:
        records = _registra(emissione.archivio, scritture)  # type: ignore[assignment]
        for r in records:
            log.info("emesso %s %s: %s (%s)", r.get("tipo"), r.get("codice_impianto") or "", r["id"], r["stato"])
    for d, f, r in zip(parte, firmati, records):
        yield d, Emesso(f.pdf, r, f.emittente, f.firmato)


# -- in the worker process -------------------------------------------------------------------

_emissione: Emissione | None = None


def _avvia(settings: Settings, firma: bool) -> None:
    global _emissione
    _emissione = Emissione(settings.model_copy(update={"processi_emissione": 0}), firma=firma)


def _firma_blocco(parte: list[DaEmettere]) -> tuple[str, Any]:
    from service.lavoratori import _trasportabile

    try:
        return "ok", [_firma(_emissione, d) for d in parte]  # type: ignore[arg-type]
    except AppError as exc:
        return "errore", _trasportabile(exc)
