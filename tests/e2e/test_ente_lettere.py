"""The Ente's lettere di esito from the rapporti in its archive and a form for a list of records, in
headless Chromium (Playwright, Debian ``chromium``) against the ``curit-docs serve --demo`` of
tests/e2e/conftest.py (a group of its own: it archives a rapporto and starts jobs). The inspector
issues a rapporto di prova A over the API; the Ente picks it in the archive, launches the letters,
follows the job to its file to print; then uploads a CSV of Allegati H with one bad line (refused,
naming line and field) through the Italian file control. The database, the archive and the printed
PDFs are read back. With ``CURIT_SCREENSHOTS=1`` the pictures refresh ``docs/img/``.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from service.registry import get_document_type
from tests.e2e.conftest import ServerE2E, shot, violazioni_axe
from tests.service.test_console_ispettore_rapporto import PROVE

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-lettere")]


def _impianto(db: Path) -> str:
    with sqlite3.connect(db) as c:
        return c.execute("select codice_impianto from impianti where ente_id = 'provincia-mantova' and "
                         "potenza_focolare_totale_kw < 35 and responsabile_cognome_nome is not null "
                         "order by codice_impianto limit 1").fetchone()[0]


def _attendi_lavoro(page) -> str:
    page.wait_for_url("**/console/lavori/*")
    page.wait_for_function("document.getElementById('stato-lavoro').dataset.stato === 'completato'", timeout=180_000)
    assert page.locator("#barra").get_attribute("aria-valuenow") == "100"
    return page.url.rsplit("/", 1)[1]


def _testo(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _piatto(d: dict, prefisso: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_piatto(v, f"{prefisso}{k}."))
        else:
            out[f"{prefisso}{k}"] = json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
    return out


def test_lettere_dai_rapporti_in_archivio_e_moduli_da_elenco(e2e: ServerE2E, entra, tmp_path: Path) -> None:
    url, db = e2e.url, e2e.db
    codice = _impianto(db)
    isp = e2e.token("ispettore.mantova")
    valori = {**httpx.get(f"{url}/ispettore/impianti/{codice}/rapporto", headers=isp, timeout=60).json()["valori"],
              **PROVE, "numero_ispezione": "MN-2026/0091", "data_realizzazione_impianto": "2010-05-01",
              "interno_uso": "cucina"}
    r = httpx.post(f"{url}/ispettore/impianti/{codice}/rapporto", headers=isp, json=valori, timeout=120)
    assert r.status_code == 201, r.text
    rapporto = r.headers["X-Curit-Documento"]

    page = entra("ente.mantova", viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page.get_by_role("navigation", name="Navigazione principale").get_by_role("link", name="Stampe massive").click()
    page.get_by_role("link", name="Lettere di esito dai rapporti in archivio").click()
    riga = page.locator("#rapporti tbody tr", has_text=codice)
    expect(riga).to_have_count(1, timeout=60_000)
    assert f"/console/documento/{rapporto}" in riga.locator("a").get_attribute("href")
    page.get_by_label("Protocollo della prima lettera").fill("MN-2026/0150")
    page.get_by_label("Funzionario che firma").fill("Dott.ssa Laura Castelli")
    page.get_by_label("Dividi il file da stampare per destinatario").select_option("cap")
    shot(page, "ente-lettere-archivio")
    assert violazioni_axe(page) == []
    page.locator("#avvia-esiti-archivio").click()
    lavoro = _attendi_lavoro(page)
    assert "File da stampare, parte 46019" in page.locator("#file-lavoro").inner_text()  # split by CAP
    expect(page.locator("#scarti")).to_have_count(0, timeout=60_000)
    primo = page.locator("#file-lavoro a").first
    with page.expect_download() as dl:
        primo.click()
    pdf = tmp_path / "lettere.pdf"
    dl.value.save_as(pdf)
    testo = _testo(pdf)
    assert "MN-2026/0150" in testo and codice in testo and "Dott.ssa Laura Castelli" in testo
    with sqlite3.connect(db) as c:
        assert c.execute("select tipo, stato, record_scartati from lavori where id = ?", (lavoro,)).fetchone() == (
            "esiti", "completato", 0)
        assert c.execute("select count(*) from audit where azione = 'lavoro.crea' and oggetto = ?",
                         (f"ente:provincia-mantova|{lavoro}",)).fetchone()[0] == 1
        assert c.execute("select tipo, ente from archivio_documenti where id = ?", (rapporto,)).fetchone() == (
            "allegato-a", "provincia-mantova")

    # any form for a list of records: a CSV of Allegati H (Comune di Brescia) with a bad line
    esempio = get_document_type("allegato-h").example()
    righe = [_piatto(esempio), {**_piatto(esempio), "potenza_kw": "tanta"}]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(righe[0]), delimiter=";")
    w.writeheader()
    w.writerows(righe)
    elenco = tmp_path / "allegati-h.csv"
    elenco.write_text(buf.getvalue(), encoding="utf-8")
    page = entra("ente.brescia", viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page.goto(f"{url}/console/lavori")
    page.get_by_role("link", name="Moduli per un elenco di record").click()
    assert page.locator("#file-scelto").inner_text() == "Nessun file scelto"
    assert page.locator("label.pulsante-file").inner_text().strip() == "Scegli il file"
    page.get_by_label("Modello").select_option("allegato-h")
    page.get_by_label("Elenco dei record (CSV o JSON)").set_input_files(str(elenco))
    assert page.locator("#file-scelto").inner_text() == "File scelto: allegati-h.csv"
    shot(page, "ente-moduli")
    assert violazioni_axe(page) == []
    page.locator("#avvia-moduli").click()
    scartate = page.locator("#righe-scartate tbody tr")
    expect(scartate).to_have_count(1, timeout=60_000)
    assert scartate.first.locator("td").first.inner_text() == "3" and "potenza" in scartate.first.inner_text().lower()
    page.locator("#segui-lavoro").click()
    lavoro = _attendi_lavoro(page)
    with page.expect_download() as dl:
        page.locator("#file-lavoro a").first.click()
    dl.value.save_as(tmp_path / "h.pdf")
    testo = _testo(tmp_path / "h.pdf")
    assert esempio["codice_catasto"] in testo and "Allegato H" in testo
    with sqlite3.connect(db) as c:
        assert c.execute("select tipo, stato, record_totali, record_scartati from lavori where id = ?",
                         (lavoro,)).fetchone() == ("moduli:allegato-h", "completato", 1, 1)
