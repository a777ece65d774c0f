"""/cait, /distinte, /dichiarazioni, /manutentore endpoints: tenancy (404 across tenants), closure
locking the manutentore out, the Ente's correction, pre-filled G download."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from archive.anagrafiche import Manutentore, ManutenzioneImpianto
from archive.db import make_engine, session_scope
from archive.utenti import Audit
from renderers.pdf import read_attachment


def _ids(db_url: str) -> tuple[int, list[str]]:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        rossi = s.scalar(select(Manutentore.id).where(Manutentore.username == "MA023456"))
        impianti = sorted(s.scalars(select(ManutenzioneImpianto.codice_impianto)
                                    .where(ManutenzioneImpianto.manutentore_id == rossi)))
    engine.dispose()
    return rossi, impianti


def test_sportello_chiusura_e_tenancy(client, login, db_url) -> None:
    cait, rossi_h, bianchi_h = login("cait.mantova"), login("manutentore.rossi"), login("manutentore.bianchi")
    rossi, impianti = _ids(db_url)
    in_g = next(c for c in impianti if "IN" in c)
    r = client.post("/cait/dichiarazioni", headers=cait, json={
        "manutentore_id": rossi, "codice_impianto": in_g, "tipo": "G", "data_controllo": "2026-10-05"})
    assert r.status_code == 201, r.text
    dich = r.json()["id"]
    assert client.post("/cait/dichiarazioni", headers=login("cait.brescia"), json={
        "manutentore_id": rossi, "codice_impianto": in_g, "tipo": "G", "data_controllo": "2026-10-06"}).status_code == 404
    assert client.patch(f"/dichiarazioni/{dich}", headers=rossi_h, json={"anomalie": "ok"}).status_code == 200
    r = client.post("/cait/distinte", headers=cait, json={"manutentore_id": rossi, "operatore": "op.ferrari"})
    assert r.status_code == 201, r.text
    distinta = r.json()["id"]
    r = client.patch(f"/dichiarazioni/{dich}", headers=rossi_h, json={"anomalie": "cambio"})
    assert r.status_code == 409 and "solo l'Ente competente" in r.text
    assert client.patch(f"/dichiarazioni/{dich}", headers=login("ente.brescia"), json={"anomalie": "x"}).status_code == 404
    assert client.patch(f"/dichiarazioni/{dich}", headers=login("ente.mantova"), json={"anomalie": "x"}).status_code == 200
    assert client.get(f"/distinte/{distinta}/pdf", headers=rossi_h).headers["content-type"] == "application/pdf"
    assert client.get(f"/distinte/{distinta}/pdf", headers=bianchi_h).status_code == 404
    assert client.get(f"/distinte/{distinta}/pdf", headers=login("cait.brescia")).status_code == 404
    assert [d["id"] for d in client.get("/distinte", headers=rossi_h).json()] == [distinta]
    assert client.get("/distinte", headers=bianchi_h).json() == []
    assert client.post(f"/distinte/{distinta}/trasmissione", headers=cait).status_code == 201
    r = client.get(f"/distinte/{distinta}/trasmissione", headers=login("ente.mantova"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


@pytest.mark.db_backend("postgresql")  # which impianti are Rossi's: tests/service/test_cait.py, both backends
def test_precompilato_solo_per_il_proprio_manutentore(client, login, db_url) -> None:
    rossi, impianti = _ids(db_url)
    in_g = next(c for c in impianti if "IN" in c)
    r = client.get(f"/manutentore/impianti/{in_g}/precompilato", headers=login("manutentore.rossi"),
                   params={"data": "2026-10-21"})
    assert r.status_code == 200
    record = json.loads(read_attachment(r.content))
    assert record["dati"]["codice_catasto"] == in_g and record["dati"]["data_controllo"] == "2026-10-21"
    assert client.get(f"/manutentore/impianti/{in_g}/precompilato",
                      headers=login("manutentore.bianchi")).status_code == 404
    assert client.get(f"/manutentore/impianti/{in_g}/precompilato", headers=login("cait.mantova")).status_code == 403
    r = client.post("/manutentore/giro", headers=login("manutentore.rossi"), json={"codici": impianti})
    assert r.status_code == 200 and len(json.loads(read_attachment(r.content))["documenti"]) == len(impianti)


def test_elenchi_e_scollegamento(client, login, db_url) -> None:
    rossi, _ = _ids(db_url)
    cait = login("cait.mantova")
    assert [m["username"] for m in client.get("/cait/manutentori", headers=cait).json()] == ["MA023456"]
    r = client.get("/cait/elenchi/strumenti", headers=cait)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert client.post(f"/cait/manutentori/{rossi}/scollega", headers=login("cait.brescia"),
                       json={"email": "a@b.it"}).status_code == 404
    r = client.post(f"/cait/manutentori/{rossi}/scollega", headers=cait, json={"email": "cait.brescia@example.it"})
    assert r.status_code == 409 and "già in uso" in r.json()["errori"][0]["messaggio"]
    assert r.json()["errori"][0]["campo"] == "email"
    r = client.post(f"/cait/manutentori/{rossi}/scollega", headers=cait, json={"email": "ufficio@rossitermo.it"})
    assert r.status_code == 200 and client.get("/cait/manutentori", headers=cait).json() == []
    assert r.json()["username"] == "MA023456" and "prima del 18/09/2015" in r.json()["regola_username"]


def test_rendiconto_si_emette_con_post_solo_per_mesi_conclusi(client, login, db_url) -> None:
    cait = login("cait.mantova")
    mesi = client.get("/cait/rendiconti", headers=cait).json()
    oggi = date.today()
    precedente = f"{oggi.year - (oggi.month == 1)}-{(oggi.month - 2) % 12 + 1:02d}"
    assert mesi[0]["mese"] == precedente and len(mesi) == 12
    # a GET never issues anything
    assert client.get(f"/cait/rendiconti/{precedente}", headers=cait).status_code == 405
    r = client.post(f"/cait/rendiconti/{oggi:%Y-%m}", headers=cait)
    assert r.status_code == 422 and r.json()["errori"][0]["campo"] == "mese"
    assert "non è ancora concluso" in r.json()["errori"][0]["messaggio"]
    r = client.post(f"/cait/rendiconti/{precedente}", headers=cait)
    assert r.status_code == 201 and r.content.startswith(b"%PDF") and r.headers["X-Curit-Documento"]
    assert client.post(f"/cait/rendiconti/{precedente}", headers=login("manutentore.rossi")).status_code == 403


def test_servizi_cait(client, login, db_url) -> None:
    rossi, _ = _ids(db_url)
    cait, brescia = login("cait.mantova"), login("cait.brescia")
    # 2: registration data, Partita IVA read-only
    r = client.put(f"/cait/manutentori/{rossi}", headers=cait, json={
        "ragione_sociale": "Rossi Termoidraulica S.n.c.", "indirizzo": "Via Roma 14", "comune": "Viadana",
        "partita_iva": "99999999999"})
    assert r.status_code == 422 and r.json()["errori"][0]["campo"] == "partita_iva"
    r = client.put(f"/cait/manutentori/{rossi}", headers=cait, json={
        "ragione_sociale": "Rossi Termoidraulica S.n.c.", "indirizzo": "Via Roma 14", "comune": ""})
    assert r.status_code == 422 and r.json()["errori"][0]["campo"] == "comune"
    assert client.put(f"/cait/manutentori/{rossi}", headers=brescia, json={
        "ragione_sociale": "X", "indirizzo": "Y", "comune": "Z"}).status_code == 404
    r = client.put(f"/cait/manutentori/{rossi}", headers=cait, json={
        "ragione_sociale": "Rossi Termoidraulica S.n.c.", "indirizzo": "Via Roma 14", "comune": "Viadana"})
    assert r.status_code == 200
    assert client.get("/cait/manutentori", headers=cait).json()[0]["indirizzo"] == "Via Roma 14"
    # 3: strumenti
    r = client.post("/cait/strumenti", headers=cait, json={"marca": "Testo", "modello": "330-2 LL", "matricola": "60012345"})
    assert r.status_code == 409 and r.json()["errori"][0]["campo"] == "matricola"
    r = client.post("/cait/strumenti", headers=cait, json={"marca": "Seitron", "modello": "Novo", "matricola": "N-77"})
    assert r.status_code == 201
    nuovo = r.json()["id"]
    assert client.put(f"/cait/strumenti/{nuovo}", headers=brescia,
                      json={"marca": "a", "modello": "b", "matricola": "c"}).status_code == 404
    assert client.put(f"/cait/strumenti/{nuovo}", headers=cait,
                      json={"marca": "Seitron", "modello": "Novo 2", "matricola": "N-77"}).status_code == 200
    assert {s["modello"] for s in client.get("/cait/strumenti", headers=cait).json()} == {"330-2 LL", "Novo 2"}
    assert client.delete(f"/cait/strumenti/{nuovo}", headers=cait).status_code == 200
    assert len(client.get("/cait/strumenti", headers=cait).json()) == 1
    # 4: operatori — an inactive one loses its token at once
    r = client.post("/cait/operatori", headers=cait, json={"cognome_nome": "Neri Paolo", "username": "op.neri",
                                                           "password": "corta"})
    assert r.status_code == 422 and r.json()["errori"][0]["campo"] == "password"
    r = client.post("/cait/operatori", headers=cait, json={"cognome_nome": "Neri Paolo", "username": "op.neri",
                                                           "password": "neri-password-1"})
    assert r.status_code == 201
    op = r.json()["id"]
    tok = client.post("/auth/token", data={"username": "op.neri", "password": "neri-password-1"}).json()["access_token"]
    neri = {"Authorization": f"Bearer {tok}"}
    assert client.get("/cait/strumenti", headers=neri).status_code == 200
    assert client.post(f"/cait/operatori/{op}/disattiva", headers=brescia).status_code == 404
    assert client.post(f"/cait/operatori/{op}/disattiva", headers=cait).status_code == 200
    assert client.get("/cait/strumenti", headers=neri).status_code == 401
    assert client.post("/auth/token", data={"username": "op.neri", "password": "neri-password-1"}).status_code == 401
    assert [o["attivo"] for o in client.get("/cait/operatori", headers=cait).json() if o["id"] == op] == [False]
    # 6: IBAN validated with python-stdnum
    r = client.put(f"/cait/manutentori/{rossi}/iban", headers=cait,
                   json={"iban": "IT60X0542811101000000123457", "intestatario": "Rossi Termoidraulica"})
    assert r.status_code == 422 and r.json()["errori"][0]["campo"] == "iban"
    assert "IBAN non valido" in r.json()["errori"][0]["messaggio"]
    r = client.put(f"/cait/manutentori/{rossi}/iban", headers=cait,
                   json={"iban": "it60 x054 2811 1010 0000 0123 456", "intestatario": "Rossi Termoidraulica"})
    assert r.status_code == 200 and r.json()["iban"] == "IT60X0542811101000000123456"
    # 5: movements after a top-up
    assert client.post("/cait/ricevute/ricarica", headers=cait, json={
        "manutentore_id": rossi, "importo": "50.00", "operatore": "op.ferrari"}).status_code == 201
    mov = client.get("/cait/portafoglio/movimenti", headers=cait, params={"manutentore_id": rossi}).json()
    assert mov["saldi"][str(rossi)] == "50.00" and mov["movimenti"][0]["causale"] == "ricarica"
    assert mov["movimenti"][0]["manutentore"] == "Rossi Termoidraulica S.n.c."
    assert client.get("/cait/portafoglio/movimenti", headers=brescia, params={"manutentore_id": rossi}).status_code == 404
    assert [r["manutentore"] for r in client.get("/cait/ricevute", headers=cait).json()] == ["Rossi Termoidraulica S.n.c."]
    with session_scope(make_engine(db_url)) as s:
        azioni = {(a.utente, a.azione) for a in s.scalars(select(Audit))}
    assert {("cait.mantova", "cait.operatore.disattiva"), ("cait.mantova", "cait.iban"),
            ("cait.mantova", "cait.strumento.elimina"), ("cait.mantova", "cait.ricarica")} <= azioni
