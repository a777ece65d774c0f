"""Codice impianto: ISTAT comune (6) + tipologia CT/IN/TR + progressivo per Comune (7).

FORMS.md §14.1 (S1 §15.1): "020066CT0000001" is a centralised impianto in Viadana (MN).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator

from domain.errors import RuleViolation
from domain.istat import comune_by_istat

__all__ = ["CODICE_RE", "Tipologia", "TIPOLOGIE", "CodiceImpianto", "parse_codice_impianto", "CodiceImpiantoStr"]

CODICE_RE = re.compile(r"^(\d{6})(CT|IN|TR)(\d{7})$")
Tipologia = Literal["CT", "IN", "TR"]
TIPOLOGIE: dict[str, str] = {"CT": "centralizzato", "IN": "individuale", "TR": "teleriscaldamento"}


@dataclass(frozen=True)
class CodiceImpianto:
    istat: str
    tipologia: str
    progressivo: int

    def __str__(self) -> str:
        return f"{self.istat}{self.tipologia}{self.progressivo:07d}"


def parse_codice_impianto(value: str, *, path: tuple[str | int, ...] = ("codice_impianto",)) -> CodiceImpianto:
    """Validate format and ISTAT code; RuleViolation (Italian) otherwise."""
    text = (value or "").strip().upper()
    m = CODICE_RE.match(text)
    if not m:
        raise RuleViolation(
            "Codice impianto non valido: servono 6 cifre ISTAT, CT/IN/TR e 7 cifre (es. 020066CT0000001).",
            path=path,
        )
    istat, tipo, prog = m.groups()
    if comune_by_istat(istat) is None:
        raise RuleViolation(f"Codice ISTAT {istat} non corrisponde a nessun comune italiano.", path=path)
    if int(prog) == 0:
        raise RuleViolation("Il progressivo del codice impianto parte da 0000001.", path=path)
    return CodiceImpianto(istat, tipo, int(prog))


def _check(value: str) -> str:
    try:
        return str(parse_codice_impianto(value, path=()))
    except RuleViolation as exc:
        raise ValueError(exc.message) from None


CodiceImpiantoStr = Annotated[str, AfterValidator(_check)]
"""Pydantic field type: a valid codice impianto (format + existing ISTAT comune)."""
