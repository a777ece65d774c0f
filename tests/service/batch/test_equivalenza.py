"""Stamped page vs the full WeasyPrint render of the same record, rasterised at 100 dpi.

For every document type the engine stamps (targa, etichetta, avviso di ispezione, lettera di
esito in its three variants) the record is drawn once by the stamp engine and once laid out in
full by WeasyPrint through the same template; the two rasters must agree pixel for pixel
within a small tolerance (anti-aliasing of glyph edges).
"""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from domain.avvisi import RiepilogoIspezione, esempio_avviso, esempio_riepilogo, lettere_esito
from domain.etichetta import numero_etichetta
from renderers.impose import write_one_up
from renderers.stamp import CodeOptions
from service.batch.base import Contesto
from service.batch.blocchi import SessioneLotto
from service.batch.tipi import tipo_lotto
from service.settings import Settings



class _SempreCompleta(SessioneLotto):
    """The reference: every record laid out in full by WeasyPrint (the engine's fallback path)."""

    def items(self, variante, context, valori, full_context, chiave):  # noqa: D102
        return self.items_completi(variante, context, valori, full_context, chiave)


def _pdf(cls: type, tipo_codice: str, rec: dict, opzioni: dict, settings: Settings) -> tuple[bytes, list]:
    tipo = tipo_lotto(tipo_codice)
    ctx = Contesto(settings, opzioni)
    out = io.BytesIO()
    s = cls(out, settings=settings, template=tipo.template, title="prova",
            codes=CodeOptions(qr_error="M", qr_version=opzioni.get("qr_version")))
    items = tipo.items(s, rec, ctx)
    for item in items:
        write_one_up(s.writer, item)
    s.close()
    return out.getvalue(), items


def _raster(pdf: bytes, tmp: Path, nome: str) -> list[Image.Image]:
    (tmp / f"{nome}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-png", str(tmp / f"{nome}.pdf"), str(tmp / nome)], check=True)
    return [Image.open(p).convert("L") for p in sorted(tmp.glob(f"{nome}-*.png"))]


def _lettere() -> list[dict]:
    r = RiepilogoIspezione.model_validate(esempio_riepilogo())
    diffida, vvf, _ = lettere_esito(r, protocollo="BS-ESI-2026/000211", data_lettera=date(2026, 2, 9),
                                    funzionario="Ing. Marta Bonetti", provincia="Brescia")
    ok = RiepilogoIspezione.model_validate({**esempio_riepilogo(), "codici_nc": [], "generatori": [
        {"numero": 1, "esito": "9.a", "rendimento_sufficiente": True}]})
    (positiva,) = lettere_esito(ok, protocollo="BS-ESI-2026/000212", data_lettera=date(2026, 2, 9),
                                funzionario="Ing. Marta Bonetti")
    return [x.model_dump(mode="json") for x in (diffida, vvf, positiva)]


CASI = [
    ("targhe", {"codice_impianto": "019036IN0000123", "indirizzo": "Via Giuseppe Garibaldi", "civico": "10",
                "comune": "Cremona", "ente_id": None}, {"qr_version": 2}),
    ("etichette", {"numero": numero_etichetta("CR000", 2026, "G", 41).compatto},
     {"ente_id": "provincia-cremona", "tipo": "G", "qr_version": 2}),
    ("avvisi", esempio_avviso(), {}),
    *[("esiti", lettera, {}) for lettera in _lettere()],
]


@pytest.mark.parametrize(("tipo", "rec", "opzioni"), CASI, ids=["targa", "etichetta", "avviso", "diffida",
                                                                "ente-competente", "esito-positivo"])
def test_stamped_equals_full_render(tipo: str, rec: dict, opzioni: dict, settings: Settings, tmp_path: Path) -> None:
    stampato, items = _pdf(SessioneLotto, tipo, rec, opzioni, settings)
    completo, items_full = _pdf(_SempreCompleta, tipo, rec, opzioni, settings)
    assert not any(i.full_render for i in items) and all(i.full_render for i in items_full)
    a, b = _raster(stampato, tmp_path, "stampato"), _raster(completo, tmp_path, "completo")
    assert len(a) == len(b) >= 1
    for pa, pb in zip(a, b):
        assert pa.size == pb.size
        diff = ImageChops.difference(pa, pb).point(lambda v: 255 if v > 96 else 0)
        diversi = sum(diff.histogram()[1:])  # pixels not 0 ("L": one bin per value; getdata is deprecated)
        assert diversi / (pa.size[0] * pa.size[1]) < 0.002, f"{diversi} pixel diversi"
        # the values really are on the page (an empty stamp would differ from the full render)
        assert ImageChops.difference(pa, Image.new("L", pa.size, 255)).getbbox() is not None
