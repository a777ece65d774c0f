"""A server command → the same server in its own network namespace, reachable only through
one unix socket that a loopback relay in this process exposes.

Used by :class:`archive.seaweed.EmbeddedSeaweed` (``isolata=True``): ``weed mini`` then
listens on a loopback of its own, so its master, volume, filer and gRPC ports cannot be
reached by any other process of the host (SeaweedFS's master HTTP answers
``/col/delete`` without authentication); only the S3 API is exposed, through
``s3.sock`` in the 0700 data folder and :class:`Relay` on 127.0.0.1, and S3 requires
signed requests. Linux only: ``unshare(CLONE_NEWNET)`` (as root) or
``unshare(CLONE_NEWUSER | CLONE_NEWNET)`` (unprivileged user namespaces).
"""

from __future__ import annotations

import functools
import logging
import socket
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["isolamento_disponibile", "comando_isolato", "Relay"]

log = logging.getLogger(__name__)

_LANCIATORE = r"""
import ctypes, fcntl, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
uid, gid = os.getuid(), os.getgid()
CLONE_NEWNET, CLONE_NEWUSER = 0x40000000, 0x10000000
if libc.unshare(CLONE_NEWNET if uid == 0 else CLONE_NEWNET | CLONE_NEWUSER) != 0:
    sys.stderr.write("isolamento: unshare errno %d\n" % ctypes.get_errno())
    sys.exit(97)
if uid != 0:
    for name, text in (("setgroups", "deny"), ("uid_map", "0 %d 1" % uid), ("gid_map", "0 %d 1" % gid)):
        with open("/proc/self/" + name, "w") as fh:
            fh.write(text)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(s, 0x8914, struct.pack("16sh14x", b"lo", 0x1 | 0x8 | 0x40))  # SIOCSIFFLAGS lo UP|LOOPBACK|RUNNING
s.close()
os.execv(sys.argv[1], sys.argv[1:])
"""
"""Runs in the child: new network namespace (and user namespace when not root), loopback up,
then ``exec`` of the server, which keeps this pid."""


def comando_isolato(cmd: list[str]) -> list[str]:
    """``cmd`` run in a network namespace of its own (same pid after exec)."""
    return [sys.executable, "-I", "-S", "-c", _LANCIATORE, *cmd]


@functools.lru_cache(maxsize=1)
def isolamento_disponibile() -> bool:
    """Whether this kernel lets this user create a network namespace (checked once)."""
    try:
        done = subprocess.run(comando_isolato(["/bin/true"]), capture_output=True, timeout=20,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return False
    if done.returncode != 0:
        log.warning("Spazio di rete separato non disponibile (%s)", done.stderr.decode(errors="replace").strip())
    return done.returncode == 0


class Relay:
    """127.0.0.1:``port`` → the unix socket ``destinazione``: each TCP connection is piped,
    byte for byte, to a new connection to the socket (HTTP, SigV4 signatures untouched)."""

    def __init__(self, port: int, destinazione: Path) -> None:
        self.destinazione = str(destinazione)
        self._server = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self.port = self._server.getsockname()[1]
        self._chiuso = threading.Event()
        self._aperte: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accetta, name=f"relay-s3-{self.port}", daemon=True).start()

    def _accetta(self) -> None:
        while not self._chiuso.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._servi, args=(client,), daemon=True).start()

    def _servi(self, client: socket.socket) -> None:
        try:
            up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            up.connect(self.destinazione)
        except OSError:
            client.close()  # the server is not (yet) there: the client sees a closed connection
            return
        with self._lock:
            self._aperte.update((client, up))
        threading.Thread(target=_pompa, args=(client, up), daemon=True).start()
        _pompa(up, client)
        with self._lock:
            self._aperte.difference_update((client, up))
        for s in (client, up):
            s.close()

    def close(self) -> None:
        self._chiuso.set()
        try:
            self._server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._server.close()
        with self._lock:
            aperte, self._aperte = list(self._aperte), set()
        for s in aperte:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _pompa(da: socket.socket, a: socket.socket) -> None:
    try:
        while chunk := da.recv(262144):
            a.sendall(chunk)
    except OSError:
        pass
    finally:
        try:
            a.shutdown(socket.SHUT_WR)
        except OSError:
            pass
