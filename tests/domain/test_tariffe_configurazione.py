"""Ente quotas are configuration: the shipped ones are examples; an Ente without a quota sells nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from domain.errors import RuleViolation
from domain.tariffe import DATA_FILE, TabellaQuote, prezzo_per_fascia, tabella_quote


def test_la_tabella_distribuita_e_di_esempio() -> None:
    grezza = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert grezza["esempio"] is True and grezza["_descrizione"].startswith("VALORI DI ESEMPIO")
    assert tabella_quote().esempio is True
    assert "FORMS" not in grezza["_descrizione"] and "S1 L" not in grezza["_descrizione"]


def test_senza_quota_configurata_la_vendita_e_rifiutata() -> None:
    tabella = TabellaQuote.da_dati({"enti": {"provincia-mantova": {"F1": "8.00"}}})
    assert tabella.predefinita is None and tabella.esempio is False
    assert prezzo_per_fascia("provincia-mantova", "F1", quote=tabella).totale == Decimal("9.00")
    with pytest.raises(RuleViolation) as err:
        prezzo_per_fascia("provincia-mantova", "F4", quote=tabella)  # its own entry lacks F4
    assert err.value.path == ("quote_enti", "provincia-mantova", "F4")
    assert "L'Ente provincia-mantova non ha configurato la propria quota per la fascia F4" in err.value.message
    with pytest.raises(RuleViolation, match="comune-brescia non ha configurato"):
        prezzo_per_fascia("comune-brescia", "F1", quote=TabellaQuote())  # an empty table: nobody sells


def test_una_predefinita_configurata_vale_per_tutti() -> None:
    tabella = TabellaQuote.da_dati({"predefinita": {f"F{i}": "5.00" for i in range(1, 6)}})
    assert prezzo_per_fascia("comune-lodi", "F2", quote=tabella).quota_ente == Decimal("5.00")


def test_con_quote_mantiene_esempio_e_assenza_di_predefinita() -> None:
    nuova = TabellaQuote(esempio=True).con_quote("comune-lodi", {"F2": Decimal("22.00")})
    assert nuova.esempio is True and nuova.predefinita is None
    assert nuova.quota("comune-lodi", "F2") == Decimal("22.00")
    with pytest.raises(RuleViolation):
        nuova.quota("comune-lodi", "F1")
