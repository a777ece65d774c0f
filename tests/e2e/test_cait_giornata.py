"""A CAIT operator's day and then a manutentore's day, in headless Chromium against
``curit-docs serve --demo`` started as a newcomer would (tests/e2e/conftest.py: empty ``var/``,
embedded SeaweedFS, SQLite; a server of its own, as it counts the receipts and mail it makes), with
outgoing mail going to a real SMTP server (aiosmtpd on 127.0.0.1).

CAIT (cait.mantova): Portafoglio top-up, sale of etichette paid from the Portafoglio and its
ricevuta, dichiarazioni registered at the counter, closing the distinta, the lettera di
trasmissione, the monthly rendiconto, a new strumento, a new operator then set inactive (its open
session ends), the IBAN, the scollegamento (an e-mail in use refused, then a good one).
Manutentore (the firm just scollegata): "Recupera la password" from the e-mail, forced change,
an Allegato G filled online with live errors and issued with its etichetta, the Portafoglio.

Each step checks what the page shows and what the database and the archive hold; every page
passes axe-core's WCAG 2.1 A/AA rules. ``CURIT_SCREENSHOTS=1`` refreshes
``docs/img/console-cait-*.png`` and ``console-manutentore-*.png``.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.e2e.conftest import AXE, WCAG, gruppo_di, shot, token as _token, violazioni_axe  # noqa: F401 - AXE, WCAG
# (AXE, WCAG: importable from here by modules written before conftest.py)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-cait")]


@pytest.fixture(scope="module")
def ambiente(server_del_gruppo, request: pytest.FixtureRequest) -> Iterator[dict]:
    srv = server_del_gruppo(gruppo_di(request), con_documento=False)  # it counts the Allegati G it issues
    url = srv.url
    # the Ente of Mantova hands three G etichette to the CAIT (its own area, not this test's subject)
    ente = _token(url, "ente.mantova")
    numeri = httpx.post(f"{url}/etichette/lotti", json={"tipo": "G", "quantita": 3}, headers=ente,
                        timeout=30).json()["numeri"]
    r = httpx.post(f"{url}/etichette/assegnazioni", json={"cait_id": "CAIT-MN-01", "numeri": numeri}, headers=ente,
                   timeout=30)
    assert r.status_code == 200, r.text
    engine = create_engine(f"sqlite:///{srv.db}")
    try:
        yield {"url": url, "casella": srv.casella, "numeri": numeri, "db": engine, "log": srv.log}
    finally:
        engine.dispose()


def _uno(db, sql: str, **params):
    with db.connect() as c:
        return c.execute(text(sql), params).first()


def _tutti(db, sql: str, **params) -> list:
    with db.connect() as c:
        return list(c.execute(text(sql), params))


def _axe(page) -> None:
    """No WCAG 2.1 A/AA violation on the page (axe-core, vendored)."""
    violazioni = violazioni_axe(page)
    assert violazioni == [], f"{page.url}: {json.dumps(violazioni, ensure_ascii=False, indent=1)}"


def _shot(page, nome: str) -> None:
    shot(page, nome)


def _entra(page, url: str, username: str, password: str = "curit-demo") -> None:
    page.goto(url + "/console/accesso")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_load_state()


def _pdf_testo(download, tmp_path: Path, nome: str) -> str:
    pdf = tmp_path / nome
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_giornata_del_cait(ambiente: dict, browser, tmp_path: Path) -> None:
    url, db, numeri = ambiente["url"], ambiente["db"], ambiente["numeri"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="it-IT")
    context.set_default_timeout(90_000)
    page = context.new_page()
    esterne: list[str] = []
    page.on("request", lambda r: esterne.append(r.url) if not r.url.startswith(url) else None)
    _entra(page, url, "cait.mantova")
    page.get_by_role("navigation").get_by_role("link", name="Servizi CAIT", exact=True).click()
    page.locator("#servizi h3").first.wait_for()  # all_inner_texts does not wait for the new page
    servizi = page.locator("#servizi h3").all_inner_texts()
    assert [s.split(". ", 1)[1] for s in servizi] == [
        "Manutentori associati", "Modifica dei dati dei manutentori", "Strumenti", "Operatori",
        "Movimenti di Portafoglio", "Funzioni di Portafoglio", "Scollegamento manutentori"]
    _axe(page)
    _shot(page, "cait-servizi")

    # -- counter: top-up, then a sale paid from the Portafoglio, refused first without etichette
    page.get_by_role("navigation").get_by_role("link", name="Sportello", exact=True).click()
    page.locator("#ricarica_manutentore_id").select_option(label="Rossi Termoidraulica S.n.c. (P.IVA 01876540202)")
    page.get_by_label("Importo in euro").fill("50,00")
    page.locator("#ricarica_operatore").select_option(label="Ferrari Giulia")
    page.get_by_role("button", name="Registra la ricarica").click()
    expect(page.locator("#esito")).to_contain_text("Ricarica registrata", use_inner_text=True)
    page.goto(url + "/console/cait/sportello")
    page.locator("#manutentore_id").select_option(label="Rossi Termoidraulica S.n.c. (P.IVA 01876540202)")
    page.locator("#pagamento").select_option("portafoglio")
    page.locator("#operatore").select_option(label="Ferrari Giulia")
    page.get_by_role("button", name="Vendi e stampa la ricevuta").click()
    expect(page.locator("#errori-modulo")).to_contain_text("almeno un'etichetta", use_inner_text=True)
    assert page.locator("#manutentore_id").input_value() != ""  # what was chosen is kept
    assert page.locator("#pagamento").input_value() == "portafoglio"
    _axe(page)
    page.locator("label", has_text=numeri[0]).click()  # Bootstrap Italia draws the box on the label
    page.locator("label", has_text=numeri[1]).click()
    assert page.get_by_label(re.compile(numeri[0])).is_checked()
    _shot(page, "cait-sportello")
    page.get_by_role("button", name="Vendi e stampa la ricevuta").click()
    page.wait_for_url("**/console/cait/ricevute**")
    expect(page.locator("#esito")).to_contain_text("ricevuta n. CAIT-MN-01/RIC/", use_inner_text=True)
    righe = page.locator("#elenco-ricevute tbody tr")
    expect(righe).to_have_count(2, timeout=60_000)
    expect(righe.first).to_contain_text("Rossi Termoidraulica S.n.c.", use_inner_text=True)
    _axe(page)
    _shot(page, "cait-ricevute")
    with page.expect_download() as dl:
        righe.first.get_by_role("link", name=re.compile("Ricevuta PDF")).click()
    testo = _pdf_testo(dl.value, tmp_path, "ricevuta.pdf")
    assert numeri[0] in testo and "Rossi Termoidraulica" in testo
    vendita = _uno(db, "SELECT numero, pagamento, utente, totale FROM cait_ricevute WHERE causale='etichette'")
    assert vendita.pagamento == "portafoglio" and vendita.utente == "cait.mantova"
    assert {r.stato for r in _tutti(db, "SELECT stato FROM etichette WHERE numero IN (:a, :b)",
                                    a=numeri[0].replace("-", ""), b=numeri[1].replace("-", ""))} <= {"venduta"}
    assert _uno(db, "SELECT count(*) AS n FROM archivio_documenti WHERE tipo='ricevuta'").n == 2

    # -- dichiarazioni received at the counter, then the distinta
    page.get_by_role("navigation").get_by_role("link", name="Sportello", exact=True).click()
    page.goto(url + "/console/cait/dichiarazioni")
    page.locator("#manutentore_id").select_option(label="Rossi Termoidraulica S.n.c. (P.IVA 01876540202)")
    page.get_by_label("Codice impianto").fill("020066CT9999999")
    page.locator("#tipo").select_option("F")
    page.get_by_role("button", name="Registra", exact=True).click()
    expect(page.locator("#codice_impianto-errore")).to_have_count(1, timeout=60_000)
    assert page.get_by_label("Codice impianto").input_value() == "020066CT9999999"
    page.get_by_label("Codice impianto").fill("020066CT0000002")
    page.get_by_role("button", name="Registra", exact=True).click()
    expect(page.locator("#esito")).to_contain_text("Allegato F dell'impianto 020066CT0000002 registrato", use_inner_text=True)
    expect(page.locator("#aperte")).to_contain_text("020066CT0000002", use_inner_text=True)
    _axe(page)
    _shot(page, "cait-dichiarazioni")
    page.locator("#distinta_manutentore_id").select_option(label="Rossi Termoidraulica S.n.c. (P.IVA 01876540202)")
    page.locator("#modulo-distinta #operatore").select_option(label="Ferrari Giulia")
    page.get_by_role("button", name="Chiudi e stampa la distinta").click()
    page.wait_for_url("**/console/documento/**")
    assert "Scheda del documento" in page.content()
    distinta = _uno(db, "SELECT numero, utente FROM cait_distinte")
    assert distinta.utente == "cait.mantova"
    assert _uno(db, "SELECT stato FROM cait_dichiarazioni WHERE codice_impianto='020066CT0000002'").stato == "chiusa"
    assert _uno(db, "SELECT count(*) AS n FROM archivio_documenti WHERE tipo='distinta-ricevuta'").n == 1

    # -- lettera di trasmissione to the Ente, monthly rendiconto (a POST; months that are over)
    page.goto(url + "/console/cait/distinte")
    assert distinta.numero in page.locator("#elenco-distinte").inner_text()
    _axe(page)
    page.get_by_role("button", name=re.compile("Lettera a Provincia di Mantova")).click()
    page.wait_for_url("**/console/documento/**")
    assert _uno(db, "SELECT ente FROM archivio_documenti WHERE tipo='lettera-trasmissione'").ente == "provincia-mantova"
    page.goto(url + "/console/cait/rendiconti")
    _axe(page)
    mesi = page.locator("#mese option").all_inner_texts()
    oggi = date.today()
    assert len(mesi) == 12 and str(oggi.year if oggi.month > 1 else oggi.year - 1) in mesi[0]
    page.get_by_role("button", name="Emetti il rendiconto").click()
    page.wait_for_url("**/console/documento/**")
    assert _uno(db, "SELECT count(*) AS n FROM archivio_documenti WHERE tipo='rendiconto-cait'").n == 1

    # -- strumenti, operatori
    page.goto(url + "/console/cait/strumenti")
    page.get_by_role("textbox", name="Marca").fill("Seitron")
    page.get_by_role("textbox", name="Modello").fill("Novo")
    page.get_by_role("button", name="Aggiungi lo strumento").click()
    expect(page.locator("#matricola-errore")).to_contain_text("Matricola: campo obbligatorio", use_inner_text=True)
    assert page.get_by_role("textbox", name="Marca").input_value() == "Seitron"
    page.get_by_role("textbox", name="Matricola").fill("N-77")
    page.get_by_role("button", name="Aggiungi lo strumento").click()
    expect(page.locator("#elenco-strumenti")).to_contain_text("N-77", use_inner_text=True)
    _axe(page)
    _shot(page, "cait-strumenti")
    assert _uno(db, "SELECT cait_id FROM strumenti WHERE matricola='N-77'").cait_id == "CAIT-MN-01"

    page.goto(url + "/console/cait/operatori")
    page.get_by_label("Cognome e nome").fill("Neri Paolo")
    page.get_by_label("Nome utente").fill("op.neri")
    page.get_by_label("Password iniziale").fill("neri-password-1")
    page.get_by_role("button", name="Inserisci l'operatore").click()
    expect(page.locator("#elenco-operatori")).to_contain_text("Neri Paolo", use_inner_text=True)
    altro = browser.new_context(locale="it-IT")
    neri = altro.new_page()
    _entra(neri, url, "op.neri", "neri-password-1")
    neri.goto(url + "/console/cait/strumenti")
    assert "N-77" in neri.content()
    page.get_by_role("button", name="Rendi non attivo Neri Paolo").click()
    expect(page.locator("#esito")).to_contain_text("non attivo", use_inner_text=True)
    _axe(page)
    _shot(page, "cait-operatori")
    neri.goto(url + "/console/cait/strumenti")
    assert neri.url.endswith("/console/accesso")  # its session ended at once
    _entra(neri, url, "op.neri", "neri-password-1")
    expect(neri.locator("#errore-accesso")).to_contain_text("non corretti", use_inner_text=True)
    altro.close()
    assert _uno(db, "SELECT attivo FROM operatori_cait WHERE username='op.neri'").attivo in (0, False)

    # -- Portafoglio: movements, IBAN on the firm's card
    page.goto(url + "/console/cait/portafoglio")
    movimenti = page.locator("#movimenti").inner_text()
    assert "Ricarica" in movimenti and "Acquisto etichette" in movimenti and "50,00 €" in movimenti
    _axe(page)
    _shot(page, "cait-portafoglio")
    page.goto(url + "/console/cait/manutentori")
    _axe(page)
    page.get_by_role("link", name="Scheda di Rossi Termoidraulica S.n.c.").click()
    page.locator("#iban").fill("IT60X0542811101000000123457")
    page.get_by_label("Intestatario del conto").fill("Rossi Termoidraulica S.n.c.")
    page.get_by_role("button", name="Registra l'IBAN").click()
    expect(page.locator("#iban-errore")).to_contain_text("IBAN non valido", use_inner_text=True)
    assert page.locator("#iban").input_value() == "IT60X0542811101000000123457"
    _axe(page)
    page.locator("#iban").fill("IT60 X054 2811 1010 0000 0123 456")
    page.get_by_role("button", name="Registra l'IBAN").click()
    assert page.locator("#iban-registrato").inner_text() == "IT60X0542811101000000123456"

    # -- scollegamento: an e-mail in use is refused with the seed's message, then a good one
    page.get_by_label("Indirizzo e-mail del manutentore").fill("cait.brescia@example.it")
    page.get_by_role("button", name="Scollega manutentore").click()
    expect(page.locator("#email-errore")).to_contain_text("già in uso", use_inner_text=True)
    assert page.get_by_label("Indirizzo e-mail del manutentore").input_value() == "cait.brescia@example.it"
    _shot(page, "cait-manutentore")
    page.get_by_label("Indirizzo e-mail del manutentore").fill("ufficio@rossitermo.it")
    page.get_by_role("button", name="Scollega manutentore").click()
    assert page.locator("#username-comunicato").inner_text() == "MA023456"
    expect(page.locator("#comunicazione")).to_contain_text("prima del 18/09/2015", use_inner_text=True)
    expect(page.locator("#nessun-manutentore")).to_have_count(1, timeout=60_000)
    _axe(page)
    _shot(page, "cait-scollegamento")
    assert _uno(db, "SELECT cait_id, email FROM manutentori WHERE username='MA023456'").cait_id is None

    azioni = {r.azione for r in _tutti(db, "SELECT azione FROM audit WHERE utente='cait.mantova'")}
    assert {"cait.ricarica", "cait.vendita", "cait.dichiarazione", "cait.distinta", "documento.emetti",
            "cait.strumento.aggiungi", "cait.operatore.aggiungi", "cait.operatore.disattiva", "cait.iban",
            "cait.scollega"} <= azioni
    assert esterne == []
    context.close()


def test_giornata_del_manutentore(ambiente: dict, browser, tmp_path: Path) -> None:
    url, db, numeri, casella = ambiente["url"], ambiente["db"], ambiente["numeri"], ambiente["casella"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="it-IT")
    context.set_default_timeout(90_000)
    page = context.new_page()
    page.goto(url + "/console/accesso")
    page.get_by_role("link", name="Recupera la password").click()
    _axe(page)
    page.get_by_label("Nome utente o indirizzo e-mail").fill("MA023456")
    _shot(page, "manutentore-recupera")
    page.get_by_role("button", name="Invia la password provvisoria").click()
    expect(page.locator("#esito")).to_contain_text("password provvisoria", use_inner_text=True)
    for _ in range(50):
        if casella.messaggi:
            break
        time.sleep(0.1)
    [(destinatari, messaggio)] = casella.messaggi
    assert destinatari == ["ufficio@rossitermo.it"] and messaggio["Subject"] == "CURIT - password provvisoria"
    provvisoria = re.search(r"Password provvisoria: (\S+)", messaggio.get_content()).group(1)

    _entra(page, url, "MA023456", provvisoria)
    page.wait_for_url("**/console/password")
    expect(page.locator("#avviso-provvisoria")).to_contain_text("password provvisoria", use_inner_text=True)
    _axe(page)
    page.get_by_label("Password attuale (provvisoria)").fill(provvisoria)
    page.locator("#nuova").fill("Rossi-definitiva-1")
    page.get_by_label("Conferma la nuova password").fill("Rossi-definitiva-2")
    page.get_by_role("button", name="Salva la nuova password").click()
    expect(page.locator("#conferma-errore")).to_contain_text("non coincide", use_inner_text=True)
    page.get_by_label("Password attuale (provvisoria)").fill(provvisoria)
    page.locator("#nuova").fill("Rossi-definitiva-1")
    page.get_by_label("Conferma la nuova password").fill("Rossi-definitiva-1")
    page.get_by_role("button", name="Salva la nuova password").click()
    page.wait_for_url(url + "/**")
    assert _uno(db, "SELECT count(*) AS n FROM password_provvisorie").n == 0

    page.get_by_role("navigation").get_by_role("link", name="Area manutentore", exact=True).click()
    expect(page.locator("#impianti")).to_contain_text("020066IN0000001", use_inner_text=True)
    assert numeri[0] in page.locator("#etichette").inner_text()
    saldo = page.locator("#saldo").inner_text()
    assert saldo.endswith("€") and saldo != "50,00 €"
    expect(page.locator("#movimenti")).to_contain_text("Ricarica", use_inner_text=True)
    _axe(page)
    _shot(page, "manutentore-area")

    page.get_by_role("link", name="Compila Allegato G dell'impianto 020066IN0000001").click()
    expect(page.locator("h1")).to_contain_text("Allegato G", use_inner_text=True)
    assert page.get_by_label("Responsabile dell'impianto").input_value() == "Verdi Anna"
    page.get_by_role("textbox", name="Volumetria riscaldata (m³)").fill("tanti")
    page.locator("#volumetria_m3").dispatch_event("change")
    page.wait_for_selector("#volumetria_m3-errore")
    expect(page.locator("#volumetria_m3-errore")).to_contain_text("Deve essere un numero", use_inner_text=True)
    assert page.locator("#volumetria_m3").get_attribute("aria-invalid") == "true"
    for campo, valore in (("volumetria_m3", "240"), ("consumi.0.valore", "900"), ("consumi.1.valore", "850"),
                          ("costruttore", "Vaillant"), ("misura.temp_fumi", "58"), ("misura.temp_aria", "18"),
                          ("misura.o2", "4.1"), ("misura.co2", "9.3"), ("misura.co_ppm", "40"),
                          ("misura.rendimento", "97.5"), ("tecnico.nome_cognome", "Mario Rossi")):
        page.locator(f'[id="{campo}"]').fill(valore)
    page.get_by_label("Unità della prima stagione").select_option("m3")
    page.get_by_label("Unità della seconda stagione").select_option("m3")
    page.get_by_label("L'impianto può funzionare").select_option("SI")
    page.get_by_label("Strumento di misura").select_option(label="Testo 330-2 LL matricola 60012345")
    page.get_by_label("Etichetta di validazione").select_option(numeri[0])
    page.get_by_label("Etichetta di validazione").dispatch_event("change")
    page.wait_for_function("document.querySelectorAll('.errore-vivo').length === 0")
    _axe(page)
    _shot(page, "manutentore-compila")
    page.get_by_role("button", name="Emetti l'Allegato G firmato").click()
    page.wait_for_url("**/console/documento/**")
    assert "Scheda del documento" in page.content()
    with page.expect_download() as dl:
        page.locator("#scarica-pdf").click()
    testo = _pdf_testo(dl.value, tmp_path, "g.pdf")
    assert "020066IN0000001" in testo and "60012345" in testo
    assert testo.count("RAPPORTO DI CONTROLLO") + testo.upper().count("RAPPORTO DI CONTROLLO") >= 3
    doc = _uno(db, "SELECT manutentore, etichetta, codice_impianto FROM archivio_documenti WHERE tipo='allegato-g' "
                   "AND codice_impianto='020066IN0000001'")
    assert doc.manutentore == "Rossi Termoidraulica S.n.c." and doc.etichetta == numeri[0]
    assert _uno(db, "SELECT stato FROM etichette WHERE codice_impianto='020066IN0000001'").stato == "vincolata"
    page.goto(url + "/console/manutentore")
    expect(page.locator("#documenti")).to_contain_text("020066IN0000001", use_inner_text=True)
    expect(page.locator("#etichette")).to_contain_text("vincolata", use_inner_text=True)
    context.close()
