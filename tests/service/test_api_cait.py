"""/cait, /distinte, /dichiarazioni, /manutentore endpoints: tenancy (404 across tenants), closure
locking the manutentore out, the Ente's correction, pre-filled G download."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from archive.anagrafiche import Manutentore, ManutenzioneImpianto
from archive.db import make_engine, session_scope
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
    r = client.get(f"/distinte/{distinta}/trasmissione", headers=login("ente.mantova"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


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
    r = client.post(f"/cait/manutentori/{rossi}/scollega", headers=cait, json={"email": "ufficio@rossitermo.it"})
    assert r.status_code == 200 and client.get("/cait/manutentori", headers=cait).json() == []
    assert client.get(f"/cait/rendiconti/{date.today():%Y-%m}", headers=cait).status_code == 200
