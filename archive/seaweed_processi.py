"""Ports and processes of the local S3 servers: free loopback ports, waiting until S3 answers,
and the supervision that keeps ``weed`` from outliving its starter.

Used by :class:`archive.seaweed.EmbeddedSeaweed` (and, for ports and readiness, by
:class:`archive.ceph_dev.CephDev`). The server never outlives its starter: PR_SET_PDEATHSIG
(:func:`die_with_parent`, only from the main thread) and, whatever thread started it, a watchdog
process (:func:`start_watchdog`) that stops it when the starter's pipe closes.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from archive.errors import StorageError

__all__ = ["free_port", "port_is_free", "wait_s3_ready", "die_with_parent", "start_watchdog", "pid_alive", "is_weed"]


_PORTE_LIBERE = (20000, 32000)
"""Where :func:`free_port` looks: below Linux's ephemeral range (32768-60999), so an outgoing
connection of any process cannot take the port between the choice and ``weed``'s bind."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now (chosen at random below the
    ephemeral range; a clash with another starter is still possible: :meth:`EmbeddedSeaweed.start`
    retries with new ports when ``weed`` reports one)."""
    for _ in range(200):
        port = secrets.randbelow(_PORTE_LIBERE[1] - _PORTE_LIBERE[0]) + _PORTE_LIBERE[0]
        if port_is_free(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    """True when ``port`` on 127.0.0.1 can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", int(port)))
        except OSError:
            return False
        return True


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


def die_with_parent() -> None:
    """Linux: SIGTERM the server when the thread that started it dies, so a killed
    ``curit-docs`` never leaves an orphan ``weed`` holding the data directory's locks.
    (Only used from the main thread: the signal follows the starting thread, not the process.)"""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


_PR_SET_PDEATHSIG = 1

_WATCHDOG = """
import os, select, signal, sys
try:
    fd = os.pidfd_open(int(sys.argv[1]))
except OSError:
    sys.exit(0)
while sys.stdin.buffer.read(65536):
    pass
try:
    signal.pidfd_send_signal(fd, signal.SIGTERM)
except ProcessLookupError:
    sys.exit(0)
poll = select.poll()
poll.register(fd, select.POLLIN)
if not poll.poll(15000):
    try:
        signal.pidfd_send_signal(fd, signal.SIGKILL)
    except ProcessLookupError:
        pass
"""
"""Holds the read end of a pipe whose write end only the starter has: EOF means the starter
is gone (exit, crash, SIGKILL), whichever thread started the server. A pidfd names the
server, so a recycled pid is never signalled."""


def start_watchdog(pid: int) -> subprocess.Popen[bytes]:
    """A watchdog process that stops ``pid`` when its stdin (held by the starter) closes."""
    return subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(pid)], stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def pid_alive(pid: int) -> bool:
    """True while a process with this pid exists (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_weed(pid: int) -> bool:
    """True when the process ``pid`` runs a ``weed`` executable."""
    try:
        return b"weed" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
    except OSError:
        return False
