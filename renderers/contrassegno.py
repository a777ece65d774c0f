"""Draw the contrassegno (a seal's QR code + a short Italian legend) on every page of a PDF.

The overlay is an *incremental update*: the bytes of the PDF as rendered stay untouched at
the start of the file (the seal's hash covers exactly them), then one new revision adds, to
every page, a content stream drawing the same Form XObject (QR as vector rectangles, see
``renderers.barcode``) in the bottom-right corner on a white box. Existing page content is
wrapped in ``q <scale> cm … Q``: scaled into the area above the strip the code needs, and a page
that leaves its graphics state changed cannot move the code.
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from renderers.barcode import QR_QUIET, qr_matrix, qr_ops
from renderers.errors import RenderError

__all__ = ["LATO", "MARGINE", "STRISCIA", "posizione", "disegna_contrassegno"]

LATO = 68.0
"""Side of the QR square in points, quiet zone included (2.4 cm: about 2 px per module at 150 dpi)."""
MARGINE = 10.0
"""Distance of the square from the bottom and right edges of the page, in points."""
STRISCIA = 62.0
"""Height freed at the bottom of the page for the contrassegno: the page content is scaled down
(about 7% on A4 portrait), centred and kept at the top, so the code never covers a field or a
signature line (forms keep a bottom margin of their own, ~18 pt, which makes up the rest)."""
_CORPO = 5.5


def posizione(larghezza: float) -> tuple[float, float, float]:
    """(x, y, side) of the QR square on a page ``larghezza`` points wide, origin bottom-left."""
    return larghezza - MARGINE - LATO, MARGINE, LATO


def _testo(s: str) -> bytes:
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252", "replace")


def _larghezza(s: str, corpo: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(s, "Helvetica", corpo)


def disegna_contrassegno(pdf: bytes, testo_qr: str, legenda: list[str]) -> bytes:
    """``pdf`` + one incremental revision drawing the QR of ``testo_qr`` and ``legenda`` (lines,
    right-aligned to the left of the code) on every page."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable PDF
        raise RenderError(f"PDF non leggibile per il contrassegno: {exc}") from None
    matrix = qr_matrix(testo_qr, error="M")
    n = matrix.size + 2 * QR_QUIET
    # the XObject is drawn in a 0..LATO box; white background first (the code must stay readable
    # even where a form prints near its bottom-right corner)
    corpo = b"1 g 0 0 %.2f %.2f re f 0 g\n" % (LATO, LATO) + qr_ops(matrix, 0, 0, LATO)
    larghezza_testo = max((_larghezza(r, _CORPO) for r in legenda), default=0.0)
    righe = b""
    if legenda:
        alto = len(legenda) * (_CORPO + 1.5) + 3
        righe += b"1 g %.2f 0 %.2f %.2f re f 0 g\n" % (-larghezza_testo - 6, larghezza_testo + 6, alto)
        righe += b"BT /CuritF %.1f Tf\n" % _CORPO
        for i, riga in enumerate(legenda):
            x = -3 - _larghezza(riga, _CORPO)
            y = alto - (i + 1) * (_CORPO + 1.5)
            righe += b"1 0 0 1 %.2f %.2f Tm (%s) Tj\n" % (x, y, _testo(riga))
        righe += b"ET\n"
    font = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
        generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
        generic.NameObject("/Encoding"): generic.NameObject("/WinAnsiEncoding"),
    })
    xobj = generic.StreamObject({
        generic.NameObject("/Type"): generic.NameObject("/XObject"),
        generic.NameObject("/Subtype"): generic.NameObject("/Form"),
        generic.NameObject("/BBox"): generic.ArrayObject(
            [generic.FloatObject(-larghezza_testo - 6), generic.FloatObject(0),
             generic.FloatObject(LATO), generic.FloatObject(LATO)]),
        generic.NameObject("/Resources"): generic.DictionaryObject({
            generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/CuritF"): writer.add_object(font)}),
        }),
    }, stream_data=corpo + righe)
    xobj.compress()
    xref = writer.add_object(xobj)
    risorse = generic.DictionaryObject({
        generic.NameObject("/XObject"): generic.DictionaryObject({generic.NameObject("/CuritContrassegno"): xref}),
    })
    pagine = writer.root["/Pages"]["/Count"]
    for i in range(int(pagine)):
        page = writer.find_page_for_modification(i)[0].get_object()
        box = [float(v) for v in page["/MediaBox"]]
        x, y, _ = posizione(box[2] - box[0])
        k = (box[3] - box[1] - STRISCIA) / (box[3] - box[1])
        tx, ty = (box[0] + box[2]) / 2 * (1 - k), box[3] * (1 - k)
        apri = writer.add_object(generic.StreamObject(stream_data=b"q %.5f 0 0 %.5f %.3f %.3f cm\n" % (k, k, tx, ty)))
        chiudi = writer.add_object(generic.StreamObject(
            stream_data=b"Q\nq 1 0 0 1 %.2f %.2f cm /CuritContrassegno Do Q\n" % (box[0] + x, box[1] + y)))
        writer.add_stream_to_page(i, apri, prepend=True)
        res_ref = writer.find_page_for_modification(i)[1]
        condivise = isinstance(res_ref, generic.IndirectObject) and "/CuritContrassegno" in \
            res_ref.get_object().get("/XObject", generic.DictionaryObject())
        writer.add_stream_to_page(i, chiudi, resources=None if condivise else risorse)  # shared: merged once
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
