"""Allegato G stamped on its blank layout vs the full WeasyPrint render of the same record.

The stamped copy (blank background + values drawn by the engine) and ``render_document``'s PDF
are rasterised at 100 dpi, every page of every copy: they must agree within a small tolerance
(anti-aliasing of glyph edges, the drawn ticks). A G batch's pages carry each record's data, and a
record whose text does not fit its box is laid out in full and counted in the report.
"""

from __future__ import annotations

import copy
import io
import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from renderers.impose import write_one_up
from renderers.stamp import CodeOptions, read_slots
from service.batch.base import Contesto
from service.batch.blocchi import SessioneLotto
from service.batch.lavoro import crea_lavoro, esegui_lavoro
from service.batch.moduli import StampaModulo, valori_da_html
from service.batch.tipi import ModuloStampato, tipo_lotto
from service.produce import render_document, validate
from service.registry import get_document_type
from service.settings import Settings


def _raster(pdf: bytes, tmp: Path, nome: str) -> list[Image.Image]:
    (tmp / f"{nome}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-png", str(tmp / f"{nome}.pdf"), str(tmp / nome)], check=True)
    return [Image.open(p).convert("L") for p in sorted(tmp.glob(f"{nome}-*.png"))]


def _stampato(rec: dict, settings: Settings) -> tuple[bytes, list]:
    tipo = tipo_lotto("moduli:allegato-g")
    assert isinstance(tipo, ModuloStampato)
    out = io.BytesIO()
    s = SessioneLotto(out, settings=settings, template=tipo.template, title="prova", codes=CodeOptions())
    items = tipo.items(s, rec, Contesto(settings, {}))
    for item in items:
        write_one_up(s.writer, item)
    s.close()
    return out.getvalue(), items


def _diversi(a: Image.Image, b: Image.Image) -> int:
    diff = ImageChops.difference(a, b).point(lambda v: 255 if v > 96 else 0)
    return sum(diff.histogram()[1:])


def _variante() -> dict:
    """The example with the other branches: type B on oil, measurement not made, no etichetta."""
    g = copy.deepcopy(get_document_type("allegato-g").example())
    g.update(combustibile="Gasolio", tipo_caldaia="B", tiraggio_tipo="naturale", rendimento_controllo="Non effettuato",
             misura={}, numero_etichetta=None, locale="Esterno", interno_testo=None, c_esterno=True,
             esame_locale={}, responsabile_qualita="proprietario", uso=["riscaldamento"],
             raccomandazioni="Sostituire entro la prossima stagione il vaso di espansione.")
    return g


@pytest.mark.parametrize("rec", [get_document_type("allegato-g").example(), _variante()], ids=["esempio", "variante"])
def test_stamped_g_equals_full_render(rec: dict, settings: Settings, tmp_path: Path) -> None:
    stampato, items = _stampato(rec, settings)
    assert len(items) == 6 and not any(i.full_render for i in items)
    a = _raster(stampato, tmp_path, "stampato")
    b = _raster(render_document("allegato-g", rec, settings=settings), tmp_path, "completo")
    assert len(a) == len(b) == 6
    for n, (pa, pb) in enumerate(zip(a, b)):
        assert pa.size == pb.size
        diversi = _diversi(pa, pb)
        assert diversi / (pa.size[0] * pa.size[1]) < 0.002, f"pagina {n + 1}: {diversi} pixel diversi"
    # the values really are drawn: against the blank form the first page differs a lot
    vuoto = _raster(render_document("allegato-g", None, settings=settings), tmp_path, "vuoto")
    assert _diversi(a[0], vuoto[0]) > 5 * _diversi(a[0], b[0])


def test_blank_and_filled_g_have_the_same_boxes(settings: Settings) -> None:
    """Every slot of the blank layout is where the filled layout puts it (the stampabile rules)."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from renderers.pdf import AssetFetcher

    doc = get_document_type("allegato-g")
    stampa = StampaModulo(doc, "normalizzato", settings)

    def slots(model):
        document = HTML(string=stampa.html(model, doc.copies[:1]), base_url=str(settings.templates_dir / doc.template) + "/",
                        url_fetcher=AssetFetcher((settings.templates_dir, settings.fonts_dir))).render(
            font_config=FontConfiguration())
        return [(s.campo, round(s.x, 1), round(s.y, 1), round(s.width, 1), round(s.height, 1))
                for p in read_slots(document) for s in p.slots]

    vuoto, pieno = slots(None), slots(validate(doc, doc.example()))
    assert len(vuoto) > 200 and vuoto == pieno


def test_values_come_from_the_filled_template() -> None:
    doc = get_document_type("allegato-g")
    stampa = StampaModulo(doc, "normalizzato", Settings())
    v = valori_da_html(stampa.html(validate(doc, doc.example()), doc.copies[:1]))
    assert v["data_controllo"] == "14/10/2025" and v["consumi[0].valore"] == "1.012 m3"
    assert v["uso=riscaldamento"] is True and "tipo_caldaia=B" not in v and v["tipo_caldaia=C"] is True
    assert v["apparecchio.circuito_aria=N.C."] is True and v["apparecchio.rompitiraggio!barrato"] is True
    assert v["misura.bacharach!barrato"] is True and v["misura.temp_fumi"] == "58,4"
    assert v["numero_etichetta.dicitura"] == "Etichetta n." and v["numero_etichetta.riga"] == "MN000-25G1-018734-N"


def test_g_batch_pages_carry_each_record_and_count_fallbacks(settings, engine, tmp_path: Path) -> None:
    base = get_document_type("allegato-g").example()
    records = []
    for i in range(5):
        g = copy.deepcopy(base)
        g["numero_rapporto"] = f"2025/{i + 900:04d}"
        g["responsabile_nome"] = ["Giovanna Rossi", "Pietro Ferrari", "Anna Colombo", "Luca Bianchi", "Sara Galli"][i]
        records.append(g)
    # far too long for its 30 mm box even when shrunk: laid out in full, counted
    records[3]["responsabile_indirizzo"] = "Via Giuseppe Garibaldi 27, frazione San Matteo delle Chiaviche, Viadana (MN)"
    lavoro_id, _ = crea_lavoro("moduli:allegato-g", records, settings=settings, engine=engine, record_per_blocco=2)
    esito = esegui_lavoro(lavoro_id, settings=settings, engine=engine, processi=1)
    assert esito["pagine"] == 30 and esito["impaginazioni_complete"] == 1 and esito["nota"] == ""
    cartella = settings.batch_dir / lavoro_id
    rapporto = json.loads((cartella / "rapporto.json").read_text())
    assert [r["impaginazione_completa"] for r in rapporto["record"]] == [False, False, False, True, False]
    for r, rec in zip(rapporto["record"], records):
        primo, ultimo = (int(x) for x in r["pagine"].split("-"))
        testo = subprocess.run(["pdftotext", "-f", str(primo), "-l", str(ultimo), "-layout",
                                str(cartella / "stampa.pdf"), "-"], capture_output=True, text=True, check=True).stdout
        for valore in (rec["numero_rapporto"], rec["responsabile_nome"], "14/10/2025", "Vaillant", "58,4"):
            assert testo.count(valore) == 3, (r["n"], valore)  # one per copy
