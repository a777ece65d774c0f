"""The contrassegno placed without scaling: on a page with room the code sits in blank paper reached
from an edge (the page's own drawing untouched, pixel for pixel, outside the block), reads with zbar
at 150 and 300 dpi, and the sealed file keeps every font embedded and its PDF/A-3b markers; a page
with no room (one framed 3 mm from its edges) falls back to the reduced layout and is counted; the front of
each Allegato G copy and B's generator sheets get the smaller code in the blank corner of their header band."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from domain.contrassegno import Sigillo, codifica, preparazione
from renderers.contrassegno import BORDO, disegna_contrassegno
from service.produce import produci
from service.registry import get_document_type

FONT = (Path(__file__).resolve().parents[2] / "fonts" / "dejavu" / "DejaVuSans.ttf").read_bytes()
LEGENDA = "Contrassegno elettronico (CAD art. 23-ter c.5) – verifica: https://curit.example.it/verifica/" + "0" * 32


def _testo() -> str:
    s = Sigillo("019ae5b2c3d4" + "ab" * 10, "allegato-h", "020066CT0000001", date(2026, 3, 1), "provincia-mantova",
                bytes(range(32)), 54321, datetime(2026, 3, 1, 10, tzinfo=timezone.utc))
    protetto, payload, _ = preparazione(s, b"\x01" * 8)
    return codifica(protetto, payload, b"\x02" * 64)


TESTO = _testo()


@pytest.fixture(scope="module")
def sigillati(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, object]]:
    base = tmp_path_factory.mktemp("posto")
    out = {}
    for tipo in ("allegato-h", "allegato-g", "distinta-ricevuta", "allegato-a", "allegato-b"):
        pdf = produci(tipo, get_document_type(tipo).example()).pdf
        esito = disegna_contrassegno(pdf, TESTO, LEGENDA, FONT)
        (base / f"{tipo}-0.pdf").write_bytes(pdf)
        (base / f"{tipo}.pdf").write_bytes(esito.pdf)
        out[tipo] = (base / f"{tipo}-0.pdf", base / f"{tipo}.pdf", esito)
    return out


def _pagina(pdf: Path, dpi: int, n: int = 1) -> Image.Image:
    radice = pdf.with_name(f"{pdf.stem}-{dpi}-{n}")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", "-f", str(n), "-l", str(n),
                    str(pdf), str(radice)], check=True)
    return Image.open(f"{radice}.png")


def test_posto_senza_riduzione_e_leggibile(sigillati) -> None:
    prima, dopo, esito = sigillati["allegato-h"]
    assert esito.ridotte == [] and esito.posti[0] is not None
    posto = esito.posti[0]
    assert dopo.read_bytes().startswith(prima.read_bytes())  # the rendered revision is kept byte for byte
    a, b = _pagina(prima, 72), _pagina(dopo, 72)
    diff = ImageChops.difference(a, b).getbbox()
    assert diff is not None  # something was drawn...
    h = a.height
    x0, y0, x1, y1 = posto.x, h - posto.y - posto.altezza, posto.x + posto.larghezza, h - posto.y
    assert diff[0] >= x0 - 1 and diff[2] <= x1 + 1 and diff[1] >= y0 - 1 and diff[3] <= y1 + 1  # ...only in its box
    # the box was blank on the page as rendered (nothing covered)
    assert ImageChops.invert(a.crop((int(x0), int(y0), int(x1), int(y1)))).getbbox() is None
    # zbar: 150 dpi straight, 300 dpi rotated 2°; zxing (what verifica-stampa uses): 150 dpi rotated 2°
    for dpi, angolo, lettore in ((150, 0, "zbar"), (300, 2, "zbar"), (150, 2, "zxing")):
        png = dopo.with_name(f"scan-{dpi}-{angolo}.png")
        _pagina(dopo, dpi).rotate(angolo, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR).save(png)
        if lettore == "zbar":
            letti = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True).stdout.splitlines()
        else:
            import zxingcpp

            with Image.open(png) as im:
                letti = [r.text for r in zxingcpp.read_barcodes(im)]
        assert TESTO in letti, (dpi, angolo, lettore)


def test_banda_del_contrassegno_in_fondo(sigillati) -> None:
    """The distinta-ricevuta, whose table ran to the footer, keeps a blank band at the bottom of every
    page (its template's margin): the code stands there, its legend wrapped in a column beside it."""
    tipo = "distinta-ricevuta"
    prima, dopo, esito = sigillati[tipo]
    assert esito.ridotte == [] and len(esito.posti) >= 2
    primo = esito.posti[0]
    assert (primo.lato, primo.colonna, primo.y) == ("basso", True, BORDO), primo
    a = _pagina(prima, 72)
    h = a.height
    box = (int(primo.x), int(h - primo.y - primo.altezza), int(primo.x + primo.larghezza), int(h - primo.y))
    assert ImageChops.invert(a.crop(box)).getbbox() is None  # nothing of the page under the block
    testo = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(dopo), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert "https://curit.example.it/verifica/" in testo and "0" * 32 in testo  # the legend's lines, the id whole
    import zxingcpp

    png = dopo.with_name(f"{tipo}-scan.png")
    _pagina(dopo, 150).rotate(2, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR).save(png)
    with Image.open(png) as im:
        assert TESTO in [r.text for r in zxingcpp.read_barcodes(im)]


def test_codice_piccolo_dove_il_solito_non_entra(sigillati) -> None:
    """The back of each Allegato A copy (signature boxes down to 28 mm above the edge) gets the smaller
    code, on blank paper, unscaled: zxing reads it at 150 dpi rotated 2°, zbar at 300 dpi."""
    prima, dopo, esito = sigillati["allegato-a"]
    assert esito.ridotte == [] and [p.piccolo for p in esito.posti] == [False, True] * 3
    retro = esito.posti[1]
    a = _pagina(prima, 72, 2)
    box = (int(retro.x), int(a.height - retro.y - retro.altezza), int(retro.x + retro.larghezza), int(a.height - retro.y))
    assert ImageChops.invert(a.crop(box)).getbbox() is None
    import zxingcpp

    png = dopo.with_name("a-retro-150.png")
    _pagina(dopo, 150, 2).rotate(2, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR).save(png)
    with Image.open(png) as im:
        assert TESTO in [r.text for r in zxingcpp.read_barcodes(im)]
    png = dopo.with_name("a-retro-300.png")
    _pagina(dopo, 300, 2).rotate(-2, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR).save(png)
    letti = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True).stdout.splitlines()
    assert TESTO in letti


def test_font_incorporati_e_pdfa(sigillati) -> None:
    prima, dopo, _ = sigillati["allegato-h"]
    righe = subprocess.run(["pdffonts", str(dopo)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert any("DejaVuSans" in r for r in righe)
    assert all(r.split()[-5] == "yes" for r in righe), righe  # emb
    assert subprocess.run(["qpdf", "--check", str(dopo)], capture_output=True).returncode == 0
    testo = subprocess.run(["pdftotext", str(dopo), "-"], capture_output=True, text=True, check=True).stdout
    assert "Contrassegno elettronico (CAD art. 23-ter c.5)" in testo
    with pikepdf.open(prima) as p0, pikepdf.open(dopo) as p1:
        with p0.open_metadata() as m0, p1.open_metadata() as m1:
            assert (m1["pdfaid:part"], m1["pdfaid:conformance"]) == ("3", "B")
            for chiave in ("dc:title", "curit:tipoDocumento", "curit:codiceImpianto", "xmp:CreateDate"):
                assert m1.get(chiave) == m0.get(chiave), chiave
            assert str(p1.docinfo["/Producer"]) == m1["pdf:Producer"]  # Info and XMP equivalent (ISO 19005-3 6.6.2.3)


@pytest.mark.parametrize("tipo,angoli", [("allegato-g", {1, 3, 5}), ("allegato-b", {2, 3, 5, 6, 8, 9})])
def test_angolo_della_testata_g_e_b(sigillati, tipo, angoli) -> None:
    """Every page of the G and B examples is sealed unscaled: the G fronts and the B generator sheets get
    the smaller code, its legend in a column, against the top edge in their header band's blank corner
    (G at the left, B at the right); nothing of the page under the block; zxing reads it at 150 dpi, 2°."""
    prima, dopo, esito = sigillati[tipo]
    assert esito.ridotte == []
    assert {n for n, p in enumerate(esito.posti, 1) if p.lato == "alto"} == angoli
    for n in sorted(angoli)[:1]:
        posto = esito.posti[n - 1]
        assert (posto.piccolo, posto.colonna) == (True, True), posto
        a = _pagina(prima, 72, n)
        assert a.height - posto.y - posto.altezza >= BORDO - 0.5
        box = (int(posto.x), int(a.height - posto.y - posto.altezza), int(posto.x + posto.larghezza), int(a.height - posto.y))
        assert ImageChops.invert(a.crop(box)).getbbox() is None
        import zxingcpp

        png = dopo.with_name(f"{tipo}-angolo-{n}.png")
        _pagina(dopo, 150, n).rotate(2, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR).save(png)
        with Image.open(png) as im:
            assert TESTO in [r.text for r in zxingcpp.read_barcodes(im)]


def test_pagina_senza_spazio_contata(sigillati, tmp_path) -> None:
    """A page with ink 3 mm from every edge (a frame) has no room: scaled, counted; the next page is placed."""
    prima, _dopo, _esito = sigillati["allegato-g"]
    with pikepdf.open(prima) as p:
        p.pages[0].contents_add(p.make_stream(b"q 0 G 2 w 8.5 8.5 578 825 re S Q"), prepend=False)
        p.save(tmp_path / "cornice.pdf")
    esito = disegna_contrassegno((tmp_path / "cornice.pdf").read_bytes(), TESTO, LEGENDA, FONT)
    assert esito.ridotte == [1] and esito.posti[1] is not None
    with pikepdf.open(io.BytesIO(esito.pdf)) as p:
        assert len(p.pages) == len(esito.posti)
