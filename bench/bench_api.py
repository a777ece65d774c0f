"""Load test on loopback: ``curit-docs serve`` + a bounded httpx client (N concurrent, fixed count).

Measures p50/p99 latency and throughput for rendering a filled Allegato G
(``POST /documenti/allegato-g/pdf``) and for archive search (``GET /archivio/documenti``)
over 200 archived documents. Prints a table and appends it to ``bench/RESULTS.md``.

    python -m bench.bench_api [--richieste 200] [--concorrenza 8]
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
from datetime import date, datetime, timedelta
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
from service.archivio import apri_archivio, MetadatiDocumento
from service.settings import get_settings
pdf = open({str(base / 'g.pdf')!r}, 'rb').read()
with apri_archivio(get_settings()) as a:
    for i in range({n}):
        a.archivia(pdf, MetadatiDocumento(tipo='allegato-g', data_documento=date(2025, 10, 1) + timedelta(days=i % 150),
                   codice_impianto='020066IN%07d' % (i % 40 + 1), ente='provincia-mantova', cait='CAIT-MN-01',
                   documento_id='bench-%05d' % i))
"""
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT, timeout=900)


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
                    raise SystemExit(f"{percorso}: {r.status_code} {r.text[:300]}")
        t0 = time.perf_counter()
        await asyncio.gather(*(lavoratore() for _ in range(concorrenza)))
        return lat, time.perf_counter() - t0


def _pct(v: list[float], p: float) -> float:
    s = sorted(v)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--richieste", type=int, default=200)
    ap.add_argument("--concorrenza", type=int, default=8)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-api-"))
    env = {**os.environ, "CURIT_VAR_DIR": str(base / "var"), "CURIT_DB_URL": f"sqlite:///{base / 'var' / 'curit.db'}",
           "CURIT_SECRET_KEY": "bench", "CURIT_BATCH_DIR": str(base / "lavori"), "CURIT_TOKEN_MINUTI": "120",
           "CURIT_DEMO": "1"}  # demo users and self-signed identities (production creates neither)
    esempio = json.loads(_cli(env, "esempio", "allegato-g"))
    (base / "g.json").write_text(json.dumps(esempio))
    _cli(env, "render", "allegato-g", str(base / "g.json"), "-o", str(base / "g.pdf"))
    _semina(env, base, 200)
    port = _porta()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([str(Path(sys.executable).with_name("curit-docs")), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/salute", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(f"{url}/auth/token", data={"username": "ente.mantova", "password": "curit-demo"}).json()["access_token"]
        casi = [("render G compilato", "POST", "/documenti/allegato-g/pdf", esempio, max(20, args.richieste // 4)),
                ("ricerca archivio", "GET", "/archivio/documenti?limite=50&stagione=2025/2026", None, args.richieste)]
        righe = []
        for nome, metodo, percorso, corpo, n in casi:
            asyncio.run(_carico(url, token, metodo, percorso, corpo=corpo, n=args.concorrenza, concorrenza=args.concorrenza))
            lat, durata = asyncio.run(_carico(url, token, metodo, percorso, corpo=corpo, n=n, concorrenza=args.concorrenza))
            righe.append(f"| {nome} | {n} | {args.concorrenza} | {_pct(lat, 50):.0f} | {_pct(lat, 99):.0f} | {n / durata:.1f} |")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    testa = (f"\n## bench_api: loopback load test ({datetime.now():%Y-%m-%d %H:%M}, commit {commit})\n\n"
             f"Machine: {platform.machine()}, {os.cpu_count()} CPU, {platform.platform()}, Python {platform.python_version()}; "
             f"one uvicorn worker (`curit-docs serve`), SQLite + embedded SeaweedFS, client httpx on the same host.\n\n"
             "| operation | requests | concurrency | p50 ms | p99 ms | req/s |\n|---|---|---|---|---|---|\n")
    tabella = testa + "\n".join(righe) + "\n"
    print(tabella)
    with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as fh:
        fh.write(tabella)


if __name__ == "__main__":
    main()
