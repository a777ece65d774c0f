"""A local job's serial part overlapped with its printing: workers started early, merge in order.

A job on one machine used to run its steps one after the other: the parent validated the input,
checked who signs, wrote the manifest, *then* forked the printing processes (each importing the
stamp engine, loading the compiled template and subsetting its fonts on its first chunk), waited
for every chunk, and *then* merged them all. With two cores the second process sat idle through
most of that, and a 2-process job was ~1.3× a 1-process one.

- :class:`Stampatori` forks the printing processes as soon as the input is read, before it is
  validated: each warms up (:func:`_scalda`: imports, the kind's compiled layout, fonts subset,
  by stamping the input's first item into nothing) while the parent validates, checks the
  signer and writes the manifest. Nothing of the warm-up reaches a chunk's bytes: each chunk
  still has its own writer and font set, as on a process that printed another chunk before.
- :class:`UnioneInOrdine` merges the single print file chunk by chunk as the chunks finish, in
  order (the same bytes as the merge after printing), so that when the last chunk is printed
  only its own pages are left to copy.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from service.batch.blocchi import percorso_blocco
from service.batch.unione import Unione
from service.settings import Settings

__all__ = ["Stampatori", "UnioneInOrdine", "campione"]


class Stampatori:
    """``processi`` forked printing processes, each warmed up on ``campione`` (the input's first
    item, validated and stamped into nothing; None: imports only) as soon as it starts."""

    def __init__(self, processi: int, tipo: str, campione: Any, settings: Settings) -> None:
        self.processi = processi
        # what this process needs anyway (a form kind: the registry), loaded once and inherited; an
        # unknown kind is refused, in Italian, by crea_lavoro
        with contextlib.suppress(Exception):
            from service.batch.tipi import tipo_lotto

            tipo_lotto(tipo)
        from service.lavoratori import pool_biforcato

        self.pool = pool_biforcato(processi, _scalda, (tipo, campione, settings))

    def chiudi(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def abbandona(self) -> None:
        """The job stopped before printing (refused input, signer): the warm-ups are not waited for."""
        for p in list((getattr(self.pool, "_processes", None) or {}).values()):
            if p.is_alive():
                p.kill()  # a warm-up has nothing to finish (its cache files are written by rename)
        self.pool.shutdown(wait=True, cancel_futures=True)  # the pool sees them gone and reaps them


def campione(dati: Any) -> Any:
    """The input cut to its first item (an etichette input keeps its header), for the warm-up."""
    if isinstance(dati, Mapping) and isinstance(dati.get("numeri"), list):
        return {**dati, "numeri": dati["numeri"][:1]}
    if isinstance(dati, Sequence) and not isinstance(dati, (str, bytes)) and len(dati):
        return [dati[0]]
    return None


def _scalda(tipo_codice: str, campione: Any, settings: Settings) -> None:
    """Initializer of a printing process: what its first chunk would load, loaded now. Best effort:
    whatever fails here is met again, and reported, by the chunk."""
    # as esegui_blocco: a template laid out here must give the bytes a chunk would have laid out
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    try:
        from service.batch.blocchi import _stampa
        from service.batch.tipi import Contesto, mappa_anomalie, tipo_lotto

        tipo = tipo_lotto(tipo_codice)
        if tipo.template is None or campione is None:  # laid out in full per record: nothing to warm
            return
        opzioni: dict[str, Any] = {"mappa_anomalie": mappa_anomalie(settings)} if tipo.codice == "esiti" else {}
        records, _ = tipo.records(campione, opzioni, 1)
        if not records:
            return
        opzioni = tipo.opzioni_lotto(list(records), opzioni, settings)
        _stampa(tipo, Contesto(settings, opzioni), enumerate(records), io.BytesIO(), {"titolo": tipo.titolo})
    except Exception:  # noqa: BLE001 - a warm-up never fails a job
        return


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
