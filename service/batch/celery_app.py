"""Celery application of the batch engine: the same job split into chunks across machines.

Broker and result backend come from settings (``CURIT_CELERY_BROKER``, default Redis at
127.0.0.1:6379; RabbitMQ works as well). Chunk tasks print ``blocchi/blocco-<i>.pdf`` and the
final task merges them exactly as the single-machine run does, so the output is byte-identical.
Where the files travel is the job's deposit (``service.batch.deposito``): with
``CURIT_S3_ENDPOINT`` set, the job files, chunk results and outputs go through the S3 work
bucket and every machine keeps its own ``CURIT_BATCH_DIR``; without it every worker must see the
job directory on a shared file system. Each chunk task records its chunk in the job's progress
(``archive.lavori.registra_blocco``) as soon as it is published, so ``curit-docs batch stato``
moves chunk by chunk. ``curit-docs worker`` starts a worker (queue ``curit-batch``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from celery import Celery, chord, signals

from service.settings import Settings, get_settings

__all__ = ["app", "CODA", "blocco", "unisci_lavoro", "avvia_distribuito", "scarica_esito", "stampa_blocco",
           "unisci_e_pubblica"]

CODA = "curit-batch"

_settings = get_settings()
app = Celery("curit_batch", broker=_settings.celery_broker, backend=_settings.celery_backend)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"], task_acks_late=True,
                worker_prefetch_multiplier=1, task_default_queue=CODA, broker_connection_retry_on_startup=True)

_engine = None


@signals.worker_ready.connect
def _avvia_coda_archivio(**_: Any) -> None:
    """The worker drains the archive outbox in the background (service/archivio_coda.py)."""
    from service.archivio_coda import avvia_nel_worker

    avvia_nel_worker(get_settings())


@signals.worker_shutdown.connect
def _ferma_coda_archivio(**_: Any) -> None:
    from service.archivio_coda import ferma_nel_worker

    ferma_nel_worker()


def _db():
    """One engine per worker process (made after the prefork pool's fork)."""
    global _engine
    if _engine is None:
        from archive.db import make_engine

        _engine = make_engine(get_settings().db_url)
    return _engine


@app.task(name="curit.batch.blocco")
def blocco(cartella: str, indice: int, lavoro_id: str | None = None, deposito: str = "cartella") -> dict[str, Any]:
    """Print one chunk on this worker (:func:`stampa_blocco`)."""
    rapporto = stampa_blocco(cartella, indice, lavoro_id or Path(cartella).name, deposito,
                             settings=get_settings(), engine=_db())
    return {"indice": rapporto["indice"], "pagine": rapporto["pagine"]}


@app.task(name="curit.batch.unisci")
def unisci_lavoro(_risultati: list[dict[str, Any]], cartella: str, lavoro_id: str,
                  deposito: str = "cartella") -> dict[str, Any]:
    """Merge the job on this worker once every chunk task has succeeded (:func:`unisci_e_pubblica`)."""
    return unisci_e_pubblica(cartella, lavoro_id, deposito, settings=get_settings(), engine=_db())


def stampa_blocco(cartella: str, indice: int, lavoro_id: str, deposito: str, *, settings: Settings,
                  engine: Any) -> dict[str, Any]:
    """Print chunk ``indice`` (idempotent: a chunk already in the deposit is not printed again),
    publish it, and record it in the job's progress; the chunk's report."""
    from service.batch.blocchi import esegui_blocco
    from service.batch.deposito import deposito_per
    from service.batch.lavoro import segna_blocco

    dep = deposito_per(settings, deposito)
    locale = dep.cartella(lavoro_id, Path(cartella))
    rapporto = dep.blocco(locale, indice)
    if rapporto is None:
        rapporto = esegui_blocco(locale, indice, settings)
        dep.pubblica_blocco(locale, rapporto)
    segna_blocco(engine, lavoro_id, rapporto)
    return rapporto


def unisci_e_pubblica(cartella: str, lavoro_id: str, deposito: str, *, settings: Settings,
                      engine: Any) -> dict[str, Any]:
    """Gather the chunks, merge, sign and report (``lavoro.concludi``), publish the outputs."""
    from service.batch.blocchi import leggi_lavoro
    from service.batch.deposito import deposito_per
    from service.batch.lavoro import blocchi_totali, concludi, uscite

    dep = deposito_per(settings, deposito)
    locale = dep.cartella(lavoro_id, Path(cartella))
    dep.raccogli(locale, blocchi_totali(leggi_lavoro(locale)))
    esito = concludi(locale, settings=settings, engine=engine)
    dep.pubblica_uscite(locale, uscite(locale))
    return esito


def avvia_distribuito(lavoro_id: str, cartella: Path, blocchi: int, *, coda: str = CODA,
                      settings: Settings | None = None) -> Any:
    """Publish the job to its deposit, then queue every chunk plus the final merge; returns the
    merge's AsyncResult (its value: the job's summary, outputs not yet fetched: see
    :func:`scarica_esito`)."""
    from archive.db import make_engine
    from archive.lavori import aggiorna_lavoro
    from service.batch.deposito import deposito_per

    settings = settings or get_settings()
    dep = deposito_per(settings)
    dep.pubblica_lavoro(cartella)
    engine = make_engine(settings.db_url)
    try:
        aggiorna_lavoro(engine, lavoro_id, stato="in corso", messaggio=None, avviato_il=datetime.now(timezone.utc))
    finally:
        engine.dispose()
    firme = [blocco.si(str(cartella), i, lavoro_id, dep.nome).set(queue=coda) for i in range(blocchi)]
    return chord(firme)(unisci_lavoro.s(str(cartella), lavoro_id, dep.nome).set(queue=coda))


def scarica_esito(cartella: Path, esito: dict[str, Any], *, settings: Settings | None = None) -> dict[str, Any]:
    """Client side, after the merge: fetch the outputs into ``cartella`` (S3 deposit; a shared
    directory already has them) and return ``esito``."""
    from service.batch.deposito import deposito_per
    from service.batch.lavoro import uscite

    dep = deposito_per(settings or get_settings())
    if dep.nome != "cartella":
        dep.scarica_uscite(cartella, ["rapporto.json"])
        dep.scarica_uscite(cartella, uscite(cartella))
    return esito


# the renewal of archive timestamps (service/marche.py): task ``curit.archivio.rinnova_marche``, run every
# CURIT_RINNOVO_MARCHE_ORE hours by ``celery -A service.batch.celery_app beat`` next to the workers
from service.marche import registra_pianificazione  # noqa: E402 - after the app it registers on

registra_pianificazione(app, _settings)
