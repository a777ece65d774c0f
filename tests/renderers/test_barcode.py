"""renderers/barcode.py: encoders checked by an independent decoder (zxing-cpp reads what we draw)."""

from __future__ import annotations

import io

import pikepdf
import pytest
import zxingcpp
from PIL import Image

from renderers import barcode
from renderers.pdfstream import PdfStreamWriter, Placement


def _raster(ops: bytes, width: float, height: float, tmp_path) -> Image.Image:
    import subprocess

    buf = io.BytesIO()
    w = PdfStreamWriter(buf)
    w.add_page(width, height, [Placement(0, 0, "", ops)])
    w.close()
    pdf = tmp_path / "c.pdf"
    pdf.write_bytes(buf.getvalue())
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(pdf), str(tmp_path / "c")], check=True)
    return Image.open(tmp_path / "c.png").convert("L")


@pytest.mark.parametrize("data", ["015146IN0001234", "12345", "A1234567B", "0123456789", "CR03626F4000099*", "x"])
def test_code128_decodes_to_payload(data: str, tmp_path) -> None:
    ops = barcode.code128_ops(data, 0, 0, 200, 40)
    image = _raster(ops, 200, 40, tmp_path)
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)
    assert [r.text for r in found] == [data]


def test_code128_uses_code_set_c_for_digit_runs() -> None:
    # start C, 3 digit pairs, code B, I, N, '0' in B, code C, 3 pairs, check
    values = barcode.code128_values("015146IN0001234")
    assert values[0] == 105 and values[1:4] == [1, 51, 46] and values[4] == 100
    assert values[-5:-1] == [99, 0, 12, 34]
    assert len(values) == 13
    # all-B encoding of the same text would need 1 start + 15 + 1 check symbols
    assert barcode.code128_modules("015146IN0001234") == 13 * 11 + 13


def test_code128_rejects_non_ascii() -> None:
    with pytest.raises(barcode.BarcodeError):
        barcode.code128_values("città")


@pytest.mark.parametrize("data,version", [("019036IN0000123", 1), ("https://curit.example.it/t/019036IN0000123", 3)])
def test_qr_fixed_version_and_decode(data: str, version: int, tmp_path) -> None:
    matrix = barcode.qr_matrix(data, error="M", version=version)
    assert matrix.size == 17 + 4 * version
    ops = barcode.qr_ops(matrix, 0, 0, 100)
    found = zxingcpp.read_barcodes(_raster(ops, 100, 100, tmp_path), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in found] == [data]
    assert found[0].ec_level == "M"


def test_qr_quiet_zone_is_left_blank() -> None:
    matrix = barcode.qr_matrix("019036IN0000123", version=1)
    ops = barcode.qr_ops(matrix, 10, 20, 29)  # 29 modules of 1 pt: symbol from 14 to 35
    head = ops.split(b"\n", 1)[0]
    assert head == b"q 1.0000 0 0 -1.0000 14.000 45.000 cm"
    runs = barcode.qr_runs(matrix)
    assert min(x for x, _, _ in runs) == 0 and max(x + n for x, _, n in runs) == 21


def test_qr_too_long_for_version() -> None:
    with pytest.raises(barcode.BarcodeError):
        barcode.qr_matrix("X" * 60, version=1)


def test_qr_runs_cover_exactly_the_dark_modules() -> None:
    matrix = barcode.qr_matrix("CR03626G1001234J", version=1)
    painted = {(x + k, y) for x, y, n in barcode.qr_runs(matrix) for k in range(n)}
    dark = {(x, y) for y in range(matrix.size) for x in range(matrix.size) if matrix.dark(x, y)}
    assert painted == dark


def test_vector_output_has_no_images(tmp_path) -> None:
    buf = io.BytesIO()
    w = PdfStreamWriter(buf)
    w.add_page(100, 100, [Placement(0, 0, "", barcode.qr_ops(barcode.qr_matrix("A1"), 0, 0, 100))])
    w.close()
    with pikepdf.open(io.BytesIO(buf.getvalue())) as pdf:
        assert b" re" in pdf.pages[0].Contents.read_bytes()
        assert "/XObject" not in pdf.pages[0].Resources


@pytest.mark.parametrize("data,version", [("019036IN0000123", 1), ("CR00026G10000013", None),
                                          ("https://curit.example.it/targa/019036IN0000123", None)])
def test_qr_body_paints_exactly_the_dark_modules(data: str, version: int | None) -> None:
    matrix = barcode.qr_matrix(data, version=version)
    painted: list[tuple[int, int]] = []
    ops = barcode.qr_body(matrix)
    assert ops.endswith(b"f Q\n")
    for line in ops.splitlines()[:-1]:
        x, y, n, h, op = line.split()
        assert (h, op) == (b"1", b"re")
        painted += [(int(x) + k, int(y)) for k in range(int(n))]
    dark = [(x, y) for y in range(matrix.size) for x in range(matrix.size) if matrix.dark(x, y)]
    assert sorted(painted) == sorted(dark)  # no module painted twice, none missed
    # a run crossing a byte boundary is split there and nowhere else
    assert len(ops.splitlines()) - 1 <= len(barcode.qr_runs(matrix)) + matrix.size * (matrix.size // 8)


def test_qr_packed_and_pixel_views_agree() -> None:
    matrix = barcode.qr_matrix("019036IN0000123", version=1)
    from_pixels = barcode.QrMatrix(matrix.size, matrix.pixels)
    round_trip = barcode.QrMatrix(matrix.size, packed=from_pixels.packed)
    assert round_trip.pixels == matrix.pixels and from_pixels == matrix
    assert matrix.pixels.count(0) == sum(bin(b).count("1") for b in from_pixels.packed)


def test_code128_body_matches_the_bar_widths() -> None:
    for data in ("015146IN0001234", "CR03626F4000099*", "12345"):
        modules, ops = barcode.code128_body(data)
        assert modules == barcode.code128_modules(data)
        bars = [tuple(int(v) for v in line.split()[:3:2]) for line in ops.splitlines()[:-1]]
        assert bars == barcode.bars_from_widths(barcode.code128_widths(data))
