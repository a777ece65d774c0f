"""Where the files of a distributed job travel between machines: a shared directory, or S3.

The Celery tasks of ``service.batch.celery_app`` see a job through one of two deposits:

- :class:`CartellaCondivisa` (no ``CURIT_S3_ENDPOINT``): every worker mounts the job directory
  (``CURIT_BATCH_DIR`` on a shared file system); chunks are written there atomically, nothing
  is copied.
- :class:`DepositoS3` (``CURIT_S3_ENDPOINT`` set): each machine works in its own
  ``CURIT_BATCH_DIR/<id>/``; the job files, the chunk results, the per-record PDFs and the
  outputs travel as plain objects through :class:`archive.area_lavori.AreaLavori` (bucket
  ``CURIT_BATCH_S3_BUCKET``, keys ``lavori/<id>/lavoro.json``, ``…/blocchi/blocco-00000.pdf``,
  ``…/stampa.pdf``): intermediate results, not records, so no Object Lock and no retention.

A chunk in S3 is published PDF (and its per-record PDFs) first and report last, the report
carrying the PDF's SHA-256 (also in the object's metadata): a chunk counts as done only when
its report is there and names the PDF that is there, exactly as in a directory. The merge
downloads each chunk, checks it like a local one (``blocchi.blocco_fatto``) and merges with
the same code as the single-machine run, so the output bytes are the same.
"""

from __future__ import annotations

import json
from abc import ABC
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from archive.errors import StorageError
from service.batch.blocchi import blocco_fatto, leggi_lavoro, percorso_blocco, scrivi_atomico
from service.settings import Settings

__all__ = ["Deposito", "CartellaCondivisa", "DepositoS3", "deposito_per", "FILE_LAVORO"]

FILE_LAVORO = ("manifest.jsonl", "scarti.json", "lavoro.json")
"""What a worker needs to print any chunk (``lavoro.json`` last: its presence means complete)."""


class Deposito(ABC):
    """How the client, the chunk tasks and the merge task of one job exchange files."""

    nome: str

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def pubblica_lavoro(self, cartella: Path) -> None:
        """Client, before queueing: make the job's files reachable by the workers."""

    def cartella(self, lavoro_id: str, condivisa: Path) -> Path:
        """Worker: the local directory of the job, holding at least its ``FILE_LAVORO``."""
        return condivisa

    def blocco(self, cartella: Path, indice: int) -> dict[str, Any] | None:
        """Worker: the report of chunk ``indice`` when the deposit already holds it complete."""
        return None

    def pubblica_blocco(self, cartella: Path, rapporto: Mapping[str, Any]) -> None:
        """Worker: publish a chunk printed in ``cartella`` (PDFs first, report last)."""

    def raccogli(self, cartella: Path, blocchi: int) -> None:
        """Merge task: bring every chunk (and its per-record PDFs) into ``cartella``."""

    def pubblica_uscite(self, cartella: Path, nomi: Iterable[str]) -> None:
        """Merge task: publish the outputs (print files, signed copies, report, documents)."""

    def scarica_uscite(self, cartella: Path, nomi: Iterable[str]) -> None:
        """Client, once the merge is done: fetch the outputs into its own job directory."""


class CartellaCondivisa(Deposito):
    """All machines share the job directory: nothing to copy."""

    nome = "cartella"


class DepositoS3(Deposito):
    """Job files, chunks and outputs as plain objects under ``lavori/<id>/`` of the work bucket."""

    nome = "s3"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        from archive.area_lavori import AreaLavori
        from service.archivio_apertura import s3_config

        if not settings.s3_endpoint:
            raise StorageError("Lavoro distribuito via S3: configurare CURIT_S3_ENDPOINT su questa macchina.")
        with s3_config(settings) as config:  # a configured endpoint: nothing is started
            self.area = AreaLavori(replace(config, bucket=settings.batch_s3_bucket))

    def pubblica_lavoro(self, cartella: Path) -> None:
        self.area.prepara()
        for nome in FILE_LAVORO:
            self.area.metti(cartella.name, nome, (cartella / nome).read_bytes())

    def cartella(self, lavoro_id: str, condivisa: Path) -> Path:
        locale = self.settings.batch_dir / lavoro_id
        try:
            lavoro = leggi_lavoro(locale)
            if _sha(locale / "manifest.jsonl") == lavoro["manifest_sha256"]:
                return locale
        except (OSError, ValueError, KeyError):
            pass
        locale.mkdir(parents=True, exist_ok=True)
        for nome in FILE_LAVORO:
            scrivi_atomico(locale / nome, self._prendi(lavoro_id, nome))
        if _sha(locale / "manifest.jsonl") != leggi_lavoro(locale)["manifest_sha256"]:
            raise StorageError(f"Il manifest del lavoro {lavoro_id} nell'area S3 non corrisponde al lavoro.")
        return locale

    def _prendi(self, lavoro_id: str, nome: str) -> bytes:
        dati = self.area.prendi(lavoro_id, nome)
        if dati is None:
            raise StorageError(f"Il file {nome} del lavoro {lavoro_id} manca nell'area di lavoro S3.")
        return dati

    def _nome_blocco(self, indice: int) -> str:
        return f"blocchi/blocco-{indice:05d}"

    def blocco(self, cartella: Path, indice: int) -> dict[str, Any] | None:
        dati = self.area.prendi(cartella.name, self._nome_blocco(indice) + ".json")
        if dati is None:
            return None
        try:
            rapporto = json.loads(dati)
            if rapporto["manifest_sha256"] != leggi_lavoro(cartella)["manifest_sha256"]:
                return None
        except (ValueError, KeyError):
            return None
        if self.area.sha256(cartella.name, self._nome_blocco(indice) + ".pdf") != rapporto["pdf_sha256"]:
            return None
        return rapporto

    def pubblica_blocco(self, cartella: Path, rapporto: Mapping[str, Any]) -> None:
        lavoro_id, nome = cartella.name, self._nome_blocco(rapporto["indice"])
        for voce in rapporto["record"]:
            if voce.get("documento"):
                doc = f"documenti/{voce['documento']}"
                self.area.metti(lavoro_id, doc, (cartella / doc).read_bytes())
        pdf = percorso_blocco(cartella, rapporto["indice"])
        self.area.metti(lavoro_id, nome + ".pdf", pdf.read_bytes())
        self.area.metti(lavoro_id, nome + ".json", pdf.with_suffix(".json").read_bytes())

    def raccogli(self, cartella: Path, blocchi: int) -> None:
        sha = leggi_lavoro(cartella)["manifest_sha256"]
        for i in range(blocchi):
            rapporto = blocco_fatto(cartella, i, sha)
            if rapporto is None:
                pdf = percorso_blocco(cartella, i)
                pdf.parent.mkdir(parents=True, exist_ok=True)
                scrivi_atomico(pdf, self._prendi(cartella.name, self._nome_blocco(i) + ".pdf"))
                scrivi_atomico(pdf.with_suffix(".json"), self._prendi(cartella.name, self._nome_blocco(i) + ".json"))
                rapporto = blocco_fatto(cartella, i, sha)
                if rapporto is None:
                    raise StorageError(f"Il blocco {i} del lavoro {cartella.name} nell'area S3 è incompleto.")
            for voce in rapporto["record"]:
                doc = f"documenti/{voce['documento']}" if voce.get("documento") else None
                if doc and not (cartella / doc).exists():
                    (cartella / "documenti").mkdir(exist_ok=True)
                    scrivi_atomico(cartella / doc, self._prendi(cartella.name, doc))

    def pubblica_uscite(self, cartella: Path, nomi: Iterable[str]) -> None:
        for nome in nomi:
            self.area.metti(cartella.name, nome, (cartella / nome).read_bytes())

    def scarica_uscite(self, cartella: Path, nomi: Iterable[str]) -> None:
        for nome in nomi:
            locale = cartella / nome
            if locale.exists() and _sha(locale) == self.area.sha256(cartella.name, nome):
                continue
            locale.parent.mkdir(parents=True, exist_ok=True)
            scrivi_atomico(locale, self._prendi(cartella.name, nome))


def _sha(percorso: Path) -> str:
    import hashlib

    return hashlib.sha256(percorso.read_bytes()).hexdigest()


DEPOSITI: dict[str, type[Deposito]] = {d.nome: d for d in (CartellaCondivisa, DepositoS3)}


def deposito_per(settings: Settings, nome: str | None = None) -> Deposito:
    """The deposit named by a task (``cartella``/``s3``), or the one these settings choose:
    S3 when an endpoint is configured, else the shared directory."""
    nome = nome or ("s3" if settings.s3_endpoint else "cartella")
    try:
        return DEPOSITI[nome](settings)
    except KeyError:
        raise StorageError(f"Deposito dei lavori sconosciuto: {nome}.") from None
