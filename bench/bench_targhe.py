"""Plates and etichette benchmark: 10,000 targhe (5,000 impianti) and 10,000 etichette to print-ready PDFs.

    python bench/bench_targhe.py            # print the table
    python bench/bench_targhe.py --salva    # also append it to bench/RESULTS.md
    python bench/bench_targhe.py --rapido   # skip the naive WeasyPrint line and the cold compile

Fixed inputs: 5,000 impianti spread over the Lombard comuni (every 3rd comune in ISTAT order, one
impianto each in turn, so ~500 comuni and every Ente of the registry appear), A4-2x5 sheets; 10,000
etichette G of the Provincia di Cremona, stagione 2026/2027, A4-1x7 sheets.

Each run is one call of the engine (``render_targhe`` / ``stampa_etichette`` with ``processi`` = 1
or 2) writing one print-ready PDF to disk. Measured per run: wall time; CPU time of the whole
run (this process plus its worker processes, user + system, from ``getrusage``), which stays
meaningful on a machine shared with other work where wall time does not; sheets/s and labels/s
(from wall time); peak RSS of the largest process; PDF size; and whether the file of 2 processes
is byte-identical to the file of 1 process (same ``/ID`` given, no timestamps). Each run is
repeated (``--ripeti``, default 3) and the median is reported. Compiled templates come from the
on-disk cache (warmed once before timing; the cold compile of every Ente template is its own
line). The naive line renders single plates through WeasyPrint for comparison.
"""

from __future__ import annotations

import hashlib
import os
import platform
import resource
import statistics
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
from service.targhe import render_targhe  # noqa: E402

N_IMPIANTI = 5000
N_ETICHETTE = 10000
N_NAIVE = 6
FILE_ID = hashlib.sha256(b"bench_targhe").digest()[:16]


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


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def _print(kind: str, records: list, out: str, cache: str, processes: int) -> int:
    with open(out, "wb") as f:
        if kind == "targhe":
            esito = render_targhe(records, f, settings=_settings(cache), processi=processes, file_id=FILE_ID)
        else:
            esito = stampa_etichette(records, "provincia-cremona", "G", f, settings=_settings(cache),
                                     processi=processes, file_id=FILE_ID)
    return esito.fogli


def _measured(args: tuple[str, list, str, str, int]) -> dict:
    """One run in a fresh process: its own and its workers' CPU and peak RSS are then the run's."""
    kind, records, out, cache, processes = args
    start = time.perf_counter()
    sheets = _print(kind, records, out, cache, processes)
    wall = time.perf_counter() - start
    me, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "cpu": _cpu(me) - _START_CPU + _cpu(workers), "cpu_main": _cpu(me) - _START_CPU,
            "cpu_workers": _cpu(workers), "sheets": sheets,
            "rss_mb": max(me.ru_maxrss, workers.ru_maxrss) / 1024}


_START_CPU = 0.0


def _reset() -> None:
    global _START_CPU
    _START_CPU = _cpu(resource.getrusage(resource.RUSAGE_SELF))


def run(kind: str, records: list, processes: int, cache: str, tmp: str, repeats: int) -> dict:
    out = os.path.join(tmp, f"{kind}-{processes}.pdf")
    results = []
    for _ in range(repeats):
        with ProcessPoolExecutor(1, initializer=_reset) as pool:  # a fresh process per run
            results.append(pool.submit(_measured, (kind, records, out, cache, processes)).result())
    median = {k: statistics.median(r[k] for r in results) for k in ("wall", "cpu", "cpu_main", "cpu_workers", "rss_mb")}
    data = Path(out).read_bytes()
    return {**median, "sheets": results[0]["sheets"], "size_mb": len(data) / 1e6,
            "sha": hashlib.sha256(data).hexdigest()}


def naive_rate(records: list[dict]) -> float:
    from service.produce import render_document

    settings = _settings(tempfile.mkdtemp())
    render_document("targhe", [records[0]], settings=settings)  # warm fonts and imports
    start = time.perf_counter()
    for r in records[1:N_NAIVE + 1]:
        render_document("targhe", [r], settings=settings)
    return 2 * N_NAIVE / (time.perf_counter() - start)  # 2 plates per record


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or platform.machine())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "renderers", "service/targhe.py",
                            "service/stampa_fogli.py", "service/etichette_stampa.py"],
                           capture_output=True, text=True, cwd=ROOT).stdout.strip()
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    return (f"bench_targhe · {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · commit {commit}"
            f"{' (engine files modified)' if dirty else ''} · {os.cpu_count()} CPU ({model}) · "
            f"Python {platform.python_version()} · load average at start {load}")


def main(argv: list[str]) -> int:
    repeats = int(argv[argv.index("--ripeti") + 1]) if "--ripeti" in argv else 3
    quick = "--rapido" in argv
    head = machine()
    imps, nums = impianti(), numeri()
    rows, extra = [], []
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        start = time.perf_counter()
        with ProcessPoolExecutor(1) as pool:  # cold: compile every Ente template once
            pool.submit(_print, "targhe", _one_per_ente(imps), os.path.join(tmp, "warm.pdf"), cache, 1).result()
            pool.submit(_print, "etichette", nums[:7], os.path.join(tmp, "warm2.pdf"), cache, 1).result()
        cold = time.perf_counter() - start
        for kind, records, labels in (("targhe", imps, 2 * len(imps)), ("etichette", nums, len(nums))):
            shas = []
            for processes in (1, 2):
                r = run(kind, records, processes, cache, tmp, repeats)
                shas.append(r["sha"])
                split = f"{r['cpu_main']:.2f} + {r['cpu_workers']:.2f}" if processes > 1 else "–"
                rows.append((f"{labels:,} {kind}, {processes} proc.", r["wall"], r["cpu"], split, r["sheets"] / r["wall"],
                             labels / r["wall"], r["rss_mb"], r["size_mb"], r["sheets"]))
            extra.append(f"{kind}: 2-process file {'byte-identical to' if shas[0] == shas[1] else 'DIFFERENT from'} "
                         f"the 1-process file (sha256 {shas[0][:16]}…)")
        naive = None if quick else naive_rate(imps)
    table = [head, "", f"Median of {repeats} runs. CPU = user + system of the whole run; for 2 processes also split "
             "as parent (writes the PDF) + the two workers together (stamp, impose, compress). sheets/s and "
             "labels/s are from wall time, which on a shared machine depends on what else runs.", "",
             "| run | wall s | CPU s | CPU parent + workers s | sheets/s | labels/s | peak RSS MB | PDF MB | sheets |",
             "|---|---|---|---|---|---|---|---|---|"]
    table += [f"| {n} | {w:.2f} | {c:.2f} | {sp} | {ps:.0f} | {ls:.0f} | {rss:.0f} | {mb:.1f} | {pg} |"
              for n, w, c, sp, ps, ls, rss, mb, pg in rows]
    if naive is not None:
        table.append(f"| naive WeasyPrint, one plate pair per document, 1 proc. | – | – | – | – | {naive:.1f} | – | – | – |")
        table.append(f"| cold compile of every Ente template (targhe + etichetta), 1 proc. | {cold:.1f} | – | – | – | – "
                     "| – | – | – |")
    table += [""] + [f"- {line}" for line in extra]
    text = "\n".join(table)
    print(text)
    if "--salva" in argv:
        _save(text)
    return 0


def _save(text: str) -> None:
    """Append the run to the bench_targhe section of RESULTS.md (older runs stay, marked superseded)."""
    results = ROOT / "bench" / "RESULTS.md"
    previous = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    marker = "\n## bench_targhe\n"
    if marker not in previous:
        results.write_text(previous.rstrip("\n") + "\n" + marker + "\n" + text + "\n", encoding="utf-8")
        return
    before, rest = previous.split(marker, 1)
    ends = [i for i in (rest.find("\n## "), rest.find("\n### ")) if i >= 0]
    cut = min(ends) if ends else -1
    section, after = (rest, "") if cut < 0 else (rest[:cut], rest[cut:])
    section = section.replace("\nbench_targhe · ", "\n*(superseded by the run below)* bench_targhe · ")
    section = section.rstrip("\n") + "\n\n" + text + "\n"
    results.write_text(before + marker + section + after, encoding="utf-8")


def _one_per_ente(imps: list[dict]) -> list[dict]:
    from service.enti import enti_da_settings

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
