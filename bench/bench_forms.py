"""Single-document rendering: ms per filled Allegato G, F and (when registered) B, one process.

    python bench/bench_forms.py            # print the table
    python bench/bench_forms.py --salva    # also append it to bench/RESULTS.md

Fixed inputs: the ``curit-docs esempio`` data of each type (G: one copy, 2 pages; F: the
2-generator example, one copy, 4 pages; B: its example with 3 generators, one copy). Each
document is rendered once to warm caches (fonts, Jinja), then N times through
``service.produce.render_document`` (validate → rules → HTML → PDF/A-3b + dati.json + XMP).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from copy import deepcopy
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import weasyprint  # noqa: E402

from service.produce import render_document  # noqa: E402
from service.registry import DOCUMENT_TYPES, get_document_type  # noqa: E402

RIPETIZIONI = 5


def _dati_b() -> dict[str, Any]:
    """B example with exactly 3 generator sheets (the issue's reference case)."""
    data = get_document_type("allegato-b").example()
    for key in ("generatori", "fogli"):
        if isinstance(data.get(key), list) and data[key]:
            while len(data[key]) < 3:
                data[key].append(deepcopy(data[key][-1]))
            data[key] = data[key][:3]
    return data


def _casi() -> list[tuple[str, str, dict[str, Any]]]:
    casi = [
        ("allegato-g", "G compilato, 1 copia", get_document_type("allegato-g").example()),
        ("allegato-f", "F compilato, 2 generatori, 1 copia", get_document_type("allegato-f").example()),
    ]
    if "allegato-b" in DOCUMENT_TYPES:
        casi.append(("allegato-b", "B compilato, 3 generatori, 1 copia", _dati_b()))
    return casi


def _pagine(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _misura(code: str, data: dict[str, Any]) -> tuple[float, int]:
    doc = get_document_type(code)
    copia = [doc.copies[0]] if doc.copies else None
    pdf = render_document(code, data, copie=copia)  # warm-up
    start = time.perf_counter()
    for _ in range(RIPETIZIONI):
        render_document(code, data, copie=copia)
    return (time.perf_counter() - start) / RIPETIZIONI * 1000, _pagine(pdf)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main(argv: list[str]) -> int:
    righe = []
    for code, descrizione, data in _casi():
        ms, pagine = _misura(code, data)
        righe.append(f"| {descrizione} | {pagine} | {ms:.0f} ms | {ms / pagine:.0f} ms |")
    quando = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nota = "" if "allegato-b" in DOCUMENT_TYPES else "\n\nallegato-b non ancora registrato: misurati G e F."
    tabella = "\n".join([
        f"### bench_forms — {quando}, commit {_commit()}",
        "",
        f"Machine: {_cpu()}, {os.cpu_count()} CPU, Python {platform.python_version()}; "
        f"WeasyPrint {weasyprint.__version__}, 1 process, media di {RIPETIZIONI} render dopo un riscaldamento.",
        "",
        "| documento | pagine | ms/documento | ms/pagina |",
        "|---|---|---|---|",
        *righe,
    ]) + nota
    print(tabella)
    if "--salva" in argv:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
            out.write("\n" + tabella + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
