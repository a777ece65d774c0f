"""Allegato M (FORMS.md §12): fixed addressee and sentences from the spec, AMB-41 signature block."""

from __future__ import annotations

from typing import Any

import pytest

from service.registry import get_document_type
from tests.forms.spec import label_fragments
from tests.forms.test_allegato_e import (
    ModuloComunicazione,
    didascalia,
    errori,
    linee_stampate,
    righe_fisse,
    verbatim_stampati,
)


class TestAllegatoM(ModuloComunicazione):
    codice = "allegato-m"
    # AMB-41: place, date and signature are added outside the model, in normalised mode only.
    aggiunte_normalizzate = ("Luogo e data", "Firma")
    # M has its own fixed addressee, not the IndirizzoEnte block of H/I/L.
    assenti = ("Al Comune", "Ente locale responsabile dei controlli")
    barrabile = False  # every field of M is required text: nothing to strike

    def etichette(self) -> list[str]:
        return ([didascalia("### 12.1")] + linee_stampate("### 12.2") + righe_fisse("### 12.2")
                + label_fragments("### 12.2") + verbatim_stampati("### 12.2"))


@pytest.mark.parametrize(
    ("modifiche", "campo", "parola"),
    [
        ({"tipo": "Comune"}, ("tipo",), "Valore non ammesso"),
        ({"responsabile_trattamento": ""}, ("responsabile_trattamento",), "almeno 1"),
        ({"utilizzatore": None}, ("utilizzatore",), "testo"),
        ({"data_firma": "16/02/2026"}, ("data_firma",), "Data non valida"),
        ({"firma": "L. Ferrari"}, ("firma",), "Campo non previsto"),
    ],
)
def test_errori_in_italiano_con_percorso(modifiche: dict[str, Any], campo: tuple, parola: str) -> None:
    trovati = errori("allegato-m", get_document_type("allegato-m").example() | modifiche)
    assert campo in trovati, trovati
    assert parola in trovati[campo]
