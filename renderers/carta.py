"""Blank paper of a page: how deep it reaches from each edge (where the contrassegno a stampa may go).

A page is read as a grid of cells 2 pt wide (36 dpi); a cell darker than 250/255 holds ink. Along each
edge, cell by cell, :func:`profondita` counts the blank cells between the edge and the first ink: the
*profile* that ``renderers.contrassegno`` places its block by. The ink comes from one of two sources:

* the page itself, rasterised (``pdftoppm``): :func:`profili_pdf`, for a document laid out in full;
* the page's *kind*, for a document of the compile-once engines (``service.motore``,
  ``service.motore_lotti``): a :class:`CartaPagina` names the compiled backgrounds drawn on the page
  (where) and the boxes of its slots. A value is only ever drawn inside its slot's box, so the ink of
  the backgrounds plus every slot box, filled or not, is all that any document stamped on that page
  kind can print there. Its profile (:func:`profilo`) is computed once per page kind and process, each
  background rasterised once per compiled layout: sealing such a document rasterises nothing.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from renderers.errors import RenderError

if TYPE_CHECKING:  # Pillow is imported when a page is drawn or read: not by every job that names paper
    from PIL import Image

__all__ = ["PASSO", "Fondo", "CartaPagina", "Profilo", "profondita", "profili_pdf", "profilo", "CONTEGGI"]

PASSO = 2.0
"""Points per cell (36 dpi)."""
SOGLIA = 250
"""Grey level under which a cell holds ink."""
_INCHIOSTRO = [1 if v < SOGLIA else 0 for v in range(256)]
_MARGINE_SLOT = 1.0
"""Points added around each slot box (a glyph's overhang, a rule under a filled field)."""

CONTEGGI: Counter[str] = Counter()
"""Pages whose blank paper was measured, per source: ``raster`` (the page rasterised: a document laid
out in full), ``carta`` (its page kind's profile, from the cache or computed now: ``carta:nuova``)."""

Profilo = tuple[float, float, dict[str, list[int]]]
"""Page width and height in points (of the grid), and per edge ('basso', 'alto', 'sinistra',
'destra') the blank cells from that edge, cell by cell along it (left to right; top to bottom)."""


@dataclass(frozen=True)
class Fondo:
    """One compiled background drawn on a page: page ``pagina`` of the compiled layout ``chiave``,
    its lower-left corner at (``x``, ``y``) points."""

    chiave: str
    """The compiled layout's key (a content hash): the same key, the same background."""
    pagina: int
    x: float = 0.0
    y: float = 0.0
    pdf: bytes = field(default=b"", compare=False, hash=False, repr=False)
    """The compiled layout's background PDF (rasterised once per key and process)."""


@dataclass(frozen=True)
class CartaPagina:
    """A page kind of the compile-once engines: its backgrounds and the boxes where values may be drawn."""

    larghezza: float
    altezza: float
    fondi: tuple[Fondo, ...]
    riquadri: tuple[tuple[float, float, float, float], ...]
    """(x, y, width, height) of every slot box on the page, points from its lower-left corner."""


def profondita(img: Image.Image) -> dict[str, list[int]]:
    """Per edge, per cell along it: blank cells between the edge and the first ink cell (a line
    without ink: blank through, the whole depth)."""
    from PIL import Image

    w, h = img.size
    ink = img.convert("L").point(_INCHIOSTRO)
    righe = ink.tobytes()
    colonne = ink.transpose(Image.Transpose.TRANSPOSE).tobytes()  # row x of this one is column x, top first

    def dai_bordi(dati: bytes, n: int, lungo: int) -> tuple[list[int], list[int]]:
        primo, ultimo = [], []
        for i in range(n):
            linea = dati[i * lungo:(i + 1) * lungo]
            a = linea.find(1)
            if a < 0:
                primo.append(lungo)
                ultimo.append(lungo)
            else:
                primo.append(a)
                ultimo.append(lungo - 1 - linea.rfind(1))
        return primo, ultimo

    alto, basso = dai_bordi(colonne, w, h)
    sinistra, destra = dai_bordi(righe, h, w)
    return {"basso": basso, "alto": alto, "sinistra": sinistra, "destra": destra}


def _raster(pdf: bytes) -> list[Image.Image]:
    from PIL import Image

    try:
        with tempfile.TemporaryDirectory(prefix="curit-contr-") as tmp:
            Path(tmp, "in.pdf").write_bytes(pdf)
            subprocess.run(["pdftoppm", "-r", str(72 / PASSO), "-gray", "-aa", "yes", "-aaVector", "yes",
                            str(Path(tmp, "in.pdf")), str(Path(tmp, "p"))], check=True, capture_output=True)
            out = []
            for p in sorted(Path(tmp).glob("p-*.pgm"), key=lambda q: int(q.stem.split("-")[-1])):
                with Image.open(p) as im:
                    out.append(im.convert("L").copy())
            return out
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RenderError(f"Impossibile leggere le pagine per collocare il contrassegno: {exc}") from None


def profili_pdf(pdf: bytes) -> list[Profilo]:
    """The profile of every page of ``pdf``, rasterised now."""
    out = []
    for img in _raster(pdf):
        out.append((img.size[0] * PASSO, img.size[1] * PASSO, profondita(img)))
    CONTEGGI["raster"] += len(out)
    return out


@lru_cache(maxsize=64)  # compiled backgrounds kept rasterised (about 125 KB an A4 page)
def _pagine_fondo(chiave: str, pdf: bytes) -> list[Image.Image]:
    return _raster(pdf)


def _fondo(f: Fondo) -> Image.Image:
    return _pagine_fondo(f.chiave, f.pdf)[f.pagina]


def _disegna(carta: CartaPagina) -> Image.Image:
    """The page kind's ink: its backgrounds where they are drawn (a shift between two cells counts
    both), every slot box black."""
    from PIL import Image, ImageChops, ImageDraw

    w, h = math.ceil(carta.larghezza / PASSO - 1e-6), math.ceil(carta.altezza / PASSO - 1e-6)
    tela = Image.new("L", (w, h), 255)
    for f in carta.fondi:
        img = _fondo(f)
        dx, dy = f.x / PASSO, -f.y / PASSO
        for ox in {math.floor(dx + 1e-6), math.ceil(dx - 1e-6)}:
            for oy in {math.floor(dy + 1e-6), math.ceil(dy - 1e-6)}:
                if (ox, oy) == (0, 0) and img.size == tela.size:
                    strato = img
                else:
                    strato = Image.new("L", (w, h), 255)
                    strato.paste(img, (ox, oy))
                tela = ImageChops.darker(tela, strato)
    disegno = ImageDraw.Draw(tela)
    H, m = carta.altezza, _MARGINE_SLOT
    for x, y, larga, alta in carta.riquadri:
        disegno.rectangle((math.floor((x - m) / PASSO), math.floor((H - y - alta - m) / PASSO),
                           math.ceil((x + larga + m) / PASSO) - 1, math.ceil((H - y + m) / PASSO) - 1), fill=0)
    return tela


def profilo(carta: CartaPagina) -> Profilo:
    """The profile of a page kind: computed once per process (see the module docstring)."""
    CONTEGGI["carta"] += 1
    return _profilo(carta)


@lru_cache(maxsize=1024)
def _profilo(carta: CartaPagina) -> Profilo:
    img = _disegna(carta)
    CONTEGGI["carta:nuova"] += 1
    return img.size[0] * PASSO, img.size[1] * PASSO, profondita(img)
