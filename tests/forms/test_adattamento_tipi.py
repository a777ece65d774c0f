"""Issue 17: a filled value never grows its slot nor is clipped, measured on the drawn glyph boxes.

A value wider than its slot shrinks and, past 5 pt, wraps on two lines inside the slot's width
(``_base/campi.html.j2``): the page keeps the seed's structure (Allegato G: the form page + the
Avvertenze page per copy) and every glyph of the value lies within the slot's box.
"""

from __future__ import annotations

import copy
import io

import pdfplumber
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from renderers.pdf import AssetFetcher
from renderers.stamp import read_slots
from service.batch.moduli import StampaModulo
from service.produce import render_document, validate
from service.registry import get_document_type
from service.settings import Settings

pytestmark = pytest.mark.xdist_group("adattamento")

INDIRIZZO_LUNGO = ("Via Giuseppe Garibaldi 27, Scala B, interno 3, 46019 Viadana (MN), c/o Rossi " * 2)[:80]
TOLLERANZA = 0.6  # pt: anti-aliasing of glyph edges


def _g(**valori) -> dict:
    g = copy.deepcopy(get_document_type("allegato-g").example())
    g.update(valori)
    return g


def test_g_with_two_line_address_keeps_two_pages_per_copy() -> None:
    pdf = render_document("allegato-g", _g(indirizzo=INDIRIZZO_LUNGO), modo="normalizzato")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 6  # 3 copies × (form page + Avvertenze page), as the seed
        for n in (0, 2, 4):
            testo = doc.pages[n].extract_text() or ""
            assert "Timbro e firma dell’operatore" in testo, f"pagina {n + 1}: firme non sulla pagina del modulo"


def _slot_e_glifi(rec: dict, campo: str) -> tuple[tuple[float, float, float, float], list[dict], int]:
    """The slot's box (x0, top, x1, bottom in pdfplumber coordinates), the drawn glyphs inside its
    row band, and the number of pages of one copy."""
    s = Settings()
    doc = get_document_type("allegato-g")
    html = StampaModulo(doc, "normalizzato", s).html(validate(doc, rec), doc.copies[:1])
    document = HTML(string=html, base_url=str(s.templates_dir / doc.template) + "/",
                    url_fetcher=AssetFetcher((s.templates_dir, s.fonts_dir))).render(font_config=FontConfiguration())
    pagine = read_slots(document)
    slot = next(sl for sl in pagine[0].slots if sl.campo == campo)
    altezza = pagine[0].height
    box = (slot.x, altezza - slot.y - slot.height, slot.x + slot.width, altezza - slot.y)
    with pdfplumber.open(io.BytesIO(document.write_pdf())) as pdf:
        glifi = [c for c in pdf.pages[0].chars if c["text"].strip()
                 and box[1] - 3 <= (c["top"] + c["bottom"]) / 2 <= box[3] + 3
                 and "Mono" in c["fontname"]]
    return box, glifi, len(pagine)


_ALFABETO = st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789,.()/-")
_PAROLA = st.text(_ALFABETO, min_size=1, max_size=12)


@st.composite
def _testo(draw, massimo: int) -> str:
    parole = draw(st.lists(_PAROLA, min_size=1, max_size=massimo))
    return " ".join(parole)[:massimo].strip() or "X"


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valore=_testo(80))
def test_g_indirizzo_fits_its_slot(valore: str) -> None:
    """Up to the field's maximum (80 characters, two lines): drawn within the slot, two pages per copy."""
    box, glifi, pagine = _slot_e_glifi(_g(indirizzo=valore), "indirizzo")
    assert pagine == 2
    dentro = [c for c in glifi if box[0] - TOLLERANZA <= c["x0"] and c["x1"] <= box[2] + TOLLERANZA]
    disegnato = "".join(c["text"] for c in dentro)
    assert disegnato == valore.replace(" ", ""), (valore, disegnato)


@pytest.mark.parametrize("campo,massimo", [("responsabile_tel", 20), ("numero_rapporto", 28), ("responsabile_nome", 60)])
def test_g_refuses_past_the_maximum_naming_the_field(campo: str, massimo: int) -> None:
    doc = get_document_type("allegato-g")
    with pytest.raises(Exception) as err:
        validate(doc, _g(**{campo: "X" * (massimo + 1)}))
    assert campo in str(err.value) and f"al massimo {massimo} caratteri" in str(err.value)
