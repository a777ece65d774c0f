"""Issue 17: G keeps the seed's numbering and order in both modes; H and I label their added row.

Read on the rendered pages (pdftotext -layout, pdfplumber words), in facsimile and normalised mode.
"""

from __future__ import annotations

import io
import re

import pdfplumber
import pytest

from service.produce import render_document
from service.registry import get_document_type
from tests.forms.spec import pdftotext_layout

pytestmark = pytest.mark.xdist_group("spazi_ordine")


@pytest.fixture(scope="module")
def g() -> dict[str, bytes]:
    esempio = get_document_type("allegato-g").example()
    return {modo: render_document("allegato-g", esempio, modo=modo, copie=["utente"])
            for modo in ("facsimile", "normalizzato")}


@pytest.mark.parametrize("modo", ["facsimile", "normalizzato"])
def test_g_avvertenze_numbered_5_to_12(g: dict[str, bytes], modo: str) -> None:
    testo = pdftotext_layout(g[modo], first=2, last=2)
    numeri = [int(n) for n in re.findall(r"^\s*(\d+)\.\s", testo, flags=re.M)]
    assert numeri == list(range(5, 13)), numeri
    assert re.search(r"^\s*5\.\s+Per tipo B e C", testo, flags=re.M)
    assert re.search(r"^\s*12\.\s+Tutte le note", testo, flags=re.M)


@pytest.mark.parametrize("modo", ["facsimile", "normalizzato"])
def test_g_section_a_order_and_second_consumi_with_its_label(g: dict[str, bytes], modo: str) -> None:
    testo = pdftotext_layout(g[modo], first=1, last=1)
    a = testo[testo.index("A. IDENTIFICAZIONE"):testo.index("B. DOCUMENTAZIONE")]
    ordine = ["Uso:", "Caldaia tipo:", "Combustibile:", "Volumetria riscaldata", "Consumi di combustibile",
              "Tiraggio:", "Locale installazione"]
    posizioni = [a.index(s) for s in ordine]
    assert posizioni == sorted(posizioni), list(zip(ordine, posizioni))
    # the second consumption: its season, label, value and unit on one printed line
    with pdfplumber.open(io.BytesIO(g[modo])) as doc:
        parole = doc.pages[0].extract_words()
    ref = next(w for w in parole if w["text"] == "2024/25")
    riga = " ".join(w["text"] for w in sorted(parole, key=lambda w: w["x0"])
                    if abs((w["top"] + w["bottom"]) / 2 - (ref["top"] + ref["bottom"]) / 2) < 5)
    assert re.search(r"stagione di riscaldamento 2024/25 Consumi .*968.*\(m3/kg\)", riga), riga


def test_h_and_i_added_row_is_labelled_as_an_addition() -> None:
    for code in ("allegato-h", "allegato-i"):
        esempio = get_document_type(code).example()
        norm = pdftotext_layout(render_document(code, esempio, modo="normalizzato", copie=None))
        assert "Riga aggiunta, non prevista dal modello regionale:" in norm, code
        after = norm[norm.index("Riga aggiunta"):]
        assert after.index("Cod. Fiscale / P. IVA") < after.index("Indirizzo"), code
        fac = pdftotext_layout(render_document(code, esempio, modo="facsimile", copie=None))
        assert "Cod. Fiscale" not in fac and "Riga aggiunta" not in fac, code
