"""The ispettore's rapporti di prova A and B in Chromium, on the real server: the CAIT of its Ente has
registered an analyser, chosen in a select that fills marca, modello and matricola; the esito follows
the typing (A on the prova page; B per generator and overall on the rapporto page, a second sheet
added with "Aggiungi un generatore"; axe-core finds no WCAG 2.1 A/AA violation); issued signed by the Ente and archived (the database row and
the archived PDF read back with pdftotext), then the lettera di esito in one step.
Screenshots ``console-ispettore-rapporto-a.png`` and ``console-ispettore-rapporto-b.png``."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, token, violazioni_axe

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ispettore")]

PROVE = (("Temperatura fluido di mandata (°C)", "70"), ("Temperatura aria comburente (°C)", "18"),
         ("Temperatura fumi (°C)", "150"), ("CO misurato (ppm)", "30"), ("O2 / CO2 (%)", "4,2"))


def _impianto(db: Path, b: bool) -> str:
    with sqlite3.connect(db) as c:
        righe = c.execute("SELECT codice_impianto, potenza_focolare_totale_kw FROM impianti "
                          "WHERE ente_id = 'provincia-mantova' ORDER BY codice_impianto").fetchall()
    return next(codice for codice, kw in righe if kw is not None and (float(kw) >= 35) == b)


def _documento(db: Path, documento: str) -> tuple:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT tipo, ente, codice_impianto, firma_valida FROM archivio_documenti WHERE id = ?",
                         (documento,)).fetchone()


def _testo(path: str | Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def strumento(e2e) -> dict[str, str]:
    """An analyser the CAIT of Mantova registers as its own (offered to the Ente's inspectors)."""
    dati = {"marca": "Testo", "modello": "350", "matricola": "ISP-E2E-350"}
    cait = token(e2e.url, "cait.mantova")
    r = httpx.post(f"{e2e.url}/cait/strumenti", headers=cait, json=dati, timeout=30)
    assert r.status_code in (201, 409), r.text  # 409: the other test of the module registered it already
    [registrato] = [s for s in httpx.get(f"{e2e.url}/cait/strumenti", headers=cait, timeout=30).json()
                    if s["matricola"] == dati["matricola"]]
    return {**dati, "id": str(registrato["id"])}


def _scegli_strumento(page, strumento: dict[str, str]) -> None:
    page.get_by_label("Analizzatore di combustione: strumento registrato").select_option(str(strumento["id"]))
    assert page.get_by_label("Analizzatore di combustione: matricola").input_value() == strumento["matricola"]
    assert page.get_by_label("Analizzatore di combustione: marca").input_value() == "Testo"


def _emesso_e_lettera(page, e2e, tmp_path: Path, codice: str, tipo: str, protocollo: str) -> str:
    page.get_by_role("button", name="Emetti il rapporto firmato").click(no_wait_after=True)
    page.wait_for_url("**/console/ispettore/rapporti/**", timeout=180_000)  # render, sign, archive
    expect(page.locator("#esito")).to_contain_text("Rapporto di prova emesso", use_inner_text=True)
    documento = page.url.rsplit("/", 1)[1]
    assert _documento(e2e.db, documento) == (tipo, "provincia-mantova", codice, 1)
    with page.expect_download() as scaricato:
        page.locator("#scarica-rapporto").click()
    scaricato.value.save_as(tmp_path / "rapporto.pdf")
    testo = _testo(tmp_path / "rapporto.pdf")
    page.get_by_label("Protocollo della lettera").fill(protocollo)
    page.get_by_label("Funzionario che firma").fill("Dott. Carla Neri")
    with page.expect_download(timeout=180_000) as lettera:
        page.get_by_role("button", name="Emetti e scarica la lettera di esito").click()
    lettera.value.save_as(tmp_path / "lettera.pdf")
    testo_lettera = _testo(tmp_path / "lettera.pdf")
    assert protocollo in testo_lettera and codice in testo_lettera, testo_lettera
    return testo


def test_rapporto_a(e2e, entra, strumento, tmp_path: Path) -> None:
    codice = _impianto(e2e.db, b=False)
    page = entra("ispettore.mantova")
    page.goto(f"{e2e.url}/console/ispettore/prova?codice={codice}")
    page.get_by_label("Data di installazione del generatore").fill("2010-05-01")
    page.get_by_label("Classificazione (D.P.R. 660/96)").select_option("Standard")
    page.get_by_label("Potenza termica utile nominale (kW)").fill("24")
    page.get_by_label("Tipo caldaia").select_option("C")
    for riga, valore in PROVE:
        for n in (1, 2, 3):
            page.get_by_label(f"{riga}, prova {n}").fill(valore)
    page.wait_for_function("document.getElementById('esito-valore').textContent.includes('9.a')", timeout=20_000)
    page.get_by_role("button", name="Calcola l'esito").click()  # the verdict's panel then offers the rapporto
    page.get_by_role("button", name="Compila ed emetti il rapporto di prova").click()
    expect(page.locator("#impianto-scelto")).to_contain_text("Allegato A", use_inner_text=True)
    page.get_by_label("1.b Numero dell'ispezione").fill("MN-2026/E2E-A")
    page.get_by_label("3.c Data di realizzazione dell'impianto").fill("2010-05-01")
    page.get_by_label("3.g Uso del locale interno (es. cucina)").fill("cucina")
    _scegli_strumento(page, strumento)
    assert violazioni_axe(page) == []
    shot(page, "ispettore-rapporto-a")
    testo = _emesso_e_lettera(page, e2e, tmp_path, codice, "allegato-a", "MN-ESI-E2E/A")
    assert testo.count("Allegato A - Rapporto di prova") == 3 and "MN-2026/E2E-A" in testo
    assert strumento["matricola"] in testo


def test_rapporto_b(e2e, entra, strumento, tmp_path: Path) -> None:
    codice = _impianto(e2e.db, b=True)
    page = entra("ispettore.mantova")
    page.goto(f"{e2e.url}/console/ispettore/prova?codice={codice}")
    page.locator("#link-rapporto").click()
    expect(page.locator("#impianto-scelto")).to_contain_text("Allegato B", use_inner_text=True)
    page.get_by_label("1.b Numero dell'ispezione").fill("MN-2026/E2E-B")
    page.get_by_label("3.c Data di realizzazione dell'impianto").fill("1995-09-30")

    def generatore(n: int, co: str) -> None:
        page.get_by_label(f"Generatore {n} · 5.b Data di installazione").fill("2004-10-12")
        page.get_by_label(f"Generatore {n} · 5.l Potenza utile nominale (kW)").fill("160")
        page.get_by_label(f"Generatore {n} · 7.c Tiraggio (Pa), solo apparecchi di tipo B").fill("6")
        for riga, valore in PROVE:
            for i in (1, 2, 3):
                page.get_by_label(f"Generatore {n}, {riga}, prova {i}").fill(co if riga.startswith("CO") else valore)

    generatore(1, "30")
    page.wait_for_function("document.getElementById('esito-valore-g1').textContent.includes('9.a')", timeout=20_000)
    atteso = httpx.post(f"{e2e.url}/ispettore/esito", headers=token(e2e.url, "ispettore.mantova"), json={
        "allegato": "B", "pn_utile_kw": "160", "data_installazione": "2004-10-12", "classificazione": "Standard",
        "tipo_caldaia": "B", "tiraggio_pa": "6", "t_mandata": ["70"] * 3, "t_aria": ["18"] * 3,
        "t_fumi": ["150"] * 3, "co_misurato": ["30"] * 3, "o2_co2": ["4.2"] * 3}, timeout=30).json()
    assert page.locator("#v-g1-eta_min").inner_text() == atteso["eta_min"]
    expect(page.locator("#esito-complessivo")).to_contain_text("9.a", use_inner_text=True)
    page.get_by_role("button", name="Aggiungi un generatore").click()
    expect(page.locator("#generatore-2")).to_be_visible()  # the page the form's POST returns, not the old one
    assert page.get_by_label("Generatore 1, Temperatura fumi (°C), prova 2").input_value() == "150"  # kept
    generatore(2, "1500")
    page.wait_for_function("document.getElementById('esito-valore-g2').textContent.includes('9.b')", timeout=20_000)
    expect(page.locator("#v-g2-co_corretto_ppm")).to_contain_text("irregolare", use_inner_text=True)
    page.wait_for_function("document.getElementById('esito-complessivo').textContent.includes('9.b')", timeout=20_000)
    _scegli_strumento(page, strumento)
    assert violazioni_axe(page) == []
    shot(page, "ispettore-rapporto-b")
    testo = _emesso_e_lettera(page, e2e, tmp_path, codice, "allegato-b", "MN-ESI-E2E/B")
    assert testo.count("Foglio n°3 di 3") == 3 and "MN-2026/E2E-B" in testo and strumento["matricola"] in testo
