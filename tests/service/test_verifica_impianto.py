"""GET /verifica/impianto/<codice> (the page a targa's QR may open): public, no personal data;
unknown, malformed, registered without dichiarazione, valid and expired dichiarazione each said
in Italian; rate-limited. Real catasto tables, real SeaweedFS archive."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from archive.catasto import crea_impianto
from archive.db import make_engine, session_scope
from domain.stagione import validita_dichiarazione
from service.api.archivio_dep import archivio_per
from service.api.routes import verifica_pubblica
from service.archivio import MetadatiDocumento
from service.settings import Settings
from tests.pki import pdf_di_prova
from tests.service.test_contrassegno_pubblico import _finestre_pulite, api_settings, weed  # noqa: F401 - shared fixtures

CF = "RSSGNN70A41L826X"


def _esito(html: str) -> str:
    trovato = re.search(r'id="esito-impianto">(.*?)</div>', html, re.S)
    assert trovato is not None, html
    return " ".join(trovato.group(1).split())


def _impianto(db_url: str) -> str:
    with session_scope(make_engine(db_url)) as s:
        return crea_impianto(s, istat="020030", tipologia="CT", indirizzo="Via Segreta 7", comune="Mantova",
                             provincia="MN", responsabile_cognome_nome="Giovanna Rossi", responsabile_cf=CF)


def _dichiarazione(client: TestClient, settings: Settings, codice: str, giorno: date, pagine: int) -> None:
    meta = MetadatiDocumento(tipo="allegato-g", data_documento=giorno, codice_impianto=codice,
                             ente="comune-mantova", manutentore="Bianchi Impianti S.r.l.", responsabile_cf=CF)
    archivio_per(client.app, settings).archivia(pdf_di_prova(pagine), meta)  # distinct bytes: equal ones are one document


def test_unknown_and_malformed_codes(client: TestClient) -> None:
    r = client.get("/verifica/impianto/020030CT9999999")
    assert r.status_code == 404 and "Nessun impianto con questo codice risulta nel catasto" in r.text
    r = client.get("/verifica/impianto/XYZ")
    assert r.status_code == 400 and "Codice impianto non valido" in r.text


def test_registered_valid_and_expired_without_personal_data(client: TestClient, api_settings: Settings,
                                                             db_url: str) -> None:
    anonimo = TestClient(client.app)
    senza, con, scaduto = _impianto(db_url), _impianto(db_url), _impianto(db_url)
    r = anonimo.get(f"/verifica/impianto/{senza}")
    assert r.status_code == 200 and "nessuna dichiarazione di avvenuta manutenzione" in r.text

    oggi = date.today()
    recente = date(oggi.year - 1, 3, 15)  # valid from 1 August of that year for two stagioni: covers today
    dal, al = validita_dichiarazione(recente)
    assert dal <= oggi <= al
    _dichiarazione(client, api_settings, con, date(2015, 3, 15), 1)
    _dichiarazione(client, api_settings, con, recente, 2)  # the last one counts
    r = anonimo.get(f"/verifica/impianto/{con}")
    assert r.status_code == 200, r.text
    assert "in corso di validità fino al " + al.strftime("%d/%m/%Y") in _esito(r.text)
    assert recente.strftime("%d/%m/%Y") in r.text and "Mantova (MN)" in r.text
    for personale in (CF, "Rossi", "Via Segreta", "Bianchi"):
        assert personale not in r.text

    _dichiarazione(client, api_settings, scaduto, date(2015, 3, 15), 3)
    r = anonimo.get(f"/verifica/impianto/{scaduto}")
    assert "è scaduta il " + validita_dichiarazione(date(2015, 3, 15))[1].strftime("%d/%m/%Y") in _esito(r.text)


def test_rate_limited(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifica_pubblica, "RICHIESTE_PER_MINUTO", 2)
    codici = [client.get("/verifica/impianto/020030CT9999999").status_code for _ in range(3)]
    assert codici == [404, 404, 429]
