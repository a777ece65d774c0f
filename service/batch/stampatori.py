"""A local job's serial part overlapped with its printing: workers started early, merge in order.

A job on one machine used to run its steps one after the other: the parent validated the input,
checked who signs, wrote the manifest, *then* forked the printing processes (each importing the
stamp engine, loading the compiled template and subsetting its fonts on its first chunk), waited
for every chunk, and *then* merged them all. With two cores the second process sat idle through
most of that, and a 2-process job was ~1.3× a 1-process one.

- :class:`Stampatori` warms this process up as soon as the input is read (:func:`_scalda`:
  imports, the kind's compiled layout, fonts, form backgrounds, by stamping the input's first
  item into nothing), then forks the printing processes, which inherit all of it and the input;
  they validate it, a slice each (:meth:`Stampatori.valida`, naming each record's issuer while
  its model is at hand), while the parent waits; the parent checks the signer and writes the
  manifest, and they start printing the chunks (:meth:`Stampatori.stampa`) while the parent loads
  the jobs table and registers the job (a job that cannot be registered is removed, printers and
  folder). Warming up once here, not in each printer, is one warm-up of CPU instead of two on
  a two-core machine. Nothing of the warm-up reaches a chunk's bytes: each chunk still has its
  own writer and font set, as on a process that printed another chunk before.
- :class:`UnioneInOrdine` merges the single print file chunk by chunk as the chunks finish, in
  order (the same bytes as the merge after printing), so that when the last chunk is printed
  only its own pages are left to copy.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from service.batch.blocchi import percorso_blocco
from service.batch.unione import Unione
from service.settings import Settings

__all__ = ["Stampatori", "UnioneInOrdine", "campione"]


_INGRESSO: Any = None
"""In a printing process: the job's input, inherited with the fork (None in the parent)."""


class Stampatori:
    """``processi`` printing processes forked once this one is warmed up on the first item of
    ``dati`` (the job's input: validated and stamped into nothing); they inherit ``dati`` and
    validate it when asked (:meth:`valida`)."""

    def __init__(self, processi: int, tipo: str, dati: Any, settings: Settings) -> None:
        global _INGRESSO
        self.processi, self.settings = processi, settings
        # what this process needs anyway (a form kind: the registry), loaded once and inherited; an
        # unknown kind is refused, in Italian, by crea_lavoro
        kind = None
        with contextlib.suppress(Exception):
            from service.batch.tipi import tipo_lotto

            kind = tipo_lotto(tipo)
        from service.lavoratori import pool_biforcato

        if kind is not None:
            _scalda(kind, campione(dati), settings)
        _INGRESSO = dati
        try:
            self.pool = pool_biforcato(processi)
        finally:
            _INGRESSO = None  # this process drops the input once the manifest is written
        self._ingressi: dict[int, str | None] = {id(dati): None}
        """id() of the lists the printers hold → its key in the input (None: the input itself); the
        input is alive until :meth:`valida`, which empties this."""
        if isinstance(dati, Mapping):  # an etichette input: {"ente_id": …, "numeri": […]}
            self._ingressi.update({id(v): k for k, v in dati.items() if isinstance(v, list)})
        self.blocchi: dict[int, Future[Any]] = {}
        """Chunks being printed already (:meth:`stampa`), by index."""
        self._anticipo: tuple[str, int, dict[str, Any], list[Future[Any]]] | None = None
        """The validation started at once, with the job's default options (kind, list, options,
        slices): :meth:`valida` takes it when asked for the same."""
        if kind is not None:
            # an input of another shape, or options that do not load, are refused in Italian by crea_lavoro
            with contextlib.suppress(Exception):
                lista, opzioni = kind.da_validare(dati, kind.opzioni_iniziali({}, settings))
                self._anticipo = (kind.codice, id(lista), opzioni, self._sottometti(kind.codice, lista, opzioni))

    def stampa(self, cartella: Path, blocchi: int) -> None:
        """Start printing the ``blocchi`` chunks of the job in ``cartella`` now that its folder is
        written, before the job is registered: ``esegui_lavoro`` takes them (:attr:`blocchi`)."""
        from service.batch.blocchi import esegui_blocco

        self.blocchi.update({i: self.pool.submit(esegui_blocco, cartella, i, self.settings) for i in range(blocchi)})

    def _sottometti(self, codice: str, lista: Sequence[Any], opzioni: dict[str, Any]) -> list[Future[Any]]:
        fette = min(len(lista), 2 * self.processi)  # two each: the slices of a slower printer go to the other
        passo = -(-len(lista) // max(fette, 1))
        return [self.pool.submit(_valida, codice, self._ingressi[id(lista)], inizio, passo, opzioni, self.settings)
                for inizio in range(0, len(lista), passo)]

    def valida(self, tipo: Any, lista: Sequence[Any], opzioni: Mapping[str, Any]) -> list[Any] | None:
        """``lista`` (the input, or its list of items) validated by the printers, a slice each
        (``service.batch.base.Validatori``): the validation started with the printers when it is
        the same, else started now; None when ``lista`` is not what they inherited."""
        from concurrent.futures.process import BrokenProcessPool

        anticipo, self._anticipo = self._anticipo, None
        try:
            if anticipo is not None and anticipo[:3] == (tipo.codice, id(lista), dict(opzioni)):
                futuri = anticipo[3]
            elif id(lista) in self._ingressi:
                futuri = self._sottometti(tipo.codice, lista, dict(opzioni))
            else:
                return None
            return [f.result() for f in futuri]
        except BrokenProcessPool:  # a printer is gone: this process validates (the job fails at print)
            return None
        finally:
            self._ingressi = {}

    def chiudi(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def abbandona(self) -> None:
        """The job stopped before it was registered (refused input, signer, database): the printers
        are not waited for (what they validated or printed goes with the job's folder)."""
        for p in list((getattr(self.pool, "_processes", None) or {}).values()):
            if p.is_alive():
                p.kill()  # nothing to finish: cache files and chunks are written by rename
        self.pool.shutdown(wait=True, cancel_futures=True)  # the pool sees them gone and reaps them


def campione(dati: Any) -> Any:
    """The input cut to its first item (an etichette input keeps its header), for the warm-up."""
    if isinstance(dati, Mapping) and isinstance(dati.get("numeri"), list):
        return {**dati, "numeri": dati["numeri"][:1]}
    if isinstance(dati, Sequence) and not isinstance(dati, (str, bytes)) and len(dati):
        return [dati[0]]
    return None


def _scalda(tipo: Any, campione: Any, settings: Settings) -> None:
    """What a printing process's first chunk of kind ``tipo`` would load, loaded in this process
    before the printers are forked. Best effort: whatever fails here is met again, and reported,
    by the chunk."""
    # as esegui_blocco: a template laid out here must give the bytes a chunk would have laid out
    prima = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        from service.batch.blocchi import _stampa
        from service.batch.base import Contesto

        if tipo.template is None or campione is None:  # laid out in full per record: nothing to warm
            return
        opzioni = tipo.opzioni_iniziali({}, settings)
        records, _ = tipo.records(campione, opzioni, 1)
        if not records:
            return
        opzioni = tipo.opzioni_lotto(list(records), opzioni, settings)
        _stampa(tipo, Contesto(settings, opzioni), enumerate(records), io.BytesIO(), {"titolo": tipo.titolo})
    except Exception:  # noqa: BLE001 - a warm-up never fails a job
        return
    finally:  # the variable is the printers' (esegui_blocco sets it), not this process's
        if prima is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = prima


def _valida(codice: str, chiave: str | None, inizio: int, passo: int, opzioni: dict[str, Any],
            settings: Settings) -> Any:
    """In a printing process: a slice of the inherited input validated (``valida_fetta``)."""
    from service.batch.base import valida_fetta
    from service.batch.tipi import tipo_lotto

    dati = _INGRESSO if chiave is None else _INGRESSO[chiave]
    return valida_fetta(tipo_lotto(codice), dati, inizio, passo, opzioni, settings)


class UnioneInOrdine:
    """The job's one print file (``stampa.pdf``), merged chunk by chunk in chunk order as the chunks
    finish; :meth:`chiudi` writes the trailer once the last one is in and renames it into place."""

    NOME = "stampa.pdf"

    def __init__(self, cartella: Path, lavoro: Mapping[str, Any], n_blocchi: int) -> None:
        self.cartella, self.lavoro, self.n_blocchi = cartella, lavoro, n_blocchi
        self._tmp = cartella / f".{self.NOME}.{os.getpid()}.tmp"
        self._file = self._tmp.open("wb")
        self._unione = Unione(self._file, [percorso_blocco(cartella, i) for i in range(n_blocchi)],
                              titolo=lavoro["titolo"])
        self.rapporti: dict[int, dict[str, Any]] = {}
        self._prossimo = 0

    def fatto(self, rapporto: Mapping[str, Any]) -> None:
        """Chunk ``rapporto["indice"]`` is printed: copy every chunk now next in order."""
        self.rapporti[rapporto["indice"]] = dict(rapporto)
        while self._prossimo in self.rapporti:
            k = self._prossimo
            self._unione.aggiungi((k, p) for p in range(self.rapporti[k]["pagine"]))
            self._prossimo += 1

    @property
    def completa(self) -> bool:
        return self._prossimo == self.n_blocchi

    def chiudi(self) -> tuple[list[dict[str, Any]], dict[tuple[int, int], tuple[str, int]], int]:
        """Finish the file: the chunk reports in order, (chunk, page) → (file, page number), pages."""
        rapporti = [self.rapporti[i] for i in range(self.n_blocchi)]
        identita = "\0".join([self.lavoro["manifest_sha256"], self.NOME, *(r["pdf_sha256"] for r in rapporti)])
        pagine = self._unione.chiudi(identita.encode())
        self._file.close()
        for vecchio in self.cartella.glob("stampa*.pdf"):
            vecchio.unlink()
        os.replace(self._tmp, self.cartella / self.NOME)
        file_di = {}
        numero = 0
        for k, r in enumerate(rapporti):
            for p in range(r["pagine"]):
                numero += 1
                file_di[(k, p)] = (self.NOME, numero)
        return rapporti, file_di, pagine

    def abbandona(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)
