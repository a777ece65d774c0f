"""Batch tests: settings pointing at a job directory and a migrated SQLite database; one embedded
SeaweedFS per module for the tests that need S3 (``weed``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archive.db import make_engine, upgrade
from archive.seaweed import EmbeddedSeaweed
from service.settings import ROOT, Settings

VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
S3_KEY, S3_SECRET = "curitbatch", "curit-batch-secret-0123456789"


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory):
    """A real S3 (``weed mini`` on loopback) for the module's tests."""
    with EmbeddedSeaweed(tmp_path_factory.mktemp("weed") / "data", S3_KEY, S3_SECRET) as server:
        yield server


@pytest.fixture
def ambiente(tmp_path: Path) -> dict[str, str]:
    """Environment of a batch run (also for subprocesses): job dir, database, shared stamp cache."""
    db = f"sqlite:///{tmp_path / 'curit.db'}"
    upgrade(db)
    return {**os.environ, "CURIT_BATCH_DIR": str(tmp_path / "lavori"), "CURIT_DB_URL": db,
            "CURIT_STAMPA_CACHE_DIR": str(ROOT / "var" / "cache" / "stampa")}


@pytest.fixture
def settings(ambiente: dict[str, str]) -> Settings:
    return Settings(batch_dir=Path(ambiente["CURIT_BATCH_DIR"]), db_url=ambiente["CURIT_DB_URL"])


@pytest.fixture
def engine(settings: Settings):
    e = make_engine(settings.db_url)
    yield e
    e.dispose()


def _impianti(n: int) -> list[dict[str, object]]:
    """``n`` distinct plate records in real Lombard comuni (Cremona, Viadana, Milano)."""
    comuni = [("019036", "Cremona"), ("020066", "Viadana"), ("015146", "Milano")]
    out = []
    for i in range(n):
        istat, nome = comuni[i % 3]
        out.append({"codice_impianto": f"{istat}{'CT' if i % 2 else 'IN'}{i + 1:07d}", "indirizzo": "Via Giuseppe Verdi",
                    "civico": str(i % 90 + 1), "comune": nome, "ente_id": None})
    return out


@pytest.fixture
def impianti():
    """Factory: ``impianti(n)`` plate records."""
    return _impianti
