"""Allegato L (FORMS.md §11): labels from the spec, G1..Gn not capped at four (AMB-40), rules."""

from __future__ import annotations

import re
from typing import Any

import pytest

from service.produce import render_document
from service.registry import get_document_type
from tests.forms.spec import label_fragments, pdftotext_layout, pdftotext_raw
from tests.forms.test_allegato_e import (
    ModuloComunicazione,
    didascalia,
    errori,
    estratti,
    linee_stampate,
    pdfinfo,
    righe_fisse,
)

# FORMS.md §11.2 describes two table rows in prose; these words are not printed on the model.
_NOTE_DEL_SPEC = {"(same pattern)", "(one extra dotted line)"}


class TestAllegatoL(ModuloComunicazione):
    codice = "allegato-l"
    aggiunte_normalizzate = ("Luogo e data", "Cod. Fiscale / P. IVA")
    # §11.2 item 4: no committente heading, no committente signature, no D.P.R. 445 declaration.
    assenti = ("A cura del committente", "Firma del committente", "D.P.R. 445/00")

    def etichette(self) -> list[str]:
        etichette = [e for e in label_fragments("### 11.2") if e not in _NOTE_DEL_SPEC]
        return ([didascalia("### 11.1")] + linee_stampate("### 0.5") + righe_fisse("### 11.2") + etichette)


@pytest.fixture(scope="module")
def sei_generatori() -> bytes:
    data = get_document_type("allegato-l").example()
    data["generatori"] = [{"potenza_kw": str(60 + 10 * i), "combustibile": "Gas naturale (metano)"} for i in range(6)]
    return render_document("allegato-l", data, modo="facsimile")


def test_sei_generatori_g1_g6(sei_generatori: bytes) -> None:
    testo = pdftotext_layout(sei_generatori)
    for n, potenza in enumerate(("60", "70", "80", "90", "100", "110"), start=1):
        assert re.search(rf"G{n} potenza termica del focolare nominale di\s+{potenza}\s+kW\s+Combustibile", testo)
    assert "G7" not in testo + pdftotext_raw(sei_generatori)
    assert pdfinfo(sei_generatori)["Pages"] == "1"


def test_modulo_vuoto_stampa_quattro_righe(vuoto: bytes) -> None:
    """The blank model has the printed G1..G4 rows and no more."""
    layout, raw = estratti(vuoto)
    assert all(f"G{n} potenza" in raw for n in range(1, 5)) and "G5" not in layout + raw


@pytest.fixture(scope="module")
def vuoto() -> bytes:
    return render_document("allegato-l", None, modo="facsimile")


def _con(**modifiche: Any) -> dict[str, Any]:
    return get_document_type("allegato-l").example() | modifiche


@pytest.mark.parametrize(
    ("modifiche", "campo", "parola"),
    [
        ({"generatori": []}, ("generatori",), "almeno 1"),
        ({"generatori": [{"potenza_kw": "0", "combustibile": "Gasolio"}]}, ("generatori", 0, "potenza_kw"), "maggiore di 0"),
        ({"generatori": [{"potenza_kw": "90"}]}, ("generatori", 0, "combustibile"), "obbligatorio"),
        ({"tipo": "nomina"}, ("tipo",), "Valore non ammesso"),
        ({"comune": "Rezzato"}, ("comune",), "Brescia"),
        ({"data_firma": "2026-06-01"}, ("data_firma",), "prima dell'assunzione"),
        ({"mittente": {"ragione_sociale": "Studio Bertoli S.a.s."}}, ("mittente", "legale_rappresentante"), "legale rappresentante"),
        ({"mittente": {"cf_piva": "BRTGPP68C12B157X"}}, ("mittente", "cf_piva"), "Codice fiscale non valido"),
    ],
)
def test_errori_in_italiano_con_percorso(modifiche: dict[str, Any], campo: tuple, parola: str) -> None:
    trovati = errori("allegato-l", _con(**modifiche))
    assert campo in trovati, trovati
    assert parola in trovati[campo]
