"""One owner's bytes are one document (issue 12): two registrations of the same bytes by one owner
racing each other end as one row, both callers getting it; the migration keeps documents already
duplicated and gives them back on downgrade."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, inspect, select, text

from archive import indice as idx
from archive.db import make_engine, session_scope
from domain.errors import Conflict

ORA = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
SHA = "ab" * 32
D = {n: f"{n:032x}" for n in range(1, 6)}
"""Ids as the archive generates them (32 hex digits)."""


def _dati(doc_id: str, *, sha: str = SHA, ente: str = "provincia-mantova", version: str | None = None,
          stabile: bool = False) -> idx.DatiIndice:
    return idx.DatiIndice(
        id=doc_id, tipo="allegato-g", data_documento=date(2025, 10, 1), stagione="2025/2026",
        s3_key=f"{ente}/2025-2026/allegato-g/020066IN0000001/{doc_id}.pdf", version_id=version or f"v-{doc_id}",
        sha256=sha, dimensione=1234, conserva_fino_al=date(2032, 7, 31), riferimento_temporale=ORA,
        oggetto="Allegato G", codice_impianto="020066IN0000001", ente=ente, cait="CAIT-MN-01", id_stabile=stabile)


def _in_attesa_di_un_lock(engine) -> bool:
    """Some backend of this database waits for a lock (the second INSERT on the unique index)."""
    with engine.connect() as c:
        return bool(c.execute(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND a.datname = current_database()")).scalar())


def test_two_simultaneous_registrations_of_the_same_bytes_are_one_document(db_url: str) -> None:
    """A inserts and holds its transaction open; B registers the same owner's bytes under another id
    meanwhile (on PostgreSQL it is seen waiting on the unique index; on SQLite it waits for the write
    lock); A commits: B adopts A's row instead of failing or making a second document."""
    motore_a, motore_b = make_engine(db_url), make_engine(db_url)
    inserito, esiti, errori = threading.Event(), {}, []

    def b() -> None:
        try:
            inserito.wait()
            with session_scope(motore_b) as s:
                esiti["b"] = idx.registra(s, _dati("doc-b")).id
        except BaseException as exc:  # reported by the main thread
            errori.append(exc)

    filo = threading.Thread(target=b)
    filo.start()
    try:
        with session_scope(motore_a) as s:
            esiti["a"] = idx.registra(s, _dati("doc-a")).id
            inserito.set()
            if db_url.startswith("postgresql"):  # commit only once B is really blocked behind A's row
                for _ in range(600):
                    if _in_attesa_di_un_lock(motore_a):
                        break
                    time.sleep(0.05)
                else:
                    pytest.fail("the second registration never reached the unique index")
        filo.join(timeout=120)
        assert not filo.is_alive() and errori == []
        assert esiti == {"a": "doc-a", "b": "doc-a"}
        with session_scope(motore_a) as s:
            assert s.scalar(select(func.count()).select_from(idx.Documento)) == 1
            assert idx.per_impronta(s, idx.titolare("provincia-mantova", "CAIT-MN-01"), SHA).id == "doc-a"
            # the same bytes of another owner are another document; a disposed one frees its bytes' place
            assert idx.registra(s, _dati("doc-c", ente="provincia-brescia")).id == "doc-c"
            s.get(idx.Documento, "doc-a").smaltito_il = ORA
            s.flush()
            assert idx.registra(s, _dati("doc-d")).id == "doc-d"
            # a new version of a document may not take bytes another document of its owner holds
            idx.registra(s, _dati("doc-e", sha="cd" * 32))
            with pytest.raises(Conflict, match="già archiviato come documento doc-d"):
                idx.registra(s, _dati("doc-e", version="v-e-2"))
        with session_scope(motore_a) as s:  # ids the caller gave are the key: same bytes, two documents
            assert [idx.registra(s, _dati(n, stabile=True)).id for n in ("st-1", "st-2")] == ["st-1", "st-2"]
    finally:
        filo.join(timeout=120)
        motore_a.dispose()
        motore_b.dispose()


def _alembic(db_url: str, *args: str) -> None:
    from alembic import command
    from alembic.config import Config

    from archive import db

    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", db_url.replace("%", "%%"))
    db._locale.migrando = True  # as archive.db runs them: migrations/env.py opens its engine through make_engine
    try:
        getattr(command, args[0])(cfg, *args[1:])
    finally:
        db._locale.migrando = False


def test_the_migration_keeps_documents_already_duplicated(db_url: str) -> None:
    _alembic(db_url, "downgrade", "0009_indice")
    engine = make_engine(db_url, migra=False)
    try:
        colonne = ("id", "tipo", "data_documento", "stagione", "s3_key", "version_id", "sha256", "dimensione",
                   "conserva_fino_al", "riferimento_temporale", "oggetto", "ente", "cait", "titolare",
                   "archiviato_il", "smaltito_il", "blocco_legale", "firma_esito")
        righe = [  # generated ids: three of one owner with the same bytes, one of them disposed; one of another
            # owner; two ids a caller gave (stable: keyed by their id, left alone)
            (D[1], "provincia-mantova|CAIT-MN-01", datetime(2026, 1, 3, tzinfo=timezone.utc), None),
            (D[2], "provincia-mantova|CAIT-MN-01", datetime(2026, 1, 1, tzinfo=timezone.utc), None),
            (D[3], "provincia-mantova|CAIT-MN-01", datetime(2026, 1, 2, tzinfo=timezone.utc), None),
            (D[4], "provincia-mantova|CAIT-MN-01", datetime(2025, 1, 1, tzinfo=timezone.utc), ORA),
            (D[5], "provincia-brescia|-", datetime(2026, 1, 1, tzinfo=timezone.utc), None),
            ("CAIT-MN-01/2026/000001", "provincia-mantova|CAIT-MN-01", datetime(2026, 1, 4, tzinfo=timezone.utc), None),
            ("CAIT-MN-01/2026/000002", "provincia-mantova|CAIT-MN-01", datetime(2026, 1, 5, tzinfo=timezone.utc), None),
        ]
        with engine.begin() as c:
            for doc_id, titolare, quando, smaltito in righe:
                ente, cait = (None if v == "-" else v for v in titolare.split("|"))
                c.execute(text(f"INSERT INTO archivio_documenti ({', '.join(colonne)}) VALUES "
                               f"({', '.join(':' + k for k in colonne)})"), {
                    "id": doc_id, "tipo": "allegato-g", "data_documento": date(2025, 10, 1), "stagione": "2025/2026",
                    "s3_key": f"k/{doc_id}.pdf", "version_id": "v", "sha256": SHA, "dimensione": 1,
                    "conserva_fino_al": date(2032, 7, 31), "riferimento_temporale": ORA, "oggetto": "G",
                    "ente": ente, "cait": cait, "titolare": titolare, "archiviato_il": quando,
                    "smaltito_il": smaltito, "blocco_legale": False, "firma_esito": "{}"})
    finally:
        engine.dispose()

    _alembic(db_url, "upgrade", "heads")
    engine = make_engine(db_url)
    try:
        with engine.connect() as c:
            titolari = dict(c.execute(text("SELECT id, titolare FROM archivio_documenti")).all())
        assert titolari == {D[1]: f"doppione:{D[1]}#provincia-mantova|CAIT-MN-01",
                            D[2]: "provincia-mantova|CAIT-MN-01",
                            D[3]: f"doppione:{D[3]}#provincia-mantova|CAIT-MN-01",
                            D[4]: "provincia-mantova|CAIT-MN-01", D[5]: "provincia-brescia|-",
                            "CAIT-MN-01/2026/000001": "provincia-mantova|CAIT-MN-01",
                            "CAIT-MN-01/2026/000002": "provincia-mantova|CAIT-MN-01"}
        with engine.connect() as c:
            stabili = {i for (i,) in c.execute(text("SELECT id FROM archivio_documenti WHERE id_stabile = :v"),
                                               {"v": True})}
        assert stabili == {"CAIT-MN-01/2026/000001", "CAIT-MN-01/2026/000002"}
        indici = {i["name"]: i for i in inspect(engine).get_indexes("archivio_documenti")}
        assert indici["uq_archivio_documenti_titolare_sha256"]["unique"]
        assert "ix_archivio_documenti_titolare_sha256" not in indici
        with session_scope(engine) as s:  # a new upload of those bytes finds the oldest one
            assert idx.per_impronta(s, "provincia-mantova|CAIT-MN-01", SHA, generati=True).id == D[2]
    finally:
        engine.dispose()

    _alembic(db_url, "downgrade", "0009_indice")
    engine = make_engine(db_url, migra=False)
    try:
        with engine.connect() as c:
            assert {t for (t,) in c.execute(text("SELECT titolare FROM archivio_documenti"))} == {
                "provincia-mantova|CAIT-MN-01", "provincia-brescia|-"}
    finally:
        engine.dispose()
