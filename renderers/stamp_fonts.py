"""``@font-face`` CSS + TrueType files → the faces stamped text is measured and drawn with.

Stamped text is encoded in cp1252 (WinAnsiEncoding): a face gives the advance of each code, its
vertical metrics as Pango uses them, and embeds itself as a subset TrueType font (the whole
cp1252 repertoire, no clock in the bytes). :class:`FontSet` resolves a slot's family, weight and
style like CSS and names each face's resource after its place in the set, the same in every
process and chunk.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont

from renderers.errors import RenderError
from renderers.pdfstream import COMPRESS_LEVEL, PdfStreamWriter, Provider, num

__all__ = ["FontFace", "FontSet", "cartella_cache", "cartella_sottoinsiemi", "parse_font_faces", "scrivi_in_cache"]

_ENCODING = "cp1252"

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
    _advance: Any = field(default=None, compare=False, repr=False)
    """``widths.__getitem__``: summed with ``map`` (C speed) by :meth:`width`."""

    def __post_init__(self) -> None:
        self._advance = tuple(self.widths).__getitem__

    @classmethod
    def load(cls, path: Path, resource: str) -> FontFace:
        """The face of ``path`` as ``resource``: read once per process (a chunk's fresh font set and
        its embedding asked for it again each time: 10 ms of cmap decoding per face and chunk)."""
        face = _FACES.get((str(path), resource))
        if face is None:
            face = _FACES[(str(path), resource)] = cls._read(path, resource)
        return face

    @classmethod
    def _read(cls, path: Path, resource: str) -> FontFace:
        """The face's metrics, from the cache folder when they were read there before (decoding a
        DejaVu face's cmap and hmtx is ~20 ms, in every printing process and server worker)."""
        cartella = _CARTELLA
        if cartella is None:
            return cls._leggi(path, resource)
        import json

        file = cartella / f"metrica-{_chiave(str(path), 'metrica-1')[:32]}.json"
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):  # not there yet, or cut short: read again
            m = json.loads(file.read_text(encoding="utf-8"))
            if len(m["widths"]) == 256:
                return cls(path, resource, [float(w) for w in m["widths"]], float(m["ascent"]), float(m["descent"]),
                           bytes(m["missing"]))
        face = cls._leggi(path, resource)
        scrivi_in_cache(file, json.dumps({"widths": face.widths, "ascent": face.ascent, "descent": face.descent,
                                  "missing": list(face._missing)}).encode())
        return face

    @classmethod
    def _leggi(cls, path: Path, resource: str) -> FontFace:
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
        level = getattr(writer, "_compress", COMPRESS_LEVEL)
        file_num = writer.add_stream(_compressed(str(self.path), level), b"/Length1 %d /Filter /FlateDecode" % len(data),
                                     compress=False)  # the bytes ``compress=True`` writes, compressed once per process
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


_FACES: dict[tuple[str, str], FontFace] = {}
"""(path, resource) → face, per process (font files do not change under a running process)."""


@lru_cache(maxsize=16)
def _compressed(path: str, level: int) -> bytes:
    return zlib.compress(_subset(path)[0], level)


_CARTELLA: Path | None = None
"""Where subset fonts, faces' metrics and recorded background imports (``renderers.stamp_sfondi``)
are kept between processes (:func:`cartella_sottoinsiemi`); None: memory only."""


def cartella_cache() -> Path | None:
    """The folder given to :func:`cartella_sottoinsiemi` (None: memory only)."""
    return _CARTELLA


def cartella_sottoinsiemi(cartella: Path | None) -> None:
    """Keep each subset font in ``cartella`` (the caller's compiled-template cache), named by the
    hash of the font file and the fontTools version: a printing process reads it instead of
    subsetting the face again (~0.1 s of CPU a face, in every process of every job)."""
    global _CARTELLA
    _CARTELLA = cartella


@lru_cache(maxsize=32)
def _chiave(path: str, uso: str) -> str:
    """Cache key of what ``uso`` derives from the font file: its bytes and the fontTools version."""
    import hashlib

    from fontTools import version

    return hashlib.sha256(Path(path).read_bytes() + f"\0{version}\0{uso}".encode()).hexdigest()


def scrivi_in_cache(file: Path, dati: bytes) -> None:
    """Write a cache file whole (by rename); a cache that cannot be written costs the work, nothing else."""
    import os

    with contextlib.suppress(OSError):
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        tmp.write_bytes(dati)
        os.replace(tmp, file)


@lru_cache(maxsize=16)
def _subset(path: str) -> tuple[bytes, str, tuple[float, ...], float, float]:
    cartella = _CARTELLA
    if cartella is None:
        return _sottoinsieme(path)
    import json

    file = cartella / f"font-{_chiave(path, 'sottoinsieme-1')[:32]}.bin"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):  # not there yet, or cut short: made again
        testa, data = file.read_bytes().split(b"\n", 1)
        meta = json.loads(testa)
        if len(data) == meta["n"]:
            return data, meta["ps_name"], tuple(meta["bbox"]), meta["cap"], meta["italic"]
    out = _sottoinsieme(path)
    data, ps_name, bbox, cap, italic = out
    testa = json.dumps({"n": len(data), "ps_name": ps_name, "bbox": list(bbox), "cap": cap, "italic": italic})
    scrivi_in_cache(file, testa.encode() + b"\n" + data)
    return out


def _sottoinsieme(path: str) -> tuple[bytes, str, tuple[float, ...], float, float]:
    from fontTools import subset as ft_subset  # ~0.1 s to import: only when the subset is not on disk yet

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
