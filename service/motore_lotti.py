"""The compile-once engine for office paper issued one at a time: letters, targhe, etichette, CAIT.

``service.motore`` stamps forms on their blank layout; the documents here are laid out from one or
more *variants* instead — the layouts the batch kinds compile (``service.batch.tipi``: one avviso
per Ente and variant, one targa per Ente, a sheet of etichette, a table's fixed part and its row
block). A registered type names its engine in ``DocumentType.motore`` (a :class:`MotoreTipo`);
:func:`service.produce.produci` asks it before laying the document out in full. The CAIT paper
with tables (one page or more) has its own :class:`MotoreTipo` in ``service.motore_tabella``.

Per document the type's :meth:`MotoreTipo.piano` says which variants it needs (each one's template
context with every slot empty) and how its pages are drawn from them. Each variant is compiled by
WeasyPrint once per process (``renderers.stamp.compile_template``, also cached on disk by content
hash, shared with the batch jobs), and each *set* of variants a document uses is written once into
a :class:`~renderers.pdfstream.WriterSnapshot` (backgrounds, fonts, sRGB profile). Per document the
file resumes from those bytes and adds only the stamped pages, the XMP packet, the output intent and
``dati.json`` (``renderers.pdf.pdfa_parts``), as ``service.motore`` does for the forms.

A value that does not fit its slot (or a record with more rows than the layout has slots) raises
``NeedsFullRender``: the caller lays that document out in full, counts it and logs it
(``service.motore.conta_completo``).
"""

from __future__ import annotations

import copy
import hashlib
import io
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf

from renderers.carta import CartaPagina, Fondo
from renderers.html import render_html
from renderers.pdfstream import Placement, PdfStreamWriter, WriterSnapshot
from renderers.stamp import (
    CodeOptions,
    CompiledPage,
    CompiledTemplate,
    FontSet,
    Item,
    NeedsFullRender,
    Slot,
    Stamper,
    compile_template,
    parse_font_faces,
)
from service.settings import Settings, get_settings

if TYPE_CHECKING:
    from renderers.pdf import PdfMetadata

__all__ = ["Variante", "Pagina", "Piano", "MotoreTipo", "MotoreLotto", "compilato", "pagine_semplici", "pagine", "sagome",
           "NeedsFullRender", "CONTEGGI"]

CONTEGGI: dict[str, int] = {}
"""Documents stamped per type in this process (the fallbacks are counted by ``service.motore``)."""


@dataclass(frozen=True)
class Variante:
    """One layout a document is stamped on: a template laid out with every slot empty."""

    chiave: tuple[Any, ...]
    """What makes this layout differ from the type's others (Ente, letter kind, rows per page…):
    with the mode and the settings, the key of the compiled layout in this process."""
    template: str
    """Template page, e.g. ``avviso_ispezione/documento.html.j2``."""
    titolo: str
    contesto: Callable[[], Mapping[str, Any]]
    """The template context (``calcoli``, ``copie``…), values absent; called only to compile."""


@dataclass(frozen=True)
class Pagina:
    """One output page: stamped items placed on it (an item at (0, 0) is a whole page)."""

    width: float
    height: float
    posti: tuple[tuple[Item, float, float], ...]
    sagoma: tuple[Slot, ...] | None = None
    """Where the values are drawn on this page, when its items are bands of a layout (tables)."""


Disegna = Callable[[Callable[[tuple[Any, ...]], Stamper]], list[Pagina]]


@dataclass(frozen=True)
class Piano:
    """The variants a document needs and how its pages are drawn from their stampers."""

    varianti: tuple[Variante, ...]
    disegna: Disegna
    codici: CodeOptions = field(default_factory=CodeOptions)


def pagine_semplici(items: list[Item]) -> list[Pagina]:
    """Each item a page of its own."""
    return [Pagina(i.width, i.height, ((i, 0.0, 0.0),)) for i in items]


@dataclass(frozen=True)
class _Prefisso:
    snapshot: WriterSnapshot
    stampers: dict[tuple[Any, ...], Stamper]
    icc: int
    producer: str
    fondi: dict[str, tuple[CompiledTemplate, int]] = field(default_factory=dict)
    """Background resource name → (compiled layout, page): for each page's blank paper (:func:`carta_di`)."""


_LOCK = threading.Lock()
_COMPILATI: dict[tuple[Any, ...], CompiledTemplate] = {}
_PREFISSI: dict[tuple[Any, ...], _Prefisso] = {}
_MAX_PREFISSI = 128
"""Sets of variants kept warm (each holds its backgrounds' bytes); the oldest go first."""


@lru_cache(maxsize=4)
def _fonts(templates_dir: str) -> FontSet:
    css = Path(templates_dir) / "_base" / "fonts.css"
    return FontSet(parse_font_faces(css.read_text(encoding="utf-8"), css.parent))


def _chiave_settings(settings: Settings) -> tuple[str, ...]:
    return (str(settings.templates_dir), str(settings.fonts_dir), str(settings.stampa_cache_dir),
            str(settings.enti_file), str(settings.personalizzazioni_file), str(settings.targhe_url_verifica))


def compilato(v: Variante, modo: str, settings: Settings) -> CompiledTemplate:
    """The compiled layout of ``v`` in ``modo``: warm per process, on disk by content hash."""
    key = (v.chiave, v.template, modo, *_chiave_settings(settings))
    found = _COMPILATI.get(key)
    if found is None:
        context = {"d": None, "modo": modo, "vuoto": False, "titolo": v.titolo, **v.contesto()}
        html = render_html(settings.templates_dir, v.template, context, cache=settings.stampa_cache_dir)
        found = _COMPILATI[key] = compile_template(
            html, base_dir=settings.templates_dir / Path(v.template).parent,
            asset_roots=(settings.templates_dir, settings.fonts_dir), cache_dir=settings.stampa_cache_dir)
    return found


def _prefisso(piano: Piano, modo: str, settings: Settings) -> _Prefisso:
    key = (tuple((v.chiave, v.template) for v in piano.varianti), piano.codici, modo, *_chiave_settings(settings))
    found = _PREFISSI.get(key)
    if found is not None:
        return found
    with _LOCK:
        found = _PREFISSI.get(key)
        if found is not None:
            return found
        fonts = _fonts(str(settings.templates_dir))
        writer = PdfStreamWriter(io.BytesIO(), print_scaling_none=False)
        stampers: dict[tuple[Any, ...], Stamper] = {}
        producer = ""
        for v in piano.varianti:
            compiled = compilato(v, modo, settings)
            stamper = stampers[v.chiave] = Stamper(compiled, fonts, writer, codes=piano.codici)
            names = [stamper.background_name(i) for i in range(len(compiled.pages))]
            if all(writer.has_resource(n) for n in names):
                continue  # two variants with the same layout share one background
            with pikepdf.open(io.BytesIO(compiled.background)) as bg:
                producer = producer or str(bg.docinfo.get("/Producer", "WeasyPrint"))
                writer.import_pages(bg, names)
            facce = {f.resource: f for f in (fonts.face(s.font_family, s.font_weight, s.font_style)
                                             for page in compiled.pages for s in page.slots if s.kind == "text")}
            for face in facce.values():  # every face a text slot may use, embedded once in the prefix
                if not writer.has_resource(face.resource):
                    face.embed(writer)
        from renderers.pdf import srgb_profile  # WeasyPrint's: not at import (the registry imports this module)

        icc = srgb_profile(writer)
        fondi = {s.background_name(i): (s.compiled, i) for s in stampers.values() for i in range(len(s.compiled.pages))}
        found = _Prefisso(writer.snapshot(), stampers, icc, producer or "WeasyPrint", fondi)
        if len(_PREFISSI) >= _MAX_PREFISSI:
            _PREFISSI.pop(next(iter(_PREFISSI)))
        _PREFISSI[key] = found
    return found


class MotoreTipo(ABC):
    """How one registered type is stamped; subclasses say which layouts and which values."""

    @abstractmethod
    def piano(self, model: Any, modo: str, settings: Settings, holders: tuple[str, ...]) -> Piano:
        """Variants and drawing of one validated record in the copies ``holders``; ``NeedsFullRender``
        when it cannot be stamped (more rows than the layout has, a value too long for its slot)."""

    def emetti(self, doc: Any, model: Any, modo: str, holders: tuple[str, ...], *, metadata: PdfMetadata,
               dati: Any | None, settings: Settings | None = None, carta: list[CartaPagina] | None = None,
               ora: datetime | None = None) -> bytes:
        """The document's PDF/A-3b (``dati.json`` attached when ``dati`` is given); ``carta`` gets each
        page's kind (its blank paper, for the contrassegno); ``ora``: its creation time (default now)."""
        from renderers.pdf import pdfa_parts

        settings = settings or get_settings()
        piano = self.piano(model, modo, settings, holders)
        prefisso = _prefisso(piano, modo, settings)
        now = ora or datetime.now(timezone.utc)
        out = io.BytesIO()
        file_id = hashlib.sha256(repr((doc.code, modo, holders, dati, now.isoformat())).encode()).digest()[:16]
        writer = PdfStreamWriter.resume(prefisso.snapshot, out, print_scaling_none=False, file_id=file_id)
        legati: dict[tuple[Any, ...], Stamper] = {}

        def stamper(chiave: tuple[Any, ...]) -> Stamper:
            s = legati.get(chiave)
            if s is None:
                s = legati[chiave] = copy.copy(prefisso.stampers[chiave])  # the compiled layout is shared
                s.writer = writer
            return s

        for p in piano.disegna(stamper):
            fonts = frozenset().union(*(item.fonts for item, _, _ in p.posti))
            writer.add_page(p.width, p.height, [Placement(x, y, item.placement_xobject, item.ops)
                                                for item, x, y in p.posti], resources=fonts)
            if carta is not None:
                carta.append(carta_di(p, prefisso.fondi))
        catalog, info = pdfa_parts(writer, metadata, dati, icc=prefisso.icc, producer=prefisso.producer, now=now)
        writer.close(catalog_extra=catalog, info=info)
        from service import motore

        motore.CONTEGGI["motore"] += 1
        CONTEGGI[doc.code] = CONTEGGI.get(doc.code, 0) + 1
        return out.getvalue()


class _Cattura:
    """Stands for the batch session (``service.stampa_fogli.SessioneStampa``) while a batch kind's
    ``items`` runs on one record: it notes which layout variant and which slot values the record
    is stamped with, exactly as in a batch (the same code decides both)."""

    def __init__(self) -> None:
        self.stampe: list[tuple[str, Callable[[], Mapping[str, Any]], Mapping[str, Any]]] = []

    def items(self, variante: str, contesto: Callable[[], Mapping[str, Any]], valori: Mapping[str, Any],
              _contesto_completo: Any, _chiave: str) -> list[Item]:
        self.stampe.append((variante, contesto, valori))
        return []

    def items_completi(self, *_args: Any) -> list[Item]:
        raise NeedsFullRender("elenco", "overflow")  # more rows than the letter has slots


class MotoreLotto(MotoreTipo):
    """A type stamped as the batch kind ``lotto`` stamps its records (avvisi, esiti, targhe):
    same variants, same values, so a document issued alone has the pages of a batch of one.

    ``records``: the batch records of one document (default: the model itself); ``per_copia``:
    the pages go copy by copy (all first copies, then all second ones), as the full layout of a
    multi-copy template prints them."""

    def __init__(self, lotto: str, *, records: Callable[[Any], list[dict[str, Any]]] | None = None,
                 per_copia: tuple[str, ...] = ()) -> None:
        self.lotto = lotto
        self.records = records or (lambda m: [m.model_dump(mode="json")])
        self.per_copia = per_copia
        """The copies of a record's pages, when the document prints them copy by copy."""

    def piano(self, model: Any, modo: str, settings: Settings, holders: tuple[str, ...] = ("",)) -> Piano:
        from service.batch.base import Contesto
        from service.batch.tipi import tipo_lotto

        tipo = tipo_lotto(self.lotto)
        cattura = _Cattura()
        ctx = Contesto(settings, {})
        for rec in self.records(model):
            tipo.items(cattura, rec, ctx)
        varianti: dict[str, Variante] = {}
        for variante, contesto, _ in cattura.stampe:
            if variante not in varianti:
                varianti[variante] = Variante((self.lotto, variante), str(tipo.template), tipo.titolo, contesto)
        stampe = [((self.lotto, variante), valori) for variante, _, valori in cattura.stampe]
        copie = [c for c, h in enumerate(self.per_copia) if h in holders]

        def disegna(stamper: Callable[[tuple[Any, ...]], Stamper]) -> list[Pagina]:
            gruppi = [stamper(chiave).stamp_all(valori) for chiave, valori in stampe]
            if copie:
                return pagine_semplici([g[c] for c in copie for g in gruppi if c < len(g)])
            return pagine_semplici([item for g in gruppi for item in g])

        return Piano(tuple(varianti.values()), disegna)


def carta_di(p: Pagina, fondi: Mapping[str, tuple[CompiledTemplate, int]]) -> CartaPagina:
    """The kind of page ``p``: its backgrounds where they are drawn and every box a value may be drawn in."""
    posti = []
    riquadri: list[tuple[float, float, float, float]] = []
    for item, x, y in p.posti:
        compiled, i = fondi[item.placement_xobject]
        posti.append(Fondo(compiled.key, i, x, y, pdf=compiled.background))
        if p.sagoma is None:
            riquadri.extend((s.x + x, s.y + y, s.width, s.height) for s in compiled.pages[i].slots)
    if p.sagoma is not None:
        riquadri = [(s.x, s.y, s.width, s.height) for s in p.sagoma]
    return CartaPagina(p.width, p.height, tuple(posti), tuple(riquadri))


def pagine(doc: Any, model: Any, modo: str, settings: Settings | None = None) -> list[Pagina]:
    """The stamped pages of one document, every copy (without writing a file)."""
    return _pagine(doc, model, modo, settings or get_settings())[0]


def _pagine(doc: Any, model: Any, modo: str, settings: Settings) -> tuple[list[Pagina], _Prefisso]:
    piano = doc.motore.piano(model, modo, settings, doc.copies or ("",))
    prefisso = _prefisso(piano, modo, settings)
    return piano.disegna(lambda chiave: copy.copy(prefisso.stampers[chiave])), prefisso


def sagome(doc: Any, model: Any, modo: str, settings: Settings | None = None) -> list[CompiledPage]:
    """Page by page, where the engine draws the document's values: every slot of the items placed
    on the page, at its place on the page (the per-slot equivalence tests compare these boxes)."""
    fogli, prefisso = _pagine(doc, model, modo, settings or get_settings())
    dove: dict[str, CompiledPage] = {}
    for stamper in prefisso.stampers.values():
        for i, page in enumerate(stamper.compiled.pages):
            dove[stamper.background_name(i)] = page
    out = []
    for p in fogli:
        if p.sagoma is not None:
            out.append(CompiledPage(p.width, p.height, p.sagoma))
            continue
        slots = tuple(replace(s, x=s.x + x, y=s.y + y) for item, x, y in p.posti
                      for s in dove[item.placement_xobject].slots)
        out.append(CompiledPage(p.width, p.height, slots))
    return out
