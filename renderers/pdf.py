"""HTML string + asset roots → PDF/A-3b bytes (WeasyPrint), with ``dati.json`` attached.

The URL fetcher serves only files below the packaged asset roots (templates/,
fonts/) and ``data:`` URLs: nothing is fetched from the network and user data
cannot make the renderer read arbitrary files.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pikepdf
from weasyprint import HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from renderers.errors import RenderError

__all__ = ["PdfMetadata", "html_to_pdf", "AssetFetcher", "read_attachment", "DATI_JSON", "srgb_profile",
           "pdfa_parts"]

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
    ora: datetime | None = None,
) -> bytes:
    """Lay out ``html`` and write a PDF/A-3b; ``dati`` (JSON-able) is attached as dati.json.
    ``ora``: the document's creation time (default now)."""
    attachments = []
    if dati is not None:
        payload = _payload(dati)
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
    except (Exception, FatalURLFetchingError) as exc:  # many kinds (the fetch one is a BaseException)
        raise RenderError("Impaginazione del documento non riuscita.") from exc
    return _stamp_xmp(pdf, metadata, ora)


def _payload(dati: Any) -> bytes:
    """The bytes of ``dati.json`` (the same for the full layout and the stamp engine)."""
    return json.dumps(dati, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()


def _keywords(meta: PdfMetadata) -> str:
    return "; ".join([meta.tipo_documento, *([meta.codice_impianto] if meta.codice_impianto else [])])


def _text(value: str) -> bytes:
    """A PDF text string (UTF-16BE with BOM, hex)."""
    return b"<FEFF%s>" % value.encode("utf-16-be").hex().upper().encode()


_SRGB = b"(IEC 61966-2-1 Default RGB Colour Space - sRGB)"
"""The output condition WeasyPrint names after the profile's description."""


def srgb_profile(writer: Any) -> int:
    """Write the sRGB ICC profile WeasyPrint's PDF/A output intent uses; its object number."""
    icc = (files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
    return writer.add_stream(icc, b"/N 3 /Alternate /DeviceRGB")


def pdfa_parts(writer: Any, meta: PdfMetadata, dati: Any | None, *, icc: int, producer: str,
               now: datetime | None = None) -> tuple[bytes, bytes]:
    """What makes a stamped document the PDF/A-3b :func:`html_to_pdf` writes: the XMP packet,
    the sRGB output intent (profile object ``icc``, see :func:`srgb_profile`) and ``dati.json``
    as an associated file (``/AFRelationship /Data``). Writes the objects with ``writer``
    (a :class:`~renderers.pdfstream.PdfObjectWriter`) and returns the catalog entries and the
    document information dictionary, which says the same as the XMP."""
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    keywords = _keywords(meta)
    packet = _xmp_packet(meta, producer=producer, keywords=keywords, now=now.isoformat())
    metadata = writer.add_stream(packet, b"/Type /Metadata /Subtype /XML", compress=False)
    entries = [b"/Metadata %d 0 R" % metadata,
               b"/OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier %s "
               b"/Info %s /DestOutputProfile %d 0 R >>]" % (_SRGB, _SRGB, icc)]
    pdf_date = now.strftime("D:%Y%m%d%H%M%S+00'00'").encode()
    if dati is not None:
        payload = _payload(dati)
        stamp = now.strftime("D:%Y%m%d%H%M%SZ").encode()
        data = writer.add_stream(payload, b"/Type /EmbeddedFile /Subtype /application#2fjson /Params << /CheckSum <%s> "
                                 b"/Size %d /CreationDate (%s) /ModDate (%s) >>" % (
                                     hashlib.md5(payload, usedforsecurity=False).hexdigest().encode(), len(payload),
                                     stamp, stamp))
        spec = writer.add_object(b"<< /Type /Filespec /F %s /UF %s /EF << /F %d 0 R >> /Desc %s /AFRelationship /Data >>"
                                 % (_text(DATI_JSON), _text(DATI_JSON), data, _text("Dati del documento (JSON)")))
        entries.append(b"/Names << /EmbeddedFiles << /Names [%s %d 0 R] >> >> /AF [%d 0 R]"
                       % (_text(DATI_JSON), spec, spec))
    info = b"<< /Title %s /Author %s /Creator %s /Keywords %s /Producer %s /CreationDate (%s) /ModDate (%s) >>" % (
        _text(meta.title), _text(meta.author), _text(meta.author), _text(keywords), _text(producer), pdf_date, pdf_date)
    return b" ".join(entries), info


_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
    "curit": "https://curit-docs.example/ns/documento/1.0/",
}
"""XMP namespaces; ``curit:`` properties are declared in a PDF/A extension schema (ISO 19005-3 6.6.2.3)."""

_CURIT_PROPERTIES = {
    "tipoDocumento": "Codice del tipo di documento (es. allegato-g)",
    "codiceImpianto": "Codice impianto del catasto (CURIT)",
    "dataDocumento": "Data a cui si riferisce il documento (ISO 8601)",
}


def _el(parent: ET.Element, qname: str, text: str | None = None, **attrs: str) -> ET.Element:
    prefix, _, local = qname.partition(":")
    node = ET.SubElement(parent, f"{{{_NS[prefix]}}}{local}", {_qn(k): v for k, v in attrs.items()})
    node.text = text
    return node


def _qn(name: str) -> str:
    prefix, _, local = name.partition(":")
    return f"{{{_NS[prefix]}}}{local}" if local else name


def _rdf_list(parent: ET.Element, qname: str, kind: str, items: Sequence[str], lang: bool = False) -> None:
    container = _el(_el(parent, qname), f"rdf:{kind}")
    for item in items:
        attrs = {"{http://www.w3.org/XML/1998/namespace}lang": "x-default"} if lang else {}
        li = ET.SubElement(container, f"{{{_NS['rdf']}}}li", attrs)
        li.text = item


def _xmp_packet(meta: PdfMetadata, *, producer: str, keywords: str, now: str) -> bytes:
    """A complete XMP packet: PDF/A-3b identification, Dublin Core, dates and ``curit:`` properties."""
    for prefix, uri in _NS.items():
        ET.register_namespace(prefix, uri)
    root = ET.Element(_qn("x:xmpmeta"))
    rdf = _el(root, "rdf:RDF")
    ident = _el(rdf, "rdf:Description", **{"rdf:about": ""})
    _el(ident, "pdfaid:part", "3")
    _el(ident, "pdfaid:conformance", "B")
    desc = _el(rdf, "rdf:Description", **{"rdf:about": ""})
    _rdf_list(desc, "dc:title", "Alt", [meta.title], lang=True)
    _rdf_list(desc, "dc:creator", "Seq", [meta.author])
    _rdf_list(desc, "dc:type", "Bag", [meta.tipo_documento])
    _rdf_list(desc, "dc:subject", "Bag", [meta.tipo_documento, *([meta.codice_impianto] if meta.codice_impianto else [])])
    if meta.data_documento:
        _rdf_list(desc, "dc:date", "Seq", [meta.data_documento])
    _el(desc, "pdf:Producer", producer)
    _el(desc, "pdf:Keywords", keywords)
    for name in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
        _el(desc, name, now)
    _el(desc, "xmp:CreatorTool", meta.author)
    props = {"tipoDocumento": meta.tipo_documento, "codiceImpianto": meta.codice_impianto,
             "dataDocumento": meta.data_documento, **meta.extra}
    for name, value in props.items():
        if value:
            _el(desc, f"curit:{name}", str(value))
    _extension_schema(rdf, [n for n, v in props.items() if v], meta.extra)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' + body + '\n<?xpacket end="w"?>').encode()


def _extension_schema(rdf: ET.Element, names: list[str], extra: dict[str, str]) -> None:
    desc = _el(rdf, "rdf:Description", **{"rdf:about": ""})
    schema = _el(_el(_el(desc, "pdfaExtension:schemas"), "rdf:Bag"), "rdf:li", **{"rdf:parseType": "Resource"})
    _el(schema, "pdfaSchema:schema", "CURIT documento")
    _el(schema, "pdfaSchema:namespaceURI", _NS["curit"])
    _el(schema, "pdfaSchema:prefix", "curit")
    seq = _el(_el(schema, "pdfaSchema:property"), "rdf:Seq")
    for name in names:
        prop = _el(seq, "rdf:li", **{"rdf:parseType": "Resource"})
        _el(prop, "pdfaProperty:name", name)
        _el(prop, "pdfaProperty:valueType", "Text")
        _el(prop, "pdfaProperty:category", "external")
        _el(prop, "pdfaProperty:description", _CURIT_PROPERTIES.get(name, f"Dato del documento: {name}"))


def _stamp_xmp(pdf: bytes, meta: PdfMetadata, ora: datetime | None = None) -> bytes:
    """Replace the XMP packet (title, type, codice impianto, date, extras; keeps PDF/A-3b) and
    make the document information dictionary say the same thing, as PDF/A requires."""
    now = (ora or datetime.now(timezone.utc)).replace(microsecond=0)
    keywords = _keywords(meta)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        producer = str(doc.docinfo.get("/Producer", "WeasyPrint"))
        packet = _xmp_packet(meta, producer=producer, keywords=keywords, now=now.isoformat())
        stream = doc.make_stream(packet)
        stream.Type = pikepdf.Name.Metadata
        stream.Subtype = pikepdf.Name.XML
        doc.Root.Metadata = stream
        pdf_date = now.strftime("D:%Y%m%d%H%M%S+00'00'")
        doc.docinfo["/Title"] = meta.title
        doc.docinfo["/Author"] = meta.author
        doc.docinfo["/Creator"] = meta.author
        doc.docinfo["/Keywords"] = keywords
        doc.docinfo["/CreationDate"] = pdf_date
        doc.docinfo["/ModDate"] = pdf_date
        out = io.BytesIO()
        doc.save(out, deterministic_id=False, fix_metadata_version=False)  # the packet as written, as the engine's
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
