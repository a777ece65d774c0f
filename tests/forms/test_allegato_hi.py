"""Allegati H and I (FORMS.md §9, §10): labels and texts from the spec, §9.3 and §10 rules."""

from __future__ import annotations

import re
from typing import Any

import pytest

from service.produce import validate
from service.registry import get_document_type
from tests.forms.spec import label_fragments, section
from tests.forms.test_allegato_e import (
    ModuloComunicazione,
    didascalia,
    errori,
    linee_stampate,
    righe_fisse,
    verbatim_stampati,
)


def _etichette_h() -> list[str]:
    return ([didascalia("### 9.1")] + linee_stampate("### 0.5") + righe_fisse("### 9.2")
            + label_fragments("### 9.2") + linee_stampate("### 9.2") + verbatim_stampati("### 9.2"))


def _sostituzioni_i() -> dict[str, str]:
    """§10: "**`produzione centralizzata di ACS`** (instead of “riscaldamento e produzione di ACS”)"."""
    out = {}
    for line in section("## 10"):
        for nuovo, vecchio in re.findall(r"\*\*`([^`]+)`\*\*\s*\(instead of “([^”]+)”\)", line):
            out[vecchio] = nuovo
    assert out, "FORMS.md §10 lists what I prints instead of H"
    return out


class TestAllegatoH(ModuloComunicazione):
    codice = "allegato-h"
    aggiunte_normalizzate = ("Luogo e data", "Cod. Fiscale / P. IVA")
    assenti = ("produzione centralizzata di ACS",)

    def etichette(self) -> list[str]:
        return _etichette_h()


class TestAllegatoI(ModuloComunicazione):
    codice = "allegato-i"
    aggiunte_normalizzate = ("Luogo e data", "Cod. Fiscale / P. IVA")
    assenti = tuple(_sostituzioni_i())

    def etichette(self) -> list[str]:
        sost = _sostituzioni_i()
        return [didascalia("## 10")] + [sost.get(e, e) for e in _etichette_h()[1:]]


def _con(codice: str, **modifiche: Any) -> dict[str, Any]:
    return get_document_type(codice).example() | modifiche


@pytest.mark.parametrize(
    ("codice", "potenza", "parola"),
    [("allegato-h", "35", "Allegato I"), ("allegato-h", "400", "Allegato I"),
     ("allegato-i", "34.99", "Allegato H"), ("allegato-i", "-1", "maggiore di zero")],
)
def test_potenza_sceglie_il_modello(codice: str, potenza: str, parola: str) -> None:
    messaggio = errori(codice, _con(codice, potenza_kw=potenza))[("potenza_kw",)]
    assert parola in messaggio and "potenza termica del focolare complessiva nominale" in messaggio


@pytest.mark.parametrize("codice", ["allegato-h", "allegato-i"])
@pytest.mark.parametrize(
    ("modifiche", "campo", "parola"),
    [
        ({"lettere_abilitazione": ["a", "e"]}, ("lettere_abilitazione",), "lettera c)"),
        ({"lettere_abilitazione": ["c"]}, ("lettere_abilitazione",), "lettera e)"),
        ({"lettere_abilitazione": ["c", "h"]}, ("lettere_abilitazione", 1), "Valore non ammesso"),
        ({"data_assunzione": None}, ("data_assunzione",), "data di assunzione"),
        ({"tipo_comunicazione": "cessazione"}, ("data_cessazione",), "non si è più terzo responsabile"),
        ({"tipo_comunicazione": "cessazione"}, ("motivo_cessazione",), "revoca"),
        ({"tipo_comunicazione": "cessazione"}, ("data_assunzione",), "solo per l'assunzione"),
        ({"fornitore_energia": "TERMOSERVIZI BRESCIANI SRL"}, ("fornitore_energia",), "D.P.R. 445/00"),
        ({"comune": "Lumezzane"}, ("comune",), "Brescia"),
        ({"ente": {"tipo_ente": "Regione", "denominazione": "Lombardia"}}, ("ente", "tipo_ente"), "Valore non ammesso"),
    ],
)
def test_regole_9_3(codice: str, modifiche: dict[str, Any], campo: tuple, parola: str) -> None:
    trovati = errori(codice, _con(codice, **modifiche))
    assert campo in trovati, trovati
    assert parola in trovati[campo]


def test_lettera_e_non_richiesta_senza_gas() -> None:
    doc = get_document_type("allegato-h")
    data = _con("allegato-h", lettere_abilitazione=["c"], combustibile="Gasolio")
    assert validate(doc, data).lettere_abilitazione == ["c"]


@pytest.mark.parametrize(
    ("modifiche", "campo", "parola"),
    [
        ({"mittente": {"ragione_sociale": "BARRATO"}}, ("mittente", "ragione_sociale"), "ragione sociale"),
        ({"mittente": {"ragione_sociale": "Ditta", "legale_rappresentante": "L. F.", "indirizzo": "Via X",
                       "cf_piva": "03187650984"}}, ("mittente", "cf_piva"), "Partita IVA non valida"),
        ({"mittente": {"ragione_sociale": "Ditta", "legale_rappresentante": "L. F.", "indirizzo": "Via X",
                       "email": "non-una-mail"}}, ("mittente", "email"), "e-mail"),
    ],
)
def test_mittente(modifiche: dict[str, Any], campo: tuple, parola: str) -> None:
    trovati = errori("allegato-h", _con("allegato-h", **modifiche))
    assert campo in trovati, trovati
    assert parola in trovati[campo]


@pytest.mark.parametrize(("potenza", "cert", "altro", "valido"), [
    ("351", "BARRATO", "BARRATO", False),
    ("351", None, "Albo nazionale gestori ambientali n. MI/00123", True),
    ("351", "9001:2015", None, True),
    ("350", None, None, True),
])
def test_i_oltre_350_kw_serve_la_qualita(potenza: str, cert: Any, altro: Any, valido: bool) -> None:
    data = _con("allegato-i", potenza_kw=potenza, cert_qualita_norma=cert, altro=altro)
    if valido:
        validate(get_document_type("allegato-i"), data)
    else:
        assert "UNI EN ISO 9000" in errori("allegato-i", data)[("cert_qualita_norma",)]
