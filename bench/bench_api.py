"""API load test on loopback: ``curit-docs serve --demo`` + a bounded httpx client (N concurrent, fixed count).

    make bench-api                              # or: .venv/bin/python -m bench api
    python bench/bench_api.py [--richieste 200] [--concorrenza 8] [--processi N] [--salva]

Measures, in one run on an empty ``var/`` with production defaults apart from ``--demo`` (users,
demo signing identities):

- issuing a filled Allegato G (``POST /documenti/allegato-g/pdf``: validate, render the three
  copies, sign, archive, index) with 1 client (p50, p99) and with ``--concorrenza`` clients (G/s);
- the naive baseline in the same run: the same G laid out in full by WeasyPrint and signed, one
  after the other in this process (G/s);
- archive search (``GET /archivio/documenti``) over 200 archived documents.

The server renders and signs in ``--processi`` worker processes (default: its cores). Prints one
table; ``--salva`` appends it to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _porta() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(env: dict[str, str], *args: str) -> bytes:
    exe = Path(sys.executable).with_name("curit-docs")
    return subprocess.run([str(exe), *args], env=env, capture_output=True, check=True, timeout=600).stdout


def _semina(env: dict[str, str], base: Path, n: int) -> None:
    """n archived documents (same bytes, distinct ids and dates) through ``curit-docs archivia``'s code."""
    code = f"""
import sys
from datetime import date, timedelta
from service.archivio import MetadatiDocumento
from service.archivio_apertura import apri_archivio
from service.settings import get_settings
pdf = open({str(base / 'g.pdf')!r}, 'rb').read()
with apri_archivio(get_settings()) as a:
    for i in range({n}):
        a.archivia(pdf, MetadatiDocumento(tipo='allegato-g', data_documento=date(2025, 10, 1) + timedelta(days=i % 150),
                   codice_impianto='020066IN%07d' % (i % 40 + 1), ente='provincia-mantova', cait='CAIT-MN-01',
                   documento_id='bench-%05d' % i))
"""
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT, timeout=900)


url_log = ""


async def _carico(url: str, token: str, metodo: str, percorso: str, *, corpo: object | None, n: int,
                  concorrenza: int) -> tuple[list[float], float]:
    lat: list[float] = []
    coda = asyncio.Queue()
    for _ in range(n):
        coda.put_nowait(None)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        async def lavoratore() -> None:
            while not coda.empty():
                coda.get_nowait()
                t0 = time.perf_counter()
                r = await client.request(metodo, percorso, json=corpo)
                lat.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    raise SystemExit(f"{percorso}: {r.status_code} {r.text[:300]} (log del server: {url_log})")
        t0 = time.perf_counter()
        await asyncio.gather(*(lavoratore() for _ in range(concorrenza)))
        return lat, time.perf_counter() - t0


def _naive(env: dict[str, str], esempio: dict) -> tuple[int, float]:
    """(documents, seconds per G): full WeasyPrint layout + PAdES signature, in a child process
    with the bench's settings, after one warm-up render."""
    code = f"""
import json, sys, time
from service.emissione import Emissione
from service.produce import render_document
from service.settings import get_settings
dati = json.loads({json.dumps(json.dumps(esempio))})
s = get_settings().model_copy(update={{"demo": True}})
e = Emissione(s)
f = e.firmatario("provincia-mantova")
from service.firma import firma_documento
import inspect
pieno = {{"completo": True}} if "completo" in inspect.signature(render_document).parameters else {{}}
render_document("allegato-g", dati, settings=s, **pieno)
n = 4
t = time.perf_counter()
for _ in range(n):
    firma_documento(render_document("allegato-g", dati, settings=s, **pieno), f, settings=s)
print(n, (time.perf_counter() - t) / n)
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=ROOT, timeout=900).stdout.split()
    return int(out[-2]), float(out[-1])


def _pct(v: list[float], p: float) -> float:
    s = sorted(v)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000


def _cpu_albero(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` and every descendant, from /proc."""
    figli: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            campi = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        figli.setdefault(int(campi[1]), []).append(int(d.name))
        cpu[int(d.name)] = (int(campi[11]) + int(campi[12])) / tick
    totale, coda = 0.0, [pid]
    while coda:
        p = coda.pop()
        totale += cpu.get(p, 0.0)
        coda.extend(figli.get(p, []))
    return totale


def _attendi_quiete(pid: int, limite: float = 600.0) -> float:
    """Wait until the server's process tree uses under 5 % of a core for 3 s (its warm-up over);
    seconds waited since its start."""
    t0 = time.perf_counter()
    prima, calme = _cpu_albero(pid), 0
    while time.perf_counter() - t0 < limite:
        time.sleep(1.0)
        ora = _cpu_albero(pid)
        calme = calme + 1 if ora - prima < 0.05 else 0
        prima = ora
        if calme >= 3:
            break
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--richieste", type=int, default=200)
    ap.add_argument("--concorrenza", type=int, default=8)
    ap.add_argument("--processi", type=int, default=None, help="worker processes of the server (default: its cores)")
    ap.add_argument("--salva", action="store_true")
    ap.add_argument("--caldo", action="store_true",
                    help="measure once the server's warm-up is over (its processes idle), not from its cold start")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-api-"))
    env = {**os.environ, "CURIT_VAR_DIR": str(base / "var"), "CURIT_DB_URL": f"sqlite:///{base / 'var' / 'curit.db'}",
           "CURIT_SECRET_KEY": "bench", "CURIT_BATCH_DIR": str(base / "lavori"), "CURIT_TOKEN_MINUTI": "120",
           "CURIT_DEMO": "1", "CURIT_DEMO_DOCUMENTI": "0"}  # demo users and self-signed identities (production creates neither)
    esempio = json.loads(_cli(env, "esempio", "allegato-g"))
    (base / "g.json").write_text(json.dumps(esempio))
    _cli(env, "render", "allegato-g", str(base / "g.json"), "-o", str(base / "g.pdf"))
    _semina(env, base, 200)
    port = _porta()
    url = f"http://127.0.0.1:{port}"
    naive = _naive(env, esempio)
    comando = [str(Path(sys.executable).with_name("curit-docs")), "serve", "--demo", "--port", str(port)]
    if args.processi is not None:
        comando += ["--processi", str(args.processi)]
    t_avvio = time.perf_counter()
    global url_log
    url_log = str(base / "serve.log")
    log = (base / "serve.log").open("wb")
    proc = subprocess.Popen(comando, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(1500):
            try:
                if httpx.get(f"{url}/salute", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        avvio = time.perf_counter() - t_avvio
        quiete = _attendi_quiete(proc.pid) if args.caldo else None
        token = httpx.post(f"{url}/auth/token", data={"username": "ente.mantova", "password": "curit-demo"}).json()["access_token"]
        emissione = ("POST", "/documenti/allegato-g/pdf", esempio)
        casi = [("emissione G compilato (valida, 3 copie, firma, archivio)", *emissione, 30, 1),
                ("emissione G compilato (valida, 3 copie, firma, archivio)", *emissione,
                 max(40, args.richieste // 2), args.concorrenza),
                ("ricerca archivio", "GET", "/archivio/documenti?limite=50&stagione=2025/2026", None, args.richieste,
                 args.concorrenza)]
        righe = [f"| naive: G in full WeasyPrint layout + signature, one after the other, this process | "
                 f"{naive[0]} | 1 | {naive[1] * 1000:.0f} | – | {1 / naive[1]:.2f} |"]
        for nome, metodo, percorso, corpo, n, conc in casi:
            asyncio.run(_carico(url, token, metodo, percorso, corpo=corpo, n=2 * conc, concorrenza=conc))  # warm-up
            lat, durata = asyncio.run(_carico(url, token, metodo, percorso, corpo=corpo, n=n, concorrenza=conc))
            righe.append(f"| {nome} | {n} | {conc} | {_pct(lat, 50):.0f} | {_pct(lat, 99):.0f} | {n / durata:.1f} |")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    processi = args.processi if args.processi is not None else len(os.sched_getaffinity(0))
    testa = (f"\n### bench_api — loopback load test, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}\n\n"
             f"Machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, load average at "
             f"the end {load}; `curit-docs serve --demo` (one uvicorn process + {processi} worker processes that "
             f"render and sign, warming their templates in the background; answering after {avvio:.1f} s"
             + (f"; measured once its processes were idle, {quiete:.0f} s after the start, the warm-up over" if quiete else
                "; measured from then on, the warm-up still running") + "), SQLite + embedded SeaweedFS, empty var/, "
             "httpx client on the same host (it shares the 2 cores).\n\n"
             "| operation | requests | concurrency | p50 ms | p99 ms | req/s |\n|---|---|---|---|---|---|\n")
    tabella = testa + "\n".join(righe) + "\n"
    print(tabella)
    if args.salva:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write(tabella)


if __name__ == "__main__":
    main()
