"""Worker processes for the server's CPU work: validate, render and sign in a process pool.

``curit-docs serve`` runs one uvicorn process (one SQLite writer, one embedded SeaweedFS, one
archive) and hands the CPU part of every issue (:meth:`service.emissione.Emissione.prepara`:
validation, render, PAdES signature, index metadata) to ``Settings.processi_emissione`` worker
processes, so two requests render on two cores instead of sharing one GIL. Archiving (S3 + index)
stays in the server process; the signature a worker made is checked there by hash
(``service.firma.FirmeProprie``), not verified a second time.

Workers are started with ``spawn`` (the server has threads; ``fork`` would copy their locks),
load the signing identities once each and warm the compiled templates at start, in a background
thread (a request arriving meanwhile compiles only its own type).
"""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

from domain.errors import AppError
from renderers.errors import RenderError
from service.settings import Settings

__all__ = ["LavoratoriEmissione", "lavoratori_per", "chiudi_tutti", "processi_predefiniti", "pool_biforcato"]

log = logging.getLogger("curit.lavoratori")

_pool: dict[int, LavoratoriEmissione] = {}
_lock = threading.Lock()


def processi_predefiniti() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def pool_biforcato(processi: int, initializer: Any = None, initargs: tuple[Any, ...] = ()) -> ProcessPoolExecutor:
    """``processi`` processes forked from this one now (it must run one thread: a fork copies no other
    thread's locks), so they inherit what it has imported instead of loading it again; the objects
    are frozen for the fork, so the children share them instead of copying them at their first GC."""
    gc.freeze()
    try:
        pool = ProcessPoolExecutor(processi, mp_context=get_context("fork"), initializer=initializer,
                                   initargs=initargs)
        pool.submit(int)  # the processes are forked on the first submission: now
    finally:
        gc.unfreeze()
    return pool


class LavoratoriEmissione:
    """A pool of ``processi`` worker processes, each with its own warm ``Emissione`` (no archive)."""

    def __init__(self, settings: Settings, processi: int) -> None:
        self.settings = settings
        self.processi = max(1, processi)
        contesto = get_context("spawn")
        self._barriera = contesto.Barrier(self.processi)
        self._executor = ProcessPoolExecutor(
            self.processi, mp_context=contesto, initializer=_avvia, initargs=(settings, self._barriera)
        )

    def avvia(self, attesa_s: float = 600.0, *, attendi: bool = True) -> list[int]:
        """Start every worker now (each begins compiling the templates in the background); their pids.
        ``attendi=False``: return at once."""
        futures = [self._executor.submit(_pronto, attesa_s) for _ in range(self.processi)]
        return sorted({f.result() for f in futures}) if attendi else []

    def prepara(self, codice_tipo: str, dati: Any, *, emittente: str | None, modo: str | None,
                copie: list[str] | None, firma: bool, sigilla: bool = True) -> Any:
        """:meth:`Emissione.prepara` in a worker; its errors are raised here as they are."""
        try:
            future: Future = self._executor.submit(_prepara, codice_tipo, dati, emittente, modo, copie, firma,
                                                  sigilla)
            esito, valore = future.result()
        except BrokenProcessPool as exc:
            raise RenderError("Un processo di elaborazione si è interrotto: riprovare.") from exc
        if esito == "errore":
            raise _ricostruisci(valore)
        return valore

    def chiudi(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def lavoratori_per(settings: Settings) -> LavoratoriEmissione:
    """The pool of these settings (one per process and configuration, started on first use)."""
    chiave = id(settings)
    with _lock:
        pool = _pool.get(chiave)
        if pool is None:
            pool = _pool[chiave] = LavoratoriEmissione(settings, settings.processi_emissione)
        return pool


def chiudi_tutti() -> None:
    with _lock:
        pools = list(_pool.values())
        _pool.clear()
    for pool in pools:
        pool.chiudi()


# -- in the worker process -------------------------------------------------------------------

_emissioni: dict[bool, Any] = {}
_settings: Settings | None = None
_barriera: Any = None


def _avvia(settings: Settings, barriera: Any) -> None:
    global _settings, _barriera
    _barriera = barriera
    _settings = settings.model_copy(update={"processi_emissione": 0})
    # Compiled templates are warmed in a background thread: a request that arrives meanwhile is
    # served at once (its own type compiled on first use), not queued behind every layout.
    threading.Thread(target=_riscalda, args=(_settings,), name="riscaldamento", daemon=True).start()
    threading.Thread(target=_segui_il_server, args=(os.getppid(),), name="server", daemon=True).start()


def _segui_il_server(server: int) -> None:
    """A worker whose server is gone (killed, crashed) exits instead of living on as an orphan that
    keeps compiling templates for nobody."""
    while os.getppid() == server:
        time.sleep(1.0)
    os._exit(0)


def _riscalda(settings: Settings) -> None:
    try:  # compiled templates warm in memory (the engine's own warm-up, when it offers one)
        from service import motore  # type: ignore[attr-defined]

        riscalda = getattr(motore, "riscalda", None)
        if callable(riscalda):
            # one process compiles into a cache folder at a time (this server's other workers, another
            # server or CLI sharing the folder): the next ones find the layouts there on disk
            settings.stampa_cache_dir.mkdir(parents=True, exist_ok=True)
            with open(settings.stampa_cache_dir / ".riscaldamento.lock", "a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                riscalda(settings)
    except ImportError:
        pass
    except Exception:  # a template that fails to compile fails its own requests, not the server
        log.exception("Riscaldamento dei modelli non riuscito")


def _pronto(attesa_s: float) -> int:
    """Returns once every worker runs one of these at the same time: each has started."""
    _barriera.wait(attesa_s)
    return os.getpid()


def _prepara(codice_tipo: str, dati: Any, emittente: str | None, modo: str | None, copie: list[str] | None,
             firma: bool, sigilla: bool = True) -> tuple[str, Any]:
    from service.emissione import Emissione

    emissione = _emissioni.get(firma)
    if emissione is None:
        emissione = _emissioni[firma] = Emissione(_settings, firma=firma)
    try:
        return "ok", emissione.prepara(codice_tipo, dati, emittente=emittente, modo=modo, copie=copie, sigilla=sigilla)
    except AppError as exc:
        return "errore", _trasportabile(exc)


def _trasportabile(exc: AppError) -> tuple:
    """The error as plain values that cross the process boundary: type, message, field path,
    sub-errors (a ``ValidationFailed`` lists each violation)."""
    sotto = [_trasportabile(e) for e in getattr(exc, "errors", None) or ()]
    return type(exc), exc.message, exc.path, sotto


def _ricostruisci(valori: tuple) -> AppError:
    tipo, messaggio, path, sotto = valori
    errore = tipo.__new__(tipo)
    Exception.__init__(errore, messaggio)
    errore.message, errore.path = messaggio, tuple(path)
    if sotto or hasattr(tipo, "as_list"):
        errore.errors = [_ricostruisci(v) for v in sotto]
    return errore
