"""domain/identificativi.py: CF, P.IVA, CAP, ISTAT codes, manutentore usernames (FORMS.md §16, §19)."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel, ValidationError

from domain.errors import from_pydantic
from domain.identificativi import (
    AMB56_REGISTRAZIONE_18_09_2015,
    DATA_USERNAME_SCELTO,
    Cap,
    CfOPiva,
    CodiceFiscale,
    IstatComune,
    PartitaIva,
    istat_da_distributore,
    istat_distributore,
    schema_username,
    username_manutentore,
    valida_cap,
    valida_cf,
    valida_cf_o_piva,
    valida_codice_provincia,
    valida_istat_comune,
    valida_piva,
)


@pytest.mark.parametrize(
    ("value", "atteso"),
    [
        ("RSSMRA80A01F205X", "RSSMRA80A01F205X"),
        ("rssmra80a01f205x", "RSSMRA80A01F205X"),
        ("BNCLRA85T45L826J", "BNCLRA85T45L826J"),  # born in Viadana (L826)
        ("01199250158", "01199250158"),  # numeric CF of a legal person = its P.IVA
    ],
)
def test_cf_valid(value: str, atteso: str) -> None:
    assert valida_cf(value) == atteso


@pytest.mark.parametrize("value", ["RSSMRA80A01F205Y", "RSSMRA80A01F205", "", "01199250159", "XXXXXXXXXXXXXXXX"])
def test_cf_invalid(value: str) -> None:
    with pytest.raises(ValueError, match="non valid"):
        valida_cf(value)


@pytest.mark.parametrize("value", ["01199250158", "IT01199250158", " 80012000826 "])
def test_piva_valid(value: str) -> None:
    assert valida_piva(value) == value.strip().removeprefix("IT")


@pytest.mark.parametrize("value", ["01199250159", "0119925015", "ABCDEFGHIJK", ""])
def test_piva_invalid(value: str) -> None:
    with pytest.raises(ValueError, match="Partita IVA non valida"):
        valida_piva(value)


def test_cf_o_piva() -> None:
    assert valida_cf_o_piva("01199250158") == "01199250158"
    assert valida_cf_o_piva("RSSMRA80A01F205X") == "RSSMRA80A01F205X"
    with pytest.raises(ValueError, match="16 caratteri"):
        valida_cf_o_piva("12345")


@pytest.mark.parametrize(("value", "ok"), [("46019", True), ("20121", True), ("4601", False), ("4601a", False), ("", False)])
def test_cap(value: str, ok: bool) -> None:
    if ok:
        assert valida_cap(value) == value
    else:
        with pytest.raises(ValueError, match="CAP non valido"):
            valida_cap(value)


def test_pydantic_types_report_italian_messages_with_field_paths() -> None:
    class Soggetto(BaseModel):
        cf: CodiceFiscale
        piva: PartitaIva
        cf_piva: CfOPiva
        cap: Cap
        istat: IstatComune

    ok = Soggetto(cf="rssmra80a01f205x", piva="01199250158", cf_piva="01199250158", cap="46019", istat="020066")
    assert ok.cf == "RSSMRA80A01F205X"
    with pytest.raises(ValidationError) as exc:
        Soggetto(cf="RSSMRA80A01F205Y", piva="1", cf_piva="12", cap="x", istat="999999")
    errors = {e["campo"]: e["messaggio"] for e in from_pydantic(exc.value).as_list()}
    assert errors == {
        "cf": "Codice fiscale non valido.",
        "piva": "Partita IVA non valida.",
        "cf_piva": "Indicare un codice fiscale (16 caratteri) o una partita IVA (11 cifre).",
        "cap": "CAP non valido: servono 5 cifre.",
        "istat": "Il codice ISTAT 999999 non corrisponde a nessun comune italiano.",
    }


# ---------------------------------------------------------------- ISTAT


def test_istat_comune() -> None:
    assert valida_istat_comune("020066") == "020066"  # Viadana
    with pytest.raises(ValueError, match="servono 6 cifre"):
        valida_istat_comune("20066")
    with pytest.raises(ValueError, match="nessun comune"):
        valida_istat_comune("020999")


def test_codice_provincia() -> None:
    assert valida_codice_provincia("020") == "020"
    assert valida_codice_provincia("108") == "108"
    with pytest.raises(ValueError, match="servono 3 cifre"):
        valida_codice_provincia("20")
    with pytest.raises(ValueError, match="nessuna provincia"):
        valida_codice_provincia("999")


def test_istat_distributori_amb45() -> None:
    assert istat_distributore("020066") == "30020066"  # literal reading "suffisso e 30"
    assert istat_distributore("020066", prefisso="03") == "03020066"
    assert istat_da_distributore("30020066") == "020066"
    with pytest.raises(ValueError, match="8 cifre"):
        istat_da_distributore("03020066")
    with pytest.raises(ValueError, match="nessun comune"):
        istat_da_distributore("30999999")


# ---------------------------------------------------------------- usernames (S2, AMB-56)


@pytest.mark.parametrize(
    ("registrazione", "schema"),
    [(date(2010, 5, 4), "MA"), (date(2015, 9, 17), "MA"), (date(2015, 9, 18), "scelto"), (date(2015, 9, 19), "scelto")],
)
def test_schema_username(registrazione: date, schema: str) -> None:
    assert schema_username(registrazione) == schema


def test_amb56_day_is_a_setting() -> None:
    assert DATA_USERNAME_SCELTO == date(2015, 9, 18)
    assert AMB56_REGISTRAZIONE_18_09_2015 == "scelto"
    assert schema_username(DATA_USERNAME_SCELTO, giorno_di_confine="MA") == "MA"
    assert username_manutentore(DATA_USERNAME_SCELTO, codice_ma=7, giorno_di_confine="MA") == "MA000007"


def test_username_ma() -> None:
    assert username_manutentore(date(2012, 1, 1), codice_ma="ma023456") == "MA023456"
    assert username_manutentore(date(2012, 1, 1), codice_ma=23456) == "MA023456"
    for bad in ("MA12345", "MB023456", 1_000_000, None):
        with pytest.raises(ValueError, match="sei cifre"):
            username_manutentore(date(2012, 1, 1), codice_ma=bad)


def test_username_scelto() -> None:
    assert username_manutentore(date(2020, 3, 1), username_scelto=" termoidraulica.rossi ") == "termoidraulica.rossi"
    with pytest.raises(ValueError, match="nome utente scelto"):
        username_manutentore(date(2020, 3, 1), codice_ma="MA023456")
