"""The outbox drains itself: a background thread for ``serve`` and the Celery worker, and
``archivia`` that queues when S3 (or its bucket check) is down.

:class:`Svuotatore` runs :meth:`service.archivio.Archivio.svuota_coda` every
``CURIT_ARCHIVIO_CODA_INTERVALLO_S`` seconds; each entry keeps its own back-off
(``prossimo_tentativo``), so the thread only wakes up and asks what is due. A failure of the
round itself (the database down) is logged and the next round waits twice as long (up to
``CURIT_ARCHIVIO_CODA_ATTESA_MAX_S``). :meth:`Svuotatore.ferma` stops it between two rounds and
waits for it: no thread outlives the archive it drains.

:func:`archivia_o_accoda` opens the archive for one document; when S3 cannot be reached or its
bucket check fails, the document still goes to the durable outbox (``stato: in_coda``) and
the background drain (or ``curit-docs coda``) archives it later.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from service.settings import Settings

__all__ = ["Svuotatore", "SvuotatoreWorker", "avvia_svuotatore", "avvia_nel_worker", "ferma_nel_worker",
           "archivia_o_accoda"]

log = logging.getLogger("curit.archivio.coda")


class Svuotatore:
    """Background drain of one archive's outbox (a daemon thread, stopped by :meth:`ferma`)."""

    def __init__(self, archivio: Any, *, intervallo: float, massimo: float = 600.0, nome: str = "curit-coda") -> None:
        self.archivio = archivio
        self.intervallo = max(float(intervallo), 0.05)
        self.massimo = max(float(massimo), self.intervallo)
        self.giri = 0
        """Rounds completed (for tests and the log)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._ciclo, name=nome, daemon=True)

    def avvia(self) -> "Svuotatore":
        self._thread.start()
        log.info("Svuotamento automatico della coda di archiviazione ogni %.1f s", self.intervallo)
        return self

    @property
    def attivo(self) -> bool:
        return self._thread.is_alive()

    def ferma(self, timeout: float = 30.0) -> None:
        """Stop after the current round (if any) and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _ciclo(self) -> None:
        attesa = min(1.0, self.intervallo)  # a first look soon after start-up
        while not self._stop.wait(attesa):
            try:
                self.archivio.svuota_coda()
                attesa = self.intervallo
            except Exception:  # noqa: BLE001 - the thread must survive a bad round (database down…)
                attesa = min(max(attesa, self.intervallo) * 2, self.massimo)
                log.exception("Svuotamento della coda di archiviazione non riuscito; nuovo tentativo tra %.0f s",
                              attesa)
            self.giri += 1


def avvia_svuotatore(archivio: Any, settings: Settings, *, nome: str = "curit-coda") -> Svuotatore | None:
    """Start the background drain unless ``CURIT_ARCHIVIO_CODA_INTERVALLO_S`` is 0."""
    if settings.archivio_coda_intervallo_s <= 0:
        return None
    return Svuotatore(archivio, intervallo=settings.archivio_coda_intervallo_s,
                      massimo=settings.archivio_coda_attesa_max_s, nome=nome).avvia()


def archivia_o_accoda(settings: Settings, pdf: bytes, meta: Any, *, ora: datetime | None = None) -> dict[str, Any]:
    """Archive one document now, or queue it when S3 (or the bucket check) is unavailable.

    ``stato``: ``archiviato``, ``in_coda`` (with ``motivo``) or ``scartato`` (S3 refused the
    document itself). A database failure is raised: without the index nothing can be kept."""
    from service.archivio_apertura import apri_archivio

    with apri_archivio(settings, anche_senza_s3=True) as archivio:
        return archivio.archivia(pdf, meta, ora=ora)


class SvuotatoreWorker:
    """The drain of a Celery worker: opens the configured archive in its own thread (retrying
    with back-off while S3 or the database is down), then drains like :class:`Svuotatore` until
    :meth:`ferma`. Only with an S3 endpoint configured: a worker never starts an embedded S3."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._esegui, name="curit-coda-worker", daemon=True)

    def avvia(self) -> "SvuotatoreWorker":
        self._thread.start()
        return self

    @property
    def attivo(self) -> bool:
        return self._thread.is_alive()

    def ferma(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _esegui(self) -> None:
        from service.archivio_apertura import apri_archivio

        attesa = max(self.settings.archivio_coda_intervallo_s, 0.05)
        while not self._stop.is_set():
            try:
                with apri_archivio(self.settings) as archivio:
                    giro = Svuotatore(archivio, intervallo=self.settings.archivio_coda_intervallo_s,
                                      massimo=self.settings.archivio_coda_attesa_max_s)
                    giro._stop = self._stop  # one stop for both: ferma() ends the rounds
                    giro._ciclo()
                return
            except Exception:  # noqa: BLE001 - S3 or database down at start-up: retry later
                log.exception("Archivio non disponibile per lo svuotamento della coda; nuovo tentativo tra %.0f s",
                              attesa)
                if self._stop.wait(attesa):
                    return
                attesa = min(attesa * 2, self.settings.archivio_coda_attesa_max_s)


_nel_worker: SvuotatoreWorker | None = None


def avvia_nel_worker(settings: Settings) -> SvuotatoreWorker | None:
    """Celery ``worker_ready``: start the worker's drain (idempotent; none without an S3 endpoint
    or with ``CURIT_ARCHIVIO_CODA_INTERVALLO_S=0``)."""
    global _nel_worker
    if _nel_worker is not None and _nel_worker.attivo:
        return _nel_worker
    if not settings.s3_endpoint or settings.archivio_coda_intervallo_s <= 0:
        return None
    _nel_worker = SvuotatoreWorker(settings).avvia()
    return _nel_worker


def ferma_nel_worker() -> None:
    """Celery ``worker_shutdown``: stop the drain and wait for it."""
    global _nel_worker
    if _nel_worker is not None:
        _nel_worker.ferma()
        _nel_worker = None
