"""renderers/stamp.py ``_slim``: a compiled blank layout draws its dotted rules as round-capped
zero-length dashes instead of WeasyPrint's one circle per dot; the page looks the same and weighs far less."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import pikepdf
from PIL import Image, ImageChops
from weasyprint import HTML

from renderers.stamp import _slim

ROOT = Path(__file__).resolve().parents[2]

_HTML = """<!DOCTYPE html><html><head><style>@page { size: A5; margin: 10mm }
span { display: inline-block; height: 4mm; border-bottom: 0.3mm dotted #000; margin: 3mm 2mm }
div.v { display: inline-block; width: 20mm; height: 30mm; border-left: 0.3mm dotted #000 }</style></head>
<body>""" + "".join(f'<span style="width: {20 + 7 * i}mm"></span>' for i in range(12)) + '<div class="v"></div></body></html>'


def _raster(pdf: bytes) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "p.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", f"{tmp}/p.pdf", f"{tmp}/p"], check=True)
        return Image.open(next(Path(tmp).glob("p-*.png"))).convert("L").copy()


def _contenuto(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return doc.pages[0].Contents.read_bytes()


def test_dotted_rules_become_dashes_and_look_the_same() -> None:
    originale = HTML(string=_HTML, base_url=str(ROOT) + "/").write_pdf()
    snello = _slim(originale)
    prima, dopo = _contenuto(originale), _contenuto(snello)
    assert prima.count(b" c\n") > 400 and dopo.count(b" c\n") == 0  # every circle gone
    assert dopo.count(b" 1 J [0 ") == 13 and len(dopo) * 10 < len(prima)
    a, b = _raster(originale), _raster(snello)
    diversi = ImageChops.difference(a, b).point(lambda v: 255 if v > 96 else 0)
    inchiostro = a.point(lambda v: 255 if v < 128 else 0)
    assert sum(inchiostro.histogram()[1:]) > 2000  # the dots are there
    assert sum(diversi.histogram()[1:]) < 0.02 * sum(inchiostro.histogram()[1:])


def test_dots_under_a_rounded_clip_are_kept_and_read_once() -> None:
    """The circles of a dotted box with rounded corners are a clip followed by a rectangle clip, not a
    fill: left as they are. ``_slim`` tries each run of dots once (the whole pattern tried at every
    byte of such a run was quadratic in it: 10 of the 13 s of compiling a blank Allegato F); the bytes
    are what ``_DOTTED.sub`` gives, the run before the genuine dotted rule and the rule itself included."""
    from renderers.stamp_layout import _DOTTED, _dots_as_dashes, _dotted_sub

    pdf = HTML(string=_HTML.replace("</style>", "div.r { width: 60mm; height: 20mm; border: 0.3mm dotted #000;"
                                    " border-radius: 3mm }</style>").replace("<body>", '<body><div class="r"></div>'),
               base_url=str(ROOT) + "/").write_pdf()
    contenuto = _contenuto(pdf)
    assert contenuto.count(b"W*\nn\n") > contenuto.count(b"f*\n")  # some runs of dots are not filled
    snello = _dotted_sub(contenuto)
    assert snello == _DOTTED.sub(_dots_as_dashes, contenuto)
    assert snello.count(b" 1 J [0 ") >= 13 and snello.count(b" c\n") > 0  # the rules dashed, the clip's dots kept
