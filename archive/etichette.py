"""Stock of the etichette di validazione: lots, states, and the history of every move (FORMS.md §15, §17).

Lifecycle of one etichetta (S1 §10.5, Convenzione CAIT art. "in conto-vendita")::

    generata ──assegna_a_cait──▶ assegnata ──vendi──▶ venduta ──vincola──▶ vincolata
        │                            │                   │
        └────────────────────────────┴───────annulla─────┴──▶ annullata

* an Ente generates a numbered range (:func:`genera_lotto`): one ``lotti_etichette`` row,
  one ``etichette`` row per number, progressives gap-free per (Ente, stagione, tipo);
* the Ente hands numbers to a CAIT with a convention (:func:`assegna_a_cait`);
* the CAIT sells one etichetta to a manutentore (:func:`vendi`); the price is recorded:
  contributo regionale + quota dell'Ente (:mod:`domain.tariffe`);
* the etichetta validates exactly one G/F dichiarazione (:func:`vincola`), or it is
  annulled with a reason (:func:`annulla`); a binding whose G/F could not be archived is undone
  (:func:`svincola`, ``vincolata`` → ``venduta``, recorded as ``svincolata``): the issue of a
  dichiarazione binds and archives as one operation.

Where it lives: the tables and values in :mod:`archive.etichette_tabelle`, the transitions
and their refusals in :mod:`archive.etichette_transizioni`, the read side in
:mod:`archive.etichette_lettura`. This module is the public surface the service uses.
"""

from __future__ import annotations

from archive.etichette_lettura import elenco, leggibile, numeri_del_lotto, rendiconto, stato
from archive.etichette_tabelle import (QUANTITA_MAX, STATI, TIPI, Ambito, Autore, ContatoreEtichette, Etichetta,
                                      LottoEtichette, MovimentoEtichetta, Vendita)
from archive.etichette_transizioni import annulla, assegna_a_cait, genera_lotto, svincola, vendi, vincola

__all__ = [
    "STATI",
    "TIPI",
    "QUANTITA_MAX",
    "Autore",
    "Ambito",
    "Vendita",
    "LottoEtichette",
    "ContatoreEtichette",
    "Etichetta",
    "MovimentoEtichetta",
    "genera_lotto",
    "assegna_a_cait",
    "vendi",
    "vincola",
    "svincola",
    "annulla",
    "stato",
    "elenco",
    "rendiconto",
    "numeri_del_lotto",
    "leggibile",
]
