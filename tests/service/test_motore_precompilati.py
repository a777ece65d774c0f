"""Allegati G and F pre-filled from the catasto by the CAIT (``allegato-g-precompilato``,
``allegato-f-precompilato``) issued through the compile-once engine, against their full WeasyPrint
render: same text, every slot box the same (a struck measurement cell's rule included: it reaches
into the cell's padding), same PDF/A-3b markers, XMP and dati.json."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from service import motore
from service.registry import get_document_type
from service.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from motore_confronto import coppie as _coppie, estrai_testo, pagine, pdfa, slot_diversi  # noqa: E402

pytestmark = pytest.mark.slow

TIPI = ("allegato-g-precompilato", "allegato-f-precompilato")


@pytest.fixture(scope="module")
def impostazioni(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("motore-precompilati")
    return Settings(var_dir=var)  # compiled layouts: the run's one folder (tests/conftest.py)


@pytest.fixture(scope="module")
def coppie(impostazioni: Settings) -> dict[str, tuple[bytes, bytes]]:
    out = {}
    for tipo in TIPI:
        out.update(_coppie(tipo, {tipo: get_document_type(tipo).example()}, impostazioni))
    return out


def _pagine_del_record(tipo: str, impostazioni: Settings):
    doc = get_document_type(tipo)
    m = motore.modello(doc, "normalizzato", doc.copies, impostazioni)
    pagine_ = m.stamper.compiled.pages
    if m.stampa.fogli is None:
        return m.stamper.compiled
    sequenza = ["primo"] + ["generatore"] * len(doc.example()["generatori"]) + ["avvertenze"]
    return SimpleNamespace(pages=[pagine_[n] for c in m.stampa.fogli for t in sequenza for n in c[t].pagine])


@pytest.mark.parametrize("tipo", TIPI)
def test_precompilato_stamped_like_its_full_render(coppie, impostazioni: Settings, tipo: str) -> None:
    a, b = coppie[tipo]
    assert estrai_testo(a) == estrai_testo(b)
    assert get_document_type(tipo).example()["codice_catasto"] in estrai_testo(a)
    pa, pb = pdfa(a), pdfa(b)
    assert pa["pdfa"] == "3B" and pa == pb
    compilato = _pagine_del_record(tipo, impostazioni)
    assert slot_diversi(compilato, pagine(a), pagine(b)) == []


def test_struck_cell_rule_box_is_the_cell_with_its_padding(impostazioni: Settings) -> None:
    """The strike of a measurement cell is compared over the rule WeasyPrint draws (0.6 mm into the
    padding on each side), not only over the cell's content box."""
    compilato = _pagine_del_record("allegato-g-precompilato", impostazioni)
    testo = {s.campo: s for s in compilato.pages[0].slots if s.campo == "misura.bacharach"}
    barra = next(s for s in compilato.pages[0].slots if s.campo == "misura.bacharach!barrato")
    assert barra.width == pytest.approx(testo["misura.bacharach"].width + 1.2 * 72 / 25.4)


def test_struck_cell_rule_reaches_into_the_padding_as_in_full_render(coppie, impostazioni: Settings) -> None:
    """Raster proof: in the 0.6 mm at each end of a struck measurement cell's rule (outside its content box)
    both renders have ink, the engine's as much as WeasyPrint's."""
    from motore_confronto import DPI, _inchiostro

    compilato = _pagine_del_record("allegato-g-precompilato", impostazioni)
    a, b = (pagine(x)[0] for x in coppie["allegato-g-precompilato"])
    pagina = compilato.pages[0]
    barre = [s for s in pagina.slots if s.kind == "strike" and s.campo.startswith("misura.")]
    k, mm = DPI / 72, 72 / 25.4
    controllate = 0
    for s in barre:
        mezzo = (pagina.height - s.y - s.height / 2) * k
        for x0 in (s.x, s.x + s.width - 0.6 * mm):
            box = (int(x0 * k), int(mezzo - 3), int((x0 + 0.6 * mm) * k), int(mezzo + 3))
            ia, ib = _inchiostro(a.crop(box)), _inchiostro(b.crop(box))
            if ib:  # this cell is struck in the full render
                controllate += 1
                assert ia >= 0.6 * ib, f"{s.campo}: {ia} vs {ib}"
    assert controllate >= 4  # both ends of the two struck cells (Bacharach, tiraggio)
