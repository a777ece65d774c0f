"""Types shared by the form models (FORMS.md §0.3, §0.5)."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BARRATO", "Barrabile", "Modello", "SiNo", "Strumento", "IndirizzoEnte"]

BARRATO = "BARRATO"
"""The explicit 'struck through' state (annullato tracciando una riga), distinct from empty."""

T = TypeVar("T")
Barrabile = Union[T, Literal["BARRATO"], None]
"""A value, the explicit BARRATO state, or None (left blank for handwriting)."""


class Modello(BaseModel):
    """Base of every form model: unknown keys are errors, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


SiNo = Literal["Si", "No"]


class Strumento(Modello):
    """Measuring instrument (A/B §7, CURIT 'strumenti')."""

    # Issue 17: the 19 mm slots of A/B 7.c (two lines at ≥ 5 pt)
    marca: Annotated[str, Field(max_length=20)] | None = None
    modello: Annotated[str, Field(max_length=20)] | None = None
    matricola: Annotated[str, Field(max_length=20)] | None = None


class IndirizzoEnte(Modello):
    """Addressee block of H, I and L."""  # FORMS.md §0.5

    tipo_ente: Literal["Comune", "Provincia"]
    # issue 17: one line of the addressee block (H and I narrow them further)
    denominazione: Annotated[str, Field(max_length=40)]
    via: Annotated[str, Field(max_length=40)] | None = None
    citta: Annotated[str, Field(max_length=40)] | None = None
