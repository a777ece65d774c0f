"""Batch engine: naive per-record WeasyPrint vs stamped jobs with 1 and 2 processes.

    python bench/bench_batch.py                     # default sizes (10,000 plates, 10,000 letters)
    python bench/bench_batch.py --targhe 50000 --lettere 0 --salva   # the 50,000-page RSS run

Each stamped run is a real job (manifest, chunks, merge, report) in a temporary directory with
its own SQLite database; wall time includes the merge. Peak RSS is that of the job's process
tree (``ru_maxrss`` of the children, which run the job). The naive rate is measured on a few
records rendered one by one by ``service.produce.render_document`` and extrapolated.
Allegato G has no stamp template yet: it is reported as naive only ("not served").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
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


def _job(tipo: str, records: list[dict], processi: int, tmp: Path) -> tuple[float, int, float]:
    """Run one job in a child process; (seconds, pages, peak RSS MB of that process tree)."""
    src = tmp / f"{tipo}-{processi}.json"
    src.write_text(json.dumps(records))
    env = {**os.environ, "CURIT_BATCH_DIR": str(tmp / f"lavori-{tipo}-{processi}"),
           "CURIT_DB_URL": f"sqlite:///{tmp / f'db-{tipo}-{processi}.sqlite'}", "CURIT_BATCH_RECORD_PER_BLOCCO": "500"}
    subprocess.run([sys.executable, "-c", f"from archive.db import upgrade; upgrade({env['CURIT_DB_URL']!r})"],
                   env=env, check=True, cwd=ROOT)
    t = time.perf_counter()
    script = ("import json,resource,sys;from service.cli import main;sys.argv=['curit-docs','batch',"
              f"{tipo!r},{str(src)!r},'--processi','{processi}'];"
              "\ntry:\n main()\nfinally:\n print('RSS',resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
              "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=ROOT)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(r.stderr[-2000:])
    esito = json.loads(r.stderr[r.stderr.index("{"):r.stderr.rindex("}") + 1])
    rss = max(int(v) for v in r.stderr.rsplit("RSS", 1)[1].split()[:2]) / 1024
    return dt, esito["pagine"], rss


def _naive(code: str, data: dict, n: int = 3) -> float:
    """Seconds per record with one WeasyPrint render per record (after one warm-up)."""
    from service.produce import render_document

    render_document(code, data)
    t = time.perf_counter()
    for _ in range(n):
        render_document(code, data)
    return (time.perf_counter() - t) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targhe", type=int, default=5000, help="impianti (2 plates each)")
    ap.add_argument("--lettere", type=int, default=10000)
    ap.add_argument("--salva", action="store_true")
    a = ap.parse_args()
    from service.documents.batch import esempio_lettera
    from service.registry import get_document_type

    righe = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        naive_lettera = _naive("lettera-esito", esempio_lettera())
        naive_targa = _naive("targhe", _impianti(1)) / 2
        naive_g = _naive("allegato-g", get_document_type("allegato-g").example())
        righe.append(("allegato-g", "naive WeasyPrint", 1, "-", f"{1 / naive_g:.2f}", "-", "not served by the stamp engine"))
        for tipo, records, naive in (("targhe", _impianti(a.targhe), naive_targa), ("esiti", _rapporti(a.lettere), naive_lettera)):
            if not records:
                continue
            unit = "plates" if tipo == "targhe" else "letters"
            n_unit = len(records) * 2
            righe.append((tipo, "naive WeasyPrint", 1, f"{n_unit * naive:.0f} (extrap.)", f"{1 / naive:.1f}", "-", ""))
            for p in (1, 2):
                dt, pagine, rss = _job(tipo, records, p, tmp)
                righe.append((tipo, f"stamped job, {n_unit} {unit} / {pagine} pages", p, f"{dt:.1f}",
                              f"{n_unit / dt:.0f}", f"{rss:.0f}", f"{(n_unit / dt) * naive:.0f}x naive"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    head = f"{platform.node()} · {os.cpu_count()} cores · {date.today()} · commit {commit} · load {os.getloadavg()[0]:.1f}"
    table = ["| kind | how | processes | wall s | units/s | peak RSS MB | note |", "|---|---|---|---|---|---|---|"]
    table += ["| " + " | ".join(str(c) for c in r) + " |" for r in righe]
    print(head)
    print("\n".join(table))
    if a.salva:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as f:
            f.write(f"\n## bench_batch\n\n{head}\n\n" + "\n".join(table) + "\n")


if __name__ == "__main__":
    main()
