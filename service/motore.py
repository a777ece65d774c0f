"""One engine for every document issued on demand: validated model → stamped PDF/A-3b.

The CLI ``render``, the API, the console, ``precompila``, the CAIT desk and batch ``moduli``
all reach :func:`service.produce.produci`, which asks this module first. A type whose template
keeps every box whether blank or filled (``DocumentType.stampa``) is laid out by WeasyPrint once
per process, blank, for each (mode, copies) choice (:func:`modello`, also cached on disk by
content hash in ``settings.stampa_cache_dir`` by ``renderers.stamp``). That layout, its fonts
and the sRGB profile are written once into a :class:`~renderers.pdfstream.WriterSnapshot`;
per document the file starts from those bytes and adds only the stamped pages (values drawn
into the ``data-campo`` slots by ``service.batch.moduli.StampaModulo``), the XMP packet, the
output intent and ``dati.json`` (``renderers.pdf.pdfa_parts``): the same PDF/A-3b markers,
XMP and attachment as the full layout.

A document made of sheets of a few kinds (Allegato F: a first sheet, one sheet per generator, the
Avvertenze) marks each sheet with ``data-foglio`` (and the key prefix of its fields, ``data-prefisso``):
the blank layout holds one sheet of each kind per copy, compiled once, and a record's sheets (1, 3, 30
generators) are stamped on the blank sheet of their kind (``StampaModulo.fogli``).

The blank form of every type (``model=None``) is its compiled blank layout, served the same way.
Compiled backgrounds draw dotted rules as dashes, not one circle per dot (``renderers.stamp._slim``):
an issued G is ~195 KB, less than its full layout.
A value that does not fit its box, or a character the font lacks, raises ``NeedsFullRender``:
the caller lays that document out in full with WeasyPrint, logs it and counts it
(:data:`CONTEGGI`, read by ``bench/bench_motore.py``). :func:`riscalda` compiles every engine
type ahead of time (``serve`` start, worker processes).
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pikepdf

from renderers.carta import CartaPagina, Fondo
from renderers.errors import RenderError
from renderers.pdf import PdfMetadata, pdfa_parts, srgb_profile
from renderers.pdfstream import PdfStreamWriter, WriterSnapshot
from renderers.stamp import CodeOptions, FontSet, NeedsFullRender, Stamper, parse_font_faces
from service.batch.moduli import StampaModulo
from service.registry import DOCUMENT_TYPES, DocumentType
from service.settings import Settings, get_settings

__all__ = ["stampabile", "modello", "emetti", "riscalda", "CONTEGGI", "NeedsFullRender"]

log = logging.getLogger(__name__)

CONTEGGI: Counter[str] = Counter()
"""Documents issued per path in this process: ``motore`` (stamped) and ``completo`` (full layout
fallback, with ``completo:<tipo>:<campo>`` naming the field that did not fit)."""

_LOCK = threading.Lock()


def stampabile(doc: DocumentType, model: Any | None = None) -> bool:
    """Whether this document goes through the engine: every document of a stampable type, and
    the blank form of any type (its blank layout is all there is to print)."""
    return doc.stampa or model is None


@dataclass(frozen=True)
class Modello:
    """One compiled (type, mode, copies) choice, ready to issue documents in this process."""

    stampa: StampaModulo
    stamper: Stamper
    """Bound to the snapshot's writer; cloned per document (:func:`emetti`)."""
    forme: dict[str, tuple[str, frozenset[str]]]
    prefisso: WriterSnapshot
    icc: int
    producer: str
    """The ``/Producer`` of the WeasyPrint layout the background comes from (said by the XMP too)."""
    carte: dict[str, CartaPagina]
    """Per background page (by resource name): its blank paper, where the contrassegno may go (``renderers.carta``)."""


_MODELLI: dict[tuple[Any, ...], Modello | None] = {}
"""None: the blank layout of that choice cannot be compiled (a slot without a box): full layout."""
_FONTS: dict[str, FontSet] = {}


def _fonts(settings: Settings) -> FontSet:
    css = settings.templates_dir / "_base" / "fonts.css"
    fonts = _FONTS.get(str(css))
    if fonts is None:
        fonts = _FONTS[str(css)] = FontSet(parse_font_faces(css.read_text(encoding="utf-8"), css.parent))
    return fonts


def modello(doc: DocumentType, modo: str, holders: tuple[str, ...], settings: Settings, *,
            vuoto: bool = False, variante: tuple[tuple[str, Any], ...] = ()) -> Modello:
    """The compiled blank layout of ``doc`` for ``modo`` and ``holders``, warm in memory per process;
    ``vuoto``: the blank form for handwriting rather than the background of filled documents;
    ``variante``: template variables of a blank layout with more printed rows (``variante_stampa``).
    ``NeedsFullRender`` when it cannot be used as a stamp template."""
    key = (doc.code, modo, holders, vuoto, variante, str(settings.templates_dir), str(settings.fonts_dir),
           str(settings.stampa_cache_dir))
    if key not in _MODELLI:
        with _LOCK:
            if key not in _MODELLI:
                try:
                    _MODELLI[key] = _compila(doc, modo, holders, settings, vuoto, dict(variante))
                except RenderError as exc:
                    if doc.stampa and not vuoto:
                        raise
                    log.info("%s: modello di stampa non compilabile (%s), impaginazione completa", doc.code, exc)
                    _MODELLI[key] = None
    found = _MODELLI[key]
    if found is None:
        raise NeedsFullRender("", "modello")
    return found


def _compila(doc: DocumentType, modo: str, holders: tuple[str, ...], settings: Settings, vuoto: bool,
             variante: dict[str, Any]) -> Modello:
    stampa = StampaModulo(doc, modo, settings, holders, vuoto=vuoto, variante=variante)
    fonts = _fonts(settings)
    out = io.BytesIO()
    writer = PdfStreamWriter(out, print_scaling_none=False)
    stamper, forme = stampa.stamper(writer, fonts, CodeOptions())
    compiled = stamper.compiled
    with pikepdf.open(io.BytesIO(compiled.background)) as bg:
        producer = str(bg.docinfo.get("/Producer", "WeasyPrint"))
        writer.import_pages(bg, [stamper.background_name(i) for i in range(len(compiled.pages))])
    for page in compiled.pages:  # every face a text slot may use, embedded once in the prefix
        for slot in page.slots:
            if slot.kind == "text":
                face = fonts.face(slot.font_family, slot.font_weight, slot.font_style)
                if not writer.has_resource(face.resource):
                    face.embed(writer)
    icc = srgb_profile(writer)
    carte = {stamper.background_name(i): CartaPagina(p.width, p.height, (Fondo(compiled.key, i, pdf=compiled.background),),
                                                     tuple((s.x, s.y, s.width, s.height) for s in p.slots))
             for i, p in enumerate(compiled.pages)}
    return Modello(stampa, stamper, forme, writer.snapshot(), icc, producer, carte)


def emetti(doc: DocumentType, model: Any | None, modo: str, holders: tuple[str, ...], *,
           metadata: PdfMetadata, dati: Any | None, settings: Settings | None = None,
           carta: list[CartaPagina] | None = None, ora: datetime | None = None) -> bytes:
    """The document's PDF/A-3b (``dati.json`` attached when ``dati`` is given), stamped on the
    compiled blank layout; ``model=None`` is the blank form. ``NeedsFullRender`` when a value
    cannot be stamped: the caller lays it out in full (and counts it, :func:`conta_completo`).
    ``carta``: gets each page's kind (its blank paper, for the contrassegno)."""
    variante = doc.variante_stampa(model) if (model is not None and doc.variante_stampa) else {}
    m = modello(doc, modo, holders, settings or get_settings(), vuoto=model is None,
                variante=tuple(sorted(variante.items())))
    now = ora or datetime.now(timezone.utc)
    out = io.BytesIO()
    file_id = hashlib.sha256(repr((doc.code, modo, holders, dati, now.isoformat())).encode()).digest()[:16]
    writer = PdfStreamWriter.resume(m.prefisso, out, print_scaling_none=False, file_id=file_id)
    stamper = copy.copy(m.stamper)  # shares the compiled template; only the writer is this document's
    stamper.writer = writer
    if model is None:
        items = stamper.stamp_all({})
    else:
        items = m.stampa.items(stamper, m.forme, model)
    for item in items:
        writer.add_page(item.width, item.height, [item.at(0, 0)], resources=item.fonts)
    if carta is not None:
        carta.extend(m.carte[item.placement_xobject] for item in items)
    catalog, info = pdfa_parts(writer, metadata, dati, icc=m.icc, producer=m.producer, now=now)
    writer.close(catalog_extra=catalog, info=info)
    CONTEGGI["motore"] += 1
    return out.getvalue()


def conta_completo(doc: DocumentType, exc: NeedsFullRender) -> None:
    """Count and log a document laid out in full because a value did not fit its box."""
    CONTEGGI["completo"] += 1
    CONTEGGI[f"completo:{doc.code}:{exc.campo}"] += 1
    log.info("%s: impaginazione completa (campo %s: %s)", doc.code, exc.campo, exc.reason)


def riscalda(settings: Settings | None = None, *, modi: tuple[str, ...] | None = None) -> int:
    """Compile every engine type (all its copies) for each mode now, not at the first request;
    the number of layouts made ready. For ``serve`` start and each worker process."""
    from service.produce import MODI

    settings = settings or get_settings()
    n = 0
    for doc in DOCUMENT_TYPES.values():
        if doc.stampa:
            for modo in modi or MODI:
                modello(doc, modo, doc.copies or ("",), settings)
                n += 1
    return n
