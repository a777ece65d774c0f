"""Payload → module matrix / bar widths → PDF vector operators (QR and Code128).

Codes are never drawn from SVG strings or bitmaps: a QR symbol becomes its module
matrix, each row's runs of dark modules become filled rectangles in *module units*
under one ``cm`` transform (integer operands: small, exact and fast to format); a
Code128 symbol becomes its list of bar widths drawn the same way.

* QR: encoded by zxing-cpp (C++, ~80 µs per code here; segno with fixed version and
  mask took ~420 µs, see ``bench/bench_targhe.py``). Error level and version are
  fixed by the caller so every code of a batch has the same module count and fits
  its slot identically; the mask is chosen by the encoder's penalty rule (zxing-cpp
  does not let a caller force it, and the penalty-optimal mask scans best).
* Code128: our own encoder (pure Python, a few µs): code set C for runs of 4 or
  more digits (and for an all-digit payload of even length), code set B otherwise,
  with the mandatory mod-103 check symbol.

Quiet zones are part of the requested geometry: :func:`qr_geometry` and
:func:`code128_geometry` say how large a module may be for a box once the 4-module
(QR) or 10-module (Code128) quiet zone is reserved on each side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
import re

import zxingcpp

from renderers.errors import RenderError

__all__ = [
    "QR_QUIET",
    "CODE128_QUIET",
    "QrMatrix",
    "qr_matrix",
    "qr_runs",
    "code128_values",
    "code128_widths",
    "code128_modules",
    "qr_ops",
    "code128_ops",
    "qr_version_for",
    "BarcodeError",
    "qr_svg",
    "code128_svg",
]

QR_QUIET = 4
"""Quiet zone of a QR code in modules on each side (ISO/IEC 18004)."""
CODE128_QUIET = 10
"""Quiet zone of a Code128 symbol in modules on each side (ISO/IEC 15417)."""

_EC_LEVELS = ("L", "M", "Q", "H")
_DARK_RUN = re.compile(rb"\x00+")


class BarcodeError(RenderError):
    """A payload cannot be encoded in the requested symbol."""

    default_message = "Impossibile generare il codice a barre."


@dataclass(frozen=True)
class QrMatrix:
    """A QR symbol without quiet zone, one byte per module, row by row (0 = dark)."""

    size: int
    """Modules per side (21 for version 1, +4 per version)."""
    pixels: bytes
    """``size * size`` bytes: 0 for a dark module, 255 for a light one."""

    def dark(self, x: int, y: int) -> bool:
        """Whether the module at column ``x``, row ``y`` (from the top) is dark."""
        return self.pixels[y * self.size + x] == 0


def qr_matrix(data: str, *, error: str = "M", version: int | None = None) -> QrMatrix:
    """Encode ``data`` as a QR code with a fixed error level (and version when given)."""
    if error not in _EC_LEVELS:
        raise BarcodeError(f"Livello di correzione QR non valido: {error}.")
    kwargs: dict[str, object] = {"ec_level": error}
    if version is not None:
        kwargs["version"] = version
    try:
        symbol = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, **kwargs)
        image = symbol.to_image(scale=1, add_quiet_zones=False)
    except Exception as exc:  # zxing-cpp raises plain exceptions for too-long payloads
        raise BarcodeError("Il contenuto è troppo lungo per il codice QR richiesto.") from exc
    n, width = image.shape
    pixels = bytes(memoryview(image))
    if n != width or (version is not None and n != 17 + 4 * version):
        raise BarcodeError("Il contenuto è troppo lungo per il codice QR richiesto.")
    return QrMatrix(n, pixels)


def qr_version_for(data: str, *, error: str = "M") -> int:
    """Smallest version holding ``data`` (used to fix one version for a whole batch)."""
    return (qr_matrix(data, error=error).size - 17) // 4


def qr_runs(matrix: QrMatrix) -> list[tuple[int, int, int]]:
    """Dark runs as ``(x, y, length)``, y counted from the top row."""
    n, pixels = matrix.size, matrix.pixels
    return [
        (m.start() - y * n, y, m.end() - m.start())
        for y in range(n)
        for m in _DARK_RUN.finditer(pixels, y * n, y * n + n)
    ]


def qr_ops(matrix: QrMatrix, x: float, y: float, side: float) -> bytes:
    """PDF operators drawing ``matrix`` in the square (x, y, side) in points, y upwards.

    ``side`` is the whole square *including* the 4-module quiet zone, which is left
    unpainted (the label is white): the symbol itself takes ``side * n / (n + 8)``.
    """
    n = matrix.size
    module = side / (n + 2 * QR_QUIET)
    ox = x + QR_QUIET * module
    oy = y + QR_QUIET * module + n * module  # top edge of the symbol
    parts = [f"q {module:.4f} 0 0 {-module:.4f} {ox:.3f} {oy:.3f} cm\n".encode()]
    parts.append(" ".join(f"{rx} {ry} {ln} 1 re" for rx, ry, ln in qr_runs(matrix)).encode())
    parts.append(b"\nf Q\n")
    return b"".join(parts)


# --- Code128 -----------------------------------------------------------------------------

_PATTERNS = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 "
    "122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 "
    "321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 "
    "211313 231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 231131 213113 "
    "213311 213131 311123 311321 331121 312113 312311 332111 314111 221411 431111 111224 111422 "
    "121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 241211 221114 413111 "
    "241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 214121 "
    "412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 "
    "211214 211232 2331112"
).split()
_START_B, _START_C, _CODE_B, _CODE_C, _STOP = 104, 105, 100, 99, 106


def _digit_run(data: str, i: int) -> int:
    j = i
    while j < len(data) and data[j].isdigit() and data[j].isascii():
        j += 1
    return j - i


def code128_values(data: str) -> list[int]:
    """Symbol values (start … check, without stop): set C for digit runs, set B otherwise."""
    if not data:
        raise BarcodeError("Il codice a barre non può essere vuoto.")
    if any(not (32 <= ord(c) <= 126) for c in data):
        raise BarcodeError("Il codice a barre accetta solo caratteri ASCII stampabili.")
    values: list[int] = []
    mode = ""

    def switch(to: str) -> None:
        nonlocal mode
        if mode != to:
            if not values:
                values.append(_START_C if to == "C" else _START_B)
            else:
                values.append(_CODE_C if to == "C" else _CODE_B)
            mode = to

    i = 0
    while i < len(data):
        run = _digit_run(data, i)
        if run >= 4:
            if run % 2 and values and mode != "C":  # odd run mid-data: one digit in B, the rest in C
                switch("B")
                values.append(ord(data[i]) - 32)
                i, run = i + 1, run - 1
            switch("C")
            pairs = run // 2
            values.extend(int(data[i + 2 * k: i + 2 * k + 2]) for k in range(pairs))
            i += 2 * pairs
            continue
        switch("B")
        values.append(ord(data[i]) - 32)
        i += 1
    check = (values[0] + sum(k * v for k, v in enumerate(values[1:], start=1))) % 103
    values.append(check)
    return values


def code128_widths(data: str) -> tuple[int, ...]:
    """Alternating bar/space widths in modules, starting with a bar (quiet zones excluded)."""
    return tuple(int(c) for v in code128_values(data) + [_STOP] for c in _PATTERNS[v])


def code128_modules(data: str) -> int:
    """Total width of the symbol in modules (quiet zones excluded)."""
    return sum(code128_widths(data))


@lru_cache(maxsize=4096)
def _code128_bars(data: str) -> tuple[tuple[int, int], ...]:
    bars = []
    x = 0
    for k, w in enumerate(code128_widths(data)):
        if k % 2 == 0:
            bars.append((x, w))
        x += w
    return tuple(bars)


def code128_ops(data: str, x: float, y: float, width: float, height: float) -> bytes:
    """PDF operators drawing ``data`` as Code128 centred in the box, quiet zones reserved.

    The module is ``width / (modules + 20)``; the box must be at least that wide.
    """
    total = code128_modules(data) + 2 * CODE128_QUIET
    module = width / total
    ox = x + CODE128_QUIET * module
    head = f"q {module:.4f} 0 0 {height:.3f} {ox:.3f} {y:.3f} cm\n".encode()
    body = " ".join(f"{bx} 0 {bw} 1 re" for bx, bw in _code128_bars(data)).encode()
    return head + body + b"\nf Q\n"


def bars_from_widths(widths: Sequence[int]) -> list[tuple[int, int]]:
    """(x, width) of each bar from alternating widths (helper for tests and previews)."""
    out, x = [], 0
    for k, w in enumerate(widths):
        if k % 2 == 0:
            out.append((x, w))
        x += w
    return out


# --- markup for the single-document WeasyPrint path ------------------------------------------

def qr_svg(matrix: QrMatrix) -> str:
    """Inline ``<svg>`` of the symbol with its quiet zone, for a page laid out by WeasyPrint
    (``service.produce``); the stamp engine never uses it and draws :func:`qr_ops` instead."""
    n = matrix.size + 2 * QR_QUIET
    d = "".join(f"M{x + QR_QUIET} {y + QR_QUIET}h{ln}v1h-{ln}z" for x, y, ln in qr_runs(matrix))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="100%" height="100%" '
            f'preserveAspectRatio="xMidYMid meet" shape-rendering="crispEdges"><path d="{d}"/></svg>')


def code128_svg(data: str) -> str:
    """Inline ``<svg>`` of a Code128 symbol with quiet zones (WeasyPrint path, see :func:`qr_svg`)."""
    total = code128_modules(data) + 2 * CODE128_QUIET
    d = "".join(f"M{bx + CODE128_QUIET} 0h{bw}v1h-{bw}z" for bx, bw in _code128_bars(data))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} 1" width="100%" height="100%" '
            f'preserveAspectRatio="none" shape-rendering="crispEdges"><path d="{d}"/></svg>')
