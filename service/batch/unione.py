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
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

import pikepdf

from domain.errors import RuleViolation
from renderers.pdfstream import PdfObjectWriter, dict_entries, serialise_value

__all__ = ["scrivi_unione"]

_APERTI = 4
"""Chunks kept open at once (pages of a split output may come from any chunk)."""


def _num(value: float) -> bytes:
    text = b"%.6f" % value
    text = text.rstrip(b"0").rstrip(b".")
    return text if text not in (b"-0", b"") else b"0"


class _Copiatore:
    """Copies pages of the chunks into one :class:`PdfObjectWriter`, each distinct object once."""

    def __init__(self, uscita: PdfObjectWriter, pagine_num: int) -> None:
        self._u = uscita
        self._pagine_num = pagine_num
        self._memo: dict[tuple[int, int, int], int] = {}
        """(chunk, object number, generation) → output object number."""
        self._uguali: dict[bytes, int] = {}
        """Digest of an object's bytes → output object number (content deduplication)."""
        self._in_corso: set[tuple[int, int, int]] = set()
        self._blocco = 0

    def pagina(self, blocco: int, pagina: pikepdf.Page) -> int:
        self._blocco = blocco
        voci = dict_entries(pagina.obj, self._ser, skip=("/Parent",))
        return self._u.add_object(b"<< %s /Parent %d 0 R >>" % (voci, self._pagine_num))

    def _ref(self, obj: pikepdf.Object) -> bytes:
        chiave = (self._blocco, *obj.objgen)
        numero = self._memo.get(chiave)
        if numero is None:
            if chiave in self._in_corso:
                raise RuleViolation("Blocco di stampa non valido (riferimento circolare).", path=("lavoro",))
            self._in_corso.add(chiave)
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                voci = dict_entries(obj.stream_dict, self._ser, skip=("/Length",))
                corpo = b"<< /Length %d %s >>\nstream\n" % (len(raw), voci) + raw + b"\nendstream"
            else:
                corpo = self._ser(obj, top=True)
            self._in_corso.discard(chiave)
            impronta = hashlib.sha256(corpo).digest()
            numero = self._uguali.get(impronta)
            if numero is None:
                numero = self._uguali[impronta] = self._u.add_object(corpo)
            self._memo[chiave] = numero
        return b"%d 0 R" % numero

    def _ser(self, obj: object, top: bool = False) -> bytes:
        try:
            return serialise_value(obj, self._ref, top=top, real=_num)
        except TypeError as exc:
            raise RuleViolation("Blocco di stampa non valido.", path=("lavoro",)) from exc


class _Blocchi:
    """Chunk PDFs opened on demand, at most ``_APERTI`` at a time (least recently used closed)."""

    def __init__(self, percorsi: Sequence[Path]) -> None:
        self._percorsi = percorsi
        self._aperti: OrderedDict[int, pikepdf.Pdf] = OrderedDict()

    def pagina(self, k: int, p: int) -> pikepdf.Page:
        pdf = self._aperti.get(k)
        if pdf is None:
            if len(self._aperti) >= _APERTI:
                self._aperti.popitem(last=False)[1].close()
            pdf = self._aperti[k] = pikepdf.open(self._percorsi[k])
        else:
            self._aperti.move_to_end(k)
        return pdf.pages[p]

    def chiudi(self) -> None:
        for pdf in self._aperti.values():
            pdf.close()
        self._aperti.clear()


def scrivi_unione(out: BinaryIO, blocchi: Sequence[Path], pagine: Iterable[tuple[int, int]], *, titolo: str,
                  identita: bytes) -> int:
    """Write the pages ``(chunk, page)`` of ``blocchi`` in order to ``out``; the number of pages.

    ``identita`` seeds the file ``/ID`` (deterministic: no clock, no randomness)."""
    u = PdfObjectWriter(out)
    pagine_num = u.reserve()
    copia = _Copiatore(u, pagine_num)
    sorgenti = _Blocchi(blocchi)
    figli: list[int] = []
    try:
        for k, p in pagine:
            figli.append(copia.pagina(k, sorgenti.pagina(k, p)))
    finally:
        sorgenti.chiudi()
    u.write_object(pagine_num, b"<< /Type /Pages /Count %d /Kids [%s] >>"
             % (len(figli), b" ".join(b"%d 0 R" % f for f in figli)))
    radice = u.add_object(b"<< /Type /Catalog /Pages %d 0 R /ViewerPreferences << /PrintScaling /None >> >>"
                        % pagine_num)
    info = u.add_object(b"<< /Title <FEFF%s> /Producer (curit-docs batch) >>" % titolo.encode("utf-16-be").hex().encode())
    u.finish(radice, info, hashlib.sha256(identita).digest()[:16])
    return len(figli)
