"""Database URL → engine, sessions and migrations (SQLAlchemy 2 + Alembic).

Every table module under ``archive/`` declares its tables on :class:`Base`;
schema changes go through Alembic migrations in ``archive/migrations``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

__all__ = ["Base", "make_engine", "session_scope", "upgrade", "esegui", "flush", "MIGRATIONS_DIR"]

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


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout so that
    several processes can share the embedded file safely."""
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
    """Run one statement; database failures become ``StorageError`` (an ``IntegrityError`` is
    left to the caller, which usually turns it into a domain Conflict)."""
    from archive.errors import StorageError

    try:
        if params is None:
            return session.execute(stmt, execution_options={"synchronize_session": False})
        return session.execute(stmt, params)
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise StorageError() from exc


def flush(session: Session) -> None:
    """``session.flush()`` with database failures as ``StorageError``."""
    from archive.errors import StorageError

    try:
        session.flush()
    except SQLAlchemyError as exc:
        raise StorageError() from exc


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (``alembic upgrade heads``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "heads")
