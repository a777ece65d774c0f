"""Price of an etichetta: contributo regionale (printed table, AMB-51) + quota dell'Ente by band."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from domain.contributo import FASCE
from domain.errors import NotFound, ValidationFailed, RuleViolation
from domain.tariffe import (
    DATA_FILE,
    TabellaQuote,
    fascia_per_codice,
    periodo_versamento,
    prezzo_per_fascia,
    tabella_quote,
)

TABELLA = TabellaQuote.da_dati({
    "predefinita": {"F1": "7.00", "F2": "25.00", "F3": "40.00", "F4": "70.00", "F5": "110.00"},
    "enti": {"provincia-cremona": {"F1": "6.50"}},
})


@pytest.mark.parametrize(("ente", "fascia", "regionale", "quota", "totale"), [
    ("provincia-cremona", "F1", "1.00", "6.50", "7.50"),   # override of one band
    ("provincia-cremona", "F2", "1.50", "25.00", "26.50"),  # other bands fall back to predefinita
    ("provincia-lodi", "F3", "3.50", "40.00", "43.50"),
    ("provincia-lodi", "F4", "10.00", "70.00", "80.00"),    # 10,00 printed, not 10,50 by formula (AMB-51)
    ("provincia-lodi", "F5", "18.00", "110.00", "128.00"),
])
def test_price_is_regional_table_plus_ente_quota(ente, fascia, regionale, quota, totale) -> None:
    p = prezzo_per_fascia(ente, fascia, quote=TABELLA)
    assert (p.contributo_regionale, p.quota_ente, p.totale) == (Decimal(regionale), Decimal(quota), Decimal(totale))
    assert p.fascia.codice == fascia
    assert all(isinstance(v, Decimal) for v in (p.contributo_regionale, p.quota_ente, p.totale))


def test_shipped_table_covers_every_band_for_every_ente() -> None:
    from domain.enti import elenco_enti

    tabella = tabella_quote()
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert set(raw["enti"]) <= {e.id for e in elenco_enti()}  # overrides name real Enti
    for ente in elenco_enti():
        for f in FASCE:
            q = tabella.quota(ente.id, f.codice)
            assert q > 0 and q == q.quantize(Decimal("0.01"))
    assert prezzo_per_fascia("provincia-mantova", "F1").totale == Decimal("9.00")
    assert prezzo_per_fascia("comune-brescia", "F3").quota_ente == Decimal(raw["predefinita"]["F3"])


def test_con_quote_overrides_only_the_listed_bands() -> None:
    nuova = TABELLA.con_quote("provincia-lodi", {"F2": Decimal("22.00")})
    assert nuova.quota("provincia-lodi", "F2") == Decimal("22.00")
    assert nuova.quota("provincia-lodi", "F1") == Decimal("7.00")
    assert TABELLA.quota("provincia-lodi", "F2") == Decimal("25.00")  # the original is unchanged
    assert TABELLA.con_quote("provincia-lodi", {}) is TABELLA


_CINQUE = {"F1": "1", "F2": "1", "F3": "1", "F4": "1", "F5": "1"}


@pytest.mark.parametrize(("dati", "campo", "messaggio"), [
    ({"predefinita": {"F1": "7.00", "F2": "25.00", "F3": "40.00", "F4": "70.00"}}, ["quote_enti", "predefinita"],
     "Quota predefinita mancante per la fascia F5."),
    ({"predefinita": {**_CINQUE, "F1": "7.001"}}, ["quote_enti", "predefinita"],
     "Fascia F1: l'importo può avere al massimo due decimali (centesimi di euro)."),
    ({"predefinita": {**_CINQUE, "F4": "-1"}}, ["quote_enti", "predefinita"],
     "Fascia F4: l'importo deve essere un numero non negativo (euro)."),
    ({"predefinita": _CINQUE, "enti": {"provincia-lodi": {"F2": "2.5", "F3": "-0.50"}}}, ["quote_enti", "enti"],
     "Fascia F3: l'importo deve essere un numero non negativo (euro)."),
    ({"predefinita": _CINQUE, "enti": {"x": {"F9": "1"}}}, ["quote_enti", "enti"],
     "Fascia sconosciuta F9: usare F1, F2, F3, F4, F5."),
])
def test_bad_tables_are_refused_in_italian(dati, campo, messaggio) -> None:
    with pytest.raises(ValidationFailed) as err:
        TabellaQuote.da_dati(dati)
    assert err.value.as_list() == [{"campo": ".".join(campo), "loc": campo, "messaggio": messaggio}]


def test_unknown_band_and_bad_json() -> None:
    with pytest.raises(NotFound) as err:
        fascia_per_codice("F7")
    assert err.value.path == ("fascia",)
    with pytest.raises(RuleViolation, match="JSON non valido"):
        TabellaQuote.da_json("{")


@pytest.mark.parametrize(("periodo", "inizio", "fine"), [
    ("2026-10", "2026-10-01T00:00:00+02:00", "2026-11-01T00:00:00+01:00"),  # DST ends inside October
    ("2026-12", "2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00"),
    ("2026-t4", "2026-10-01T00:00:00+02:00", "2027-01-01T00:00:00+01:00"),
    ("2027-T1", "2027-01-01T00:00:00+01:00", "2027-04-01T00:00:00+02:00"),
])
def test_remittance_periods_are_italian_calendar_periods(periodo, inizio, fine) -> None:
    dal, al = periodo_versamento(periodo)
    assert (dal.isoformat(), al.isoformat()) == (inizio, fine)


@pytest.mark.parametrize("periodo", ["2026-13", "2026-T5", "ottobre", "", "2026-1"])
def test_bad_periods_are_refused(periodo) -> None:
    with pytest.raises(RuleViolation) as err:
        periodo_versamento(periodo)
    assert err.value.path == ("periodo",)
