"""Retention periods of archived documents and paper originals; working-day deadlines.

Pure rules, no clock (FORMS.md §1.2, §18.2):

* a dichiarazione di avvenuta manutenzione (Allegato F/G validated by the etichetta) is kept
  until the end of its validity window (``domain.stagione.validita_dichiarazione``) plus a
  configurable number of years;
* every other document type follows a per-type rule from configuration: the end of the
  stagione termica of the document date plus N years;
* the CAIT keeps the paper original "per il periodo temporale delle due successive stagioni
  termiche" (Convenzione art. 7 c. 1, S1 L4740–4749; art. 4, L4648–4651), i.e. to the end of
  the validity of the dichiarazione it received;
* the paper must be available to the Ente "entro 5 giorni lavorativi" (art. 4, L4651):
  working days exclude Saturdays, Sundays and Italian national holidays (``holidays``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import holidays

from domain.errors import RuleViolation
from domain.stagione import stagione_termica, validita_dichiarazione

__all__ = [
    "Base",
    "RegolaConservazione",
    "PoliticaConservazione",
    "TIPI_DICHIARAZIONE",
    "conserva_fino_al",
    "conservazione_effettiva",
    "originale_fino_al",
    "GIORNI_LAVORATIVI_CONSEGNA_ORIGINALE",
    "GIORNI_LAVORATIVI_PREAVVISO_REGIONE",
    "aggiungi_giorni_lavorativi",
    "giorno_lavorativo",
    "aggiungi_anni",
]

Base = Literal["validita_dichiarazione", "fine_stagione"]
"""What the years are counted from: the end of the validity window of a dichiarazione, or the
end of the stagione termica containing the document date."""

TIPI_DICHIARAZIONE: frozenset[str] = frozenset({"allegato-f", "allegato-g"})
"""Document types that are a "dichiarazione di avvenuta manutenzione" (S1 def. e: the rapporto
di controllo tecnico conforme agli allegati G e F transmitted to the Ente)."""

GIORNI_LAVORATIVI_CONSEGNA_ORIGINALE = 5
""""rendere disponibile all'Ente … entro 5 giorni lavorativi" (Convenzione art. 4, S1 L4651)."""

GIORNI_LAVORATIVI_PREAVVISO_REGIONE = 4
""""con un preavviso di 96 ore, pari a quattro giorni lavorativi" (art. 7 c. 2, S1 L4745–4747)."""


@dataclass(frozen=True)
class RegolaConservazione:
    """How long one document type is kept in the archive."""

    base: Base
    """Start of the count (see :data:`Base`)."""
    anni: int
    """Years added to the base date (0 = exactly the base date)."""

    def __post_init__(self) -> None:
        if self.anni < 0:
            raise RuleViolation("Gli anni di conservazione non possono essere negativi.", path=("anni",))


@dataclass(frozen=True)
class PoliticaConservazione:
    """The configured retention rules (values come from settings, passed in by ``service``)."""

    anni_dichiarazioni: int = 5
    """Years kept after the end of a dichiarazione's validity window."""
    anni_default: int = 10
    """Years after the end of the stagione termica, for types without a rule of their own."""
    anni_per_tipo: Mapping[str, int] = field(default_factory=dict)
    """Per-type override of :attr:`anni_default` (e.g. ``{"allegato-a": 15}``)."""
    tipi_dichiarazione: frozenset[str] = TIPI_DICHIARAZIONE
    giorni_minimi: int = 365
    """A retention that would already be over when the document is archived (a late document)
    is set to today + this many days, with the reason recorded (:func:`conservazione_effettiva`)."""

    def regola(self, tipo: str) -> RegolaConservazione:
        if tipo in self.tipi_dichiarazione:
            return RegolaConservazione("validita_dichiarazione", self.anni_dichiarazioni)
        return RegolaConservazione("fine_stagione", self.anni_per_tipo.get(tipo, self.anni_default))


def aggiungi_anni(d: date, anni: int) -> date:
    """Same day ``anni`` years later; 29 February becomes 28 February in common years."""
    try:
        return d.replace(year=d.year + anni)
    except ValueError:
        return d.replace(year=d.year + anni, day=28)


def conserva_fino_al(tipo: str, data_documento: date, politica: PoliticaConservazione) -> date:
    """Last day of the retention of a document of ``tipo`` dated ``data_documento``.

    Dichiarazioni: 15/03/2008 with 5 years → validity ends 31/07/2010 → kept until 31/07/2015.
    """
    regola = politica.regola(tipo)
    if regola.base == "validita_dichiarazione":
        _, fine = validita_dichiarazione(data_documento)
    else:
        fine = stagione_termica(data_documento).fine
    return aggiungi_anni(fine, regola.anni)


def conservazione_effettiva(tipo: str, data_documento: date, politica: PoliticaConservazione,
                            oggi: date) -> tuple[date, str | None]:
    """The retention date to ask of the archive and, when it is not the policy's, why.

    A late document whose retention would already be over is kept
    :attr:`PoliticaConservazione.giorni_minimi` days from ``oggi``: an object store refuses a
    retention in the past, and a document is never archived without one.
    """
    regola = conserva_fino_al(tipo, data_documento, politica)
    if regola >= oggi:
        return regola, None
    minimo = oggi + timedelta(days=politica.giorni_minimi)
    nota = (f"La conservazione prevista terminava il {regola:%d/%m/%Y}, prima dell'archiviazione del "
            f"{oggi:%d/%m/%Y}: portata al minimo di {politica.giorni_minimi} giorni, fino al {minimo:%d/%m/%Y}.")
    return minimo, nota


def originale_fino_al(data_ricezione: date) -> date:
    """Until when the CAIT keeps a paper original received on ``data_ricezione``: the end of
    the two following stagioni termiche (= the validity of the dichiarazione, art. 4 and 7)."""
    return validita_dichiarazione(data_ricezione)[1]


@lru_cache(maxsize=64)
def _festivi(anno: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("IT", years=anno).keys())


def giorno_lavorativo(d: date) -> bool:
    """Monday–Friday and not an Italian national holiday (Easter Monday, 25 April, 1 May,
    2 June, 15 August, 1 November, 8/25/26 December, 1 and 6 January)."""
    return d.weekday() < 5 and d not in _festivi(d.year)


def aggiungi_giorni_lavorativi(d: date, n: int) -> date:
    """The ``n``-th working day after ``d`` (``d`` itself is not counted).

    A request on Thursday 17/04/2025 is due on Monday 28/04/2025: 18/04 (1), 22/04 (2; Easter
    Monday 21/04 skipped), 23/04 (3), 24/04 (4), 28/04 (5; Friday 25 April skipped).
    """
    if n < 0:
        raise RuleViolation("Il numero di giorni lavorativi non può essere negativo.", path=("giorni",))
    giorno = d
    contati = 0
    while contati < n:
        giorno += timedelta(days=1)
        if giorno_lavorativo(giorno):
            contati += 1
    return giorno
