"""Allegato B: spec labels, Foglio n° X di N for 3 generators, 3 marked copies, per-generator
esito printed, facsimile vs normalised letters (AMB-18), dati.json round trip (FORMS.md §3)."""

from __future__ import annotations

import copy
import json
import re

import pytest

from domain.errors import RuleViolation, ValidationFailed
from renderers.pdf import read_attachment
from service.documents.rapporti_prova import COPIE_RAPPORTO_PROVA, esempio_b
from service.produce import render_document, validate
from service.registry import get_document_type
from tests.forms.spec import enum_options, label_fragments, missing, pdftotext_layout, pdftotext_raw, printed_lines


def _tre_generatori() -> dict:
    data = esempio_b()
    terzo = copy.deepcopy(data["generatori"][0])
    terzo.update(matricola_caldaia="0507RT20114", data_installazione_gen="2007-02-01", classificazione="Standard")
    data["generatori"].append(terzo)
    return data


@pytest.fixture(scope="module")
def pdf_b() -> bytes:
    return render_document("allegato-b", _tre_generatori(), modo="facsimile")


@pytest.fixture(scope="module")
def pagine_b(pdf_b: bytes) -> list[str]:
    return pdftotext_layout(pdf_b).split("\f")[:-1]


@pytest.fixture(scope="module")
def pdf_vuoto_normalizzato() -> bytes:
    return render_document("allegato-b", None, modo="normalizzato")


def test_sheets_copies_and_foglio_numbers(pagine_b: list[str]) -> None:
    assert len(pagine_b) == 3 * 4  # foglio 1 + 3 generator sheets, three copies
    for copia, titolare in enumerate(COPIE_RAPPORTO_PROVA):
        for foglio in range(4):
            pagina = pagine_b[4 * copia + foglio]
            assert titolare in pagina
            assert re.search(rf"Foglio n°\s*{foglio + 1}\s+di\s+4\b", pagina), pagina[:400]
        for n in (1, 2, 3):
            assert re.search(rf"Generatore N\s+{n}\s+di\s+3\b", pagine_b[4 * copia + n])


def test_labels_of_the_spec(pdf_b: bytes) -> None:
    testi = (pdftotext_layout(pdf_b, last=2), pdftotext_raw(pdf_b, last=2))
    sezioni = ("### 3.4", "### 3.5", "### 3.6", "### 3.7")
    etichette = [f for s in sezioni for f in label_fragments(s)]
    assert missing(etichette, *testi) == []
    assert missing([o for s in sezioni for o in enum_options(s)], *testi) == []
    assert missing(["≥ 35 KW", "BIENNIO 2025 - 2026", "(ai sensi del DLgs 192/05)", "Catasto impianti/codice",
                    "Data della verifica", "Rapporto di controllo tecnico (allegto F)", "Anno in corso",
                    "Anni precedenti", "ai sensi del D.Lgs 192 del 2005", "Cod. Fiscale/ P. IVA",
                    "3. VERIFICA LOCALE", "4. STATO DELLA DOCUMENTAZIONE", "5. GENERATORE"], *testi) == []
    assert printed_lines("### 3.2")[0].startswith("VERIFICA DELLO STATO")


def test_facsimile_letters_and_normalised_mode(pagine_b: list[str], pdf_vuoto_normalizzato: bytes) -> None:
    # AMB-18: the B form prints d) e) f) twice (UBICAZIONE, Delegato, Responsabile) and g)–l) for subjects.
    assert re.search(r"d\)\s+UBICAZIONE:", pagine_b[0]) and re.search(r"g\)\s+Occupante", pagine_b[0])
    normale = pdftotext_layout(pdf_vuoto_normalizzato)
    assert re.search(r"g\)\s+UBICAZIONE:", normale) and re.search(r"l\)\s+Occupante", normale)
    assert "(allegato F)" in normale and "≥ 35 kW" in normale
    assert len(normale.split("\f")[:-1]) == 3 * 2  # blank: foglio 1 + one generator sheet per copy


def test_per_generator_results(pagine_b: list[str]) -> None:
    gen1, gen2 = pagine_b[1], pagine_b[2]
    assert re.search(r"superiore o uguale a\s+90,9\s+%", gen1)  # 87,5 + 1,5 Log 180
    assert re.search(r"Valore rilevato\s+92,4\s+%\s+Valore rilevato \+ 2\s+94,4", gen1)
    assert "3,00" in gen2 and "C8" in gen2  # Bacharach mean, NC code
    assert "(1) Fumosità elevata" in gen2


def test_dati_json_round_trip(pdf_b: bytes) -> None:
    dati = json.loads(read_attachment(pdf_b))
    assert dati["tipo"] == "allegato-b" and dati["modo"] == "facsimile"
    model = validate(get_document_type("allegato-b"), dati["dati"])
    assert len(model.generatori) == 3 and model.fogli_totali == 4


def test_generator_errors_carry_the_sheet_path() -> None:
    data = esempio_b()
    data["generatori"][0]["t_fumi"] = None
    data["generatori"][1]["matricola_caldaia"] = None
    with pytest.raises(RuleViolation) as exc:
        validate(get_document_type("allegato-b"), data)
    assert exc.value.path == ("generatori", 0, "t_fumi", 0)
    assert exc.value.message == "Manca la prova 1 della temperatura dei fumi (7.b)."
    data["generatori"][0]["t_fumi"] = esempio_b()["generatori"][0]["t_fumi"]
    with pytest.raises(ValidationFailed) as exc2:
        validate(get_document_type("allegato-b"), data)
    assert [e.path for e in exc2.value.errors] == [("generatori", 1, "matricola_caldaia")]
    assert "Campo vuoto (5.f Matricola caldaia)" in exc2.value.errors[0].message


def test_two_fuels_need_the_fuel_of_each_generator() -> None:
    data = {**esempio_b(), "combustibile": ["Gasolio", "Gas naturale"]}
    with pytest.raises(ValidationFailed) as exc:
        validate(get_document_type("allegato-b"), data)
    assert "indicare quello in uso" in exc.value.errors[0].message
