"""Identifiers: codice fiscale, partita IVA, CAP (python-stdnum for CF and P.IVA)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from stdnum.it import codicefiscale, iva

__all__ = ["valida_cf", "valida_piva", "valida_cf_o_piva", "CodiceFiscale", "PartitaIva", "CfOPiva", "Cap"]


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


def _cap(value: str) -> str:
    v = (value or "").strip()
    if not re.fullmatch(r"\d{5}", v):
        raise ValueError("CAP non valido: servono 5 cifre.")
    return v


CodiceFiscale = Annotated[str, AfterValidator(valida_cf)]
PartitaIva = Annotated[str, AfterValidator(valida_piva)]
CfOPiva = Annotated[str, AfterValidator(valida_cf_o_piva)]
Cap = Annotated[str, AfterValidator(_cap)]
