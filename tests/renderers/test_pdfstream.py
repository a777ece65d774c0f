"""renderers/pdfstream.py: pages assembled elsewhere give the same bytes; resources written once, on first use."""

from __future__ import annotations

import io
import pickle

import pikepdf

from renderers.pdfstream import PageCollector, PdfStreamWriter, Placement, Provider, import_pdf_page


def _background() -> bytes:
    buf = io.BytesIO()
    w = PdfStreamWriter(buf)
    w.add_page(100, 50, [Placement(0, 0, "", b"0 0 1 rg 0 0 100 50 re f\n")])
    w.close()
    return buf.getvalue()


def _pages(target, provider: Provider) -> None:
    for k in range(3):
        target.provide("Bg", provider)
        target.add_page(200, 100, [Placement(10 * k, 5, "Bg", b"0 g 1 1 5 5 re f\n")], b"% extra\n")


def test_collected_pages_write_the_same_bytes_as_direct_pages() -> None:
    provider = Provider(import_pdf_page, (_background(), 0))
    direct = io.BytesIO()
    writer = PdfStreamWriter(direct, title="t", file_id=b"\x01" * 16)
    _pages(writer, provider)
    writer.close()

    collector = PageCollector()
    _pages(collector, provider)
    pages = pickle.loads(pickle.dumps(collector.pages))  # what a worker process hands back
    assert [len(p.providers) for p in pages] == [1, 0, 0]  # the provider travels once
    via = io.BytesIO()
    writer = PdfStreamWriter(via, title="t", file_id=b"\x01" * 16)
    for page in pages:
        writer.add_page_data(page)
    writer.close()
    assert via.getvalue() == direct.getvalue()

    with pikepdf.open(io.BytesIO(direct.getvalue())) as pdf:
        assert len(pdf.pages) == 3
        assert len({str(p.Resources.XObject.Bg.objgen) for p in pdf.pages}) == 1  # imported once
        assert bytes(pdf.trailer.ID[0]) == b"\x01" * 16
        assert "/CreationDate" not in pdf.docinfo


def test_unused_resources_are_never_written() -> None:
    buf = io.BytesIO()
    writer = PdfStreamWriter(buf)
    writer.provide("Bg", Provider(import_pdf_page, (_background(), 0)))
    writer.add_page(10, 10, [Placement(0, 0, "", b"")])
    writer.close()
    with pikepdf.open(io.BytesIO(buf.getvalue())) as pdf:
        assert len(pdf.objects) < 8 and "/XObject" not in pdf.pages[0].Resources
