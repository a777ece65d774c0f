"""Streaming merge of a job's chunks into the print PDF(s): flat memory whatever the job size.

The pikepdf merge kept every chunk open and built the whole output document in memory before
writing it (RSS grew with the page count). Here the output is written object by object as the
pages come: each chunk is opened only while its pages are copied (a few chunks at most stay
open when a split output takes pages out of order), and only byte offsets, one output number per
source object and one digest per distinct object stay in memory.

Objects are deduplicated by content: a chunk carries its own copy of the backgrounds and fonts
it uses, and the same background or font from every chunk becomes one object of the output
(page dictionaries are never shared). Bytes depend only on the chunks and the output's page
list: a resumed job, a Celery job and a local job give the same file.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

import pikepdf

from domain.errors import RuleViolation
from renderers.pdfstream import PdfObjectWriter

__all__ = ["Unione", "scrivi_unione"]

_APERTI = 4
"""Chunks kept open at once (pages of a split output may come from any chunk)."""


_SINTASSI = re.compile(rb"\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f\s]*>|(?<![\d.])(\d+) (\d+) R(?![\w])", re.S)
"""In qpdf's unparsed syntax: a literal string (qpdf escapes every parenthesis in it), a hex
string, or an indirect reference ``n g R``, the only token rewritten."""


class _Copiatore:
    """Copies pages of the chunks into one :class:`PdfObjectWriter`, each distinct object once.

    Each object is unparsed by qpdf (C++) and only its references ``n g R`` are renumbered: the
    objects' own bytes are copied, never rebuilt value by value in Python (that was ~0.7 s of
    parent CPU for 1,800 Allegato G pages, while the workers waited on nothing)."""

    def __init__(self, uscita: PdfObjectWriter, pagine_num: int) -> None:
        self._u = uscita
        self._pagine_num = pagine_num
        self._memo: dict[tuple[int, int, int], int] = {}
        """(chunk, object number, generation) → output object number."""
        self._uguali: dict[bytes, int] = {}
        """Digest of an object's bytes → output object number (content deduplication)."""
        self._in_corso: set[tuple[int, int, int]] = set()

    def pagina(self, blocco: int, pdf: pikepdf.Pdf, pagina: pikepdf.Page) -> int:
        obj = pagina.obj
        padre = obj.get("/Parent")
        genitore = padre.objgen if isinstance(padre, pikepdf.Object) and padre.is_indirect else None

        def ref(m: re.Match[bytes]) -> bytes:
            if m.group(1) is None:
                return m.group(0)
            og = (int(m.group(1)), int(m.group(2)))
            if og == genitore:  # the chunk's page tree: the output's, never copied
                return b"%d 0 R" % self._pagine_num
            return b"%d 0 R" % self._copia(blocco, pdf, og)

        return self._u.add_object(_SINTASSI.sub(ref, obj.unparse(resolved=True)))

    def _rinumera(self, blocco: int, pdf: pikepdf.Pdf, testo: bytes) -> bytes:
        def ref(m: re.Match[bytes]) -> bytes:
            if m.group(1) is None:
                return m.group(0)
            return b"%d 0 R" % self._copia(blocco, pdf, (int(m.group(1)), int(m.group(2))))

        return _SINTASSI.sub(ref, testo)

    def _copia(self, blocco: int, pdf: pikepdf.Pdf, og: tuple[int, int]) -> int:
        chiave = (blocco, *og)
        numero = self._memo.get(chiave)
        if numero is not None:
            return numero
        if chiave in self._in_corso:
            raise RuleViolation("Blocco di stampa non valido (riferimento circolare).", path=("lavoro",))
        self._in_corso.add(chiave)
        try:
            obj = pdf.get_object(og)
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                sd = obj.stream_dict
                voci = pikepdf.Dictionary({k: sd[k] for k in sd.keys() if k != "/Length"}).unparse()
                corpo = (b"<< /Length %d %s\nstream\n" % (len(raw), self._rinumera(blocco, pdf, voci)[3:])
                         + raw + b"\nendstream")
            else:
                corpo = self._rinumera(blocco, pdf, obj.unparse(resolved=True))
        except (pikepdf.PdfError, TypeError, ValueError) as exc:
            raise RuleViolation("Blocco di stampa non valido.", path=("lavoro",)) from exc
        finally:
            self._in_corso.discard(chiave)
        impronta = hashlib.sha256(corpo).digest()
        numero = self._uguali.get(impronta)
        if numero is None:
            numero = self._uguali[impronta] = self._u.add_object(corpo)
        self._memo[chiave] = numero
        return numero


class _Blocchi:
    """Chunk PDFs opened on demand, at most ``_APERTI`` at a time (least recently used closed)."""

    def __init__(self, percorsi: Sequence[Path]) -> None:
        self._percorsi = percorsi
        self._aperti: OrderedDict[int, pikepdf.Pdf] = OrderedDict()

    def pagina(self, k: int, p: int) -> tuple[pikepdf.Pdf, pikepdf.Page]:
        pdf = self._aperti.get(k)
        if pdf is None:
            if len(self._aperti) >= _APERTI:
                self._aperti.popitem(last=False)[1].close()
            pdf = self._aperti[k] = pikepdf.open(self._percorsi[k])
        else:
            self._aperti.move_to_end(k)
        return pdf, pdf.pages[p]

    def chiudi(self) -> None:
        for pdf in self._aperti.values():
            pdf.close()
        self._aperti.clear()


class Unione:
    """The print PDF written as its pages come: :meth:`aggiungi` pages of chunks already printed
    while later chunks are still being printed, :meth:`chiudi` with the job's identity when the
    last one is in. The bytes are those of :func:`scrivi_unione` over the same pages."""

    def __init__(self, out: BinaryIO, blocchi: Sequence[Path], *, titolo: str) -> None:
        self._u = PdfObjectWriter(out)
        self._pagine_num = self._u.reserve()
        self._copia = _Copiatore(self._u, self._pagine_num)
        self._sorgenti = _Blocchi(blocchi)
        self._titolo = titolo
        self._figli: list[int] = []

    def aggiungi(self, pagine: Iterable[tuple[int, int]]) -> None:
        """Copy the pages ``(chunk, page)`` after those already written."""
        try:
            for k, p in pagine:
                self._figli.append(self._copia.pagina(k, *self._sorgenti.pagina(k, p)))
        except BaseException:
            self._sorgenti.chiudi()
            raise

    def chiudi(self, identita: bytes) -> int:
        """Page tree, catalog, info and trailer (``identita`` seeds the ``/ID``); the page count."""
        self._sorgenti.chiudi()
        u, figli = self._u, self._figli
        u.write_object(self._pagine_num, b"<< /Type /Pages /Count %d /Kids [%s] >>"
                       % (len(figli), b" ".join(b"%d 0 R" % f for f in figli)))
        radice = u.add_object(b"<< /Type /Catalog /Pages %d 0 R /ViewerPreferences << /PrintScaling /None >> >>"
                              % self._pagine_num)
        info = u.add_object(b"<< /Title <FEFF%s> /Producer (curit-docs batch) >>"
                            % self._titolo.encode("utf-16-be").hex().encode())
        u.finish(radice, info, hashlib.sha256(identita).digest()[:16])
        return len(figli)


def scrivi_unione(out: BinaryIO, blocchi: Sequence[Path], pagine: Iterable[tuple[int, int]], *, titolo: str,
                  identita: bytes) -> int:
    """Write the pages ``(chunk, page)`` of ``blocchi`` in order to ``out``; the number of pages.

    ``identita`` seeds the file ``/ID`` (deterministic: no clock, no randomness)."""
    unione = Unione(out, blocchi, titolo=titolo)
    unione.aggiungi(pagine)
    return unione.chiudi(identita)
