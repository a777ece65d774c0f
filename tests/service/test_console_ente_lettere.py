"""The Ente's mass printing from what it already holds (issue 16), in-process app on SQLite with the
embedded SeaweedFS archive: lettere di esito from the rapporti di prova in its archive (console and
API, esito filter, first protocol numbering), any form for a CSV/JSON list of records with Italian
per-line errors, and the inspector opening the lettere di esito in the archive (rights checked)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import time

import pytest

from service.registry import get_document_type
from tests.service.test_console_ispettore_rapporto import PROVE, _impianto

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _attendi(client, lavoro_id: str, headers: dict | None = None) -> dict:
    for _ in range(900):
        stato = client.get(f"/lavori/{lavoro_id}", headers=headers).json() if headers else \
            client.get(f"/console/lavori/{lavoro_id}/stato").json()
        if stato["stato"] in ("completato", "fallito", "interrotto"):
            return stato
        time.sleep(0.1)
    raise AssertionError("job did not end")


def _testo(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_lettere_di_esito_dai_rapporti_in_archivio(console, client, login, db_url) -> None:
    imp = _impianto(db_url)
    isp = login("ispettore.mantova")
    valori = {**client.get(f"/ispettore/impianti/{imp.codice_impianto}/rapporto", headers=isp).json()["valori"],
              **PROVE, "numero_ispezione": "MN-2026/0077", "data_realizzazione_impianto": "2010-05-01",
              "interno_uso": "cucina"}
    r = client.post(f"/ispettore/impianti/{imp.codice_impianto}/rapporto", headers=isp, json=valori)
    assert r.status_code == 201, r.text
    rapporto = r.headers["X-Curit-Documento"]

    console.entra("ente.mantova")
    pagina = client.get("/console/ente/stampe/esiti/archivio")
    assert pagina.status_code == 200 and imp.codice_impianto in pagina.text and f"/console/documento/{rapporto}" in pagina.text
    assert "Scegli il file" not in pagina.text  # no upload on this page
    # errors name the field and keep what was typed
    r = client.post("/console/ente/stampe/esiti/archivio", headers=console.ORIGIN, follow_redirects=False,
                    data={"csrf": console.csrf(pagina.text), "protocollo": "senza numero", "funzionario": "Dott.ssa Castelli",
                          "data_lettera": "2026-03-02", "dal": "2026-03-01", "al": "2026-01-01"})
    assert r.status_code == 422 and "Dalla data" in r.text and 'value="Dott.ssa Castelli"' in r.text, r.text
    r = client.post("/console/ente/stampe/esiti/archivio", headers=console.ORIGIN, follow_redirects=False,
                    data={"csrf": console.csrf(pagina.text), "protocollo": "senza numero", "funzionario": "Dott.ssa Castelli",
                          "data_lettera": "2026-03-02"})
    assert r.status_code == 422 and "Primo protocollo" in r.text, r.text

    r = client.post("/console/ente/stampe/esiti/archivio", headers=console.ORIGIN, follow_redirects=False,
                    data={"csrf": console.csrf(pagina.text), "protocollo": "MN-2026/0150", "funzionario": "Dott.ssa Castelli",
                          "data_lettera": "2026-03-02", "tipi": ["allegato-a", "allegato-b"], "per_record": "1"})
    assert r.status_code == 303, r.text
    lavoro = r.headers["location"].rsplit("/", 1)[1]
    stato = _attendi(client, lavoro)
    assert stato["stato"] == "completato" and stato["scarti"] == [], stato
    assert client.get(f"/console/lavori/{lavoro}").status_code == 200
    stampa = client.get(f"/console/lavori/{lavoro}/file/stampa.pdf")
    testo = _testo(stampa.content)
    assert "MN-2026/0150" in testo and imp.codice_impianto in testo and "Dott.ssa Castelli" in testo
    esito = "9.b" if re.search(r"\b9\.b\b", testo) and "non conform" in testo.lower() else "9.a"
    altro = "9.a" if esito == "9.b" else "9.b"

    # the esito filter: the rapporto has the other esito → nothing to print, said so
    h = login("ente.mantova")
    r = client.post("/stampe/esiti/archivio", headers=h, json={"esito": altro, "protocollo": "MN-2026/0160",
                                                               "funzionario": "Dott.ssa Castelli", "data_lettera": "2026-03-02"})
    assert r.status_code == 422 and "con un altro esito" in r.text, r.text
    r = client.post("/stampe/esiti/archivio", headers=h, json={"esito": esito, "protocollo": "MN-2026/0160",
                                                               "funzionario": "Dott.ssa Castelli", "data_lettera": "2026-03-02"})
    assert r.status_code == 202 and r.json()["rapporti"] == 1, r.text
    assert _attendi(client, r.json()["id"], h)["stato"] == "completato"
    # another Ente's archive gives nothing
    r = client.post("/stampe/esiti/archivio", headers=login("ente.brescia"),
                    json={"protocollo": "BS-1", "funzionario": "X", "data_lettera": "2026-03-02"})
    assert r.status_code == 422 and "Nessun rapporto" in r.text

    # point 3: the inspector opens the lettera di esito in the archive, by type and impianto
    r = client.post(f"/ispettore/rapporti/{rapporto}/lettera-esito", headers=isp,
                    json={"protocollo": "MN-2026/0170", "funzionario": "Dott.ssa Castelli", "data_lettera": "2026-03-03"})
    assert r.status_code == 201, r.text
    console.entra("ispettore.mantova")
    r = client.get("/console/archivio", params={"tipo": "lettera-esito", "codice_impianto": imp.codice_impianto})
    assert r.status_code == 200 and "Lettera di esito" in r.text, r.text
    lettera = re.search(r'/console/documento/([^"/]+)"', r.text).group(1)
    assert client.get(f"/console/documento/{lettera}").status_code == 200
    assert client.get(f"/console/documento/{lettera}/pdf").content.startswith(b"%PDF")
    assert 'name="tipo"' in client.get("/console/archivio").text and "<select" in client.get("/console/archivio").text
    console.entra("cait.brescia")  # rights: not its archive
    assert client.get(f"/console/documento/{lettera}").status_code == 404


def _csv(righe: list[dict]) -> bytes:
    campi = list(dict.fromkeys(k for r in righe for k in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=campi, delimiter=";")
    w.writeheader()
    w.writerows(righe)
    return buf.getvalue().encode()


def _piatto(d: dict, prefisso: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_piatto(v, f"{prefisso}{k}."))
        else:
            out[f"{prefisso}{k}"] = json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
    return out


def test_moduli_per_un_elenco_di_record(console, client, login) -> None:
    esempio = get_document_type("allegato-h").example()
    buona = _piatto(esempio)
    cattiva = {**buona, "potenza_kw": "tanta"}
    fuori = {**buona, "codice_catasto": "020066IN0000001", "comune": "Viadana"}
    console.entra("ente.brescia")
    pagina = client.get("/console/ente/stampe/moduli")
    assert pagina.status_code == 200 and "Scegli il file" in pagina.text and "Nessun file scelto" in pagina.text
    assert 'class="upload' in pagina.text and 'aria-describedby="file-scelto file-aiuto"' in pagina.text
    # a record of another Ente's impianto: refused before anything is written
    r = client.post("/console/ente/stampe/moduli", headers=console.ORIGIN, follow_redirects=False,
                    data={"csrf": console.csrf(pagina.text), "tipo": "allegato-h"},
                    files={"file": ("h.csv", _csv([buona, fuori]), "text/csv")})
    assert r.status_code in (403, 422), r.text
    r = client.post("/console/ente/stampe/moduli", headers=console.ORIGIN, follow_redirects=False,
                    data={"csrf": console.csrf(pagina.text), "tipo": "allegato-zz"},
                    files={"file": ("h.csv", _csv([buona]), "text/csv")})
    assert r.status_code == 422 and "Modello" in r.text
    r = client.post("/console/ente/stampe/moduli", headers=console.ORIGIN, follow_redirects=False,
                    data={"csrf": console.csrf(pagina.text), "tipo": "allegato-h"},
                    files={"file": ("h.csv", _csv([buona, cattiva]), "text/csv")})
    assert r.status_code == 200 and "Righe del file non stampate (1)" in r.text, r.text
    riga = re.search(r"<tr><td>(\d+)</td><td>[^<]*</td><td>([^<]+)</td></tr>", r.text)
    assert riga.group(1) == "3" and "potenza" in riga.group(2).lower(), riga.group(0)  # line 3 of the file, the field
    lavoro = re.search(r'/console/lavori/([^"]+)"', r.text).group(1)
    stato = _attendi(client, lavoro)
    assert stato["stato"] == "completato", stato
    assert [s["n"] for s in stato["scarti"]] == [2]
    testo = _testo(client.get(f"/console/lavori/{lavoro}/file/stampa.pdf").content)
    assert "Allegato H" in testo and esempio["codice_catasto"] in testo
    # the same over the API, from JSON
    r = client.post("/stampe/moduli/allegato-h/file", headers=login("ente.brescia"),
                    files={"file": ("h.json", json.dumps([esempio]).encode(), "application/json")})
    assert r.status_code == 202 and r.json()["tipo"] == "moduli:allegato-h" and r.json()["righe_scartate"] == [], r.text
