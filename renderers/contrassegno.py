"""Draw the contrassegno (a seal's QR code + a one-line Italian legend) on every page of a PDF.

The overlay is an *incremental update*: the bytes of the PDF as rendered stay untouched at the
start of the file (the seal's hash covers exactly them), then one new revision adds, to every
page, a content stream drawing the code where the page has room for it. The page content is
never moved or scaled (the forms keep their 1:1 geometry: the etichetta matrice still fits its
box). Where the code goes (:func:`posti`): along each edge of the page, on a grid of 2 pt cells
(36 dpi), the depth of blank paper between the edge and the first drawn mark, column by column (row
by row for the side edges), ``renderers.carta``: from the engine's page kind when the document was
stamped on a compiled layout (known once per process, nothing rasterised), else from the page
rasterised with ``pdftoppm``. A block (QR square + legend) is placed against an edge, at least :data:`BORDO`
from it, only where the blank paper reaches from that edge to beyond the block plus
:data:`DISTACCO` of clearance: the code lands in a margin or an open blank area, never inside a
drawn frame (a field left blank for handwriting, a signature box). Bottom edge first, rightmost
first; then top, right, left; legend beside the code on one line, else rotated along it, else
wrapped into a column of lines :data:`COLONNA` wide beside it (a block as tall as the code: what a
template's reserved band or corner holds).

A page with no such room gets the old layout (content scaled into the area above a bottom strip):
counted in :attr:`Esito.ridotte`, and logged by the caller. The legend font is DejaVu Sans,
embedded as a subset (pyHanko's OpenType engine, a Type0/CIDFontType2 font with ToUnicode; subset
once per process, :func:`_carattere`): a sealed file stays PDF/A-3b.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import PdfFileWriter

from renderers.barcode import QR_QUIET, qr_matrix, qr_ops
from renderers.carta import PASSO, CartaPagina, profili_pdf, profilo
from renderers.errors import RenderError
from renderers.firma_stile import FontInMemoria
from renderers.sign_pdfa import ScrittorePdfA

__all__ = ["MODULO", "MODULO_MINIMO", "MODULO_ESTREMO", "BORDO", "DISTACCO", "STRISCIA", "Posto", "Esito", "posti", "disegna_contrassegno"]

MODULO = 1.15
"""Side of one QR module in points (0.406 mm, 2.4 px at 150 dpi: the least that zbar reads from a
150 dpi scan rotated 2°; 0.35 mm read only at 300 dpi; measured, docs/parts/contrassegno.md)."""
MODULO_MINIMO = 0.9
"""Module of the smaller code drawn where the page has no room for the usual one (0.318 mm, 1.9 px at
150 dpi: zxing-cpp, what ``verifica-stampa`` reads with, decodes it from a 150 dpi scan rotated 2°;
zbar needs 300 dpi; measured, docs/parts/contrassegno.md)."""
MODULO_ESTREMO = 0.85
"""Least module of the smaller code (0.300 mm, 1.8 px at 150 dpi: zxing-cpp reads it from a 150 dpi
scan rotated 2°: 30 seals of 30 on an Allegato A back, 29 of 30 in a G front's corner; at 0.9 pt 30 of 30
there; docs/parts/contrassegno.md). Last resort, where a seal
one QR version larger (a file over 64 KB) has no room at :data:`MODULO_MINIMO`: the smaller code drawn
no larger than a version 10 one, down to this module (an Allegato A back)."""
_LATO_PICCOLO = (57 + 8) * MODULO_MINIMO
"""Side of the smaller code of a version 10 QR (57 modules and the quiet zone): 20.6 mm."""
BORDO = 14.0
"""Least distance of the block from the page edge, in points (5 mm: what office printers print)."""
DISTACCO = 4.0
"""Least blank clearance between the block and anything drawn on the page, in points."""
STRISCIA = 62.0
"""Fallback only: height freed at the bottom of a page with no room, its content scaled above it."""
COLONNA = 118.0
"""Width of the legend's column of lines in the compact block (the code + 42 mm: the room a template
reserves for it, docs/parts/contrassegno.md)."""
_CORPO = 5.5
_INTERLINEA = 7.0
_PASSO = PASSO  # points per raster cell (36 dpi)


@dataclass(frozen=True)
class Posto:
    """Where the block goes on one page: its box in points from the page's lower-left corner."""

    x: float
    y: float
    larghezza: float
    altezza: float
    lato: str
    """'basso', 'alto', 'destra', 'sinistra': the edge it stands against."""
    verticale: bool
    """The legend runs along the code, rotated 90°, instead of beside it."""
    colonna: bool = False
    """The legend is wrapped into a column of lines beside the code (a block as tall as the code)."""
    piccolo: bool = False
    """The smaller code (:data:`MODULO_MINIMO`): the page had no room for the usual one."""
    estremo: bool = False
    """The smaller code at its least (down to :data:`MODULO_ESTREMO`): no room for :data:`MODULO_MINIMO`."""


@dataclass
class Esito:
    """The sealed PDF and, per page, where the code went (None: no room, content scaled)."""

    pdf: bytes
    posti: list[Posto | None] = field(default_factory=list)

    @property
    def ridotte(self) -> list[int]:
        """1-based numbers of the pages that had no room (fallback layout)."""
        return [i + 1 for i, p in enumerate(self.posti) if p is None]


def _cerca(prof: list[int], larga: float, fondo: float, preferisci_fine: bool) -> int | None:
    """First cell index along an edge where a block ``larga`` points wide, ``fondo`` deep fits."""
    n = len(prof)
    w = int(-(-(larga + 2 * DISTACCO) // _PASSO))
    serve = (BORDO + fondo + DISTACCO) / _PASSO
    bordo = int(-(-BORDO // _PASSO))
    inizi = range(bordo - int(DISTACCO // _PASSO), n - bordo + int(DISTACCO // _PASSO) - w + 1)
    for i in (reversed(inizi) if preferisci_fine else inizi):
        if i < 0 or i + w > n:
            continue
        if min(prof[i:i + w]) >= serve:
            return i
    return None


def _forme(lato_qr: float, legenda: float, righe: int, colonna: int) -> list[tuple[float, float, bool, bool]]:
    """(width, height, legend rotated, legend in a column) of each block, in order of preference."""
    spessore = righe * (_CORPO + 1.5) + 2
    forme = [(lato_qr + 3 + legenda, lato_qr, False, False), (lato_qr + spessore, max(lato_qr, legenda), True, False)]
    if colonna:
        forme.append((lato_qr + 3 + COLONNA, max(lato_qr, colonna * _INTERLINEA), False, True))
    return forme


def _posto(prof: dict[str, list[int]], W: float, H: float, forme: Sequence[tuple[float, float, bool, bool]],
           piccolo: bool) -> Posto | None:
    for lato in ("basso", "alto", "destra", "sinistra"):
        for larga, alta, verticale, in_colonna in forme:
            orizz = lato in ("basso", "alto")
            lungo, fondo = (larga, alta) if orizz else (alta, larga)
            i = _cerca(prof[lato], lungo, fondo, preferisci_fine=True)  # rightmost; lowest on the sides
            if i is None:
                continue
            a = i * _PASSO + DISTACCO
            if lato == "basso":
                x, y = a, BORDO
            elif lato == "alto":
                x, y = a, H - BORDO - alta
            else:  # along a side: i counts from the top of the page
                x = BORDO if lato == "sinistra" else W - BORDO - larga
                y = H - a - alta
            return Posto(round(x, 2), round(y, 2), larga, alta, lato, verticale, in_colonna, piccolo)
    return None


def posti(pdf: bytes, lato_qr: float, legenda: float, righe: int, colonna: int = 0,
          minimo: float | None = None, carta: Sequence[CartaPagina] | None = None,
          estremo: float | None = None) -> list[Posto | None]:
    """Per page, where a block fits: a ``lato_qr`` square plus a legend ``legenda`` points long on
    ``righe`` lines, else (``colonna`` > 0) the legend wrapped into ``colonna`` lines :data:`COLONNA`
    wide beside the code (see the module docstring); failing that, the same blocks with a ``minimo``
    square (the smaller code), then with an ``estremo`` one (smaller still); None when the page has no room. ``carta``: the page kinds of a document
    of the compile-once engines, one per page (``renderers.carta``): their blank paper, known without
    rasterising ``pdf``."""
    # the legend's length rounded up to a few points: each document's id changes it by a fraction of a
    # point, which would make every seal's block shapes new to the page kinds' cache (_dove_carta)
    legenda = math.ceil(legenda / _GRANA) * _GRANA
    grandi = tuple(_forme(lato_qr, legenda, righe, colonna))
    piccoli = tuple(_forme(minimo, legenda, righe, colonna)) if minimo else ()
    estremi = tuple(_forme(estremo, legenda, righe, colonna)) if estremo and minimo and estremo < minimo else ()
    if carta is None:
        return [_dove(*p, grandi, piccoli, estremi) for p in profili_pdf(pdf)]
    out = [_dove_carta(c, grandi, piccoli, estremi) for c in carta]
    if None in out:  # the page kind has no room with every slot box full: this document's own page may
        letti = profili_pdf(pdf)
        out = [p if p is not None else _dove(*letti[i], grandi, piccoli, estremi) for i, p in enumerate(out)]
    return out


Forme = tuple[tuple[float, float, bool, bool], ...]
_GRANA = 6.0
"""Points the legend's length is rounded up to when a place is looked for (the block drawn is its own length)."""


def _dove(W: float, H: float, prof: dict[str, list[int]], grandi: Forme, piccoli: Forme, estremi: Forme) -> Posto | None:
    """The block's place on one page: the usual code, else the smaller one, else the smallest."""
    posto = _posto(prof, W, H, grandi, False)
    if posto is None and piccoli:
        posto = _posto(prof, W, H, piccoli, True)
    if posto is None and estremi:
        posto = _posto(prof, W, H, estremi, True)
        posto = replace(posto, estremo=True) if posto else None
    return posto


@lru_cache(maxsize=512)
def _dove_carta(carta: CartaPagina, grandi: Forme, piccoli: Forme, estremi: Forme) -> Posto | None:
    """:func:`_dove` on a page kind of the engines, kept per process: the same page kind and block shapes
    give the same place for every document (the search along the edges is a third of a sealed G's CPU)."""
    return _dove(*profilo(carta), grandi, piccoli, estremi)


@lru_cache(maxsize=4)
def _font_mille(ttf: bytes) -> bytes:
    """``ttf`` scaled to 1000 units per em (pyHanko writes the glyph widths in font units, PDF reads
    them per 1000) and without OpenType layout tables (cheaper subsetting, the legend needs none)."""
    try:
        font = TTFont(io.BytesIO(ttf))
        if font["head"].unitsPerEm != 1000:
            scale_upem(font, 1000)
        for tabella in ("GSUB", "GPOS", "GDEF", "kern", "FFTM"):
            if tabella in font:
                del font[tabella]
        out = io.BytesIO()
        font.save(out)
    except Exception as exc:  # noqa: BLE001 - any unreadable font file
        raise RenderError(f"Il carattere della legenda del contrassegno non è un TrueType leggibile: {exc}") from None
    return out.getvalue()


def _a_capo(legenda: str, larghezza: float, misura) -> list[str]:  # noqa: ANN001 - str -> width in points
    """``legenda`` in lines at most ``larghezza`` wide: broken between words, a word too long (a URL)
    after its last '/' that fits or, failing that, where it stops fitting."""
    righe: list[str] = []
    for parola in legenda.split(" "):
        if righe and misura(f"{righe[-1]} {parola}") <= larghezza:
            righe[-1] = f"{righe[-1]} {parola}"
            continue
        while misura(parola) > larghezza:
            entra = [i for i in range(1, len(parola)) if misura(parola[:i]) <= larghezza]
            taglio = max((i for i in entra if parola[i - 1] == "/"), default=entra[-1])
            righe.append(parola[:taglio])
            parola = parola[taglio:]
        righe.append(parola)
    return righe


_ESADECIMALI = frozenset("0123456789abcdef")
"""Characters of a document id (``archive.indice.nuovo_id``): always in the legend's font subset."""


@dataclass
class _Carattere:
    """The legend's font, subset once per process for a set of characters: the glyph engine that
    shapes any text of those characters, and the font's PDF objects, copied into each sealed file."""

    engine: Any
    font: generic.PdfObject
    lock: threading.Lock
    avanzi: dict[str, float] = field(default_factory=dict)
    """Advance of each character shaped alone, in points (no kerning, no ligatures)."""


@lru_cache(maxsize=8)
def _carattere(font: bytes, caratteri: frozenset[str]) -> _Carattere:
    """``font`` subset to ``caratteri`` (pyHanko's CIDFontType2 keeps the glyph ids: text shaped
    later from those characters draws with this subset). The costly part of the legend (subsetting,
    about 60 ms), done once per process instead of once per document."""
    engine = FontInMemoria(font_file="", font_size=_CORPO, dati=_font_mille(font)).create_font_engine(PdfFileWriter())
    engine.shape("".join(sorted(caratteri)))
    engine.prepare_write()
    return _Carattere(engine, engine.as_resource().get_object(), threading.Lock())


def _copia(obj: Any, writer: IncrementalPdfFileWriter, fatti: dict[int, generic.IndirectObject]) -> Any:
    """``obj`` (of another writer) with every object it refers to added to ``writer``."""
    if isinstance(obj, generic.IndirectObject):
        if obj.idnum not in fatti:
            fatti[obj.idnum] = writer.add_object(_copia(obj.get_object(), writer, fatti))
        return fatti[obj.idnum]
    if isinstance(obj, generic.StreamObject):
        voci = {k: _copia(v, writer, fatti) for k, v in obj.items()}
        return generic.StreamObject(generic.DictionaryObject(voci), encoded_data=obj.encoded_data)
    if isinstance(obj, generic.DictionaryObject):
        return generic.DictionaryObject({k: _copia(v, writer, fatti) for k, v in obj.items()})
    if isinstance(obj, generic.ArrayObject):
        return generic.ArrayObject([_copia(v, writer, fatti) for v in obj])
    return obj


def _testo_xobj(writer: IncrementalPdfFileWriter, font: bytes, riga: str
                ) -> tuple[bytes, float, list[bytes], generic.IndirectObject]:
    """The legend shaped on one line (ops, length in points) and wrapped into :data:`COLONNA` (ops per line)."""
    kit = _carattere(font, frozenset(riga) | _ESADECIMALI)
    with kit.lock:  # shaping notes the glyphs in the engine: one text at a time
        forma = kit.engine.shape(riga)
        avanzo = kit.avanzi  # no kerning, no ligatures (_font_mille): a character's advance is its own
        for c in set(riga) - avanzo.keys():
            avanzo[c] = kit.engine.shape(c).x_advance * _CORPO
        colonna = [kit.engine.shape(r).graphics_ops for r in _a_capo(riga, COLONNA, lambda t: sum(avanzo[c] for c in t))]
    return forma.graphics_ops, forma.x_advance * _CORPO, colonna, writer.add_object(_copia(kit.font, writer, {}))


def disegna_contrassegno(pdf: bytes, testo_qr: str, legenda: str, font: bytes,
                         carta: Sequence[CartaPagina] | None = None, ora: datetime | None = None) -> Esito:
    """``pdf`` + one incremental revision drawing the QR of ``testo_qr`` and the one-line
    ``legenda`` (in ``font``, TrueType, embedded as a subset) on every page, where each page has room.
    ``carta``: the page kinds the engine stamped ``pdf`` on (see :func:`posti`); None: read the pages.
    ``ora``: the update's ``/ModDate`` (the sealing time; default now)."""
    try:
        writer = ScrittorePdfA(io.BytesIO(pdf), strict=False)  # Info and XMP kept equivalent (PDF/A)
    except Exception as exc:  # noqa: BLE001 - any unreadable PDF
        raise RenderError(f"PDF non leggibile per il contrassegno: {exc}") from None
    # the update's /ID from what it adds: the same content and code give the same bytes (a batch chunk
    # printed again, service.batch.sigilli)
    writer.fissa_id(hashlib.sha256(pdf[-4096:] + testo_qr.encode()).digest()[:16])
    if ora is not None:
        writer.fissa_ora(ora)
    if carta is not None and len(carta) != int(writer.root["/Pages"]["/Count"]):
        carta = None  # not this document's pages: read them
    matrix = qr_matrix(testo_qr, error="M")
    moduli = matrix.size + 2 * QR_QUIET
    lati = {(False, False): moduli * MODULO, (True, False): moduli * MODULO_MINIMO,
            (True, True): min(moduli * MODULO_MINIMO, max(_LATO_PICCOLO, moduli * MODULO_ESTREMO))}
    glifi, lungo, colonna, font_ref = _testo_xobj(writer, font, legenda)
    trovati = posti(pdf, lati[False, False], lungo, 1, len(colonna), minimo=lati[True, False], carta=carta,
                    estremo=lati[True, True])
    risorse_font = generic.DictionaryObject({generic.NameObject("/CuritL"): font_ref})

    def blocco(verticale: bool, in_colonna: bool, piccolo: bool, estremo: bool) -> generic.IndirectObject:
        # the legend in a Form XObject of its own, baseline at y=1.5, from x=0 (font size 1 scaled by _CORPO)
        lato_qr = lati[piccolo, estremo]
        qr = b"1 g 0 0 %.2f %.2f re f 0 g\n" % (lato_qr, lato_qr) + qr_ops(matrix, 0, 0, lato_qr)
        testo = b"BT /CuritL %.2f Tf 1 0 0 1 0 1.5 Tm %s ET\n" % (_CORPO, glifi)
        if in_colonna:  # legend left of the code, its lines from the code's bottom line upwards
            w, h = lato_qr + 3 + COLONNA, max(lato_qr, len(colonna) * _INTERLINEA)
            righe = b"".join(b"BT /CuritL %.2f Tf 1 0 0 1 0 %.2f Tm %s ET\n" % (_CORPO, 1.5 + (len(colonna) - 1 - n) * _INTERLINEA, r)
                             for n, r in enumerate(colonna))
            corpo = (b"1 g 0 0 %.2f %.2f re f 0 g\n" % (w, h) + righe
                     + b"q 1 0 0 1 %.2f 0 cm\n" % (COLONNA + 3) + qr + b"Q\n")
        elif verticale:  # legend rotated 90° left of the code, reading upwards
            w, h = lato_qr + _CORPO + 3.5, max(lato_qr, lungo)
            corpo = (b"1 g 0 0 %.2f %.2f re f 0 g\n" % (w, h) + b"q 0 1 -1 0 %.2f 0 cm\n" % (_CORPO + 2) + testo + b"Q\n"
                     + b"q 1 0 0 1 %.2f 0 cm\n" % (_CORPO + 3.5) + qr + b"Q\n")
        else:  # legend left of the code, on its bottom line
            w, h = lato_qr + 3 + lungo, lato_qr
            corpo = (b"1 g 0 0 %.2f %.2f re f 0 g\n" % (w, h) + testo
                     + b"q 1 0 0 1 %.2f 0 cm\n" % (lungo + 3) + qr + b"Q\n")
        xobj = generic.StreamObject({
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): generic.ArrayObject([generic.FloatObject(v) for v in (0, 0, w, h)]),
            generic.NameObject("/Resources"): generic.DictionaryObject({generic.NameObject("/Font"): risorse_font}),
        }, stream_data=corpo)
        xobj.compress()
        return writer.add_object(xobj)

    forme: dict[tuple[bool, bool, bool, bool], generic.IndirectObject] = {}
    for i, posto in enumerate(trovati):
        page = writer.find_page_for_modification(i)[0].get_object()
        box = [float(v) for v in page["/MediaBox"]]
        forma = (posto.verticale, posto.colonna, posto.piccolo, posto.estremo) if posto else (False, False, False, False)
        if forma not in forme:
            forme[forma] = blocco(*forma)
        nome = "/CuritContrassegno" + ("V" if forma[0] else "C" if forma[1] else "") + ("E" if forma[3] else "P" if forma[2] else "")
        if posto is None:  # no room: the old layout, content scaled above a bottom strip
            k = (box[3] - box[1] - STRISCIA) / (box[3] - box[1])
            tx, ty = (box[0] + box[2]) / 2 * (1 - k), box[3] * (1 - k)
            apri = writer.add_object(generic.StreamObject(stream_data=b"q %.5f 0 0 %.5f %.3f %.3f cm\n" % (k, k, tx, ty)))
            writer.add_stream_to_page(i, apri, prepend=True)
            x, y = box[2] - 10 - (lati[False, False] + 3 + lungo), box[1] + 10
            disegno = b"Q\nq 1 0 0 1 %.2f %.2f cm %s Do Q\n" % (x, y, nome.encode())
        else:
            apri = writer.add_object(generic.StreamObject(stream_data=b"q\n"))
            writer.add_stream_to_page(i, apri, prepend=True)  # a page that leaves its state changed cannot move the code
            # a one-line block is as long as its own legend, the place was looked for with the length
            # rounded up (posti): it stands at the right end of that place, where the rightmost search put it
            scarto = 0.0 if posto.verticale or posto.colonna else max(0.0, posto.larghezza - (lati[forma[2], forma[3]] + 3 + lungo))
            disegno = b"Q\nq 1 0 0 1 %.2f %.2f cm %s Do Q\n" % (box[0] + posto.x + scarto, box[1] + posto.y, nome.encode())
        chiudi = writer.add_object(generic.StreamObject(stream_data=disegno))
        res_ref = writer.find_page_for_modification(i)[1]
        presenti = res_ref.get_object().get("/XObject", generic.DictionaryObject()) \
            if isinstance(res_ref, generic.IndirectObject) else generic.DictionaryObject()
        risorse = None if nome in presenti else generic.DictionaryObject({
            generic.NameObject("/XObject"): generic.DictionaryObject({generic.NameObject(nome): forme[forma]})})
        writer.add_stream_to_page(i, chiudi, resources=risorse)  # shared resources: merged once
    out = io.BytesIO()
    writer.write(out)
    return Esito(out.getvalue(), trovati)
