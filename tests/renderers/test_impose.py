"""renderers/impose.py: label cells where the stock has them (within 0.1 mm), start, offsets, test mode."""

from __future__ import annotations

import io

import pikepdf
import pytest

from renderers.errors import RenderError
from renderers.impose import MM, PROFILI, Imposer, SheetProfile, get_profile
from renderers.pdfstream import PdfStreamWriter
from renderers.stamp import Item


def _item(profile: SheetProfile) -> Item:
    return Item(profile.label_width * MM, profile.label_height * MM, "", b"0 0 1 1 re f\n", frozenset())


def _impose(n: int, profile: SheetProfile, **kw) -> tuple[bytes, Imposer]:
    buf = io.BytesIO()
    writer = PdfStreamWriter(buf)
    imposer = Imposer(writer, profile, registra=True, **kw)
    for _ in range(n):
        imposer.place(_item(profile))
    imposer.finish()
    writer.close()
    return buf.getvalue(), imposer


def cells_mm(pdf_bytes: bytes, label_height: float = 55) -> list[list[tuple[float, float]]]:
    """Top-left corner (mm from the sheet's top-left) of every placed label, read from the content streams."""
    out = []
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            height = float(page.MediaBox[3])
            cells = []
            depth = 0
            for operands, op in pikepdf.parse_content_stream(page):
                if op == pikepdf.Operator("q"):
                    depth += 1
                elif op == pikepdf.Operator("Q"):
                    depth -= 1
                elif op == pikepdf.Operator("cm") and depth == 1 and [float(v) for v in operands[:4]] == [1, 0, 0, 1]:
                    cells.append((float(operands[4]) / MM, (height - float(operands[5])) / MM - label_height))
            out.append(cells)
    return out


def test_default_profile_is_a4_2x5_of_84x55_centred() -> None:
    p = get_profile("A4-2x5")
    assert (p.page_width, p.page_height, p.columns, p.rows, p.label_width, p.label_height) == (210, 297, 2, 5, 84, 55)
    right_margin = p.page_width - p.margin_left - 2 * p.label_width - p.gap_x
    bottom_margin = p.page_height - p.margin_top - 5 * p.label_height - 4 * p.gap_y
    assert right_margin == pytest.approx(p.margin_left) and bottom_margin == pytest.approx(p.margin_top)


@pytest.mark.parametrize("code", sorted(PROFILI))
def test_every_cell_at_its_nominal_position(code: str) -> None:
    p = PROFILI[code]
    pdf, _ = _impose(p.per_sheet, p)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 1
        box = [float(v) for v in doc.pages[0].MediaBox]
        assert box[2] / MM == pytest.approx(p.page_width, abs=0.1) and box[3] / MM == pytest.approx(p.page_height, abs=0.1)
    found = cells_mm(pdf, p.label_height)[0]
    assert len(found) == p.per_sheet
    for index, (x, y) in enumerate(found):
        col, row = index % p.columns, index // p.columns
        assert x == pytest.approx(p.margin_left + col * (p.label_width + p.gap_x), abs=0.1)
        assert y == pytest.approx(p.margin_top + row * (p.label_height + p.gap_y), abs=0.1)


def test_a4_2x5_cells_in_mm() -> None:
    pdf, _ = _impose(10, get_profile("A4-2x5"))
    expected = [(16, 11), (110, 11), (16, 66), (110, 66), (16, 121), (110, 121), (16, 176), (110, 176), (16, 231), (110, 231)]
    for (x, y), (ex, ey) in zip(cells_mm(pdf)[0], expected, strict=True):
        assert abs(x - ex) < 0.1 and abs(y - ey) < 0.1


def test_start_position_skips_used_labels_on_first_sheet_only() -> None:
    p = get_profile("A4-2x5")
    pdf, imposer = _impose(12, p, inizio=4)
    sheets = cells_mm(pdf)
    assert [len(s) for s in sheets] == [7, 5]
    assert sheets[0][0] == pytest.approx((110, 66), abs=0.1)  # label 4 = row 2, right column
    assert sheets[1][0] == pytest.approx((16, 11), abs=0.1)
    assert [(c.sheet, c.cell) for c in imposer.positions[:2]] == [(1, 3), (1, 4)]


def test_offsets_move_every_label() -> None:
    p = get_profile("A4-2x5")
    base = cells_mm(_impose(10, p)[0])[0]
    moved = cells_mm(_impose(10, p, offset_x=1.5, offset_y=-0.7)[0])[0]
    for (x0, y0), (x1, y1) in zip(base, moved, strict=True):
        assert x1 - x0 == pytest.approx(1.5, abs=0.01) and y1 - y0 == pytest.approx(-0.7, abs=0.01)


@pytest.mark.parametrize("inizio", [0, 11])
def test_start_outside_sheet_refused(inizio: int) -> None:
    with pytest.raises(RenderError, match="posizione iniziale"):
        _impose(1, get_profile("A4-2x5"), inizio=inizio)


def test_item_of_wrong_size_refused() -> None:
    imposer = Imposer(PdfStreamWriter(io.BytesIO()), get_profile("A4-2x5"))
    with pytest.raises(RenderError, match="84 × 55"):
        imposer.place(_item(get_profile("A4-1x7")))


def test_profile_that_does_not_fit_refused() -> None:
    with pytest.raises(RenderError):
        SheetProfile("X", "x", 210, 297, 3, 5, 84, 55, margin_left=0, margin_top=0)


def test_print_scaling_none_and_test_marks() -> None:
    pdf, _ = _impose(3, get_profile("A4-2x5"), prova=True)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert str(doc.Root.ViewerPreferences.PrintScaling) == "/None"
        content = doc.pages[0].Contents.read_bytes()
    # 10 outlines (all cells, also empty ones) + crop marks
    assert content.count(b" re\n") == 10
    # crop marks: 4 column edges (16, 100, 110, 194 mm) above and below, 6 row edges left and right
    assert content.count(b" l\n") == 4 * 2 + 6 * 2


def test_unknown_profile() -> None:
    with pytest.raises(RenderError, match="Foglio sconosciuto"):
        get_profile("A5-9x9")
