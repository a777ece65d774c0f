"""Engine output vs the full WeasyPrint render of the same record: the checks every type's
``test_motore_*.py`` runs (imported by them; not a test module itself).

- ``estrai_testo``: ``pdftotext`` of both, whitespace normalised;
- ``slot_diversi``: each ``data-campo`` box of the compiled layout rasterised on its own from both
  PDFs and compared, so one missing date or protocol number fails (a page-wide threshold would not);
- ``pdfa``: PDF/A-3b markers, the XMP packet (dates aside) and ``dati.json``.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pikepdf
from PIL import Image, ImageChops, ImageDraw

from renderers.pdf import read_attachment

DPI = 100
SOGLIA = 96
"""Grey levels further apart than this differ."""


def estrai_testo(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


def pagine(pdf: bytes) -> list[Image.Image]:
    """Every page at :data:`DPI`, grey. Written by ``pdftoppm`` as PGM, not PNG: the same grey levels
    without encoding each page as an RGB PNG (~0.4 s of CPU a page at 100-150 dpi, ~0.05 as PGM)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "d.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", f"{tmp}/d.pdf", f"{tmp}/p"], check=True)
        return [Image.open(p).convert("L").copy() for p in sorted(Path(tmp).glob("p-*.pgm"))]


def _riquadro(slot, altezza_pagina: float) -> tuple[int, int, int, int]:
    k = DPI / 72
    return (int(slot.x * k) - 1, int((altezza_pagina - slot.y - slot.height) * k) - 1,
            int((slot.x + slot.width) * k) + 2, int((altezza_pagina - slot.y) * k) + 2)


def _dentro(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] >= b[0] and a[1] >= b[1] and a[2] <= b[2] and a[3] <= b[3]


def _inchiostro(im: Image.Image) -> int:
    return sum(im.point(lambda v: 255 if v < 128 else 0).histogram()[1:])


def slot_diversi(compiled, a: list[Image.Image], b: list[Image.Image], *, quota: float = 0.005,
                 minimo: int = 6) -> list[tuple[int, str, int]]:
    """(page, campo, differing pixels) of every slot box where ``a`` and ``b`` differ: more than
    ``quota`` of the box's pixels and at least ``minimo``. A check box is compared by its ink (the
    engine's cross and WeasyPrint's are drawn alike but not pixel for pixel: ticked or not); every
    other box with the check boxes blanked out, at the best alignment within one pixel."""
    assert len(a) == len(b) == len(compiled.pages)
    out = []
    for n, (pagina, pa, pb) in enumerate(zip(compiled.pages, a, b)):
        assert pa.size == pb.size
        caselle = [_riquadro(s, pagina.height) for s in pagina.slots if s.kind == "check"]
        ma, mb = pa.copy(), pb.copy()
        for im in (ma, mb):
            disegno = ImageDraw.Draw(im)
            for box in caselle:
                disegno.rectangle(box, fill=255)
        visti = set()
        for slot in pagina.slots:
            box = _riquadro(slot, pagina.height)
            if (box, slot.kind == "check") in visti:
                continue  # a strike twin shares its field's box
            visti.add((box, slot.kind == "check"))
            contiene = slot.kind != "check" and any(_dentro(c, box) for c in caselle)
            if slot.kind == "check" or contiene:
                # a check grid's cell: struck (its rule, drawn by WeasyPrint as a gradient ~0.3 pt
                # thicker than the engine's) or not, with the crosses blanked out
                sa, sb = (pa, pb) if slot.kind == "check" else (ma, mb)
                ia, ib = _inchiostro(sa.crop(box)), _inchiostro(sb.crop(box))
                if abs(ia - ib) >= minimo and abs(ia - ib) > 0.5 * max(ia, ib):
                    out.append((n, slot.campo, abs(ia - ib)))
                continue
            diversi = _inchiostro_diverso(ma, mb, box)
            area = (box[2] - box[0]) * (box[3] - box[1])
            if diversi >= minimo and diversi > quota * area:
                out.append((n, slot.campo, diversi))
    return out


def _inchiostro_diverso(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Pixels of the slot box whose grey levels differ by more than ``SOGLIA``, at the best
    alignment of the two renders within one pixel (a sub-pixel shift of a glyph edge passes;
    a missing or different character does not)."""
    ritaglio = a.crop(box)
    migliore = None
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            altro = b.crop((box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy))
            diff = ImageChops.difference(ritaglio, altro).point(lambda v: 255 if v > SOGLIA else 0)
            n = sum(diff.histogram()[1:])
            migliore = n if migliore is None else min(migliore, n)
    return migliore or 0


def xmp(pdf: bytes) -> str:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        xml = doc.Root.Metadata.read_bytes().decode()
    return re.sub(r"<xmp:(CreateDate|ModifyDate|MetadataDate)>[^<]*<", r"<xmp:\1><", xml)


def pdfa(pdf: bytes) -> dict:
    """What must be the same as the full render: PDF/A identification, output intent, associated
    file, information dictionary (dates aside), XMP (dates aside), dati.json."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        intents = doc.Root.get("/OutputIntents", [])
        # WeasyPrint lists its one associated file twice in /AF: compared as a set
        af = sorted({str(f.get("/AFRelationship")) + str(f.get("/F")) for f in doc.Root.get("/AF", [])})
        info = {k: str(v) for k, v in doc.docinfo.items() if k not in ("/CreationDate", "/ModDate")}
        out = {
            "pdfa": meta.pdfa_status,
            "intents": [(str(i.S), str(i.OutputConditionIdentifier), len(i.DestOutputProfile.read_bytes()))
                        for i in intents],
            "af": af,
            "info": info,
            "xmp": xmp(pdf),
        }
    try:
        out["dati"] = json.loads(read_attachment(pdf))
    except Exception:  # noqa: BLE001 - a blank form has none
        out["dati"] = None
    return out


def coppie(tipo: str, records: dict, impostazioni, *, modo: str = "normalizzato") -> dict[str, tuple[bytes, bytes]]:
    """(engine, full render) of each record; fails if any record fell back to the full layout."""
    from service import motore
    from service.produce import render_document

    prima = motore.CONTEGGI["motore"]
    out = {k: (render_document(tipo, r, modo=modo, settings=impostazioni),
               render_document(tipo, r, modo=modo, settings=impostazioni, completo=True))
           for k, r in records.items()}
    assert motore.CONTEGGI["motore"] == prima + len(records)  # no fallback for these records
    return out


def parole_in_ordine(pdf: bytes, valore: str, campo: str) -> None:
    """Every word of ``valore`` is drawn, in order. A value wrapped inside its slot reads back with the
    text beside its first line between its lines, so the words are found in order, not contiguously."""
    testo, da = "".join(estrai_testo(pdf).split()), 0
    for parola in valore.split():
        da = testo.find(parola, da)
        assert da >= 0, f"{campo}: «{parola}» di «{valore}» non è nel documento"
        da += len(parola)
