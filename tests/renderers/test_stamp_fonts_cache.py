"""Subset fonts kept on disk between processes: read back equal to a fresh subset, made again
when the file is cut short."""

from __future__ import annotations

from pathlib import Path

import pytest

from renderers import stamp_fonts
from service.settings import Settings


@pytest.fixture
def faccia() -> str:
    css = Settings().templates_dir / "_base" / "fonts.css"
    return str(next(iter(stamp_fonts.parse_font_faces(css.read_text(encoding="utf-8"), css.parent).values())))


def _fresco(path: str, cartella: Path | None) -> tuple:
    stamp_fonts.cartella_sottoinsiemi(cartella)
    stamp_fonts._subset.cache_clear()
    try:
        return stamp_fonts._subset(path)
    finally:
        stamp_fonts.cartella_sottoinsiemi(None)
        stamp_fonts._subset.cache_clear()


def test_a_subset_read_from_the_cache_is_the_one_made_now(faccia: str, tmp_path: Path) -> None:
    atteso = _fresco(faccia, None)
    assert _fresco(faccia, tmp_path) == atteso  # made and written
    (file,) = tmp_path.glob("font-*.bin")
    assert _fresco(faccia, tmp_path) == atteso  # read
    file.write_bytes(file.read_bytes()[:-100])  # cut short: made again, and written whole
    assert _fresco(faccia, tmp_path) == atteso
    assert _fresco(faccia, tmp_path) == atteso and file.stat().st_size > 100


def _metriche(path: str, cartella: Path | None) -> stamp_fonts.FontFace:
    stamp_fonts.cartella_sottoinsiemi(cartella)
    try:
        return stamp_fonts.FontFace._read(Path(path), "F3")
    finally:
        stamp_fonts.cartella_sottoinsiemi(None)


def test_metrics_read_from_the_cache_are_those_of_the_font(faccia: str, tmp_path: Path) -> None:
    atteso = _metriche(faccia, None)
    assert atteso.widths[ord("A")] > 0 and atteso.ascent > 0
    assert _metriche(faccia, tmp_path) == atteso  # read from the font, written
    (file,) = tmp_path.glob("metrica-*.json")
    letto = _metriche(faccia, tmp_path)
    assert letto == atteso and letto.encode("Perché") == atteso.encode("Perché")
    assert letto.width(b"Caldaia", 9.0) == atteso.width(b"Caldaia", 9.0)
    file.write_text(file.read_text()[:-40])  # cut short: read from the font again, and written whole
    assert _metriche(faccia, tmp_path) == atteso
    assert _metriche(faccia, tmp_path) == atteso and file.read_text().endswith("}")
