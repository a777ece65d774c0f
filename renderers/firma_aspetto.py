"""How a visible PAdES signature looks: the appearance spec, and pyHanko's text stamp style for it.

Split from ``renderers.sign`` (which re-exports :class:`AspettoFirma`). The style and the font
handling that keeps the stamp's embedded subset small and PDF/A-valid are in
``renderers.firma_stile``, imported only for a visible signature: fontTools' subsetter, HarfBuzz and
pyHanko's layout (~0.07 s) are not loaded by a process that signs invisibly (the default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["TESTO_FIRMA", "AspettoFirma", "stile"]

TESTO_FIRMA = "Firmato digitalmente da %(signer)s\n%(organizzazione)s\nil %(ts)s"
"""Default appearance text; pyHanko fills ``signer`` (CN) and ``ts``, we add ``organizzazione``."""


@dataclass(frozen=True)
class AspettoFirma:
    """How a visible signature looks and where it sits."""

    font: bytes
    """TrueType font data for the text, embedded as a subset (PDF/A forbids non-embedded fonts)."""
    box: tuple[float, float, float, float] = (340.0, 28.0, 565.0, 82.0)
    """``(x1, y1, x2, y2)`` in PDF points from the lower-left corner of the page."""
    pagina: int = -1
    """Page index, 0-based; negative values count from the end (-1 = last page)."""
    testo: str = TESTO_FIRMA
    """Template with ``%(signer)s``, ``%(organizzazione)s`` and ``%(ts)s``."""
    formato_data: str = "%d/%m/%Y %H:%M:%S %Z"
    dimensione: int = 10
    """Font size in points."""


def stile(aspetto: AspettoFirma | None) -> Any:
    """pyHanko's ``TextStampStyle`` for ``aspetto`` (None: an invisible signature, no style)."""
    if aspetto is None:
        return None
    from renderers.firma_stile import stile_di

    return stile_di(aspetto)
