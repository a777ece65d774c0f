"""The database for CLI verbs: one transaction on the migrated ``CURIT_DB_URL``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

__all__ = ["sessione"]


@contextmanager
def sessione() -> Iterator[Session]:
    """Migrate the configured database if needed (a fresh machine works), open one unit of
    work, commit on success and roll back on any error."""
    from archive.db import make_engine, session_scope
    from service.settings import get_settings

    engine = make_engine(get_settings().db_url)  # brings the schema up to date
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()
