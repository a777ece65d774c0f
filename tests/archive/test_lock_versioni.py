"""Every version we create is recorded; ``controlla`` reports the ones nobody recorded, unlocked
ones and mismatching ones (real S3 server × real database)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

from minio.retention import Retention
from sqlalchemy import select

from archive.db import session_scope
from archive.objectstore import PROBE_PREFIX, ObjectStore, autoverifica, sha256_hex
from archive.versioni import RegistroDb, VersioneS3, controlla
from tests.s3 import ServerS3

PDF_A = b"%PDF-1.7\n% primo\n" + b"a" * 1200
PDF_B = b"%PDF-1.7\n% secondo\n" + b"b" * 1300


def test_controlla_reports_unrecorded_unlocked_and_mismatching_versions(
    s3_server: ServerS3, bucket_name: str, engine
) -> None:
    store = ObjectStore(s3_server.config(bucket_name), registro=RegistroDb(engine))
    store.ensure_bucket()
    autoverifica(store)  # probes are not findings
    a = store.put("ente/a.pdf", PDF_A, retain_until=date(2033, 7, 31))
    b = store.put("ente/b.pdf", PDF_B, retain_until=date(2034, 7, 31))
    again = store.put("ente/a.pdf", PDF_A, retain_until=date(2033, 7, 31))  # adopted, recorded once
    assert again.version_id == a.version_id
    with session_scope(engine) as s:
        righe = s.scalars(select(VersioneS3).where(VersioneS3.bucket == bucket_name)).all()
        assert sorted((r.s3_key, r.version_id) for r in righe if not r.s3_key.startswith(PROBE_PREFIX)) == sorted(
            [("ente/a.pdf", a.version_id), ("ente/b.pdf", b.version_id)])
    assert list(controlla(engine, store)) == []

    # written behind the archive's back: locked but not recorded; unlocked and not recorded
    raw = store.client
    extra = raw.put_object(bucket_name, "ente/a.pdf", io.BytesIO(b"%PDF estraneo"), 13,
                           metadata={"sha256": sha256_hex(b"%PDF estraneo")},
                           retention=Retention("COMPLIANCE", datetime.now(timezone.utc) + timedelta(days=30)))
    libero = raw.put_object(bucket_name, "ente/libero.pdf", io.BytesIO(b"%PDF libero"), 11)
    # a recorded version whose recorded hash is not what the store holds (tampered ledger or store)
    with session_scope(engine) as s:
        riga = s.scalar(select(VersioneS3).where(VersioneS3.version_id == b.version_id))
        riga.sha256 = "0" * 64

    trovate = {(x.tipo, x.s3_key, x.version_id) for x in controlla(engine, store)}
    assert trovate == {
        ("non_registrata", "ente/a.pdf", extra.version_id),
        ("non_registrata", "ente/libero.pdf", libero.version_id),
        ("senza_blocco", "ente/libero.pdf", libero.version_id),
        ("impronta_diversa", "ente/b.pdf", b.version_id),
    }
    # with the contents re-hashed the same findings come out
    assert {(x.tipo, x.version_id) for x in controlla(engine, store, contenuto=True)} == {
        (t, v) for t, _, v in trovate}
