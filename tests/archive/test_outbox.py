"""No loss under faults: the S3 server is killed mid-batch, restarted, the outbox drained."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from archive import indice as idx
from archive.db import session_scope
from archive.errors import StorageError
from archive.objectstore import ObjectStore, sha256_hex
from archive.outbox import Backoff, Voce, VoceOutbox, accoda, archivia_ora, in_coda, svuota

ORA = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def _voce(n: int) -> Voce:
    pdf = b"%PDF-1.7\n% rapporto " + str(n).encode() + b"\n" + bytes([n % 251]) * (20_000 + n)
    sha = sha256_hex(pdf)
    dati = idx.DatiIndice(
        id=f"doc-{n:03d}", tipo="allegato-g", data_documento=date(2025, 10, 1), stagione="2025/2026",
        s3_key=f"provincia-cremona/2025-2026/allegato-g/019036IN{n:07d}/doc-{n:03d}.pdf", version_id="",
        sha256=sha, dimensione=len(pdf), conserva_fino_al=date(2032, 7, 31), riferimento_temporale=ORA,
        oggetto=f"Rapporto {n}", codice_impianto=f"019036IN{n:07d}",
    )
    return Voce(dati=pdf, indice=dati, metadati_s3={"documento-id": dati.id})


def test_backoff_doubles_up_to_the_limit() -> None:
    b = Backoff(base=2, massimo=60)
    assert [b.attesa(n).total_seconds() for n in (1, 2, 3, 4, 5, 6, 7)] == [2, 4, 8, 16, 32, 60, 60]


@pytest.mark.slow
def test_kill_s3_mid_batch_every_document_archived_exactly_once(engine, store: ObjectStore, s3_server) -> None:
    voci = [_voce(n) for n in range(50)]
    archiviati: list[str] = []
    accodati: list[str] = []
    primi_dieci = threading.Event()

    def crash() -> None:  # kill the server while the batch is writing
        primi_dieci.wait(timeout=60)
        s3_server.kill()

    killer = threading.Thread(target=crash)
    killer.start()
    try:
        for voce in voci:
            try:
                archivia_ora(engine, store, voce)
                archiviati.append(voce.indice.id)
            except StorageError as exc:
                accoda(engine, voce, errore=exc.message, ora=ORA)
                accodati.append(voce.indice.id)
            if len(archiviati) == 10:
                primi_dieci.set()
        killer.join(timeout=60)
        assert accodati, "the server was killed mid-batch: some documents must wait in the outbox"
        assert in_coda(engine) == len(accodati)
        # still down: a drain attempt fails, reschedules with back-off and loses nothing
        esito = svuota(engine, store, ora=ORA, backoff=Backoff(base=30))
        assert (esito.archiviati, esito.falliti, esito.in_coda) == (0, 1, len(accodati))
        with session_scope(engine) as s:
            ritentata = s.scalar(select(VoceOutbox).where(VoceOutbox.tentativi == 1))
            assert ritentata.prossimo_tentativo.replace(tzinfo=timezone.utc) == ORA + timedelta(seconds=30)
    finally:
        s3_server.restart()
    esito = svuota(engine, store, ora=ORA + timedelta(hours=1))
    assert (esito.archiviati, esito.falliti, esito.in_coda) == (len(accodati), 0, 0)
    # enqueueing again (a retry of the caller) after success changes nothing
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(idx.Documento)) == 50
        assert s.scalar(select(func.count()).select_from(idx.VersioneDocumento)) == 50
        assert s.scalar(select(func.count()).select_from(VoceOutbox)) == 0
        for voce in voci:
            doc = idx.documento(s, voce.indice.id)
            assert doc.sha256 == voce.indice.sha256
            assert store.versions(doc.s3_key) == [doc.version_id], f"{doc.id} stored more than once"
            assert store.get(doc.s3_key, doc.version_id) == voce.dati


def test_write_confirmed_but_answer_lost_is_not_stored_twice(engine, store: ObjectStore) -> None:
    """The server stored the bytes, the client never heard: the retry finds them (same key+hash)."""
    voce = _voce(1)
    store.put(voce.indice.s3_key, voce.dati, retain_until=voce.indice.conserva_fino_al)
    accoda(engine, voce, errore="risposta persa", ora=ORA)
    accoda(engine, voce, errore="risposta persa", ora=ORA)  # idempotent enqueue
    assert in_coda(engine) == 1
    assert svuota(engine, store, ora=ORA).archiviati == 1
    with session_scope(engine) as s:
        doc = idx.documento(s, voce.indice.id)
        assert store.versions(doc.s3_key) == [doc.version_id]


def test_corrupted_outbox_bytes_are_refused(engine, store: ObjectStore) -> None:
    voce = _voce(2)
    broken = replace(voce, dati=voce.dati + b"x")
    with pytest.raises(StorageError):
        archivia_ora(engine, store, broken)
    with session_scope(engine) as s:
        assert s.get(idx.Documento, voce.indice.id) is None


def test_a_permanent_refusal_is_a_dead_letter_and_the_others_go_on(engine, store: ObjectStore) -> None:
    """Issue 12: a document S3 refuses (retention date in the past) stayed queued forever and
    stopped the retry loop for the others. Now: dead letter with the reason, the others archived."""
    from archive.outbox import SCARTATA, scartate

    voci = [_voce(60 + n) for n in range(3)]
    voci[1] = replace(voci[1], indice=replace(voci[1].indice, conserva_fino_al=date(2020, 7, 31)))
    for voce in voci:
        accoda(engine, voce, errore="S3 non raggiungibile", ora=ORA)
    esito = svuota(engine, store, ora=ORA)
    assert (esito.archiviati, esito.scartati, esito.falliti, esito.in_coda) == (2, 1, 0, 0)
    with session_scope(engine) as s:
        (morta,) = scartate(s)
        assert (morta.documento_id, morta.stato, morta.tentativi) == (voci[1].indice.id, SCARTATA, 1)
        assert morta.ultimo_errore and "risposta S3" in morta.ultimo_errore
        assert s.get(idx.Documento, voci[1].indice.id) is None
        assert {d.id for d in s.query(idx.Documento)} == {voci[0].indice.id, voci[2].indice.id}
    assert svuota(engine, store, ora=ORA + timedelta(days=1)).scartati == 0  # never retried alone
