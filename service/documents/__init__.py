"""One module per document family; ``ALL`` lists every registered document type.

Each module defines ``DOCUMENT_TYPES: tuple[DocumentType, ...]``. ``ALL`` imports every module
(on first use); :func:`per_codice` imports only the module that declares one code, so that a
command about one type (a batch job of Allegati G) does not import every family's models and
engines (~0.2 s).
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

from service.registry import DocumentType


def _nomi() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(__path__))


def _collect() -> tuple[DocumentType, ...]:
    found: list[DocumentType] = []
    for nome in _nomi():
        module = importlib.import_module(f"{__name__}.{nome}")
        found.extend(getattr(module, "DOCUMENT_TYPES", ()))
    return tuple(found)


def per_codice(code: str) -> DocumentType | None:
    """The type ``code`` from the module whose source names it (``"<code>"``), without importing
    the others; None when no module's source names it (the caller then loads ``ALL``)."""
    cartella = Path(__path__[0])
    for nome in _nomi():
        try:
            testo = (cartella / f"{nome}.py").read_text(encoding="utf-8")
        except OSError:
            return None
        if f'"{code}"' not in testo:
            continue
        for dt in getattr(importlib.import_module(f"{__name__}.{nome}"), "DOCUMENT_TYPES", ()):
            if dt.code == code:
                return dt
    return None


def __getattr__(name: str) -> Any:
    if name == "ALL":
        tutti = _collect()
        globals()["ALL"] = tutti
        return tutti
    raise AttributeError(name)
