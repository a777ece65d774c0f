"""The blank form of every registered type that has one comes from its compiled blank layout (``service.motore``):
same text, same pages, same PDF/A-3b markers and XMP as the full WeasyPrint layout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PIL import ImageChops, ImageFilter

from service import motore
from service.produce import render_document
from service.registry import DOCUMENT_TYPES
from service.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
import motore_confronto  # noqa: E402
from motore_confronto import estrai_testo, pagine, pdfa  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def impostazioni(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("motore-vuoti")
    return Settings(var_dir=var)  # compiled layouts: the run's one folder (tests/conftest.py)


@pytest.mark.parametrize("tipo", sorted(c for c, d in DOCUMENT_TYPES.items() if d.modulo_in_bianco))
def test_blank_form_from_the_engine(impostazioni: Settings, tipo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    b = render_document(tipo, None, modo="facsimile", settings=impostazioni, completo=True)
    prima = motore.CONTEGGI["motore"]
    a = render_document(tipo, None, modo="facsimile", settings=impostazioni)
    assert motore.CONTEGGI["motore"] == prima + 1, "blank form laid out in full"
    assert estrai_testo(a) == estrai_testo(b)
    assert pdfa(a) == pdfa(b)
    monkeypatch.setattr(motore_confronto, "DPI", 50)
    pa, pb = pagine(a), pagine(b)
    assert len(pa) == len(pb)
    # The very same layout. The compiled background draws each dot of a dotted rule as a round-capped
    # zero-length dash where WeasyPrint draws a tiny circle: the same dot, anti-aliased differently at
    # 50 dpi (up to 33/255 after a 1-pixel blur); one erased character differs by ~70.
    for x, y in zip(pa, pb):
        diff = ImageChops.difference(x.filter(ImageFilter.GaussianBlur(1)), y.filter(ImageFilter.GaussianBlur(1)))
        assert diff.point(lambda v: 255 if v > 48 else 0).getbbox() is None
