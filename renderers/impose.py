"""Stamped items + sheet profile → label sheets (imposition) in a streamed PDF.

A *sheet profile* describes label stock: page size, rows × columns of labels of one
size, top/left margins and the gaps between labels. Labels are filled left to right,
top to bottom; the first sheet may start at label N (a partly used sheet); the
printer's calibration offsets move everything by x/y millimetres; test mode draws
every label outline and crop marks in the margins so a print can be laid over the
stock against the light. The writer marks the file ``/PrintScaling /None`` so that
viewers print at actual size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.etichetta import MATRICE
from renderers.errors import RenderError
from renderers.pdfstream import PdfStreamWriter, Placement, num
from renderers.stamp import Item

__all__ = ["MM", "SheetProfile", "PROFILI", "PROFILO_DEFAULT", "get_profile", "CellPosition", "Imposer",
           "write_one_up"]

MM = 72.0 / 25.4
"""Points per millimetre."""


@dataclass(frozen=True)
class SheetProfile:
    """A label stock: all lengths in millimetres, origin at the sheet's top-left corner."""

    code: str
    """Name used on the command line, e.g. ``A4-2x5``."""
    descrizione: str
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    margin_left: float
    """From the sheet's left edge to the first column."""
    margin_top: float
    """From the sheet's top edge to the first row."""
    gap_x: float = 0.0
    """Horizontal distance between two labels of a row."""
    gap_y: float = 0.0
    """Vertical distance between two rows."""

    def __post_init__(self) -> None:
        right = self.margin_left + self.columns * self.label_width + (self.columns - 1) * self.gap_x
        bottom = self.margin_top + self.rows * self.label_height + (self.rows - 1) * self.gap_y
        if min(self.columns, self.rows) < 1 or right > self.page_width + 1e-6 or bottom > self.page_height + 1e-6:
            raise RenderError(f"Il profilo di foglio {self.code} non sta nella pagina.")

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    def cell(self, index: int) -> tuple[float, float]:
        """Top-left corner (mm from the sheet's top-left) of label ``index`` (0-based)."""
        row, col = divmod(index, self.columns)
        return (self.margin_left + col * (self.label_width + self.gap_x),
                self.margin_top + row * (self.label_height + self.gap_y))


def _profilo_etichette() -> SheetProfile:
    """A4 1 × 7 of etichette di validazione, sized from the one declared matrice (``domain.etichetta.MATRICE``):
    three matrici side by side per etichetta, rows 10 mm apart, the grid centred on the sheet."""
    w, h = MATRICE.etichetta
    rows, gap = 7, 10.0
    return SheetProfile("A4-1x7", f"A4, 7 etichette di validazione {num(w)} × {num(h)} mm "
                        f"(3 matrici di {num(MATRICE.larghezza)} × {num(MATRICE.altezza)} mm)",
                        210, 297, 1, rows, w, h, margin_left=(210 - w) / 2,
                        margin_top=(297 - rows * h - (rows - 1) * gap) / 2, gap_x=0, gap_y=gap)


PROFILI: dict[str, SheetProfile] = {p.code: p for p in (
    SheetProfile("A4-2x5", "A4, 2 colonne × 5 righe, etichette 84 × 55 mm (targhe)",
                 210, 297, 2, 5, 84, 55, margin_left=16, margin_top=11, gap_x=10, gap_y=0),
    SheetProfile("A4-2x4", "A4, 2 colonne × 4 righe, etichette 84 × 55 mm distanziate 8 mm",
                 210, 297, 2, 4, 84, 55, margin_left=17, margin_top=27.5, gap_x=8, gap_y=8),
    SheetProfile("ROTOLO-84x55", "Rotolo per stampante di etichette, una targa 84 × 55 mm per pagina",
                 84, 55, 1, 1, 84, 55, margin_left=0, margin_top=0),
    _profilo_etichette(),
)}
PROFILO_DEFAULT = "A4-2x5"


def get_profile(code: str) -> SheetProfile:
    try:
        return PROFILI[code]
    except KeyError:
        raise RenderError(f"Foglio sconosciuto: {code}. Disponibili: {', '.join(PROFILI)}.",
                          path=("foglio",)) from None


@dataclass(frozen=True)
class CellPosition:
    """Where a label was drawn: sheet (1-based), cell (0-based) and its top-left in mm."""

    sheet: int
    cell: int
    x: float
    y: float


class Imposer:
    """Places items on sheets of ``profile`` and writes each sheet when it is full."""

    def __init__(self, writer: PdfStreamWriter, profile: SheetProfile, *, inizio: int = 1,
                 offset_x: float = 0.0, offset_y: float = 0.0, prova: bool = False,
                 registra: bool = False, foglio: int = 1) -> None:
        if not 1 <= inizio <= profile.per_sheet:
            raise RenderError(f"La posizione iniziale deve essere tra 1 e {profile.per_sheet}.", path=("inizio",))
        self.writer = writer
        self.profile = profile
        self.offset_x = offset_x
        """Calibration, mm: positive moves everything to the right."""
        self.offset_y = offset_y
        """Calibration, mm: positive moves everything down."""
        self.prova = prova
        self.positions: list[CellPosition] | None = [] if registra else None
        self._cell = inizio - 1
        self._sheet = foglio
        """Number of the sheet being filled (``foglio``: the first one, when a run is printed in parts)."""
        self._pending: list[Placement] = []
        self._fonts: set[str] = set()
        self._started = False

    def place(self, item: Item) -> None:
        p = self.profile
        if abs(item.width - p.label_width * MM) > 0.5 * MM or abs(item.height - p.label_height * MM) > 0.5 * MM:
            raise RenderError(
                f"Il foglio {p.code} è per etichette di {num(p.label_width)} × {num(p.label_height)} mm, "
                f"non di {num(item.width / MM)} × {num(item.height / MM)} mm.", path=("foglio",))
        x_mm, y_mm = p.cell(self._cell)
        x_mm += self.offset_x
        y_mm += self.offset_y
        self._pending.append(item.at(x_mm * MM, (p.page_height - y_mm - p.label_height) * MM))
        self._fonts |= item.fonts
        self._started = True
        if self.positions is not None:
            self.positions.append(CellPosition(self._sheet, self._cell, x_mm, y_mm))
        self._cell += 1
        if self._cell == p.per_sheet:
            self._flush()

    def place_all(self, items: Iterable[Item]) -> None:
        for item in items:
            self.place(item)

    def _flush(self) -> None:
        p = self.profile
        extra = self._guides() if self.prova else b""
        self.writer.add_page(p.page_width * MM, p.page_height * MM, self._pending, extra, self._fonts)
        self._pending, self._fonts = [], set()
        self._cell = 0
        self._sheet += 1

    def finish(self) -> None:
        """Write the last, partly filled sheet (if any)."""
        if self._pending or (self.prova and not self._started):
            self._flush()

    def _guides(self) -> bytes:
        """Label outlines (thin grey) and crop marks 2–7 mm outside the grid (black), offsets applied.

        Marks falling off the sheet (stock without margins) are simply clipped by the page."""
        p = self.profile
        ops = [b"q 0.6 G 0.3 w\n"]
        for cell in range(p.per_sheet):
            x, y = p.cell(cell)
            ops.append(b"%s %s %s %s re\n" % tuple(num(v).encode() for v in (
                (x + self.offset_x) * MM, (p.page_height - y - self.offset_y - p.label_height) * MM,
                p.label_width * MM, p.label_height * MM)))
        ops.append(b"S Q q 0 G 0.5 w\n")
        xs = sorted({p.cell(c)[0] for c in range(p.columns)} | {p.cell(c)[0] + p.label_width for c in range(p.columns)})
        ys = sorted({p.cell(r * p.columns)[1] for r in range(p.rows)}
                    | {p.cell(r * p.columns)[1] + p.label_height for r in range(p.rows)})
        top, bottom, left, right = ys[0], ys[-1], xs[0], xs[-1]
        for x in xs:  # vertical marks above and below the grid
            for y0, y1 in ((top - 2, top - 7), (bottom + 2, bottom + 7)):
                ops.append(self._line(x, y0, x, y1))
        for y in ys:  # horizontal marks left and right of the grid
            for x0, x1 in ((left - 2, left - 7), (right + 2, right + 7)):
                ops.append(self._line(x0, y, x1, y))
        ops.append(b"S Q\n")
        return b"".join(ops)

    def _line(self, x0: float, y0: float, x1: float, y1: float) -> bytes:
        h = self.profile.page_height
        pts = [((x0 + self.offset_x) * MM, (h - y0 - self.offset_y) * MM),
               ((x1 + self.offset_x) * MM, (h - y1 - self.offset_y) * MM)]
        return b"%s %s m %s %s l\n" % tuple(num(v).encode() for pt in pts for v in pt)


def write_one_up(writer: PdfStreamWriter, item: Item) -> None:
    """One item per page, the page the size of the item (forms, letters)."""
    writer.add_page(item.width, item.height, [item.at(0, 0)], resources=item.fonts)
