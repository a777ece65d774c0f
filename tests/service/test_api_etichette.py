"""API of the etichette stock (service/api/routes/etichette.py): roles, tenancy, Italian errors."""

from __future__ import annotations

import subprocess
from datetime import datetime

from sqlalchemy import select

from archive.anagrafiche import Manutentore
from archive.db import make_engine, session_scope
from archive.utenti import Audit
from domain.etichetta import numero_etichetta, parse_numero_etichetta
from domain.tariffe import FUSO_ORARIO


def _manutentori(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            return {m.username: m.id for m in s.scalars(select(Manutentore))}
    finally:
        engine.dispose()


def _lotto(client, headers, **body) -> dict:
    r = client.post("/etichette/lotti", json={"tipo": "G", "quantita": 3, "stagione": "2026/2027", **body},
                    headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_lifecycle_through_the_api(client, login, db_url) -> None:
    ente, cait, rossi = login("ente.mantova"), login("cait.mantova"), login("manutentore.rossi")
    id_rossi = _manutentori(db_url)["MA023456"]
    lotto = _lotto(client, ente)
    primo, secondo, terzo = lotto["numeri"]
    assert (lotto["ente_id"], lotto["quantita"], primo) == ("provincia-mantova", 3, "MN000-26G1-000001-4")

    r = client.post("/etichette/assegnazioni", json={"cait_id": "CAIT-MN-01", "dal": primo, "al": secondo},
                    headers=ente)
    assert r.status_code == 200, r.text
    assert r.json() == {"cait_id": "CAIT-MN-01", "assegnate": 2, "numeri": [primo, secondo]}
    r = client.post(f"/etichette/{primo}/vendita", json={"manutentore_id": id_rossi}, headers=cait)
    assert r.status_code == 200, r.text
    assert (r.json()["totale"], r.json()["quota_ente"]) == ("9.00", "8.00")
    r = client.post(f"/etichette/{primo}/vincolo", headers=rossi, json={
        "codice_impianto": "020066CT0000001", "tipo_dichiarazione": "G", "data_controllo": "2026-10-14"})
    assert r.status_code == 200, r.text
    assert r.json()["stato"] == "vincolata"
    r = client.post(f"/etichette/{terzo}/annullamento", json={"motivo": "Foglio inceppato in stampa"}, headers=ente)
    assert (r.status_code, r.json()["stato"]) == (200, "annullata")

    for headers in (ente, cait, rossi):  # each party sees the bound etichetta, with the same history
        r = client.get(f"/etichette/{primo}", headers=headers)
        assert r.status_code == 200, r.text
        assert [(m["evento"], m["utente"]) for m in r.json()["movimenti"]] == [
            ("generata", "ente.mantova"), ("assegnata", "ente.mantova"), ("venduta", "cait.mantova"),
            ("vincolata", "manutentore.rossi")]
    assert client.get(f"/etichette/{secondo}", headers=rossi).status_code == 404  # not bought by rossi
    assert client.get(f"/etichette/{terzo}", headers=cait).status_code == 404  # never in this CAIT's stock

    r = client.post(f"/etichette/{primo}/vincolo", headers=rossi, json={
        "codice_impianto": "020066IN0000002", "tipo_dichiarazione": "G", "data_controllo": "2026-10-15"})
    assert r.status_code == 409
    assert "già vincolata" in r.json()["errori"][0]["messaggio"]

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            azioni = set(s.scalars(select(Audit.azione).where(Audit.azione.like("etichette.%"))))
    finally:
        engine.dispose()
    assert azioni == {"etichette.genera", "etichette.assegna", "etichette.vendi", "etichette.vincola",
                      "etichette.annulla"}


def test_tenants_never_reach_each_other(client, login, db_url) -> None:
    ente_mn, ente_bs = login("ente.mantova"), login("ente.brescia")
    cait_mn, cait_bs = login("cait.mantova"), login("cait.brescia")
    rossi, bianchi = login("manutentore.rossi"), login("manutentore.bianchi")
    ids = _manutentori(db_url)
    mantova = _lotto(client, ente_mn)
    brescia = _lotto(client, ente_bs, tipo="F", fascia="F2", quantita=1)
    assert parse_numero_etichetta(brescia["numeri"][0]).prefisso == "BS029"
    uno, due, _ = mantova["numeri"]
    client.post("/etichette/assegnazioni", json={"cait_id": "CAIT-MN-01", "numeri": [uno, due]}, headers=ente_mn)
    client.post(f"/etichette/{uno}/vendita", json={"manutentore_id": ids["MA023456"]}, headers=cait_mn)
    vincolo = {"codice_impianto": "020066CT0000001", "tipo_dichiarazione": "G", "data_controllo": "2026-10-14"}

    other_tenant = [  # 404: the number is outside the caller's scope
        client.get(f"/etichette/{uno}", headers=ente_bs),
        client.get(f"/etichette/{uno}", headers=cait_bs),
        client.get(f"/etichette/{uno}", headers=bianchi),
        client.post(f"/etichette/{due}/vendita", json={"manutentore_id": ids["bianchicalore"]}, headers=cait_bs),
        client.post(f"/etichette/{uno}/vincolo", json=vincolo, headers=bianchi),
        client.post(f"/etichette/{uno}/vincolo", json=vincolo, headers=cait_bs),
        client.post(f"/etichette/{uno}/annullamento", json={"motivo": "non nostra"}, headers=ente_bs),
        client.post("/etichette/assegnazioni", json={"cait_id": "CAIT-BS-01", "numeri": [mantova["numeri"][2]]},
                    headers=ente_bs),
        client.get(f"/etichette/lotti/{mantova['lotto_id']}/pdf", headers=ente_bs),
    ]
    assert [r.status_code for r in other_tenant] == [404] * len(other_tenant), [r.text for r in other_tenant]
    assert all(r.json()["errori"][0]["campo"] in ("numero", "numeri[0]", "lotto_id") for r in other_tenant)

    wrong_role = [  # 403: the role may not do this at all
        client.post("/etichette/lotti", json={"tipo": "G", "quantita": 1}, headers=cait_mn),
        client.post("/etichette/lotti", json={"tipo": "G", "quantita": 1, "ente_id": "comune-brescia"},
                    headers=ente_mn),
        client.post(f"/etichette/{due}/vendita", json={"manutentore_id": ids["MA023456"]}, headers=ente_mn),
        client.post(f"/etichette/{due}/vendita", json={"manutentore_id": ids["MA023456"]}, headers=rossi),
        client.post(f"/etichette/{due}/vendita", json={"manutentore_id": ids["MA023456"], "cait_id": "CAIT-BS-01"},
                    headers=cait_mn),
        client.post(f"/etichette/{uno}/vincolo", json=vincolo, headers=ente_mn),
        client.post(f"/etichette/{due}/annullamento", json={"motivo": "smarrita"}, headers=cait_mn),
        client.post("/etichette/assegnazioni", json={"cait_id": "CAIT-MN-01", "numeri": [due]}, headers=cait_mn),
    ]
    assert [r.status_code for r in wrong_role] == [403] * len(wrong_role), [r.text for r in wrong_role]
    assert client.get(f"/etichette/{uno}").status_code == 401

    r = client.post("/etichette/assegnazioni", json={"cait_id": "CAIT-BS-01", "numeri": [mantova["numeri"][2]]},
                    headers=ente_mn)
    assert r.status_code == 422 and "non ha una convenzione" in r.json()["errori"][0]["messaggio"]
    assert client.get(f"/etichette/{due}", headers=cait_mn).json()["stato"] == "assegnata"  # nothing moved


def test_errors_are_italian_and_name_the_field(client, login, tmp_path) -> None:
    ente = login("ente.mantova")
    lotto = _lotto(client, ente, quantita=2)
    numero = lotto["numeri"][0]
    sbagliato = numero[:-1] + ("0" if numero[-1] != "0" else "1")
    r = client.get(f"/etichette/{sbagliato}", headers=ente)
    assert r.status_code == 422
    assert r.json()["errori"][0]["campo"] == "numero"
    assert "carattere di controllo" in r.json()["errori"][0]["messaggio"]
    estraneo = numero_etichetta("MN000", 2026, "G", 77).leggibile
    r = client.get(f"/etichette/{estraneo}", headers=ente)
    assert r.status_code == 404 and "non appartiene a nessun lotto" in r.json()["errori"][0]["messaggio"]
    r = client.post("/etichette/lotti", json={"tipo": "F", "quantita": 1}, headers=ente)
    assert r.status_code == 422 and r.json()["errori"][0]["campo"] == "fascia"

    pdf = client.get(f"/etichette/lotti/{lotto['lotto_id']}/pdf", headers=ente)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "lotto.pdf").write_bytes(pdf.content)
    testo = subprocess.run(["pdftotext", "-layout", str(tmp_path / "lotto.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert all(testo.count(n) == 3 for n in lotto["numeri"])


def test_stock_listing_and_remittance_stay_within_the_tenant(client, login, db_url) -> None:
    ente_mn, ente_bs, cait_mn, cait_bs = (login(u) for u in ("ente.mantova", "ente.brescia", "cait.mantova",
                                                            "cait.brescia"))
    ids = _manutentori(db_url)
    mantova = _lotto(client, ente_mn, quantita=4)["numeri"]
    _lotto(client, ente_bs, quantita=2)
    client.post("/etichette/assegnazioni", json={"cait_id": "CAIT-MN-01", "numeri": mantova[:3]}, headers=ente_mn)
    for n in mantova[:2]:
        assert client.post(f"/etichette/{n}/vendita", json={"manutentore_id": ids["MA023456"]},
                           headers=cait_mn).status_code == 200

    stock_mn = client.get("/etichette", headers=cait_mn).json()
    assert stock_mn["totali"] == {"venduta": 2, "assegnata": 1}
    assert [e["numero_leggibile"] for e in stock_mn["etichette"]] == mantova[:3]
    assert client.get("/etichette", headers=cait_bs).json() == {"totali": {}, "etichette": [], "dopo": None}
    assert client.get("/etichette?stato=generata", headers=ente_bs).json()["totali"] == {"generata": 2}
    assert client.get("/etichette?stato=persa", headers=ente_mn).status_code == 422

    mese = datetime.now(FUSO_ORARIO).strftime("%Y-%m")
    conto = client.get(f"/etichette/rendiconto?periodo={mese}", headers=cait_mn).json()
    assert (conto["quantita"], conto["contributo_regionale"], conto["quote_enti"], conto["totale"]) == (
        2, "2.00", "16.00", "18.00")
    assert client.get(f"/etichette/rendiconto?periodo={mese}", headers=ente_mn).json()["voci"] == conto["voci"]
    assert client.get(f"/etichette/rendiconto?periodo={mese}", headers=ente_bs).json()["quantita"] == 0
    assert client.get(f"/etichette/rendiconto?periodo={mese}", headers=cait_bs).json()["quantita"] == 0
    assert client.get(f"/etichette/rendiconto?periodo={mese}", headers=login("manutentore.rossi")).status_code == 403
    r = client.get("/etichette/rendiconto?periodo=ottobre", headers=cait_mn)
    assert r.status_code == 422 and r.json()["errori"][0]["campo"] == "periodo"
