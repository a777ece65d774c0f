"""Every table declared on ``archive.db.Base`` is created by the Alembic migrations, exactly."""

from __future__ import annotations

import importlib
import pkgutil

import archive
from archive.db import Base

_DEV_ONLY = {"ceph_dev", "seaweed", "seaweed_processi"}


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


def test_heads_read_from_the_revision_files_are_alembic_heads() -> None:
    """make_engine checks the schema against heads parsed from the revision files (no alembic import
    when the schema is current): they must be exactly the heads alembic itself computes."""
    from alembic.script import ScriptDirectory

    from archive.db import MIGRATIONS_DIR, _teste

    assert _teste() == frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())
    assert len(_teste()) > 1  # the branches of the project: a set, not one revision
