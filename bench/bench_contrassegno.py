"""Cost of the contrassegno a stampa: seal + overlay of an issued document, per document and per page.

No naive baseline yet (the seal did not exist before; the render itself costs seconds, the seal
milliseconds). Run: ``.venv/bin/python -m bench.bench_contrassegno`` (appends to bench/RESULTS.md).
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from service.contrassegno import sigilla
from service.produce import produci
from service.registry import get_document_type
from service.settings import Settings

RIPETIZIONI = 20


def _misura(f, n: int = RIPETIZIONI) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        f()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(var_dir=Path(tmp) / "var", identita_dir=Path(tmp) / "identita")
        righe = []
        for tipo in ("allegato-g", "ricevuta", "allegato-a", "distinta-ricevuta"):  # distinta: the column legend
            pdf = produci(tipo, get_document_type(tipo).example(), settings=settings).pdf
            pagine = int(subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True).stdout.split(b"Pages:")[1].split()[0])

            def sigillato() -> bytes:
                return sigilla(pdf, documento_id="019a2b3c4d5e" + "ab" * 10, tipo=tipo, codice_impianto="020066IN0000347",
                               data_documento=date(2025, 10, 14), emittente="provincia-mantova",
                               identita="ente-provincia-mantova", settings=settings,
                               ora=datetime.now(timezone.utc))

            sigillato()  # key created, imports warm
            wall, cpu = _misura(sigillato)
            crescita = len(sigillato()) - len(pdf)
            righe.append(f"| {tipo} | {pagine} | {wall * 1000:.1f} | {cpu * 1000:.1f} | {wall * 1000 / pagine:.2f} | {crescita / 1024:.1f} |")
    carico = " ".join(f"{v:.1f}" for v in os.getloadavg())
    testo = [
        "", "## bench_contrassegno", "",
        f"bench_contrassegno · {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPU · "
        f"Python {platform.python_version()} · load average at start {carico}", "",
        f"Median of {RIPETIZIONI} runs, warm key. Seal = CBOR payload + ES256 signature + QR + one incremental "
        "revision drawing a shared Form XObject on every page (before the PAdES signature, not included).", "",
        "| tipo | pages | seal + overlay ms (wall) | CPU ms | ms per page | bytes added KB |",
        "|---|---|---|---|---|---|", *righe,
    ]
    print("\n".join(testo))
    with open(Path(__file__).with_name("RESULTS.md"), "a", encoding="utf-8") as f:
        f.write("\n".join(testo) + "\n")


if __name__ == "__main__":
    main()
