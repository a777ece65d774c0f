"""PDF objects → a PDF file written as they come (flat memory), with shared Form XObjects.

The batch engine's output stage. Every object is serialised and written to the
binary stream the moment it is produced; only the byte offsets and the page object
numbers stay in memory, so a 10,000-page print file costs a few hundred KB of RAM.

Shared content is imported once: :meth:`PdfStreamWriter.import_page` turns a page
of another PDF (a WeasyPrint layout) into a Form XObject and copies the objects it
references (fonts, images, ICC profiles) exactly once; every stamped page then only
carries its own small content stream and a ``Do`` of the shared XObject.

Resources can also be *provided* lazily (:meth:`PdfStreamWriter.provide`): a picklable
:class:`Provider` says how to write a resource, and the writer writes it just before
the first page that uses it. Object order then depends only on the sequence of
pages, so pages assembled elsewhere (:class:`PageCollector`, e.g. in worker
processes, content already compressed) and written with
:meth:`PdfStreamWriter.add_page_data` give the very same bytes as pages added
directly: the output of one process and of N processes is byte-identical. No
timestamps are written; the file ``/ID`` is the caller's (``file_id``).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO

import pikepdf

from renderers.errors import RenderError

__all__ = ["PdfObjectWriter", "PdfStreamWriter", "WriterSnapshot", "Placement", "pdf_string", "num", "Provider", "PageData", "PageCollector",
           "page_content", "import_pdf_page", "bnum", "COMPRESS_LEVEL"]


COMPRESS_LEVEL = 3
"""zlib level of content streams. Stamped pages are mostly digits and operators: level 3
costs ~100 µs per plate sheet against ~235 µs at level 6, for content ~25 % larger
(measured in ``docs/parts/stampa-variabile.md``)."""


def num(value: float) -> str:
    """A PDF real with at most 3 decimals and no trailing zeros."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def bnum(value: float) -> bytes:
    """:func:`num` as bytes (operands of content streams)."""
    text = b"%.3f" % value
    text = text.rstrip(b"0").rstrip(b".")
    return text if text not in (b"-0", b"") else b"0"


def pdf_string(raw: bytes) -> bytes:
    """A literal string operand: ``(…)`` with ``\\``, ``(`` and ``)`` escaped."""
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


@dataclass(frozen=True)
class Placement:
    """One stamped item placed on a page: background XObject + overlay operators."""

    x: float
    """Left edge of the item on the page, points."""
    y: float
    """Bottom edge of the item on the page, points."""
    xobject: str
    """Resource name of the item's background Form XObject (``""`` for none)."""
    ops: bytes
    """Overlay operators in item coordinates (origin at the item's bottom-left)."""


@dataclass(frozen=True)
class Provider:
    """How to write one resource: ``fn(writer, name, *args)`` writes its objects and calls
    :meth:`PdfStreamWriter.register_resource`. ``fn`` must be a module-level function so
    that a provider can travel to another process with the pages that use it."""

    fn: Callable[..., None]
    args: tuple[Any, ...] = ()

    def __call__(self, writer: PdfStreamWriter, name: str) -> None:
        self.fn(writer, name, *self.args)


def import_pdf_page(writer: PdfStreamWriter, name: str, pdf: bytes, index: int) -> None:
    """Provider function: page ``index`` of the PDF ``pdf`` as Form XObject ``/name``."""
    try:
        source = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as exc:
        raise RenderError("Sfondo del modello di stampa non leggibile.") from exc
    with source:
        writer.import_page(source, index, name)


def page_content(placements: Iterable[Placement], extra_ops: bytes = b"") -> tuple[bytes, set[str]]:
    """Content stream of a page (uncompressed) and the XObject names it shows."""
    parts: list[bytes] = []
    used: set[str] = set()
    for p in placements:
        parts.append(b"q 1 0 0 1 %s %s cm\n" % (bnum(p.x), bnum(p.y)))
        if p.xobject:
            parts.append(b"/%s Do\n" % p.xobject.encode())
            used.add(p.xobject)
        parts.append(p.ops)
        parts.append(b"Q\n")
    parts.append(extra_ops)
    return b"".join(parts), used


@dataclass(frozen=True)
class PageData:
    """A page assembled away from the writer: its content stream already compressed."""

    width: float
    height: float
    content: bytes
    """Flate-compressed content stream."""
    resources: tuple[str, ...]
    """Names of the fonts and XObjects the content uses."""
    providers: tuple[tuple[str, Provider], ...] = ()
    """How to write resources the receiving writer may not know yet."""


@dataclass
class PageCollector:
    """Stands in for a :class:`PdfStreamWriter` where pages are only assembled (a worker
    process): ``add_page`` compresses the content and keeps a :class:`PageData`; providers
    are attached to the first collected page that uses them. ``shipped`` (shared across
    the collectors of one process) avoids sending a provider twice."""

    compress_level: int = COMPRESS_LEVEL
    shipped: set[str] = field(default_factory=set)
    pages: list[PageData] = field(default_factory=list)
    _providers: dict[str, Provider] = field(default_factory=dict)

    def provide(self, name: str, provider: Provider) -> None:
        self._providers.setdefault(name, provider)

    def has_resource(self, name: str) -> bool:
        return name in self._providers

    def add_page(self, width: float, height: float, placements: Iterable[Placement],
                 extra_ops: bytes = b"", resources: Iterable[str] = ()) -> None:
        content, used = page_content(placements, extra_ops)
        used.update(resources)
        names = tuple(sorted(used))
        providers = tuple((n, self._providers[n]) for n in names if n not in self.shipped and n in self._providers)
        self.shipped.update(n for n, _ in providers)
        self.pages.append(PageData(width, height, zlib.compress(content, self.compress_level), names, providers))

    @property
    def page_count(self) -> int:
        return len(self.pages)


class PdfObjectWriter:
    """Objects → PDF bytes on ``out`` with their cross-reference table: the low level shared by
    the stamp engine's writer and the batch merge (``service/batch/unione.py``)."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._pos = 0
        self._offsets: list[int] = [0]
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._pos += len(data)

    def reserve(self) -> int:
        """Allocate an object number to be written later with :meth:`write_object`."""
        self._offsets.append(-1)
        return len(self._offsets) - 1

    def write_object(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._pos
        self._write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    def add_object(self, body: bytes) -> int:
        number = self.reserve()
        self.write_object(number, body)
        return number

    def finish(self, root: int, info: int, file_id: bytes | None) -> None:
        """Write the xref table and the trailer (``/ID`` from ``file_id``: no random or clock input)."""
        xref_at = self._pos
        rows = [b"xref\n0 %d\n0000000000 65535 f \n" % len(self._offsets)]
        rows.extend(b"%010d 00000 n \n" % off for off in self._offsets[1:])
        self._write(b"".join(rows))
        ident = b" /ID [<%s> <%s>]" % (file_id.hex().encode(), file_id.hex().encode()) if file_id else b""
        self._write(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n"
                    % (len(self._offsets), root, info, ident, xref_at))


@dataclass(frozen=True)
class WriterSnapshot:
    """A :class:`PdfStreamWriter` frozen before its first page: the bytes written so far (shared
    backgrounds, fonts, profiles) and its bookkeeping. :meth:`PdfStreamWriter.resume` starts a new
    file from it without serialising those objects again (one document issued on demand)."""

    data: bytes
    offsets: tuple[int, ...]
    resources: tuple[tuple[str, int, str], ...]
    """(name, object number, kind) of every registered resource."""
    pages_num: int


class PdfStreamWriter(PdfObjectWriter):
    """Write a PDF to ``out`` object by object; call :meth:`close` to finish it."""

    def __init__(self, out: BinaryIO, *, title: str = "", print_scaling_none: bool = True,
                 compress_level: int = COMPRESS_LEVEL, file_id: bytes | None = None) -> None:
        super().__init__(out)
        self._kids: list[int] = []
        self._compress = compress_level
        self._title = title
        self._print_scaling_none = print_scaling_none
        self._resources: dict[str, int] = {}
        """Resource name (``/F0``, ``/X12``) → object number; fonts and XObjects share one space."""
        self._kinds: dict[str, str] = {}
        self._providers: dict[str, Provider] = {}
        self._file_id = file_id
        """Trailer ``/ID`` (both halves), e.g. a hash of the job id: no random or clock input."""
        self._pages_num = self.reserve()
        self._closed = False

    def snapshot(self) -> WriterSnapshot:
        """The file so far, to :meth:`resume` from (only before the first page, ``out`` a BytesIO)."""
        if self._kids or self._providers or not isinstance(self._out, io.BytesIO):
            raise RenderError("Modello di stampa non riutilizzabile.") from ValueError("snapshot after pages")
        return WriterSnapshot(self._out.getvalue(), tuple(self._offsets),
                              tuple((n, num, self._kinds[n]) for n, num in self._resources.items()), self._pages_num)

    @classmethod
    def resume(cls, snap: WriterSnapshot, out: io.BytesIO, *, title: str = "", print_scaling_none: bool = True,
               compress_level: int = COMPRESS_LEVEL, file_id: bytes | None = None) -> PdfStreamWriter:
        """A writer whose file starts with ``snap``'s bytes and resources (copied, not re-serialised)."""
        self = cls.__new__(cls)
        self._out = out
        out.write(snap.data)
        self._pos = len(snap.data)
        self._offsets = list(snap.offsets)
        self._kids = []
        self._compress = compress_level
        self._title = title
        self._print_scaling_none = print_scaling_none
        self._resources = {n: num for n, num, _ in snap.resources}
        self._kinds = {n: kind for n, _, kind in snap.resources}
        self._providers = {}
        self._file_id = file_id
        self._pages_num = snap.pages_num
        self._closed = False
        return self

    def add_stream(self, data: bytes, entries: bytes = b"", *, compress: bool = True) -> int:
        """Write a stream object; ``entries`` are extra dictionary entries (``/Type /XObject …``)."""
        if compress:
            data = zlib.compress(data, self._compress)
            entries += b" /Filter /FlateDecode"
        body = b"<< /Length %d %s >>\nstream\n" % (len(data), entries) + data + b"\nendstream"
        return self.add_object(body)

    # --- resources -------------------------------------------------------------------------
    def register_resource(self, name: str, number: int, kind: str) -> None:
        """Make object ``number`` usable by pages as ``/name`` (kind: ``Font`` or ``XObject``)."""
        self._resources[name] = number
        self._kinds[name] = kind

    def has_resource(self, name: str) -> bool:
        """Whether ``/name`` is written or provided."""
        return name in self._resources or name in self._providers

    def provide(self, name: str, provider: Provider) -> None:
        """Write resource ``/name`` with ``provider`` before the first page that uses it."""
        if name not in self._resources:
            self._providers.setdefault(name, provider)

    def _materialize(self, names: Iterable[str]) -> None:
        for name in names:
            if name not in self._resources:
                provider = self._providers.pop(name, None)
                if provider is None:
                    raise RenderError("Risorsa di stampa mancante.") from KeyError(name)
                provider(self, name)

    def import_pages(self, pdf: pikepdf.Pdf, names: Iterable[str]) -> None:
        """Every page of ``pdf`` as Form XObject ``/names[i]``, objects they share (fonts,
        profiles) copied once."""
        copier = _ObjectCopier(self)
        for index, name in enumerate(names):
            try:
                form = pikepdf.Page(pdf.pages[index]).as_form_xobject()
            except (IndexError, pikepdf.PdfError) as exc:
                raise RenderError("Sfondo del modello di stampa non leggibile.") from exc
            self.register_resource(name, copier.copy_stream(form), "XObject")

    def import_page(self, pdf: pikepdf.Pdf, index: int, name: str) -> str:
        """Copy page ``index`` of ``pdf`` as a Form XObject available as ``/name``."""
        try:
            form = pikepdf.Page(pdf.pages[index]).as_form_xobject()
        except (IndexError, pikepdf.PdfError) as exc:
            raise RenderError("Sfondo del modello di stampa non leggibile.") from exc
        number = _ObjectCopier(self).copy_stream(form)
        self.register_resource(name, number, "XObject")
        return name

    # --- pages -----------------------------------------------------------------------------
    def add_page(self, width: float, height: float, placements: Iterable[Placement],
                 extra_ops: bytes = b"", resources: Iterable[str] = ()) -> None:
        """One page of ``width`` × ``height`` points; ``resources`` names fonts used by the ops."""
        content, used = page_content(placements, extra_ops)
        used.update(resources)
        self._write_page(width, height, zlib.compress(content, self._compress), sorted(used))

    def add_page_data(self, page: PageData) -> None:
        """A page assembled by a :class:`PageCollector` (same bytes as :meth:`add_page`)."""
        for name, provider in page.providers:
            self.provide(name, provider)
        self._write_page(page.width, page.height, page.content, page.resources)

    def _write_page(self, width: float, height: float, compressed: bytes, names: Iterable[str]) -> None:
        names = tuple(names)
        self._materialize(names)
        content = self.add_object(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(compressed)
                                  + compressed + b"\nendstream")
        self._kids.append(self.add_object(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources %s /Contents %d 0 R >>"
            % (self._pages_num, bnum(width), bnum(height), self._resources_dict(names), content)
        ))

    def _resources_dict(self, used: Iterable[str]) -> bytes:
        groups: dict[str, list[bytes]] = {"Font": [], "XObject": []}
        for name in sorted(used):
            if name not in self._resources:
                raise RenderError("Risorsa di stampa mancante.") from KeyError(name)
            groups[self._kinds[name]].append(b"/%s %d 0 R" % (name.encode(), self._resources[name]))
        inner = b" ".join(b"/%s << %s >>" % (k.encode(), b" ".join(v)) for k, v in groups.items() if v)
        return b"<< /ProcSet [/PDF /Text] " + inner + b" >>"

    @property
    def page_count(self) -> int:
        return len(self._kids)

    def close(self, *, catalog_extra: bytes = b"", info: bytes | None = None) -> None:
        """Write the page tree, catalog, info, xref and trailer. ``catalog_extra``: more catalog
        entries (``/Metadata …``); ``info``: the whole document information dictionary."""
        if self._closed:
            return
        self._closed = True
        kids = b" ".join(b"%d 0 R" % k for k in self._kids)
        self.write_object(self._pages_num, b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(self._kids), kids))
        prefs = b" /ViewerPreferences << /PrintScaling /None >>" if self._print_scaling_none else b""
        catalog = self.add_object(b"<< /Type /Catalog /Pages %d 0 R%s%s >>" % (
            self._pages_num, prefs, b" " + catalog_extra if catalog_extra else b""))
        if info is None:
            title = self._title.encode("utf-16-be")
            info = b"<< /Title <FEFF%s> /Producer (curit-docs stamp engine) >>" % title.hex().encode()
        self.finish(catalog, self.add_object(info), self._file_id)


def dict_entries(mapping: pikepdf.Dictionary, ser: Callable[[object], bytes], *, skip: tuple[str, ...] = ()) -> bytes:
    """``/Key value`` pairs of a PDF dictionary, values written by ``ser``, keys in ``skip`` left out."""
    return b" ".join(b"%s %s" % (bytes(pikepdf.Name(k).unparse()), ser(v)) for k, v in mapping.items() if k not in skip)


def serialise_value(obj: object, ref: Callable[[pikepdf.Object], bytes], *, top: bool = False,
                    real: Callable[[float], bytes] = bnum) -> bytes:
    """A pikepdf value in PDF syntax. Indirect objects below ``top`` become ``ref(obj)`` (the caller
    numbers and writes them); reals are written by ``real``; anything else raises ``TypeError``."""

    def ser(value: object) -> bytes:
        return serialise_value(value, ref, real=real)

    if isinstance(obj, pikepdf.Object) and not top and obj.is_indirect:
        return ref(obj)
    if isinstance(obj, bool):
        return b"true" if obj else b"false"
    if isinstance(obj, int):
        return b"%d" % obj
    if isinstance(obj, (float, Decimal)):
        return real(float(obj))
    if obj is None:
        return b"null"
    if isinstance(obj, pikepdf.Dictionary):
        return b"<< " + dict_entries(obj, ser) + b" >>"
    if isinstance(obj, pikepdf.Array):
        return b"[" + b" ".join(ser(v) for v in obj) + b"]"
    if isinstance(obj, (pikepdf.Name, pikepdf.String)):
        return bytes(obj.unparse())
    raise TypeError(type(obj))


class _ObjectCopier:
    """Serialise a pikepdf object graph into a :class:`PdfStreamWriter`, each object once."""

    def __init__(self, writer: PdfStreamWriter) -> None:
        self._w = writer
        self._memo: dict[tuple[int, int], int] = {}

    def copy_stream(self, stream: pikepdf.Object) -> int:
        number = self._w.reserve()
        self._write_stream(number, stream, compress=True)
        return number

    def _write_stream(self, number: int, stream: pikepdf.Object, *, compress: bool = False) -> None:
        """``compress``: an unfiltered stream (a page turned into a Form XObject by pikepdf comes
        decoded: 1 MB for a dense form page) is written Flate-compressed."""
        raw = stream.read_raw_bytes()
        entries = dict_entries(stream.stream_dict, self._ser, skip=("/Length",))
        if compress and "/Filter" not in stream.stream_dict:
            raw = zlib.compress(raw, 9)  # once per background, not per page
            entries += b" /Filter /FlateDecode"
        self._w.write_object(number, b"<< /Length %d %s >>\nstream\n" % (len(raw), entries) + raw + b"\nendstream")

    def _ref(self, obj: pikepdf.Object) -> bytes:
        key = obj.objgen
        if key not in self._memo:
            number = self._memo[key] = self._w.reserve()
            if isinstance(obj, pikepdf.Stream):
                self._write_stream(number, obj)
            else:
                self._w.write_object(number, self._ser(obj, top=True))
        return b"%d 0 R" % self._memo[key]

    def _ser(self, obj: object, top: bool = False) -> bytes:
        try:
            return serialise_value(obj, self._ref, top=top)
        except TypeError as exc:
            raise RenderError("Oggetto PDF non supportato nello sfondo.") from exc

