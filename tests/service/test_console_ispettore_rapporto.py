"""The ispettore completes and issues the rapporto di prova (Allegato A) of an impianto of the catasto
from its console page and over the API: pre-filled from the catasto, the three trials, Italian errors
naming the fields (input kept), signed by its Ente and archived; then the lettera di esito in one step."""

from __future__ import annotations

import re
import subprocess

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from archive.catasto import ImpiantoCatasto

ORIGIN = {"Origin": "http://testserver"}
PROVE = {"allegato": "A", "combustibile": "gas naturale", "fluido": "acqua", "data_installazione": "2010-05-01",
         "classificazione": "Standard", "pn_utile_kw": "24", "tipo_caldaia": "C", "foro_presente": "SI",
         "libretto_presente": "SI", "manut_corrente": "Effettuata", "manut_precedenti": "Effettuata", "cella": "O2",
         **{f"t_mandata_{n}": "70" for n in (1, 2, 3)}, **{f"t_aria_{n}": "20" for n in (1, 2, 3)},
         **{f"t_fumi_{n}": "140" for n in (1, 2, 3)}, **{f"co_misurato_{n}": "50" for n in (1, 2, 3)},
         **{f"o2_co2_{n}": "5,5" for n in (1, 2, 3)}}


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _entra(client, username: str) -> None:
    pagina = client.get("/console/accesso")
    r = client.post("/console/accesso", data={"username": username, "password": "curit-demo", "csrf": _csrf(pagina.text)},
                    headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303, r.text


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
