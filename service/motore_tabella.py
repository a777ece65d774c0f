"""Office paper with a table of rows (CAIT ricevuta, distinta, lettera, elenchi, rendiconti) through
the compile-once engine of ``service.motore_lotti``: one page drawn from bands of a layout compiled
once, and tables that run onto more pages drawn from a continuation band set compiled once.

The layout is compiled with every slot empty and at most :data:`RIGHE_COMPILATE` rows
(``data-campo="riga<i>"`` on each row, its cells ``r<i>_<column>``, ``data-campo="fine"`` closing
the flow). Up to that many rows the page is stamped as it is. A longer table is drawn from *bands*
of the same layout, each compiled on its own with only its part visible (``calcoli.banda``; the
template marks its parts ``b-<band>``).

One page (:data:`BANDE`): the top (heading, table head, first row), the second row (repeated,
one row pitch apart), the bottom (last row, totals, signatures: moved down to follow them) and the
page's foot.

More pages (templates that support it, ``seguito=True``; :data:`BANDE_SEGUITO`): the top and the
repeated row as above, the table head alone (``testa``: over the rows of every following page), the
closing block alone (``chiusura``: totals, signatures; one block, ``break-inside: avoid``) and a
*frame* of M pages per copy (``cornice``: the copy holder from the second page on, "Pag. N di M",
the fixed foot), compiled once per page count. Where the full layout breaks the table is read off
two probe layouts of the same template, compiled once (empty, with enough rows to reach a third
page, and with exactly the rows of a first page): rows on the first page, rows on a following
page, where the first of them sits, where the closing block sits when it starts a page. A closing
block within half a point of the page's bottom (where the two layouts might break differently),
or a layout the probes do not describe: ``NeedsFullRender``, the document is laid out in full.

A page whose content area ends high (a template's blank band at the bottom for the contrassegno a
stampa: the rendiconto-cait) may have no room for the four rows *and* the closing block: the layout
then keeps the four rows on its first page and starts its second page with the closing block
(``break-inside: avoid``). The geometry is read off those two pages (:attr:`_Geometria.pagina_fine`);
where the closing block ends when it follows a row is read off a third probe (the rows of a first
page and one more: that row opens the second page, the closing block follows it). Such a table
always goes the way of a table over more pages; up to four rows, the layout is stamped whole, its
two pages as they are.

``valori(model)``: the slot values outside the rows and each row's ``{column: text}``;
``contesto(model, righe, banda, copie=…[, pagine=…])``: the template context of a page with
``righe`` empty rows (``banda``: only that part visible; None: all of it), one page per copy;
``variante(model)``: what else makes the layout differ (the issuer's letterhead, the kind).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from renderers.stamp import CompiledPage, Item, NeedsFullRender, Slot, Stamper, draw_slots
from service.motore_lotti import MotoreTipo, Pagina, Piano, Variante, compilato, pagine_semplici
from service.settings import Settings

__all__ = ["MotoreTabella", "RIGHE_COMPILATE", "BANDE", "BANDE_SEGUITO"]

RIGHE_COMPILATE = 4
"""Rows of the layout a table document is compiled with: the first (under the table head), two
middle rows (the second is the block repeated; the two give the row pitch, each between rows
alike) and the last (over the totals); fewer rows, fewer in the layout."""

BANDE = ("alto", "mezzo", "basso", "piede")
"""Bands of a one-page table."""

BANDE_SEGUITO = ("alto", "mezzo", "testa", "chiusura")
"""Bands of a table over more pages (with the frame ``cornice`` of the page count)."""

_MARGINE = 0.5
"""Points: a closing block ending closer than this to the page's bottom is laid out in full."""
_MARGINE_ALTO_MM = 16


@dataclass(frozen=True)
class _Geometria:
    """Where the layout of four rows puts its rows and its end, and its slots by band."""

    righe: tuple[Slot, Slot, Slot, Slot]
    fine: float
    passo: float
    slots: Mapping[str, tuple[Slot, ...]]
    pagina_fine: int = 0
    """Page of the copy where the closing block is: 0, after the rows; 1, it starts the second page
    (the closing block's slots in ``slots["basso"]`` are on that page)."""

    @property
    def dopo(self) -> float | None:
        """From the last row's bottom to the closing block's end when it follows the rows (None:
        not on this layout, read off a probe)."""
        return self.righe[3].y - self.fine if self.pagina_fine == 0 else None


@dataclass(frozen=True)
class _Sonde:
    """Where the full layout breaks the table (read off the probe layouts)."""

    prima: int
    """Rows on a copy's first page."""
    seguenti: int
    """Rows on a full following page."""
    y_seguito: float
    """Bottom of the first row on a following page."""
    y_fine_nuova: float
    """Bottom of the closing block when it starts a page."""
    y_testa: float | None
    """Bottom of the table head on a following page (``data-campo="testa"``, when marked)."""
    dopo: float
    """From the last row's bottom to the closing block's end when it follows a row."""


def _geometria(pages: Sequence[CompiledPage], fondo: float) -> _Geometria | None:
    """The geometry of one copy's pages of the four-row layout: one page, or (a bottom band) the
    rows on the first and the closing block opening the second; None for any other layout."""
    page = pages[0]
    geo = {s.campo: s for s in page.slots if s.campo in ("riga1", "riga2", "riga3", "riga4", "fine")}
    chiusura: list[Slot] = []
    pagina_fine = 0
    if len(pages) == 2 and "fine" not in geo:  # the closing block starts the second page
        seconda = [s for s in pages[1].slots if s.campo == "fine"]
        if not seconda or any(s.campo.startswith(("riga", "r1_", "r2_", "r3_", "r4_")) for s in pages[1].slots):
            return None
        geo["fine"], pagina_fine = seconda[0], 1
        # its slots: what the second page draws above the end of the block (the fixed foot repeats below it)
        chiusura = [s for s in pages[1].slots if s.campo != "fine" and s.y + s.height / 2 >= seconda[0].y]
    elif len(pages) != 1:
        return None
    if len(geo) != 5:
        return None  # the compiled copy is longer than a page
    r = (geo["riga1"], geo["riga2"], geo["riga3"], geo["riga4"])
    fine = geo["fine"].y
    b12, b34 = r[1].y + r[1].height, r[3].y + r[3].height
    fondo_pagina = fine if pagina_fine == 0 else min(fondo, b34)
    limiti = {"alto": (b12, page.height), "mezzo": (b34, b12), "basso": (fondo_pagina, b34), "piede": (0.0, fondo_pagina)}
    slots: dict[str, list[Slot]] = {b: [] for b in BANDE}
    for s in page.slots:
        if s.campo[:3] in ("r1_", "r2_", "r4_"):
            slots[{"r1_": "alto", "r2_": "mezzo", "r4_": "basso"}[s.campo[:3]]].append(s)
        elif s.campo[:3] != "r3_" and not s.campo.startswith("riga") and s.campo != "fine":
            centro = s.y + s.height / 2
            slots[next(b for b, (y0, y1) in limiti.items() if y0 <= centro < y1)].append(s)
    slots["basso"].extend(chiusura)
    return _Geometria(r, fine, r[1].y - r[2].y, {b: tuple(v) for b, v in slots.items()}, pagina_fine)


def _intera(pages: Sequence[CompiledPage]) -> bool:
    """A copy of a short table stamped whole: one page, or its rows on the first and the closing block
    opening the second (a bottom band)."""
    return len(pages) == 1 or (len(pages) == 2 and any(s.campo == "fine" for s in pages[1].slots)
                               and not any(s.campo.startswith("riga") for s in pages[1].slots))


def _copia(pages: Sequence[CompiledPage], copie: int, copia: int) -> Sequence[CompiledPage]:
    """The pages of copy ``copia`` of a layout of ``copie`` copies."""
    per = len(pages) // copie
    return pages[copia * per:(copia + 1) * per]


def _righe_per_pagina(page: CompiledPage) -> dict[int, Slot]:
    return {int(s.campo[4:]): s for s in page.slots if s.campo.startswith("riga") and s.campo[4:].isdigit()}


class MotoreTabella(MotoreTipo):
    """A table document's engine (see the module's docstring)."""

    def __init__(self, template: str, titolo: str, *, valori: Callable[[Any], tuple[dict[str, str], list[dict[str, str]]]],
                 contesto: Callable[..., Mapping[str, Any]],
                 variante: Callable[[Any], tuple[Any, ...]], margine_basso_mm: float, seguito: bool = False) -> None:
        self.template = template
        self.titolo = titolo
        self.valori = valori
        self.contesto = contesto
        self.variante = variante
        self.seguito = seguito
        """The template has the continuation bands (``testa``, ``chiusura``, ``cornice``)."""
        self.fondo = margine_basso_mm * 72 / 25.4
        """Bottom of the page's content area (points from the page's bottom edge)."""

    def piano(self, model: Any, modo: str, settings: Settings, holders: tuple[str, ...] = ("",)) -> Piano:
        fissi, righe = self.valori(model)
        n = len(righe)
        k = min(n, RIGHE_COMPILATE)
        chiave = ("tabella", self.template, self.variante(model), k, holders)
        if n <= RIGHE_COMPILATE:
            valori = dict(fissi)
            for i, riga in enumerate(righe, start=1):
                valori.update({f"r{i}_{c}": x for c, x in riga.items()})
            variante = Variante(chiave, self.template, self.titolo, lambda: self.contesto(model, k, None, copie=holders))

            def intera(stamper: Callable[[tuple[Any, ...]], Stamper]) -> list[Pagina]:
                pages = stamper(chiave).compiled.pages
                if len(pages) % len(holders) or not _intera(pages[:len(pages) // len(holders)]):
                    raise NeedsFullRender("righe", "overflow")  # a copy longer than a page (or its closing block's)
                return pagine_semplici(stamper(chiave).stamp_all(valori))

            return Piano((variante,), intera)

        def banda(b: str, **extra: Any) -> Variante:
            return Variante(chiave + (b, *extra.values()), self.template, self.titolo,
                            lambda: self.contesto(model, k, b, copie=holders, **extra))

        varianti = {b: banda(b) for b in BANDE}
        compilate = compilato(varianti["alto"], modo, settings).pages
        pagina = compilate[0]
        geo = _geometria(_copia(compilate, len(holders), 0), self.fondo) if len(compilate) % len(holders) == 0 else None
        if geo is None:
            raise NeedsFullRender("righe", "overflow")
        if geo.pagina_fine == 0 and (not self.seguito or geo.fine - (n - RIGHE_COMPILATE) * geo.passo >= self.fondo + 1):
            return Piano(tuple(varianti.values()), lambda stamper: [
                self._pagina({b: stamper(chiave + (b,)) for b in BANDE}, p, fissi, righe) for p in range(len(holders))])
        if not self.seguito:
            raise NeedsFullRender("righe", "overflow")
        sonde = self._sonde(model, modo, settings, holders, geo, pagina.height)
        pagine, chiusura = self._impagina(n, geo, sonde)
        testa = [s.y for s in pagina.slots if s.campo == "testa"]
        # the head over a following page's rows: where the full layout puts it (a fraction of a
        # point off the first page's head-to-row distance, the table's top border being sliced)
        dy_testa = testa[0] - sonde.y_testa if testa and sonde.y_testa is not None else geo.righe[0].y - sonde.y_seguito
        m = len(pagine)
        seguito = {b: varianti.get(b) or banda(b) for b in BANDE_SEGUITO}
        seguito["cornice"] = banda("cornice", pagine=m)

        def disegna(stamper: Callable[[tuple[Any, ...]], Stamper]) -> list[Pagina]:
            st = {b: stamper(v.chiave) for b, v in seguito.items()}
            if len(st["cornice"].compiled.pages) != m * len(holders):
                raise NeedsFullRender("righe", "overflow")
            return [self._seguito(st, c, p, pagine[p], chiusura, dy_testa, geo, fissi, righe, m, len(holders))
                    for c in range(len(holders)) for p in range(m)]

        return Piano(tuple(seguito.values()), disegna)

    def _sonde(self, model: Any, modo: str, settings: Settings, holders: tuple[str, ...], geo: _Geometria,
               altezza: float) -> _Sonde:
        """Page breaks of the full layout, read off two probe layouts (compiled once, empty)."""
        alto = altezza - _MARGINE_ALTO_MM * 72 / 25.4
        r1 = geo.righe[0].y
        stima = int((r1 - self.fondo) / geo.passo) + int((alto - self.fondo) / geo.passo) + 4

        def sonda(r: int) -> tuple[CompiledPage, ...]:
            v = Variante(("tabella", self.template, self.variante(model), "sonda", r), self.template, self.titolo,
                         lambda: self.contesto(model, r, None, copie=holders[:1]))
            return compilato(v, modo, settings).pages

        lunga = sonda(stima)
        if len(lunga) < 3:
            raise NeedsFullRender("righe", "overflow")
        p0, p1, p2 = (_righe_per_pagina(p) for p in lunga[:3])
        prima, seguenti = len(p0), len(p1)
        if (not p2 or prima < 2 or seguenti < 2 or sorted(p0) != list(range(1, prima + 1))
                or abs(p0[1].y - r1) > 0.01 or abs(p1[prima + 1].y - p1[prima + 2].y - geo.passo) > 0.01):
            raise NeedsFullRender("righe", "overflow")  # a layout the probes do not describe
        corta = sonda(prima)
        fine = [s for s in corta[-1].slots if s.campo == "fine"]
        if len(corta) != 2 or not fine or len(_righe_per_pagina(corta[0])) != prima:
            raise NeedsFullRender("righe", "overflow")
        testa = [s.y for s in lunga[1].slots if s.campo == "testa"]
        dopo = geo.dopo
        if dopo is None:  # the closing block after one row of a second page: how far it reaches below the row
            una = sonda(prima + 1)
            dopo_fine = [s for s in una[-1].slots if s.campo == "fine"]
            riga = _righe_per_pagina(una[-1]).get(prima + 1)
            if len(una) != 2 or not dopo_fine or riga is None or abs(riga.y - p1[prima + 1].y) > 0.01:
                raise NeedsFullRender("righe", "overflow")  # a layout the probes do not describe
            dopo = riga.y - dopo_fine[0].y
        return _Sonde(prima, seguenti, p1[prima + 1].y, fine[0].y, testa[0] if testa else None, dopo)

    def _impagina(self, n: int, geo: _Geometria, sonde: _Sonde) -> tuple[list[list[tuple[int, float]]], tuple[int, float]]:
        """Per page of a copy, its rows (index, bottom y); the closing block's page and shift."""
        pagine: list[list[tuple[int, float]]] = [[]]
        for i in range(n):
            if i < sonde.prima:
                pagine[0].append((i, geo.righe[0].y - i * geo.passo))
                continue
            j = (i - sonde.prima) % sonde.seguenti
            if j == 0:
                pagine.append([])
            pagine[-1].append((i, sonde.y_seguito - j * geo.passo))
        y_ultima = pagine[-1][-1][1]
        fine = y_ultima - sonde.dopo
        if fine >= self.fondo + _MARGINE:
            return pagine, (len(pagine) - 1, geo.fine - fine)
        if fine > self.fondo - _MARGINE:
            raise NeedsFullRender("righe", "overflow")  # at the very bottom: laid out in full
        pagine.append([])
        return pagine, (len(pagine) - 1, geo.fine - sonde.y_fine_nuova)

    def _seguito(self, st: Mapping[str, Stamper], copia: int, p: int, righe_pagina: list[tuple[int, float]],
                 chiusura: tuple[int, float], dy_testa: float, geo: _Geometria, fissi: Mapping[str, str],
                 righe: list[dict[str, str]], m: int, copie: int) -> Pagina:
        """Page ``p`` of copy ``copia`` (of ``copie``) of a table over ``m`` pages."""
        telaio = st["cornice"].compiled.pages[copia * m + p]
        posti: list[tuple[Item, float, float]] = []
        sagoma: list[Slot] = []
        per = len(st["alto"].compiled.pages) // copie  # pages of a copy of the four-row layout (1, or 2: geo.pagina_fine)
        page = st["alto"].compiled.pages[copia * per]
        altra = None if copia == 0 else _geometria(_copia(st["alto"].compiled.pages, copie, copia), self.fondo)
        slots = altra.slots if altra is not None else geo.slots

        def pezzo(banda: str, indice: int, dove: tuple[Slot, ...], valori: Mapping[str, Any], dy: float) -> None:
            stamper = st[banda]
            ops, fonts = draw_slots(dove, valori, stamper.fonts, stamper.codes, text=True)
            sagoma.extend(replace(s, y=s.y - dy) for s in dove)
            posti.append((Item(page.width, page.height, stamper.background_name(indice), ops, frozenset(fonts)), 0.0, -dy))

        pezzo("cornice", copia * m + p, telaio.slots, fissi, 0.0)
        for i, y in righe_pagina:
            if i == 0:
                pezzo("alto", copia * per, slots["alto"], {**fissi, **_riga(1, righe[0])}, 0.0)
                continue
            if i == righe_pagina[0][0]:
                pezzo("testa", copia * per, (), {}, dy_testa)
            pezzo("mezzo", copia * per, slots["mezzo"], _riga(2, righe[i]), geo.righe[1].y - y)
        if chiusura[0] == p:
            pezzo("chiusura", copia * per + geo.pagina_fine, tuple(s for s in slots["basso"] if s.campo[:3] != "r4_"),
                  fissi, chiusura[1])
        return Pagina(page.width, page.height, tuple(posti), tuple(sagoma))

    def _pagina(self, stampers: Mapping[str, Stamper], indice: int, fissi: Mapping[str, str],
                righe: list[dict[str, str]]) -> Pagina:
        """Page ``indice`` of the layout (one per copy) with ``righe``, drawn from its bands."""
        compiled = stampers["alto"].compiled
        if indice >= len(compiled.pages):
            raise NeedsFullRender("righe", "overflow")
        page = compiled.pages[indice]
        geo = _geometria((page,), self.fondo)
        if geo is None:
            raise NeedsFullRender("righe", "overflow")  # the compiled copy is longer than a page
        n = len(righe)
        spinta = (n - RIGHE_COMPILATE) * geo.passo
        if geo.fine - spinta < self.fondo + 1:
            raise NeedsFullRender("righe", "overflow")  # the full layout goes on to another page
        posti = []
        sagoma: list[Slot] = []

        def pezzo(banda: str, valori: Mapping[str, Any], dy: float) -> None:
            stamper = stampers[banda]
            ops, fonts = draw_slots(geo.slots[banda], valori, stamper.fonts, stamper.codes, text=True)
            sagoma.extend(replace(s, y=s.y - dy) for s in geo.slots[banda])
            posti.append((Item(page.width, page.height, stamper.background_name(indice), ops, frozenset(fonts)),
                          0.0, -dy))

        pezzo("piede", fissi, 0.0)
        pezzo("alto", {**fissi, **_riga(1, righe[0])}, 0.0)
        for k in range(1, n - 1):
            pezzo("mezzo", _riga(2, righe[k]), (k - 1) * geo.passo)
        pezzo("basso", {**fissi, **_riga(4, righe[-1])}, spinta)
        return Pagina(page.width, page.height, tuple(posti), tuple(sagoma))


def _riga(i: int, valori: Mapping[str, str]) -> dict[str, str]:
    return {f"r{i}_{c}": x for c, x in valori.items()}
