"""renderers/stamp.py: slots read from WeasyPrint, cache, fitting text, stamped vs full render."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from renderers.impose import write_one_up
from renderers.pdfstream import PdfStreamWriter
from renderers.stamp import (
    FontSet,
    NeedsFullRender,
    Slot,
    Stamper,
    compile_template,
    fit_text,
    parse_font_faces,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES, FONTS = ROOT / "templates", ROOT / "fonts"
ASSETS = (TEMPLATES, FONTS)


def _fonts() -> FontSet:
    css = TEMPLATES / "_base" / "fonts.css"
    return FontSet(parse_font_faces(css.read_text(), css.parent))


def _page(slot_html: str, fill: dict[str, str] | None = None) -> str:
    body = slot_html
    for k, v in (fill or {}).items():
        body = body.replace(f"{{{k}}}", v)
    for k in ("a", "b"):
        body = body.replace(f"{{{k}}}", "")
    return (
        '<html><head><link rel="stylesheet" href="../_base/fonts.css"><style>'
        "@page { size: 100mm 60mm; margin: 0 } body { margin: 0; font-family: 'Titillium Web' }"
        ".s { display: inline-block; font-kerning: none; font-variant-ligatures: none; overflow: hidden }"
        "</style></head><body>" + body + "</body></html>"
    )


SLOTS = (
    '<p style="margin: 5mm">Nome <span class="s" data-campo="a" style="width: 50mm; height: 6mm; font-size: 11pt; '
    'line-height: 6mm">{a}</span></p><p style="margin: 5mm; text-align: center">'
    '<span class="s" data-campo="b" data-righe="2" style="width: 40mm; height: 9mm; font-size: 9pt; line-height: 4.5mm; '
    'font-weight: 700; text-align: center; color: #1d6b3a">{b}</span> fine</p>'
)


def _compile(html: str, cache: Path | None = None):
    return compile_template(html, base_dir=TEMPLATES / "targa", asset_roots=ASSETS, cache_dir=cache)


def test_slots_read_from_layout() -> None:
    compiled = _compile(_page(SLOTS))
    a, b = compiled.pages[0].slots
    assert (a.campo, a.kind, a.font_family, a.max_lines) == ("a", "text", "Titillium Web", 1)
    assert a.width == pytest.approx(50 * 72 / 25.4, abs=0.01) and a.font_size == pytest.approx(11)
    assert (b.font_weight, b.align, b.max_lines, b.color) == (700, "center", 2, pytest.approx((0.1137, 0.4196, 0.2275), abs=1e-3))
    assert b.line_height == pytest.approx(4.5 * 72 / 25.4, abs=0.01)


def test_blank_and_filled_layouts_put_slots_in_the_same_place() -> None:
    blank = _compile(_page(SLOTS)).pages[0].slots
    filled = _compile(_page(SLOTS, {"a": "Mario Rossi", "b": "Una riga abbastanza lunga da andare a capo"})).pages[0].slots
    for s0, s1 in zip(blank, filled, strict=True):
        assert (s0.x, s0.y, s0.width, s0.height) == pytest.approx((s1.x, s1.y, s1.width, s1.height), abs=0.01)


def test_targa_template_blank_vs_filled_slots_agree() -> None:
    from service.stampa_fogli import SessioneStampa
    from service.targhe import _contesto  # the real plate template
    from domain.enti import get_ente
    from domain.targa import PersonalizzazioneTarga
    from service.settings import Settings

    ses = SessioneStampa(io.BytesIO(), settings=Settings(), template="targa/documento.html.j2", title="t")
    ente, pers = get_ente("provincia-cremona"), PersonalizzazioneTarga()
    valori = {"codice_impianto": "019035CT0000457", "indirizzo": "Piazza Duomo, 3 Comune di Crema"}
    blank = _compile(ses._html(_contesto(ente, pers, None)))
    filled = _compile(ses._html(_contesto(ente, pers, valori)))
    for p0, p1 in zip(blank.pages, filled.pages, strict=True):
        assert [s.campo for s in p0.slots] == ["codice_impianto", "indirizzo", "qr", "barre"]
        for s0, s1 in zip(p0.slots, p1.slots, strict=True):
            assert (s0.x, s0.y, s0.width, s0.height) == pytest.approx((s1.x, s1.y, s1.width, s1.height), abs=0.01)


def test_cache_reused_and_invalidated_by_assets(tmp_path: Path) -> None:
    css = tmp_path / "extra.css"
    css.write_text(".s { color: #000 }")
    html = _page(SLOTS).replace("</head>", f'<link rel="stylesheet" href="{css.as_uri()}"></head>')
    compile_template(html, base_dir=TEMPLATES / "targa", asset_roots=(*ASSETS, tmp_path), cache_dir=tmp_path / "c")
    entry = next((tmp_path / "c").iterdir())
    stamp = (entry / "slots.json").stat().st_mtime_ns
    again = compile_template(html, base_dir=TEMPLATES / "targa", asset_roots=(*ASSETS, tmp_path), cache_dir=tmp_path / "c")
    assert (entry / "slots.json").stat().st_mtime_ns == stamp and again.pages[0].slots
    css.write_text(".s { color: #f00 }")
    changed = compile_template(html, base_dir=TEMPLATES / "targa", asset_roots=(*ASSETS, tmp_path), cache_dir=tmp_path / "c")
    assert changed.pages[0].slots[0].color == (1.0, 0.0, 0.0)


def _slot(**kw) -> Slot:
    base = dict(campo="x", kind="text", page=0, x=0, y=0, width=100, height=24, font_family="Titillium Web",
                font_size=10, line_height=12, max_lines=2, min_font_size=7)
    return Slot(**{**base, **kw})


def test_fit_text_keeps_size_then_shrinks_then_wraps() -> None:
    face = _fonts().face("Titillium Web", 400, "normal")
    assert fit_text(_slot(), "Via Roma", face) == (10, [b"Via Roma"])
    size, lines = fit_text(_slot(), "Via Giuseppe Garibaldi 10", face)
    assert 7 <= size < 10 and len(lines) == 1
    size, lines = fit_text(_slot(), "Via Giuseppe Garibaldi 10 Comune di Cremona", face)
    assert len(lines) == 2 and b" ".join(lines) == b"Via Giuseppe Garibaldi 10 Comune di Cremona"
    assert all(face.width(line, size) <= 100 for line in lines)


def test_text_that_cannot_fit_needs_a_full_render() -> None:
    face = _fonts().face("Titillium Web", 400, "normal")
    with pytest.raises(NeedsFullRender) as exc:
        fit_text(_slot(), "Una frase davvero molto lunga che non entra in due righe nemmeno rimpicciolita", face)
    assert (exc.value.campo, exc.value.reason) == ("x", "overflow")
    with pytest.raises(NeedsFullRender) as exc:
        fit_text(_slot(), "Зеленоград", face)
    assert exc.value.reason == "glyph"


def _raster(pdf: bytes, tmp_path: Path, name: str) -> Image.Image:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-singlefile", "-f", "1", "-l", "1", str(path), str(tmp_path / name)],
                   check=True)
    return Image.open(tmp_path / f"{name}.pgm")


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Share of pixels differing by more than a third of the grey range."""
    assert a.size == b.size
    diff = ImageChops.difference(a, b).point(lambda v: 255 if v > 85 else 0)
    return diff.histogram()[255] / (a.size[0] * a.size[1])


def test_stamped_equals_full_render(tmp_path: Path) -> None:
    values = {"a": "Mario Rossi", "b": "Impianto centralizzato"}
    compiled = _compile(_page(SLOTS))
    buf = io.BytesIO()
    writer = PdfStreamWriter(buf)
    stamper = Stamper(compiled, _fonts(), writer)
    write_one_up(writer, stamper.stamp(values))
    stamper.close()
    writer.close()
    full = _compile(_page(SLOTS, values)).background
    assert _difference(_raster(buf.getvalue(), tmp_path, "s"), _raster(full, tmp_path, "f")) < 0.002
    # and the comparison can fail: a different value is visible
    buf2 = io.BytesIO()
    writer = PdfStreamWriter(buf2)
    stamper = Stamper(compiled, _fonts(), writer)
    write_one_up(writer, stamper.stamp({**values, "a": "Giuseppe Verdi"}))
    writer.close()
    assert _difference(_raster(buf2.getvalue(), tmp_path, "s2"), _raster(full, tmp_path, "f")) > 0.002


def test_embedded_font_carries_no_timestamp() -> None:
    """fontTools stamps ``head.modified`` with the clock unless told not to: the subset must keep the
    file's own date, or two runs (or two worker processes) would embed different bytes."""
    from fontTools.ttLib import TTFont

    from renderers.stamp import _subset

    path = next(iter(parse_font_faces((TEMPLATES / "_base" / "fonts.css").read_text(), TEMPLATES / "_base").values()))
    data = _subset.__wrapped__(str(path))[0]
    assert TTFont(io.BytesIO(data))["head"].modified == TTFont(path)["head"].modified
    assert _subset.__wrapped__(str(path))[0] == data


def test_background_imported_once_writes_the_bytes_of_a_fresh_import() -> None:
    """``import_background`` records a background page's import once per process and writes it again
    under each writer's object numbers: the file must be the one ``import_pdf_page`` writes, in a writer
    that already holds other objects (numbers shifted) as in a fresh one, and its pages must render."""
    from renderers.pdfstream import import_pdf_page
    from renderers.stamp import import_background

    page2 = SLOTS.replace('data-campo="a"', 'data-campo="c"') + '<p style="page-break-before: always">retro</p>'
    background = _compile(_page(page2)).background

    def written(importa, prima: int) -> bytes:
        buf = io.BytesIO()
        w = PdfStreamWriter(buf, title="t", file_id=b"0" * 16)
        for _ in range(prima):
            w.add_object(b"<< /Altro true >>")
        for i in range(2):
            importa(w, f"B{i}", background, i)
            w.add_page(283.46, 170.08, [], b"", [f"B{i}"])
        w.close()
        return buf.getvalue()

    for prima in (0, 3):
        attesa = written(import_pdf_page, prima)
        assert written(import_background, prima) == attesa
        assert written(import_background, prima) == attesa  # from the recorded import
    import pikepdf

    with pikepdf.open(io.BytesIO(written(import_background, 3))) as pdf:
        assert len(pdf.pages) == 2 and "/B1" in pdf.pages[1].Resources.XObject


def test_background_import_kept_in_the_cache_folder_writes_the_same_bytes(tmp_path: Path, monkeypatch) -> None:
    """A new process reads the recorded import from the cache folder: the same file as a fresh
    import; a cache file that is damaged is not used, and is written again."""
    from renderers import stamp_fonts, stamp_sfondi
    from renderers.pdfstream import import_pdf_page

    background = _compile(_page(SLOTS)).background

    def written(importa) -> bytes:
        buf = io.BytesIO()
        w = PdfStreamWriter(buf, title="t", file_id=b"0" * 16)
        w.add_object(b"<< /Altro true >>")
        importa(w, "B0", background, 0)
        w.add_page(283.46, 170.08, [], b"", ["B0"])
        w.close()
        return buf.getvalue()

    attesa = written(import_pdf_page)
    stamp_fonts.cartella_sottoinsiemi(tmp_path)
    try:
        registra = stamp_sfondi._record
        for passo in ("scritto", "letto", "danneggiato", "riscritto"):
            stamp_sfondi._IMPORTS.clear()  # as in a new process

            def vietato(*_a):
                raise AssertionError("recorded again instead of read from the cache")

            monkeypatch.setattr(stamp_sfondi, "_record", vietato if passo in ("letto", "riscritto") else registra)
            assert written(stamp_sfondi.import_background) == attesa, passo
            (file,) = tmp_path.glob("sfondo-*.bin")
            if passo == "letto":
                dati = bytearray(file.read_bytes())
                dati[-5] ^= 0xFF
                file.write_bytes(bytes(dati))
        assert file.read_bytes()[32:] == __import__("marshal").dumps(registra(background, 0))
    finally:
        stamp_fonts.cartella_sottoinsiemi(None)
        stamp_sfondi._IMPORTS.clear()
