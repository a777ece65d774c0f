"""The CAIT and manutentore console pages in-process (TestClient): every page renders, forms keep
what was typed and name the field at fault, actions change the database as the API does."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from archive.anagrafiche import Manutentore, OperatoreCait, Strumento
from archive.db import make_engine, session_scope
from archive.utenti import Audit, Utente

pytestmark = pytest.mark.db_backend("postgresql")  # console/API flow: see docs/parts/tests.md


def test_pagine_e_servizi_cait(console, client, db_url) -> None:
    console.entra("cait.mantova")
    for url, testo in (("/console/cait", "I servizi per i CAIT"), ("/console/cait/manutentori", "Rossi Termoidraulica"),
                       ("/console/cait/strumenti", "60012345"), ("/console/cait/operatori", "Ferrari Giulia"),
                       ("/console/cait/portafoglio", "Funzioni di Portafoglio"), ("/console/cait/sportello", "Vendita"),
                       ("/console/cait/ricevute", "Nessuna ricevuta"), ("/console/cait/dichiarazioni", "Chiudi la distinta"),
                       ("/console/cait/distinte", "Nessuna distinta"), ("/console/cait/rendiconti", "mesi conclusi"),
                       ("/console/cait/originali", "Nessuna richiesta")):
        r = client.get(url)
        assert r.status_code == 200 and testo in r.text, (url, r.text[-3000:])
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        rossi = s.scalar(select(Manutentore.id).where(Manutentore.username == "MA023456"))
    # a refused strumento keeps what was typed and names the field
    r = console.post("/console/cait/strumenti", {"marca": "Testo", "modello": "", "matricola": "X1"},
                     "/console/cait/strumenti")
    assert r.status_code == 422 and 'value="Testo"' in r.text and "Modello: campo obbligatorio" in r.text
    assert 'id="modello"' in r.text and 'aria-invalid="true"' in r.text
    r = console.post("/console/cait/strumenti", {"marca": "Testo", "modello": "340", "matricola": "X1"},
                     "/console/cait/strumenti")
    assert r.status_code == 303
    # IBAN refused with its field, then accepted
    r = console.post(f"/console/cait/manutentori/{rossi}/iban", {"iban": "IT00X123", "intestatario_iban": "Rossi"},
                     f"/console/cait/manutentori/{rossi}")
    assert r.status_code == 422 and "IBAN non valido" in r.text and 'value="IT00X123"' in r.text
    r = console.post(f"/console/cait/manutentori/{rossi}/iban",
                     {"iban": "IT60X0542811101000000123456", "intestatario_iban": "Rossi"},
                     f"/console/cait/manutentori/{rossi}")
    assert r.status_code == 303
    # operatore added then set inactive
    r = console.post("/console/cait/operatori", {"cognome_nome": "Neri Paolo", "username": "op.neri",
                                                 "password": "corta"}, "/console/cait/operatori")
    assert r.status_code == 422 and 'value="op.neri"' in r.text and "almeno 8 caratteri" in r.text
    r = console.post("/console/cait/operatori", {"cognome_nome": "Neri Paolo", "username": "op.neri",
                                                 "password": "neri-password"}, "/console/cait/operatori")
    assert r.status_code == 303
    with session_scope(engine) as s:
        op = s.scalar(select(OperatoreCait).where(OperatoreCait.username == "op.neri"))
        assert s.scalar(select(Utente.attivo).where(Utente.username == "op.neri")) is True
        assert s.scalar(select(Strumento.id).where(Strumento.matricola == "X1")) is not None
        op_id = op.id
    assert console.post(f"/console/cait/operatori/{op_id}/disattiva", {}, "/console/cait/operatori").status_code == 303
    # scollegamento: e-mail in use refused with the seed's message, then accepted
    r = console.post(f"/console/cait/manutentori/{rossi}/scollega", {"email": "cait.brescia@example.it"},
                     f"/console/cait/manutentori/{rossi}")
    assert r.status_code == 422 and "già in uso" in r.text and 'value="cait.brescia@example.it"' in r.text
    r = console.post(f"/console/cait/manutentori/{rossi}/scollega", {"email": "ufficio@rossi.it"},
                     f"/console/cait/manutentori/{rossi}")
    assert r.status_code == 200 and "MA023456" in r.text and "Nessun manutentore associato" in r.text
    with session_scope(engine) as s:
        assert s.scalar(select(Utente.attivo).where(Utente.username == "op.neri")) is False
        assert s.get(Manutentore, rossi).cait_id is None
        azioni = {a.azione for a in s.scalars(select(Audit).where(Audit.utente == "cait.mantova"))}
    engine.dispose()
    assert {"cait.strumento.aggiungi", "cait.iban", "cait.operatore.aggiungi", "cait.operatore.disattiva",
            "cait.scollega"} <= azioni


def test_recupera_password_e_cambio_obbligato(console, client, api_settings) -> None:
    r = client.get("/console/recupera")
    assert r.status_code == 200 and "Nome utente o indirizzo e-mail" in r.text
    r = console.post("/console/recupera", {"identificativo": ""}, "/console/recupera")
    assert r.status_code == 422 and "Indicare il nome utente" in r.text
    r = console.post("/console/recupera", {"identificativo": "nessuno"}, "/console/recupera")
    assert r.status_code == 200 and "password provvisoria" in r.text
    assert client.get("/console/manutentore").status_code in (200, 303)


def test_originali_richiesti_dall_ente_segnati_inviati(console, client, login, db_url) -> None:
    cait, ente = login("cait.mantova"), login("ente.mantova")
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        rossi = s.scalar(select(Manutentore.id).where(Manutentore.username == "MA023456"))
    assert client.post("/cait/dichiarazioni", headers=cait, json={
        "manutentore_id": rossi, "codice_impianto": "020066CT0000002", "tipo": "F",
        "data_controllo": "2026-10-05"}).status_code == 201
    distinta = client.post("/cait/distinte", headers=cait, json={"manutentore_id": rossi, "operatore": "op.ferrari"})
    lettera = client.post(f"/distinte/{distinta.json()['id']}/trasmissione", headers=cait)
    documento = lettera.headers["X-Curit-Documento"]
    assert client.post(f"/archivio/documenti/{documento}/originale", headers=cait,
                       json={"ricevuto_il": "2026-10-06", "faldone": "F-12"}).status_code == 201
    richiesta = client.post(f"/archivio/documenti/{documento}/originale/richieste", headers=ente, json={})
    assert richiesta.status_code == 201, richiesta.text
    console.entra("cait.mantova")
    pagina = client.get("/console/cait/originali")
    assert "Provincia di Mantova" in pagina.text and "F-12" in pagina.text
    assert "provincia-mantova</td>" not in pagina.text  # names, not ids
    r = console.post(f"/console/cait/originali/{richiesta.json()['id']}/inviato", {"il": date.today().isoformat()},
                     "/console/cait/originali")
    assert r.status_code == 303, re.sub(r"\s+", " ", r.text)[-1500:]
    stato = client.get("/archivio/richieste", headers=ente).json()
    assert [(x["stato"], x["inviato_il"]) for x in stato] == [("inviato", date.today().isoformat())]
    engine.dispose()


def test_area_manutentore_giro_e_verifica(console, client) -> None:
    import json

    from renderers.pdf import read_attachment

    console.entra("manutentore.rossi")
    pagina = client.get("/console/manutentore")
    assert pagina.status_code == 200 and "Compila Allegato G" in pagina.text and "Compila Allegato F" in pagina.text
    assert "Allegato G in bianco" in pagina.text and "Allegato F in bianco" in pagina.text
    r = console.post("/console/manutentore/giro", {"codici": ["020066IN0000001", "020066CT0000002"],
                                                   "data": "2026-12-01"}, "/console/manutentore")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    giro = json.loads(read_attachment(r.content))
    assert [d["codice_impianto"] for d in giro["documenti"]] == ["020066IN0000001", "020066CT0000002"]
    r = console.post("/console/manutentore/giro", {"data": "2026-12-01"}, "/console/manutentore")
    assert r.status_code == 422 and "almeno un impianto" in r.text and "text/html" in r.headers["content-type"]
    compila = client.get("/console/manutentore/compila/020066CT0000002")
    assert compila.status_code == 200 and "Allegato F" in compila.text and 'value="Condominio Manzoni"' in compila.text
    r = console.post("/console/manutentore/compila/020066CT0000002/verifica", {"volumetria_m3": "tanti"},
                     "/console/manutentore/compila/020066CT0000002")
    assert r.status_code == 422
    errori = r.json()["errori"]
    assert errori["volumetria_m3"] == "Deve essere un numero." and "numero_etichetta" in errori
    assert client.get("/console/manutentore/compila/017029CT0000001").status_code == 404  # another firm's
