"""domain/enti.py: registry of Enti locali and the §0.7 competence rule; shipped emblems."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from domain.enti import (
    DATA_FILE,
    SOGLIA_ABITANTI,
    RegistroEnti,
    elenco_enti,
    ente_competente,
    get_ente,
    stemma_svg,
)
from domain.errors import NotFound, RuleViolation, ValidationFailed
from domain.istat import comune_by_istat, comuni_della_regione

LOGHI = Path(__file__).resolve().parents[2] / "templates" / "_assets" / "loghi"
PROVINCE_LOMBARDE = {"012", "013", "014", "015", "016", "017", "018", "019", "020", "097", "098", "108"}


def _dati() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def test_every_lombard_province_is_registered() -> None:
    province = {e.istat: e for e in elenco_enti() if e.tipo == "Provincia"}
    assert set(province) == PROVINCE_LOMBARDE
    assert province["019"].denominazione == "Provincia di Cremona"
    milano = province["015"]
    assert (milano.id, milano.denominazione, milano.nome) == (
        "citta-metropolitana-milano",
        "Città metropolitana di Milano",
        "Milano",
    )


def test_comuni_are_above_threshold_and_consistent_with_istat() -> None:
    comuni = [e for e in elenco_enti() if e.tipo == "Comune"]
    assert len(comuni) >= 20
    for e in comuni:
        c = comune_by_istat(e.istat)
        assert c is not None and c.regione == "Lombardia"
        assert e.denominazione == f"Comune di {c.nome}"
        assert e.sigla == c.sigla_provincia
        assert e.popolazione > SOGLIA_ABITANTI


@pytest.mark.parametrize(
    ("istat", "ente_id"),
    [
        ("020066", "provincia-mantova"),  # Viadana, ~20.000 inhabitants
        ("020030", "comune-mantova"),
        ("015146", "comune-milano"),
        ("015205", "citta-metropolitana-milano"),  # Segrate
        ("013041", "provincia-como"),  # Cantù: not registered above 40.000
        ("012026", "comune-busto-arsizio"),
        ("108039", "comune-seregno"),
        ("097042", "comune-lecco"),
        ("014061", "provincia-sondrio"),  # Sondrio capoluogo, ~21.000
        ("019035", "provincia-cremona"),  # Crema
    ],
)
def test_ente_competente(istat: str, ente_id: str) -> None:
    assert ente_competente(istat).id == ente_id


def test_every_lombard_comune_has_a_competent_ente() -> None:
    for c in comuni_della_regione("Lombardia"):
        e = ente_competente(c.istat)
        assert e.istat in (c.istat, c.codice_provincia)


def test_threshold_is_strictly_more_than_40000() -> None:
    data = _dati()
    for riga in data["enti"]:
        if riga["id"] == "comune-rozzano":
            riga["popolazione"] = SOGLIA_ABITANTI
    registro = RegistroEnti.da_dati(data)
    assert registro.competente("015189").id == "citta-metropolitana-milano"
    riga_rozzano = next(r for r in data["enti"] if r["id"] == "comune-rozzano")
    riga_rozzano["popolazione"] = SOGLIA_ABITANTI + 1
    assert RegistroEnti.da_dati(data).competente("015189").id == "comune-rozzano"


def test_errors_are_italian() -> None:
    with pytest.raises(NotFound, match="Ente sconosciuto: provincia-atlantide"):
        get_ente("provincia-atlantide")
    with pytest.raises(NotFound, match="Nessun Ente competente registrato per il comune di Agliè"):
        ente_competente("001001")
    with pytest.raises(RuleViolation, match="servono 6 cifre"):
        ente_competente("20066")


def test_replacement_registry_is_validated() -> None:
    data = _dati()
    data["enti"][0]["cap"] = "2110"
    data["enti"][1]["istat"] = "999"
    data["enti"][2]["pec"] = "non-una-pec"
    with pytest.raises(ValidationFailed) as exc:
        RegistroEnti.da_dati(data)
    campi = {e["campo"] for e in exc.value.as_list()}
    assert campi == {"enti[0]", "enti[1]", "enti[2].pec"}
    messaggi = " ".join(e["messaggio"] for e in exc.value.as_list())
    assert "CAP non valido" in messaggi and "nessuna provincia" in messaggi


def test_duplicates_rejected() -> None:
    data = _dati()
    data["enti"].append(dict(data["enti"][0]))
    with pytest.raises(RuleViolation, match="Ente duplicato"):
        RegistroEnti.da_dati(data)
    data = _dati()
    doppio = dict(data["enti"][0], id="provincia-bis", logo="provincia-bis.svg")
    data["enti"].append(doppio)
    with pytest.raises(RuleViolation, match="stesso codice ISTAT"):
        RegistroEnti.da_dati(data)
    with pytest.raises(RuleViolation, match="JSON non valido"):
        RegistroEnti.da_json("{")


def test_indirizzo_ente_block() -> None:
    assert get_ente("provincia-cremona").indirizzo_ente == {
        "tipo_ente": "Provincia",
        "denominazione": "Cremona",
        "via": "Corso Vittorio Emanuele II, 17",
        "citta": "26100 Cremona",
    }


def test_shipped_logos_are_the_generated_emblems() -> None:
    for e in elenco_enti():
        path = LOGHI / e.logo
        assert path.read_text(encoding="utf-8") == stemma_svg(e), e.id
        root = ET.fromstring(path.read_text(encoding="utf-8"))
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.find("{http://www.w3.org/2000/svg}text") is None  # no font dependency


def test_regione_rose_is_marked_as_not_official() -> None:
    root = ET.fromstring((LOGHI / "regione-lombardia.svg").read_text(encoding="utf-8"))
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and "non è il marchio ufficiale" in title.text


def test_emblems_differ_between_comune_and_provincia() -> None:
    comune, provincia = get_ente("comune-cremona"), get_ente("provincia-cremona")
    assert stemma_svg(comune) != stemma_svg(provincia)
    assert "<rect x=\"14\" y=\"4\"" in stemma_svg(comune)  # crenellated wall
    assert "<circle" in stemma_svg(provincia)  # circlet


def test_registro_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "enti.json"
    data = _dati()
    data["enti"] = [r for r in data["enti"] if r["tipo"] == "Provincia"]
    path.write_text(json.dumps(data), encoding="utf-8")
    from domain.enti import registro_enti

    assert registro_enti(path).competente("015146").id == "citta-metropolitana-milano"
    with pytest.raises(RuleViolation, match="Impossibile leggere il registro degli Enti"):
        registro_enti(tmp_path / "manca.json")
