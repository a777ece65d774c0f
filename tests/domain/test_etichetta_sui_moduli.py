"""G and F carry the number of the etichetta that validates them: checked, typed, normalised."""

from __future__ import annotations

import pytest

from domain.errors import ValidationFailed
from service.produce import validate
from service.registry import get_document_type


@pytest.mark.parametrize(("tipo", "scritto", "stampato"), [
    ("allegato-g", "mn000 25g1 018734 n", "MN000-25G1-018734-N"),
    ("allegato-f", "CR03625F4004127S", "CR036-25F4-004127-S"),
])
def test_number_is_checked_and_printed_in_readable_form(tipo: str, scritto: str, stampato: str) -> None:
    doc = get_document_type(tipo)
    assert validate(doc, doc.example() | {"numero_etichetta": scritto}).numero_etichetta == stampato


@pytest.mark.parametrize(("tipo", "numero", "messaggio"), [
    ("allegato-g", "CR036-25F4-004127-S", "un'etichetta G"),
    ("allegato-f", "MN000-25G1-018734-N", "un'etichetta F"),
    ("allegato-g", "MN000-25G1-018734-X", "carattere di controllo"),
    ("allegato-g", "MN-2526-G-0018734", "Numero di etichetta non valido"),
])
def test_wrong_kind_or_mistyped_number_is_refused(tipo: str, numero: str, messaggio: str) -> None:
    doc = get_document_type(tipo)
    with pytest.raises(ValidationFailed) as info:
        validate(doc, doc.example() | {"numero_etichetta": numero})
    [errore] = [e for e in info.value.as_list() if e["campo"] == "numero_etichetta"]
    assert messaggio in errore["messaggio"]
