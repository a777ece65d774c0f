"""Every table declared on ``archive.db.Base`` is created by the Alembic migrations, exactly."""

from __future__ import annotations

import importlib
import pkgutil

import archive
from archive.db import Base

_DEV_ONLY = {"ceph_dev", "seaweed"}


def _import_all_table_modules() -> None:
    for info in pkgutil.iter_modules(archive.__path__):
        if info.name not in _DEV_ONLY and not info.ispkg:
            importlib.import_module(f"archive.{info.name}")


def test_migrations_create_exactly_the_declared_schema(engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    _import_all_table_modules()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
