"""One module per document family; ``ALL`` lists every registered document type.

Each module defines ``DOCUMENT_TYPES: tuple[DocumentType, ...]``.
"""

from __future__ import annotations

import importlib
import pkgutil

from service.registry import DocumentType


def _collect() -> tuple[DocumentType, ...]:
    found: list[DocumentType] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "DOCUMENT_TYPES", ()))
    return tuple(found)


ALL: tuple[DocumentType, ...] = _collect()
