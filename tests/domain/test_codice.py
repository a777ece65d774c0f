"""domain/codice.py and domain/istat.py: codice impianto format, ISTAT list (FORMS.md §14.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from domain.codice import (
    PROGRESSIVO_MAX,
    TIPOLOGIE,
    CodiceImpianto,
    CodiceImpiantoStr,
    codice_impianto,
    comune_discorde,
    parse_codice_impianto,
    valida_istat_lombardo,
    valida_tipologia,
)
from domain.errors import RuleViolation, from_pydantic
from domain.istat import SOURCE, SOURCE_ENCODING, comune_by_istat, comuni, comuni_della_provincia, comuni_della_regione

ISTAT_CODES = sorted(comuni())


def test_viadana_example_from_the_seed() -> None:
    c = parse_codice_impianto("020066CT0000001")
    assert c == CodiceImpianto("020066", "CT", 1)
    assert c.comune.nome == "Viadana"
    assert c.comune.sigla_provincia == "MN"
    assert c.comune.provincia == "Mantova"
    assert c.descrizione_tipologia == "centralizzato"


def test_lowercase_and_spaces_are_normalised() -> None:
    assert str(parse_codice_impianto(" 020066in0000042 ")) == "020066IN0000042"


@pytest.mark.parametrize(
    ("value", "frammento"),
    [
        ("020066CT000001", "servono 6 cifre ISTAT"),
        ("020066XX0000001", "servono 6 cifre ISTAT"),
        ("20066CT00000001", "servono 6 cifre ISTAT"),
        ("٠٢٠٠٦٦CT0000001", "servono 6 cifre ISTAT"),  # Arabic-Indic digits are not digits here
        ("", "servono 6 cifre ISTAT"),
        ("999999CT0000001", "non corrisponde a nessun comune"),
        ("020066CT0000000", "parte da 0000001"),
    ],
)
def test_invalid_codes(value: str, frammento: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        parse_codice_impianto(value)
    assert frammento in exc.value.message
    assert exc.value.path == ("codice_impianto",)


@given(
    istat=st.sampled_from(ISTAT_CODES),
    tipologia=st.sampled_from(sorted(TIPOLOGIE)),
    progressivo=st.integers(min_value=1, max_value=PROGRESSIVO_MAX),
)
def test_round_trip(istat: str, tipologia: str, progressivo: int) -> None:
    x = CodiceImpianto(istat, tipologia, progressivo)
    assert len(str(x)) == 15
    assert parse_codice_impianto(str(x)) == x  # any Italian comune decodes (``codice verifica``)
    if comune_by_istat(istat).regione == "Lombardia":
        assert codice_impianto(istat, tipologia.lower(), progressivo) == str(x)
    else:  # but the CURIT allocates codes for Lombard comuni only
        with pytest.raises(RuleViolation, match="non è in Lombardia") as err:
            codice_impianto(istat, tipologia, progressivo)
        assert err.value.path == ("istat",)


def test_codici_solo_per_i_comuni_lombardi() -> None:
    with pytest.raises(RuleViolation, match=r"Il comune Roma \(RM, ISTAT 058091\) non è in Lombardia"):
        valida_istat_lombardo("058091")
    assert valida_istat_lombardo("020066").nome == "Viadana"

    class Modulo(BaseModel):
        codice: CodiceImpiantoStr

    with pytest.raises(ValidationError) as exc:
        Modulo(codice="058091CT0000001")
    [errore] = from_pydantic(exc.value).as_list()
    assert errore["campo"] == "codice" and "non è in Lombardia" in errore["messaggio"]


@pytest.mark.parametrize(
    ("codice", "comune", "atteso"),
    [
        ("017029CT0000311", "Brescia", None),
        ("017029CT0000311", "brescia (BS)", None),
        ("020066CT0000001", "Viadana", None),
        ("017029CT0000311", "Viadana", "Il comune «Viadana» non è quello del codice impianto 017029CT0000311, che è del "
                                       "comune di Brescia (BS, ISTAT 017029)"),
        ("017029CT0000311", "Brescia (MN)", "non è quello del codice impianto"),
        ("017029CT0000311", "BARRATO", None),
        (None, "Viadana", None),
    ],
)
def test_comune_e_codice_devono_concordare(codice: str | None, comune: str, atteso: str | None) -> None:
    errore = comune_discorde(codice, comune, path=("ubicazione", "comune"), campo_codice="codice impianto")
    if atteso is None:
        assert errore is None
    else:
        assert atteso in errore.message and "correggere il comune o il codice impianto" in errore.message
        assert errore.path == ("ubicazione", "comune")


@pytest.mark.parametrize("progressivo", [0, PROGRESSIVO_MAX + 1, -3])
def test_builder_rejects_out_of_range(progressivo: int) -> None:
    with pytest.raises(RuleViolation, match="fuori intervallo"):
        codice_impianto("020066", "CT", progressivo)


def test_valida_tipologia() -> None:
    assert valida_tipologia("tr") == "TR"
    with pytest.raises(RuleViolation) as exc:
        valida_tipologia("CX")
    assert exc.value.path == ("tipologia",)


def test_pydantic_type_gives_italian_error() -> None:
    class M(BaseModel):
        codice_impianto: CodiceImpiantoStr

    assert M(codice_impianto="020066ct0000001").codice_impianto == "020066CT0000001"
    with pytest.raises(ValidationError) as exc:
        M(codice_impianto="020066CT1")
    errors = from_pydantic(exc.value).as_list()
    assert errors[0]["campo"] == "codice_impianto"
    assert errors[0]["messaggio"].startswith("Codice impianto non valido")


# ---------------------------------------------------------------- ISTAT list


def test_istat_csv_is_windows_1252() -> None:
    raw = SOURCE.read_bytes()
    assert SOURCE_ENCODING == "cp1252"
    assert "Cantù".encode("cp1252") in raw
    assert "Števerjan".encode("cp1252") in raw  # 0x8A: undefined in Latin-1's printable range


@pytest.mark.parametrize(
    ("istat", "nome", "sigla"),
    [
        ("020066", "Viadana", "MN"),
        ("013041", "Cantù", "CO"),
        ("013042", "Canzo", "CO"),
        ("015146", "Milano", "MI"),
        ("108033", "Monza", "MB"),
        ("004130", "Mondovì", "CN"),
    ],
)
def test_comuni_names_decode(istat: str, nome: str, sigla: str) -> None:
    c = comune_by_istat(istat)
    assert c is not None
    assert (c.nome, c.sigla_provincia) == (nome, sigla)


def test_bilingual_name_is_not_mojibake() -> None:
    names = {c.nome for c in comuni().values()}
    assert not any("\x8a" in n or "\x9e" in n or "Ã" in n for n in names)
    assert comune_by_istat("031019").nome == "San Floriano del Collio"


def test_lombardia_has_twelve_provinces() -> None:
    lombardia = comuni_della_regione("Lombardia")
    province = {c.codice_provincia for c in lombardia}
    assert province == {"012", "013", "014", "015", "016", "017", "018", "019", "020", "097", "098", "108"}
    assert len(lombardia) > 1400
    assert comune_by_istat("015146").tipo_provincia == "Città metropolitana"
    assert comune_by_istat("015146").capoluogo
    assert not comune_by_istat("013041").capoluogo
    assert all(c.sigla_provincia == "MN" for c in comuni_della_provincia("020"))
    assert len(ISTAT_CODES) > 7800
