"""Batch engine: naive per-record WeasyPrint vs stamped jobs with 1 and 2 processes.

    python bench/bench_batch.py                     # 10,000 plates, 10,000 letters, 300 and 1,500 Allegati G
    python bench/bench_batch.py --pagine-rss 50000 --salva   # plus the 50,000-page (letters) RSS run

Each stamped run is a real job (manifest, chunks, merge, report) in a temporary directory with
its own SQLite database; wall time includes the merge. Peak RSS is that of the job's process
tree (``ru_maxrss`` of the children, which run the job). The naive rate is measured on a few
records rendered one by one by ``service.produce.render_document`` and extrapolated. Allegato G
records (``moduli:allegato-g``) are stamped on the form's blank layout; one G record is 6 pages
(3 copies x form + avvertenze). CPU = user + system of the job's process and its workers: the
machine is shared, so wall time alone says little: each stamped row notes the 1-minute load
average when it started, and each 2-process row its speed-up over the 1-process run. The
1,500-G job shows how 2 processes scale once the job's fixed part (interpreter and imports before
the printers exist, the signature over the merged file: ~0.5 s whatever the processes) is spread
over more pages. Run it on the product as installed (``make install``: modules compiled to bytecode).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _impianti(n: int) -> list[dict]:
    comuni = [("019036", "Cremona"), ("020066", "Viadana"), ("015146", "Milano"), ("017029", "Brescia")]
    return [{"codice_impianto": f"{comuni[i % 4][0]}{'IN' if i % 3 else 'CT'}{i + 1:07d}",
             "indirizzo": "Via Giuseppe Garibaldi", "civico": str(i % 120 + 1), "comune": comuni[i % 4][1],
             "ente_id": None} for i in range(n)]


def _rapporti(n_lettere: int) -> list[dict]:
    """Rapporti di prova (the Allegato B example: each gives 2 letters, responsabile + Vigili del Fuoco)."""
    from domain.forms.allegato_b import esempio

    dati = esempio()
    return [{"tipo": "allegato-b", "dati": dati, "protocollo": f"BS-ESI-2026/{i:06d}", "data_lettera": "2026-02-09",
             "funzionario": "Ing. Marta Bonetti", "provincia": "Brescia",
             "destinatario": {"nominativo": f"Condominio Solferino {i % 300 + 1}", "indirizzo": "Via Solferino 32",
                              "cap": "25122", "comune": "Brescia", "provincia": "BS"}} for i in range(n_lettere // 2)]


def _job(tipo: str, records: list[dict], processi: int, tmp: Path) -> tuple[float, int, float, float, int]:
    """Run one job in a child process; (seconds, pages, peak RSS MB of that process tree, CPU s, fallbacks)."""
    src = tmp / f"{tipo}-{processi}.json"
    src.write_text(json.dumps(records))
    nome = tipo.replace(":", "-")
    env = {**os.environ, "CURIT_BATCH_DIR": str(tmp / f"lavori-{nome}-{processi}"),
           "CURIT_DB_URL": f"sqlite:///{tmp / f'db-{nome}-{processi}.sqlite'}", "CURIT_BATCH_RECORD_PER_BLOCCO": "500",
           # print files signed once by the demo identity of their Ente, as a demo install does
           "CURIT_DEMO": "1", "CURIT_IDENTITA_DIR": str(tmp / "identita")}
    subprocess.run([sys.executable, "-c", f"from archive.db import upgrade; upgrade({env['CURIT_DB_URL']!r})"],
                   env=env, check=True, cwd=ROOT)
    del records
    t = time.perf_counter()
    script = ("import json,resource,sys;from service.cli import main;sys.argv=['curit-docs','batch',"
              f"{tipo!r},{str(src)!r},'--processi','{processi}'];"
              "\ntry:\n main()\nfinally:\n s,c=resource.getrusage(resource.RUSAGE_SELF),resource.getrusage(resource.RUSAGE_CHILDREN)"
              "\n print('RSS',s.ru_maxrss,c.ru_maxrss,s.ru_utime+s.ru_stime+c.ru_utime+c.ru_stime,file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(r.stderr[-2000:])
    esito = json.loads(r.stderr[r.stderr.index("{"):r.stderr.rindex("}") + 1])
    self_kb, figli_kb, cpu = r.stderr.rsplit("RSS", 1)[1].split()[:3]
    shutil.rmtree(tmp / f"lavori-{nome}-{processi}", ignore_errors=True)
    return dt, esito["pagine"], max(int(self_kb), int(figli_kb)) / 1024, float(cpu), esito["impaginazioni_complete"]


def _moduli_g(n: int) -> list[dict]:
    """``n`` Allegati G: the registry example with its own rapporto number, responsabile and address."""
    from service.registry import get_document_type

    base = get_document_type("allegato-g").example()
    nomi = ["Giovanna Rossi", "Pietro Ferrari", "Anna Colombo", "Luca Bianchi", "Sara Galli", "Marco Villa"]
    return [{**base, "numero_rapporto": f"2025/{i + 1:05d}", "responsabile_nome": nomi[i % 6],
             "civico": str(i % 150 + 1), "codice_catasto": f"020066IN{i + 1:07d}"} for i in range(n)]


def _naive(code: str, data: dict, n: int = 3) -> float:
    """Seconds per record with one WeasyPrint render per record (after one warm-up)."""
    import inspect

    from service.produce import render_document

    # the full WeasyPrint layout, also for a type the engine stamps
    pieno = {"completo": True} if "completo" in inspect.signature(render_document).parameters else {}
    render_document(code, data, **pieno)
    t = time.perf_counter()
    for _ in range(n):
        render_document(code, data, **pieno)
    return (time.perf_counter() - t) / n


def _macchina() -> str:
    cpu = ""
    try:
        cpu = next(r.split(":", 1)[1].strip() for r in Path("/proc/cpuinfo").read_text().splitlines()
                   if r.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    return (f"{platform.node()} · nproc {len(os.sched_getaffinity(0))} · {cpu} · Python {platform.python_version()} · "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · commit {commit} · load average {load}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targhe", type=int, default=5000, help="impianti (2 plates each)")
    ap.add_argument("--lettere", type=int, default=10000)
    ap.add_argument("--moduli-g", type=int, default=300, help="Allegati G (6 pages each)")
    ap.add_argument("--moduli-g-lungo", type=int, default=1500,
                    help="also a longer G job (0: none): how the 2-process rate scales once the job's fixed start is spread")
    ap.add_argument("--pagine-rss", type=int, default=0, help="also a letters job of this many pages, 2 processes")
    ap.add_argument("--salva", action="store_true")
    a = ap.parse_args()
    from service.documents.batch import esempio_lettera

    macchina = _macchina()
    righe = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        naive_lettera = _naive("lettera-esito", esempio_lettera())
        naive_targa = _naive("targhe", _impianti(1)) / 2
        naive_g = _naive("allegato-g", _moduli_g(1)[0], n=2)
        lavori = (("moduli:allegato-g", "G forms", _moduli_g(a.moduli_g), 1, naive_g),
                  ("moduli:allegato-g", "G forms", _moduli_g(a.moduli_g_lungo), 1, naive_g),
                  ("targhe", "plates", _impianti(a.targhe), 2, naive_targa),
                  ("esiti", "letters", _rapporti(a.lettere), 2, naive_lettera))
        for tipo, unit, records, per_record, naive in lavori:
            if not records:
                continue
            n_unit = len(records) * per_record
            if not any(r[0] == tipo for r in righe):
                righe.append((tipo, "naive WeasyPrint, one document per record", 1, f"{n_unit * naive:.0f} (extrap.)",
                              "-", f"{1 / naive:.2f}", "-", "-", ""))
            tempi = {}
            for p in (1, 2):
                carico = os.getloadavg()[0]
                dt, pagine, rss, cpu, complete = _job(tipo, records, p, tmp)
                tempi[p] = dt
                nota = (f"{(n_unit / dt) * naive:.0f}x naive" + (f"; {complete} full layouts" if complete else "")
                        + (f"; {tempi[1] / dt:.2f}x 1 process" if p == 2 else "") + f"; load {carico:.1f}")
                righe.append((tipo, f"stamped job, {n_unit} {unit} / {pagine} pages", p, f"{dt:.1f}", f"{cpu:.1f}",
                              f"{n_unit / dt:.1f}", f"{pagine / dt:.0f}", f"{rss:.0f}", nota))
        if a.pagine_rss:
            dt, pagine, rss, cpu, _ = _job("esiti", _rapporti(a.pagine_rss), 2, tmp)
            righe.append(("esiti", f"RSS run, {pagine} letters / {pagine} pages", 2, f"{dt:.1f}", f"{cpu:.1f}",
                          f"{pagine / dt:.1f}", f"{pagine / dt:.0f}", f"{rss:.0f}", "peak RSS of the job's process tree"))
    table = ["| kind | how | processes | wall s | CPU s | units/s | pages/s | peak RSS MB | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    table += ["| " + " | ".join(str(c) for c in r) + " |" for r in righe]
    print(macchina)
    print("\n".join(table))
    if a.salva:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as f:
            f.write(f"\n### bench_batch — {macchina}\n\n" + "\n".join(table) + "\n")


if __name__ == "__main__":
    main()
