"""service.ingest: sign in worker processes + concurrent S3 writes + index rows in blocks, with the
outbox guarantees of one document at a time: S3 killed mid-ingest → the rest waits in the outbox,
nothing is lost, each document is stored exactly once after the drain. On SeaweedFS and Ceph RGW
(the session servers of tests/s3.py), index on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive import indice as idx
from archive.db import session_scope
from archive.objectstore import ObjectStore
from archive.outbox import VoceOutbox, in_coda
from service.archivio import Archivio, MetadatiDocumento
from service.emissione import Emissione
from service.firma import verifica_documento
from service.ingest import DaEmettere, emetti_lotto
from service.settings import Settings

from tests.pki import pdf_di_prova

pytestmark = pytest.mark.xdist_group("s3")

MANTOVA = "ente-provincia-mantova"
META = MetadatiDocumento(tipo="allegato-g", data_documento=date(2025, 10, 3), codice_impianto="020066IN0000347",
                         ente="provincia-mantova")


@pytest.fixture(scope="module")
def identita(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("ingest-id")
    Emissione(Settings(identita_dir=base, demo=True)).firmatario("provincia-mantova")  # demo identity, once
    return base


def _documenti(n: int) -> list[DaEmettere]:
    return [DaEmettere(pdf_di_prova() + f"%{i}\n".encode(), "provincia-mantova",
                       replace(META, documento_id=f"ingest-{i:03d}"), chiave=i) for i in range(n)]


def _emissione(engine, store: ObjectStore, identita: Path) -> Emissione:  # noqa: F811
    settings = Settings(identita_dir=identita, demo=True, trust_roots=(identita / MANTOVA / "ca-demo.pem",))
    archivio = Archivio(engine, store, verifica=lambda pdf: verifica_documento(pdf, settings=settings))
    return Emissione(settings, archivio=archivio)


def _controlla_una_volta(engine, store: ObjectStore, n: int) -> None:  # noqa: F811
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(idx.Documento)) == n
        assert s.scalar(select(func.count()).select_from(idx.VersioneDocumento)) == n
        assert s.scalar(select(func.count()).select_from(VoceOutbox)) == 0
        for doc in s.scalars(select(idx.Documento)):
            assert store.versions(doc.s3_key) == [doc.version_id], f"{doc.id} stored more than once"


def test_two_processes_sign_and_archive_in_order_verified_on_retrieval(engine, store, identita) -> None:  # noqa: F811
    emissione = _emissione(engine, store, identita)
    documenti = _documenti(24)
    esiti = list(emetti_lotto(emissione, documenti, processi=2, blocco=5))
    assert [d.chiave for d, _ in esiti] == list(range(24))
    assert all(e.firmato and e.record["stato"] == "archiviato" and e.record["firma_valida"] for _, e in esiti)
    assert [e.record["id"] for _, e in esiti] == [f"ingest-{i:03d}" for i in range(24)]
    assert emissione.proprie.per_impronta == 23  # the first of the identity was verified in full
    for d, e in esiti[::6]:
        assert e.pdf.startswith(d.pdf)  # the signature is appended to the input bytes
        recuperato = emissione.archivio.recupera(e.record["id"])
        assert recuperato.dati == e.pdf and recuperato.firma["valida"] and "verifica" not in recuperato.firma
    _controlla_una_volta(engine, store, 24)


@pytest.mark.slow
def test_s3_killed_mid_ingest_nothing_lost_each_stored_once(engine, store, s3_server, identita) -> None:  # noqa: F811
    emissione = _emissione(engine, store, identita)
    stati: list[str] = []
    try:
        for n, (_, emesso) in enumerate(emetti_lotto(emissione, _documenti(30), processi=1, blocco=6)):
            stati.append(emesso.record["stato"])
            if n == 11:  # two blocks archived: the S3 server dies
                s3_server.kill()
        assert stati[:12] == ["archiviato"] * 12 and stati[12:] == ["in_coda"] * 18
        assert in_coda(engine) == 18
    finally:
        s3_server.restart()
    esito = emissione.archivio.svuota_coda(ora=datetime.now(timezone.utc) + timedelta(hours=1))
    assert (esito.archiviati, esito.falliti, esito.in_coda) == (18, 0, 0)
    _controlla_una_volta(engine, store, 30)
    assert emissione.archivio.recupera("ingest-029").firma["valida"]
