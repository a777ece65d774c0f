"""domain/targa.py: the three mandatory lines, impianti.json validation, per-Ente customisation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.targa import (
    ElencoImpiantiTarga,
    ImpiantoTarga,
    PersonalizzazioneTarga,
    riga_ente,
    riga_impianto,
    riga_indirizzo,
)


def test_three_lines_as_in_the_model() -> None:
    imp = ImpiantoTarga(codice_impianto="019036IN0000123", indirizzo="Via G. Garibaldi", civico="10", comune="Cremona")
    assert riga_ente("Provincia di Cremona") == "Regione Lombardia - Provincia di Cremona"
    assert riga_ente("Comune di Milano") == "Regione Lombardia - Comune di Milano"  # AMB-43
    assert riga_impianto(imp.codice_impianto) == "Impianto Termico N. 019036IN0000123"
    assert riga_indirizzo(imp) == "Via G. Garibaldi, 10 Comune di Cremona"
    senza = imp.model_copy(update={"civico": None})
    assert riga_indirizzo(senza) == "Via G. Garibaldi Comune di Cremona"


@pytest.mark.parametrize("campo,valore,messaggio", [
    ("codice_impianto", "019036XX0000123", "Codice impianto non valido"),
    ("comune", "Crema", "non è quello del codice impianto"),
    ("indirizzo", "V", "String should have at least"),
])
def test_invalid_impianto(campo: str, valore: str, messaggio: str) -> None:
    data = {"codice_impianto": "019036IN0000123", "indirizzo": "Via Roma", "comune": "Cremona", campo: valore}
    with pytest.raises(ValidationError, match=messaggio):
        ImpiantoTarga.model_validate(data)


def test_comune_match_ignores_case_and_apostrophes() -> None:
    ImpiantoTarga(codice_impianto="017067IN0000872", indirizzo="Lungolago", comune="desenzano del garda")


def test_elenco_from_a_json_array_refuses_duplicates() -> None:
    row = {"codice_impianto": "019036IN0000123", "indirizzo": "Via Roma", "comune": "Cremona"}
    assert len(ElencoImpiantiTarga.model_validate([row]).impianti) == 1
    with pytest.raises(ValidationError, match="compare più volte"):
        ElencoImpiantiTarga.model_validate([row, row])


def test_customisation_cannot_remove_mandatory_lines() -> None:
    with pytest.raises(ValidationError):
        PersonalizzazioneTarga.model_validate({"riga_ente": "Altro"})
    with pytest.raises(ValidationError, match="troppo chiaro"):
        PersonalizzazioneTarga(colore_fascia="#f0f0f0")
    with pytest.raises(ValidationError):
        PersonalizzazioneTarga(righe_extra=("a", "b", "c"))
    assert PersonalizzazioneTarga(colore_fascia="#8B2232").colore_fascia == "#8b2232"
