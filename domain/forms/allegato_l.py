"""Allegato L: dichiarazione per Amministratori di Condominio (FORMS.md §11; S1 §13.4).

For a centralised impianto the amministratore di condominio is the responsabile per
l'esercizio e la manutenzione unless a terzo responsabile is appointed; within thirty
days he tells the Ente locale competente of his nomina, of its end, and of changes in
the consistenza or titolarità of the impianto. The generators are listed G1..Gn: the
printed model has four rows and one spare dotted line, the list here is not capped
(AMB-40: further rows flow on).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from domain.codice import CodiceImpiantoStr
from domain.errors import RuleViolation
from domain.forms.allegato_e import solleva, verifica_comune
from domain.forms.allegato_hi import Mittente, TipoComunicazione, verifica_mittente
from domain.forms.comuni import BARRATO, Barrabile, IndirizzoEnte, Modello

__all__ = ["GeneratoreL", "AllegatoL", "verifica_l", "RIGHE_GENERATORI"]

RIGHE_GENERATORI = 4
"""Generator rows printed on the model (G1..G4); more rows are added as needed."""

Testo = Annotated[str, Field(min_length=1, max_length=300)]


class GeneratoreL(Modello):
    """«Gn potenza termica del focolare nominale di …… kW · Combustibile ……»."""

    potenza_kw: Annotated[Decimal, Field(gt=0, max_digits=9, decimal_places=2)]
    combustibile: Annotated[str, Field(min_length=1, max_length=30)]  # issue 17: one line of its 61 mm slot


class AllegatoL(Modello):
    """Allegato L - Modello dichiarazione per Amministratori di Condominio (DGR 18/09/2007, Allegato L)."""

    ente: IndirizzoEnte
    sottoscritto: Testo
    qualita: Testo
    """«In qualità di …»."""
    tipo: TipoComunicazione
    """«di aver assunto l'incarico …» or «di non essere più Amministratore …»."""
    condominio: Testo
    condominio_sito_in: Testo
    data: date
    """«dalla data del …»."""
    tipo_impianto: Annotated[list[Literal["riscaldamento", "produzione centralizzata di ACS"]], Field(min_length=1)]
    codice_catasto: CodiceImpiantoStr
    via: Testo
    comune: Testo
    proprietario: Testo
    generatori: Annotated[list[GeneratoreL], Field(min_length=1)]
    """G1..Gn, in order; not capped at the four printed rows (AMB-40)."""
    generatori_altri: Barrabile[Annotated[str, Field(max_length=90)]] = None  # issue 17: one line, 183 mm
    """The spare dotted line under G4 (notes on the generators, or BARRATO)."""
    mittente: Mittente
    fornitore_energia: Barrabile[Annotated[str, Field(max_length=70)]] = None  # one line, 137 mm
    """«Nominativo del fornitore di energia»."""
    luogo: Annotated[str, Field(max_length=40)] | None = None
    """Not printed on the model (AMB-39); shown in normalised mode."""
    data_firma: date | None = None
    """Not printed on the model (AMB-39); shown in normalised mode."""


def verifica_l(dichiarazione: AllegatoL) -> None:
    """Cross-field rules of L; every violation at once, with its field path."""
    d = dichiarazione
    errori = verifica_comune(d.codice_catasto, d.comune)
    azienda = d.mittente.ragione_sociale not in (None, BARRATO)
    errori += verifica_mittente(d.mittente, ditta=azienda)
    if len(set(d.tipo_impianto)) != len(d.tipo_impianto):
        errori.append(RuleViolation("Ogni tipo di impianto va indicato una sola volta.", path=("tipo_impianto",)))
    if d.data_firma is not None and d.data_firma < d.data and d.tipo == "assunzione":
        errori.append(RuleViolation(
            "La dichiarazione non può essere firmata prima dell'assunzione dell'incarico.", path=("data_firma",)))
    solleva(errori)
