"""The Ente quotas charged on every etichetta sale, from configuration.

One home for the money: ``CURIT_QUOTE_ENTI_FILE`` (shape of ``domain/data/quote_enti.json``),
completed per Ente by the ``quote_ente`` of its etichetta customisation
(``CURIT_PERSONALIZZAZIONI_FILE``), which replaces only the bands it lists. The shipped table
holds example values: it is used only in demo mode (``CURIT_DEMO``). Without a file outside demo
mode no Ente has a quota, and selling an etichetta is refused with an Italian error naming the
Ente and the band (:meth:`domain.tariffe.TabellaQuote.quota`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from domain.errors import RuleViolation
from domain.tariffe import TabellaQuote, tabella_quote
from service.settings import Settings, get_settings

__all__ = ["quote_configurate"]


def _da_file(settings: Settings) -> TabellaQuote:
    path = settings.quote_enti_file
    assert path is not None
    try:
        testo = path.read_text(encoding="utf-8")
    except OSError:
        raise RuleViolation(f"File delle quote degli Enti non leggibile: {path} (CURIT_QUOTE_ENTI_FILE).",
                            path=("quote_enti_file",)) from None
    return TabellaQuote.da_json(testo)


def quote_configurate(settings: Settings | None = None) -> TabellaQuote:
    """The quota table to charge: the configured file, else the shipped examples in demo mode only,
    else an empty table; each Ente's ``quote_ente`` customisation on top. A file marked as
    ``esempio`` counts as examples (demo mode only)."""
    settings = settings or get_settings()
    tabella = _da_file(settings) if settings.quote_enti_file is not None else tabella_quote()
    if tabella.esempio and not settings.demo:
        tabella = TabellaQuote()
    from service.enti import personalizzazioni

    for ente_id, conf in personalizzazioni(settings, "etichetta").items():
        quote = conf.get("quote_ente") if isinstance(conf, dict) else None
        if not quote:
            continue
        try:
            valori = {fascia: Decimal(str(importo)) for fascia, importo in quote.items()}
        except (InvalidOperation, AttributeError):
            raise RuleViolation(f"Quote dell'Ente {ente_id} non valide nelle personalizzazioni: importi in euro "
                                "per fascia (es. {\"F1\": \"8.00\"}).",
                                path=("personalizzazioni", ente_id, "etichetta", "quote_ente")) from None
        tabella = tabella.con_quote(ente_id, valori)
    return tabella
