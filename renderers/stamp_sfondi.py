"""A background page of a compiled template, imported once and written again into any writer.

Importing a page as a Form XObject parses the background PDF and compresses the page's decoded
content (a form page: about a megabyte) at level 9: ~8 ms a page, 46 ms for the six pages of an
Allegato G, in every printing process and server worker. The import is recorded once per process
(object count, each object's bytes split at its references) and, when the caller keeps a cache
folder (``renderers.stamp_fonts.cartella_sottoinsiemi``), kept there by the hash of the
background, so a new process reads it instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import re
import sys

from renderers.errors import RenderError
from renderers.pdfstream import PdfStreamWriter, import_pdf_page
from renderers.stamp_fonts import cartella_cache, scrivi_in_cache
from renderers.stamp_layout import ENGINE_VERSION

__all__ = ["import_background"]

Registrato = tuple[int, list[tuple[int, list[bytes | int], bytes]]]


class _Recorder(PdfStreamWriter):
    """Stands in for a writer while a background page is imported: keeps the objects (numbered
    from :data:`_LOCAL`) instead of writing them, to be written again into any writer."""

    def __init__(self) -> None:  # no file: nothing of PdfStreamWriter's state is used
        self.objects: list[tuple[int, bytes]] = []
        self.count = 0

    def reserve(self) -> int:
        self.count += 1
        return _LOCAL + self.count - 1

    def write_object(self, number: int, body: bytes) -> None:
        self.objects.append((number - _LOCAL, body))

    def register_resource(self, name: str, number: int, kind: str) -> None:
        pass


_LOCAL = 7_000_000_000
"""First object number of a recorded import (no real file has that many objects)."""
_REF = re.compile(rb"(?<![0-9])(7\d{9}) 0 R")
_ENDSTREAM = b"\nendstream"
_IMPORTS: dict[tuple[bytes, int], Registrato] = {}
"""(background PDF, page) → recorded import: object count and, in writing order, each object's
local number, dictionary part split at its references, stream data."""


def _record(pdf: bytes, index: int) -> Registrato:
    rec = _Recorder()
    import_pdf_page(rec, "", pdf, index)
    objects = []
    for local, body in rec.objects:
        raw = b""
        if body.startswith(b"<< /Length ") and body.endswith(_ENDSTREAM):
            length = int(body[11:body.index(b" ", 11)])
            raw = body[len(body) - len(_ENDSTREAM) - length:]
            body = body[:len(body) - len(raw)]
        parts: list[bytes | int] = []
        for k, piece in enumerate(_REF.split(body)):
            if k % 2:
                ref = int(piece) - _LOCAL
                if not 0 <= ref < rec.count:
                    raise RenderError("Sfondo del modello di stampa non leggibile.") from ValueError(piece)
                parts.append(ref)
            else:
                parts.append(piece)
        objects.append((local, parts, raw))
    return rec.count, objects


def _registrato(pdf: bytes, index: int) -> Registrato:
    """:func:`_record`, or its result kept in the cache folder (checked by its digest: a file cut
    short or damaged is recorded again and rewritten)."""
    cartella = cartella_cache()
    if cartella is None:
        return _record(pdf, index)
    chiave = hashlib.sha256(pdf + f"\0{index}\0{ENGINE_VERSION}\0{sys.version}\0sfondo-1".encode()).hexdigest()
    file = cartella / f"sfondo-{chiave[:32]}.bin"
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        dati = file.read_bytes()
        if hashlib.sha256(dati[32:]).digest() == dati[:32]:
            count, oggetti = marshal.loads(dati[32:])
            return count, [(locale, list(parti), raw) for locale, parti, raw in oggetti]
    recorded = _record(pdf, index)
    dati = marshal.dumps(recorded)
    scrivi_in_cache(file, hashlib.sha256(dati).digest() + dati)
    return recorded


def import_background(writer: PdfStreamWriter, name: str, pdf: bytes, index: int) -> None:
    """Provider function: page ``index`` of the background ``pdf`` as Form XObject ``/name``, the
    same bytes as :func:`~renderers.pdfstream.import_pdf_page` writes. The import (parsing the PDF,
    compressing a form page's megabyte of content at level 9) is done once per process, or read from
    the cache folder (:func:`_registrato`); each chunk writes the recorded objects under its own numbers."""
    recorded = _IMPORTS.get((pdf, index))
    if recorded is None:
        if len(_IMPORTS) >= 64:
            _IMPORTS.clear()
        recorded = _IMPORTS[(pdf, index)] = _registrato(pdf, index)
    count, objects = recorded
    numbers = [writer.reserve() for _ in range(count)]
    for local, parts, raw in objects:
        body = b"".join(b"%d 0 R" % numbers[p] if isinstance(p, int) else p for p in parts)
        writer.write_object(numbers[local], body + raw)
    writer.register_resource(name, numbers[0], "XObject")
