"""Payload → module matrix / bar widths → PDF vector operators (QR and Code128).

Codes are never drawn from SVG strings or bitmaps: a QR symbol becomes its module
matrix, each row's runs of dark modules become filled rectangles in *module units*
under one ``cm`` transform (integer operands: small, exact and fast to format); a
Code128 symbol becomes its list of bar widths drawn the same way.

* QR: encoded by zint (``zint-bindings``, C, ~50 µs per code here; zxing-cpp took ~90 µs,
  segno with fixed version and mask ~420 µs, see ``docs/parts/stampa-variabile.md``).
  Error level and version are fixed by the caller so every code of a batch has the same
  module count and fits its slot identically; the mask is chosen by the encoder's
  penalty rule (the penalty-optimal mask scans best). zint hands back the matrix with
  8 modules per byte; the rectangles of each (row, byte) pair are looked up in a table
  of ready-made operator fragments (:func:`qr_body`), so drawing a code costs a few µs
  instead of ~100 µs of per-run formatting. A run crossing a byte boundary becomes two
  abutting rectangles of the same path (one fill: no seam).
* Code128: our own encoder (pure Python, a few µs): code set C for runs of 4 or
  more digits (and for an all-digit payload of even length), code set B otherwise,
  with the mandatory mod-103 check symbol; bars are looked up per (symbol position,
  symbol value) in a fragment table as well.

Quiet zones are part of the requested geometry: :func:`qr_ops` and
:func:`code128_ops` reserve the 4-module (QR) or 10-module (Code128) quiet zone on
each side of the box they are given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import zint

from renderers.errors import RenderError

__all__ = [
    "QR_QUIET",
    "CODE128_QUIET",
    "QrMatrix",
    "qr_matrix",
    "qr_runs",
    "qr_body",
    "code128_body",
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


class QrMatrix:
    """A QR symbol without quiet zone. Two views of the same modules, each computed on demand:
    ``packed`` (zint's rows, 8 modules per byte, least significant bit first, ``stride`` bytes
    per row) and ``pixels`` (one byte per module, row by row: 0 dark, 255 light)."""

    __slots__ = ("size", "_pixels", "_packed", "stride")

    def __init__(self, size: int, pixels: bytes | None = None, *, packed: bytes | None = None,
                 stride: int = 0) -> None:
        if pixels is None and packed is None:
            raise ValueError("QrMatrix needs pixels or packed rows")
        self.size = size
        """Modules per side (21 for version 1, +4 per version)."""
        self._pixels = pixels
        self._packed = packed
        self.stride = stride or (size + 7) // 8

    @property
    def pixels(self) -> bytes:
        """``size * size`` bytes: 0 for a dark module, 255 for a light one."""
        if self._pixels is None:
            n, packed, stride = self.size, self._packed, self.stride
            self._pixels = bytes(0 if packed[y * stride + (x >> 3)] >> (x & 7) & 1 else 255
                                 for y in range(n) for x in range(n))
        return self._pixels

    @property
    def packed(self) -> bytes:
        """Rows of ``stride`` bytes, bit ``x % 8`` of byte ``x // 8`` set for a dark module."""
        if self._packed is None:
            n, pixels = self.size, self._pixels
            out = bytearray(n * self.stride)
            for y in range(n):
                for x in range(n):
                    if pixels[y * n + x] == 0:
                        out[y * self.stride + (x >> 3)] |= 1 << (x & 7)
            self._packed = bytes(out)
        return self._packed

    def dark(self, x: int, y: int) -> bool:
        """Whether the module at column ``x``, row ``y`` (from the top) is dark."""
        return self.pixels[y * self.size + x] == 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, QrMatrix) and (self.size, self.pixels) == (other.size, other.pixels)

    def __hash__(self) -> int:
        return hash((self.size, self.pixels))

    def __repr__(self) -> str:
        return f"QrMatrix(size={self.size})"


_ZINT_EC = {"L": 1, "M": 2, "Q": 3, "H": 4}


def qr_matrix(data: str, *, error: str = "M", version: int | None = None) -> QrMatrix:
    """Encode ``data`` as a QR code with a fixed error level (and version when given)."""
    if error not in _EC_LEVELS:
        raise BarcodeError(f"Livello di correzione QR non valido: {error}.")
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.QRCODE
    symbol.input_mode = zint.InputMode.UNICODE
    symbol.option_1 = _ZINT_EC[error]
    if version is not None:
        symbol.option_2 = version
    try:
        symbol.encode(data)
    except Exception as exc:  # zint raises RuntimeError("Error 5xx: Input too long…")
        raise BarcodeError("Il contenuto è troppo lungo per il codice QR richiesto.") from exc
    n = symbol.rows
    if n != symbol.width or (version is not None and n != 17 + 4 * version):
        raise BarcodeError("Il contenuto è troppo lungo per il codice QR richiesto.")
    data_view = memoryview(symbol.encoded_data)
    return QrMatrix(n, packed=bytes(data_view[:n]), stride=data_view.shape[1])


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


class _Fragments(dict):
    """(row, byte of the row, byte value) → operators of the dark runs in those 8 modules."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __missing__(self, key: int) -> bytes:
        cell, value = divmod(key, 256)
        y, col = divmod(cell, (self.size + 7) // 8)
        parts, x = [], 0
        while x < 8:
            if value >> x & 1:
                start = x
                while x < 8 and value >> x & 1:
                    x += 1
                left = col * 8 + start
                right = min(col * 8 + x, self.size)
                if right > left:
                    parts.append(b"%d %d %d 1 re\n" % (left, y, right - left))
            else:
                x += 1
        fragment = self[key] = b"".join(parts)
        return fragment


@lru_cache(maxsize=16)
def _qr_plan(size: int, stride: int) -> tuple[_Fragments, tuple[tuple[int, int], ...]]:
    """Fragment table of a symbol size and, per (row, byte), its table base and byte offset."""
    per_row = (size + 7) // 8
    plan = tuple(((y * per_row + b) * 256, y * stride + b) for y in range(size) for b in range(per_row))
    return _Fragments(size), plan


def qr_body(matrix: QrMatrix) -> bytes:
    """Rectangles of every dark module run in module units (x right, y down), then ``f``."""
    table, plan = _qr_plan(matrix.size, matrix.stride)
    packed = matrix.packed
    return b"".join([table[base + packed[at]] for base, at in plan]) + b"f Q\n"


def qr_head(size: int, x: float, y: float, side: float) -> bytes:
    """The ``cm`` that maps module units of a ``size``-module symbol into the square (x, y, side)."""
    module = side / (size + 2 * QR_QUIET)
    ox = x + QR_QUIET * module
    oy = y + QR_QUIET * module + size * module  # top edge of the symbol
    return b"q %.4f 0 0 %.4f %.3f %.3f cm\n" % (module, -module, ox, oy)


def qr_ops(matrix: QrMatrix, x: float, y: float, side: float) -> bytes:
    """PDF operators drawing ``matrix`` in the square (x, y, side) in points, y upwards.

    ``side`` is the whole square *including* the 4-module quiet zone, which is left
    unpainted (the label is white): the symbol itself takes ``side * n / (n + 8)``.
    """
    return qr_head(matrix.size, x, y, side) + qr_body(matrix)


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


_C128_TOKENS = re.compile(r"[0-9]{4,}|[0-9]{1,3}|[^0-9]+")


def code128_values(data: str) -> list[int]:
    """Symbol values (start … check, without stop): set C for digit runs, set B otherwise."""
    if not data:
        raise BarcodeError("Il codice a barre non può essere vuoto.")
    if not (data.isascii() and data.isprintable()):
        raise BarcodeError("Il codice a barre accetta solo caratteri ASCII stampabili.")
    values: list[int] = []
    mode = ""
    for token in _C128_TOKENS.findall(data):
        if len(token) >= 4 and token.isdigit():
            if len(token) % 2 and values and mode != "C":  # odd run mid-data: one digit in B, the rest in C
                if mode != "B":
                    values.append(_CODE_B)
                    mode = "B"
                values.append(ord(token[0]) - 32)
                token = token[1:]
            if mode != "C":
                values.append(_CODE_C if values else _START_C)
                mode = "C"
            pairs = len(token) // 2
            values.extend([int(token[k:k + 2]) for k in range(0, 2 * pairs, 2)])
            token = token[2 * pairs:]
            if not token:
                continue
        if mode != "B":
            values.append(_CODE_B if values else _START_B)
            mode = "B"
        values.extend([c - 32 for c in token.encode("ascii")])
    check = values[0]
    for k in range(1, len(values)):
        check += k * values[k]
    values.append(check % 103)
    return values


def code128_widths(data: str) -> tuple[int, ...]:
    """Alternating bar/space widths in modules, starting with a bar (quiet zones excluded)."""
    return tuple(int(c) for v in code128_values(data) + [_STOP] for c in _PATTERNS[v])


def code128_modules(data: str) -> int:
    """Total width of the symbol in modules (quiet zones excluded)."""
    return 11 * len(code128_values(data)) + 13  # every symbol 11 modules, stop 13


def _code128_bars(data: str) -> tuple[tuple[int, int], ...]:
    return tuple(bars_from_widths(code128_widths(data)))


class _SymbolBars(dict):
    """(symbol position, symbol value) → operators of its bars (every symbol is 11 modules wide)."""

    def __missing__(self, key: int) -> bytes:
        position, value = divmod(key, 128)
        x, parts = 11 * position, []
        for k, w in enumerate(_PATTERNS[value]):
            if k % 2 == 0:
                parts.append(b"%d 0 %s 1 re\n" % (x, w.encode()))
            x += int(w)
        fragment = self[key] = b"".join(parts)
        return fragment


_BARS = _SymbolBars()


def code128_body(data: str) -> tuple[int, bytes]:
    """Width of the symbol in modules (quiet zones excluded) and its bars in module units, then ``f``."""
    values = code128_values(data)
    values.append(_STOP)
    bars = _BARS
    return 11 * len(values) + 2, b"".join([bars[128 * k + v] for k, v in enumerate(values)]) + b"f Q\n"


def code128_head(modules: int, x: float, y: float, width: float, height: float) -> bytes:
    """The ``cm`` mapping module units of a ``modules``-wide symbol into the box, quiet zones reserved."""
    module = width / (modules + 2 * CODE128_QUIET)
    return b"q %.4f 0 0 %.3f %.3f %.3f cm\n" % (module, height, x + CODE128_QUIET * module, y)


def code128_ops(data: str, x: float, y: float, width: float, height: float) -> bytes:
    """PDF operators drawing ``data`` as Code128 centred in the box, quiet zones reserved.

    The module is ``width / (modules + 20)``; the box must be at least that wide.
    """
    modules, body = code128_body(data)
    return code128_head(modules, x, y, width, height) + body


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
