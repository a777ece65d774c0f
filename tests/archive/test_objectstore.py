"""Object Lock behaviour of the archive bucket, on SeaweedFS and on Ceph RGW."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import pytest

from archive.objectstore import ObjectStore, object_key, parse_s3_datetime, sha256_hex
from domain.conservazione import PoliticaConservazione, conserva_fino_al
from domain.errors import Conflict, NotFound

PDF_A = b"%PDF-1.7\n% documento A\n" + b"x" * 2000
PDF_B = b"%PDF-1.7\n% documento B, nuova versione\n" + b"y" * 2100


def test_bucket_has_object_lock_and_versioning(store: ObjectStore) -> None:
    assert store.client.get_bucket_versioning(store.bucket).status == "Enabled"
    assert store.client.get_object_lock_config(store.bucket) is not None
    store.ensure_bucket()  # a second call accepts the existing locked bucket


def test_put_records_hash_and_compliance_retention(store: ObjectStore) -> None:
    key = object_key(ente="Provincia di Cremona", stagione="2025/2026", tipo="allegato-g",
                     codice_impianto="019036IN0000001", document_id="doc-1")
    assert key == "provincia-di-cremona/2025-2026/allegato-g/019036in0000001/doc-1.pdf"
    stored = store.put(key, PDF_A, retain_until=date(2033, 7, 31))
    assert stored.created and stored.sha256 == sha256_hex(PDF_A)
    info = store.info(key, stored.version_id)
    assert info.sha256 == sha256_hex(PDF_A)
    assert info.retention_mode == "COMPLIANCE"
    assert info.retain_until is not None and info.retain_until.date() == date(2033, 7, 31)
    assert store.get(key, stored.version_id) == PDF_A


def test_retention_dates_follow_the_stagione_rules(store: ObjectStore) -> None:
    politica = PoliticaConservazione(anni_dichiarazioni=5, anni_default=10, anni_per_tipo={"allegato-a": 15})
    casi = {
        ("allegato-g", date(2025, 3, 15)): date(2032, 7, 31),   # validity 01/08/2025-31/07/2027 + 5
        ("allegato-f", date(2025, 9, 10)): date(2033, 7, 31),   # validity 01/08/2026-31/07/2028 + 5
        ("allegato-a", date(2025, 9, 10)): date(2041, 7, 31),   # stagione 2025/2026 + 15
        ("allegato-h", date(2026, 2, 1)): date(2036, 7, 31),    # stagione 2025/2026 + 10
    }
    for (tipo, giorno), atteso in casi.items():
        until = conserva_fino_al(tipo, giorno, politica)
        assert until == atteso
        key = f"ente/{tipo}/{giorno.isoformat()}.pdf"
        stored = store.put(key, PDF_A + tipo.encode(), retain_until=until)
        assert store.info(key, stored.version_id).retain_until.date() == atteso


def test_retained_version_cannot_be_deleted(store: ObjectStore) -> None:
    stored = store.put("k/retained.pdf", PDF_A, retain_until=date.today() + timedelta(days=400))
    with pytest.raises(Conflict):
        store.delete_version("k/retained.pdf", stored.version_id)
    assert store.get("k/retained.pdf", stored.version_id) == PDF_A


def test_overwrite_creates_a_new_version_and_keeps_the_old(store: ObjectStore) -> None:
    key = "k/overwrite.pdf"
    first = store.put(key, PDF_A, retain_until=date.today() + timedelta(days=400))
    second = store.put(key, PDF_B, retain_until=date.today() + timedelta(days=400))
    assert second.created and second.version_id != first.version_id
    assert store.versions(key) == [second.version_id, first.version_id]
    assert store.get(key, first.version_id) == PDF_A
    assert store.get(key) == PDF_B


def test_identical_bytes_are_stored_once(store: ObjectStore) -> None:
    key = "k/idempotent.pdf"
    first = store.put(key, PDF_A, retain_until=date.today() + timedelta(days=400))
    again = store.put(key, PDF_A, retain_until=date.today() + timedelta(days=400))
    assert not again.created
    assert again.version_id == first.version_id
    assert store.versions(key) == [first.version_id]


def test_legal_hold_blocks_deletion_after_retention_expires(store: ObjectStore) -> None:
    key = "k/hold.pdf"
    until = datetime.now(timezone.utc) + timedelta(seconds=3)
    stored = store.put(key, PDF_A, retain_until=until)
    store.set_legal_hold(key, stored.version_id, True)
    assert store.legal_hold(key, stored.version_id)
    time.sleep(max(0.0, (until - datetime.now(timezone.utc)).total_seconds()) + 1.5)
    with pytest.raises(Conflict):  # retention over, the hold still protects it
        store.delete_version(key, stored.version_id)
    store.set_legal_hold(key, stored.version_id, False)
    assert not store.legal_hold(key, stored.version_id)
    store.delete_version(key, stored.version_id)
    with pytest.raises(NotFound):
        store.get(key, stored.version_id)


def test_missing_object_is_not_found(store: ObjectStore) -> None:
    with pytest.raises(NotFound):
        store.get("non/esiste.pdf")
    with pytest.raises(NotFound):
        store.info("non/esiste.pdf")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2030-01-01T00:00:00Z", datetime(2030, 1, 1, tzinfo=timezone.utc)),
        ("2030-01-01T00:00:00.000000000Z", datetime(2030, 1, 1, tzinfo=timezone.utc)),  # Ceph RGW
        ("2030-07-31T23:59:59.123456789Z", datetime(2030, 7, 31, 23, 59, 59, 123456, tzinfo=timezone.utc)),
        ("2030-07-31T23:59:59.5+02:00", datetime(2030, 7, 31, 21, 59, 59, 500000, tzinfo=timezone.utc)),
    ],
)
def test_parse_s3_datetime_tolerates_any_fraction(text: str, expected: datetime) -> None:
    assert parse_s3_datetime(text) == expected


def test_parse_s3_datetime_refuses_garbage() -> None:
    with pytest.raises(ValueError):
        parse_s3_datetime("31/07/2030")
