"""Allegato M: dichiarazione del responsabile del trattamento dati (FORMS.md §12; S1 §17).

Regione, manutentori with access to the Catasto Unico Regionale impianti termici,
CAIT and Enti locali each name a responsabile del trattamento dei dati of the
catasto (D.Lgs. 196/2003, art. 13) and send this declaration to the Regione.
The model prints no place, date or signature (AMB-41): the optional ``luogo``,
``data_firma`` are shown, with a signature line, in normalised mode only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

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

Testo = Annotated[str, Field(min_length=1, max_length=300)]


class AllegatoM(Modello):
    """Allegato M - Modello dichiarazione responsabile trattamento dati (DGR 18/09/2007, Allegato M)."""

    sottoscritto: Testo
    qualita: Testo
    """«In qualità di …»."""
    tipo: Literal["Ente", "società"]
    """Which word of «dell'Ente/della società» applies; the other is struck through."""
    ente_societa: Testo
    responsabile_trattamento: Testo
    """«… il Responsabile del trattamento dati … è …»."""
    utilizzatore: Testo
    """«… saranno utilizzati da …»."""
    luogo: str | None = None
    data_firma: date | None = None
