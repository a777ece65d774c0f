"""Plates and etichette benchmark: 10,000 targhe (5,000 impianti) and 10,000 etichette to print-ready PDFs.

    python bench/bench_targhe.py            # print the table
    python bench/bench_targhe.py --salva    # also append it to bench/RESULTS.md

Fixed inputs: 5,000 impianti spread over the Lombard comuni (every 3rd comune in ISTAT order, one
impianto each in turn, so ~500 comuni and every Ente of the registry appear), A4-2x5 sheets; 10,000
etichette G of the Provincia di Cremona, stagione 2026/2027, A4-1x7 sheets.

Measured per run: wall time (records → one print-ready PDF on disk), pages/s, peak RSS of the
busiest process, output size. "2 processes" splits the records into two runs of whole sheets,
each streaming its own PDF, and joins the parts with qpdf (included in the time). Compiled
templates come from the on-disk cache (warmed once before timing; the cold compile of every
Ente template is reported on its own line). The naive line renders single plates through
WeasyPrint (``curit-docs render targhe``) for comparison.
"""

from __future__ import annotations

import io
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.etichetta import numero_etichetta  # noqa: E402
from domain.istat import comuni_della_regione  # noqa: E402
from service.etichette_stampa import stampa_etichette  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.targhe import OpzioniFoglio, render_targhe  # noqa: E402

N_IMPIANTI = 5000
N_ETICHETTE = 10000
N_NAIVE = 6


def impianti() -> list[dict]:
    comuni = sorted(comuni_della_regione("Lombardia"), key=lambda c: c.istat)[::3]
    vie = ("Via Roma", "Via Giuseppe Garibaldi", "Corso Vittorio Emanuele II", "Piazza della Repubblica", "Viale Piave")
    return [{"codice_impianto": f"{c.istat}{('CT', 'IN', 'TR')[i % 3]}{i // len(comuni) + 1:07d}",
             "indirizzo": vie[i % len(vie)], "civico": str(1 + i % 180), "comune": c.nome}
            for i, c in ((i, comuni[i % len(comuni)]) for i in range(N_IMPIANTI))]


def numeri() -> list[str]:
    return [numero_etichetta("CR000", 2026, "G", i).compatto for i in range(1, N_ETICHETTE + 1)]


def _settings(cache: str) -> Settings:
    return Settings(stampa_cache_dir=Path(cache))


def _targhe(args: tuple[list[dict], str, str]) -> tuple[int, int]:
    records, out, cache = args
    with open(out, "wb") as f:
        esito = render_targhe(records, f, settings=_settings(cache))
    return esito.fogli, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _etichette(args: tuple[list[str], str, str]) -> tuple[int, int]:
    records, out, cache = args
    with open(out, "wb") as f:
        esito = stampa_etichette(records, "provincia-cremona", "G", f, settings=_settings(cache))
    return esito.fogli, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run(kind: str, records: list, per_sheet: int, processes: int, cache: str, tmp: str) -> dict:
    fn = _targhe if kind == "targhe" else _etichette
    size = -(-len(records) // processes)
    size = -(-size // per_sheet) * per_sheet  # whole sheets per part
    parts = [records[i:i + size] for i in range(0, len(records), size)]
    outs = [os.path.join(tmp, f"{kind}-{processes}-{k}.pdf") for k in range(len(parts))]
    final = os.path.join(tmp, f"{kind}-{processes}.pdf")
    start = time.perf_counter()
    with ProcessPoolExecutor(processes) as pool:
        results = list(pool.map(fn, [(p, o, cache) for p, o in zip(parts, outs)]))
    if len(outs) > 1:
        subprocess.run(["qpdf", "--empty", "--pages", *outs, "--", final], check=True)
    else:
        os.replace(outs[0], final)
    wall = time.perf_counter() - start
    pages = sum(r[0] for r in results)
    return {"wall": wall, "pages": pages, "rss_mb": max(r[1] for r in results) / 1024,
            "size_mb": os.path.getsize(final) / 1e6}


def naive_rate(records: list[dict]) -> float:
    from service.produce import render_document

    settings = _settings(tempfile.mkdtemp())
    render_document("targhe", [records[0]], settings=settings)  # warm fonts and imports
    start = time.perf_counter()
    for r in records[1:N_NAIVE + 1]:
        render_document("targhe", [r], settings=settings)
    return 2 * N_NAIVE / (time.perf_counter() - start)  # 2 plates per record


def main(argv: list[str]) -> int:
    imps, nums = impianti(), numeri()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        start = time.perf_counter()
        with ProcessPoolExecutor(1) as pool:  # cold: compile every Ente template once
            pool.submit(_targhe, (_one_per_ente(imps), os.path.join(tmp, "warm.pdf"), cache)).result()
            pool.submit(_etichette, (nums[:7], os.path.join(tmp, "warm2.pdf"), cache)).result()
        cold = time.perf_counter() - start
        for kind, records, per_sheet, labels in (("targhe", imps, 5, 2 * len(imps)), ("etichette", nums, 7, len(nums))):
            for processes in (1, 2):
                r = run(kind, records, per_sheet, processes, cache, tmp)
                rows.append((f"{labels:,} {kind}, {processes} proc.", r["wall"], r["pages"] / r["wall"],
                             labels / r["wall"], r["rss_mb"], r["size_mb"], r["pages"]))
        naive = naive_rate(imps)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    head = (f"bench_targhe · {platform.node()} · {os.cpu_count()} CPU · Python {platform.python_version()} · "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · commit {commit} · "
            f"load average at the end {os.getloadavg()[0]:.1f}")
    table = [head, "", "| run | wall s | sheets/s | labels/s | peak RSS MB | PDF MB | sheets |", "|---|---|---|---|---|---|---|"]
    table += [f"| {n} | {w:.2f} | {ps:.0f} | {ls:.0f} | {rss:.0f} | {mb:.1f} | {pg} |" for n, w, ps, ls, rss, mb, pg in rows]
    table.append(f"| naive WeasyPrint, one plate pair per document, 1 proc. | – | – | {naive:.1f} | – | – | – |")
    table.append(f"| cold compile of every Ente template (targhe + etichetta), 1 proc. | {cold:.1f} | – | – | – | – | – |")
    text = "\n".join(table)
    print(text)
    if "--salva" in argv:
        results = ROOT / "bench" / "RESULTS.md"
        previous = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
        results.write_text(previous.rstrip("\n") + "\n\n## bench_targhe\n\n" + text + "\n", encoding="utf-8")
    return 0


def _one_per_ente(imps: list[dict]) -> list[dict]:
    from service.targhe import enti_da_settings

    enti = enti_da_settings(Settings())
    seen, out = set(), []
    for imp in imps:
        ente = enti.competente(imp["codice_impianto"][:6]).id
        if ente not in seen:
            seen.add(ente)
            out.append(imp)
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
