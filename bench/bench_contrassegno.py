"""Cost of the contrassegno a stampa: seal + overlay of an issued document, per document and per page.

Two ways of finding the code's place, both measured on the same document: ``raster`` reads every page
(``pdftoppm`` at 36 dpi: what a document laid out in full costs, and what every document cost before
the page kinds), ``carta`` takes the blank paper of the engine's page kinds (``renderers.carta``:
computed once per page kind and process, then from memory). CPU is this process's plus its children's
(``pdftoppm``), from ``resource.getrusage``; wall time alongside (the machine is shared: CPU is the
number to compare). No naive baseline beyond ``raster`` (the seal did not exist before).

Batch jobs (``lotti``): the same job of letters (avvisi) and of stamped Allegati G printed with
``--per-record --archivia`` twice, contrassegno off then on (``service.batch.sigilli``: each record sealed,
the chunk rebuilt from the sealed records); chunks printed in this process (signing and S3 come after
the print and are the same either way). The difference per record and per page is the seal's cost.
Run: ``.venv/bin/python -m bench.bench_contrassegno`` (appends to bench/RESULTS.md).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from renderers import carta
from service.documents.cait import esempio_rendiconto_cait_lungo
from service.contrassegno import sigilla
from service.produce import produci
from service.registry import get_document_type
from service.settings import Settings

RIPETIZIONI = 20


def _cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _misura(f: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(RIPETIZIONI):
        t0, c0 = time.perf_counter(), _cpu()
        f()
        wall.append(time.perf_counter() - t0)
        cpu.append(_cpu() - c0)
    return statistics.median(wall), statistics.median(cpu)


CASI: tuple[tuple[str, str, Callable[[], Any]], ...] = (
    ("allegato-g", "allegato-g", lambda: get_document_type("allegato-g").example()),
    ("ricevuta", "ricevuta", lambda: get_document_type("ricevuta").example()),
    ("allegato-a", "allegato-a", lambda: get_document_type("allegato-a").example()),
    ("distinta-ricevuta", "distinta-ricevuta", lambda: get_document_type("distinta-ricevuta").example()),
    ("rendiconto-cait (104 righe)", "rendiconto-cait", lambda: esempio_rendiconto_cait_lungo(104)),
)


LOTTI = (("avvisi", 200), ("moduli:allegato-g", 40))
"""Batch kind and records for the ``lotti`` table."""


def _record_lotto(tipo: str, n: int) -> list[dict[str, Any]]:
    from domain.avvisi import esempio_avviso

    out = []
    for i in range(n):
        r = esempio_avviso() if tipo == "avvisi" else get_document_type("allegato-g").example()
        if tipo == "avvisi":
            r.update(protocollo=f"MN-ISP-2026/{10000 + i:06d}", codice_impianto=f"020066IN{1000 + i:07d}")
        out.append(r)
    return out


def _lotti(tmp: Path) -> list[str]:
    """Rows of the batch table: each kind printed unsealed then sealed (chunks in this process)."""
    from archive.db import make_engine, upgrade
    from service.batch.blocchi import esegui_blocco
    from service.batch.lavoro import OpzioniUscita, blocchi_totali, crea_lavoro

    db = f"sqlite:///{tmp / 'lotti.db'}"
    upgrade(db)
    engine = make_engine(db)
    base = Settings(var_dir=tmp / "var", identita_dir=tmp / "identita", batch_dir=tmp / "lavori", db_url=db, demo=True)
    righe = []
    try:
        for tipo, n in LOTTI:
            misure = {}
            for sigillo in (False, True):
                settings = base.model_copy(update={"contrassegno": sigillo})
                records = _record_lotto(tipo, n)
                caldo, _ = crea_lavoro(tipo, records[:2], settings=settings, engine=engine, firma=True, archivia=True,
                                       uscita=OpzioniUscita(per_record=True))  # warm: layouts, key, imports
                esegui_blocco(settings.batch_dir / caldo, 0, settings)
                lavoro_id, _ = crea_lavoro(tipo, records, settings=settings, engine=engine, firma=True, archivia=True,
                                           uscita=OpzioniUscita(per_record=True), record_per_blocco=20)
                cartella = settings.batch_dir / lavoro_id
                for i in range(blocchi_totali(json.loads((cartella / "lavoro.json").read_text()))):
                    if i == 0:
                        t0, c0 = time.perf_counter(), _cpu()
                    rapporto = esegui_blocco(cartella, i, settings)
                    misure.setdefault(sigillo, [0.0, 0.0, 0])[2] += rapporto["pagine"]
                misure[sigillo][0], misure[sigillo][1] = time.perf_counter() - t0, _cpu() - c0
                assert sum(1 for _ in (cartella / "documenti").glob("*.pdf")) == n
            (w0, c0_, pagine), (w1, c1, pagine1) = misure[False], misure[True]
            righe.append(f"| {tipo} | {n} | {pagine} | {c0_:.2f} | {c1:.2f} | {(c1 - c0_) * 1000 / n:.1f} | "
                         f"{(c1 - c0_) * 1000 / pagine:.1f} | {pagine / w0:.0f} | {pagine1 / w1:.0f} |")
    finally:
        engine.dispose()
    return righe


def main(scrivi: bool = True) -> None:
    """Measure and print; ``scrivi``: append to bench/RESULTS.md."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(var_dir=Path(tmp) / "var", identita_dir=Path(tmp) / "identita")
        righe = []
        for nome, tipo, dati in CASI:
            prodotto = produci(tipo, dati(), settings=settings)
            pdf = prodotto.pdf
            pagine = int(subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True).stdout.split(b"Pages:")[1].split()[0])

            def sigillato(pagine_motore: Any) -> bytes:
                return sigilla(pdf, documento_id="019a2b3c4d5e" + "ab" * 10, tipo=tipo, codice_impianto="020066IN0000347",
                               data_documento=date(2025, 10, 14), emittente="provincia-mantova",
                               identita="ente-provincia-mantova", settings=settings,
                               ora=datetime.now(timezone.utc), carta=pagine_motore)

            sigillato(None)  # key created, imports and font warm
            wall_r, cpu_r = _misura(lambda: sigillato(None))
            nuove = carta.CONTEGGI["carta:nuova"]
            c0 = _cpu()
            sigillato(prodotto.carta)  # first use of the document's page kinds in this process
            primo = _cpu() - c0
            nuove = carta.CONTEGGI["carta:nuova"] - nuove
            raster = carta.CONTEGGI["raster"]
            wall_c, cpu_c = _misura(lambda: sigillato(prodotto.carta))
            letti = (carta.CONTEGGI["raster"] - raster) // RIPETIZIONI  # a page kind without room: the pages read
            crescita = len(sigillato(prodotto.carta)) - len(pdf)
            righe.append(f"| {nome} | {pagine} | {wall_r * 1000:.1f} / {cpu_r * 1000:.1f} | {wall_c * 1000:.1f} / "
                         f"{cpu_c * 1000:.1f} | {cpu_c * 1000 / pagine:.2f} | {letti} | {primo * 1000:.0f} ({nuove}) | "
                         f"{crescita / 1024:.1f} |")
        lotti = _lotti(Path(tmp))
    carico = " ".join(f"{v:.1f}" for v in os.getloadavg())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip()
    testo = [
        "", "## bench_contrassegno", "",
        f"bench_contrassegno · {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · commit {commit} · {platform.machine()}, "
        f"{os.cpu_count()} CPU · Python {platform.python_version()} · load average at the end {carico}", "",
        f"Median of {RIPETIZIONI} runs, warm key and font. Seal = CBOR payload + ES256 signature + QR + the code's "
        "place + one incremental revision drawing a shared Form XObject on every page (before the PAdES "
        "signature, not included). CPU = this process + pdftoppm. `raster`: every page read with pdftoppm "
        "(a document laid out in full); `carta`: the engine's page kinds, from memory (first use: their blank "
        "paper computed, once per page kind and process; in brackets the page kinds computed). A page kind with no "
        "room when every slot box is taken as ink sends the document to `raster` (pages read, per document).", "",
        "| tipo | pages | raster ms wall / CPU | carta ms wall / CPU | carta CPU ms per page | pages read | carta first "
        "use CPU ms (kinds) | bytes added KB |",
        "|---|---|---|---|---|---|---|---|", *righe, "",
        "Batch jobs with `--per-record --archivia`, one process, chunks of 20 records, warm layouts: printing "
        "(stamp, per-record PDFs) without and with the contrassegno (seal each record, rebuild the chunk from the "
        "sealed records). Signing and archiving follow either way and are not included.", "",
        "| lotto | records | pages | CPU s unsealed | CPU s sealed | seal CPU ms per record | per page | "
        "pages/s unsealed | pages/s sealed |",
        "|---|---|---|---|---|---|---|---|---|", *lotti,
    ]
    print("\n".join(testo))
    if not scrivi:
        return
    with open(Path(__file__).with_name("RESULTS.md"), "a", encoding="utf-8") as f:
        f.write("\n".join(testo) + "\n")


if __name__ == "__main__":
    main()
