"""Every document type issued one at a time: naive full WeasyPrint render vs the engine.

    python bench/bench_motore.py            # print the table
    python bench/bench_motore.py --salva    # also append it to bench/RESULTS.md
    python -m bench motore

For each registered type, its ``curit-docs esempio`` record (all copies) goes through
``service.produce.render_document`` twice over: ``completo=True`` (the naive path: validate → HTML →
WeasyPrint layout → PDF/A-3b + XMP + dati.json, per document) and the default path (the engine,
``service.motore`` for the types whose template is stampable, ``service.motore_lotti`` for those
laid out from layout variants; the others still take the full layout). Both are timed in the same
run, one process, after a first call that compiles the blank layout (its time is the "primo uso" column; the template cache starts empty in a temporary
directory). ``fallback`` counts the engine documents laid out in full because a value did not fit.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import weasyprint  # noqa: E402

from bench.bench_forms import _commit, _cpu, _pagine  # noqa: E402
from service import motore  # noqa: E402
from service.produce import render_document  # noqa: E402
from service.registry import DOCUMENT_TYPES  # noqa: E402
from service.settings import Settings  # noqa: E402

NAIVE = 2
MOTORE = 20


def _tempo(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1000


def _motore(doc) -> bool:
    """Whether the type's filled documents go through an engine: ``service.motore`` (stamped on the
    blank form) or ``service.motore_lotti`` (letters, targhe, etichette, CAIT paper: layout variants)."""
    return doc.stampa or doc.motore is not None


def main(argv: list[str]) -> int:
    tipi = [a for a in argv if not a.startswith("-")] or sorted(DOCUMENT_TYPES)
    righe = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(var_dir=Path(tmp), stampa_cache_dir=Path(tmp) / "stampa")
        for code in tipi:
            doc = DOCUMENT_TYPES[code]
            data = doc.example()
            prima = dict(motore.CONTEGGI)
            t0 = time.perf_counter()
            pdf = render_document(code, data, modo="normalizzato", settings=settings)
            primo = (time.perf_counter() - t0) * 1000
            engine = _tempo(lambda: render_document(code, data, modo="normalizzato", settings=settings),
                            MOTORE if _motore(doc) else NAIVE)
            naive = _tempo(lambda: render_document(code, data, modo="normalizzato", settings=settings, completo=True),
                           NAIVE)
            stampati = motore.CONTEGGI["motore"] - prima.get("motore", 0)
            fallback = motore.CONTEGGI["completo"] - prima.get("completo", 0)
            via = ("motore" if doc.stampa else "motore (varianti)") if _motore(doc) else "impaginazione completa"
            righe.append(f"| {code} | {via} | {_pagine(pdf)} | {naive:.0f} ms | {engine:.1f} ms | "
                         f"{naive / engine:.1f}× | {primo:.0f} ms | {fallback} / {stampati + fallback} |")
            print(righe[-1], file=sys.stderr, flush=True)
    quando = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    tabella = "\n".join([
        f"### bench_motore — {quando}, commit {_commit()}",
        "",
        f"Machine: {_cpu()}, {os.cpu_count()} CPU, load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}; "
        f"WeasyPrint {weasyprint.__version__}, 1 process; naive = mean of {NAIVE} full renders, engine = mean of "
        f"{MOTORE} documents ({NAIVE} for types still laid out in full), both after a first use; every copy of the type's example record.",
        "",
        "| tipo | via | pagine | naive (WeasyPrint) | motore | rapporto | primo uso | fallback / documenti |",
        "|---|---|---|---|---|---|---|---|",
        *righe,
    ])
    print(tabella)
    if "--salva" in argv:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
            out.write("\n" + tabella + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
