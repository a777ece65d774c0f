"""Template HTML (slots empty) → compiled template: slot boxes + background PDF, cached on disk.

The first step of variable-data printing (``renderers.stamp`` is the second): WeasyPrint lays
out the template with every variable slot empty. Slots are elements carrying
``data-campo="<key>"`` (and optionally ``data-slot="text|qr|code128|check|strike"``,
``data-righe`` = max lines, ``data-min-pt`` = minimum font size). Their content boxes, fonts,
sizes, alignment and colours are read from WeasyPrint's layout tree (internal attributes:
WeasyPrint is pinned to 70.0). The laid-out pages become the reusable backgrounds. The result
is cached on disk under a caller-given directory, keyed by a hash of the HTML (which carries the
template, its configuration and Ente customisation) and validated against the content hash of
every file WeasyPrint fetched (CSS, fonts, logos): change any of them and the template is laid
out again.

Slots must be boxes with a size: ``display: inline-block`` or ``block`` elements.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pikepdf
from fontTools.ttLib import TTFont

from renderers.errors import RenderError
from renderers.pdfstream import bnum

# WeasyPrint (and renderers.pdf, which imports it) is imported when a template is laid out: a batch
# whose layouts are all in the disk cache and that signs nothing never loads it (importing the batch
# engine: 1.2 s of CPU instead of 1.5 on a loaded 2-core machine)

__all__ = ["Slot", "CompiledPage", "CompiledTemplate", "compile_template", "read_slots", "SLOT_KINDS",
           "ENGINE_VERSION", "PX_TO_PT", "MIN_FONT_PT", "SHRINK_FLOOR"]

ENGINE_VERSION = "stamp-5"
"""Bumped when the cache format or the slot reading changes."""
SLOT_KINDS = ("text", "qr", "code128", "check", "strike")
PX_TO_PT = 0.75
MIN_FONT_PT = 5.0
SHRINK_FLOOR = 0.7


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

@lru_cache(maxsize=1)
def _recording_fetcher() -> type:
    from renderers.pdf import AssetFetcher

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

    return _RecordingFetcher


@lru_cache(maxsize=1)
def _weasyprint_version() -> str:
    """``weasyprint.__version__``, from the package metadata (without importing WeasyPrint)."""
    return version("weasyprint")


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
    key = hashlib.sha256(f"{ENGINE_VERSION}\0{_weasyprint_version()}\0{html}".encode()).hexdigest()[:32]
    entry = cache_dir / key if cache_dir is not None else None
    if entry is not None:
        cached = _load(entry, key)
        if cached is not None:
            return cached
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fetcher = _recording_fetcher()(asset_roots)
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


def _dots_as_dashes(m: re.Match[bytes]) -> bytes:
    """One dotted border as WeasyPrint 70 draws it (every dot a four-curve circle, their union a clip
    over the border's band, filled) → the same dots as one stroke of zero-length round-capped dashes.
    Left as it is unless the dots are equal circles, equally spaced on one horizontal or vertical line."""
    centres, r = [], None
    for xm, ym, xt, yt in _centri(m.group(1)):  # the first curve ends at the top of the circle
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


_DOTS = re.compile(rb"(?:" + _DOT + rb"){2,}")
"""A run of two dots or more, the tail not required: where :data:`_DOTTED` can match (its first dot)."""


def _dotted_sub(data: bytes) -> bytes:
    """``_DOTTED.sub(_dots_as_dashes, data)``, the same bytes in linear time.

    ``re.sub`` tries the pattern at every position: where a long run of dots is not followed by the
    fill of a dotted border (the circles of a rounded box's clip), each position inside the run parsed
    the rest of it again before failing, quadratic in the run (10 of the 13 s of CPU that compiling a
    blank Allegato F took). A match can start only where a run of dots starts, and a run that fails
    there fails everywhere inside it (the same tail must follow its last dot; after any other dot comes
    a dot, not ``W``): each run is tried once, from its first dot."""
    out, pos = [], 0
    corsa = _DOTS.search(data)
    while corsa is not None:
        m = _DOTTED.match(data, corsa.start())
        if m is None:
            corsa = _DOTS.search(data, corsa.end())
            continue
        out += (data[pos:m.start()], _dots_as_dashes(m))
        pos = m.end()
        corsa = _DOTS.search(data, pos)
    if not out:
        return data
    out.append(data[pos:])
    return b"".join(out)


def _centri(punti: bytes) -> Iterator[tuple[float, float, float, float]]:
    """(x, y) of each dot's ``m`` and (x, y) where its first curve ends, for a run of :data:`_DOT`.

    Each dot is ``x y m`` and four ``c`` lines closed by ``h``, so the run is cut at its ``h``
    lines (what ``_DOT_START.finditer`` read, without a regular expression tried at every byte)."""
    for punto in punti.split(b"h\n")[:-1]:
        mossa, curva = punto.split(b"\n", 2)[:2]
        xm, ym = mossa.split(b" ", 2)[:2]
        xt, yt = curva.split(b" ")[4:6]
        yield float(xm), float(ym), float(xt), float(yt)


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
                compact = _dotted_sub(data)
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
            from fontTools import subset as ft_subset  # compiling only: a printing process never needs it

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
