"""Empty directory → a throw-away one-node Ceph cluster with RGW serving S3 on 127.0.0.1.

For development and tests only (production points ``CURIT_S3_ENDPOINT`` at a real
cluster): one monitor, one OSD on ``memstore`` (RAM only, nothing survives a stop),
``radosgw`` with the beast frontend. No manager daemon is needed; cephx is off, and
radosgw then needs ``ms mon client mode = crc``. Each daemon runs in the foreground as a
child process, so :meth:`CephDev.stop` ends exactly the processes it started.

Command line: ``python -m archive.ceph_dev DIR`` starts a cluster, prints the endpoint
and keys as JSON and keeps it running until interrupted.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType

from archive.errors import StorageError
from archive.seaweed_processi import free_port, wait_s3_ready

__all__ = ["CephDev", "ceph_missing"]

log = logging.getLogger(__name__)

_TOOLS = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph")


def ceph_missing() -> list[str]:
    """Names of the Ceph programs that are not installed (empty when all are there)."""
    return [t for t in _TOOLS if shutil.which(t) is None]


_CONF = """\
[global]
fsid = {fsid}
mon host = v2:127.0.0.1:{mon_port}
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
run dir = {d}/run
admin socket = {d}/run/$name.asok
log file = {d}/log/$name.log
pid file = {d}/run/$name.pid
log to stderr = false
err to stderr = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 2000
mon warn on pool no redundancy = false

[mon]
mon data = {d}/mon/$cluster-$id

[osd]
osd data = {d}/osd/$cluster-$id
osd objectstore = memstore
memstore device bytes = {memstore_bytes}
osd max object name len = 460
osd max object namespace len = 64
osd client watch timeout = 4

[client.rgw.dev]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port} tcp_nodelay=1
rgw data = {d}/rgw
rgw enable usage log = false
rgw dns name = 127.0.0.1
"""


class CephDev:
    """A one-node memstore Ceph cluster under ``base_dir`` with RGW on a free loopback port."""

    def __init__(
        self,
        base_dir: Path,
        access_key: str,
        secret_key: str,
        *,
        memstore_mib: int = 1024,
        ready_timeout: float = 90.0,
    ) -> None:
        missing = ceph_missing()
        if missing:
            raise StorageError(
                "Ceph RGW non installato: mancano " + ", ".join(missing)
                + " (apt-get install radosgw ceph-mon ceph-osd ceph-common)."
            )
        self.dir = Path(base_dir)
        self.access_key = access_key
        self.secret_key = secret_key
        self.mon_port = free_port()
        self.rgw_port = free_port()
        self.memstore_bytes = memstore_mib * 1024 * 1024
        self.ready_timeout = ready_timeout
        self.conf = self.dir / "ceph.conf"
        self._procs: list[subprocess.Popen[bytes]] = []

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.rgw_port}"

    # -- steps ---------------------------------------------------------------------------

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            [*args, "-c", str(self.conf)], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
        if done.returncode != 0:
            raise StorageError("Avvio del cluster Ceph di sviluppo non riuscito.") from RuntimeError(
                f"{' '.join(args)} → {done.returncode}: {done.stderr.strip()[-2000:]}"
            )
        return done.stdout

    def _spawn(self, *args: str) -> None:
        out = open(self.dir / "log" / f"{Path(args[0]).name}.out", "ab")
        try:
            proc = subprocess.Popen(
                [*args, "-f", "-c", str(self.conf)], stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        finally:
            out.close()
        self._procs.append(proc)

    def _write_conf(self, fsid: str) -> None:
        for sub in ("run", "log", "mon", "osd/ceph-0", "rgw"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.conf.write_text(_CONF.format(
            fsid=fsid, mon_port=self.mon_port, rgw_port=self.rgw_port, d=self.dir,
            memstore_bytes=self.memstore_bytes,
        ))

    def start(self) -> "CephDev":
        """Create and boot the cluster, create the S3 user; return when S3 answers."""
        fsid = str(uuid.uuid4())
        self._write_conf(fsid)
        try:
            monmap = str(self.dir / "monmap")
            self._run("monmaptool", "--create", "--clobber", "--fsid", fsid,
                      "--addv", "a", f"[v2:127.0.0.1:{self.mon_port}]", monmap)
            self._run("ceph-mon", "--mkfs", "-i", "a", "--monmap", monmap)
            self._spawn("ceph-mon", "-i", "a")
            osd_uuid = str(uuid.uuid4())
            osd_id = self._run("ceph", "--connect-timeout", "30", "osd", "new", osd_uuid).strip()
            self._run("ceph-osd", "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid)
            self._spawn("ceph-osd", "-i", osd_id)
            self._spawn("radosgw", "-n", "client.rgw.dev")
            self._create_user()
            self._wait_s3()
        except BaseException:
            self.stop()
            raise
        log.info("Ceph RGW di sviluppo pronto su %s (dati in %s)", self.endpoint, self.dir)
        return self

    def _create_user(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while True:
            try:
                self._run("radosgw-admin", "user", "create", "--uid", "curit", "--display-name", "curit-docs",
                          "--access-key", self.access_key, "--secret", self.secret_key)
                return
            except StorageError:
                if time.monotonic() > deadline:
                    raise
                self._check_alive()
                time.sleep(0.5)

    def _check_alive(self) -> None:
        for proc in self._procs:
            if proc.poll() is not None:
                raise StorageError("Un processo del cluster Ceph di sviluppo è terminato.") from RuntimeError(
                    f"{proc.args[0]} exited with {proc.returncode}; logs in {self.dir / 'log'}"
                )

    def _wait_s3(self) -> None:
        wait_s3_ready(self.endpoint, self.access_key, self.secret_key, self.ready_timeout, alive=self._check_alive)

    def stop(self) -> None:
        """Stop radosgw, the OSD and the monitor. Everything lives in RAM (memstore) and is
        thrown away, so there is nothing to flush: SIGKILL, which is immediate."""
        procs, self._procs = self._procs, []
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.kill()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    @property
    def radosgw_pid(self) -> int | None:
        for proc in self._procs:
            if Path(str(proc.args[0])).name == "radosgw" and proc.poll() is None:
                return proc.pid
        return None

    def kill_rgw(self) -> None:
        """SIGKILL radosgw only (the cluster and its data stay), as a crash would."""
        for proc in list(self._procs):
            if Path(str(proc.args[0])).name == "radosgw":
                proc.kill()
                proc.wait(timeout=10)
                self._procs.remove(proc)

    def restart_rgw(self) -> None:
        """Start radosgw again on the same port and wait until S3 answers."""
        self._spawn("radosgw", "-n", "client.rgw.dev")
        self._wait_s3()

    def __enter__(self) -> "CephDev":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("uso: python -m archive.ceph_dev DIRECTORY", file=sys.stderr)
        return 2
    base = Path(args[0])
    base.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with CephDev(base, "curitdev", "curitdevsecret") as ceph:
        print(json.dumps({
            "endpoint": ceph.endpoint, "access_key": ceph.access_key, "secret_key": ceph.secret_key,
            "secondi_avvio": round(time.monotonic() - started, 1),
        }), flush=True)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    return 0


if __name__ == "__main__":
    sys.exit(main())
