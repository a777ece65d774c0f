"""Batch jobs: input → manifest → chunks (process pool or Celery) → merged print PDF + report.

A job lives in ``<batch_dir>/<id>/``::

    lavoro.json        kind, options, manifest hash, chunk size, totals, signing and, for a job whose
                       records are archived, the contrassegno's time, id seed and key fingerprints (written once)
    manifest.jsonl     one validated record per line (canonical JSON); its SHA-256 names the content
    scarti.json        input items refused before printing, with line/position and reason
    blocchi/           blocco-00000.pdf + .json … (see ``service.batch.blocchi``)
    documenti/         one PDF per record (``--per-record``, letters and forms; sealed when archived,
                       ``service.batch.sigilli``) and its signed twin
    stampa.pdf         the print-ready PDF (or stampa-001.pdf…, stampa-<cap>.pdf… when split)
    stampa.firmato.pdf the same, signed once by the job's issuer (``service.batch.firme``)
    rapporto.json/csv  what was produced (file and pages) and what failed, with reasons

Chunks have a fixed size stored in the job, so the same manifest always gives the same chunks
whoever prints them; the merge (``service.batch.unione``) streams the chunks into the output with
flat memory, a deterministic /ID and no timestamps. A
job interrupted at any point is resumed with ``--riprendi``: finished chunks are kept, the rest
are printed, and the result is byte-identical to an uninterrupted run. Each finished chunk is
recorded in the database (``archive.lavori.registra_blocco``) by whoever printed it, so the
job's progress, pages/s and ETA move chunk by chunk on one machine or on many. Signatures come
last (:func:`concludi`): they never touch the deterministic print files. The merge after printing
and the report are in ``service.batch.uscite``.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import os
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.errors import AppError, RuleViolation
from renderers.impose import get_profile
from service.batch.base import RecordCompatti, Scarto, Validatori, canonico
from service.batch.blocchi import blocco_fatto, esegui_blocco, leggi_lavoro, opzioni_foglio, scrivi_atomico
from service.batch.cartelle import blocchi_totali
from service.batch.firme import configura_firma, firma_uscite
from service.batch.sigilli import configura_sigillo, prepara_chiavi
from service.batch.stampatori import Stampatori, UnioneInOrdine
from service.batch.tipi import tipo_lotto
from service.batch.uscite import righe_rapporto, scrivi_rapporto, unisci, unisci_blocchi, uscite
from service.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["OpzioniUscita", "Avanzamento", "Preparato", "crea_lavoro", "prepara_lavoro", "registra", "esegui_lavoro",
           "unisci", "concludi", "stato_lavoro", "blocchi_totali", "segna_blocco", "uscite"]

# The jobs table (archive.lavori: SQLAlchemy, ~0.15 s to import) is imported where it is used: a
# local job with several processes writes its folder and starts printing before it needs it.


@dataclass(frozen=True)
class OpzioniUscita:
    """How the job's output is cut (fixed at creation: part of the job)."""

    per_record: bool = False
    """Also write one PDF per record under ``documenti/`` (letters and forms)."""
    dividi_ogni: int | None = None
    """Split the print PDF every N pages (sheets)."""
    dividi_per: str | None = None
    """Split the print PDF by the addressee's ``cap`` or ``comune`` (letters; records sorted by it)."""


@dataclass
class Avanzamento:
    """Progress of a running job, handed to the caller's callback after each chunk."""

    record_totali: int
    record_fatti: int = 0
    pagine: int = 0
    pagine_al_secondo: float | None = None
    eta_secondi: float | None = None
    complete: int = 0
    falliti: int = 0
    blocchi: list[int] = field(default_factory=list)


_canonico = canonico


BLOCCHI_MINIMI = 16
"""A job cut with the default size has at least this many chunks when it has the records: with
fewer, two processes wait on one last big chunk (300 Allegati G in 500-record chunks were one
chunk, so a second process did nothing). A constant, not the cores: the chunks, and so the bytes
of the output, must not depend on who prints them."""


def _dimensione_blocco(tipo: Any, richiesta: int, record: int | None = None, foglio: str | None = None) -> int:
    """Chunk size in records; label kinds round it so that a chunk fills whole sheets (of
    ``foglio``, default the kind's). ``record`` given (the default size, not one the caller asked
    for): at most ``record / BLOCCHI_MINIMI``."""
    if record:
        richiesta = min(richiesta, max(1, math.ceil(record / BLOCCHI_MINIMI)))
    if tipo.foglio is None:
        return max(1, richiesta)
    per_foglio = get_profile(foglio or tipo.foglio).per_sheet
    passo = per_foglio // math.gcd(per_foglio, tipo.pagine_per_record)
    return max(passo, richiesta // passo * passo)


@dataclass(frozen=True)
class Preparato:
    """A job's folder written (manifest, ``lavoro.json``, ``scarti.json``), not yet in the database."""

    id: str
    cartella: Path
    scarti: list[Scarto]
    blocchi: int
    riga: dict[str, Any]
    """The job's row (``archive.lavori.Lavoro`` fields)."""


def crea_lavoro(tipo_codice: str, dati: Any, *, settings: Settings, engine: Engine, **parametri: Any
                ) -> tuple[str, list[Scarto]]:
    """Validate ``dati`` into a manifest and register the job (:func:`prepara_lavoro` with
    ``parametri``, then :func:`registra`); returns its id and the refused items."""
    preparato = prepara_lavoro(tipo_codice, dati, settings=settings, **parametri)
    return registra(engine, preparato), preparato.scarti


def registra(engine: Engine, preparato: Preparato) -> str:
    """Record a prepared job in the database (state ``creato``); its id."""
    from archive.lavori import Lavoro, registra_lavoro

    registra_lavoro(engine, Lavoro(**preparato.riga))
    return preparato.id


def prepara_lavoro(tipo_codice: str, dati: Any, *, settings: Settings,
                   opzioni: Mapping[str, Any] | None = None, uscita: OpzioniUscita = OpzioniUscita(),
                   record_per_blocco: int | None = None, processi: int | None = None, firma: bool | None = None,
                   emittente: str | None = None, archivia: bool | None = None,
                   validatori: Validatori | None = None) -> Preparato:
    """Validate ``dati`` into a manifest in a new job folder; the job, not yet registered.

    ``processi``: validators for a long input (default: the cores this process may use);
    ``validatori``: processes that inherited ``dati`` validate it (``TipoLotto.records``).
    ``firma`` (default ``CURIT_FIRMA_OUTPUT``): sign the outputs as ``emittente`` (default: the
    one Ente of the records, else the Regione); ``archivia`` (default ``CURIT_ARCHIVIA_OUTPUT``):
    archive the signed per-record PDFs. Who signs is checked, and the identity loaded, here."""
    tipo = tipo_lotto(tipo_codice)
    if uscita.dividi_per and uscita.dividi_per not in tipo.gruppi:
        raise RuleViolation(f"Il lotto {tipo.codice} non si può dividere per {uscita.dividi_per}"
                            + (f": scegliere tra {', '.join(tipo.gruppi)}." if tipo.gruppi else "."), path=("dividi_per",))
    opz = tipo.opzioni_iniziali(opzioni, settings)
    records, scarti = tipo.records(dati, opz, processi or len(os.sched_getaffinity(0)), validatori, settings=settings)
    if not records:
        raise RuleViolation("Nessun record valido da stampare." + (f" Scartati: {len(scarti)}." if scarti else ""),
                            path=("sorgente",))
    if uscita.dividi_per:
        records.sort(key=lambda r: tipo.gruppo(r, uscita.dividi_per))  # stable: input order within a group
    opz = tipo.opzioni_lotto(records, opz, settings)
    spostamento = opzioni_foglio(tipo, opz)
    if archivia and not (uscita.per_record and tipo.foglio is None):
        raise RuleViolation("L'archiviazione riguarda i PDF per record di lettere e moduli: aggiungere --per-record.",
                            path=("archivia",))
    conf_firma, propri = configura_firma(
        tipo, records, opz, settings=settings, firma=settings.firma_output if firma is None else firma,
        emittente=emittente, archivia=settings.archivia_output if archivia is None else archivia,
        per_record=uscita.per_record)
    sigillo = configura_sigillo(tipo, conf_firma, per_record=uscita.per_record, settings=settings)
    if sigillo is not None:  # each issuer's seal key made now and fixed in the job (service.batch.sigilli)
        prepara_chiavi(sigillo, {conf_firma["emittente"]} if conf_firma.get("emittente") else propri, settings)
    lavoro_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]
    cartella = settings.batch_dir / lavoro_id
    cartella.mkdir(parents=True)
    sha = _scrivi_manifest(cartella / "manifest.jsonl", records)
    n_record = len(records)
    del records  # the job's memory from here on is the chunks', not the whole input's
    scrivi_atomico(cartella / "scarti.json", json.dumps([asdict(s) for s in scarti], ensure_ascii=False, indent=1).encode())
    lavoro = {"id": lavoro_id, "tipo": tipo.codice, "titolo": tipo.titolo, "manifest_sha256": sha,
              "record_totali": n_record, "opzioni": opz, **asdict(uscita), "firma": conf_firma,
              "spostamento": spostamento, **({"sigillo": sigillo} if sigillo else {}),
              "record_per_blocco": _dimensione_blocco(tipo, record_per_blocco, foglio=opz.get("foglio"))
              if record_per_blocco else _dimensione_blocco(tipo, settings.batch_record_per_blocco, n_record,
                                                           foglio=opz.get("foglio"))}
    scrivi_atomico(cartella / "lavoro.json", json.dumps(lavoro, ensure_ascii=False, indent=1, sort_keys=True).encode())
    return Preparato(lavoro_id, cartella, scarti, blocchi_totali(lavoro), {
        "id": lavoro_id, "tipo": tipo.codice, "stato": "creato", "cartella": str(cartella), "manifest_sha256": sha,
        "record_totali": n_record, "record_fatti": 0, "record_scartati": len(scarti), "record_falliti": 0,
        "impaginazioni_complete": 0, "pagine": 0, "emittente": conf_firma["stampa"]})


def _scrivi_manifest(percorso: Path, records: Any) -> str:
    """Write the manifest one canonical line at a time (never the whole text in memory, twice:
    it was most of the peak of a 50,000-letter job) and return its SHA-256."""
    h = hashlib.sha256()
    tmp = percorso.with_name(f".{percorso.name}.{os.getpid()}.tmp")
    righe = records.righe if isinstance(records, RecordCompatti) else (_canonico(r) for r in records)
    with tmp.open("wb", buffering=1 << 20) as f:
        for testo in righe:
            riga = (testo + "\n").encode("utf-8")
            h.update(riga)
            f.write(riga)
    os.replace(tmp, percorso)
    return h.hexdigest()


def _cartella(engine: Engine, lavoro_id: str) -> Path:
    from archive.lavori import get_lavoro

    return Path(get_lavoro(engine, lavoro_id).cartella)


def esegui_lavoro(lavoro_id: str, *, settings: Settings, engine: Engine, processi: int = 1,
                  avanzamento: Callable[[Avanzamento], None] | None = None,
                  stampatori: Stampatori | None = None, firmatore: Any = None) -> dict[str, Any]:
    """Print every chunk not done yet (``processi`` > 1: a process pool, or ``stampatori`` started
    beforehand, which may be printing them already: ``Stampatori.stampa``), merging the print file
    as the chunks finish in order, then sign and report (the print files by ``firmatore`` when
    given: ``service.batch.firmatore``)."""
    from archive.lavori import aggiorna_lavoro

    cartella = _cartella(engine, lavoro_id)
    lavoro = leggi_lavoro(cartella)
    stato = Avanzamento(lavoro["record_totali"])
    n_blocchi = blocchi_totali(lavoro)
    unione = None if lavoro.get("dividi_per") or lavoro.get("dividi_ogni") else \
        UnioneInOrdine(cartella, lavoro, n_blocchi)
    da_fare = []
    try:
        in_stampa = stampatori.blocchi if stampatori is not None else {}
        for i in range(n_blocchi):
            if i in in_stampa:  # being printed since the job's folder was written
                da_fare.append(i)
                continue
            fatto = blocco_fatto(cartella, i, lavoro["manifest_sha256"])
            if fatto is None:
                da_fare.append(i)
            else:
                segna_blocco(engine, lavoro_id, fatto)  # done before a crash that came before its row
                if unione is not None:
                    unione.fatto(fatto)
        aggiorna_lavoro(engine, lavoro_id, stato="in corso", messaggio=None, avviato_il=datetime.now(timezone.utc))

        def fatto(rapporto: dict[str, Any]) -> None:
            row = segna_blocco(engine, lavoro_id, rapporto)
            stato.blocchi.append(rapporto["indice"])
            stato.record_fatti, stato.pagine, stato.falliti, stato.complete = (
                row["record_fatti"], row["pagine"], row["record_falliti"], row["impaginazioni_complete"])
            stato.pagine_al_secondo, stato.eta_secondi = row["pagine_al_secondo"], row["eta_secondi"]
            if avanzamento is not None:
                avanzamento(stato)
            if unione is not None:
                unione.fatto(rapporto)

        if stampatori is not None and da_fare:
            for fut in as_completed([in_stampa.pop(i, None) or stampatori.pool.submit(esegui_blocco, cartella, i, settings)
                                     for i in da_fare]):
                fatto(fut.result())
        elif processi <= 1 or len(da_fare) <= 1:
            for i in da_fare:
                fatto(esegui_blocco(cartella, i, settings))
        else:
            gc.collect()
            gc.freeze()  # forked workers share the parent's objects instead of copying them on the first GC
            try:
                with ProcessPoolExecutor(min(processi, len(da_fare)), mp_context=get_context("fork")) as pool:
                    futuri = [pool.submit(esegui_blocco, cartella, i, settings) for i in da_fare]
                    for fut in as_completed(futuri):
                        fatto(fut.result())
            finally:
                gc.unfreeze()
        if stampatori is not None:
            stampatori.chiudi()
        esito = concludi(cartella, settings=settings, engine=engine, unione=unione, firmatore=firmatore)
        unione = None
        return esito
    except BaseException as exc:
        aggiorna_lavoro(engine, lavoro_id, stato="interrotto" if isinstance(exc, KeyboardInterrupt) else "fallito",
                        messaggio=exc.message if isinstance(exc, AppError) else "Interrotto durante la stampa.")
        raise
    finally:
        if unione is not None:
            unione.abbandona()


def segna_blocco(engine: Engine, lavoro_id: str, rapporto: Mapping[str, Any]) -> dict[str, Any]:
    """Record a finished chunk (from its report) in the job's progress; the job's row."""
    from archive.lavori import registra_blocco

    voci = rapporto["record"]
    return registra_blocco(engine, lavoro_id, rapporto["indice"], record=len(voci), pagine=rapporto["pagine"],
                           falliti=sum(1 for r in voci if r["stato"] == "fallito"),
                           complete=sum(1 for r in voci if r["impaginazione_completa"]))


def concludi(cartella: Path, *, settings: Settings, engine: Engine,
             unione: UnioneInOrdine | None = None, firmatore: Any = None) -> dict[str, Any]:
    """The last step of every run (local or the Celery merge task): merge the chunks (or finish
    ``unione``, merged while they were printed), sign the outputs (``service.batch.firme``),
    write the report and mark the job done."""
    from archive.lavori import aggiorna_lavoro

    lavoro = leggi_lavoro(cartella)
    if unione is not None and unione.completa:
        rapporti, file_di, pagine = unione.chiudi()
        file, righe = [unione.NOME], righe_rapporto(cartella, lavoro, rapporti, file_di)
    else:
        file, pagine, righe = unisci_blocchi(cartella, lavoro)
    firmati = firma_uscite(cartella, lavoro, file, righe, settings=settings, firmatore=firmatore)
    esito = scrivi_rapporto(cartella, lavoro, righe, file, pagine, firmati)  # once, with the signed files
    aggiorna_lavoro(engine, lavoro["id"], stato="completato", record_fatti=esito["prodotti"] + esito["falliti"],
                    record_falliti=esito["falliti"], impaginazioni_complete=esito["impaginazioni_complete"],
                    pagine=esito["pagine"], eta_secondi=0.0, messaggio=None)
    return esito


def stato_lavoro(engine: Engine, lavoro_id: str) -> dict[str, Any]:
    """The job's row (progress, rate, ETA) plus the report summary when it has finished."""
    from archive.lavori import get_lavoro

    row = get_lavoro(engine, lavoro_id).as_dict()
    rapporto = Path(str(row["cartella"])) / "rapporto.json"
    if row["stato"] == "completato" and rapporto.exists():
        dati = json.loads(rapporto.read_text(encoding="utf-8"))
        row["uscite"] = dati["file"] + dati.get("firmati", [])
        row["firmati"] = dati.get("firmati", [])
        row["archiviati"] = dati.get("archiviati", 0)
        row["rapporto"] = str(rapporto)
    return row
