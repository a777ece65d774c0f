"""Label sheets: the generic machinery that stamps records onto sheets of label stock, streamed to a PDF.

:class:`SessioneStampa` is one output file: its writer, a stamper per compiled layout variant
(fonts, compile cache) and the WeasyPrint fallback for a record whose text cannot be stamped
(counted in :attr:`EsitoStampa.impaginazioni_complete`). ``service/targhe.py``,
``service/etichette_stampa.py`` and the batch jobs (``service/batch/blocchi.py``) share it.

:func:`stampa_lavoro` runs a :class:`LavoroStampa` (targhe, etichette) on one or more
processes. With N processes the labels are cut into blocks of whole sheets; each worker
stamps and imposes its blocks into compressed page contents (``PageCollector``) and the
parent writes them in order into the one streamed PDF. Resources (backgrounds, fonts,
fallback layouts) are written before the first page that shows them and are named after
their content, so the file is byte-identical whatever the number of processes.
"""

from __future__ import annotations

import multiprocessing
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from renderers.html import render_html
from renderers.errors import RenderError
from renderers.impose import CellPosition, Imposer, get_profile
from renderers.pdfstream import PageCollector, PageData, PdfStreamWriter
from renderers.stamp import CodeOptions, FontSet, Item, NeedsFullRender, Stamper, compile_template, parse_font_faces
from service.settings import Settings

__all__ = [
    "EsitoStampa",
    "SessioneStampa",
    "LavoroStampa",
    "stampa_lavoro",
    "OpzioniFoglio",
    "FOGLI_PER_BLOCCO",
]


@dataclass(frozen=True)
class OpzioniFoglio:
    """How labels go on the stock (CLI ``--foglio --inizio --offset-x --offset-y --prova``)."""

    foglio: str = "A4-2x5"
    inizio: int = 1
    """First label position used on the first sheet (1 = top-left)."""
    offset_x: float = 0.0
    """Printer calibration, mm (positive: right)."""
    offset_y: float = 0.0
    """Printer calibration, mm (positive: down)."""
    prova: bool = False
    """Draw label outlines and crop marks."""


@dataclass
class EsitoStampa:
    """What a run produced: counts, fallbacks and (on request) every label position."""

    etichette: int = 0
    fogli: int = 0
    impaginazioni_complete: list[str] = field(default_factory=list)
    """Records laid out by WeasyPrint because their text could not be stamped."""
    posizioni: list[CellPosition] | None = None


@lru_cache(maxsize=4)
def _font_set(templates_dir: str, fonts_dir: str) -> FontSet:
    css_path = Path(templates_dir) / "_base" / "fonts.css"
    return FontSet(parse_font_faces(css_path.read_text(encoding="utf-8"), css_path.parent))


class SessioneStampa:
    """One output file: writer + a stamper per compiled variant (Ente customisation…)."""

    def __init__(self, out: BinaryIO | None, *, settings: Settings, template: str, title: str,
                 codes: CodeOptions = CodeOptions(), writer: PdfStreamWriter | PageCollector | None = None,
                 file_id: bytes | None = None) -> None:
        self.settings = settings
        self.template = template
        self.title = title
        self.writer = writer if writer is not None else PdfStreamWriter(out, title=title, file_id=file_id)
        """The output (``out``), or the given writer or page collector (``out`` is then unused)."""
        self.fonts = _font_set(str(settings.templates_dir), str(settings.fonts_dir))
        self.codes = codes
        self._stampers: dict[str, Stamper] = {}
        self.complete: list[str] = []

    def _html(self, context: Mapping[str, Any]) -> str:
        base = {"d": None, "modo": "normalizzato", "vuoto": False, "titolo": self.title}
        return render_html(self.settings.templates_dir, self.template, {**base, **context},
                           cache=self.settings.stampa_cache_dir)

    @property
    def _assets(self) -> tuple[Path, Path]:
        return (self.settings.templates_dir, self.settings.fonts_dir)

    def stamper(self, variante: str, context: Callable[[], Mapping[str, Any]]) -> Stamper:
        """The stamper of ``variante``, compiling (or loading from cache) its template once."""
        if variante not in self._stampers:
            compiled = compile_template(
                self._html(context()), base_dir=self.settings.templates_dir / Path(self.template).parent,
                asset_roots=self._assets, cache_dir=self.settings.stampa_cache_dir)
            self._stampers[variante] = Stamper(compiled, self.fonts, self.writer, codes=self.codes)
        return self._stampers[variante]

    def items(self, variante: str, context: Callable[[], Mapping[str, Any]], valori: Mapping[str, Any],
              full_context: Callable[[], Mapping[str, Any]], chiave: str) -> list[Item]:
        """Every page of one record: stamped, or laid out in full when a value does not fit."""
        stamper = self.stamper(variante, context)
        try:
            return stamper.stamp_all(valori)
        except NeedsFullRender:
            self.complete.append(chiave)
            return stamper.full_items(
                self._html(full_context()), base_dir=self.settings.templates_dir / Path(self.template).parent,
                asset_roots=self._assets, values=valori)

    @property
    def stampers(self) -> list[Stamper]:
        """The stampers of the variants compiled so far (their compiled layouts: page kinds, slot boxes)."""
        return list(self._stampers.values())

    def close(self) -> None:
        for s in self._stampers.values():
            s.close()
        if isinstance(self.writer, PdfStreamWriter):
            self.writer.close()


# --- one job on one or more processes --------------------------------------------------------

class LavoroStampa(ABC):
    """What one print run stamps: records → items, and how they go on the stock.

    Subclasses keep only picklable inputs (settings, validated records, options) so that a
    run can be handed to worker processes; per-process lookups are built lazily."""

    template: str
    title: str

    def __init__(self, settings: Settings, opzioni: OpzioniFoglio, codes: CodeOptions) -> None:
        self.settings = settings
        self.opzioni = opzioni
        self.codes = codes

    @abstractmethod
    def __len__(self) -> int:
        """Number of records."""

    @abstractmethod
    def items(self, sessione: SessioneStampa, indice: int) -> list[Item]:
        """The labels of record ``indice`` (stamped, or laid out in full and counted)."""

    def sessione(self, out: BinaryIO | None = None, *, writer: PdfStreamWriter | PageCollector | None = None,
                 file_id: bytes | None = None) -> SessioneStampa:
        return SessioneStampa(out, settings=self.settings, template=self.template, title=self.title,
                              codes=self.codes, writer=writer, file_id=file_id)


@dataclass(frozen=True)
class _Blocco:
    """Labels [primo, fine) of the run (global label indexes), starting on sheet ``foglio``."""

    primo: int
    fine: int
    cella: int
    """Cell (0-based) of label ``primo`` on its sheet."""
    foglio: int


@dataclass
class _Parziale:
    pagine: list[PageData]
    etichette: int
    complete: list[str]
    posizioni: list[CellPosition] | None


def _blocchi(n_etichette: int, per_foglio: int, inizio: int, fogli: int) -> list[_Blocco]:
    """Cut ``n_etichette`` labels into runs of ``fogli`` whole sheets (the first starts at ``inizio``)."""
    out, primo, foglio = [], 0, 1
    cella = inizio - 1
    while primo < n_etichette or not out:
        fine = min(n_etichette, primo + fogli * per_foglio - cella)
        out.append(_Blocco(primo, fine, cella, foglio))
        foglio += fogli
        primo, cella = fine, 0
    return out


def _stampa_blocco(lavoro: LavoroStampa, sessione: SessioneStampa, blocco: _Blocco, per_record: int | None,
                   registra: bool) -> EsitoStampa:
    """Stamp and impose the labels of ``blocco`` through ``sessione``'s writer or collector.

    ``per_record`` (labels per record) is given when the run is cut in blocks: a record may
    then straddle two blocks (each draws its own labels), and must have exactly that many."""
    o = lavoro.opzioni
    imposer = Imposer(sessione.writer, get_profile(o.foglio), inizio=blocco.cella + 1, offset_x=o.offset_x,
                      offset_y=o.offset_y, prova=o.prova, registra=registra, foglio=blocco.foglio)
    esito = EsitoStampa()
    if per_record is None:
        for indice in range(len(lavoro)):
            items = lavoro.items(sessione, indice)
            imposer.place_all(items)
            esito.etichette += len(items)
    else:
        primo_record, fine_record = blocco.primo // per_record, -(-blocco.fine // per_record)
        for indice in range(primo_record, fine_record):
            conteggio = len(sessione.complete)
            items = lavoro.items(sessione, indice)
            if len(items) != per_record:
                raise RenderError("Il modello di stampa ha prodotto un numero di pagine inatteso.") from ValueError(
                    f"record {indice}: {len(items)} != {per_record}")
            if indice * per_record < blocco.primo:  # its first labels belong to the previous block
                del sessione.complete[conteggio:]
            start = max(blocco.primo - indice * per_record, 0)
            stop = min(blocco.fine - indice * per_record, per_record)
            imposer.place_all(items[start:stop])
            esito.etichette += stop - start
    imposer.finish()
    esito.impaginazioni_complete = list(sessione.complete)
    sessione.complete.clear()
    esito.posizioni = imposer.positions
    return esito


_WORKER: dict[str, Any] = {}
"""Per worker process: the job, its session (compiled templates, fonts) and its page collector."""


def _avvia_worker(lavoro: LavoroStampa, per_record: int, registra: bool) -> None:
    collector = PageCollector()
    _WORKER.clear()
    _WORKER.update(lavoro=lavoro, per_record=per_record, registra=registra, collector=collector,
                   sessione=lavoro.sessione(writer=collector))


def _esegui_blocco(blocco: _Blocco) -> _Parziale:
    w = _WORKER
    esito = _stampa_blocco(w["lavoro"], w["sessione"], blocco, w["per_record"], w["registra"])
    pagine, w["collector"].pages = w["collector"].pages, []
    return _Parziale(pagine, esito.etichette, esito.impaginazioni_complete, esito.posizioni)


FOGLI_PER_BLOCCO = 20
"""Sheets per block of a multi-process run: small enough to balance two workers and keep
memory flat, large enough that a block's hand-over costs little next to its stamping."""


def stampa_lavoro(lavoro: LavoroStampa, out: BinaryIO, *, processi: int = 1, registra: bool = False,
                  file_id: bytes | None = None, fogli_per_blocco: int = FOGLI_PER_BLOCCO) -> EsitoStampa:
    """Print ``lavoro`` to ``out`` with ``processi`` worker processes (1 = in this process).

    The bytes written do not depend on ``processi``; ``file_id`` becomes the PDF's ``/ID``."""
    profile = get_profile(lavoro.opzioni.foglio)
    blocchi: list[_Blocco] = []
    if processi > 1 and len(lavoro):
        per_record = len(lavoro.items(lavoro.sessione(writer=PageCollector()), 0))  # also warms the compile cache
        blocchi = _blocchi(len(lavoro) * per_record, profile.per_sheet, lavoro.opzioni.inizio, fogli_per_blocco)
    if len(blocchi) <= 1:
        sessione = lavoro.sessione(out, file_id=file_id)
        esito = _stampa_blocco(lavoro, sessione, _Blocco(0, 0, lavoro.opzioni.inizio - 1, 1), None, registra)
        sessione.close()
        esito.fogli = sessione.writer.page_count
        return esito
    writer = PdfStreamWriter(out, title=lavoro.title, file_id=file_id)
    esito = EsitoStampa(posizioni=[] if registra else None)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(processi, mp_context=context, initializer=_avvia_worker,
                             initargs=(lavoro, per_record, registra)) as pool:
        pending: deque[Future[_Parziale]] = deque()
        coda = iter(blocchi)
        for blocco in coda:  # a bounded window: memory stays flat whatever the run's size
            pending.append(pool.submit(_esegui_blocco, blocco))
            if len(pending) >= 2 * processi + 1:
                break
        while pending:
            parziale = pending.popleft().result()
            for blocco in coda:
                pending.append(pool.submit(_esegui_blocco, blocco))
                break
            for page in parziale.pagine:
                writer.add_page_data(page)
            esito.etichette += parziale.etichette
            esito.impaginazioni_complete += parziale.complete
            if esito.posizioni is not None and parziale.posizioni is not None:
                esito.posizioni += parziale.posizioni
    writer.close()
    esito.fogli = writer.page_count
    return esito
