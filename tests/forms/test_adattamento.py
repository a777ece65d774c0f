"""Issue 17: values are not cut by neighbouring cells, checked on the drawn glyph boxes (pdfplumber),
not on the text layer (a clipped value is still whole in the text layer).

Allegato B 7.c (and A, same section): the tiraggio instrument "Matricola C4-071538" used to be cut
to "C4-07" by the (Pa) cell; its label and value now wrap inside their own cell.
"""

from __future__ import annotations

import io

import pdfplumber
import pytest

from renderers.impose import MM
from service.produce import render_document
from service.registry import get_document_type

pytestmark = pytest.mark.xdist_group("adattamento")


def _sequenza(chars: list[dict], testo: str) -> list[dict]:
    """The drawn characters of ``testo`` (consecutive in drawing order, spaces ignored)."""
    visibili = [c for c in chars if c["text"].strip()]
    flat = "".join(c["text"] for c in visibili)
    i = flat.find(testo)
    assert i >= 0, f"{testo!r} non è disegnato"
    return visibili[i:i + len(testo)]


@pytest.mark.parametrize("code", ["allegato-b", "allegato-a"])
def test_7c_matricola_drawn_whole_inside_its_cell(code: str) -> None:
    dati = get_document_type(code).example()
    pdf = render_document(code, dati, modo="facsimile", copie=None)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        pagine = [p for p in doc.pages if "MISURA DEL TIRAGGIO" in (p.extract_text() or "")]
        assert pagine
        for page in pagine:
            parole = page.extract_words()
            pa = next(w for w in parole if w["text"] == "(Pa)")
            tiraggio = next(w for w in parole if w["text"] == "TIRAGGIO")
            # the (Pa) cell is 11 mm wide, its label centred: its left border
            bordo = (pa["x0"] + pa["x1"]) / 2 - 5.5 * MM
            riga = [c for c in page.chars if tiraggio["top"] - 2 <= c["top"] <= pa["bottom"] + 12]
            matricole = [w for w in parole if w["text"] == "Matricola"
                         and tiraggio["top"] - 2 <= w["top"] <= pa["bottom"] + 12]
            assert matricole, "etichetta Matricola di 7.c assente"
            valore = _sequenza(riga, "C4-071538") if "C4-071538" in "".join(c["text"] for c in riga) else []
            for c in [*valore, *(ch for w in matricole for ch in riga if w["x0"] <= ch["x0"] < w["x1"]
                                 and abs(ch["top"] - w["top"]) < 1)]:
                assert c["x1"] < bordo, (code, page.page_number, c["text"], c["x1"] / MM, bordo / MM)
        if code == "allegato-b":  # its example carries the seed's tiraggio instrument
            assert "C4-071538" in "".join(c["text"] for p in pagine for c in p.chars)
