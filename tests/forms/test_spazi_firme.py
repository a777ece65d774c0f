"""Issue 17: room to stamp and sign on blank forms, measured on the rendered pages (pdfplumber).

A and B: the 12.a / 12.b boxes are ≥ 25 mm high. F: "Timbro e firma dell'operatore" has ≥ 25 mm
from its label to the signature line. The number of pages per copy is unchanged (A 2, B 2 blank, F 3).
"""

from __future__ import annotations

import io

import pdfplumber
import pytest

from renderers.impose import MM
from service.produce import render_document

pytestmark = pytest.mark.xdist_group("spazi_firme")

PAGINE = {"allegato-a": 2, "allegato-b": 2, "allegato-f": 3}


@pytest.fixture(scope="module")
def vuoti() -> dict[str, bytes]:
    return {code: render_document(code, None, modo="facsimile", copie=["utente"] if code == "allegato-f" else None)
            for code in PAGINE}


def _orizzontali(page) -> list[tuple[float, float, float]]:
    """(y, x0, x1) of every horizontal rule (lines and thin rectangles)."""
    out = [(o["top"], o["x0"], o["x1"]) for o in page.lines if abs(o["top"] - o["bottom"]) < 0.5]
    out += [(o["top"], o["x0"], o["x1"]) for o in page.rects if o["height"] < 1.2]
    return out


@pytest.mark.parametrize("code", ["allegato-a", "allegato-b"])
def test_12a_12b_boxes_25mm(vuoti: dict[str, bytes], code: str) -> None:
    with pdfplumber.open(io.BytesIO(vuoti[code])) as doc:
        copie = len(doc.pages) // PAGINE[code]
        assert len(doc.pages) == copie * PAGINE[code]
        trovati = 0
        for page in doc.pages:
            for w in page.extract_words():
                if w["text"] not in ("12.a)", "12.b)"):
                    continue
                righe = [y for y, x0, x1 in _orizzontali(page) if x0 <= w["x0"] <= x1]
                sopra = max(y for y in righe if y < w["top"])
                sotto = min(y for y in righe if y > w["bottom"] + 1)
                assert (sotto - sopra) / MM >= 25 - 0.2, (code, page.page_number, w["text"], (sotto - sopra) / MM)
                trovati += 1
        assert trovati == 2 * copie, trovati


def test_f_timbro_e_firma_25mm(vuoti: dict[str, bytes]) -> None:
    with pdfplumber.open(io.BytesIO(vuoti["allegato-f"])) as doc:
        assert len(doc.pages) == PAGINE["allegato-f"]
        page = next(p for p in doc.pages if "Timbro e firma" in (p.extract_text() or ""))
        w = next(w for w in page.extract_words() if w["text"] == "Timbro")
        numero = page.page_number
    # the dotted signature line is drawn as a pattern: found on the raster, first inked row below the label
    import subprocess
    import tempfile
    from pathlib import Path

    from PIL import Image

    dpi = 100
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "f.pdf").write_bytes(vuoti["allegato-f"])
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(numero), "-l", str(numero), "-png",
                        f"{tmp}/f.pdf", f"{tmp}/p"], check=True)
        img = Image.open(next(Path(tmp).glob("p-*.png"))).convert("L")
    k = dpi / 72
    x0, x1 = round((w["x0"] - 10 * MM) * k), round((w["x1"] + 10 * MM) * k)
    linea = None
    for y in range(round(w["bottom"] * k) + 2, round((w["bottom"] + 45 * MM) * k)):
        if sum(1 for x in range(x0, x1) if img.getpixel((x, y)) < 128) > (x1 - x0) // 5:
            linea = y / k
            break
    assert linea is not None, "linea della firma non trovata"
    assert (linea - w["top"]) / MM >= 25 - 0.2, (linea - w["top"]) / MM


@pytest.mark.parametrize("code", ["allegato-a", "allegato-b"])
def test_l_m_n_o_rows_6mm_apart_on_the_blank_form(vuoti: dict[str, bytes], code: str) -> None:
    """Each row of the subject blocks (l, m, n, o) is a handwritten line: its label is ≥ 6 mm below
    the previous one, on every copy, and the copy keeps its pages (checked above)."""
    etichette = ("Ragione", "Cognome", "Indirizzo", "Comune", "Cod.", "Telefono", "Fax")
    with pdfplumber.open(io.BytesIO(vuoti[code])) as doc:
        prime = [p for p in doc.pages if "Occupante" in (p.extract_text() or "")]
        assert len(prime) == len(doc.pages) // PAGINE[code]
        for page in prime:
            fax = sorted((w for w in page.extract_words() if w["text"] == "Fax"), key=lambda w: (w["top"], w["x0"]))
            assert len(fax) == 4, [w["top"] for w in fax]  # l, m, n, o
            for f in fax:
                colonna = sorted(w["top"] for w in page.extract_words() if w["text"] in etichette
                                 and abs(w["x0"] - f["x0"]) < 1 and f["top"] - 60 * MM < w["top"] <= f["top"])
                blocco = colonna[-len(etichette):]
                assert len(blocco) == len(etichette), (code, blocco)
                passi = [(b - a) / MM for a, b in zip(blocco, blocco[1:])]
                assert min(passi) >= 6 - 0.1, (code, page.page_number, passi)
