"""HTML string + asset roots → PDF/A-3b bytes (WeasyPrint), with ``dati.json`` attached.

The URL fetcher serves only files below the packaged asset roots (templates/,
fonts/) and ``data:`` URLs: nothing is fetched from the network and user data
cannot make the renderer read arbitrary files.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pikepdf
from weasyprint import HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from renderers.errors import RenderError

__all__ = ["PdfMetadata", "html_to_pdf", "AssetFetcher", "read_attachment", "DATI_JSON"]

DATI_JSON = "dati.json"
"""Name of the embedded machine-readable record in every produced PDF."""

PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class PdfMetadata:
    """What the XMP packet and document info say about a produced PDF."""

    title: str
    """Document title, e.g. ``Allegato G - Rapporto di controllo tecnico``."""
    tipo_documento: str
    """Registry code of the document type, e.g. ``allegato-g``."""
    codice_impianto: str | None = None
    data_documento: str | None = None
    """ISO date the document refers to (not the production time)."""
    author: str = "curit-docs"
    extra: dict[str, str] = field(default_factory=dict)
    """More ``curit:`` XMP properties (e.g. etichetta number)."""


class AssetFetcher(URLFetcher):
    """Serve ``file:`` URLs below ``roots`` and ``data:`` URLs; refuse everything else."""

    def __init__(self, roots: Iterable[Path]) -> None:
        super().__init__(allowed_protocols=("file", "data"))
        self._roots = tuple(Path(r).resolve() for r in roots)

    def fetch(self, url: str, headers: Any = None):  # noqa: D102 - WeasyPrint API
        if url.startswith("file:"):
            path = Path(unquote(urlparse(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in self._roots):
                raise FatalURLFetchingError(f"Risorsa non consentita: {url}")
        elif not url.startswith("data:"):
            raise FatalURLFetchingError(f"Risorsa non consentita: {url}")
        return super().fetch(url, headers)


def html_to_pdf(
    html: str,
    *,
    base_dir: Path,
    asset_roots: Sequence[Path],
    metadata: PdfMetadata,
    dati: Any | None = None,
) -> bytes:
    """Lay out ``html`` and write a PDF/A-3b; ``dati`` (JSON-able) is attached as dati.json."""
    attachments = []
    if dati is not None:
        payload = json.dumps(dati, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()
        attachments.append(
            Attachment(string=payload, name=DATI_JSON, description="Dati del documento (JSON)",
                       relationship="Data")
        )
    fetcher = AssetFetcher(asset_roots)
    try:
        document = HTML(string=html, base_url=str(base_dir) + "/", url_fetcher=fetcher).render(
            font_config=FontConfiguration()
        )
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments)
    except RenderError:
        raise
    except Exception as exc:  # WeasyPrint raises many kinds; the user sees one Italian message
        raise RenderError("Impaginazione del documento non riuscita.") from exc
    return _stamp_xmp(pdf, metadata)


def _stamp_xmp(pdf: bytes, meta: PdfMetadata) -> bytes:
    """Add title, type, codice impianto and date to the XMP packet (keeps PDF/A-3b)."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        with doc.open_metadata(set_pikepdf_as_editor=False) as xmp:
            xmp["dc:title"] = meta.title
            xmp["dc:creator"] = [meta.author]
            xmp["dc:type"] = [meta.tipo_documento]
            subject = [meta.tipo_documento] + ([meta.codice_impianto] if meta.codice_impianto else [])
            xmp["dc:subject"] = subject
            if meta.data_documento:
                xmp["dc:date"] = [meta.data_documento]
            xmp["xmp:MetadataDate"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        doc.docinfo["/Title"] = meta.title
        if meta.codice_impianto:
            doc.docinfo["/Keywords"] = f"{meta.tipo_documento}; {meta.codice_impianto}"
        else:
            doc.docinfo["/Keywords"] = meta.tipo_documento
        out = io.BytesIO()
        doc.save(out, deterministic_id=False)
    return out.getvalue()


def read_attachment(pdf: bytes, name: str = DATI_JSON) -> bytes:
    """Return the bytes of an embedded file; RenderError when absent."""
    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            files = doc.attachments
            if name not in files:
                raise RenderError(f"Il PDF non contiene l'allegato {name}.")
            return files[name].get_file().read_bytes()
    except pikepdf.PdfError as exc:
        raise RenderError("Il file non è un PDF leggibile.") from exc


logging.getLogger("fontTools").setLevel(logging.WARNING)
