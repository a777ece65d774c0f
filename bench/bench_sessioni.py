"""Cost of server-side sessions and login throttling, against the stateless baseline in the same run.

    python bench/bench_sessioni.py           # print the table
    python bench/bench_sessioni.py --salva   # also append it to bench/RESULTS.md

Per authenticated request the service now verifies the token's HMAC and reads the session row
joined to its user (``utente_della_sessione``); the naive baseline is what it did before: the
HMAC and a read of the user by username. Per login it now also counts failed logins of the
username and of the address and writes a session row and an audit row (``service.sessioni.accedi``);
the baseline is the bare password check (``autentica``), argon2id included in both. SQLite file
and PostgreSQL (``CURIT_TEST_PG``, default 127.0.0.1:5432 trust), 1 process, median of 5 rounds.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from archive.db import make_engine, session_scope  # noqa: E402
from archive.utenti import Utente, apri_sessione, autentica, crea_utente, utente_della_sessione  # noqa: E402
from service.auth import crea_token, leggi_token  # noqa: E402
from service.sessioni import accedi  # noqa: E402
from service.settings import Settings  # noqa: E402

RICHIESTE = 2000
ACCESSI = 40
ROUNDS = 5
PG = os.environ.get("CURIT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _mediana(fn, n: int) -> float:
    tempi = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        tempi.append((time.perf_counter() - start) / n)
    return statistics.median(tempi)


def _misura(url: str, nome: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    key = b"k" * 32
    settings = Settings(db_url=url, secret_key="k", login_tentativi_utente=10**6, login_tentativi_indirizzo=10**6)
    with session_scope(sessions) as s:
        user = crea_utente(s, "bench", "password-bench", "admin")
        for i in range(200):  # other users and a background of audit rows
            crea_utente(s, f"u{i}", "x" * 8, "archivista", password_hash=user.password_hash, ente_id="provincia-mantova")
        sid = apri_sessione(s, user, minuti=600, canale="api").id
    token = crea_token(key, "bench", "admin", minuti=600, sid=sid)

    def stateless() -> None:
        payload = leggi_token(key, token)
        with sessions() as s:
            u = s.scalar(select(Utente).where(Utente.username == payload["sub"]))
            assert u is not None and u.attivo

    def con_sessione() -> None:
        payload = leggi_token(key, token)
        with sessions() as s:
            assert utente_della_sessione(s, payload["sid"], payload["sub"]) is not None

    def login_nudo() -> None:
        with sessions() as s:
            assert autentica(s, "bench", "password-bench") is not None

    def login_completo() -> None:
        accedi(sessions, key, settings, "bench", "password-bench", origine="127.0.0.1", canale="api")

    righe = [
        (f"{nome}: richiesta autenticata, baseline (HMAC + utente per nome)", f"{_mediana(stateless, RICHIESTE) * 1e6:.0f} µs"),
        (f"{nome}: richiesta autenticata, con sessione (HMAC + sessione ⨝ utente)",
         f"{_mediana(con_sessione, RICHIESTE) * 1e6:.0f} µs"),
        (f"{nome}: accesso, baseline (argon2id)", f"{_mediana(login_nudo, ACCESSI) * 1e3:.1f} ms"),
        (f"{nome}: accesso completo (limiti, argon2id, sessione, audit)", f"{_mediana(login_completo, ACCESSI) * 1e3:.1f} ms"),
    ]
    engine.dispose()
    return righe


def main(argv: list[str]) -> int:
    righe: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        righe += _misura(f"sqlite:///{Path(tmp) / 'bench.db'}", "SQLite")
    nome_db = f"curit_bench_{uuid.uuid4().hex[:8]}"
    base, _, _ = PG.rpartition("/")
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{nome_db}"'))
    try:
        righe += _misura(f"{base}/{nome_db}", "PostgreSQL")
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{nome_db}" WITH (FORCE)'))
        admin.dispose()
    tabella = _tabella(righe)
    print(tabella)
    if "--salva" in argv:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write("\n" + tabella + "\n")
    return 0


def _tabella(righe: list[tuple[str, str]]) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    quando = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    carico = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    head = [
        f"### bench_sessioni — {quando}, commit {commit}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, load average at the "
        f"end {carico} (shared with other runs); 1 process, median of {ROUNDS} rounds, {RICHIESTE} requests / "
        f"{ACCESSI} logins per round, 201 users in the table.",
        "",
        "| misura | risultato |",
        "|---|---|",
    ]
    return "\n".join(head + [f"| {a} | {b} |" for a, b in righe])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
