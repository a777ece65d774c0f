"""Allegato F (FORMS.md §7): sheets per generator, printed text generated from the spec, modes, rules."""

from __future__ import annotations

import re
from copy import deepcopy
from typing import Any

import pytest

from domain.errors import ValidationFailed
from domain.forms.allegato_f import AllegatoF, avvisi, fogli_totali
from service.documents.controllo_tecnico import esempio_f
from service.produce import render_document, validate
from service.registry import get_document_type
from tests.forms.spec import (
    fragments,
    label_fragments,
    missing,
    normalize,
    numbered_items,
    pdftotext_layout,
    pdftotext_raw,
    printed_columns,
    printed_lines,
    section,
    verbatim_blocks,
)

pytestmark = pytest.mark.xdist_group("allegato_f")


def _tre_generatori() -> dict[str, Any]:
    data = esempio_f()
    terzo = deepcopy(data["generatori"][1])
    terzo["generatore"]["matricola"] = "RTQ185-0931-0458"
    data["generatori"].append(terzo)
    return data


@pytest.fixture(scope="module")
def facsimile() -> bytes:
    """Three generators → Foglio 1 + 3 generator sheets + Avvertenze, one copy."""
    return render_document("allegato-f", _tre_generatori(), modo="facsimile", copie=["Ente"])


@pytest.fixture(scope="module")
def normalizzato() -> bytes:
    return render_document("allegato-f", _tre_generatori(), modo="normalizzato", copie=["Ente"])


@pytest.fixture(scope="module")
def vuoto() -> bytes:
    return render_document("allegato-f", None, modo="facsimile", copie=["utente"])


def _testi(pdf: bytes) -> tuple[str, str]:
    return pdftotext_layout(pdf), pdftotext_raw(pdf)


def _pagine(pdf: bytes) -> list[str]:
    return [normalize(p) for p in pdftotext_layout(pdf).split("\f")[:-1]]


@pytest.mark.parametrize("heading", ["### 7.3", "### 7.5", "### 7.8"])
def test_every_printed_label_of_the_spec_tables(facsimile: bytes, heading: str) -> None:
    expected = label_fragments(heading)
    assert len(expected) > 5
    assert missing(expected, *_testi(facsimile)) == []


def test_printed_layout_lines_rows_and_columns(facsimile: bytes) -> None:
    title_row = next(line for line in section("### 7.1") if line.startswith("| Title lines"))
    expected = (
        re.findall(r"`([^`]+)`", title_row)
        + numbered_items("### 7.4")
        + printed_columns("### 7.4")
        + printed_columns("### 7.9")
        + [f for h in ("### 7.2", "### 7.6", "### 7.7", "### 7.10", "### 7.11")
           for line in printed_lines(h) for f in fragments(line)]
        + ["Effettuato", "Non effettuato", "Timbro e firma dell’operatore",
           "Firma del responsabile dell’impianto (per presa visione)"]
    )
    assert "PRESCRIZIONI: (.in attesa di questi interventi l’impianto non può essere messo funzione)" in expected
    assert missing(expected, *_testi(facsimile)) == []


@pytest.mark.parametrize("heading", ["### 7.11", "### 7.12"])
def test_verbatim_blocks_are_printed(facsimile: bytes, heading: str) -> None:
    blocks = verbatim_blocks(heading)
    assert len(blocks) == 2
    assert missing([b.text for b in blocks], *_testi(facsimile)) == []


def test_one_sheet_per_generator_numbered_x_of_n(facsimile: bytes) -> None:
    pages = _pagine(facsimile)
    assert len(pages) == 5
    for i, page in enumerate(pages[:4]):
        assert f"Foglio n°{i + 1} di 4" in page
        assert page.startswith("Copia per l’Ente (convalida)")
    for page, matricola in zip(pages[1:4], ["7543109600217", "RTQ185-0931-0457", "RTQ185-0931-0458"]):
        assert matricola in page
        assert "D. DATI GENERALI DEI GENERATORI" in page and "TECNICO CHE HA EFFETTUATO IL CONTROLLO:" in page
    assert "Etichetta n. CR036-25F4-004127-S" in pages[0]
    assert pages[4].startswith("Copia per l’Ente (convalida) Avvertenze per il tecnico")


def test_facsimile_and_normalised_differ_only_in_the_prescrizioni_label(facsimile: bytes, normalizzato: bytes) -> None:
    fac, norm = normalize(pdftotext_layout(facsimile)), normalize(pdftotext_layout(normalizzato))
    seed = "PRESCRIZIONI: (.in attesa di questi interventi l’impianto non può essere messo funzione)"
    fixed = "PRESCRIZIONI (in attesa di questi interventi l’impianto non può essere messo in funzione):"
    assert fac.count(seed) == 3
    assert fac.replace(seed, fixed) == norm


def test_blank_form_prints_one_generator_sheet_to_fill_in(vuoto: bytes) -> None:
    pages = _pagine(vuoto)
    assert len(pages) == 3
    assert "Foglio n°1 di" in pages[0] and "Foglio n° di" in pages[1]
    assert missing(label_fragments("### 7.3") + label_fragments("### 7.8"), *_testi(vuoto)) == []
    assert "Cremona" not in " ".join(pages)


def test_fogli_totali_given_must_agree() -> None:
    data = esempio_f()
    assert fogli_totali(AllegatoF.model_validate(data)) == 3
    data["fogli_totali"] = 2
    with pytest.raises(ValidationFailed) as exc:
        validate(get_document_type("allegato-f"), data)
    assert "3 fogli" in exc.value.as_list()[0]["messaggio"]


@pytest.mark.parametrize(
    ("change", "campo", "parola"),
    [
        (lambda d: d["generatori"][0]["generatore"].update(pot_focolare_kw="10", pot_utile_kw="9")
         or d["generatori"].pop(), "", "Allegato G"),
        (lambda d: d.update(combustibile="metano"), "combustibile", "scegliere tra"),
        (lambda d: d.update(codice_catasto="019036CT00002"), "codice_catasto", "Codice impianto non valido"),
        (lambda d: d["generatori"][1].update(vaso_espansione="no", osservazioni=None), "generatori[1]", "OSSERVAZIONI"),
        (lambda d: d["generatori"][0]["misure"][0].update(bacharach="2"), "", "Bacharach"),
        (lambda d: d.update(consumi=d["consumi"][:1]), "consumi", "almeno 2"),
        (lambda d: d.update(generatori=[]), "generatori", "almeno 1"),
    ],
)
def test_rules_reject_bad_data_with_italian_messages(change: Any, campo: str, parola: str) -> None:
    data = esempio_f()
    change(data)
    with pytest.raises(ValidationFailed) as exc:
        validate(get_document_type("allegato-f"), data)
    errors = exc.value.as_list()
    assert any(e["campo"] == campo and parola in e["messaggio"] for e in errors), errors


def test_avvisi_per_generator_and_completeness() -> None:
    data = esempio_f()
    data["generatori"][1].update(prescrizioni="Sostituire il vaso di espansione.")
    data["generatori"][1]["bruciatore"]["matricola"] = None
    testi = avvisi(AllegatoF.model_validate(data))
    assert any(t.startswith("Generatore 2:") and "PRESCRIZIONI" in t for t in testi)
    assert any("generatori[1].bruciatore.matricola" in t for t in testi)
    assert avvisi(AllegatoF.model_validate(esempio_f())) == []
