"""Codice impianto: ISTAT comune (6) + tipologia CT/IN/TR + progressivo per Comune (7).

FORMS.md §14.1 (S1 §15.1 L1487–1508): "020066CT0000001" is a centralised impianto
in Viadana (MN). The code is valid for the whole life of the impianto. The
progressive number is allocated by ``archive.catasto.alloca_codice``; this module
only builds, parses and validates codes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator

from domain.errors import Path, RuleViolation
from domain.istat import Comune, comune_by_istat

__all__ = [
    "CODICE_RE",
    "Tipologia",
    "TIPOLOGIE",
    "PROGRESSIVO_MAX",
    "CodiceImpianto",
    "parse_codice_impianto",
    "codice_impianto",
    "valida_tipologia",
    "CodiceImpiantoStr",
    "REGIONE",
    "valida_istat_lombardo",
    "comune_discorde",
    "controlla_comune",
]

REGIONE = "Lombardia"
"""The CURIT is Lombardy's catasto: codici impianto exist only for its comuni."""

CODICE_RE = re.compile(r"^([0-9]{6})(CT|IN|TR)([0-9]{7})$")
Tipologia = Literal["CT", "IN", "TR"]
TIPOLOGIE: dict[str, str] = {"CT": "centralizzato", "IN": "individuale", "TR": "teleriscaldamento"}
"""Tipologia impianto as printed in S1 L1493–1494."""

PROGRESSIVO_MAX = 9_999_999
"""Seven digits: the largest progressive a Comune can reach."""

_PATH: Path = ("codice_impianto",)


@dataclass(frozen=True)
class CodiceImpianto:
    """A parsed codice impianto; ``str()`` gives back the 15-character code."""

    istat: str
    """ISTAT code of the Comune where the impianto is (6 digits)."""
    tipologia: str
    """``CT`` centralizzato, ``IN`` individuale, ``TR`` teleriscaldamento."""
    progressivo: int
    """1 … 9 999 999, per Comune."""

    def __str__(self) -> str:
        return f"{self.istat}{self.tipologia}{self.progressivo:07d}"

    @property
    def comune(self) -> Comune:
        """The ISTAT comune (always exists for a parsed code)."""
        found = comune_by_istat(self.istat)
        if found is None:
            raise RuleViolation(f"Codice ISTAT {self.istat} non corrisponde a nessun comune italiano.", path=_PATH)
        return found

    @property
    def descrizione_tipologia(self) -> str:
        return TIPOLOGIE[self.tipologia]


def valida_tipologia(value: str, *, path: Path = ("tipologia",)) -> str:
    """``CT``/``IN``/``TR`` (case-insensitive) → upper case; RuleViolation otherwise."""
    v = (value or "").strip().upper()
    if v not in TIPOLOGIE:
        raise RuleViolation(
            "Tipologia impianto non valida: CT (centralizzato), IN (individuale) o TR (teleriscaldamento).", path=path
        )
    return v


def codice_impianto(istat: str, tipologia: str, progressivo: int) -> str:
    """Build the 15-character code from its parts (FORMS.md §14.1), checking each part."""
    tipo = valida_tipologia(tipologia)
    if not 1 <= progressivo <= PROGRESSIVO_MAX:
        raise RuleViolation(
            f"Progressivo impianto fuori intervallo (da 1 a {PROGRESSIVO_MAX}) per il comune {istat}.", path=_PATH
        )
    valida_istat_lombardo(istat)
    return str(parse_codice_impianto(f"{istat}{tipo}{progressivo:07d}"))


def parse_codice_impianto(value: str, *, path: Path = _PATH) -> CodiceImpianto:
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


def valida_istat_lombardo(istat: str, *, path: Path = ("istat",)) -> Comune:
    """The Lombard comune of a 6-digit ISTAT code; RuleViolation naming it for any other."""
    comune = comune_by_istat((istat or "").strip())
    if comune is None:
        raise RuleViolation(f"Il codice ISTAT {istat} non corrisponde a nessun comune italiano.", path=path)
    if comune.regione != REGIONE:
        raise RuleViolation(
            f"Il comune {comune.nome} ({comune.sigla_provincia}, ISTAT {comune.istat}) non è in Lombardia: "
            "il Catasto Unico Regionale Impianti Termici assegna codici impianto solo ai comuni lombardi.",
            path=path,
        )
    return comune


def _check(value: str) -> str:
    try:
        parsed = parse_codice_impianto(value, path=())
        valida_istat_lombardo(parsed.istat, path=())
    except RuleViolation as exc:
        raise ValueError(exc.message) from None
    return str(parsed)


CodiceImpiantoStr = Annotated[str, AfterValidator(_check)]
"""Pydantic field type: a valid codice impianto of a Lombard comune (format + ISTAT code)."""


def _piega(text: str) -> str:
    """Compare place names ignoring case, accents and apostrophe style."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


_SIGLA_IN_CODA = re.compile(r"^(.*?)\s*\(([A-Za-z]{2})\)$")


def comune_discorde(
    codice: str | None, comune: object, *, path: Path = ("comune",), campo_codice: str = "codice impianto"
) -> RuleViolation | None:
    """The error when ``comune`` (as written on a form: ``Viadana``, ``Brescia (BS)``) is not the comune
    of the codice impianto's ISTAT part; None when they agree or one of them is absent. The message
    names both fields, so the user can tell which one to correct."""
    if not codice or not isinstance(comune, str) or not comune.strip() or comune == "BARRATO":
        return None
    registrato = comune_by_istat(codice[:6])
    if registrato is None:
        return None
    nome, sigla = comune.strip(), None
    m = _SIGLA_IN_CODA.match(nome)
    if m:
        nome, sigla = m.group(1), m.group(2).upper()
    if _piega(nome) == _piega(registrato.nome) and sigla in (None, registrato.sigla_provincia):
        return None
    return RuleViolation(
        f"Il comune «{comune}» non è quello del {campo_codice} {codice}, che è del comune di {registrato.nome} "
        f"({registrato.sigla_provincia}, ISTAT {registrato.istat}): correggere il comune o il {campo_codice}.",
        path=path,
    )


def controlla_comune(codice: str | None, comune: object, *, path: Path = ("comune",),
                     campo_codice: str = "codice catasto impianti") -> None:
    """Raise :func:`comune_discorde`'s error, if any (a document type's rule)."""
    errore = comune_discorde(codice, comune, path=path, campo_codice=campo_codice)
    if errore is not None:
        raise errore
