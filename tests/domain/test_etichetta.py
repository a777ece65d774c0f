"""domain/etichetta.py: number format, MOD 37-2 check character, F variant and price band."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import RuleViolation
from domain.etichetta import (
    ALFABETO,
    PersonalizzazioneEtichetta,
    carattere_controllo,
    numero_etichetta,
    parse_numero_etichetta,
    prefisso_ente,
    verifica_controllo,
)

numeri = st.builds(
    lambda pref, istat, anno, f, prog: numero_etichetta(f"{pref}{istat:03d}", anno, "G" if f == "F1" else "F", prog, f),
    st.sampled_from(["CR", "MI", "BG", "BS", "MB", "VA"]), st.integers(0, 999), st.integers(2000, 2099),
    st.sampled_from(["F1", "F2", "F3", "F4", "F5"]), st.integers(1, 999_999),
)


@given(numeri, st.data())
def test_every_single_substitution_is_detected(numero, data) -> None:
    c = numero.compatto
    i = data.draw(st.integers(0, len(c) - 1))
    other = data.draw(st.sampled_from([a for a in ALFABETO if a != c[i]]))
    assert not verifica_controllo(c[:i] + other + c[i + 1:])


@given(numeri, st.data())
def test_every_adjacent_transposition_is_detected(numero, data) -> None:
    c = numero.compatto
    i = data.draw(st.integers(0, len(c) - 2))
    if c[i] == c[i + 1]:
        return  # swapping equal characters is no error
    assert not verifica_controllo(c[:i] + c[i + 1] + c[i] + c[i + 2:])


def test_exhaustive_on_one_number() -> None:
    c = numero_etichetta("CR036", 2026, "G", 1234).compatto
    assert verifica_controllo(c)
    for i in range(len(c)):
        for a in ALFABETO:
            if a != c[i]:
                assert not verifica_controllo(c[:i] + a + c[i + 1:])
        if i < len(c) - 1 and c[i] != c[i + 1]:
            assert not verifica_controllo(c[:i] + c[i + 1] + c[i] + c[i + 2:])


@given(numeri)
def test_round_trip(numero) -> None:
    assert parse_numero_etichetta(numero.leggibile) == numero
    assert parse_numero_etichetta(numero.compatto.lower()) == numero


def test_documented_example() -> None:
    n = numero_etichetta("CR036", 2026, "G", 1234)
    assert n.leggibile == "CR036-26G1-001234-J" and n.compatto == "CR03626G1001234J"
    assert carattere_controllo("CR03626G1001234") == "J"
    assert n.stagione_label == "2026/2027"


@pytest.mark.parametrize("testo,messaggio", [
    ("CR036-26G1-001234-K", "carattere di controllo"),
    ("CR036-26G7-001234-J", "non valido"),
    ("", "non valido"),
    ("CR036-26G1-000000-" + carattere_controllo("CR03626G1000000"), "parte da 000001"),
])
def test_parse_errors_in_italian(testo: str, messaggio: str) -> None:
    with pytest.raises(RuleViolation, match=messaggio) as exc:
        parse_numero_etichetta(testo)
    assert exc.value.path == ("numero",)


@pytest.mark.parametrize("args,campo", [
    (("C1036", 2026, "G", 1), "prefisso"), (("CR036", 1999, "G", 1), "stagione"),
    (("CR036", 2026, "G", 1, "F3"), "fascia"), (("CR036", 2026, "F", 1), "fascia"),
    (("CR036", 2026, "F", 0, "F2"), "progressivo"),
])
def test_build_errors(args, campo: str) -> None:
    with pytest.raises(RuleViolation) as exc:
        numero_etichetta(*args)
    assert exc.value.path == (campo,)


def test_prefisso_ente() -> None:
    assert prefisso_ente("Provincia", "CR", "019") == "CR000"
    assert prefisso_ente("Comune", "CR", "019036") == "CR036"


def test_price_band_from_the_number() -> None:
    """The customisation's quote_ente is one source of the single quota table (service.quote_enti)."""
    from domain.tariffe import TabellaQuote, prezzo_per_fascia

    pers = PersonalizzazioneEtichetta(quote_ente={"F1": Decimal("8.00"), "F4": Decimal("40.00")})
    quote = TabellaQuote().con_quote("comune-milano", pers.quote_ente)
    g = prezzo_per_fascia("comune-milano", numero_etichetta("MI146", 2026, "G", 5).fascia, quote=quote)
    assert (g.fascia.codice, g.contributo_regionale, g.totale) == ("F1", Decimal("1.00"), Decimal("9.00"))
    f4 = parse_numero_etichetta(numero_etichetta("MI146", 2026, "F", 5, "F4").leggibile)
    f = prezzo_per_fascia("comune-milano", f4.fascia, quote=quote)
    assert (f.contributo_regionale, f.totale) == (Decimal("10.00"), Decimal("50.00"))
    with pytest.raises(RuleViolation, match="quota"):
        prezzo_per_fascia("comune-milano", numero_etichetta("MI146", 2026, "F", 5, "F2").fascia, quote=quote)


def test_f_variant_by_colour_or_multiple() -> None:
    f3 = numero_etichetta("BG000", 2026, "F", 1, "F3")
    colore = PersonalizzazioneEtichetta()
    assert colore.colore("F") != colore.colore("G") and colore.multiplo(f3) == 1
    multiplo = PersonalizzazioneEtichetta(variante_f="multiplo")
    assert multiplo.colore("F") == multiplo.colore("G") and multiplo.multiplo(f3) == 3


@pytest.mark.parametrize("conf", [{"colore_g": "#ffff00"}, {"multipli_f": {"F2": 2}}, {"quote_ente": {"F9": 1}}])
def test_personalizzazione_refused(conf) -> None:
    with pytest.raises(ValueError):
        PersonalizzazioneEtichetta.model_validate(conf)
