"""Issue 17: one declared matrice size; the sheet profile and the space on G and F derive from it.

Measured on the rendered PDFs (pdfplumber: the drawn dashed border of the space, the perforation
lines of the etichette), never on the CSS: a matrice stuck in the space of every copy of G and F
keeps ≥ 2 mm of margin on each side, and nothing else of the page is printed under it.
"""

from __future__ import annotations

import io
from pathlib import Path

import pdfplumber
import pytest

from domain.etichetta import MARGINE_SPAZIO_MM, MATRICE, MATRICI, numero_etichetta
from renderers.impose import MM, PROFILI
from service.etichette_stampa import render_etichette
from service.produce import render_document
from service.registry import get_document_type
from service.settings import Settings

pytestmark = pytest.mark.xdist_group("etichetta_box")

TOL = 0.15
"""mm: the PDF's coordinates are rounded to 0.01 pt; WeasyPrint lays out in CSS px."""


def _spazio(page: pdfplumber.page.Page) -> tuple[float, float, float, float]:
    """Inner rectangle (mm, top-left origin) of the dashed "Spazio per l'etichetta" border of a page."""
    # dashes of a length (the border), not the zero-length round dots of the dotted rules
    dashed = [o for o in page.lines if o.get("dash") and o["dash"][0] and o["dash"][0][0] > 0]
    h = [o for o in dashed if abs(o["top"] - o["bottom"]) < 0.01 * MM]
    v = [o for o in dashed if abs(o["x0"] - o["x1"]) < 0.01 * MM]
    assert len(h) == 2 and len(v) == 2, "il riquadro tratteggiato dello spazio per l'etichetta non si trova"
    w = v[0]["linewidth"] if "linewidth" in v[0] else v[0].get("stroking_linewidth", 0.4 * MM)
    left, right = sorted(o["x0"] for o in v)
    top, bottom = sorted(o["top"] for o in h)
    return ((left + w / 2) / MM, (top + w / 2) / MM, (right - w / 2) / MM, (bottom - w / 2) / MM)


def _forms() -> list[tuple[str, str, bytes]]:
    out = []
    for code in ("allegato-g", "allegato-f"):
        dt = get_document_type(code)
        out.append((code, "facsimile", render_document(code, dt.example(), modo="facsimile")))
        out.append((code, "normalizzato", render_document(code, dt.example(), modo="normalizzato", copie=["utente"])))
        out.append((code, "vuoto", render_document(code, None, modo="facsimile", copie=["utente"])))
    return out


@pytest.fixture(scope="module")
def moduli() -> list[tuple[str, str, bytes]]:
    return _forms()


def test_declared_sizes_derive_from_the_matrice() -> None:
    assert MATRICE.spazio == (MATRICE.larghezza + 2 * MARGINE_SPAZIO_MM, MATRICE.altezza + 2 * MARGINE_SPAZIO_MM)
    assert MATRICE.etichetta == (MATRICE.larghezza * len(MATRICI), MATRICE.altezza)
    profili = [p for p in PROFILI.values() if (p.label_width, p.label_height) == MATRICE.etichetta]
    assert [p.code for p in profili] == ["A4-1x7"]


def test_matrice_fits_the_space_on_every_copy(moduli: list[tuple[str, str, bytes]]) -> None:
    for code, modo, pdf in moduli:
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            pages = [p for p in doc.pages if "Spazioperl" in "".join(c["text"] for c in p.chars).replace(" ", "")]
            # one space per copy (3 copies; F: the space on its first sheet)
            assert len(pages) == (3 if modo == "facsimile" else 1), (code, modo, len(pages))
            for page in pages:
                x0, y0, x1, y1 = _spazio(page)
                margine_x = ((x1 - x0) - MATRICE.larghezza) / 2
                margine_y = ((y1 - y0) - MATRICE.altezza) / 2
                assert margine_x >= MARGINE_SPAZIO_MM - TOL and margine_y >= MARGINE_SPAZIO_MM - TOL, \
                    (code, modo, page.page_number, x1 - x0, y1 - y0)
                # the space lies on the page, and no character of the rest of the form is under the matrice
                assert x0 > 0 and y0 > 0 and x1 * MM < page.width and y1 * MM < page.height
                fuori = [c["text"] for c in page.crop((0, y0 * MM - 30, page.width, y1 * MM + 30)).chars
                         if c["x1"] > x0 * MM and c["x0"] < x1 * MM and c["bottom"] > y0 * MM and c["top"] < y1 * MM
                         and not (c["x0"] >= x0 * MM - 0.1 and c["x1"] <= x1 * MM + 0.1
                                  and c["top"] >= y0 * MM - 0.1 and c["bottom"] <= y1 * MM + 0.1)]
                assert not fuori, (code, modo, page.page_number, "".join(fuori))


def test_structure_kept_one_form_page_per_copy_of_g(moduli: list[tuple[str, str, bytes]]) -> None:
    """The bigger space must not push G's form onto a second page (seed: one page + Avvertenze)."""
    for code, modo, pdf in moduli:
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            n = len(doc.pages)
        copie = 3 if modo == "facsimile" else 1
        if code == "allegato-g":
            assert n == copie * 2, (modo, n)
        elif modo == "vuoto":  # the blank F: the seed's three sheets
            assert n == 3, n


def test_sheet_profile_matrici_measured(tmp_path: Path) -> None:
    settings = Settings(stampa_cache_dir=tmp_path / "cache")
    profilo = PROFILI["A4-1x7"]
    numeri = [numero_etichetta("CR000", 2026, "G", i) for i in range(1, profilo.per_sheet + 1)]
    pdf = render_etichette(numeri, "provincia-cremona", "G", settings=settings)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 1
        page = doc.pages[0]
        assert abs(page.width / MM - profilo.page_width) < TOL and abs(page.height / MM - profilo.page_height) < TOL
        for cell in range(profilo.per_sheet):
            x, y = profilo.cell(cell)
            for k, copia in enumerate(MATRICI):  # each matrice in its declared 56 × 28 mm, nothing cut
                mx = x + k * MATRICE.larghezza
                testo = page.crop(((mx + 0.1) * MM, (y + 0.1) * MM, (mx + MATRICE.larghezza - 0.1) * MM,
                                   (y + MATRICE.altezza - 0.1) * MM), strict=False).extract_text() or ""
                assert numeri[cell].leggibile in testo.replace(" ", "") and copia.split()[-1].upper() in testo.upper(), (cell, k, testo)


_CLI = """
import contextlib, io, json, sys
from service.cli import main
esiti = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["curit-docs", *argv]
    codice = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            codice = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    esiti.append({"codice": codice, "out": out.getvalue(), "err": err.getvalue()})
print(json.dumps(esiti))
"""
"""Runs several `curit-docs` commands in ONE fresh interpreter (one start-up instead of three)."""


def _curit_docs(env: dict, cwd: Path, *comandi: list[str]) -> list[dict]:
    import json
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", _CLI, json.dumps(comandi)], capture_output=True, text=True,
                       env=env, cwd=cwd, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_preview_sheet_facsimile_without_database(tmp_path: Path) -> None:
    """`esempio etichette` + `render etichette`: an A4 sheet of example numbers marked FAC-SIMILE;
    no database is created or opened, nothing is archived."""
    import json
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("CURIT_")}
    db = tmp_path / "var" / "curit.db"
    env |= {"CURIT_DB_URL": f"sqlite:///{db}", "CURIT_VAR_DIR": str(tmp_path / "var"),
            "CURIT_STAMPA_CACHE_DIR": str(tmp_path / "cache")}
    # the three commands in one interpreter; the inputs are written first from the registry's example,
    # which `esempio etichette` must print
    esempio = get_document_type("etichette").example()
    dati = esempio | {"tipo": "F", "fascia": "F3", "quantita": 9}
    (tmp_path / "e.json").write_text(json.dumps(dati), encoding="utf-8")
    (tmp_path / "e2.json").write_text(json.dumps(dati | {"fascia": None}), encoding="utf-8")
    stampato, r, rifiuto = _curit_docs(env, tmp_path, ["esempio", "etichette"],
                                       ["render", "etichette", "e.json", "-o", "e.pdf", "--no-firma"],
                                       ["render", "etichette", "e2.json", "-o", "e2.pdf", "--no-firma"])
    assert stampato["codice"] == 0 and json.loads(stampato["out"]) == json.loads(json.dumps(esempio)), stampato
    assert r["codice"] == 0, r["err"]
    assert not db.exists() and not list(tmp_path.rglob("*.db"))
    with pdfplumber.open(tmp_path / "e.pdf") as doc:
        assert len(doc.pages) == 2  # 9 etichette: 7 + 2 on the A4-1x7 profile
        page = doc.pages[0]
        assert (round(page.width / MM), round(page.height / MM)) == (210, 297)
        diritto = page.filter(lambda o: o.get("object_type") != "char" or abs(o["matrix"][1]) < 1e-6)
        testo = diritto.extract_text().replace(" ", "")
        assert "FAC-SIMILE-numeridiesempio,nonassegnati" in testo
        # the stamp across every matrice (drawn rotated)
        assert "".join(c["text"] for c in page.chars if abs(c["matrix"][1]) > 1e-6).count("FAC-SIMILE") == 7 * 3
        assert "CR000-26F3-000001-" in testo and "CR000-26F3-000007-" in testo
        assert "CR000-26F3-000009-" in doc.pages[1].filter(lambda o: o.get("object_type") != "char" or abs(o["matrix"][1]) < 1e-6).extract_text().replace(" ", "")
    # refused in Italian, naming the field, and no file written
    assert rifiuto["codice"] != 0 and "fascia" in rifiuto["err"] and not (tmp_path / "e2.pdf").exists(), rifiuto
