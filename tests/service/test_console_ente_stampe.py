"""The Ente's mass printing in the console and over /stampe, /distributori (in-process app, demo data):
plates from the catasto or an uploaded file, with sheet profile, start position, calibration and a
test sheet; the distributors' file with its line-by-line report and the plates of the new impianti;
avvisi and lettere di esito from uploaded files. The PDFs are read back with pdftotext/zbarimg."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive.catasto import ImpiantoCatasto
from archive.utenti import Audit
from service.api.deps import state_for
from service.settings import Settings

pytestmark = pytest.mark.db_backend("postgresql")  # console/API flow: see docs/parts/tests.md

BUONA = ("Rossi Mario;VIA;Giuseppe Verdi;41;46019;Viadana;30020066;0375 781204;METANO;00881234567890;1250,50;MC;E;"
         "240;RSSMRA75C12L826I;")


@pytest.fixture
def api_settings(db_url: str, tmp_path: Path, _identita_api: Path, stampa_cache: Path) -> Settings:
    return Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret", demo=True,
                    identita_dir=_identita_api, batch_dir=tmp_path / "lavori", stampa_cache_dir=stampa_cache)


def _codici(settings: Settings, ente: str) -> list[str]:
    with state_for(settings).sessions() as s:
        return sorted(s.scalars(select(ImpiantoCatasto.codice_impianto).where(ImpiantoCatasto.ente_id == ente)))


def _attendi(client: TestClient, lavoro_id: str) -> dict:
    for _ in range(600):
        stato = client.get(f"/console/lavori/{lavoro_id}/stato").json()
        if stato["stato"] in ("completato", "fallito", "interrotto"):
            return stato
        time.sleep(0.1)
    raise AssertionError("job did not end")


def _qr(pdf: bytes, tmp_path: Path) -> list[str]:
    (tmp_path / "t.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "t.pdf"), str(tmp_path / "p")], check=True)
    out = subprocess.run(["zbarimg", "-q", "--raw", *map(str, sorted(tmp_path.glob("p*.png")))],
                         capture_output=True, text=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def _pagine(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def test_targhe_dal_catasto_e_da_file(console, client: TestClient, api_settings: Settings, tmp_path: Path) -> None:
    codici = _codici(api_settings, "provincia-mantova")
    console.entra("ente.mantova")
    pagina = "/console/ente/stampe/targhe"
    html = client.get(pagina).text
    assert all(c in html for c in codici) and "Foglio di prova" in html and 'lang="it"' in html
    assert "A4, 2 colonne × 5 righe" in html
    # a bad calibration keeps what was typed and names the field
    r = console.post(pagina, {"azione": "fogli", "codici": codici, "foglio": "A4-2x5", "inizio": "11",
                              "offset_x": "abc", "offset_y": "2,5"}, pagina)
    assert r.status_code == 422
    assert "Posizione iniziale: indicare un numero intero tra 1 e 10." in r.text
    assert "Spostamento orizzontale (mm): indicare un numero" in r.text and 'value="abc"' in r.text
    assert 'value="2,5"' in r.text and 'aria-invalid="true"' in r.text
    # the test sheet: one sheet, label outlines
    r = console.post(pagina, {"azione": "prova", "codici": codici, "foglio": "A4-2x4", "inizio": "3",
                              "offset_x": "1,5", "offset_y": "-2"}, pagina)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text[:300]
    assert "foglio-di-prova.pdf" in r.headers["content-disposition"] and _pagine(r.content) == 1
    # the sheets now, from a file of codici: bad lines and codici of another Ente are not printed
    altrove = "017029IN0000001"  # well formed, not in the catasto of Mantova
    testo = "codice;note\n" + "\n".join(codici) + "\nXYZ\n" + altrove + "\n"
    opzioni = {"azione": "fogli", "sorgente": "file", "foglio": "A4-2x5", "inizio": "1", "offset_x": "0", "offset_y": "0"}
    r = console.post(pagina, opzioni, pagina, files={"file": ("codici.csv", testo.encode())})
    assert r.status_code == 422 and "riga 4 (XYZ)" in r.text and f"{altrove} (non nel catasto)" in r.text
    assert 'id="sorgente-file" value="file" checked' in r.text
    buono = "\n".join(codici).encode()
    r = console.post(pagina, opzioni, pagina, files={"file": ("codici.csv", buono)})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    qr = _qr(r.content, tmp_path)
    assert all(any(c in q for q in qr) for c in codici) and not any("XYZ" in q for q in qr)
    assert not any(altrove in q for q in qr)
    # a queued job from the same file: the refused lines are listed, the job page says what to print
    r = console.post(pagina, {"azione": "lavoro", "sorgente": "file", "dividi_ogni": ""}, pagina,
                     files={"file": ("codici.csv", testo.encode())})
    assert r.status_code == 200 and "Righe del file non stampate" in r.text, r.text[:500]
    assert "XYZ" in r.text and "Codice impianto non valido" in r.text
    assert altrove in r.text and "Impianto non presente nel catasto dell&#39;Ente." in r.text
    lavoro = re.search(r'href="/console/lavori/([\w-]+)"', r.text).group(1)
    stato = _attendi(client, lavoro)
    assert stato["stato"] == "completato" and stato["record_fatti"] == len(codici)
    pagina_lavoro = client.get(f"/console/lavori/{lavoro}").text
    assert "File da stampare" in pagina_lavoro
    # nothing chosen: the error names the list and the page keeps the options
    r = console.post(pagina, {"azione": "lavoro", "sorgente": "catasto", "dividi_ogni": "7"}, pagina)
    assert r.status_code == 422 and "Selezionare almeno un impianto" in r.text and 'value="7"' in r.text


def test_targhe_riservate_all_ente(console, client: TestClient, api_settings: Settings) -> None:
    console.entra("ispettore.mantova")
    assert client.get("/console/ente/stampe/targhe").status_code == 403
    assert client.get("/console/ente/distributori").status_code == 403


def test_distributori_righe_errate_e_targhe(console, client: TestClient, api_settings: Settings, login) -> None:
    console.entra("ente.mantova")
    pagina = "/console/ente/distributori"
    prima = set(_codici(api_settings, "provincia-mantova"))
    cattiva = BUONA.replace(";46019;", ";4601;").replace("00881234567890", "00881234567891")
    testo = f"{BUONA}\n{cattiva}\nsolo;tre;campi\n"
    r = console.post(pagina, {"tipologia": "IN", "targhe": "1"}, pagina,
                     files={"file": ("utenze-2026.csv", testo.encode())})
    assert r.status_code == 200, r.text[:500]
    assert "Nuovi impianti da ispezionare: <strong>1</strong>" in r.text
    assert "righe con errori: <strong>2</strong>" in r.text
    assert re.search(r"<td>2</td><td>CAP</td><td>[^<]+</td>", r.text) and "ne servono 16" in r.text
    nuovi = set(_codici(api_settings, "provincia-mantova")) - prima
    assert len(nuovi) == 1
    with state_for(api_settings).sessions() as s:
        imp = s.scalars(select(ImpiantoCatasto).where(ImpiantoCatasto.codice_impianto.in_(nuovi))).one()
        assert imp.stato == "da ispezionare" and imp.comune == "Viadana"
        assert s.scalars(select(Audit).where(Audit.azione == "distributore.importa")).first() is not None
    lavoro = re.search(r'href="/console/lavori/([\w-]+)" id="lavoro-targhe"', r.text).group(1)
    assert _attendi(client, lavoro)["record_fatti"] == 1
    # again: the PDR is already in the catasto, nothing new, no job
    r = console.post(pagina, {"tipologia": "IN", "targhe": "1"}, pagina, files={"file": ("u.csv", BUONA.encode())})
    assert "già presenti: 1" in r.text and 'id="lavoro-targhe"' not in r.text
    # no file / not UTF-8: the field is named, nothing is stored
    r = console.post(pagina, {"tipologia": "IN"}, pagina, files={"file": ("u.csv", b"\xff\xfe\x00bad")})
    assert r.status_code == 422 and "non è un testo UTF-8" in r.text and 'href="#file"' in r.text
    # the same over the API
    h = login("ente.mantova")
    r = client.post("/distributori/importazione", files={"file": ("u.csv", cattiva.encode())}, headers=h)
    assert r.status_code == 200 and r.json()["creati"] == [] and r.json()["errori"][0]["campo"] == "cap"


def test_etichette_lotti_assegnazione_annullamento_rendiconto(console, client: TestClient, api_settings: Settings, login,
                                                              db_url: str) -> None:
    from datetime import date

    from archive.anagrafiche import Manutentore
    from archive.etichette import Etichetta

    console.entra("ente.mantova")
    pagina = "/console/ente/etichette"
    html = client.get(pagina).text
    assert "Genera un lotto" in html and 'href="/console/ente/etichette"' in html and "Nessun lotto" in html
    # a bad quantity keeps the input and names the field
    r = console.post(pagina + "/lotti", {"tipo": "G", "quantita": "tre", "stagione": "2026/2027"}, pagina)
    assert r.status_code == 422 and "Quantità: indicare un numero intero." in r.text and 'value="tre"' in r.text
    assert 'value="2026/2027"' in r.text
    r = console.post(pagina + "/lotti", {"tipo": "G", "quantita": "4", "stagione": "2026/2027"}, pagina)
    assert r.status_code == 303
    html = client.get(r.headers["location"]).text
    assert "Lotto" in html and "4 etichette G della stagione 2026/2027" in html and "MN000-26G1-000001-4" in html
    lotto = re.search(r'href="/console/ente/etichette/lotti/(\d+)/pdf"', html).group(1)
    pdf = client.get(f"/console/ente/etichette/lotti/{lotto}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    testo = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "MN000-26G1-000004" in testo.replace(" ", "")
    # assign a range to the CAIT with a convention: the stock by CAIT shows its name
    r = console.post(pagina + "/assegnazioni", {"cait_id": "CAIT-MN-01", "dal": "MN000-26G1-000001-4", "al": ""}, pagina)
    assert r.status_code == 422 and "Indicare il primo e l&#39;ultimo numero" in r.text and 'value="MN000-26G1-000001-4"' in r.text
    numeri = []
    with state_for(api_settings).sessions() as s:
        numeri = sorted(s.scalars(select(Etichetta.numero).where(Etichetta.lotto_id == int(lotto))))
    from archive.etichette import leggibile

    r = console.post(pagina + "/assegnazioni", {"cait_id": "CAIT-MN-01", "dal": leggibile(numeri[0]),
                                                "al": leggibile(numeri[1])}, pagina)
    assert r.status_code == 303, r.text[:400]
    html = client.get(r.headers["location"]).text
    assert "Assegnate 2 etichette a" in html and "CAIT Mantova" in html and ">CAIT-MN-01<" not in html
    # annul with a reason; without one the field is named
    r = console.post(pagina + "/annullamento", {"numero": leggibile(numeri[3]), "motivo": ""}, pagina)
    assert r.status_code == 422 and "Motivo:" in r.text
    r = console.post(pagina + "/annullamento", {"numero": leggibile(numeri[3]), "motivo": "Foglio inceppato"}, pagina)
    assert r.status_code == 303
    with state_for(api_settings).sessions() as s:
        stati = {n: st for n, st in s.execute(select(Etichetta.numero, Etichetta.stato).where(Etichetta.lotto_id == int(lotto)))}
        rossi = s.scalars(select(Manutentore.id).where(Manutentore.username == "MA023456")).one()
    assert [stati[n] for n in numeri] == ["assegnata", "assegnata", "generata", "annullata"]
    # the CAIT sells one: the Ente's remittance statement of the month has it
    cait = login("cait.mantova")
    assert client.post(f"/etichette/{leggibile(numeri[0])}/vendita", json={"manutentore_id": rossi},
                       headers=cait).status_code == 200
    r = client.get(pagina + "/rendiconto", params={"periodo": "2026-13"})
    assert r.status_code == 422 and "Periodo non valido" in r.text and 'value="2026-13"' in r.text
    r = client.get(pagina + "/rendiconto", params={"periodo": date.today().strftime("%Y-%m")})
    assert r.status_code == 200 and '<strong id="quantita">1</strong>' in r.text and "9,00 €" in r.text
    assert "Provincia di Mantova" in r.text
    console.entra("cait.mantova")
    assert client.get(pagina).status_code == 403


def _esempio(tipo: str) -> dict:
    import json

    from service.registry import get_document_type

    return json.loads(json.dumps(get_document_type(tipo).example(), default=str))


def test_avvisi_ed_esiti_da_file(console, client: TestClient, api_settings: Settings, login) -> None:
    import json

    console.entra("ente.mantova")
    avviso = _esempio("avviso-ispezione")
    rotto = {**avviso, "protocollo": "MN-ISP-2026/000002", "data_ispezione": "2026-02-31"}
    pagina = "/console/ente/stampe/avvisi"
    assert "il piano delle ispezioni" in client.get(pagina).text
    r = console.post(pagina, {"dividi_per": "comune"}, pagina, files={"file": ("piano.json", b"[{")})
    assert r.status_code == 422 and "non è un JSON valido" in r.text and 'href="#file"' in r.text
    assert '<option value="comune" selected>' in r.text
    r = console.post(pagina, {"dividi_per": "comune"}, pagina,
                     files={"file": ("piano.json", json.dumps([avviso, rotto]).encode())})
    assert r.status_code == 200 and "Righe del file non stampate (1)" in r.text, r.text[:400]
    assert "<td>2</td><td>020066IN0001873</td>" in r.text
    lavoro = re.search(r'href="/console/lavori/([\w-]+)"', r.text).group(1)
    stato = _attendi(client, lavoro)
    assert stato["stato"] == "completato" and stato["record_fatti"] == 1, stato
    pdf = [f for f in stato["file"] if f.endswith(".pdf") and not f.endswith(".firmato.pdf")]
    assert pdf and all(stato["descrizioni"][f].startswith("File da stampare") for f in pdf)
    contenuto = client.get(f"/console/lavori/{lavoro}/file/{pdf[0]}").content
    testo = subprocess.run(["pdftotext", "-", "-"], input=contenuto, capture_output=True, check=True).stdout.decode()
    assert avviso["protocollo"] in testo
    # lettere di esito from a rapporto di prova (API route, same function)
    rapporto = {"tipo": "allegato-a", "dati": _esempio("allegato-a"), "protocollo": "MN-ESI-2026/000001",
                "data_lettera": "2026-03-02", "funzionario": "Dott.ssa Laura Castelli"}
    h = login("ente.mantova")
    r = client.post("/stampe/esiti/file", headers=h, data={"per_record": "true"},
                    files={"file": ("rapporti.json", json.dumps([rapporto, {**rapporto, "funzionario": ""}]).encode())})
    assert r.status_code == 202, r.text
    assert [s["motivo"] for s in r.json()["scartati"]] == ["funzionario: Manca il campo funzionario."]
    assert client.get(f"/lavori/{r.json()['id']}", headers=h).status_code == 200
    r = client.post("/stampe/avvisi/file", headers=login("ente.brescia"),
                    files={"file": ("piano.json", json.dumps([avviso]).encode())})
    assert r.status_code == 403


def test_lavoro_firmato_file_da_stampare_e_copia_per_gli_atti(console, api_settings: Settings, tmp_path: Path) -> None:
    """With signed outputs the job page tells the file to print from the signed copy for the record."""
    from service.api.app import create_app

    firmati = api_settings.model_copy(update={"firma_output": True})
    with TestClient(create_app(firmati), raise_server_exceptions=False) as client:
        console = console.su(client)
        console.entra("ente.mantova")
        pagina = "/console/ente/stampe/targhe"
        r = console.post(pagina, {"azione": "lavoro", "codici": _codici(firmati, "provincia-mantova")}, pagina)
        assert r.status_code == 303, r.text[:400]
        lavoro = r.headers["location"].rsplit("/", 1)[1]
        stato = _attendi(client, lavoro)
        assert stato["stato"] == "completato" and "stampa.firmato.pdf" in stato["file"], stato
        html = client.get(f"/console/lavori/{lavoro}").text
        assert ">File da stampare</a>" in html and "Copia firmata per gli atti: da conservare, non da stampare" in html
        assert "va conservata, non stampata" in html
        firmato = client.get(f"/console/lavori/{lavoro}/file/stampa.firmato.pdf").content
        (tmp_path / "f.pdf").write_bytes(firmato)
        sig = subprocess.run(["pdfsig", str(tmp_path / "f.pdf")], capture_output=True, text=True).stdout
        assert "Signature #1" in sig


def test_admin_etichette_per_un_ente(console, client: TestClient, api_settings: Settings) -> None:
    console.entra("admin")
    pagina = "/console/ente/etichette"
    html = client.get(pagina).text
    assert "Provincia di Mantova" in html and 'id="ente_id"' in html and 'id="ente_id_a"' in html
    r = console.post(pagina + "/lotti", {"tipo": "G", "quantita": "2", "stagione": "2026/2027"}, pagina)
    assert r.status_code == 422 and "Indicare l&#39;Ente" in r.text and 'href="#ente_id"' in r.text
    r = console.post(pagina + "/lotti", {"tipo": "G", "quantita": "2", "stagione": "2026/2027",
                                         "ente_id": "provincia-mantova"}, pagina)
    assert r.status_code == 303
    assert "2 etichette G della stagione 2026/2027" in client.get(r.headers["location"]).text
    r = console.post(pagina + "/assegnazioni", {"cait_id": "CAIT-MN-01", "dal": "MN000-26G1-000001-4",
                                                "al": "MN000-26G1-000002-2"}, pagina)
    assert r.status_code == 422 and 'href="#ente_id_a"' in r.text and 'value="MN000-26G1-000002-2"' in r.text
    r = console.post(pagina + "/assegnazioni", {"cait_id": "CAIT-MN-01", "dal": "MN000-26G1-000001-4",
                                                "al": "MN000-26G1-000002-2", "ente_id": "provincia-mantova"}, pagina)
    assert r.status_code == 303, r.text[:300]
