"""Batch engine: jobs of thousands of documents stamped on compiled layouts (see ``lavoro``).

The names below are loaded on first use: importing a light module of the package (the print
files' signer, ``firmatore``) does not import the engine."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["OpzioniUscita", "Avanzamento", "crea_lavoro", "esegui_lavoro", "stato_lavoro", "unisci", "TIPI",
           "tipo_lotto"]

_DA = {"TIPI": "tipi", "tipo_lotto": "tipi"}


def __getattr__(nome: str) -> Any:
    if nome in __all__:
        return getattr(importlib.import_module(f"{__name__}.{_DA.get(nome, 'lavoro')}"), nome)
    raise AttributeError(nome)
