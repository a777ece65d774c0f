"""The Ente's mass printing, distributors' file and etichette in headless Chromium (Playwright,
Debian ``chromium``), against the ``curit-docs serve --demo`` of tests/e2e/conftest.py (started like
a newcomer would, on an empty ``var/``; no other module of its group touches etichette): a plates test sheet with the start position and calibration typed in, a plates
job from an uploaded file (refused lines listed, live progress, the file to print), the
distributors' file with its line-by-line report and the plates of the new impianti, an etichette
lot generated, printed, assigned to a CAIT and one annulled with the reason, avvisi from an
inspection plan. The database is read back afterwards. With ``CURIT_SCREENSHOTS=1`` the pictures
refresh ``docs/img/console-ente-stampe-*.png``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ServerE2E, shot

BUONA = ("Rossi Mario;VIA;Giuseppe Verdi;41;46019;Viadana;30020066;0375 781204;METANO;00881234567890;1250,50;MC;E;"
         "240;RSSMRA75C12L826I;")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def _shot(page, nome: str) -> None:
    shot(page, f"ente-stampe{nome}")


def _pagine(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(r for r in info.splitlines() if r.startswith("Pages:")).split()[1])


def _attendi_lavoro(page) -> None:
    page.wait_for_url("**/console/lavori/*")
    page.wait_for_function("document.getElementById('stato-lavoro').dataset.stato === 'completato'", timeout=120_000)
    assert page.locator("#barra").get_attribute("aria-valuenow") == "100"


def test_ente_stampe_distributori_etichette(e2e: ServerE2E, entra, tmp_path: Path) -> None:
    url, db = e2e.url, e2e.db
    page = entra("ente.mantova", viewport={"width": 1100, "height": 900}, accept_downloads=True)

    # plates: a test sheet with the start position and the calibration typed in
    page.get_by_role("navigation", name="Navigazione principale").get_by_role("link", name="Stampe massive").click()
    page.get_by_role("link", name="Targhe: foglio, calibrazione, file di codici").click()
    page.wait_for_url("**/console/ente/stampe/targhe")  # all_inner_texts does not wait for the new page
    codici = [c.strip() for c in page.locator("tbody label").all_inner_texts()]
    assert len(codici) >= 2
    _shot(page, "-targhe")
    page.get_by_label("Posizione iniziale sul primo foglio").fill("12")
    page.locator("#foglio-prova").click()
    expect(page.locator("#errori-modulo")).to_contain_text("Posizione iniziale: indicare un numero intero tra 1 e 10.", use_inner_text=True)
    assert page.get_by_label("Posizione iniziale sul primo foglio").get_attribute("aria-invalid") == "true"
    page.get_by_label("Posizione iniziale sul primo foglio").fill("3")
    page.get_by_label("Spostamento orizzontale (mm)").fill("1,5")
    with page.expect_download() as dl:
        page.locator("#foglio-prova").click()
    prova = tmp_path / "prova.pdf"
    dl.value.save_as(prova)
    assert dl.value.suggested_filename == "foglio-di-prova.pdf" and _pagine(prova) == 1

    # plates from an uploaded file: the refused lines first, then the live job
    elenco = tmp_path / "codici.csv"
    elenco.write_text("codice\n" + "\n".join(codici) + "\nNONVALIDO\n")
    page.locator("label[for=sorgente-file]").click()
    assert page.locator("#sorgente-file").is_checked()
    page.get_by_label("File dei codici impianto").set_input_files(str(elenco))
    page.locator("#avvia-lavoro").click()
    expect(page.locator("#righe-scartate")).to_contain_text("NONVALIDO", use_inner_text=True)
    _shot(page, "-avviato")
    page.locator("#segui-lavoro").click()
    _attendi_lavoro(page)
    expect(page.locator("#file-lavoro")).to_contain_text("File da stampare", use_inner_text=True)
    expect(page.locator("#quale-stampare")).to_contain_text("file da stampare", use_inner_text=True)
    _shot(page, "-lavoro")
    with page.expect_download() as dl:
        page.get_by_role("link", name="File da stampare", exact=True).click()
    assert dl.value.path().read_bytes().startswith(b"%PDF-")

    # the distributors' yearly file: one new impianto, one line refused with its field
    utenze = tmp_path / "utenze-2026.csv"
    utenze.write_text(BUONA + "\n" + BUONA.replace(";46019;", ";4601;").replace("00881234567890", "00881234567891") + "\n")
    page.goto(url + "/console/lavori")
    page.get_by_role("link", name="File dei distributori").click()
    page.get_by_label("File del distributore").set_input_files(str(utenze))
    page.locator("#importa").click()
    expect(page.locator("#esito")).to_contain_text("Nuovi impianti da ispezionare: 1", use_inner_text=True)
    righe = page.locator("#errori-righe tbody tr")
    expect(righe).to_have_count(1, timeout=60_000)
    assert righe.first.inner_text().startswith("2")
    _shot(page, "-distributori")
    page.locator("#lavoro-targhe").click()
    _attendi_lavoro(page)

    # etichette: generate, print, assign two to the CAIT, annul one with the reason
    page.get_by_role("navigation", name="Navigazione principale").get_by_role("link", name="Etichette").click()
    page.get_by_label("Quantità").fill("4")
    page.get_by_label("Stagione termica").fill("2026/2027")
    page.locator("#genera-lotto").click()
    expect(page.locator("#esito")).to_contain_text("etichette G", use_inner_text=True)
    esito = page.locator("#esito").inner_text()
    assert "4 etichette G della stagione 2026/2027" in esito
    with page.expect_download() as dl:
        page.get_by_role("link", name="Fogli da stampare (lotto 1)").click()
    assert dl.value.path().read_bytes().startswith(b"%PDF-")
    page.get_by_label("CAIT convenzionato").select_option(label="CAIT Mantova - Associazione Artigiani")
    page.get_by_label("Dal numero").fill("MN000-26G1-000001-4")
    page.locator("#al").fill("MN000-26G1-000002-2")
    page.locator("#assegna").click()
    expect(page.locator("#esito")).to_contain_text("Assegnate 2 etichette", use_inner_text=True)
    page.locator("#numero").fill("MN000-26G1-000004-Z")
    page.get_by_label("Motivo").fill("Foglio inceppato")
    page.locator("#annulla").click()
    expect(page.locator("#esito")).to_contain_text("MN000-26G1-000004-Z annullata: Foglio inceppato", use_inner_text=True)
    expect(page.locator("#giacenze")).to_contain_text("CAIT Mantova", use_inner_text=True)
    _shot(page, "-etichette")

    # avvisi di ispezione from an inspection plan
    from service.registry import get_document_type

    avviso = json.loads(json.dumps(get_document_type("avviso-ispezione").example(), default=str))
    piano = tmp_path / "piano.json"
    piano.write_text(json.dumps([avviso]))
    page.goto(url + "/console/lavori")
    page.get_by_role("link", name="Avvisi di ispezione").click()
    page.get_by_label("File (il piano delle ispezioni)").set_input_files(str(piano))
    _shot(page, "-avvisi")
    page.locator("#avvia-lavoro").click()
    _attendi_lavoro(page)

    with sqlite3.connect(db) as c:
        nuovi = c.execute("SELECT comune, stato FROM impianti WHERE chiave_esterna = 'PDR:00881234567890'").fetchall()
        stati = dict(c.execute("SELECT stato, count(*) FROM etichette GROUP BY stato").fetchall())
    assert nuovi == [("Viadana", "da ispezionare")]
    assert stati == {"assegnata": 2, "generata": 1, "annullata": 1}
