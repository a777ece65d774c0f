"""The manutentore's Allegato G filled online through the API: live check with Italian errors per
field, issue (etichetta bound, PDF signed by the CAIT and archived), impianti, etichette, Portafoglio."""

from __future__ import annotations

import subprocess

import pytest

from service.demo import VIADANA

pytestmark = pytest.mark.db_backend("postgresql")  # console/API flow: see docs/parts/tests.md


def _valori(modulo: dict, etichetta: str) -> dict:
    v = dict(modulo["valori"])
    v.update({"volumetria_m3": "240", "consumi.0.valore": "900", "consumi.0.unita": "m3", "consumi.1.valore": "850",
              "consumi.1.unita": "m3", "costruttore": "Vaillant", "modello": "ecoTEC", "matricola": "M-1",
              "misura.temp_fumi": "58", "misura.temp_aria": "18", "misura.o2": "4.1", "misura.co2": "9.3",
              "misura.co_ppm": "40", "misura.rendimento": "97.5", "puo_funzionare": "SI",
              "tecnico.nome_cognome": "Mario Rossi", "numero_etichetta": etichetta,
              "strumento": modulo["opzioni"]["strumento"][0][0]})
    return v


def test_allegato_g_online(client, login, api_settings, tmp_path) -> None:
    ente, cait, rossi = login("ente.mantova"), login("cait.mantova"), login("manutentore.rossi")
    impianti = client.get("/manutentore/impianti", headers=rossi).json()
    g = next(i for i in impianti if i["modello"] == "G" and i["codice_impianto"].startswith(VIADANA))
    codice = g["codice_impianto"]
    numeri = client.post("/etichette/lotti", json={"tipo": "G", "quantita": 2}, headers=ente).json()["numeri"]
    assert client.post("/etichette/assegnazioni", json={"cait_id": "CAIT-MN-01", "numeri": numeri},
                       headers=ente).status_code == 200
    [m] = client.get("/cait/manutentori", headers=cait).json()
    r = client.post("/cait/ricevute/vendita", headers=cait, json={
        "manutentore_id": m["id"], "numeri": [numeri[0]], "operatore": "op.ferrari", "pagamento": "contanti"})
    assert r.status_code == 201, r.text
    assert [e["stato"] for e in client.get("/manutentore/etichette", headers=rossi).json()] == ["venduta"]

    modulo = client.get(f"/manutentore/impianti/{codice}/modulo", headers=rossi).json()
    assert modulo["tipo"] == "G" and modulo["valori"]["responsabile_nome"] == g["responsabile"]
    assert [e for e, _ in modulo["opzioni"]["numero_etichetta"]] == [numeri[0]]
    assert "Testo 330-2 LL matricola 60012345" in modulo["opzioni"]["strumento"][0][1]
    # live check: Italian errors keyed by field
    r = client.post(f"/manutentore/impianti/{codice}/dichiarazione/verifica", headers=rossi,
                    json={**_valori(modulo, numeri[0]), "volumetria_m3": "tanti", "numero_etichetta": numeri[1]})
    assert r.status_code == 422
    errori = r.json()["errori"]
    assert set(errori) == {"numero_etichetta", "volumetria_m3"}, errori  # every field at fault at once
    assert "proprie etichette" in errori["numero_etichetta"]
    r = client.post(f"/manutentore/impianti/{codice}/dichiarazione/verifica", headers=rossi,
                    json={**_valori(modulo, numeri[0]), "volumetria_m3": "tanti"})
    assert r.status_code == 422 and r.json()["errori"]["volumetria_m3"] == "Deve essere un numero."
    assert client.post(f"/manutentore/impianti/{codice}/dichiarazione/verifica", headers=rossi,
                       json=_valori(modulo, numeri[0])).json() == {"errori": {}}
    # another firm's impianto is a 404; the CAIT is not a manutentore
    assert client.get(f"/manutentore/impianti/{codice}/modulo", headers=login("manutentore.bianchi")).status_code == 404
    assert client.get(f"/manutentore/impianti/{codice}/modulo", headers=cait).status_code == 403

    r = client.post(f"/manutentore/impianti/{codice}/dichiarazione", headers=rossi, json=_valori(modulo, numeri[0]))
    assert r.status_code == 201, r.text
    assert r.content.startswith(b"%PDF") and r.headers["X-Curit-Documento"]
    documento = r.headers["X-Curit-Documento"]
    pdf = tmp_path / "g.pdf"
    pdf.write_bytes(r.content)
    testo = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert codice in testo and "60012345" in testo and testo.count("RAPPORTO DI CONTROLLO") >= 1
    firma = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
    assert "CAIT" in firma or "Signer" in firma
    # every page carries the contrassegno of the archived document (production default), signed by the CAIT
    from service.contrassegno import leggi_scansione, verifica_testo

    codici = leggi_scansione(pdf, dpi=150)
    assert {c.pagina for c in codici} == set(range(1, testo.count("\f") + 1)), codici
    esito = verifica_testo(codici[0].testo, api_settings)
    assert esito.valido and esito.sigillo.documento_id == documento and esito.sigillo.emittente.startswith("CAIT")
    assert [e["stato"] for e in client.get("/manutentore/etichette", headers=rossi).json()] == ["vincolata"]
    # the same etichetta cannot be used twice
    r = client.post(f"/manutentore/impianti/{codice}/dichiarazione", headers=rossi, json=_valori(modulo, numeri[0]))
    assert r.status_code == 422 and "numero_etichetta" in r.json()["errori"][0]["campo"]
    record = client.get(f"/archivio/documenti/{documento}", headers=rossi).json()
    assert record["tipo"] == "allegato-g" and record["codice_impianto"] == codice, record
    assert client.get(f"/archivio/documenti/{documento}", headers=login("manutentore.bianchi")).status_code == 404
    assert client.get("/manutentore/portafoglio", headers=rossi).json()["saldo"] == "0.00"
