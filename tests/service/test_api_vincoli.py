"""Binding an etichetta through the API (issue 12): only in its Ente's territory, and a refusal
never names another manutentore's etichetta."""

from __future__ import annotations

from test_api_etichette import _lotto, _manutentori


def test_rossi_cannot_bind_a_mantova_etichetta_to_a_brescia_impianto(client, login, db_url) -> None:
    ente, cait, rossi, bianchi = (login(u) for u in ("ente.mantova", "cait.mantova", "manutentore.rossi",
                                                       "manutentore.bianchi"))
    ids = _manutentori(db_url)
    uno, due, _ = _lotto(client, ente)["numeri"]
    assert client.post("/etichette/assegnazioni", json={"cait_id": "CAIT-MN-01", "numeri": [uno, due]},
                       headers=ente).status_code == 200
    for numero, chi in ((uno, "MA023456"), (due, "bianchicalore")):
        r = client.post(f"/etichette/{numero}/vendita", json={"manutentore_id": ids[chi]}, headers=cait)
        assert r.status_code == 200, r.text

    brescia = {"codice_impianto": "017029CT0000001", "tipo_dichiarazione": "G", "data_controllo": "2026-10-14"}
    r = client.post(f"/etichette/{uno}/vincolo", json=brescia, headers=rossi)
    assert r.status_code == 422, r.text
    errore = r.json()["errori"][0]
    assert errore["campo"] == "codice_impianto" and "non è nel territorio dell'Ente" in errore["messaggio"]
    assert client.get(f"/etichette/{uno}", headers=rossi).json()["stato"] == "venduta"

    mantova = {**brescia, "codice_impianto": "020066CT0000001"}
    assert client.post(f"/etichette/{uno}/vincolo", json=mantova, headers=rossi).status_code == 200
    r = client.post(f"/etichette/{due}/vincolo", json=mantova, headers=bianchi)
    assert r.status_code == 409, r.text
    messaggio = r.json()["errori"][0]["messaggio"]
    assert "da un'altra etichetta" in messaggio
    assert uno not in messaggio and uno.replace("-", "") not in messaggio
