"""Scale-out over a real network: two Celery workers, each in its own network namespace (its own
"machine": no loopback service is reachable from there), reach Redis, PostgreSQL and S3 over veth
links to a bridge on the host, and the merged print file of the job equals the one-machine run.

The test makes everything and removes it: a bridge with an address in a private range nobody on
this host uses, two namespaces with a veth each, a redis-server, a PostgreSQL cluster (own
``initdb`` in a temporary directory, as the ``postgres`` user) and a SeaweedFS, all three bound to
the bridge address only. The client is ``curit-docs batch … --distribuito`` on the host, talking
to the same services over the bridge. Needs root (``ip netns``); it fails, never skips, without.
"""

from __future__ import annotations

import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from archive.db import upgrade
from archive.seaweed import EmbeddedSeaweed
from archive.seaweed_processi import free_port
from tests.service.batch.conftest import S3_KEY, S3_SECRET, VENV_BIN

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("s3")]

CLI = str(VENV_BIN / "curit-docs")


def _ip(*args: str, ns: str | None = None) -> None:
    cmd = ["ip", *args] if ns is None else ["ip", "netns", "exec", ns, "ip", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")


def _rete_libera() -> str:
    """A 10.x.y.0/24 that no interface of this host uses."""
    usate = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    for _ in range(50):
        rete = f"10.{random.randint(160, 250)}.{random.randint(1, 250)}"
        if f" {rete}." not in usate:
            return rete
    raise RuntimeError("nessuna sottorete privata libera")


@dataclass
class Rete:
    host: str
    """The bridge address: the only address the services listen on."""
    namespaces: list[str]


@pytest.fixture(scope="module")
def rete() -> Iterator[Rete]:
    if os.geteuid() != 0:
        pytest.fail("Il test di rete richiede root (ip netns).", pytrace=False)
    sfx = uuid.uuid4().hex[:5]
    base = _rete_libera()
    ponte, namespaces = f"cbr{sfx}", [f"curit-{sfx}-{n}" for n in (1, 2)]
    try:
        _ip("link", "add", ponte, "type", "bridge")
        _ip("addr", "add", f"{base}.1/24", "dev", ponte)
        _ip("link", "set", ponte, "up")
        for n, ns in enumerate(namespaces, start=1):
            _ip("netns", "add", ns)
            host_side, ns_side = f"cvh{sfx}{n}", f"cvn{sfx}{n}"
            _ip("link", "add", host_side, "type", "veth", "peer", "name", ns_side)
            _ip("link", "set", ns_side, "netns", ns)
            _ip("link", "set", host_side, "master", ponte)
            _ip("link", "set", host_side, "up")
            _ip("addr", "add", f"{base}.{10 + n}/24", "dev", ns_side, ns=ns)
            _ip("link", "set", ns_side, "up", ns=ns)  # lo stays down: no loopback service in there
        yield Rete(f"{base}.1", namespaces)
    finally:
        for ns in namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)  # takes its veth pair along
        subprocess.run(["ip", "link", "del", ponte], capture_output=True)


def _attendi_porta(host: str, port: int, timeout: float = 60) -> None:
    fine = time.monotonic() + timeout
    while time.monotonic() < fine:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{host}:{port} non risponde")


@pytest.fixture(scope="module")
def redis_rete(rete: Rete, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--bind", rete.host, "--port", str(port), "--save", "",
                             "--appendonly", "no", "--protected-mode", "no",
                             "--dir", str(tmp_path_factory.mktemp("redis"))],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _attendi_porta(rete.host, port)
        yield f"redis://{rete.host}:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def postgres_rete(rete: Rete, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Its own PostgreSQL cluster in a temporary directory, listening on the bridge only."""
    initdb, postgres = shutil.which("initdb"), shutil.which("postgres")
    if not (initdb and postgres):
        pytest.fail("initdb/postgres non trovati (PostgreSQL server).", pytrace=False)
    utente = pwd.getpwnam("postgres")
    radice = Path(tempfile.mkdtemp(prefix="curit-pg-rete-"))  # pytest's tmp dirs are root-only (0700)
    dati = radice / "dati"
    dati.mkdir()
    for p in (radice, dati):
        os.chown(p, utente.pw_uid, utente.pw_gid)
    da_postgres = ["runuser", "-u", "postgres", "--"]
    try:
        subprocess.run([*da_postgres, initdb, "-D", str(dati), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-sync"], check=True, capture_output=True, timeout=120)
    except BaseException:
        shutil.rmtree(radice, ignore_errors=True)
        raise
    (dati / "pg_hba.conf").write_text(f"host all all {rete.host.rsplit('.', 1)[0]}.0/24 trust\n")
    port = free_port()
    proc = subprocess.Popen([*da_postgres, postgres, "-D", str(dati), "-p", str(port), "-c",
                             f"listen_addresses={rete.host}", "-c", f"unix_socket_directories={dati}",
                             "-c", "fsync=off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _attendi_porta(rete.host, port)
        url = f"postgresql+psycopg://postgres@{rete.host}:{port}/postgres"
        for _ in range(50):  # accepting connections a moment after the port opens
            try:
                upgrade(url)
                break
            except Exception:
                time.sleep(0.3)
        else:
            upgrade(url)
        yield url
    finally:
        subprocess.run([*da_postgres, shutil.which("pg_ctl") or "pg_ctl", "-D", str(dati), "stop", "-m", "fast", "-w"],
                       capture_output=True, timeout=120)
        try:
            proc.wait(timeout=60)
        finally:
            shutil.rmtree(radice, ignore_errors=True)


class _SeaweedSulPonte(EmbeddedSeaweed):
    """The embedded SeaweedFS, listening on the bridge address instead of loopback."""

    def __init__(self, *args, host: str, **kw) -> None:
        super().__init__(*args, **kw)
        self.host = host

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.ports.http['s3']}"

    def _command(self) -> list[str]:
        return [a.replace("127.0.0.1", self.host) if a.startswith("-ip") else a for a in super()._command()]


@pytest.fixture(scope="module")
def s3_rete(rete: Rete, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _SeaweedSulPonte(tmp_path_factory.mktemp("weed-rete") / "data", S3_KEY, S3_SECRET, host=rete.host) as weed:
        yield weed.endpoint


def _impianti(n: int) -> list[dict[str, object]]:
    comuni = [("019036", "Cremona"), ("020066", "Viadana"), ("015146", "Milano")]
    return [{"codice_impianto": f"{comuni[i % 3][0]}{'CT' if i % 2 else 'IN'}{i + 1:07d}",
             "indirizzo": "Via Giuseppe Verdi", "civico": str(i % 90 + 1), "comune": comuni[i % 3][1],
             "ente_id": None} for i in range(n)]


def test_two_workers_in_their_own_namespaces_give_the_one_machine_bytes(
        rete: Rete, redis_rete: str, postgres_rete: str, s3_rete: str, tmp_path: Path) -> None:
    sorgente = tmp_path / "impianti.json"
    sorgente.write_text(json.dumps(_impianti(80)))
    base = {k: v for k, v in os.environ.items() if not k.startswith("CURIT_")}
    base.update({"CURIT_FIRMA_OUTPUT": "0", "CURIT_STAMPA_CACHE_DIR": str(tmp_path / "cache"),
                 "CURIT_IDENTITA_DIR": str(tmp_path / "identita")})

    # one machine: local processes, own SQLite
    locale = {**base, "CURIT_BATCH_DIR": str(tmp_path / "locale"), "CURIT_DB_URL": f"sqlite:///{tmp_path / 'l.db'}"}
    r = subprocess.run([CLI, "batch", "targhe", str(sorgente), "-o", str(tmp_path / "rif"), "--processi", "2"],
                       env=locale, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]

    rete_env = {**base, "CURIT_CELERY_BROKER": f"{redis_rete}/0", "CURIT_CELERY_BACKEND": f"{redis_rete}/1",
                "CURIT_DB_URL": postgres_rete, "CURIT_S3_ENDPOINT": s3_rete, "CURIT_S3_ACCESS_KEY": S3_KEY,
                "CURIT_S3_SECRET_KEY": S3_SECRET, "CURIT_BATCH_S3_BUCKET": f"lavori-{uuid.uuid4().hex[:8]}"}
    workers = [subprocess.Popen(["ip", "netns", "exec", ns, CLI, "worker"],
                                env={**rete_env, "CURIT_BATCH_DIR": str(tmp_path / f"macchina-{n}")},
                                stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"worker-{n}.log", "wb"),
                                start_new_session=True)
               for n, ns in enumerate(rete.namespaces, start=1)]
    try:
        r = subprocess.run([CLI, "batch", "targhe", str(sorgente), "--distribuito", "-o", str(tmp_path / "rete")],
                           env={**rete_env, "CURIT_BATCH_DIR": str(tmp_path / "client")},
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(timeout=60)

    assert (tmp_path / "rete" / "stampa.pdf").read_bytes() == (tmp_path / "rif" / "stampa.pdf").read_bytes()
    # both machines printed chunks, in their own directories: the client printed none
    lavoro = next((tmp_path / "client").iterdir()).name
    stampati = [len(list((tmp_path / f"macchina-{n}" / lavoro / "blocchi").glob("blocco-*.pdf")))
                if (tmp_path / f"macchina-{n}" / lavoro / "blocchi").is_dir() else 0 for n in (1, 2)]
    assert all(stampati), (stampati, [(tmp_path / f"worker-{n}.log").read_text()[-1500:] for n in (1, 2)])
    assert not (tmp_path / "client" / lavoro / "blocchi").exists()
    # inside a namespace the host's loopback services do not exist: the workers used the bridge
    r = subprocess.run(["ip", "netns", "exec", rete.namespaces[0], str(VENV_BIN / "python"), "-c",
                        "import socket; socket.create_connection(('127.0.0.1', 6379), timeout=2)"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
