"""Every write's lock read back on the real servers (SeaweedFS, Ceph RGW): multipart, dates past
2038, adopted versions, lost replies (a real TCP proxy that drops the answer), the self-test."""

from __future__ import annotations

import io
import os
import re
import socket
import threading
from datetime import date, datetime, time, timedelta, timezone

import pytest
from minio.commonconfig import COMPLIANCE
from minio.retention import Retention

from archive.errors import LockNotHeld, StorageRefused, StorageTransient
from archive.objectstore import ObjectStore, S3Config, VersioneCreata, autoverifica, sha256_hex, verifica_avvio
from tests.s3 import ServerS3

GRANDE = 6 * 1024 * 1024 + 123
"""Above the SDK's 5 MiB part size: a multipart upload (RGW kept no retention on those)."""


def _fine_giorno(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59), tzinfo=timezone.utc)


def _pdf(n: int) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(n)


def _registrato(server: ServerS3, bucket: str, **kw) -> tuple[ObjectStore, list[VersioneCreata]]:
    log: list[VersioneCreata] = []
    store = ObjectStore(server.config(bucket, **kw), registro=log.append)
    store.ensure_bucket()
    return store, log


def test_multipart_document_is_locked_and_read_back(s3_server: ServerS3, bucket_name: str) -> None:
    store, log = _registrato(s3_server, bucket_name)
    data = _pdf(GRANDE)
    stored = store.put("ente/grande.pdf", data, retain_until=date(2033, 7, 31))
    letta = store.retention("ente/grande.pdf", stored.version_id)
    assert letta.mode == "COMPLIANCE" and letta.until == _fine_giorno(date(2033, 7, 31))
    assert stored.retain_until_exact == _fine_giorno(date(2033, 7, 31))
    assert store.get("ente/grande.pdf", stored.version_id) == data
    assert [(v.version_id, v.adottata) for v in log] == [(stored.version_id, False)]
    with pytest.raises(Exception):
        store.client.remove_object(store.bucket, "ente/grande.pdf", version_id=stored.version_id)
    assert store.get("ente/grande.pdf", stored.version_id) == data


def test_retention_past_2038_is_read_back_exactly(s3_server: ServerS3, store: ObjectStore) -> None:
    stored = store.put("ente/lungo.pdf", _pdf(500), retain_until=date(2045, 7, 31))
    assert store.retention("ente/lungo.pdf", stored.version_id).until == _fine_giorno(date(2045, 7, 31))
    assert stored.retain_until == date(2045, 7, 31)


def test_a_date_the_store_does_not_keep_is_never_archived(s3_server: ServerS3, bucket_name: str) -> None:
    """RGW reads a retain-until date of 2140 back as 2004 (a 32-bit overflow): caught, refused for good."""
    store, log = _registrato(s3_server, bucket_name)
    data = _pdf(300)
    if s3_server.nome == "ceph-rgw":
        with pytest.raises(LockNotHeld, match="31/07/2140") as err:
            store.put("ente/2140.pdf", data, retain_until=date(2140, 7, 31))
        assert err.value.permanent
        assert len(log) == 1 and log[0].sha256 == sha256_hex(data)  # the version it did create is accounted
        letta = store.retention("ente/2140.pdf", log[0].version_id)
        assert letta.until != _fine_giorno(date(2140, 7, 31))
    else:
        stored = store.put("ente/2140.pdf", data, retain_until=date(2140, 7, 31))
        assert store.retention("ente/2140.pdf", stored.version_id).until == _fine_giorno(date(2140, 7, 31))


def test_retention_in_the_past_is_a_permanent_refusal(store: ObjectStore) -> None:
    with pytest.raises(StorageRefused) as err:
        store.put("ente/passato.pdf", _pdf(100), retain_until=date(2020, 1, 1))
    assert err.value.permanent


def test_an_existing_version_is_adopted_only_with_its_lock_checked(store: ObjectStore) -> None:
    """Same bytes already stored without retention, or with a shorter one: adopted and locked."""
    for key, retention in (("ente/senza.pdf", None),
                           ("ente/breve.pdf", Retention(COMPLIANCE, datetime.now(timezone.utc) + timedelta(days=2)))):
        data = _pdf(800)
        raw = store.client.put_object(store.bucket, key, io.BytesIO(data), len(data),
                                      metadata={"sha256": sha256_hex(data)}, retention=retention)
        stored = store.put(key, data, retain_until=date(2034, 7, 31))
        assert not stored.created and stored.version_id == raw.version_id
        letta = store.retention(key, raw.version_id)
        assert letta.mode == "COMPLIANCE" and letta.until == _fine_giorno(date(2034, 7, 31))
        assert store.versions(key) == [raw.version_id]


def test_self_test_passes_on_a_locking_bucket_and_refuses_a_plain_one(s3_server: ServerS3, store: ObjectStore,
                                                                       bucket_name: str) -> None:
    probe = autoverifica(store)
    assert store.retention(probe.key, probe.version_id).mode == "COMPLIANCE"
    assert store.get(probe.key, probe.version_id)  # the delete attempt was refused
    plain = f"{bucket_name}-plain"
    store.client.make_bucket(plain)  # versioning and Object Lock off
    with pytest.raises(StorageRefused, match="Avvio rifiutato.*blocco oggetti"):
        verifica_avvio(s3_server.config(plain))


# -- lost replies -------------------------------------------------------------------------------

_REQUEST_LINE = re.compile(rb"^([A-Z]+) (\S+) HTTP/1\.1\r\n")


class ProxyRispostaPersa:
    """A TCP proxy on 127.0.0.1 that forwards requests and, for the first request matching
    ``perdi``, lets the server process it but closes the client's connection instead of
    forwarding the answer (a reply lost after the write happened)."""

    def __init__(self, upstream: str, perdi) -> None:
        host, port = upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.perdi = perdi
        self.richieste: list[tuple[str, str]] = []
        self.perse = 0
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"127.0.0.1:{self._sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        up = socket.create_connection(self.upstream)
        drop = threading.Event()

        def requests() -> None:
            try:
                while chunk := client.recv(65536):
                    m = _REQUEST_LINE.match(chunk)
                    if m:
                        method, path = m.group(1).decode(), m.group(2).decode()
                        with self._lock:
                            self.richieste.append((method, path))
                            if self.perse == 0 and self.perdi(method, path):
                                self.perse += 1
                                drop.set()
                    up.sendall(chunk)
            except OSError:
                pass

        threading.Thread(target=requests, daemon=True).start()
        try:
            while chunk := up.recv(65536):
                if drop.is_set():
                    break  # the server answered: the answer is lost
                client.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (client, up):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self._sock.close()


def _scrittura(method: str, path: str) -> bool:
    """The request that creates the version: a plain PUT, or the multipart completion."""
    if method == "PUT":
        return "?" not in path  # not a part (?partNumber&uploadId) nor a retention (?retention)
    return method == "POST" and "uploadId=" in path


@pytest.mark.parametrize("dimensione", [2000, GRANDE], ids=["put", "multipart"])
def test_lost_reply_retry_adopts_the_stored_version(s3_server: ServerS3, bucket_name: str, dimensione: int) -> None:
    ObjectStore(s3_server.config(bucket_name)).ensure_bucket()
    proxy = ProxyRispostaPersa(s3_server.endpoint, lambda m, p: _scrittura(m, p) and "/doc.pdf" in p)
    try:
        log: list[VersioneCreata] = []
        store = ObjectStore(S3Config(proxy.endpoint, *_keys(s3_server), bucket_name, retries=2, put_attempts=2),
                            registro=log.append)
        data = _pdf(dimensione)
        stored = store.put("ente/doc.pdf", data, retain_until=date(2033, 7, 31))
    finally:
        proxy.close()
    assert proxy.perse == 1
    writes = [r for r in proxy.richieste if _scrittura(*r) and "/doc.pdf" in r[1]]
    assert len(writes) == 1, writes  # neither the SDK nor we wrote twice
    assert not stored.created
    assert store_direct(s3_server, bucket_name).versions("ente/doc.pdf") == [stored.version_id]
    assert [(v.version_id, v.adottata) for v in log] == [(stored.version_id, True)]
    assert store_direct(s3_server, bucket_name).retention("ente/doc.pdf", stored.version_id).until == \
        _fine_giorno(date(2033, 7, 31))


def test_the_sdk_does_not_retry_a_put_whose_reply_was_lost(s3_server: ServerS3, bucket_name: str) -> None:
    ObjectStore(s3_server.config(bucket_name)).ensure_bucket()
    proxy = ProxyRispostaPersa(s3_server.endpoint, lambda m, p: _scrittura(m, p) and "/uno.pdf" in p)
    try:
        store = ObjectStore(S3Config(proxy.endpoint, *_keys(s3_server), bucket_name, retries=5, put_attempts=1))
        data = _pdf(1500)
        with pytest.raises(StorageTransient):
            store.put("ente/uno.pdf", data, retain_until=date(2033, 7, 31))
        assert len([r for r in proxy.richieste if _scrittura(*r)]) == 1
        again = store.put("ente/uno.pdf", data, retain_until=date(2033, 7, 31))  # the outbox's retry
    finally:
        proxy.close()
    assert not again.created
    assert store_direct(s3_server, bucket_name).versions("ente/uno.pdf") == [again.version_id]


def _keys(server: ServerS3) -> tuple[str, str]:
    config = server.config("x")
    return config.access_key, config.secret_key


def store_direct(server: ServerS3, bucket: str) -> ObjectStore:
    return ObjectStore(server.config(bucket))


def test_an_unreachable_store_is_a_transient_failure() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        porta = s.getsockname()[1]  # bound, never listening: connection refused
        store = ObjectStore(S3Config(f"127.0.0.1:{porta}", "k", "segreto-segreto", "curit-irraggiungibile", retries=0,
                                    connect_timeout=0.5))
        with pytest.raises(StorageTransient) as err:
            store.put("ente/x.pdf", b"%PDF-1.7 x", retain_until=date(2033, 7, 31))
    assert not err.value.permanent and "non raggiungibile" in err.value.message
