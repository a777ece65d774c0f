"""Batch engine: jobs of thousands of documents stamped on compiled layouts (see ``lavoro``)."""

from service.batch.lavoro import Avanzamento, OpzioniUscita, crea_lavoro, esegui_lavoro, stato_lavoro, unisci
from service.batch.tipi import TIPI, tipo_lotto

__all__ = ["OpzioniUscita", "Avanzamento", "crea_lavoro", "esegui_lavoro", "stato_lavoro", "unisci", "TIPI",
           "tipo_lotto"]
