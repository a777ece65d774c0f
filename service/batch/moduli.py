"""Filled forms stamped on their blank layout (``moduli:allegato-g``).

A form whose template keeps every field's box whether it is blank or filled (the ``stampabile``
rules of ``templates/_base/modulo.css``) is laid out by WeasyPrint once per mode, blank
(``d=None``): that layout is the background of every record, and each ``data-campo`` box of it
is a slot (text fields, multi-line notes, table cells, one check slot ``<key>=<option>`` per
printed box, the etichetta line).

Per record the values are not listed by hand: the record is validated by its model and put
through the same Jinja template (no layout, a few milliseconds), and the filled HTML says what
each slot shows — the text of the field's ``.valore`` exactly as the full render prints it
(Italian dates and numbers, composite cells such as ``1.012 m3``), which boxes are crossed
(``.casella.x``), which fields, rows and cells are struck (``barrato``, ``riga-barrata``,
``linea-barrata``). The template stays the single source of truth; the mapping is generic over
key paths and works for any form that opts in (:data:`STAMPABILI`).

What the stamp engine does not draw by itself is added here as operators on the items: the solid
rule under a filled field (the blank one is dotted) and the strike of a struck field or row.
A value that does not fit its box (the engine shrinks, then wraps, then gives up) or uses a
character the font lacks sends the record to a full WeasyPrint render, counted in the report.

A form made of sheets (``data-foglio="<kind>"``, ``data-prefisso="generatori[0]."``) has one blank sheet
per kind and copy (:func:`fogli_del_modello`); a record's sheets are read from its filled HTML in order,
their keys renamed to the blank sheet's prefix, and each is stamped on the pages of its kind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from renderers.html import render_html
from renderers.errors import RenderError
from renderers.pdfstream import bnum
from renderers.stamp import CompiledTemplate, Item, NeedsFullRender, Slot, Stamper, compile_template

__all__ = ["STAMPABILI", "valori_da_html", "StampaModulo", "BARRATO", "Foglio", "fogli_del_modello"]

class _Stampabili:
    """The registered types whose blank and filled layouts agree box for box (``DocumentType.stampa``,
    proved per type by ``tests/service/test_motore_*.py``); the others are laid out per record."""

    def __contains__(self, code: object) -> bool:
        from service.registry import DOCUMENT_TYPES

        doc = DOCUMENT_TYPES.get(code) if isinstance(code, str) else None
        return bool(doc is not None and doc.stampa)

    def __iter__(self):
        from service.registry import DOCUMENT_TYPES

        return iter(sorted(c for c, d in DOCUMENT_TYPES.items() if d.stampa))


STAMPABILI = _Stampabili()

BARRATO = "!barrato"
"""Suffix of the strike slot twin of each field (``<key>!barrato``)."""

_MM = 72 / 25.4
_REGOLA = 0.3 * _MM
"""Thickness of a field's rule (``border-bottom: 0.3mm`` in the ``stampabile`` rules)."""
_PADDING_CAMPO = 0.6 * _MM
"""Horizontal padding of ``.campo``: the rule spans the padding box."""
_SPAZI = re.compile(r"\s+")


def _classi(el: Any) -> set[str]:
    return set((el.get("class") or "").split())


def valori_da_html(html: str | Any) -> dict[str, Any]:
    """Slot values of a filled form's HTML (or of one element of it, e.g. a sheet):
    ``{key: text | True}`` and ``{key!barrato: True}``.

    One walk over the elements (lxml's plain elements, no per-element Python class lookup): the
    XPath class search of ``lxml.html`` and its element classes were most of a stamped G's cost."""
    radice = etree.fromstring(html, _PARSER) if isinstance(html, str) else html
    campi, valori_el = [], []
    for el in radice.iter(etree.Element):
        if el.get("data-campo"):
            campi.append(el)
        if "valore" in (el.get("class") or "").split():
            valori_el.append(el)
    valori: dict[str, Any] = {}
    for el in campi:
        campo = el.get("data-campo")
        classi = _classi(el)
        if el.get("data-slot") == "check":
            if "x" in classi:
                valori[campo] = True
        elif classi & {"barrato", "riga-barrata"} or any("linea-barrata" in _classi(c) for c in el):
            valori[campo + BARRATO] = True
    for el in valori_el:
        padre = next((a for a in el.iterancestors() if a.get("data-campo")), None)
        if padre is None:
            continue
        testo = "".join(el.itertext()).replace("\u200b", "")
        pre = "multiriga" in _classi(padre)  # white-space: pre-wrap: a line break is kept (and not stampable)
        testo = testo.strip() if pre else _SPAZI.sub(" ", testo).strip()
        if testo:
            valori[padre.get("data-campo")] = testo
    return valori


_PARSER = etree.HTMLParser()


@lru_cache(maxsize=8)
def _forme(html: str) -> dict[str, tuple[str, frozenset[str]]]:
    """Tag and classes of each slot element of the blank HTML (how to draw rules and strikes)."""
    out: dict[str, tuple[str, frozenset[str]]] = {}
    for el in lxml_html.fromstring(html).iter():
        if isinstance(el.tag, str) and el.get("data-campo"):
            out.setdefault(el.get("data-campo"), (el.tag, frozenset(_classi(el))))
    return out


def _adatta(compiled: CompiledTemplate, forme: Mapping[str, tuple[str, frozenset[str]]]) -> CompiledTemplate:
    """The compiled blank form with a strike twin for every field and table cells' text centred
    vertically (``td.cella-valore`` is ``vertical-align: middle``; the engine draws from the top)."""
    pagine = []
    for p in compiled.pages:
        slots: list[Slot] = []
        for s in p.slots:
            tag, classi = forme.get(s.campo, ("", frozenset()))
            if s.kind == "text" and tag == "td" and "cella-valore" in classi and s.height > s.line_height:
                slots.append(replace(s, y=s.y + (s.height - s.line_height) / 2, height=s.line_height))
            elif s.kind == "text" and "multiriga" in classi:  # a note wraps on its lines, as laid out in full
                slots.append(replace(s, wrap_first=True))
            else:
                slots.append(s)
            if s.kind == "text" and tag == "td" and "cella-valore" in classi:
                # a struck cell's rule (``.linea-barrata``) reaches 0.6 mm into the cell's padding
                slots.append(replace(s, campo=s.campo + BARRATO, kind="strike", x=s.x - _PADDING_CAMPO,
                                     width=s.width + 2 * _PADDING_CAMPO))
            elif s.kind == "text":
                slots.append(replace(s, campo=s.campo + BARRATO, kind="strike"))
        pagine.append(replace(p, slots=tuple(slots)))
    return CompiledTemplate(compiled.key, tuple(pagine), compiled.background)


def _regole(slots: tuple[Slot, ...], valori: Mapping[str, Any],
            forme: Mapping[str, tuple[str, frozenset[str]]]) -> bytes:
    """Solid rules under the filled fields (the blank layout prints them dotted)."""
    parti = [regola for campo, regola in _righelli(slots, forme)
             if valori.get(campo) and not valori.get(campo + BARRATO)]
    return b"q 0 g " + b"".join(parti) + b"f Q\n" if parti else b""


_RIGHELLI: dict[int, tuple[tuple[Slot, ...], list[tuple[str, bytes]]]] = {}


def _righelli(slots: tuple[Slot, ...], forme: Mapping[str, tuple[str, frozenset[str]]]) -> list[tuple[str, bytes]]:
    """(field, its rule's operators) of the page's ruled text slots, worked out once per page and process."""
    noto = _RIGHELLI.get(id(slots))
    if noto is not None and noto[0] is slots:
        return noto[1]
    out = []
    for s in slots:
        _tag, classi = forme.get(s.campo, ("", frozenset()))
        if s.kind != "text" or "campo" not in classi or "su-righe" in classi:  # a note on its dotted lines: no rule
            continue
        if "multiriga" in classi:  # the value's block rule sits where the first dotted line is
            x, y, w = s.x, s.y, s.width
        else:
            x, y, w = s.x - _PADDING_CAMPO, s.y - _REGOLA, s.width + 2 * _PADDING_CAMPO
        out.append((s.campo, b"%s %s %s %s re " % (bnum(x), bnum(y), bnum(w), bnum(_REGOLA))))
    if len(_RIGHELLI) >= 64:
        _RIGHELLI.clear()
    _RIGHELLI[id(slots)] = (slots, out)
    return out


@dataclass(frozen=True)
class Foglio:
    """One sheet of the compiled blank layout: its kind's key prefix and its pages."""

    tipo: str
    prefisso: str
    """``data-prefisso`` of the blank sheet (``generatori[0].``): a record's sheet of the same kind
    with another prefix (``generatori[2].``) has its keys renamed to this one to be stamped here."""
    pagine: tuple[int, ...]
    campi: frozenset[str]
    """The ``data-campo`` keys the blank sheet has: a record's sheet with another key needs a full layout."""


def fogli_del_modello(compiled: CompiledTemplate, html: str, copie: int) -> tuple[dict[str, Foglio], ...] | None:
    """Per copy, each sheet kind (``data-foglio``) → its first blank sheet; None when the template has no
    sheets (its pages are stamped as they are). ``RenderError`` when pages and sheets do not agree."""
    if all(p.istanza < 0 for p in compiled.pages):
        return None
    elementi = [el for el in lxml_html.fromstring(html).iter() if isinstance(el.tag, str) and el.get("data-foglio")]
    pagine: dict[int, list[int]] = {}
    for n, p in enumerate(compiled.pages):
        pagine.setdefault(p.istanza, []).append(n)
    if -1 in pagine or sorted(pagine) != list(range(len(elementi))) or len(elementi) % copie:
        raise RenderError("Modello di stampa non valido.") from ValueError("pagine fuori da un data-foglio")
    fogli = [Foglio(el.get("data-foglio"), el.get("data-prefisso") or "", tuple(pagine[i]),
                    frozenset(e.get("data-campo") for e in el.iter() if isinstance(e.tag, str) and e.get("data-campo")))
             for i, el in enumerate(elementi)]
    per_copia = len(fogli) // copie
    out = []
    for c in range(copie):
        gruppo = fogli[c * per_copia:(c + 1) * per_copia]
        if [f.tipo for f in gruppo] != [f.tipo for f in fogli[:per_copia]]:
            raise RenderError("Modello di stampa non valido.") from ValueError("copie con fogli diversi")
        tipi: dict[str, Foglio] = {}
        for f in gruppo:
            tipi.setdefault(f.tipo, f)
        out.append(tipi)
    return tuple(out)


@lru_cache(maxsize=8)
def _modello(vuoto: str, base_dir: Any, asset_roots: tuple[Any, ...], cache_dir: Any, copie: int
             ) -> tuple[CompiledTemplate, dict[str, tuple[str, frozenset[str]]], tuple[dict[str, Foglio], ...] | None]:
    """The blank form ``vuoto`` compiled and adapted (strike twins, centred cells), its slot shapes and
    sheets: once per process, not once per chunk (a chunk stamps with its own writer and fonts)."""
    compiled = compile_template(vuoto, base_dir=base_dir, asset_roots=asset_roots, cache_dir=cache_dir)
    forme = _forme(vuoto)
    return _adatta(compiled, forme), forme, fogli_del_modello(compiled, vuoto, copie)


def _rinomina(valori: dict[str, Any], da: str, a: str) -> dict[str, Any]:
    if da == a:
        return valori
    return {(a + k[len(da):] if k.startswith(da) else k): v for k, v in valori.items()}


_VUOTI: dict[tuple[Any, ...], str] = {}
"""(type, mode, copies, blank for handwriting, variant, templates) → the blank form's HTML."""


class StampaModulo:
    """One form type in one mode: compiled blank layout, record → stamped pages."""

    def __init__(self, doc: Any, modo: str, settings: Any, holders: tuple[str, ...] | None = None, *,
                 vuoto: bool = False, variante: Mapping[str, Any] | None = None) -> None:
        self.variante = dict(variante or {})
        """Template variables of the blank layout (more printed rows, ``DocumentType.variante_stampa``)."""
        self.vuoto = vuoto
        """True: the layout is the blank form for handwriting itself (``vuoto`` in the template),
        not the background of filled records."""
        self.doc = doc
        self.modo = modo
        self.settings = settings
        self.holders = holders or doc.copies or ("",)
        """The copies printed (all of the type's by default), one blank layout per choice."""
        self.fogli: tuple[dict[str, Foglio], ...] | None = None
        """Set by :meth:`stamper` for a template made of sheets (``fogli_del_modello``)."""

    def contesto(self, model: Any) -> dict[str, Any]:
        calcoli = dict(self.doc.derive(model)) if (model is not None and self.doc.derive) else {}
        return {**self.doc.contesto, **self.variante, "d": model, "calcoli": calcoli, "modo": self.modo,
                "vuoto": self.vuoto, "titolo": self.doc.title}

    def html(self, model: Any, copie: tuple[str, ...]) -> str:
        return render_html(self.settings.templates_dir, self.doc.template_path,
                           {**self.contesto(model), "copie": copie}, cache=self.settings.stampa_cache_dir)

    def html_vuoto(self) -> str:
        """The blank form's HTML (every copy): rendered once per process, not once per chunk (~9 ms
        for an Allegato G's three copies, in each of a 300-form job's 16 chunks)."""
        chiave = (self.doc.code, self.modo, self.holders, self.vuoto, repr(sorted(self.variante.items())),
                  str(self.settings.templates_dir))
        html = _VUOTI.get(chiave)
        if html is None:
            if len(_VUOTI) >= 32:
                _VUOTI.clear()
            html = _VUOTI[chiave] = self.html(None, self.holders)
        return html

    def stamper(self, writer: Any, fonts: Any, codes: Any) -> tuple[Stamper, dict[str, tuple[str, frozenset[str]]]]:
        vuoto = self.html_vuoto()
        adattato, forme, self.fogli = _modello(vuoto, self.settings.templates_dir / self.doc.template,
                                               (self.settings.templates_dir, self.settings.fonts_dir),
                                               self.settings.stampa_cache_dir, len(self.holders))
        return Stamper(adattato, fonts, writer, codes=codes), forme

    def items(self, stamper: Stamper, forme: Mapping[str, tuple[str, frozenset[str]]], model: Any) -> list[Item]:
        """The record's pages (every copy); NeedsFullRender when a value cannot be stamped."""
        if self.fogli is not None:
            return self._items_fogli(stamper, forme, model)
        valori = valori_da_html(self.html(model, self.holders[:1]))
        for campo in valori:
            if campo not in forme and not campo.endswith(BARRATO):
                raise NeedsFullRender(campo, "overflow")  # a box the blank form does not have
        items = stamper.stamp_all(valori)
        out = []
        for item, pagina in zip(items, stamper.compiled.pages):
            regole = _regole(pagina.slots, valori, forme)
            out.append(replace(item, ops=item.ops + regole) if regole else item)
        return out


    def _items_fogli(self, stamper: Stamper, forme: Mapping[str, tuple[str, frozenset[str]]], model: Any) -> list[Item]:
        """A document made of sheets: the record's sheets in order (e.g. one per generator), each
        stamped on the blank sheet of its kind, copy after copy."""
        assert self.fogli is not None
        modelli = self.fogli[0]
        fogli: list[tuple[str, dict[str, Any]]] = []
        for el in lxml_html.fromstring(self.html(model, self.holders[:1])).iter():
            if not isinstance(el.tag, str) or not el.get("data-foglio"):
                continue
            vuoto = modelli.get(el.get("data-foglio"))
            if vuoto is None:
                raise NeedsFullRender(el.get("data-foglio"), "overflow")  # a sheet the blank form does not have
            valori = _rinomina(valori_da_html(el), el.get("data-prefisso") or "", vuoto.prefisso)
            for campo in valori:
                if campo not in vuoto.campi and not campo.endswith(BARRATO):
                    raise NeedsFullRender(campo, "overflow")  # e.g. a second row of measurements
            fogli.append((vuoto.tipo, valori))
        memo: dict[Any, Any] = {}
        out = []
        for copia in self.fogli:
            for tipo, valori in fogli:
                for n in copia[tipo].pagine:
                    item = stamper.stamp(valori, n, memo=memo)
                    regole = _regole(stamper.compiled.pages[n].slots, valori, forme)
                    out.append(replace(item, ops=item.ops + regole) if regole else item)
        return out
