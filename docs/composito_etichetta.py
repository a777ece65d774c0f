"""Photo-like composite for the README: an etichetta matrice stuck in the space of Allegato G, at scale.

    .venv/bin/python docs/composito_etichetta.py     # writes docs/img/etichetta-su-allegato-g.png

The G page (copy for the user, filled example) and a FAC-SIMILE A4-1x7 sheet are rendered and
rasterised at the same resolution. The first matrice (copia utente) is cut at its declared size
(``domain.etichetta.MATRICE``), then pasted into the dashed space of the G page at the position
measured on the PDF (pdfplumber), 2 mm inside the border on each side. A soft shadow and a small
tilt make it look stuck by hand. Also refreshes docs/img/allegato-g.png and etichette-foglio.png.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

import pdfplumber
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from domain.etichetta import MARGINE_SPAZIO_MM, MATRICE  # noqa: E402
from renderers.impose import MM, PROFILI  # noqa: E402

DPI = 200


def _raster(pdf: bytes, page: int, dpi: int) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "d.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png",
                        f"{tmp}/d.pdf", f"{tmp}/p"], check=True)
        return Image.open(next(Path(tmp).glob("p-*.png"))).convert("RGB").copy()


def main() -> None:
    from service.etichette_stampa import render_etichette  # noqa: F401 (warms the registry)
    from service.produce import render_document
    from service.registry import get_document_type

    g = render_document("allegato-g", get_document_type("allegato-g").example(), modo="facsimile",
                        copie=["utente"])
    dt = get_document_type("etichette")
    fogli = render_document("etichette", dt.example(), modo="facsimile")
    with pdfplumber.open(io.BytesIO(g)) as doc:
        dashed = [o for o in doc.pages[0].lines if o.get("dash") and o["dash"][0]]
        left = min(o["x0"] for o in dashed) / MM
        top = min(o["top"] for o in dashed) / MM
    pagina = _raster(g, 1, DPI)
    foglio = _raster(fogli, 1, DPI)
    p = PROFILI["A4-1x7"]
    k = DPI / 25.4
    x, y = p.cell(0)
    matrice = foglio.crop((round(x * k), round(y * k), round((x + MATRICE.larghezza) * k),
                           round((y + MATRICE.altezza) * k)))
    # into the space: 0.4 mm border + 2 mm margin from the measured border centre line
    px, py = round((left + 0.2 + MARGINE_SPAZIO_MM) * k), round((top + 0.2 + MARGINE_SPAZIO_MM) * k)
    ruotata = matrice.convert("RGBA").rotate(0.8, resample=Image.BICUBIC, expand=True)
    ombra = Image.new("RGBA", ruotata.size, (0, 0, 0, 0))
    ombra.putalpha(ruotata.getchannel("A").point(lambda a: 90 if a else 0))
    ombra = ombra.filter(ImageFilter.GaussianBlur(4))
    pagina.paste(ombra, (px + 5, py + 6), ombra)
    pagina.paste(ruotata, (px, py), ruotata)
    dettaglio = pagina.crop((round(80 * k), round(5 * k), pagina.width - round(5 * k), round(60 * k)))
    out = ROOT / "docs" / "img"
    dettaglio.save(out / "etichetta-su-allegato-g.png", optimize=True)
    _raster(g, 1, 80).save(out / "allegato-g.png", optimize=True)
    foglio_80 = _raster(fogli, 1, 80)
    foglio_80.save(out / "etichette-foglio.png", optimize=True)
    print(out / "etichetta-su-allegato-g.png")


if __name__ == "__main__":
    main()
