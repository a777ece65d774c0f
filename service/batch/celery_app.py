"""Celery application of the batch engine: the same job split into chunks across machines.

Broker and result backend come from settings (``CURIT_CELERY_BROKER``, default Redis at
127.0.0.1:6379; RabbitMQ works as well). Every worker must see the job directory
(``CURIT_BATCH_DIR`` on a shared file system): chunk tasks write ``blocchi/blocco-<i>.pdf``
atomically there and the final task merges them exactly as the single-machine run does, so the
output is byte-identical. ``curit-docs worker`` starts a worker (queue ``curit-batch``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery, chord

from service.settings import get_settings

__all__ = ["app", "CODA", "blocco", "unisci_lavoro", "avvia_distribuito"]

CODA = "curit-batch"

_settings = get_settings()
app = Celery("curit_batch", broker=_settings.celery_broker, backend=_settings.celery_backend)
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"], task_acks_late=True,
                worker_prefetch_multiplier=1, task_default_queue=CODA, broker_connection_retry_on_startup=True)


@app.task(name="curit.batch.blocco")
def blocco(cartella: str, indice: int) -> dict[str, Any]:
    """Print one chunk (idempotent: a chunk already done is not printed again)."""
    from service.batch.blocchi import esegui_blocco

    rapporto = esegui_blocco(Path(cartella), indice, get_settings())
    return {"indice": rapporto["indice"], "pagine": rapporto["pagine"]}


@app.task(name="curit.batch.unisci")
def unisci_lavoro(_risultati: list[dict[str, Any]], cartella: str, lavoro_id: str) -> dict[str, Any]:
    """Merge the chunks and mark the job done (runs once every chunk task has succeeded)."""
    from archive.db import make_engine
    from archive.lavori import aggiorna_lavoro
    from service.batch.lavoro import unisci

    esito = unisci(Path(cartella))
    engine = make_engine(get_settings().db_url)
    aggiorna_lavoro(engine, lavoro_id, stato="completato", record_fatti=esito["prodotti"] + esito["falliti"],
                    record_falliti=esito["falliti"], impaginazioni_complete=esito["impaginazioni_complete"],
                    pagine=esito["pagine"], eta_secondi=0.0)
    engine.dispose()
    return esito


def avvia_distribuito(lavoro_id: str, cartella: Path, blocchi: int, *, coda: str = CODA) -> Any:
    """Queue every chunk of the job plus the final merge; returns the merge's AsyncResult."""
    firme = [blocco.si(str(cartella), i).set(queue=coda) for i in range(blocchi)]
    return chord(firme)(unisci_lavoro.s(str(cartella), lavoro_id).set(queue=coda))
