"""Session fixtures for the real services: PostgreSQL (and SQLite), both migrated.

``db_url`` is parametrised: every test that asks for it runs once on SQLite and
once on the PostgreSQL at ``CURIT_TEST_PG`` (default 127.0.0.1:5432, trust auth).
Each test gets a fresh, migrated database: SQLite copies a migrated file, PostgreSQL
clones a migrated template database (CREATE DATABASE … TEMPLATE).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from archive.db import make_engine, upgrade
from tests.s3 import bucket_name, s3_server, store  # noqa: F401 - the S3 servers, one definition for the run

PG_ADMIN_URL = os.environ.get("CURIT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# `curit-docs render` signs by default; in tests it signs only when a test asks (--firma or
# CURIT_FIRMA_OUTPUT=1 with its own CURIT_IDENTITA_DIR), so no run creates keys in the checkout's var/.
os.environ.setdefault("CURIT_FIRMA_OUTPUT", "0")
# Tests count the documents they archive: no demo documents issued behind their back.
os.environ.setdefault("CURIT_DEMO_DOCUMENTI", "0")


def pytest_configure(config: pytest.Config) -> None:
    """One folder of compiled blank layouts (``CURIT_STAMPA_CACHE_DIR``) for the whole run, both xdist
    workers and every server, worker and CLI process a test starts (they inherit the environment; the
    controller sets it before the workers are spawned and removes it at the end).

    Entries are keyed by the content of template, fonts and engine version (``renderers.stamp_layout``),
    written by atomic rename, and hold no test data; a process compiling into the folder holds its lock
    (``service.lavoratori``). Without it every ``serve`` of the E2E groups and of the server tests warmed
    every layout again from WeasyPrint: minutes of CPU per server. The data folders stay empty: each test
    still starts on its own empty ``var/``, and the first process to need a layout compiles it cold. Tests
    about the cache itself, and the first-run tests (``cli_locale`` drops every ``CURIT_*`` it is not
    given), name their own folder."""
    if "CURIT_STAMPA_CACHE_DIR" not in os.environ:
        config._cache_stampa = tempfile.mkdtemp(prefix="curit-stampa-")  # type: ignore[attr-defined]
        os.environ["CURIT_STAMPA_CACHE_DIR"] = config._cache_stampa  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    cartella = getattr(config, "_cache_stampa", None)
    if cartella is not None:
        shutil.rmtree(cartella, ignore_errors=True)
        os.environ.pop("CURIT_STAMPA_CACHE_DIR", None)


def _pg_url(dbname: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


def _pg_admin():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    name = f"curit_tpl_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(_pg_url(name))
    make_engine(_pg_url(name)).dispose()
    yield name
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated database (once per backend)."""
    if request.param == "sqlite":
        path = tmp_path / "curit.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("_pg_template")
    name = f"curit_t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_url(name)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``@pytest.mark.db_backend("postgresql")``: the tests of a flow that does not depend on the
    database run on that backend only (which and why: docs/parts/tests.md); tests that do not use
    ``db_url`` are left alone. Run before the fixture's own parametrisation, which then defers to it."""
    mark = metafunc.definition.get_closest_marker("db_backend")
    if mark is not None and "db_url" in metafunc.fixturenames:
        metafunc.definition.add_marker(pytest.mark.parametrize("db_url", list(mark.args), indirect=True))


@pytest.fixture
def engine(db_url: str):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


try:  # pytest >= 9.2: structured node ids
    from _pytest.nodeid import NodeId
except ImportError:  # pragma: no cover - older pytest, where xdist's own suffix works
    NodeId = None

_SHARED_SCOPES = ("module", "class", "package")


def _parametro_di_sessione(item: pytest.Item) -> tuple[tuple[str, int], ...]:
    """(fixture, parameter index) of the session-scoped parametrised fixtures the test uses."""
    info, spec = getattr(item, "_fixtureinfo", None), getattr(item, "callspec", None)
    if info is None or spec is None:
        return ()
    return tuple(sorted((nome, spec.indices[nome]) for nome, chain in info.name2fixturedefs.items()
                        if nome in spec.indices and any(d.scope == "session" for d in chain)))


def _un_server_alla_volta(items: list[pytest.Item]) -> None:
    """Tests of a session-scoped parametrised fixture (``s3_server``: SeaweedFS, Ceph RGW) ordered by its
    parameter within the places they already hold: pytest starts a parameter's server again each time
    the parameter changes, and the slow-first sort had split the SeaweedFS and Ceph runs in two (each
    server started twice per run, Ceph ~15 s). Their group runs on one worker in this order."""
    posti = [i for i, item in enumerate(items) if _parametro_di_sessione(item)]
    ordinati = sorted((items[i] for i in posti), key=_parametro_di_sessione)
    for i, item in zip(posti, ordinati):
        items[i] = item


def _un_database_per_server(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``@pytest.mark.db_per_s3(seaweedfs="sqlite", ceph="postgresql")``: of the (S3 server, database)
    pairs of a test that uses both ``s3_server`` and ``db_url``, only those named are kept (deselected,
    as ``-k`` does): each server once and each database once, where the test's database work is the
    same code that another test runs on every pair (which and why: docs/parts/tests.md)."""
    tenuti, tolti = [], []
    for item in items:
        mark = item.get_closest_marker("db_per_s3")
        params = getattr(getattr(item, "callspec", None), "params", {})
        if mark is not None and "s3_server" in params and "db_url" in params:
            (tenuti if mark.kwargs.get(params["s3_server"]) == params["db_url"] else tolti).append(item)
        else:
            tenuti.append(item)
    if tolti:
        config.hook.pytest_deselected(items=tolti)
        items[:] = tenuti


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """0. The pairs of ``db_per_s3`` (:func:`_un_database_per_server`), with or without xdist.

    xdist groups (``make test`` runs ``-n 2 --dist loadgroup``), on the worker side.

    1. A module whose tests share a module/class-scoped fixture (a rendered PDF, a test PKI) becomes
       its own group ``mod:<path>``: ``loadgroup`` deals ungrouped tests out one at a time, so the
       fixture would otherwise be built again on every worker. Tests that name a group keep it
       (``trylast``: the ``s3`` marks of tests/archive/conftest.py are already there).
    2. The group goes into the node id (``…::test@s3``), which is how the scheduler sees it.
       pytest-xdist 3.8 writes ``item._nodeid``, which pytest >= 9.2 no longer reads (structured
       ``NodeId``): groups were silently ignored (pytest-dev/pytest-xdist#1386). Done here
       until a fixed xdist is released; a no-op where xdist already added the suffix.
    3. Modules with ``slow`` tests first (a stable sort that keeps each module contiguous, so module
       fixtures are built once): the scheduler hands out the biggest groups first, then the rest
       in collection order, and a long test collected last would leave the other worker idle. Then the
       tests of ``s3_server`` by server (:func:`_un_server_alla_volta`).
    """
    _un_database_per_server(config, items)
    if not getattr(config.option, "loadgroup", False):
        return
    lenti = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in lenti)
    _un_server_alla_volta(items)
    for item in items:
        if not item.get_closest_marker("xdist_group"):
            info = getattr(item, "_fixtureinfo", None)
            defs = info.name2fixturedefs.values() if info else ()
            if any(d.scope in _SHARED_SCOPES for chain in defs for d in chain):
                item.add_marker(pytest.mark.xdist_group(f"mod:{item.nodeid.split('::')[0]}"))
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        suffixed = "@" in item.nodeid.rpartition("]")[2]
        if names and not suffixed and NodeId and isinstance(getattr(item, "_id", None), NodeId):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")
