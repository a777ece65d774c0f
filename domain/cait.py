"""CAIT and manutentore paper: models of the documents with no printed model (FORMS.md §21).

The seed describes what these documents must say but gives no layout (§17, §18.1, §18.3, §19):
distinta-ricevuta cumulativa, lettera di trasmissione, ricevuta, rendiconto mensile CAIT and
trimestrale dell'Ente, pre-filled G/F, CAIT registry prints. They are designed as an Italian
public office issues its paper: letterhead, protocol-style number, place and date, "Oggetto:",
tables with totals, signature and stamp blocks.

Totals are never typed in. Every money or count total is recomputed from the rows
(:func:`~domain.cait_cassa.riepilogo_rendiconto`, :func:`~domain.cait_cassa.totale_ricevuta`…); a model
that also carries a typed total (``totale``, ``numero_allegati``…) is REJECTED when it disagrees with
its rows (:func:`coerente`), so a document can never print a total its rows do not add up to. Money
is ``Decimal`` (two places).

This module holds what the documents share: the parties (:class:`Ufficio`, :class:`Soggetto`,
:class:`EnteDestinatario`), :data:`Euro` and the rule on typed totals. The documents, by family:
:mod:`domain.cait_consegne` (distinta-ricevuta, lettera di trasmissione), :mod:`domain.cait_cassa`
(ricevuta, rendiconti), :mod:`domain.cait_precompilati` (pre-filled G/F), :mod:`domain.cait_elenchi`
(registry prints).

Pure functions only: no clock, no database (FORMS.md conventions).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from domain.forms.comuni import Modello
from domain.forms.rapporto_controllo import Breve
from domain.tariffe import CENTESIMO

__all__ = ["Euro", "Tipo", "Testo", "coerente", "Ufficio", "Soggetto", "EnteDestinatario"]


def _euro(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise ValueError("L'importo deve essere un numero non negativo (euro).")
    if value != value.quantize(CENTESIMO):
        raise ValueError("L'importo può avere al massimo due decimali (centesimi di euro).")
    return value.quantize(CENTESIMO)


Euro = Annotated[Decimal, AfterValidator(_euro)]
"""Euros with at most two decimals, never negative."""
Tipo = Literal["G", "F"]
Testo = Annotated[str, Field(min_length=1, max_length=200)]


def _fmt(value: Decimal) -> str:
    """``Decimal("1234.5")`` → ``1.234,50 €`` (for messages; templates use the ``euro`` filter)."""
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") + " €"


def coerente(nome: str, scritto: Any, calcolato: Any) -> None:
    """A typed total must equal the one recomputed from the rows (otherwise the model is refused)."""
    if scritto is not None and scritto != calcolato:
        mostra = _fmt if isinstance(calcolato, Decimal) else str
        raise ValueError(f"Il totale «{nome}» indicato ({mostra(scritto)}) non corrisponde a quello calcolato "
                         f"dalle righe ({mostra(calcolato)}): i totali si calcolano dalle righe.")


# --------------------------------------------------------------------------- parties


class Ufficio(Modello):
    """Issuer in the letterhead: a CAIT (or the Ente's own sales desk)."""

    codice: Annotated[str, Field(max_length=32)] | None = None
    """CAIT id as registered (``CAIT-MN-01``)."""
    denominazione: Testo
    indirizzo: Breve | None = None
    comune: Breve | None = None
    partita_iva: Annotated[str, Field(pattern=r"^\d{11}$")] | None = None
    email: Breve | None = None


class Soggetto(Modello):
    """A ditta di manutenzione (or another counterpart) as printed on a document."""

    ragione_sociale: Testo
    partita_iva: Annotated[str, Field(pattern=r"^\d{11}$")] | None = None
    username: Breve | None = None
    indirizzo: Breve | None = None
    comune: Breve | None = None


class EnteDestinatario(Modello):
    """The competent Ente as addressee or issuer."""  # FORMS.md §0.7

    id: Annotated[str, Field(max_length=60)]
    denominazione: Testo
    indirizzo: Breve | None = None
    cap: Annotated[str, Field(pattern=r"^\d{5}$")] | None = None
    citta: Breve | None = None
    pec: Breve | None = None
    logo: Annotated[str, Field(pattern=r"^[a-z0-9-]+\.svg$")] | None = None
