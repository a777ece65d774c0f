"""domain/stagione.py: stagione termica, validity (AMB-01), deadlines, frequencies (FORMS.md §1)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import RuleViolation
from domain.stagione import (
    LETTURA_AMB01,
    PRIMA_SCADENZA_DICHIARAZIONE,
    SOGLIA_CONF01,
    Stagione,
    frequenza_controllo,
    inizio_validita_dichiarazione,
    prossima_scadenza_dichiarazione,
    scadenza_amministratore,
    scadenza_controllo,
    scadenza_dati_distributori,
    scadenza_dichiarazione,
    scadenza_inserimento_telematico,
    scadenza_relazione_generatore_vecchio,
    scadenza_scheda_identificativa,
    scadenza_sostituzione_generatore,
    scadenza_terzo_responsabile,
    seconda_prova_meta_stagione,
    stagione_da_label,
    stagione_termica,
    validita_dichiarazione,
)

D = date


@pytest.mark.parametrize(
    ("giorno", "label", "inizio", "fine"),
    [
        (D(2026, 3, 15), "2025/2026", D(2025, 8, 1), D(2026, 7, 31)),
        (D(2025, 8, 1), "2025/2026", D(2025, 8, 1), D(2026, 7, 31)),
        (D(2025, 7, 31), "2024/2025", D(2024, 8, 1), D(2025, 7, 31)),
        (D(2006, 12, 1), "2006/2007", D(2006, 8, 1), D(2007, 7, 31)),
        (D(2024, 2, 29), "2023/2024", D(2023, 8, 1), D(2024, 7, 31)),
    ],
)
def test_stagione_termica(giorno: date, label: str, inizio: date, fine: date) -> None:
    s = stagione_termica(giorno)
    assert (s.label, s.inizio, s.fine, str(s)) == (label, inizio, fine, label)
    assert giorno in s
    assert s.start_year == inizio.year


def test_stagione_for_every_day_1990_2100() -> None:
    """Exhaustive: each day lies in exactly the stagione that starts on the last 1 August."""
    giorno, fine = D(1990, 1, 1), D(2100, 12, 31)
    corrente = Stagione(1989)
    while giorno <= fine:
        if (giorno.month, giorno.day) == (8, 1):
            corrente = corrente.successiva()
        s = stagione_termica(giorno)
        assert s == corrente
        assert s.inizio <= giorno <= s.fine
        assert (s.fine - s.inizio).days in (364, 365)
        giorno += timedelta(days=1)


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)))
def test_stagione_properties(giorno: date) -> None:
    s = stagione_termica(giorno)
    assert s.inizio <= giorno <= s.fine
    assert stagione_termica(s.fine + timedelta(days=1)) == s.successiva()
    assert stagione_termica(s.inizio - timedelta(days=1)) == s.successiva(-1)
    assert stagione_da_label(s.label) == s


@pytest.mark.parametrize("label", ["2025-2026", "2025/2027", "25/26", "", "abcd/efgh"])
def test_stagione_da_label_rejects(label: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        stagione_da_label(label)
    assert exc.value.path == ("stagione",)
    assert "2025/2026" in exc.value.message


@pytest.mark.parametrize(
    ("presentazione", "inizio", "fine"),
    [
        (D(2008, 3, 15), D(2008, 8, 1), D(2010, 7, 31)),  # FORMS.md §1.2 worked example
        (D(2008, 9, 10), D(2009, 8, 1), D(2011, 7, 31)),  # FORMS.md §1.2 worked example
        (D(2008, 7, 31), D(2008, 8, 1), D(2010, 7, 31)),  # last day of a stagione
        (D(2008, 8, 1), D(2009, 8, 1), D(2011, 7, 31)),  # AMB-01, exclusive reading
        (D(2008, 8, 2), D(2009, 8, 1), D(2011, 7, 31)),
    ],
)
def test_validita_dichiarazione(presentazione: date, inizio: date, fine: date) -> None:
    assert validita_dichiarazione(presentazione) == (inizio, fine)


def test_amb01_is_one_setting() -> None:
    assert LETTURA_AMB01 == "esclusiva"
    assert validita_dichiarazione(D(2008, 8, 1), lettura="inclusiva") == (D(2008, 8, 1), D(2010, 7, 31))
    # only 1 August differs between the two readings
    assert validita_dichiarazione(D(2008, 8, 2), lettura="inclusiva") == validita_dichiarazione(D(2008, 8, 2))
    assert inizio_validita_dichiarazione(D(2008, 8, 1)) == Stagione(2009)
    with pytest.raises(RuleViolation):
        validita_dichiarazione(D(2008, 8, 1), lettura="altra")  # type: ignore[arg-type]


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)))
def test_validita_covers_two_following_stagioni(presentazione: date) -> None:
    inizio, fine = validita_dichiarazione(presentazione)
    assert inizio > presentazione
    assert (inizio.month, inizio.day, fine.month, fine.day) == (8, 1, 7, 31)
    assert fine.year - inizio.year == 2
    assert stagione_termica(inizio) == stagione_termica(presentazione).successiva()


def test_prossima_scadenza_dichiarazione() -> None:
    assert prossima_scadenza_dichiarazione(None) == PRIMA_SCADENZA_DICHIARAZIONE == D(2008, 7, 31)
    assert prossima_scadenza_dichiarazione(D(2008, 3, 15)) == D(2010, 7, 31)
    assert prossima_scadenza_dichiarazione(D(2008, 8, 1)) == D(2011, 7, 31)
    assert prossima_scadenza_dichiarazione(D(2008, 8, 1), lettura="inclusiva") == D(2010, 7, 31)


@pytest.mark.parametrize(
    ("funzione", "evento", "scadenza"),
    [
        (scadenza_dichiarazione, D(2026, 3, 1), D(2026, 3, 31)),
        (scadenza_dichiarazione, D(2026, 12, 15), D(2027, 1, 14)),
        (scadenza_inserimento_telematico, D(2024, 2, 1), D(2024, 3, 2)),
        (scadenza_scheda_identificativa, D(2026, 10, 20), D(2026, 11, 19)),
        (scadenza_terzo_responsabile, D(2026, 1, 31), D(2026, 3, 2)),
        (scadenza_amministratore, D(2026, 7, 15), D(2026, 8, 14)),
        (scadenza_relazione_generatore_vecchio, D(2026, 11, 10), D(2026, 12, 10)),
        (scadenza_sostituzione_generatore, D(2026, 1, 10), D(2026, 7, 9)),
    ],
)
def test_scadenze(funzione, evento: date, scadenza: date) -> None:
    assert funzione(evento) == scadenza


def test_scadenza_dati_distributori() -> None:
    assert scadenza_dati_distributori(2025) == D(2026, 3, 31)


@pytest.mark.parametrize(
    ("gassoso", "potenza", "attesa"),
    [
        (True, Decimal("24"), "biennale"),
        (True, Decimal("34.99"), "biennale"),
        (True, Decimal("35"), "annuale"),
        (False, Decimal("10"), "annuale"),
        (False, Decimal("500"), "annuale"),
        (True, "34,5", "biennale"),
    ],
)
def test_frequenza_controllo(gassoso: bool, potenza, attesa: str) -> None:
    assert frequenza_controllo(gassoso, potenza) == attesa


@pytest.mark.parametrize("potenza", [0, -1, "abc", "NaN"])
def test_potenza_non_valida(potenza) -> None:
    with pytest.raises(RuleViolation) as exc:
        frequenza_controllo(True, potenza)
    assert exc.value.path == ("potenza_focolare_totale_kw",)


def test_scadenza_controllo() -> None:
    assert scadenza_controllo(D(2025, 10, 3), "biennale") == D(2027, 10, 3)
    assert scadenza_controllo(D(2025, 10, 3), "annuale") == D(2026, 10, 3)
    assert scadenza_controllo(D(2024, 2, 29), "annuale") == D(2025, 2, 28)
    assert scadenza_controllo(D(2024, 2, 29), "biennale") == D(2026, 2, 28)


@pytest.mark.parametrize(
    ("liquido", "potenza", "attesa"),
    [
        (True, Decimal("115.99"), False),
        (True, Decimal("116"), True),  # chapter 9.c: "uguale o maggiore a 116 kW"
        (False, Decimal("116"), False),
        (False, Decimal("349.9"), False),
        (False, Decimal("350"), True),
        (True, Decimal("35"), False),
    ],
)
def test_seconda_prova_meta_stagione(liquido: bool, potenza: Decimal, attesa: bool) -> None:
    assert seconda_prova_meta_stagione(liquido, potenza) is attesa


def test_conf01_threshold_is_a_setting() -> None:
    assert SOGLIA_CONF01 == Decimal("116")
    # Allegato F's note reads 35 kW: one argument switches to it
    assert seconda_prova_meta_stagione(True, Decimal("35"), soglia_liquido_kw=Decimal("35")) is True
    assert seconda_prova_meta_stagione(True, Decimal("34.9"), soglia_liquido_kw=Decimal("35")) is False
