"""Validate → rules → HTML → PDF: the single-document pipeline, top to bottom.

:func:`produci` hands on the PDF/A-3b bytes together with the validated model, which the
emission stage (``service.emissione``: sign → store → index) reads for the issuing
organisation and the index keys; :func:`render_document` is the bytes-only shortcut.
A type the stamp engine can print (``DocumentType.stampa``) is stamped on its compiled blank
layout (:mod:`service.motore`); a document whose values do not fit is laid out in full,
counted and logged. Every caller (CLI, API, console, CAIT desk, batch) comes through here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from domain.errors import RuleViolation
from renderers.carta import CartaPagina
from renderers.html import render_html
from renderers.pdf import PdfMetadata, html_to_pdf
from service import motore
from service.registry import DocumentType, get_document_type
from service.settings import Settings, get_settings

__all__ = ["validate", "opzioni", "produci", "Prodotto", "render_document", "select_copies", "MODI"]

MODI = ("facsimile", "normalizzato")


def validate(doc: DocumentType, data: Any) -> BaseModel:
    """Input dict → validated model, then the type's rules; Italian errors with field paths."""
    return doc.valida(data)


@dataclass(frozen=True)
class Prodotto:
    """What the pipeline hands on to the emission stage."""

    doc: DocumentType
    """The registered type that was rendered."""
    model: BaseModel | None
    """The validated input; None for a blank form."""
    pdf: bytes
    """PDF/A-3b with ``dati.json`` (unsigned)."""
    carta: tuple[CartaPagina, ...] | None = None
    """Stamped by an engine: each page's kind, its blank paper known without reading the page (the
    contrassegno's place, ``renderers.carta``); None when laid out in full."""


def render_document(
    code: str,
    data: Any | None,
    *,
    modo: str | None = None,
    copie: Sequence[str] | None = None,
    settings: Settings | None = None,
    completo: bool = False,
) -> bytes:
    """Render one document. ``data=None`` renders the blank form for handwriting.

    ``copie`` picks some of the type's copies (see :func:`select_copies`); default: all of them.
    """
    return produci(code, data, modo=modo, copie=copie, settings=settings, completo=completo).pdf


def produci(
    code: str,
    data: Any | None,
    *,
    modo: str | None = None,
    copie: Sequence[str] | None = None,
    settings: Settings | None = None,
    completo: bool = False,
    ora: datetime | None = None,
) -> Prodotto:
    """:func:`render_document`, also returning the validated model and the document type.

    ``completo=True`` lays the document out in full with WeasyPrint even when the engine could
    stamp it (the reference of the equivalence tests and of the benchmark's naive column). ``ora``: the
    PDF's creation time (default now; a batch job's sealed records carry the job's, so that a chunk
    printed again is the same bytes)."""
    settings = settings or get_settings()
    doc = get_document_type(code)
    if data is None and not doc.modulo_in_bianco:
        raise RuleViolation(f"{doc.title}: documento emesso solo dai dati, senza modulo in bianco da compilare a "
                            f"mano. Indicare i dati (es. curit-docs esempio {doc.code}).", path=("vuoto",))
    modo, holders = opzioni(doc, modo, copie, settings)
    model = validate(doc, data) if data is not None else None
    calcoli = dict(doc.derive(model)) if (model is not None and doc.derive) else {}
    context = {
        **doc.contesto,
        "d": model,
        "calcoli": calcoli,
        "modo": modo,
        "vuoto": model is None,
        "titolo": doc.title,
        "copie": holders,
    }
    dati = model.model_dump(mode="json") if model is not None else None
    meta = PdfMetadata(
        title=doc.title,
        tipo_documento=doc.code,
        codice_impianto=doc.codice_impianto(model) if model is not None else None,
        data_documento=_iso(doc.data_documento(model)) if model is not None else None,
        extra={k: str(v) for k, v in doc.metadati(model).items() if v} if model is not None else {},
    )
    record = _record(doc.code, modo, dati, calcoli.get("avvisi")) if dati is not None else None
    carta: list[CartaPagina] = []
    if not completo and motore.stampabile(doc, model):
        try:
            pdf = motore.emetti(doc, model, modo, holders, metadata=meta, dati=record, settings=settings, carta=carta,
                                ora=ora)
            return Prodotto(doc=doc, model=model, pdf=pdf, carta=tuple(carta))
        except motore.NeedsFullRender as exc:
            motore.conta_completo(doc, exc)
    elif not completo and model is not None and doc.motore is not None:
        try:
            pdf = doc.motore.emetti(doc, model, modo, holders, metadata=meta, dati=record, settings=settings,
                                    carta=carta, ora=ora)
            return Prodotto(doc=doc, model=model, pdf=pdf, carta=tuple(carta))
        except motore.NeedsFullRender as exc:
            motore.conta_completo(doc, exc)
    html = render_html(settings.templates_dir, doc.template_path, context, cache=settings.stampa_cache_dir)
    pdf = html_to_pdf(
        html,
        base_dir=settings.templates_dir / doc.template,
        asset_roots=(settings.templates_dir, settings.fonts_dir),
        metadata=meta,
        dati=record,
        ora=ora,
    )
    return Prodotto(doc=doc, model=model, pdf=pdf)


def opzioni(
    doc: DocumentType, modo: str | None, copie: Sequence[str] | None, settings: Settings
) -> tuple[str, tuple[str, ...]]:
    """The mode and the copies to print, checked (Italian errors) before any work is done."""
    modo = modo or settings.modo_default
    if modo not in MODI:
        raise RuleViolation(f"Modo non valido: {modo}. Usare facsimile o normalizzato.", path=("modo",))
    return modo, select_copies(doc, copie)


def _record(code: str, modo: str, dati: Any, avvisi: Any) -> dict[str, Any]:
    """The embedded ``dati.json``: the validated input plus the non-blocking warnings, if any."""
    record = {"tipo": code, "modo": modo, "dati": dati}
    if avvisi:
        record["avvisi"] = list(avvisi)
    return record


def select_copies(doc: DocumentType, wanted: Sequence[str] | None) -> tuple[str, ...]:
    """The holders to print: all of ``doc.copies`` by default, or those matching ``wanted``.

    Each wanted item matches the words of one holder, case-insensitively (``"ente"`` → ``Copia per
    l'Ente``, not ``Copia per l'utente``).
    """
    every = doc.copies or ("",)
    if not wanted:
        return every
    chosen: list[str] = []
    for item in wanted:
        word = re.compile(rf"(?<!\w){re.escape(item.strip())}(?!\w)", re.IGNORECASE)
        hits = [h for h in doc.copies if word.search(h)]
        if len(hits) != 1:
            disponibili = "; ".join(doc.copies) or "una sola copia"
            raise RuleViolation(
                f"Copia non riconosciuta: {item}. Copie di questo documento: {disponibili}.", path=("copie",)
            )
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return tuple(h for h in every if h in chosen)


def _iso(value: Any) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else (str(value) if value else None)
