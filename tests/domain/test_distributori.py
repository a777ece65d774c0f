"""Distributor file (FORMS.md §16): format, every bad line with its number and Italian reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.distributori import CAMPI, leggi_file_distributore

BUONA = ("Rossi Mario;VIA;Giuseppe Verdi;41;46019;Viadana;30020066;0375 781204;METANO;00881234567890;1250,50;MC;E;"
         "240;RSSMRA75C12L826I;")


def _riga(**cambi: str) -> str:
    campi = dict(zip((c for c, _ in CAMPI), BUONA.split(";")))
    campi.update(cambi)
    return ";".join(campi[c] for c, _ in CAMPI)


def test_valid_line_with_header_and_bom() -> None:
    testo = "\ufeff" + ";".join(c for c, _ in CAMPI) + "\n" + BUONA + "\n\n"
    esito = leggi_file_distributore(testo)
    assert esito.errori == []
    (r,) = esito.validi
    assert (r.riga, r.istat, r.indirizzo, r.consumo_annuo, r.unita_misura) == (2, "020066", "Via Giuseppe Verdi",
                                                                                Decimal("1250.50"), "MC")


@pytest.mark.parametrize(("cambi", "campo", "frammento"), [
    ({"ragione_sociale": ""}, "ragione_sociale", "obbligatorio"),
    ({"ragione_sociale": "X" * 101}, "ragione_sociale", "al massimo 100"),
    ({"tipo_toponimo": "STRADINA"}, "tipo_toponimo", "non ammesso"),
    ({"cap": "4601A"}, "cap", "5 cifre"),
    ({"istat": "03020066"}, "istat", "iniziano con 30"),
    ({"istat": "30999999"}, "istat", "nessun comune"),
    ({"comune": "Mantova"}, "comune", "Viadana"),
    ({"combustibile": "PELLET"}, "combustibile", "non ammesso"),
    ({"unita_misura": "KG"}, "unita_misura", "MC"),
    ({"combustibile": "GASOLIO", "unita_misura": "MC"}, "unita_misura", "KG"),
    ({"tipo_contratto": "Z"}, "tipo_contratto", "A, E, R, X o 0"),
    ({"consumo_annuo": "1234567890"}, "consumo_annuo", "9 cifre"),
    ({"consumo_annuo": "12,345"}, "consumo_annuo", "2 decimali"),
    ({"codice_fiscale": "RSSMRA75C12L826X"}, "codice_fiscale", "non valido"),
    ({"partita_iva": "12345678901"}, "partita_iva", "non valida"),
])
def test_bad_fields_are_reported_with_line_and_reason(cambi: dict[str, str], campo: str, frammento: str) -> None:
    esito = leggi_file_distributore(BUONA + "\n" + _riga(**cambi) + "\n")
    assert len(esito.validi) == 1
    assert [(e.riga, e.campo) for e in esito.errori] == [(2, campo)]
    assert frammento in esito.errori[0].messaggio


def test_amb47_long_toponyms_accepted_nd_civico_and_prefix_setting() -> None:
    testo = _riga(tipo_toponimo="LOCALITA'", civico="ND", istat="03020066")
    assert leggi_file_distributore(testo).errori[0].campo == "istat"
    (r,) = leggi_file_distributore(testo, prefisso_istat="03").validi
    assert (r.tipo_toponimo, r.civico, r.istat) == ("LOCALITA'", None, "020066")
    assert leggi_file_distributore(_riga(tipo_toponimo="LUNGOLAGO")).errori == []


def test_wrong_field_count() -> None:
    esito = leggi_file_distributore("a;b;c\n" + BUONA)
    assert [(e.riga, e.campo) for e in esito.errori] == [(1, "")]
    assert "ne servono 16" in esito.errori[0].messaggio
