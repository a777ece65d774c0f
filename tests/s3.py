"""Two real S3 implementations, each started once per test session: SeaweedFS and Ceph RGW.

``s3_server`` is parametrised, so every test that uses it (or ``store``) runs against both.
The fixtures are defined once, in tests/conftest.py (imported from here): a module that imported
them itself got its own session fixture, and so its own Ceph cluster alive to the end of the run.
All tests that touch S3 share the xdist group ``s3`` (tests/archive/conftest.py): under
``-n 2 --dist loadgroup`` they run on one worker and each server boots only once. Ceph RGW is not optional: when radosgw
is not installed the Ceph tests fail with the reason (CI installs it, see ``.ci/run``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from archive.ceph_dev import CephDev, ceph_missing
from archive.errors import StorageError
from archive.objectstore import ObjectStore, S3Config
from archive.seaweed import EmbeddedSeaweed

ACCESS_KEY = "curittest"
SECRET_KEY = "curit-test-secret-0123456789"


@dataclass
class ServerS3:
    """A running S3 server the tests can crash and bring back."""

    nome: str
    endpoint: str
    kill: Callable[[], None]
    """SIGKILL the S3-serving process (data stays)."""
    restart: Callable[[], None]
    """Start it again on the same data and port; returns when S3 answers."""

    def config(self, bucket: str, **kw) -> S3Config:
        return S3Config(self.endpoint, ACCESS_KEY, SECRET_KEY, bucket, connect_timeout=1.0, retries=0, **kw)


def _seaweed(base: Path) -> Iterator[ServerS3]:
    weed = EmbeddedSeaweed(base / "seaweedfs", ACCESS_KEY, SECRET_KEY).start()
    try:
        yield ServerS3("seaweedfs", weed.endpoint, kill=lambda: weed.stop(kill=True), restart=weed.start)
    finally:
        weed.stop()


def _ceph(base: Path) -> Iterator[ServerS3]:
    missing = ceph_missing()
    if missing:
        pytest.fail(
            "Ceph RGW non installato (mancano: " + ", ".join(missing) + "): "
            "apt-get install radosgw ceph-mon ceph-osd ceph-common, come fa .ci/run.",
            pytrace=False,
        )
    ceph = CephDev(base / "ceph", ACCESS_KEY, SECRET_KEY)
    try:
        ceph.start()
    except StorageError as exc:
        pytest.fail(f"Avvio del cluster Ceph di test non riuscito: {exc} ({exc.__cause__})", pytrace=False)
    try:
        yield ServerS3("ceph-rgw", ceph.endpoint, kill=ceph.kill_rgw, restart=ceph.restart_rgw)
    finally:
        ceph.stop()


@pytest.fixture(
    scope="session",
    params=["seaweedfs", pytest.param("ceph", marks=pytest.mark.ceph)],
)
def s3_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerS3]:
    base = tmp_path_factory.mktemp(f"s3-{request.param}")
    yield from (_seaweed(base) if request.param == "seaweedfs" else _ceph(base))


@pytest.fixture
def bucket_name() -> str:
    return f"curit-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store(s3_server: ServerS3, bucket_name: str) -> ObjectStore:
    """A fresh Object Lock bucket on the current server."""
    s = ObjectStore(s3_server.config(bucket_name))
    s.ensure_bucket()
    return s
