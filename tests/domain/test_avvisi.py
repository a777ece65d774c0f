"""Avviso di ispezione and lettere di esito: the rules that fill them (FORMS.md §1.8, §20)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.avvisi import (
    AvvisoIspezione,
    RiepilogoIspezione,
    documenti_da_preparare,
    esempio_avviso,
    esempio_riepilogo,
    lettere_esito,
    limite_rendimento_stagionale,
    serve_manometro,
    variante_avviso,
)


@pytest.mark.parametrize(("kw", "fuel", "attesi"), [
    ("24", "Gas naturale", ["il libretto di impianto", "il libretto d'uso e manutenzione del generatore"]),
    ("35", "Gasolio", ["il libretto di centrale"]),
    ("350", "Olio combustibile", ["il libretto di centrale", "chimico"]),
])
def test_documents_by_power_and_fuel(kw: str, fuel: str, attesi: list[str]) -> None:
    testo = " ".join(documenti_da_preparare(Decimal(kw), fuel))
    assert all(a in testo for a in attesi)
    assert ("chimico" in testo) == (fuel == "Olio combustibile")


@pytest.mark.parametrize(("fuel", "manometro"), [("Gasolio", True), ("Olio combustibile", True),
                                                 ("Gas naturale", False), ("GPL", False)])
def test_manometro_for_liquid_fuels(fuel: str, manometro: bool) -> None:
    assert serve_manometro(fuel) is manometro


def test_avviso_example_and_variant() -> None:
    a = AvvisoIspezione.model_validate(esempio_avviso())
    assert variante_avviso(a) == "lt35-liquido"
    with pytest.raises(ValidationError, match="seguire la data"):
        AvvisoIspezione.model_validate({**esempio_avviso(), "data_ispezione": "2026-01-12"})


@pytest.mark.parametrize(("pn", "limite"), [("24", "69.1"), ("115", "71.2"), ("180", "71.8"), ("1000", "74.0")])
def test_seasonal_efficiency_limit(pn: str, limite: str) -> None:
    assert limite_rendimento_stagionale(Decimal(pn)) == Decimal(limite)


def test_letters_one_per_responsabile_plus_one_per_body() -> None:
    r = RiepilogoIspezione.model_validate(esempio_riepilogo())
    lettere = lettere_esito(r, protocollo="BS/7", data_lettera=date(2026, 2, 9), funzionario="F", provincia="Brescia")
    assert [(x.tipo, x.protocollo, [a.codice for a in x.anomalie]) for x in lettere] == [
        ("diffida", "BS/7", ["C4", "C11"]), ("ente-competente", "BS/7/1", ["C4"]), ("ente-competente", "BS/7/2", ["C11"])]
    assert lettere[0].termine == date(2026, 4, 10)
    assert "Vigili del Fuoco di Brescia" in lettere[1].destinatario.nominativo
    obblighi = " ".join(lettere[0].obblighi)
    assert "19/02/2026" in obblighi and "71,2 %" in obblighi and "10/04/2026" in obblighi


def test_positive_letter_and_failed_efficiency() -> None:
    base = esempio_riepilogo()
    ok = RiepilogoIspezione.model_validate({**base, "codici_nc": [], "generatori": [
        {"numero": 1, "esito": "9.a", "rendimento_sufficiente": True}]})
    (lettera,) = lettere_esito(ok, protocollo="P", data_lettera=date(2026, 2, 9), funzionario="F")
    assert (lettera.tipo, lettera.termine, lettera.obblighi) == ("esito-positivo", None, [])
    ko = RiepilogoIspezione.model_validate({**base, "codici_nc": [], "generatori": [
        {"numero": 1, "esito": "9.b", "punti_non_conformi": ["8.d"], "rendimento_sufficiente": False}]})
    (lettera,) = lettere_esito(ko, protocollo="P", data_lettera=date(2026, 2, 9), funzionario="F")
    assert lettera.tipo == "diffida" and "entro il 19/07/2026" in lettera.obblighi[0]
