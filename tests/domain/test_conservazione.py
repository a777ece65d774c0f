"""Retention rules and the 5-working-day deadline (FORMS.md §1.2, §18.2)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.conservazione import (
    PoliticaConservazione,
    RegolaConservazione,
    aggiungi_anni,
    aggiungi_giorni_lavorativi,
    conserva_fino_al,
    giorno_lavorativo,
    originale_fino_al,
)
from domain.errors import RuleViolation


@pytest.mark.parametrize(
    "richiesta, scadenza, festivi_saltati",
    [
        # Thu 17/04/2025: Easter Monday 21/04 and Friday 25 April skipped
        (date(2025, 4, 17), date(2025, 4, 28), {date(2025, 4, 21), date(2025, 4, 25)}),
        # Mon 28/04/2025: Thursday 1 May skipped
        (date(2025, 4, 28), date(2025, 5, 6), {date(2025, 5, 1)}),
        # Thu 29/05/2025: Monday 2 June skipped
        (date(2025, 5, 29), date(2025, 6, 6), {date(2025, 6, 2)}),
        # Tue 12/08/2025: Friday 15 August skipped
        (date(2025, 8, 12), date(2025, 8, 20), {date(2025, 8, 15)}),
        # Thu 04/12/2025: Monday 8 December skipped
        (date(2025, 12, 4), date(2025, 12, 12), {date(2025, 12, 8)}),
        # Tue 23/12/2025: 25, 26 December, the weekend and 1 January skipped
        (date(2025, 12, 23), date(2026, 1, 2), {date(2025, 12, 25), date(2025, 12, 26), date(2026, 1, 1)}),
        # Fri 03/04/2026: Easter Monday 06/04/2026 skipped
        (date(2026, 4, 3), date(2026, 4, 13), {date(2026, 4, 6)}),
        # a request on a Saturday starts counting on Monday
        (date(2025, 3, 8), date(2025, 3, 14), set()),
        # Fri 24/04/2026: 25 April is a Saturday, 1 May a Friday
        (date(2026, 4, 24), date(2026, 5, 4), {date(2026, 5, 1)}),
    ],
)
def test_cinque_giorni_lavorativi(richiesta: date, scadenza: date, festivi_saltati: set[date]) -> None:
    assert aggiungi_giorni_lavorativi(richiesta, 5) == scadenza
    for festivo in festivi_saltati:
        assert not giorno_lavorativo(festivo)


@pytest.mark.parametrize(
    "giorno, lavorativo",
    [
        (date(2025, 4, 21), False),   # Lunedì dell'Angelo
        (date(2025, 4, 25), False),   # Liberazione
        (date(2025, 5, 1), False),
        (date(2025, 6, 2), False),
        (date(2025, 8, 15), False),
        (date(2025, 11, 1), False),
        (date(2025, 12, 8), False),
        (date(2025, 12, 25), False),
        (date(2025, 12, 26), False),
        (date(2026, 1, 6), False),
        (date(2025, 4, 22), True),
        (date(2025, 12, 7), False),   # Sunday
        (date(2025, 12, 9), True),
        (date(2025, 12, 6), False),   # Saturday
    ],
)
def test_giorno_lavorativo(giorno: date, lavorativo: bool) -> None:
    assert giorno_lavorativo(giorno) is lavorativo


def test_zero_giorni_e_negativi() -> None:
    assert aggiungi_giorni_lavorativi(date(2025, 4, 25), 0) == date(2025, 4, 25)
    with pytest.raises(RuleViolation):
        aggiungi_giorni_lavorativi(date(2025, 4, 25), -1)


@pytest.mark.parametrize(
    "tipo, data_documento, atteso",
    [
        ("allegato-g", date(2008, 3, 15), date(2015, 7, 31)),   # validity to 31/07/2010, + 5 years
        ("allegato-g", date(2008, 9, 10), date(2016, 7, 31)),   # validity to 31/07/2011, + 5
        ("allegato-f", date(2008, 8, 1), date(2016, 7, 31)),    # AMB-01 esclusiva: 1 August opens the next
        ("allegato-f", date(2008, 7, 31), date(2015, 7, 31)),
        ("allegato-a", date(2008, 9, 10), date(2019, 7, 31)),   # per-type: stagione 2008/2009 + 10
        ("allegato-b", date(2009, 7, 31), date(2024, 7, 31)),   # per-type 15 years
        ("allegato-h", date(2009, 8, 1), date(2030, 7, 31)),    # default 20
    ],
)
def test_conserva_fino_al(tipo: str, data_documento: date, atteso: date) -> None:
    politica = PoliticaConservazione(
        anni_dichiarazioni=5, anni_default=20, anni_per_tipo={"allegato-a": 10, "allegato-b": 15}
    )
    assert conserva_fino_al(tipo, data_documento, politica) == atteso


def test_regole_per_tipo() -> None:
    politica = PoliticaConservazione(anni_dichiarazioni=3, anni_default=7, anni_per_tipo={"allegato-a": 12})
    assert politica.regola("allegato-g") == RegolaConservazione("validita_dichiarazione", 3)
    assert politica.regola("allegato-a") == RegolaConservazione("fine_stagione", 12)
    assert politica.regola("lettera-esito") == RegolaConservazione("fine_stagione", 7)
    with pytest.raises(RuleViolation):
        RegolaConservazione("fine_stagione", -1)


@pytest.mark.parametrize(
    "ricevuto, fino_al",
    [
        (date(2025, 9, 10), date(2028, 7, 31)),   # stagione 2025/26 → keep 2026/27 and 2027/28
        (date(2026, 7, 31), date(2028, 7, 31)),
        (date(2026, 8, 1), date(2029, 7, 31)),
    ],
)
def test_originale_due_stagioni(ricevuto: date, fino_al: date) -> None:
    assert originale_fino_al(ricevuto) == fino_al


def test_aggiungi_anni_29_febbraio() -> None:
    assert aggiungi_anni(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert aggiungi_anni(date(2024, 2, 29), 4) == date(2028, 2, 29)
