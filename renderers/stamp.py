"""Template HTML (slots empty) → compiled template; record values → stamped items.

Variable-data printing in two steps:

1. **Compile once** (:func:`compile_template`, ``renderers.stamp_layout``): WeasyPrint
   lays out the template with every variable slot empty. Slots are elements carrying ``data-campo="<key>"``
   (and optionally ``data-slot="text|qr|code128|check|strike"``, ``data-righe`` = max
   lines, ``data-min-pt`` = minimum font size). Their content boxes, fonts, sizes,
   alignment and colours are read from WeasyPrint's layout tree (internal attributes:
   WeasyPrint is pinned to 70.0). The laid-out pages become the reusable backgrounds.
   The result is cached on disk under a caller-given directory, keyed by a hash of
   the HTML (which carries the template, its configuration and Ente customisation)
   and validated against the content hash of every file WeasyPrint fetched
   (CSS, fonts, logos): change any of them and the template is laid out again.
2. **Stamp many** (:class:`Stamper`, this module; the faces in ``renderers.stamp_fonts``):
   per record, only the variable text, ticks, strike lines and codes are drawn, as PDF operators, into the slots; the page
   shows the shared background XObject under them (see ``renderers.pdfstream``).

Text that does not fit its slot first shrinks (down to ``data-min-pt``, default 70 %
of the laid-out size, never under 5 pt), then wraps on word boundaries to the slot's
max lines at the largest size that fits; if it still does not fit, or uses a
character the slot's font lacks, :class:`NeedsFullRender` is raised and the caller
renders that record through WeasyPrint (:meth:`Stamper.full_item`) and counts it.
Text is never truncated.

Slots must be boxes with a size: ``display: inline-block`` or ``block`` elements.
Kerning and ligatures must be off in text slots (``font-kerning: none;
font-variant-ligatures: none``) so WeasyPrint's text and ours advance alike.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from renderers import barcode
from renderers.errors import RenderError
from renderers.pdfstream import PdfStreamWriter, Placement, Provider, bnum, import_pdf_page, pdf_string
# step 1 and the fonts live in their own modules; their names are re-exported here, where every
# caller has always imported them from (``_slim`` and ``_subset`` by their tests)
from renderers.stamp_fonts import FontFace, FontSet, _subset, parse_font_faces  # noqa: F401
from renderers.stamp_sfondi import import_background
from renderers.stamp_layout import (ENGINE_VERSION, MIN_FONT_PT, PX_TO_PT, SHRINK_FLOOR,  # noqa: F401
                                    SLOT_KINDS, CompiledPage, CompiledTemplate, Slot, _slim, compile_template,
                                    read_slots)

__all__ = [
    "Slot",
    "CompiledPage",
    "CompiledTemplate",
    "compile_template",
    "read_slots",
    "FontFace",
    "FontSet",
    "parse_font_faces",
    "Item",
    "Stamper",
    "NeedsFullRender",
    "SLOT_KINDS",
    "CodeOptions",
    "draw_slots",
    "fit_text",
    "text_ops",
    "import_background",
]


SHRINK_MARGIN_PT = 0.05
"""A value shrunk to its slot's width is this much under the exact fit, as the forms' field macro
sizes it (``templates/_base/campi.html.j2``): the engine and the full layout draw it alike."""


class NeedsFullRender(RenderError):
    """A value cannot be stamped faithfully; the record needs a full WeasyPrint render."""

    default_message = "Il testo non entra nello spazio previsto: serve l'impaginazione completa."

    def __init__(self, campo: str, reason: str) -> None:
        super().__init__(path=(campo,))
        self.campo = campo
        self.reason = reason
        """``"overflow"`` (does not fit at min size and max lines) or ``"glyph"`` (font lacks a character)."""


# --- stamping --------------------------------------------------------------------------------

@dataclass(frozen=True)
class CodeOptions:
    """How codes are encoded in ``qr`` slots (the same for a whole batch)."""

    qr_error: str = "M"
    """QR error correction level, fixed for the batch."""
    qr_version: int | None = None
    """Fixed QR version; None = the smallest that holds the payload."""


@dataclass(frozen=True)
class Item:
    """One stamped template page, ready to be placed on a sheet or a page."""

    width: float
    height: float
    placement_xobject: str
    ops: bytes
    fonts: frozenset[str]
    full_render: bool = False
    """True when this item is a full WeasyPrint render (a fallback)."""

    def at(self, x: float, y: float) -> Placement:
        return Placement(x, y, self.placement_xobject, self.ops)


Value = Any
"""A slot value: text (str/number), bool (check/strike), None (left empty)."""


class Stamper:
    """Draws record values into the slots of a compiled template, bound to one output writer."""

    def __init__(self, compiled: CompiledTemplate, fonts: FontSet, writer: PdfStreamWriter, *,
                 codes: CodeOptions = CodeOptions()) -> None:
        self.compiled = compiled
        self.fonts = fonts
        self.writer = writer
        """A :class:`PdfStreamWriter` or a :class:`~renderers.pdfstream.PageCollector`: resources
        are only *provided* to it and written before the first page that shows them."""
        self.codes = codes
        self._bg_names: dict[int, str] = {}
        self._full = 0
        self._same_as = _same_geometry(compiled.pages)

    def background_name(self, page: int) -> str:
        """Resource name of template page ``page``'s background XObject."""
        name = self._bg_names.get(page)
        if name is None:
            name = self._bg_names[page] = f"B{self.compiled.key[:8]}p{page}"
        return name

    def _background(self, page: int) -> str:
        name = self.background_name(page)
        if not self.writer.has_resource(name):
            self.writer.provide(name, Provider(import_background, (self.compiled.background, page)))
        return name

    def stamp(self, values: Mapping[str, Value], page: int = 0, *, memo: dict[Any, Any] | None = None) -> Item:
        """Overlay of ``values`` on template page ``page``; NeedsFullRender when text won't fit.
        ``memo``: shared by the pages of one record (see :func:`draw_slots`)."""
        cpage = self.compiled.pages[page]
        ops, fonts = draw_slots(cpage.slots, values, self.fonts, self.codes, text=True,
                                memo={} if memo is None else memo)
        for name in fonts:
            self._ensure_font(name)
        return Item(cpage.width, cpage.height, self._background(page), ops, frozenset(fonts))

    def stamp_all(self, values: Mapping[str, Value]) -> list[Item]:
        """One item per template page (a record's pages). Pages whose slots have the same
        geometry (the copies of a plate) share one drawing; a code or a text used in several
        slots of the record is encoded and fitted once."""
        memo: dict[Any, Any] = {}
        drawn: list[tuple[bytes, frozenset[str]]] = []
        items = []
        for page, cpage in enumerate(self.compiled.pages):
            same = self._same_as[page]
            if same < page:
                ops, fonts = drawn[same]
            else:
                ops, used = draw_slots(cpage.slots, values, self.fonts, self.codes, text=True, memo=memo)
                for name in used:
                    self._ensure_font(name)
                fonts = frozenset(used)
            drawn.append((ops, fonts))
            items.append(Item(cpage.width, cpage.height, self._background(page), ops, fonts))
        return items

    def full_items(self, html: str, *, base_dir: Path, asset_roots: Iterable[Path],
                   values: Mapping[str, Value]) -> list[Item]:
        """Fallback: WeasyPrint lays out ``html`` (the record's own pages, text filled in);
        only its non-text slots (codes, ticks, strikes) are drawn by the engine."""
        from weasyprint import HTML  # only for a fallback: see renderers.stamp_layout
        from weasyprint.text.fonts import FontConfiguration

        from renderers.pdf import AssetFetcher

        try:
            document = HTML(string=html, base_url=str(base_dir) + "/",
                            url_fetcher=AssetFetcher(asset_roots)).render(font_config=FontConfiguration())
            pages = read_slots(document)
            pdf = document.write_pdf()
        except Exception as exc:
            raise RenderError("Impaginazione del documento non riuscita.") from exc
        # named after the content, not a counter: the same in every process and chunk
        digest = hashlib.sha256(html.encode()).hexdigest()[:16]
        items, memo = [], {}
        for index, cpage in enumerate(pages):
            self._full += 1
            name = f"R{digest}p{index}"
            if not self.writer.has_resource(name):
                self.writer.provide(name, Provider(import_pdf_page, (pdf, index)))
            ops, _ = draw_slots(cpage.slots, values, self.fonts, self.codes, text=False, memo=memo)
            items.append(Item(cpage.width, cpage.height, name, ops, frozenset(), full_render=True))
        return items

    def _ensure_font(self, resource: str) -> None:
        if not self.writer.has_resource(resource):
            self.writer.provide(resource, self.fonts.provider(resource))

    def close(self) -> None:
        """Nothing left open: backgrounds are read by the writer when it writes them."""


_GEOMETRIES: dict[int, tuple[tuple[CompiledPage, ...], list[int]]] = {}
"""id(pages) → (pages, :func:`_same_geometry`): a stamper per chunk compares a form's thousands of
slots once per process, not once per chunk."""


def _same_geometry(pages: tuple[CompiledPage, ...]) -> list[int]:
    """For each page, the first page whose slots are the same apart from the page number."""
    known = _GEOMETRIES.get(id(pages))
    if known is not None and known[0] is pages:
        return known[1]
    signatures = [tuple(replace(s, page=0) for s in p.slots) + (p.width, p.height) for p in pages]
    same = [signatures.index(sig) for sig in signatures]
    if len(_GEOMETRIES) >= 32:
        _GEOMETRIES.clear()
    _GEOMETRIES[id(pages)] = (pages, same)
    return same


def draw_slots(slots: Iterable[Slot], values: Mapping[str, Value], fonts: FontSet, codes: CodeOptions,
               *, text: bool, memo: dict[Any, Any] | None = None) -> tuple[bytes, set[str]]:
    """PDF operators for every slot that has a value; the font resources the text uses.

    ``memo`` (one dict per record) keeps what does not depend on the slot's position (a code's
    module rectangles, a text's fitted size and lines) for the other slots of the same record."""
    memo = {} if memo is None else memo
    parts: list[bytes] = []
    used: set[str] = set()
    for slot in slots:
        value = values.get(slot.campo)
        if value is None or value is False or value == "":
            continue
        kind = slot.kind
        if kind == "text":
            if text:
                face = fonts.face(slot.font_family, slot.font_weight, slot.font_style)
                parts.append(text_ops(slot, str(value), face, memo))
                used.add(face.resource)
        elif kind == "qr":
            data = str(value)
            key = ("qr", data)
            drawn = memo.get(key)
            if drawn is None:
                matrix = barcode.qr_matrix(data, error=codes.qr_error, version=codes.qr_version)
                drawn = memo[key] = (matrix.size, barcode.qr_body(matrix))
            side = min(slot.width, slot.height)
            parts.append(barcode.qr_head(drawn[0], slot.x + (slot.width - side) / 2,
                                         slot.y + (slot.height - side) / 2, side))
            parts.append(drawn[1])
        elif kind == "code128":
            data = str(value)
            key = ("code128", data)
            drawn = memo.get(key)
            if drawn is None:
                drawn = memo[key] = barcode.code128_body(data)
            parts.append(barcode.code128_head(drawn[0], slot.x, slot.y, slot.width, slot.height))
            parts.append(drawn[1])
        elif kind == "check":
            parts.append(_check_ops(slot))
        elif kind == "strike":
            mid = slot.y + slot.height / 2
            parts.append(b"q 0 g %s %s %s 1.134 re f Q\n" % (bnum(slot.x), bnum(mid - 0.57), bnum(slot.width)))
    return b"".join(parts), used


def _qr(data: str, error: str, version: int | None) -> barcode.QrMatrix:
    return barcode.qr_matrix(data, error=error, version=version)


def _check_ops(slot: Slot) -> bytes:
    x0, y0, x1, y1 = bnum(slot.x), bnum(slot.y), bnum(slot.x + slot.width), bnum(slot.y + slot.height)
    return b"q 0 G 0.99 w 1 J %s %s m %s %s l %s %s m %s %s l S Q\n" % (x0, y0, x1, y1, x0, y1, x1, y0)


def fit_text(slot: Slot, text: str, face: FontFace) -> tuple[float, list[bytes]]:
    """Font size and encoded lines for ``text`` in ``slot`` (shrink, then wrap); never truncates."""
    raw = face.encode(text)
    if raw is None:
        raise NeedsFullRender(slot.campo, "glyph")
    unit = face.width(raw, 1.0)
    size = slot.font_size if unit == 0 or slot.width / unit >= slot.font_size else slot.width / unit - SHRINK_MARGIN_PT
    if size >= slot.min_font_size - 1e-9 and (size == slot.font_size or not slot.wrap_first or slot.max_lines < 2):
        return size, [raw]
    if slot.max_lines > 1:
        words = raw.split(b" ")
        size = slot.font_size
        while size >= slot.min_font_size - 1e-9:
            lines = _wrap(words, face, size, slot.width)
            lh = slot.line_height * size / slot.font_size
            if lines is not None and len(lines) <= slot.max_lines and len(lines) * lh <= slot.height + 0.5:
                return size, lines
            size -= 0.25
    raise NeedsFullRender(slot.campo, "overflow")


def _wrap(words: list[bytes], face: FontFace, size: float, width: float) -> list[bytes] | None:
    lines: list[bytes] = []
    current = b""
    for word in words:
        candidate = current + b" " + word if current else word
        if face.width(candidate, size) <= width + 1e-6:
            current = candidate
            continue
        if not current or face.width(word, size) > width + 1e-6:
            return None
        lines.append(current)
        current = word
    lines.append(current)
    return lines


def text_ops(slot: Slot, text: str, face: FontFace, memo: dict[Any, Any] | None = None) -> bytes:
    """Operators drawing ``text`` in ``slot`` as WeasyPrint would: from the top, half-leading.

    ``memo`` keeps the fitted size and lines for other slots of the same size and font."""
    key = ("text", text, face.resource, slot.width, slot.height, slot.font_size, slot.line_height,
           slot.max_lines, slot.min_font_size)
    fitted = memo.get(key) if memo is not None else None
    if fitted is None:
        size, lines = fit_text(slot, text, face)
        fitted = (size, [(line, face.width(line, size), pdf_string(line)) for line in lines])
        if memo is not None:
            memo[key] = fitted
    size, lines = fitted
    lh = slot.line_height * size / slot.font_size
    # one line sits on the slot's own baseline (its strut: a smaller inline value is baseline-aligned)
    ref = slot.font_size if len(lines) == 1 else size
    half_leading = (slot.line_height * ref / slot.font_size - (face.ascent + face.descent) * ref / 1000.0) / 2
    baseline = slot.y + slot.height - half_leading - face.ascent * ref / 1000.0
    r, g, b = slot.color
    out = [b"BT %s %s %s rg /%s %s Tf\n" % (bnum(r), bnum(g), bnum(b), face.resource.encode(), bnum(size))]
    for k, (_, w, literal) in enumerate(lines):
        if slot.align == "center":
            x = slot.x + (slot.width - w) / 2
        elif slot.align == "right":
            x = slot.x + slot.width - w
        else:
            x = slot.x
        out.append(b"1 0 0 1 %s %s Tm %s Tj\n" % (bnum(x), bnum(baseline - k * lh), literal))
    out.append(b"ET\n")
    return b"".join(out)
