"""The one error shape: Italian messages with pydantic-style field paths."""

from __future__ import annotations

from datetime import date
from typing import Literal

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from domain.errors import NotFound, RuleViolation, ValidationFailed, format_path, from_pydantic
from domain.forms.comuni import Barrabile


class _Generatore(BaseModel):
    potenza_kw: int
    fluido: Literal["acqua", "aria", "altro"]


class _Modello(BaseModel):
    data: Barrabile[date] = None
    generatori: list[_Generatore]
    nome: str

    @field_validator("nome")
    @classmethod
    def _nome(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("Il nome non può essere vuoto.")
        return v


def _errors(data: dict) -> list[dict]:
    with pytest.raises(ValidationError) as info:
        _Modello.model_validate(data)
    return from_pydantic(info.value).as_list()


def test_paths_and_italian_messages() -> None:
    errors = _errors({"data": "ieri", "generatori": [{"potenza_kw": "tanta", "fluido": "olio"}], "nome": " "})
    by_field = {e["campo"]: e["messaggio"] for e in errors}
    assert by_field == {
        "data": "Data non valida (formato aaaa-mm-gg).",
        "generatori[0].potenza_kw": "Deve essere un numero intero.",
        "generatori[0].fluido": "Valore non ammesso: scegliere tra acqua, aria o altro.",
        "nome": "Il nome non può essere vuoto.",
    }


def test_missing_field() -> None:
    assert _errors({"generatori": []}) == [{"campo": "nome", "loc": ["nome"], "messaggio": "Campo obbligatorio mancante."}]


def test_barrato_is_accepted_and_not_reported_as_alternative() -> None:
    assert _Modello.model_validate({"data": "BARRATO", "generatori": [], "nome": "x"}).data == "BARRATO"
    assert all("BARRATO" not in e["messaggio"] for e in _errors({"data": "x", "generatori": [], "nome": "x"}))


class _Soggetto(BaseModel):
    cf_piva: int


class _ConSoggetto(BaseModel):
    occupante: Barrabile[_Soggetto] = None


def test_model_branch_name_is_not_in_the_path() -> None:
    with pytest.raises(ValidationError) as info:
        _ConSoggetto.model_validate({"occupante": {"cf_piva": "x"}})
    assert [e["campo"] for e in from_pydantic(info.value).as_list()] == ["occupante.cf_piva"]


def test_uppercase_data_keys_stay_in_the_path() -> None:
    class _Quote(BaseModel):
        fasce: dict[str, int]

    with pytest.raises(ValidationError) as info:
        _Quote.model_validate({"fasce": {"F1": "x", "C14": 2}})
    assert [e["campo"] for e in from_pydantic(info.value).as_list()] == ["fasce.F1"]


def test_format_path() -> None:
    assert format_path(("impianto", "generatori", 0, "potenza_kw")) == "impianto.generatori[0].potenza_kw"
    assert format_path(()) == ""


def test_error_classes_carry_message_and_path() -> None:
    err = RuleViolation("La potenza deve essere maggiore di zero.", path=("generatori", 0, "potenza_kw"))
    assert str(err) == "generatori[0].potenza_kw: La potenza deve essere maggiore di zero."
    assert NotFound().message == "Elemento non trovato."
    many = ValidationFailed([err, RuleViolation("Manca.", path=("nome",))])
    assert many.message == "2 errori nei dati." and len(many.as_list()) == 2
