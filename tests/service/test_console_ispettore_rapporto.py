"""The ispettore completes and issues the rapporto di prova (Allegato A) of an impianto of the catasto
from its console page and over the API: pre-filled from the catasto, the three trials, Italian errors
naming the fields (input kept), signed by its Ente and archived; then the lettera di esito in one step."""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from archive.catasto import ImpiantoCatasto

pytestmark = pytest.mark.db_backend("postgresql")  # console/API flow: see docs/parts/tests.md

PROVE = {"allegato": "A", "combustibile": "gas naturale", "fluido": "acqua", "data_installazione": "2010-05-01",
         "classificazione": "Standard", "pn_utile_kw": "24", "tipo_caldaia": "C", "foro_presente": "SI",
         "libretto_presente": "SI", "manut_corrente": "Effettuata", "manut_precedenti": "Effettuata", "cella": "O2",
         **{f"t_mandata_{n}": "70" for n in (1, 2, 3)}, **{f"t_aria_{n}": "20" for n in (1, 2, 3)},
         **{f"t_fumi_{n}": "140" for n in (1, 2, 3)}, **{f"co_misurato_{n}": "50" for n in (1, 2, 3)},
         **{f"o2_co2_{n}": "5,5" for n in (1, 2, 3)}}


def _impianto(db_url: str, ente: str = "provincia-mantova") -> ImpiantoCatasto:
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            return next(i for i in s.scalars(select(ImpiantoCatasto).where(ImpiantoCatasto.ente_id == ente)
                                             .order_by(ImpiantoCatasto.codice_impianto))
                        if i.potenza_focolare_totale_kw is not None and i.potenza_focolare_totale_kw < 35
                        and i.responsabile_cognome_nome)
    finally:
        engine.dispose()


def _testo(pdf: bytes, tmp_path, nome: str) -> tuple[str, str]:
    f = tmp_path / f"{nome}.pdf"
    f.write_bytes(pdf)
    testo = subprocess.run(["pdftotext", "-layout", str(f), "-"], capture_output=True, text=True, check=True).stdout
    firma = subprocess.run(["pdfsig", str(f)], capture_output=True, text=True).stdout
    return testo, firma


def test_api_rapporto_e_lettera(client, login, db_url, tmp_path) -> None:
    imp = _impianto(db_url)
    isp = login("ispettore.mantova")
    m = client.get(f"/ispettore/impianti/{imp.codice_impianto}/rapporto", headers=isp)
    assert m.status_code == 200, m.text
    valori = {**m.json()["valori"], **PROVE, "numero_ispezione": "MN-2026/0001",
              "data_realizzazione_impianto": "2010-05-01", "interno_uso": "cucina"}
    r = client.post(f"/ispettore/impianti/{imp.codice_impianto}/rapporto/verifica", headers=isp, json=valori)
    assert r.status_code == 200 and r.json() == {"errori": {}}, r.text
    r = client.post(f"/ispettore/impianti/{imp.codice_impianto}/rapporto", headers=isp, json=valori)
    assert r.status_code == 201, r.text
    documento = r.headers["X-Curit-Documento"]
    testo, firma = _testo(r.content, tmp_path, "rapporto")
    assert testo.count("Allegato A - Rapporto di prova") == 3 and imp.codice_impianto in testo and "MN-2026/0001" in testo
    assert "Signature #1" in firma and "Signature Validation: Signature is Valid" in firma, firma
    record = client.get(f"/archivio/documenti/{documento}", headers=isp).json()
    assert record["tipo"] == "allegato-a" and record["ente"] == "provincia-mantova" and record["firma_valida"]
    # another Ente's inspector does not see the impianto
    assert client.get(f"/ispettore/impianti/{imp.codice_impianto}/rapporto",
                      headers=login("manutentore.rossi")).status_code == 403
    r = client.post(f"/ispettore/rapporti/{documento}/lettera-esito", headers=isp, json={"protocollo": ""})
    assert r.status_code == 422 and "protocollo" in r.text
    r = client.post(f"/ispettore/rapporti/{documento}/lettera-esito", headers=isp,
                    json={"protocollo": "MN-ESI-2026/1", "funzionario": "Dott. Carla Neri"})
    assert r.status_code == 201, r.text
    [lettera] = r.json()["documenti"]
    assert lettera["tipo"] == "esito-positivo"
    pdf = client.get(f"/archivio/documenti/{lettera['id']}/pdf", headers=login("ente.mantova"))
    assert pdf.status_code == 200, pdf.text
    testo, firma = _testo(pdf.content, tmp_path, "lettera")
    assert "MN-ESI-2026/1" in testo and imp.codice_impianto in testo, testo
    assert "positiv" in testo.lower() or "9.a" in testo, testo
    assert "Signature Validation: Signature is Valid" in firma, firma


def test_console_rapporto_e_lettera(console, client, db_url, tmp_path, login) -> None:
    imp = _impianto(db_url)
    console.entra("ispettore.mantova")
    pagina = client.get(f"/console/ispettore/prova?codice={imp.codice_impianto}")
    csrf = console.csrf(pagina.text)
    r = client.post("/console/ispettore/prova", data={**PROVE, "codice": imp.codice_impianto, "csrf": csrf},
                    headers=console.ORIGIN)
    assert r.status_code == 200 and "9.a · positivo" in r.text
    assert f'action="/console/ispettore/rapporto/{imp.codice_impianto}/compila"' in r.text
    r = client.post(f"/console/ispettore/rapporto/{imp.codice_impianto}/compila",
                    data={**PROVE, "csrf": csrf}, headers=console.ORIGIN)
    assert r.status_code == 200, r.text
    assert f'value="{imp.responsabile_cognome_nome}"' in r.text and 'name="t_fumi_1" value="140"' in r.text
    # missing fields: Italian errors naming them, typed values kept, nothing archived
    prefill = client.get(f"/ispettore/impianti/{imp.codice_impianto}/rapporto", headers=login("ispettore.mantova"))
    dati = {**prefill.json()["valori"], **PROVE, "csrf": csrf, "numero_ispezione": "MN-2026/0002", "data_realizzazione_impianto": "",
            "biennio_da": "2025", "biennio_a": "2027", "volumetria_m3": "tanti", "locale": "Esterno"}
    r = client.post(f"/console/ispettore/rapporto/{imp.codice_impianto}", data=dati, headers=console.ORIGIN)
    assert r.status_code == 422, r.text
    assert re.search(r'id="data_realizzazione_impianto"[^>]*aria-invalid="true"', r.text)
    assert "biennio" in r.text.lower() and "Deve essere un numero" in r.text and 'value="MN-2026/0002"' in r.text
    assert 'value="tanti"' in r.text and "1.c Data di realizzazione" not in r.text
    assert "3.c Data di realizzazione dell&#39;impianto: " in r.text or "3.c Data di realizzazione dell'impianto: " in r.text
    dati.update({"data_realizzazione_impianto": "2010-05-01", "biennio_a": "2026", "volumetria_m3": "240"})
    r = client.post(f"/console/ispettore/rapporto/{imp.codice_impianto}", data=dati, headers=console.ORIGIN,
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    pagina = client.get(r.headers["location"])
    assert pagina.status_code == 200 and "Rapporto di prova emesso" in pagina.text
    documento = r.headers["location"].rsplit("/", 1)[1]
    pdf = client.get(f"/console/documento/{documento}/pdf")
    assert pdf.status_code == 200 and pdf.headers["X-Curit-Firma"] == "valida"
    testo, firma = _testo(pdf.content, tmp_path, "rapporto-console")
    assert testo.count("Allegato A - Rapporto di prova") == 3 and "MN-2026/0002" in testo
    assert "Signature is Valid" in firma
    # the letter in one step; a missing protocol names the field
    r = client.post(f"/console/ispettore/rapporti/{documento}/lettera", headers=console.ORIGIN,
                    data={"csrf": console.csrf(pagina.text), "protocollo": "", "funzionario": "Dott. Carla Neri",
                          "data_lettera": "2026-12-04"})
    assert r.status_code == 422 and "protocollo" in r.text and 'value="Dott. Carla Neri"' in r.text
    r = client.post(f"/console/ispettore/rapporti/{documento}/lettera", headers=console.ORIGIN,
                    data={"csrf": console.csrf(pagina.text), "protocollo": "MN-ESI-2026/2", "funzionario": "Dott. Carla Neri",
                          "data_lettera": "2026-12-04"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.text
    testo, firma = _testo(r.content, tmp_path, "lettera-console")
    assert "MN-ESI-2026/2" in testo and imp.codice_impianto in testo and "Signature is Valid" in firma
    lettera_id = r.headers["X-Curit-Documento"].split(",")[0]
    record = client.get(f"/archivio/documenti/{lettera_id}", headers=login("ente.mantova")).json()
    assert record["tipo"] == "lettera-esito" and record["firma_valida"] and record["ente"] == "provincia-mantova"
