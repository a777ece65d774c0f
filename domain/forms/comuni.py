"""Types shared by the form models (FORMS.md §0.3, §0.5)."""

from __future__ import annotations

from typing import Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict

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

    marca: str | None = None
    modello: str | None = None
    matricola: str | None = None


class IndirizzoEnte(Modello):
    """Addressee block of H, I and L."""  # FORMS.md §0.5

    tipo_ente: Literal["Comune", "Provincia"]
    denominazione: str
    via: str | None = None
    citta: str | None = None
