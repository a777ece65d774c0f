"""Index of archived documents and paper originals, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect

from archive import indice as idx
from archive import originali as orig
from archive.db import session_scope
from domain.errors import Conflict, NotFound, RuleViolation

ORA = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def _dati(n: int, **kw) -> idx.DatiIndice:
    giorno = kw.pop("data_documento", date(2025, 9, 1) + timedelta(days=n))
    values = dict(
        id=f"doc-{n:04d}", tipo="allegato-g", data_documento=giorno, stagione="2025/2026",
        s3_key=f"ente/2025-2026/allegato-g/x/doc-{n:04d}.pdf", version_id=f"v{n}", sha256=f"{n:064x}",
        dimensione=1000 + n, conserva_fino_al=date(2032, 7, 31), riferimento_temporale=ORA,
        oggetto=f"Rapporto {n}", codice_impianto=f"019036IN{n % 7:07d}", ente="provincia-cremona",
        cait=("cait-cremona" if n % 2 else "cait-crema"), etichetta=f"G{n:08d}",
        responsabile_cf="RSSMRA80A01D150X" if n % 5 == 0 else "VRDLGU70B02D150Y",
        autore="Termoidraulica Rossi", destinatario="provincia-cremona",
        firma_valida=True, firma_esito={"valida": True},
    )
    values.update(kw)
    return idx.DatiIndice(**values)


def test_registra_records_agid_metadata_and_versions(engine) -> None:
    with session_scope(engine) as s:
        doc = idx.registra(s, _dati(1))
        agid = doc.metadati_agid()
    assert agid["identificativo"] == "doc-0001"
    assert agid["impronta"] == {"algoritmo": "SHA-256", "valore": f"{1:064x}"}
    assert agid["oggetto"] == "Rapporto 1" and agid["autore"] == "Termoidraulica Rossi"
    assert agid["destinatario"] == "provincia-cremona" and agid["riferimento_temporale"].startswith("2026-03-02")
    with session_scope(engine) as s:
        idx.registra(s, _dati(1))  # same version again: no duplicate
        idx.registra(s, _dati(1, version_id="v1-bis", sha256="f" * 64))
    with session_scope(engine) as s:
        assert [v.version_id for v in idx.versioni(s, "doc-0001")] == ["v1", "v1-bis"]
        record = idx.as_dict(idx.documento(s, "doc-0001"))
    assert record["version_id"] == "v1-bis" and record["sha256"] == "f" * 64
    assert record["metadati_agid"]["impronta"]["valore"] == "f" * 64


def test_search_filters_and_keyset_pages(engine) -> None:
    with session_scope(engine) as s:
        for n in range(60):
            idx.registra(s, _dati(n))
    with session_scope(engine) as s:
        tutti, cursore, pagine = [], None, 0
        while True:
            pagina = idx.cerca(s, idx.FiltroRicerca(cait="cait-cremona"), limite=7, dopo=cursore)
            tutti += [d.id for d in pagina.documenti]
            pagine += 1
            cursore = pagina.prossima
            if cursore is None:
                break
        attesi = [f"doc-{n:04d}" for n in sorted(range(1, 60, 2), reverse=True)]
        assert tutti == attesi and pagine == 5
        assert [d.id for d in idx.cerca(s, idx.FiltroRicerca(etichetta="G00000010")).documenti] == ["doc-0010"]
        cf = idx.cerca(s, idx.FiltroRicerca(responsabile_cf="rssmra80a01d150x"), limite=100).documenti
        assert sorted(d.id for d in cf) == [f"doc-{n:04d}" for n in range(0, 60, 5)]
        codice = idx.cerca(s, idx.FiltroRicerca(codice_impianto="019036IN0000003", cait="cait-cremona"), limite=100)
        assert {d.id for d in codice.documenti} == {f"doc-{n:04d}" for n in range(60) if n % 7 == 3 and n % 2}
        periodo = idx.cerca(s, idx.FiltroRicerca(dal=date(2025, 9, 10), al=date(2025, 9, 12)), limite=100)
        assert [d.id for d in periodo.documenti] == ["doc-0011", "doc-0010", "doc-0009"]
        assert idx.cerca(s, idx.FiltroRicerca(stagione="2024/2025")).documenti == []
        assert idx.cerca(s, idx.FiltroRicerca(tipo="allegato-f")).documenti == []
        with pytest.raises(RuleViolation):
            idx.cerca(s, idx.FiltroRicerca(dal=date(2025, 9, 12), al=date(2025, 9, 10)))
        with pytest.raises(RuleViolation):
            idx.cerca(s, idx.FiltroRicerca(), dopo="non-un-cursore")


def test_search_indexes_exist(engine) -> None:
    names = {i["name"] for i in inspect(engine).get_indexes("archivio_documenti")}
    for col in ("codice_impianto", "etichetta", "responsabile_cf", "ente", "cait", "tipo", "stagione"):
        assert f"ix_archivio_documenti_{col}_data" in names
    assert "ix_archivio_documenti_ente_stagione" in names


def test_expired_report_skips_legal_hold_and_disposed(engine) -> None:
    with session_scope(engine) as s:
        idx.registra(s, _dati(1, conserva_fino_al=date(2026, 1, 31)))
        idx.registra(s, _dati(2, conserva_fino_al=date(2026, 2, 28)))
        idx.registra(s, _dati(3, conserva_fino_al=date(2026, 3, 1)))
        idx.imposta_blocco_legale(s, idx.documento(s, "doc-0002"), True)
    with session_scope(engine) as s:
        assert [d.id for d in idx.scaduti(s, date(2026, 3, 1))] == ["doc-0001"]
        idx.segna_smaltito(s, idx.documento(s, "doc-0001"), da="archivista", quando=ORA)
    with session_scope(engine) as s:
        assert idx.scaduti(s, date(2026, 3, 2)) == [idx.documento(s, "doc-0003")]
        assert "doc-0001" not in [d.id for d in idx.cerca(s, idx.FiltroRicerca()).documenti]
        assert "doc-0001" in [d.id for d in idx.cerca(s, idx.FiltroRicerca(smaltiti=True)).documenti]


def test_paper_original_custody_and_request_lifecycle(engine) -> None:
    with session_scope(engine) as s:
        idx.registra(s, _dati(1))
        o = orig.registra_originale(
            s, "doc-0001", detentore_tipo="cait", detentore="cait-cremona", ricevuto_il=date(2025, 3, 10),
            collocazione=orig.Collocazione(faldone="F12", scatola="S3", posizione="45"),
        )
        assert o.conserva_fino_al == date(2027, 7, 31)  # stagioni 2025/26 and 2026/27
        with pytest.raises(Conflict):
            orig.registra_originale(s, "doc-0001", detentore_tipo="cait", detentore="x", ricevuto_il=date(2025, 9, 10))
    with session_scope(engine) as s:
        # Thursday 17 April 2025 → Monday 28 April (Easter Monday and 25 April skipped)
        req = orig.richiedi(s, "doc-0001", ente="provincia-cremona", oggi=date(2025, 4, 17), richiesto_da="ispettore1")
        assert req.scadenza == date(2025, 4, 28) and req.stato == "richiesto"
        assert req.detentore == "cait-cremona"
        with pytest.raises(Conflict):
            orig.richiedi(s, "doc-0001", ente="provincia-cremona", oggi=date(2025, 4, 18), richiesto_da="x")
        avvisi = orig.notifiche(s, "cait", "cait-cremona")
        assert len(avvisi) == 1 and "28/04/2025" in avvisi[0].testo and "faldone F12" in avvisi[0].testo
        rid = req.id
    with session_scope(engine) as s:
        assert [r.id for r in orig.in_ritardo(s, date(2025, 4, 28))] == []
        assert [r.id for r in orig.in_ritardo(s, date(2025, 4, 29), detentore="cait-cremona")] == [rid]
        assert orig.in_ritardo(s, date(2025, 4, 29), detentore="cait-crema") == []
        with pytest.raises(Conflict):
            orig.segna_ricevuto(s, rid, il=date(2025, 4, 29), eseguito_da="x")
        orig.segna_inviato(s, rid, il=date(2025, 4, 29))
        assert orig.in_ritardo(s, date(2025, 5, 5)) == []
        orig.segna_ricevuto(s, rid, il=date(2025, 5, 2), eseguito_da="protocollo-provincia")
    with session_scope(engine) as s:
        where = orig.dove(s, "doc-0001")
    assert (where["detentore_tipo"], where["detentore"]) == ("ente", "provincia-cremona")
    assert where["trasferimenti"] == [{
        "da": "cait:cait-cremona", "a": "ente:provincia-cremona", "il": "2025-05-02",
        "eseguito_da": "protocollo-provincia",
    }]
    assert where["conserva_fino_al"] == "2027-07-31"


def test_originals_errors(engine) -> None:
    with session_scope(engine) as s:
        idx.registra(s, _dati(1))
        with pytest.raises(NotFound):
            orig.dove(s, "doc-0001")
        with pytest.raises(NotFound):
            orig.registra_originale(s, "manca", detentore_tipo="cait", detentore="c", ricevuto_il=date(2025, 1, 1))
        with pytest.raises(RuleViolation):
            orig.registra_originale(s, "doc-0001", detentore_tipo="ufficio", detentore="c",  # type: ignore[arg-type]
                                    ricevuto_il=date(2025, 1, 1))
        orig.registra_originale(s, "doc-0001", detentore_tipo="ente", detentore="provincia-cremona",
                                ricevuto_il=date(2025, 1, 1))
        with pytest.raises(Conflict):
            orig.richiedi(s, "doc-0001", ente="provincia-cremona", oggi=date(2025, 2, 1), richiesto_da="x")
        with pytest.raises(RuleViolation):
            orig.trasferisci(s, "doc-0001", a_tipo="cait", a="cait-crema", il=date(2024, 12, 31), eseguito_da="x")


def test_migration_matches_the_models(engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from archive.db import Base
    from test_migrations import _import_all_table_modules

    _import_all_table_modules()  # every archivio_* table (outbox, S3 versions…) on Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diff if "archivio_" in repr(d)]
    assert ours == []
