"""renderers/pdf.py: PDF/A-3b identification and XMP, embedded fonts, dati.json, the asset fence."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pikepdf
import pytest

from renderers.errors import RenderError
from renderers.pdf import DATI_JSON, PdfMetadata, html_to_pdf, read_attachment

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES, FONTS = ROOT / "templates", ROOT / "fonts"
HTML = """<html><head><link rel="stylesheet" href="../_base/fonts.css"><link rel="stylesheet" href="../_base/modulo.css">
</head><body><p>Rapporto di controllo tecnico ☒ ’ € {extra}</p><p style="font-family: 'DejaVu Sans Mono'">020066CT0000001</p></body></html>"""
META = PdfMetadata(
    title="Rapporto di controllo tecnico (Allegato G)",
    tipo_documento="allegato-g",
    codice_impianto="020066CT0000001",
    data_documento="2025-10-14",
    extra={"numeroEtichetta": "MN000-25G1-018734-N"},
)
DATI = {"tipo": "allegato-g", "dati": {"comune": "Viadana", "potenza": "20.40"}}


def _render(html: str = HTML.format(extra=""), dati: object | None = DATI) -> bytes:
    return html_to_pdf(html, base_dir=TEMPLATES / "allegato_g", asset_roots=(TEMPLATES, FONTS), metadata=META, dati=dati)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return _render()


def test_xmp_declares_pdfa_3b_and_the_document(pdf: bytes) -> None:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        assert meta.pdfa_status == "3B"
        assert meta["dc:title"] == META.title
        assert meta["dc:type"] == {"allegato-g"}
        assert meta["dc:subject"] == {"allegato-g", "020066CT0000001"}
        ns = "{https://curit-docs.example/ns/documento/1.0/}"
        assert meta[f"{ns}codiceImpianto"] == "020066CT0000001"
        assert meta[f"{ns}dataDocumento"] == "2025-10-14"
        assert meta[f"{ns}numeroEtichetta"] == "MN000-25G1-018734-N"
        # every curit: property is declared in the PDF/A extension schema
        xml = doc.Root.Metadata.read_bytes().decode()
        for name in ("tipoDocumento", "codiceImpianto", "dataDocumento", "numeroEtichetta"):
            assert f"<pdfaProperty:name>{name}</pdfaProperty:name>" in xml
        # the document information dictionary says the same as the XMP (PDF/A 6.6.2.3)
        assert str(doc.docinfo["/Title"]) == META.title
        assert str(doc.docinfo["/Keywords"]) == meta["pdf:Keywords"] == "allegato-g; 020066CT0000001"
        assert str(doc.docinfo["/Producer"]) == meta["pdf:Producer"]
        assert "/OutputIntents" in doc.Root


def test_attachment_is_pdfa3_associated_json(pdf: bytes) -> None:
    assert json.loads(read_attachment(pdf)) == DATI
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        spec = doc.attachments[DATI_JSON].obj
        assert spec.AFRelationship == pikepdf.Name.Data
        assert spec.EF.F.Subtype == pikepdf.Name("/application/json")
        assert any(af.get("/F") == DATI_JSON for af in doc.Root.AF)


def test_a4_and_only_embedded_fonts(pdf: bytes) -> None:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Page size:       595.276 x 841.89 pts (A4)" in info
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    rows = fonts.splitlines()[2:]
    names = {r.split()[0].split("+")[-1] for r in rows}
    assert names == {"Titillium-Web", "DejaVu-Sans", "DejaVu-Sans-Mono"}
    assert all(r.split()[-5:-2] == ["yes", "yes", "yes"] for r in rows)


def test_no_attachment_without_data() -> None:
    with pytest.raises(RenderError, match="dati.json"):
        read_attachment(_render(dati=None))


@pytest.mark.parametrize(
    "resource",
    ['<img src="http://127.0.0.1:9/x.png">', '<img src="file:///etc/passwd">', '<link rel="stylesheet" href="/etc/ssl/openssl.cnf">'],
)
def test_nothing_outside_the_asset_roots_is_fetched(resource: str) -> None:
    with pytest.raises(RenderError) as exc:
        _render(HTML.format(extra=resource))
    assert exc.value.message == "Impaginazione del documento non riuscita."


def test_not_a_pdf_is_an_italian_error() -> None:
    with pytest.raises(RenderError, match="non è un PDF"):
        read_attachment(b"%PDF-1.7 broken")
