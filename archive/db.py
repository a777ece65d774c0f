"""Database URL → engine, sessions and migrations (SQLAlchemy 2 + Alembic).

Every table module under ``archive/`` declares its tables on :class:`Base`;
schema changes go through Alembic migrations in ``archive/migrations``.

:func:`make_engine` is the one door to the database: every CLI verb, the API, the Celery
worker and the benchmarks get their engine from it, and it brings the schema up to date the
first time a process opens a database (one cheap query when it already is; an advisory lock on
PostgreSQL and a file lock on SQLite when two processes start on a new database at once).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import threading
from pathlib import Path

from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

__all__ = ["Base", "make_engine", "session_scope", "upgrade", "esegui", "flush", "MIGRATIONS_DIR", "dimentica_schemi"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)


def make_engine(url: str, *, migra: bool = True, **kwargs) -> Engine:
    """Create an engine, the schema brought up to date first (``migra=False`` only for the
    migrations themselves). SQLite gets WAL, foreign keys and a busy timeout so that several
    processes can share the embedded file safely.

    Raises :class:`~archive.errors.DatabaseNonDisponibile` when the database cannot be reached
    and :class:`~archive.errors.SchemaNonAggiornato` when its schema cannot be brought up to date.
    """
    engine = _crea_engine(url, **kwargs)
    if migra and not getattr(_locale, "migrando", False):
        try:
            _assicura_schema(engine, url)
        except BaseException:
            engine.dispose()
            raise
    return engine


def _crea_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn) -> None:
            # Take the write lock at BEGIN: read-then-write transactions (counters,
            # stock moves) then serialise instead of failing with "database is locked".
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@contextmanager
def session_scope(bind: Engine | sessionmaker) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (``bind``: an engine, or a
    session factory already made for it)."""
    factory = bind if isinstance(bind, sessionmaker) else sessionmaker(bind, expire_on_commit=False)
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def esegui(session: Session, stmt: Any, params: Any = None) -> Any:
    """Run one statement; database failures become the product's errors
    (:func:`archive.errors.errore_database`: unreachable → ``DatabaseNonDisponibile``, a
    ``StorageError``; missing table → ``SchemaNonAggiornato``; else ``ErroreDatabase``). An
    ``IntegrityError`` is left to the caller, which usually turns it into a domain Conflict."""
    from archive.errors import errore_database

    try:
        if params is None:
            return session.execute(stmt, execution_options={"synchronize_session": False})
        return session.execute(stmt, params)
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise errore_database(exc) from exc


def flush(session: Session) -> None:
    """``session.flush()`` with database failures as the product's database errors."""
    from archive.errors import errore_database

    try:
        session.flush()
    except SQLAlchemyError as exc:
        raise errore_database(exc) from exc


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (``alembic upgrade heads``): idempotent,
    and serialised between processes (PostgreSQL advisory lock, SQLite lock file), so two
    processes starting on a new database at once both find it migrated."""
    engine = _crea_engine(url)
    try:
        _assicura_schema(engine, url, forza=True)
    finally:
        engine.dispose()


# -- schema up to date -------------------------------------------------------------------------

_locale = threading.local()
_aggiornati: set[tuple[Any, ...]] = set()
_aggiornati_lock = threading.Lock()
_PG_LOCK_ID = 0x43555249  # "CURI": the advisory lock of migrations


def dimentica_schemi() -> None:
    """Forget which databases this process found up to date (the next engine checks again): for a
    long-lived process that runs several commands, like the in-process CLI of the tests."""
    with _aggiornati_lock:
        _aggiornati.clear()


def _chiave(url: str) -> tuple[Any, ...] | None:
    """What this process remembers as up to date; None (check every time: a few milliseconds) for
    SQLite, whose file can be deleted and created again behind the process's back."""
    return None if url.startswith("sqlite") else (url,)


_TESTE: frozenset[str] | None = None


def _teste() -> frozenset[str]:
    """The heads of this program's migrations, read from the revision files' ``revision`` and
    ``down_revision`` assignments: the same set as alembic's ``ScriptDirectory.get_heads()``
    (tested), without importing alembic (~0.1 s of every command) when the schema is current."""
    global _TESTE
    if _TESTE is None:
        import ast

        revisioni: set[str] = set()
        precedenti: set[str] = set()
        for f in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
            for nodo in ast.parse(f.read_text(encoding="utf-8")).body:
                if isinstance(nodo, (ast.Assign, ast.AnnAssign)):
                    bersagli = nodo.targets if isinstance(nodo, ast.Assign) else [nodo.target]
                    nomi = {b.id for b in bersagli if isinstance(b, ast.Name)}
                    if nomi & {"revision", "down_revision"} and nodo.value is not None:
                        valore = ast.literal_eval(nodo.value)
                        valori = {valore} if isinstance(valore, str) else set(valore or ())
                        (revisioni if "revision" in nomi else precedenti).update(valori)
        _TESTE = frozenset(revisioni - precedenti)
    return _TESTE


_SCRIPT: Any = None


def _script() -> Any:
    global _SCRIPT
    if _SCRIPT is None:
        from alembic.script import ScriptDirectory

        _SCRIPT = ScriptDirectory(str(MIGRATIONS_DIR))
    return _SCRIPT


def _versioni(conn: Any) -> frozenset[str] | None:
    """The revisions recorded in the database; None when it has never been migrated."""
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table("alembic_version"):
        return None
    return frozenset(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))


def _stato(engine: Engine) -> frozenset[str] | None:
    with engine.connect() as conn:
        versioni = _versioni(conn)
        conn.rollback()
    return versioni


def _nota(revisione: str) -> bool:
    """Whether this program's migrations know ``revisione``."""
    try:
        return _script().get_revision(revisione) is not None
    except Exception:  # alembic: "No such revision or branch"
        return False


def _controlla_sconosciute(versioni: frozenset[str] | None) -> None:
    from archive.errors import SchemaNonAggiornato

    sconosciute = sorted(v for v in versioni or () if not _nota(v))
    if sconosciute:
        raise SchemaNonAggiornato(
            "Il database è stato aggiornato da una versione più recente di curit-docs (revisione "
            f"{', '.join(sconosciute)}): aggiornare il programma prima di usarlo.")


def _assicura_schema(engine: Engine, url: str, *, forza: bool = False) -> None:
    from archive.errors import ErroreDatabase, SchemaNonAggiornato, errore_database

    chiave = _chiave(url)
    if not forza and chiave is not None and chiave in _aggiornati:
        return
    if url.startswith("sqlite") and ("///" not in url or url.endswith(":memory:")):
        return  # a private in-memory database: nothing to share, nothing to keep
    teste = _teste()
    try:
        versioni = _stato(engine)
        if versioni != teste:
            _controlla_sconosciute(versioni)
            with _lock_migrazione(engine, url):
                versioni = _stato(engine)  # another process may have just done it
                if versioni != teste:
                    _controlla_sconosciute(versioni)
                    _esegui_alembic(url)
    except SQLAlchemyError as exc:
        errore = errore_database(exc)
        if isinstance(errore, ErroreDatabase):  # a migration the database refused
            errore = SchemaNonAggiornato("Aggiornamento dello schema del database non riuscito.")
            errore.__cause__ = exc
        raise errore from exc
    chiave = _chiave(url)
    if chiave is not None:
        with _aggiornati_lock:
            _aggiornati.add(chiave)


@contextmanager
def _lock_migrazione(engine: Engine, url: str) -> Iterator[None]:
    if url.startswith("sqlite"):
        import fcntl

        path = Path(url.split("///", 1)[-1])
        with open(path.with_name(path.name + ".migrazione.lock"), "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    from sqlalchemy import text

    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_ID})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_ID})
            conn.commit()


def _esegui_alembic(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from archive.errors import SchemaNonAggiornato

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    _locale.migrando = True  # migrations/env.py opens its engine through make_engine
    try:
        command.upgrade(cfg, "heads")
    except SQLAlchemyError:
        raise
    except Exception as exc:  # alembic.util.CommandError and the like
        raise SchemaNonAggiornato("Aggiornamento dello schema del database non riuscito.") from exc
    finally:
        _locale.migrando = False
