"""archive/catasto.py: gap-free per-Comune codice allocation and the impianto record, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select

from archive.catasto import (
    ContatoreCodice,
    ImpiantoCatasto,
    alloca_codice,
    crea_impianto,
    get_impianto,
    registra_impianto,
)
from archive.db import Base, make_engine, session_scope
from domain.codice import parse_codice_impianto
from domain.errors import Conflict, NotFound, RuleViolation

PROCESSI = 2
PER_PROCESSO = 1000
THREAD = 4
TIPI = ("CT", "IN", "TR")


def _alloca_in_processo(url: str, istat: str, quante: int, thread: int, via, risultati) -> None:
    """Runs in a spawned process: its own engine, ``thread`` threads sharing ``quante`` allocations.
    ``via`` is a barrier crossed by every process once its engine is connected, so they overlap."""
    engine = make_engine(url)
    try:
        engine.connect().close()
        via.wait(timeout=120)
        with ThreadPoolExecutor(thread) as pool:
            futures = [pool.submit(alloca_codice, engine, istat, TIPI[i % 3]) for i in range(quante)]
            risultati.put([f.result() for f in futures])
    finally:
        engine.dispose()


@pytest.mark.slow
def test_two_processes_allocate_gap_free(db_url: str) -> None:
    """2 processes × 1000 allocations (4 threads each) for one Comune → exactly 1..2000."""
    ctx = multiprocessing.get_context("spawn")
    via, coda = ctx.Barrier(PROCESSI), ctx.Queue()
    processi = [
        ctx.Process(target=_alloca_in_processo, args=(db_url, "020066", PER_PROCESSO, THREAD, via, coda))
        for _ in range(PROCESSI)
    ]
    for p in processi:
        p.start()
    risultati = [coda.get(timeout=600) for _ in processi]
    for p in processi:
        p.join(timeout=60)
        assert p.exitcode == 0
    codici = [c for r in risultati for c in r]
    assert all(len(r) == PER_PROCESSO for r in risultati)
    assert len(set(codici)) == PROCESSI * PER_PROCESSO
    parsed = [parse_codice_impianto(c) for c in codici]
    assert {p.istat for p in parsed} == {"020066"}
    assert sorted(p.progressivo for p in parsed) == list(range(1, PROCESSI * PER_PROCESSO + 1))
    # the two processes really interleaved: neither got one contiguous block
    for r in risultati:
        numeri = sorted(parse_codice_impianto(c).progressivo for c in r)
        assert numeri[-1] - numeri[0] + 1 > len(numeri)
    # AMB-42 literal reading: CT, IN and TR drew from one counter
    assert {p.tipologia for p in parsed} == set(TIPI)
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            assert s.scalars(select(ContatoreCodice.ultimo).where(ContatoreCodice.istat == "020066")).one() == 2000
    finally:
        engine.dispose()


def test_counters_are_per_comune(engine) -> None:
    assert alloca_codice(engine, "020066", "CT") == "020066CT0000001"
    assert alloca_codice(engine, "020066", "in") == "020066IN0000002"
    assert alloca_codice(engine, "015146", "TR") == "015146TR0000001"
    assert alloca_codice(engine, "020066", "TR") == "020066TR0000003"


def test_per_tipologia_reading_is_a_separate_counter(engine) -> None:
    assert alloca_codice(engine, "020066", "CT", ambito="tipologia") == "020066CT0000001"
    assert alloca_codice(engine, "020066", "CT", ambito="tipologia") == "020066CT0000002"
    assert alloca_codice(engine, "020066", "IN", ambito="tipologia") == "020066IN0000001"
    assert alloca_codice(engine, "020066", "IN") == "020066IN0000001"  # the per-Comune counter is untouched


def test_rollback_gives_the_number_back(engine) -> None:
    with pytest.raises(RuntimeError):
        with session_scope(engine) as s:
            assert alloca_codice(s, "020066", "CT") == "020066CT0000001"
            raise RuntimeError("impianto non salvato")
    assert alloca_codice(engine, "020066", "CT") == "020066CT0000001"


@pytest.mark.parametrize(
    ("istat", "tipo", "campo"),
    [("02006", "CT", "istat"), ("999999", "CT", "istat"), ("020066", "XX", "tipologia")],
)
def test_bad_input_is_refused_before_allocating(engine, istat: str, tipo: str, campo: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        alloca_codice(engine, istat, tipo)
    assert exc.value.path == (campo,)
    with session_scope(engine) as s:
        assert s.scalars(select(ContatoreCodice)).all() == []


def test_exhausted_counter(engine) -> None:
    with session_scope(engine) as s:
        s.add(ContatoreCodice(istat="020066", ambito="*", ultimo=9_999_999))
    with pytest.raises(Conflict, match="Progressivi esauriti"):
        alloca_codice(engine, "020066", "CT")


def _nuovo_impianto(**extra) -> ImpiantoCatasto:
    campi = dict(
        istat="020066",
        tipologia="CT",
        indirizzo="Via Giuseppe Garibaldi",
        civico="10",
        cap="46019",
        ente_id="provincia-mantova",
        potenza_focolare_totale_kw=Decimal("120.50"),
        responsabile_cognome_nome="Rossi Mario",
        responsabile_cf="RSSMRA80A01F205X",
    )
    campi.update(extra)
    return ImpiantoCatasto(**campi)


def test_registra_and_get_impianto(engine) -> None:
    with session_scope(engine) as s:
        codice = registra_impianto(s, _nuovo_impianto())
    assert codice == "020066CT0000001"
    with session_scope(engine) as s:
        imp = get_impianto(s, "020066ct0000001")
        assert (imp.comune, imp.provincia, imp.stato) == ("Viadana", "MN", "da ispezionare")
        assert imp.potenza_focolare_totale_kw == Decimal("120.50")
        assert imp.created_at is not None
    with session_scope(engine) as s, pytest.raises(NotFound, match="non presente nel catasto"):
        get_impianto(s, "020066CT0000002")


def test_existing_code_is_kept_and_duplicates_refused(engine) -> None:
    with session_scope(engine) as s:
        assert registra_impianto(s, _nuovo_impianto(codice_impianto="020066CT0000500")) == "020066CT0000500"
    with pytest.raises(Conflict, match="già nel catasto"):
        with session_scope(engine) as s:
            registra_impianto(s, _nuovo_impianto(codice_impianto="020066CT0000500"))
    with pytest.raises(RuleViolation, match="non corrisponde a comune e tipologia"):
        with session_scope(engine) as s:
            registra_impianto(s, _nuovo_impianto(codice_impianto="015146CT0000001"))


@pytest.mark.parametrize(("campo", "valore", "messaggio"), [("stato", "demolito", "Stato impianto"), ("ente_id", "", "Ente")])
def test_registra_refuses_bad_records(engine, campo: str, valore: str, messaggio: str) -> None:
    with pytest.raises(RuleViolation, match=messaggio):
        with session_scope(engine) as s:
            registra_impianto(s, _nuovo_impianto(**{campo: valore}))


def test_migration_matches_the_models(engine) -> None:
    insp = inspect(engine)
    for table in (ContatoreCodice.__table__, ImpiantoCatasto.__table__):
        assert table.name in Base.metadata.tables
        migrated = {c["name"]: c for c in insp.get_columns(table.name)}
        assert set(migrated) == {c.name for c in table.columns}
        for col in table.columns:
            assert migrated[col.name]["nullable"] == col.nullable, (table.name, col.name)
        assert set(insp.get_pk_constraint(table.name)["constrained_columns"]) == {c.name for c in table.primary_key}


def test_crea_impianto_defaults_to_the_competent_ente(engine) -> None:
    with session_scope(engine) as s:
        codice = crea_impianto(s, istat="017029", tipologia="ct", indirizzo="Via Trieste 21", civico="21")
        assert codice == "017029CT0000001"
        assert get_impianto(s, codice).ente_id == "comune-brescia"
        altro = crea_impianto(s, istat="020066", tipologia="IN", indirizzo="Via Garibaldi 10", stato="certificato")
        assert (get_impianto(s, altro).ente_id, get_impianto(s, altro).stato) == ("provincia-mantova", "certificato")
