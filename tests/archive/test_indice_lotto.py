"""archive/indice_lotto.py: a block of index rows in one round gives the rows that ``registra`` of
each would give: new documents inserted together, a new version of an indexed document, the same
owner's bytes twice in a block (one document), a conflicting id refused in Italian. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from archive import indice as idx
from archive.db import session_scope
from archive.indice_lotto import registra_lotto
from domain.errors import Conflict

ORA = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def _dati(n: int, *, sha: int | None = None, version: str | None = None, ente: str = "provincia-mantova",
          generato: bool = False) -> idx.DatiIndice:
    doc_id = f"{n:032x}" if generato else f"lotto-{n:03d}"
    return idx.DatiIndice(
        id=doc_id, tipo="allegato-g", data_documento=date(2025, 10, 1), stagione="2025/2026",
        s3_key=f"{ente}/2025-2026/allegato-g/020066IN0000001/{doc_id}.pdf", version_id=version or f"v-{n}",
        sha256=f"{sha if sha is not None else n:064x}", dimensione=1234, conserva_fino_al=date(2032, 7, 31),
        riferimento_temporale=ORA, oggetto="Allegato G", codice_impianto="020066IN0000001", ente=ente,
        cait="CAIT-MN-01", id_stabile=not generato)


def _conta(engine) -> tuple[int, int]:
    with session_scope(engine) as s:
        return (s.scalar(select(func.count()).select_from(idx.Documento)),
                s.scalar(select(func.count()).select_from(idx.VersioneDocumento)))


def test_blocco_nuovo_come_registra_di_ciascuno(engine) -> None:
    with session_scope(engine) as s:
        righe = [idx.as_dict(d) for d in registra_lotto(s, [_dati(n) for n in range(1, 9)])]
    assert [r["id"] for r in righe] == [f"lotto-{n:03d}" for n in range(1, 9)]
    assert _conta(engine) == (8, 8)
    with session_scope(engine) as s:
        uno = idx.as_dict(idx.registra(s, _dati(1)))  # the same write again: the same row, no new version
        rilette = [idx.as_dict(idx.documento(s, f"lotto-{n:03d}")) for n in range(1, 9)]
    assert uno == rilette[0]  # as read back (SQLite gives datetimes back without their zone)
    campi = ("id", "sha256", "version_id", "s3_key", "titolare", "conserva_fino_al", "firma_esito", "oggetto")
    assert [{k: r[k] for k in campi if k in r} for r in rilette] == [{k: r[k] for k in campi if k in r} for r in righe]
    assert righe[3]["sha256"] == f"{4:064x}" and righe[3]["version_id"] == "v-4"
    assert _conta(engine) == (8, 8)


def test_blocco_misto_nuova_versione_e_stessi_byte(engine) -> None:
    with session_scope(engine) as s:
        registra_lotto(s, [_dati(1), _dati(2)])
    blocco = [_dati(1, version="v-1-bis", sha=101),  # a new version of an indexed document
              _dati(3), _dati(4),
              _dati(5, sha=55, generato=True), _dati(6, sha=55, generato=True)]  # one owner's bytes twice
    with session_scope(engine) as s:
        righe = registra_lotto(s, blocco)
        ids = [d.id for d in righe]
        assert righe[0].version_id == "v-1-bis"
    assert ids[:3] == ["lotto-001", "lotto-003", "lotto-004"]
    assert ids[3] == ids[4] == f"{5:032x}"  # the second is the first document (idempotent)
    assert _conta(engine) == (5, 6)  # lotto-001 has two versions; the twin bytes one row and one version


def test_id_di_altro_titolare_rifiutato(engine) -> None:
    with session_scope(engine) as s:
        registra_lotto(s, [_dati(1), _dati(2)])
    with pytest.raises(Conflict, match="già archiviato con altri dati"):
        with session_scope(engine) as s:
            registra_lotto(s, [_dati(3), _dati(1, ente="provincia-brescia", version="v-x")])
    assert _conta(engine) == (2, 2)  # the block's transaction wrote nothing
