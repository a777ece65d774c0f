"""Allegato A: spec labels in the PDF text, A4, embedded fonts, 3 marked copies, computed values,
dati.json round trip, never-blank rule and struck fields (FORMS.md §2, §4)."""

from __future__ import annotations

import copy
import json
import re
import subprocess

import pytest

from domain.errors import ValidationFailed
from domain.forms.allegato_a import AllegatoA
from renderers.pdf import read_attachment
from service.documents.rapporti_prova import COPIE_RAPPORTO_PROVA, esempio_a
from service.produce import render_document, validate
from service.registry import get_document_type
from tests.forms.spec import enum_options, label_fragments, missing, pdftotext_layout, pdftotext_raw, printed_lines

SEZIONI_A = ("### 0.5", "### 2.3", "### 2.4", "### 2.5", "### 2.6", "### 2.7", "### 2.8", "### 2.9", "### 2.10")
# Table cells that describe the layout instead of quoting it (FORMS.md prose, not printed text).
EDITORIALI = re.compile(r"^rows |two tick-boxes|then 4 boxes|^\. ppm$|Si/No$|^numbered|^8 slots|^free area$|^sig$"
                        r"|Non effettuata; ")


def _spec_labels(*sezioni: str) -> list[str]:
    return [f for s in sezioni for f in label_fragments(s) if not EDITORIALI.search(f)]


@pytest.fixture(scope="module")
def pdf_a() -> bytes:
    return render_document("allegato-a", esempio_a(), modo="normalizzato")


@pytest.fixture(scope="module")
def pdf_vuoto() -> bytes:
    return render_document("allegato-a", None, modo="facsimile")


@pytest.fixture(scope="module")
def testo_a(pdf_a: bytes) -> str:
    return pdftotext_layout(pdf_a)


def _pagine(pdf: bytes) -> list[str]:
    return pdftotext_layout(pdf).split("\f")[:-1]


def test_every_printed_label_and_option_of_the_spec(pdf_vuoto: bytes) -> None:
    testi = (pdftotext_layout(pdf_vuoto, last=2), pdftotext_raw(pdf_vuoto, last=2))
    assert missing(_spec_labels(*SEZIONI_A), *testi) == []
    opzioni = [o for s in SEZIONI_A for o in enum_options(s) if o not in ("9.a", "9.b", "Comune", "Provincia")]
    assert missing(opzioni, *testi) == []
    assert missing(printed_lines("### 2.2"), *testi) == []
    assert missing(["a )", "10. OSSERVAZIONI DELL'ISPETTORE", "Codici elenco non conformità:",
                    "11. DICHIARAZIONI DEL RESPONSABILE IMPIANTO",
                    "12.a) RESPONSABILE IMPIANTO O SUO DELEGATO PER RICEVUTA", "12.b) L'ISPETTORE"], *testi) == []


def test_a4_two_pages_per_copy_fonts_embedded(pdf_a: bytes, pdf_vuoto: bytes) -> None:
    for pdf in (pdf_a, pdf_vuoto):
        info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", "-"], input=pdf, capture_output=True, check=True)
        sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info.stdout.decode())
        assert len(sizes) == 6
        assert all(abs(float(w) - 595.28) < 1 and abs(float(h) - 841.89) < 1 for w, h in sizes)
    fonts = subprocess.run(["pdffonts", "-"], input=pdf_a, capture_output=True, check=True).stdout.decode()
    rows = fonts.splitlines()[2:]
    assert rows and all(re.search(r"\byes\s+yes\s+(yes|no)\s+\d+\s+\d+\s*$", r) for r in rows), fonts


def test_three_copies_each_marked_with_its_holder(pdf_a: bytes) -> None:
    pagine = _pagine(pdf_a)
    for n, titolare in enumerate(COPIE_RAPPORTO_PROVA):
        for pagina in pagine[2 * n: 2 * n + 2]:
            assert titolare in pagina
            assert all(altro not in pagina for altro in COPIE_RAPPORTO_PROVA if altro != titolare)
    assert "VERIFICA DELLO STATO DI MANUTENZIONE" in pagine[0] and "8. RISULTATI DELL'ISPEZIONE" in pagine[1]


def test_computed_results_are_printed(testo_a: str) -> None:
    # §4 example: Pn 24 kW, standard, installed in 2000 → η min 86,8 %; Siegert on the means → 94,9; +2 → 96,9.
    pagina2 = testo_a.split("\f")[1]
    assert re.search(r"superiore o uguale a\s+86,8\s+%", pagina2)
    assert re.search(r"Valore rilevato\s+94,9\s+%\s+Valore rilevato \+ 2\s+96,9", pagina2)
    assert re.search(r"Valore rilevato:\s+59\s+ppm", pagina2)
    assert "64,97" in pagina2 and "119,30" in pagina2  # Media column
    assert "(1) Data di realizzazione dell'impianto dichiarata dal responsabile (3.c)" in pagina2


def test_dati_json_round_trip(pdf_a: bytes) -> None:
    dati = json.loads(read_attachment(pdf_a))
    assert dati["tipo"] == "allegato-a"
    model = validate(get_document_type("allegato-a"), dati["dati"])
    assert model == AllegatoA.model_validate(esempio_a())


def test_empty_fields_are_errors_naming_each_field() -> None:
    data = copy.deepcopy(esempio_a())
    data.pop("volumetria_m3")
    data["occupante"]["telefono"] = None
    with pytest.raises(ValidationFailed) as exc:
        validate(get_document_type("allegato-a"), data)
    errors = {e.path: e.message for e in exc.value.errors}
    assert set(errors) == {("volumetria_m3",), ("occupante", "telefono")}
    assert "Campo vuoto (1.p Volumetria riscaldata (m3))" in errors[("volumetria_m3",)]
    assert "BARRATO" in errors[("occupante", "telefono")]


def _calcoli(**modifiche: object) -> dict:
    data = {**esempio_a(), **modifiche}
    doc = get_document_type("allegato-a")
    return doc.derive(validate(doc, data))


def test_foro_absent_strikes_7_to_9_without_asking_for_measures() -> None:
    c = _calcoli(foro_presente="No", t_mandata=None, t_aria=None, t_fumi=None, co_misurato=None, o2_co2=None,
                 cella=None, strumento_combustione=None)
    assert c["esito"]["esito"] == "BARRATO"
    campi = c["campi"]
    assert campi["t_fumi.1"] == campi["t_fumi.media"] == campi["strumento_combustione.marca"] == "BARRATO"
    assert any("Foro per il prelievo" in o["testo"] for o in c["osservazioni"])


def test_co_irregular_gives_9b_and_strikes_8d() -> None:
    c = _calcoli(co_misurato=["980", "1010", "995"])
    assert c["esito"]["esito"] == "9.b" and c["esito"]["punti_non_conformi"] == ("8.b",)
    assert "8.d" in c["esito"]["campi_barrati"]


@pytest.mark.parametrize(
    ("modifiche", "campo", "messaggio"),
    [
        ({"data_installazione_gen": "dopo il 29/10/1993"}, "data_installazione_gen", "fascia"),
        ({"dichiarato": "No"}, "dichiarato", "Dichiarato: No"),
        ({"combustibile": "Altro"}, "combustibile", "specificare"),
        ({"biennio_a": 2028}, "biennio_da", "consecutivi"),
    ],
)
def test_invalid_combinations_have_italian_messages(modifiche: dict, campo: str, messaggio: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate(get_document_type("allegato-a"), {**esempio_a(), **modifiche})
    assert any(messaggio in e.message for e in exc.value.errors), exc.value.as_list()


def test_after_1993_with_bracket_or_manual_eta_min() -> None:
    con_fascia = _calcoli(data_installazione_gen="dopo il 29/10/1993", fascia_installazione="dal 01/01/1998 al 07/10/2005")
    assert str(con_fascia["esito"]["eta_min"]) == "86.8"
    manuale = _calcoli(data_installazione_gen="dopo il 29/10/1993", eta_min_manuale="90.5")
    assert str(manuale["esito"]["eta_min"]) == "90.5"


def test_correction_prints_no_and_repeats_it_in_10a() -> None:
    c = _calcoli(correzioni=[{"campo": "ubicazione.piano", "nota": "il piano corretto è il 3"}])
    assert c["campi"]["_no"] == ["ubicazione.piano"]
    assert c["osservazioni"][-1] == {"n": 2, "testo": "NO: il piano corretto è il 3", "campo": "ubicazione.piano"}
