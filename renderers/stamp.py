"""Template HTML (slots empty) → compiled template; record values → stamped items.

Variable-data printing in two steps:

1. **Compile once** (:func:`compile_template`): WeasyPrint lays out the template with
   every variable slot empty. Slots are elements carrying ``data-campo="<key>"``
   (and optionally ``data-slot="text|qr|code128|check|strike"``, ``data-righe`` = max
   lines, ``data-min-pt`` = minimum font size). Their content boxes, fonts, sizes,
   alignment and colours are read from WeasyPrint's layout tree (internal attributes:
   WeasyPrint is pinned to 70.0). The laid-out pages become the reusable backgrounds.
   The result is cached on disk under a caller-given directory, keyed by a hash of
   the HTML (which carries the template, its configuration and Ente customisation)
   and validated against the content hash of every file WeasyPrint fetched
   (CSS, fonts, logos): change any of them and the template is laid out again.
2. **Stamp many** (:class:`Stamper`): per record, only the variable text, ticks,
   strike lines and codes are drawn, as PDF operators, into the slots; the page
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
import io
import json
import logging
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pikepdf
import weasyprint
from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from renderers import barcode
from renderers.errors import RenderError
from renderers.pdf import AssetFetcher
from renderers.pdfstream import PdfStreamWriter, Placement, Provider, bnum, import_pdf_page, num, pdf_string

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
]

ENGINE_VERSION = "stamp-5"
"""Bumped when the cache format or the slot reading changes."""
SLOT_KINDS = ("text", "qr", "code128", "check", "strike")
PX_TO_PT = 0.75
MIN_FONT_PT = 5.0
SHRINK_FLOOR = 0.7
SHRINK_MARGIN_PT = 0.05
"""A value shrunk to its slot's width is this much under the exact fit, as the forms' field macro
sizes it (``templates/_base/campi.html.j2``): the engine and the full layout draw it alike."""
_ENCODING = "cp1252"


class NeedsFullRender(RenderError):
    """A value cannot be stamped faithfully; the record needs a full WeasyPrint render."""

    default_message = "Il testo non entra nello spazio previsto: serve l'impaginazione completa."

    def __init__(self, campo: str, reason: str) -> None:
        super().__init__(path=(campo,))
        self.campo = campo
        self.reason = reason
        """``"overflow"`` (does not fit at min size and max lines) or ``"glyph"`` (font lacks a character)."""


# --- slots -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    """Where and how one variable value is drawn (points, PDF axes: y grows upwards)."""

    campo: str
    """Key of the value (``data-campo``)."""
    kind: str
    """``text`` | ``qr`` | ``code128`` | ``check`` | ``strike``."""
    page: int
    x: float
    """Left edge of the content box."""
    y: float
    """Bottom edge of the content box."""
    width: float
    height: float
    font_family: str = ""
    font_weight: int = 400
    font_style: str = "normal"
    font_size: float = 0.0
    line_height: float = 0.0
    """Line height in points at ``font_size``."""
    align: str = "left"
    max_lines: int = 1
    min_font_size: float = 0.0
    color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    wrap_first: bool = False
    """A text that does not fit on one line wraps at its size before it shrinks (a block of lines,
    as the full layout wraps it), instead of shrinking to one line first."""


@dataclass(frozen=True)
class CompiledPage:
    width: float
    """Page width in points."""
    height: float
    slots: tuple[Slot, ...]
    foglio: str = ""
    """Kind of the sheet this page belongs to (``data-foglio`` of the first such element on it; "" none)."""
    istanza: int = -1
    """Which ``data-foglio`` element that is, counted in document order from 0 (-1: none)."""


@dataclass(frozen=True)
class CompiledTemplate:
    """A laid-out template: pages with their slots, and the background PDF (one page per page)."""

    key: str
    pages: tuple[CompiledPage, ...]
    background: bytes
    """WeasyPrint's PDF of the empty template: the shared static content."""

    def slots(self, campo: str) -> list[Slot]:
        return [s for p in self.pages for s in p.slots if s.campo == campo]


def _walk(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _walk(child)


def _line_height(style: Any, font_size_px: float) -> float:
    value = style["line_height"]
    if value == "normal":
        return font_size_px * 1.2
    if hasattr(value, "unit"):
        return float(value.value) * (font_size_px if value.unit is None else 1.0)
    return float(value) * font_size_px


def _rgb(color: Any) -> tuple[float, float, float]:
    try:
        r, g, b = color.to("srgb").coordinates[:3]
        return (round(float(r), 4), round(float(g), 4), round(float(b), 4))
    except Exception:  # unknown colour object: print in black rather than fail
        return (0.0, 0.0, 0.0)


def read_slots(document: Any) -> tuple[CompiledPage, ...]:
    """Slot boxes of a rendered WeasyPrint ``Document`` (first box of each element), and the sheet
    (``data-foglio`` element) each page belongs to: a document made of sheets of a few kinds (one
    per generator…) is assembled from the pages of each kind's sheet."""
    pages = []
    fogli: dict[int, int] = {}
    for index, page in enumerate(document.pages):
        seen: set[int] = set()
        slots: list[Slot] = []
        foglio, istanza = "", -1
        height_px = page.height
        for box in _walk(page._page_box):
            element = getattr(box, "element", None)
            if istanza < 0 and element is not None and element.get("data-foglio"):
                foglio, istanza = element.get("data-foglio"), fogli.setdefault(id(element), len(fogli))
            if element is None or id(element) in seen or not element.get("data-campo"):
                continue
            if getattr(box, "element_tag", None) != element.tag.rsplit("}", 1)[-1]:
                continue
            seen.add(id(element))
            slots.append(_slot_of(box, element, index, height_px))
        pages.append(CompiledPage(page.width * PX_TO_PT, page.height * PX_TO_PT, tuple(slots), foglio, istanza))
    return tuple(pages)


def _slot_of(box: Any, element: Any, page: int, page_height_px: float) -> Slot:
    campo = element.get("data-campo")
    kind = element.get("data-slot", "text")
    if kind not in SLOT_KINDS:
        raise RenderError("Modello di stampa non valido.") from ValueError(f"slot {campo}: tipo {kind}")
    style = box.style
    x, top = box.content_box_x(), box.content_box_y()
    w, h = box.width, box.height
    if not w or not h:
        raise RenderError("Modello di stampa non valido.") from ValueError(f"slot {campo} senza dimensioni")
    size_px = float(style["font_size"])
    lh_px = _line_height(style, size_px)
    max_lines = int(element.get("data-righe") or max(1, math.floor(h / lh_px + 1e-6)))
    size_pt = size_px * PX_TO_PT
    min_pt = float(element.get("data-min-pt") or max(MIN_FONT_PT, round(size_pt * SHRINK_FLOOR, 2)))
    align = str(style["text_align_all"])
    return Slot(
        campo=campo, kind=kind, page=page,
        x=x * PX_TO_PT, y=(page_height_px - top - h) * PX_TO_PT, width=w * PX_TO_PT, height=h * PX_TO_PT,
        font_family=str(style["font_family"][0]), font_weight=int(style["font_weight"]),
        font_style=str(style["font_style"]), font_size=size_pt, line_height=lh_px * PX_TO_PT,
        align={"start": "left", "end": "right", "justify": "left"}.get(align, align),
        max_lines=max_lines, min_font_size=min(min_pt, size_pt), color=_rgb(style["color"]),
    )


# --- compiling and caching -----------------------------------------------------------------

class _RecordingFetcher(AssetFetcher):
    """The asset fetcher, remembering every local file it served (cache dependencies)."""

    def __init__(self, roots: Iterable[Path]) -> None:
        super().__init__(roots)
        self.files: set[Path] = set()

    def fetch(self, url: str, headers: Any = None):  # noqa: D102 - WeasyPrint API
        response = super().fetch(url, headers)
        if url.startswith("file:"):
            self.files.add(Path(unquote(urlparse(url).path)).resolve())
        return response


_HASHES: dict[tuple[str, int, int, int], str] = {}


def _file_hash(path: Path) -> str:
    """SHA-256 of a file, remembered per process while its inode, size and mtime stay the same
    (fonts are read once per process, not once per template variant)."""
    st = path.stat()
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    digest = _HASHES.get(key)
    if digest is None:
        digest = _HASHES[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def compile_template(html: str, *, base_dir: Path, asset_roots: Iterable[Path],
                     cache_dir: Path | None = None) -> CompiledTemplate:
    """Lay ``html`` out once (slots empty) or load it from ``cache_dir``."""
    key = hashlib.sha256(f"{ENGINE_VERSION}\0{weasyprint.__version__}\0{html}".encode()).hexdigest()[:32]
    entry = cache_dir / key if cache_dir is not None else None
    if entry is not None:
        cached = _load(entry, key)
        if cached is not None:
            return cached
    fetcher = _RecordingFetcher(asset_roots)
    try:
        document = HTML(string=html, base_url=str(base_dir) + "/", url_fetcher=fetcher).render(
            font_config=FontConfiguration())
        pages = read_slots(document)
        background = _slim(document.write_pdf())
    except RenderError:
        raise
    except Exception as exc:
        raise RenderError("Impaginazione del modello di stampa non riuscita.") from exc
    compiled = CompiledTemplate(key, pages, background)
    if entry is not None:
        _store(entry, compiled, {str(p): _file_hash(p) for p in sorted(fetcher.files)})
    return compiled


_NUM = rb"-?(?:\d+\.?\d*|\.\d+)"
_DOT = rb"%s %s m\n(?:(?:%s ){6}c\n){4}h\n" % (_NUM, _NUM, _NUM)
_DOTTED = re.compile(rb"((?:" + _DOT + rb"){2,})W\*?\nn\n(/a1(?:\.0)? gs\n)?(%s %s %s) rg\n(?:%s %s %s %s re\n){2}f\*?\n"
                     % ((_NUM,) * 7))
_DOT_START = re.compile(rb"(%s) (%s) m\n(?:%s ){4}(%s) (%s) c\n" % ((_NUM,) * 5))


def _dots_as_dashes(m: re.Match[bytes]) -> bytes:
    """One dotted border as WeasyPrint 70 draws it (every dot a four-curve circle, their union a clip
    over the border's band, filled) → the same dots as one stroke of zero-length round-capped dashes.
    Left as it is unless the dots are equal circles, equally spaced on one horizontal or vertical line."""
    centres, r = [], None
    for d in _DOT_START.finditer(m.group(1)):
        xm, ym, xt, yt = (float(v) for v in d.groups())  # the first curve ends at the top of the circle
        rr = abs(xm - xt)
        r = rr if r is None else r
        if abs(rr - r) > 1e-3 or abs(abs(yt - ym) - r) > 1e-3:
            return m.group(0)
        centres.append((xt, ym))
    if len(centres) < 2:
        return m.group(0)
    (x0, y0), (x1, y1) = centres[0], centres[-1]
    dx, dy = (x1 - x0) / (len(centres) - 1), (y1 - y0) / (len(centres) - 1)
    if (abs(dx) > 1e-6 and abs(dy) > 1e-6) or any(
            abs(x - x0 - k * dx) > 2e-3 or abs(y - y0 - k * dy) > 2e-3 for k, (x, y) in enumerate(centres)):
        return m.group(0)
    return b"%sq %s RG %s w 1 J [0 %s] 0 d %s %s m %s %s l S Q\n" % (
        m.group(2) or b"", m.group(3), bnum(2 * r), bnum(abs(dx) + abs(dy)), bnum(x0), bnum(y0),
        bnum(x1 + dx / 2), bnum(y1 + dy / 2))


def _slim(pdf: bytes) -> bytes:
    """The blank layout without whole font programs for fonts it draws no glyph with, and with its
    dotted rules drawn as dashes.

    WeasyPrint 70 embeds a font in full when none of its glyphs is used (an empty field's font:
    200 KB for DejaVu Sans Mono); such a program is cut to its ``.notdef`` glyph (ids kept). It draws
    each dot of a dotted border as a circle (a blank form page: 1 MB of content, 214 KB compressed);
    the same dots are one line of round-capped zero-length dashes (:func:`_dots_as_dashes`, 30 KB)."""
    changed = False
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            contents = page.obj.get("/Contents")
            if isinstance(contents, pikepdf.Stream):
                data = contents.read_bytes()
                compact = _DOTTED.sub(_dots_as_dashes, data)
                if compact != data:
                    page.obj.Contents = doc.make_stream(compact)
                    changed = True
        for obj in doc.objects:
            if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Subtype") != "/Type0":
                continue
            cid = obj.DescendantFonts[0]
            descriptor = cid.get("/FontDescriptor")
            if len(cid.get("/W", ())) or descriptor is None or "/FontFile2" not in descriptor:
                continue
            font = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()), recalcTimestamp=False)
            options = ft_subset.Options()
            options.retain_gids = True
            options.notdef_outline = True
            options.layout_features = []
            options.name_IDs = ["*"]
            subsetter = ft_subset.Subsetter(options)
            subsetter.populate(gids=[0])
            subsetter.subset(font)
            out = io.BytesIO()
            font.save(out)
            stream = doc.make_stream(out.getvalue())
            stream.Length1 = len(out.getvalue())
            descriptor.FontFile2 = stream
            changed = True
        if not changed:
            return pdf
        out = io.BytesIO()
        doc.save(out, compress_streams=True, deterministic_id=True)
        return out.getvalue()


def _store(entry: Path, compiled: CompiledTemplate, deps: dict[str, str]) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
    (tmp / "sfondo.pdf").write_bytes(compiled.background)
    meta = {"key": compiled.key, "deps": deps, "pages": [asdict(p) for p in compiled.pages]}
    (tmp / "slots.json").write_text(json.dumps(meta, indent=1))
    try:
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(tmp, entry)
    except OSError:  # a concurrent process stored the same entry first: keep theirs
        shutil.rmtree(tmp, ignore_errors=True)


def _load(entry: Path, key: str) -> CompiledTemplate | None:
    try:
        meta = json.loads((entry / "slots.json").read_text())
        for path, digest in meta["deps"].items():
            if not Path(path).is_file() or _file_hash(Path(path)) != digest:
                return None
        pages = tuple(
            CompiledPage(p["width"], p["height"], tuple(
                Slot(**{**s, "color": tuple(s["color"])}) for s in p["slots"]), p["foglio"], p["istanza"])
            for p in meta["pages"]
        )
        return CompiledTemplate(key, pages, (entry / "sfondo.pdf").read_bytes())
    except (OSError, ValueError, KeyError, TypeError):
        return None


# --- fonts ---------------------------------------------------------------------------------

logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
"""Its notes ("FFTM NOT subset": a timestamp table dropped) are not the user's business (CLI stderr)."""

_FACE_RE = re.compile(r"@font-face\s*{([^}]*)}", re.S)
_PROP_RE = re.compile(r"(font-family|font-weight|font-style|src)\s*:\s*([^;]+);?", re.S)


def parse_font_faces(css: str, base_dir: Path) -> dict[tuple[str, int, str], Path]:
    """``@font-face`` rules of ``css`` → {(family, weight, style): TTF path below ``base_dir``}."""
    faces = {}
    for block in _FACE_RE.findall(css):
        props = {k: v.strip() for k, v in _PROP_RE.findall(block)}
        url = re.search(r"url\(\s*['\"]?([^'\")]+)", props.get("src", ""))
        if "font-family" not in props or not url:
            continue
        weight = props.get("font-weight", "400")
        weight = {"normal": "400", "bold": "700"}.get(weight, weight)
        key = (props["font-family"].strip("'\" "), int(weight), props.get("font-style", "normal"))
        faces[key] = (base_dir / url.group(1)).resolve()
    return faces


@dataclass
class FontFace:
    """One TrueType face used by stamped text: cp1252 widths, vertical metrics, embedding."""

    path: Path
    resource: str
    """Resource name in the output PDF (``F0``, ``F1``…)."""
    widths: list[float] = field(default_factory=list)
    """Advance of each cp1252 code in 1/1000 em (0 when the font lacks the glyph)."""
    ascent: float = 0.0
    descent: float = 0.0
    """Pango-style (hhea) ascent and descent in 1/1000 em; descent positive."""
    _missing: bytes = b""
    _advance: Any = None
    """``widths.__getitem__``: summed with ``map`` (C speed) by :meth:`width`."""

    def __post_init__(self) -> None:
        self._advance = tuple(self.widths).__getitem__

    @classmethod
    def load(cls, path: Path, resource: str) -> FontFace:
        font = TTFont(path, lazy=True)
        scale = 1000.0 / font["head"].unitsPerEm
        cmap = font.getBestCmap()
        hmtx = font["hmtx"]
        widths, missing = [], bytearray()
        for code in range(256):
            ch = bytes([code]).decode(_ENCODING, errors="replace")
            glyph = cmap.get(ord(ch)) if code >= 32 and ch != "\ufffd" else None
            widths.append(hmtx[glyph][0] * scale if glyph else 0.0)
            if glyph is None:
                missing.append(code)
        hhea = font["hhea"]
        face = cls(path, resource, widths, hhea.ascent * scale, -hhea.descent * scale, bytes(missing))
        font.close()
        return face

    def encode(self, text: str) -> bytes | None:
        """The text as cp1252 codes, or None when a character cannot be shown with this face."""
        try:
            raw = text.encode(_ENCODING)
        except UnicodeEncodeError:
            return None
        if self._missing and len(raw.translate(None, self._missing)) != len(raw):
            return None
        return raw

    def width(self, raw: bytes, size: float) -> float:
        return sum(map(self._advance, raw)) * size / 1000.0

    def embed(self, writer: PdfStreamWriter) -> None:
        """Write the subset font (cp1252 repertoire) and register it as ``/resource``."""
        data, ps_name, bbox, cap, italic = _subset(str(self.path))
        file_num = writer.add_stream(data, b"/Length1 %d" % len(data), compress=True)
        tag = "CURIT" + chr(65 + int(self.resource[1:]) % 26)
        descriptor = writer.add_object(
            b"<< /Type /FontDescriptor /FontName /%s+%s /Flags 32 /FontBBox [%s] /ItalicAngle %s "
            b"/Ascent %s /Descent %s /CapHeight %s /StemV 80 /FontFile2 %d 0 R >>" % (
                tag.encode(), ps_name.encode(), " ".join(num(v) for v in bbox).encode(), num(italic).encode(),
                num(self.ascent).encode(), num(-self.descent).encode(), num(cap).encode(), file_num))
        widths = " ".join(num(w) for w in self.widths[32:]).encode()
        font = writer.add_object(
            b"<< /Type /Font /Subtype /TrueType /BaseFont /%s+%s /FirstChar 32 /LastChar 255 /Widths [%s] "
            b"/Encoding /WinAnsiEncoding /FontDescriptor %d 0 R >>" % (tag.encode(), ps_name.encode(), widths,
                                                                     descriptor))
        writer.register_resource(self.resource, font, "Font")


def _embed_font(writer: PdfStreamWriter, name: str, path: str) -> None:
    """Provider function: the face in ``path`` embedded as font resource ``/name``."""
    FontFace.load(Path(path), name).embed(writer)


@lru_cache(maxsize=16)
def _subset(path: str) -> tuple[bytes, str, tuple[float, ...], float, float]:
    font = TTFont(path, recalcTimestamp=False)  # keep head.modified: no clock in the output
    scale = 1000.0 / font["head"].unitsPerEm
    head = font["head"]
    bbox = tuple(v * scale for v in (head.xMin, head.yMin, head.xMax, head.yMax))
    os2 = font["OS/2"]
    cap = getattr(os2, "sCapHeight", 0) * scale or 700.0
    italic = float(font["post"].italicAngle)
    ps_name = re.sub(r"[^A-Za-z0-9-]", "", font["name"].getDebugName(6) or Path(path).stem)
    options = ft_subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.recalc_bounds = False
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(bytes([c]).decode(_ENCODING, "ignore") or " ") for c in range(32, 256)])
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), ps_name, bbox, cap, italic


class FontSet:
    """The faces stamped text may use, resolved like CSS: family, then nearest weight, style."""

    def __init__(self, faces: Mapping[tuple[str, int, str], Path]) -> None:
        self._paths = dict(faces)
        self._order = sorted(self._paths)
        """Resource names are ``F<index in this order>``: the same for every process and chunk,
        whatever order the faces are first used in."""
        self._loaded: dict[tuple[str, int, str], FontFace] = {}
        self._matched: dict[tuple[str, int, str], FontFace] = {}

    def face(self, family: str, weight: int, style: str) -> FontFace:
        request = (family, weight, style)
        face = self._matched.get(request)
        if face is None:
            key = self._match(family, weight, style)
            if key not in self._loaded:
                self._loaded[key] = FontFace.load(self._paths[key], f"F{self._order.index(key)}")
            face = self._matched[request] = self._loaded[key]
        return face

    def by_resource(self, resource: str) -> FontFace:
        """The face registered under ``resource`` (``F0``…), loaded if needed."""
        return self.face(*self._order[int(resource[1:])])

    def provider(self, resource: str) -> Provider:
        """How a writer embeds the face of ``resource`` (picklable: a path, no font data)."""
        return Provider(_embed_font, (str(self._paths[self._order[int(resource[1:])]]),))

    def _match(self, family: str, weight: int, style: str) -> tuple[str, int, str]:
        candidates = [k for k in self._paths if k[0] == family] or [k for k in self._paths]
        if not candidates:
            raise RenderError("Nessun carattere disponibile per la stampa.")
        styled = [k for k in candidates if k[2] == style] or candidates
        return min(styled, key=lambda k: (abs(k[1] - weight), -k[1]))


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
            self.writer.provide(name, Provider(import_pdf_page, (self.compiled.background, page)))
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


def _same_geometry(pages: tuple[CompiledPage, ...]) -> list[int]:
    """For each page, the first page whose slots are the same apart from the page number."""
    signatures = [tuple(replace(s, page=0) for s in p.slots) + (p.width, p.height) for p in pages]
    return [signatures.index(sig) for sig in signatures]


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
