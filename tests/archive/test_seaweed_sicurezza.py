"""The embedded SeaweedFS below S3: filer/volume closed, never outlives its starter, one per data folder."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import urllib3

from archive.errors import StorageError
from archive.objectstore import ObjectStore, S3Config
from archive.seaweed import EmbeddedSeaweed

KEY, SECRET = "curitsic", "curit-sicurezza-0123456789"
PDF = b"%PDF-1.7\n% documento sotto conservazione\n" + b"z" * 3000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedSeaweed]:
    server = EmbeddedSeaweed(tmp_path_factory.mktemp("sic") / "seaweedfs", KEY, SECRET, pubblica=True).start()
    try:
        yield server
    finally:
        server.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


def _wait_dead(pid: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return False


def test_filer_refuses_unsigned_delete_put_and_get(weed: EmbeddedSeaweed) -> None:
    store = ObjectStore(S3Config(weed.endpoint, KEY, SECRET, f"sic-{uuid.uuid4().hex[:8]}", retries=0))
    store.ensure_bucket()
    stored = store.put("ente/doc.pdf", PDF, retain_until=date(2033, 7, 31))
    assert (weed.data_dir / "security.toml").stat().st_mode & 0o077 == 0
    assert weed.data_dir.stat().st_mode & 0o077 == 0

    filer = f"http://127.0.0.1:{weed.ports.http['filer']}/buckets/{store.bucket}/ente"
    http = urllib3.PoolManager(retries=False)
    attacks = [
        ("DELETE", f"{filer}/doc.pdf.versions?recursive=true", None),   # removed a COMPLIANCE version before
        ("PUT", f"{filer}/doc.pdf", b"%PDF-1.7 bytes replaced"),        # replaced the bytes before
        ("POST", f"{filer}/altro.pdf", b"%PDF-1.7 nuovo"),
        ("GET", f"{filer}/doc.pdf", None),                               # handed out any PDF before
        ("GET", f"{filer}/doc.pdf.versions/?pretty=y", None),            # listed the versions before
    ]
    for method, url, body in attacks:
        answer = http.request(method, url, body=body)
        assert answer.status == 401, (method, url, answer.status, answer.data[:200])
        assert b"%PDF" not in answer.data

    # the volume server refuses unsigned writes and deletes of a file id the master hands out
    assigned = json.loads(http.request("GET", f"http://127.0.0.1:{weed.ports.http['master']}/dir/assign").data)
    volume = f"http://{assigned['url']}/{assigned['fid']}"
    assert http.request("PUT", volume, body=b"x").status == 401
    assert http.request("DELETE", volume).status == 401

    # through S3 everything is intact
    assert store.versions("ente/doc.pdf") == [stored.version_id]
    assert store.get("ente/doc.pdf", stored.version_id) == PDF
    assert store.retention("ente/doc.pdf", stored.version_id).mode == "COMPLIANCE"


def test_isolated_server_exposes_only_s3(tmp_path: Path) -> None:
    """``serve`` and the CLI run it isolated: the master (whose HTTP ``/col/delete`` needs no
    signature), volume, filer and every gRPC port live in a network namespace of their own."""
    server = EmbeddedSeaweed(tmp_path / "seaweedfs", KEY, SECRET, isolata=True, pubblica=True).start()
    try:
        assert server.isolamento_attivo, "network namespaces unavailable: the isolation is not tested"
        store = ObjectStore(S3Config(server.endpoint, KEY, SECRET, f"iso-{uuid.uuid4().hex[:8]}", retries=0))
        store.ensure_bucket()
        stored = store.put("ente/doc.pdf", PDF, retain_until=date(2033, 7, 31))
        http = urllib3.PoolManager(retries=False, timeout=2)
        for name in ("master", "volume", "filer", "admin"):
            with pytest.raises(urllib3.exceptions.HTTPError):
                http.request("GET", f"http://127.0.0.1:{server.ports.http[name]}/col/delete?collection={store.bucket}")
        for name, port in server.ports.grpc.items():
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
        other = EmbeddedSeaweed(server.data_dir, KEY, SECRET).start()  # a CLI command attaches through S3
        assert other.attached and other.endpoint == server.endpoint
        assert ObjectStore(S3Config(other.endpoint, KEY, SECRET, store.bucket)).get("ente/doc.pdf") == PDF
        other.stop()
        assert store.versions("ente/doc.pdf") == [stored.version_id]
    finally:
        server.stop()


def test_second_starter_attaches_to_the_published_server(weed: EmbeddedSeaweed) -> None:
    other = EmbeddedSeaweed(weed.data_dir, KEY, SECRET).start()
    assert other.attached and other.pid == weed.pid and other.endpoint == weed.endpoint
    published = json.loads((weed.data_dir / "istanza.json").read_text())
    assert published["pid"] == weed.pid and published["endpoint"] == weed.endpoint
    assert (weed.data_dir / "istanza.json").stat().st_mode & 0o077 == 0
    other.stop()  # an attached user never stops the server
    assert weed.running()
    ObjectStore(S3Config(weed.endpoint, KEY, SECRET, f"sic-{uuid.uuid4().hex[:8]}", retries=0)).ensure_bucket()


def test_unpublished_server_is_not_shared_and_not_started_twice(tmp_path: Path) -> None:
    owner = EmbeddedSeaweed(tmp_path / "seaweedfs", KEY, SECRET).start()  # a CLI command: not published
    try:
        assert not (tmp_path / "seaweedfs" / "istanza.json").exists()
        with pytest.raises(StorageError, match="in uso da un altro processo"):
            EmbeddedSeaweed(tmp_path / "seaweedfs", KEY, SECRET, ready_timeout=1.0).start()
    finally:
        owner.stop()
    again = EmbeddedSeaweed(tmp_path / "seaweedfs", KEY, SECRET).start()  # free again once it stopped
    try:
        assert not again.attached and again.running()
    finally:
        again.stop()


_STARTER = textwrap.dedent("""
    import json, sys, threading, time
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from archive.seaweed import EmbeddedSeaweed

    box = {{}}
    def start():
        box["weed"] = EmbeddedSeaweed(Path({data!r}), {key!r}, {secret!r}, isolata={isolata!r}).start()
    t = threading.Thread(target=start)
    t.start()
    t.join()  # the thread that forked the server is gone now
    print(json.dumps({{"pid": box["weed"].pid}}), flush=True)
    time.sleep(600)
""")


@pytest.mark.parametrize("isolata", [False, True], ids=["loopback", "isolata"])
def test_server_dies_with_its_starter_even_when_a_thread_started_it(tmp_path: Path, isolata: bool) -> None:
    script = _STARTER.format(root=str(Path(__file__).resolve().parents[2]), data=str(tmp_path / "seaweedfs"),
                             key=KEY, secret=SECRET, isolata=isolata)
    starter = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = starter.stdout.readline()  # type: ignore[union-attr]
        assert line, "the starter did not report the server"
        pid = json.loads(line)["pid"]
        time.sleep(1.5)
        assert _alive(pid), "the server died with the starting thread, not with the process"
        starter.send_signal(signal.SIGKILL)
        starter.wait(timeout=10)
        assert _wait_dead(pid), "the server outlived the process that started it"
    finally:
        if starter.poll() is None:
            starter.kill()
            starter.wait(timeout=10)


def test_a_port_taken_after_the_choice_is_chosen_again(tmp_path: Path) -> None:
    """Another process binds one of the ports between the choice and ``weed``'s bind (a parallel
    test, another server): the start notices it in weed's log and tries again on new ports."""
    server = EmbeddedSeaweed(tmp_path / "seaweedfs", KEY, SECRET)
    scelta = server.ports.http["volume"]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as ladro:
        ladro.bind(("127.0.0.1", scelta))
        ladro.listen()
        server.start()
        try:
            assert server.running() and server.ports.http["volume"] != scelta
            assert b"Port allocation failed" in (tmp_path / "seaweedfs" / "log" / "weed-mini.out").read_bytes()
            saved = json.loads((tmp_path / "seaweedfs" / "ports.json").read_text())
            assert saved["http"]["volume"] == server.ports.http["volume"]
        finally:
            server.stop()


def test_ports_given_by_the_caller_are_not_changed(tmp_path: Path) -> None:
    from archive.seaweed import SeaweedPorts

    porte = SeaweedPorts()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as ladro:
        ladro.bind(("127.0.0.1", porte.http["filer"]))
        ladro.listen()
        with pytest.raises(StorageError, match="porta è occupata"):
            EmbeddedSeaweed(tmp_path / "seaweedfs", KEY, SECRET, ports=porte, ready_timeout=60).start()
    assert not (tmp_path / "seaweedfs" / "istanza.json").exists()
