"""domain/cait_*.py: totals recomputed from rows (typed totals that disagree are refused), periods,
seasons of the consumi, grouping per Ente, pre-filled G/F from a catasto record."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.cait_cassa import (
    RendicontoCait,
    RicevutaCait,
    RigaRicevuta,
    mese,
    riepilogo_rendiconto,
    totale_ricevuta,
    trimestre,
)
from domain.cait_consegne import raggruppa_per_ente
from domain.cait_precompilati import precompila_f, precompila_g, stagioni_consumi
from domain.errors import RuleViolation
from service.documents import cait as esempi


@pytest.mark.parametrize("testo, atteso", [
    ("2026-10", (date(2026, 10, 1), date(2026, 10, 31))),
    ("2026-02", (date(2026, 2, 1), date(2026, 2, 28))),
    ("2028-02", (date(2028, 2, 1), date(2028, 2, 29))),
    ("2026-12", (date(2026, 12, 1), date(2026, 12, 31))),
])
def test_mese(testo: str, atteso: tuple[date, date]) -> None:
    assert mese(testo) == atteso


@pytest.mark.parametrize("testo, atteso", [
    ("2026-4", (date(2026, 10, 1), date(2026, 12, 31))),
    ("2026-T1", (date(2026, 1, 1), date(2026, 3, 31))),
    ("2026-t2", (date(2026, 4, 1), date(2026, 6, 30))),
])
def test_trimestre(testo: str, atteso: tuple[date, date]) -> None:
    assert trimestre(testo) == atteso


@pytest.mark.parametrize("testo", ["2026-13", "ottobre", "2026-T5", ""])
def test_periodi_non_validi(testo: str) -> None:
    with pytest.raises(RuleViolation):
        mese(testo) if "T" not in testo else trimestre(testo)


@pytest.mark.parametrize("giorno, stagioni", [
    (date(2026, 10, 14), ["2024/25", "2025/26"]),
    (date(2026, 7, 31), ["2023/24", "2024/25"]),
    (date(2026, 8, 1), ["2024/25", "2025/26"]),
    (date(2000, 1, 10), ["1997/98", "1998/99"]),
])
def test_stagioni_consumi(giorno: date, stagioni: list[str]) -> None:
    assert stagioni_consumi(giorno) == stagioni


def test_riepilogo_rendiconto_per_ente_e_fascia() -> None:
    r = RendicontoCait.model_validate(esempi.esempio_rendiconto_cait())
    tot = riepilogo_rendiconto(r.righe)
    assert tot["quantita"] == 10 and tot["ricevute"] == 6
    assert tot["quota_ente"] == sum(x.quota_ente for x in r.righe)
    assert tot["totale"] == tot["quota_ente"] + tot["contributo_regionale"] == Decimal("414.00")
    per_ente = {e["ente_id"]: e for e in tot["per_ente"]}
    assert per_ente["comune-mantova"]["quantita"] == 4 and per_ente["provincia-mantova"]["quantita"] == 6
    assert sum(f["quantita"] for f in per_ente["provincia-mantova"]["fasce"]) == 6
    assert tot["contributo_regionale"] == Decimal("48.00")  # 5×1,00 + 1,50 + 3,50 + 2×10,00 + 18,00


@pytest.mark.parametrize("codice, campo, valore", [
    ("ricevuta", "totale", "110.00"),
    ("rendiconto-cait", "totale_quote_enti", "1.00"),
    ("distinta-ricevuta", "numero_dichiarazioni", 4),
    ("lettera-trasmissione", "numero_allegati", 2),
])
def test_totali_scritti_incoerenti_rifiutati(codice: str, campo: str, valore) -> None:
    from service.registry import DOCUMENT_TYPES

    doc = DOCUMENT_TYPES[codice]
    dati = doc.example()
    with pytest.raises(ValidationError, match="non corrisponde a quello calcolato"):
        doc.model.model_validate({**dati, campo: valore})


def test_totali_scritti_coerenti_accettati() -> None:
    dati = esempi.esempio_ricevuta()
    r = RicevutaCait.model_validate({**dati, "totale": "111.00"})
    assert totale_ricevuta(r.righe) == {"quota_ente": Decimal("98.00"), "contributo_regionale": Decimal("13.00"),
                                         "totale": Decimal("111.00")}


def test_riga_etichetta_importo_incoerente() -> None:
    riga = {**esempi.esempio_ricevuta()["righe"][0], "importo": "10.00"}
    with pytest.raises(ValidationError, match="importo della riga"):
        RigaRicevuta.model_validate(riga)


def test_rendiconto_fuori_mese_rifiutato() -> None:
    dati = {**esempi.esempio_rendiconto_cait(), "periodo_al": "2026-11-15"}
    with pytest.raises(ValidationError, match="mensile"):
        RendicontoCait.model_validate(dati)


def test_raggruppa_per_ente_conserva_l_ordine() -> None:
    righe = [{"ente_id": "b", "n": 1}, {"ente_id": "a", "n": 2}, {"ente_id": "b", "n": 3}]
    assert {k: [r["n"] for r in v] for k, v in raggruppa_per_ente(righe).items()} == {"b": [1, 3], "a": [2]}
    assert list(raggruppa_per_ente(righe)) == ["b", "a"]


_IMPIANTO = {"codice_impianto": "020066IN0000347", "indirizzo": "Via Giuseppe Garibaldi", "civico": "27",
             "piano": None, "interno": None, "cap": "46019", "comune": "Viadana", "provincia": "MN",
             "potenza_focolare_totale_kw": Decimal("20.40"), "responsabile_cognome_nome": "Giovanna Rossi",
             "responsabile_indirizzo": None, "responsabile_comune": None, "responsabile_telefono": None}


def test_precompila_g_senza_storia_lascia_in_bianco() -> None:
    g = precompila_g(_IMPIANTO, None, oggi=date(2026, 10, 1))
    assert g["codice_catasto"] == "020066IN0000347" and g["pot_focolare_kw"] == "20.40"
    assert g["costruttore"] is None and g["volumetria_m3"] is None and g["data_controllo"] is None
    assert g["consumi"] == [{"stagione": "2024/25", "valore": None, "unita": None},
                            {"stagione": "2025/26", "valore": None, "unita": None}]


def test_precompila_g_rifiuta_impianto_da_allegato_f() -> None:
    with pytest.raises(ValidationError, match="precompilare l'Allegato F"):
        precompila_g({**_IMPIANTO, "potenza_focolare_totale_kw": Decimal("40")}, None, oggi=date(2026, 10, 1))


def test_precompila_f_senza_potenza_ne_generatori() -> None:
    with pytest.raises(RuleViolation, match="impossibile precompilare"):
        precompila_f({**_IMPIANTO, "potenza_focolare_totale_kw": None}, None, oggi=date(2026, 10, 1))
