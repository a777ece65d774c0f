"""Allegato M: dichiarazione del responsabile del trattamento dati (FORMS.md §12; S1 §17).

Regione, manutentori with access to the Catasto Unico Regionale impianti termici,
CAIT and Enti locali each name a responsabile del trattamento dei dati of the
catasto (D.Lgs. 196/2003, art. 13) and send this declaration to the Regione.
The model prints no place, date or signature (AMB-41): the optional ``luogo``,
``data_firma`` are shown, with a signature line, in normalised mode only.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from domain.forms.allegato_e import breve, testo
from domain.forms.comuni import Modello

__all__ = ["AllegatoM", "DESTINATARIO_M"]

DESTINATARIO_M = (
    "Regione Lombardia",
    "D.G. Reti e Servizi di Pubblica Utilità",
    "Unità Organizzativa Progetti Integrati",
    "Via Pola 12 - 14",
    "20124 Milano",
)
"""The fixed addressee printed on the model (S1 L4442–4446)."""

_RIGA = 80
"""Texts on a full line of the model (9 pt monospace values: 80–88 characters fit)."""


class AllegatoM(Modello):
    """Allegato M - Modello dichiarazione responsabile trattamento dati (DGR 18/09/2007, Allegato M)."""

    sottoscritto: testo(_RIGA)  # type: ignore[valid-type]
    qualita: testo(_RIGA)  # type: ignore[valid-type]
    """«In qualità di …»."""
    tipo: Literal["Ente", "società"]
    """Which word of «dell'Ente/della società» applies; the other is struck through."""
    ente_societa: testo(_RIGA)  # type: ignore[valid-type]
    responsabile_trattamento: testo(180)  # type: ignore[valid-type]
    """«… il Responsabile del trattamento dati … è …» on two dotted lines (98 characters each)."""
    utilizzatore: testo(40)  # type: ignore[valid-type]
    """«… saranno utilizzati da …»."""
    """«… saranno utilizzati da …»: the rest of the line after the printed text (40 characters)."""
    luogo: breve(40) | None = None  # type: ignore[valid-type]
    data_firma: date | None = None
