"""The ispettore's combustion test in the console and over the API: the regulation's verdict
(η min, CO corretto, esito 9.a / 9.b, struck fields) from the same domain functions as
``curit-docs esito``, with and without JavaScript; errors name the field and keep what was typed."""

from __future__ import annotations

import re

import pytest

from domain.esito import valuta_rapporto
from domain.esito_dati import IngressoEsito
from decimal import Decimal as D

pytestmark = pytest.mark.db_backend("postgresql")  # console/API flow: see docs/parts/tests.md

PROVE = {"allegato": "A", "combustibile": "gas naturale", "fluido": "acqua", "data_installazione": "2010-05-01",
         "classificazione": "Standard", "pn_utile_kw": "24", "tipo_caldaia": "C", "foro_presente": "SI",
         "libretto_presente": "SI", "manut_corrente": "Effettuata", "manut_precedenti": "Effettuata", "cella": "O2",
         **{f"t_mandata_{n}": "70" for n in (1, 2, 3)}, **{f"t_aria_{n}": "20" for n in (1, 2, 3)},
         **{f"t_fumi_{n}": "140" for n in (1, 2, 3)}, **{f"co_misurato_{n}": "50" for n in (1, 2, 3)},
         **{f"o2_co2_{n}": "5,5" for n in (1, 2, 3)}}


def _atteso() -> dict:
    terna = lambda v: (D(v),) * 3  # noqa: E731
    return valuta_rapporto(IngressoEsito(
        allegato="A", combustibile="gas naturale", fluido="acqua", fascia="dal 08/10/2005", classificazione="Standard",
        pn_utile_kw=D("24"), tipo_caldaia="C", foro_presente=True, manut_corrente="Effettuata",
        manut_precedenti="Effettuata", libretto_presente=True, t_mandata=terna("70"), t_aria=terna("20"),
        t_fumi=terna("140"), co_misurato=terna("50"), o2_co2=terna("5.5"))).as_dict()


def test_prova_senza_e_con_javascript(console, client) -> None:
    atteso = _atteso()
    console.entra("ispettore.mantova")
    home = client.get("/")
    assert 'href="/console/ispettore/prova"' in home.text and 'href="/console/ispettore"' in home.text
    pagina = client.get("/console/ispettore/prova")
    assert pagina.status_code == 200 and "l'esito si aggiorna qui" in pagina.text and "prova.js" in pagina.text
    # without JavaScript: the form posts, the page shows the verdict and keeps the values
    r = client.post("/console/ispettore/prova", data={**PROVE, "csrf": console.csrf(pagina.text)}, headers=console.ORIGIN)
    assert r.status_code == 200, r.text
    assert atteso["esito"] == "9.a" and "9.a · positivo" in r.text
    assert f'id="v-eta_min">{atteso["eta_min"]}<' in r.text and f'>{atteso["co_corretto_ppm"]} · regolare<' in r.text
    assert "7.c tiraggio" in r.text and 'value="5,5"' in r.text
    # with JavaScript: the JSON endpoint gives the same verdict
    j = client.post("/console/ispettore/prova/esito", data={**PROVE, "csrf": console.csrf(pagina.text)},
                    headers=console.ORIGIN)
    assert j.status_code == 200 and j.json()["esito"] == atteso
    # CO above the limit → 9.b with box 8.b
    alto = {**PROVE, **{f"co_misurato_{n}": "900" for n in (1, 2, 3)}}
    j = client.post("/console/ispettore/prova/esito", data={**alto, "csrf": console.csrf(pagina.text)},
                    headers=console.ORIGIN).json()
    assert j["esito"]["esito"] == "9.b" and "8.b" in j["esito"]["punti_non_conformi"]
    # a type B appliance without the tiraggio: the error names the field, the typed values stay
    b = {**PROVE, "tipo_caldaia": "B"}
    r = client.post("/console/ispettore/prova", data={**b, "csrf": console.csrf(pagina.text)}, headers=console.ORIGIN)
    assert r.status_code == 422 and "tiraggio" in r.text and 'id="p-tiraggio_pa"' in r.text
    assert re.search(r'id="p-tiraggio_pa"[^>]*aria-invalid="true"', r.text) and 'value="140"' in r.text
    j = client.post("/console/ispettore/prova/esito", data={**b, "csrf": console.csrf(pagina.text)},
                    headers=console.ORIGIN)
    assert j.status_code == 422 and "tiraggio_pa" in j.json()["errori"]
    r = client.get("/console/ispettore")
    assert r.status_code == 200 and "Ispezioni programmate" in r.text


def test_api_esito_e_ruoli(console, client, login) -> None:
    corpo = {"pn_utile_kw": "24", "data_installazione": "2010-05-01", "classificazione": "Standard",
             "tipo_caldaia": "C", "t_mandata": ["70"] * 3, "t_aria": ["20"] * 3, "t_fumi": ["140"] * 3,
             "co_misurato": ["50"] * 3, "o2_co2": ["5.5"] * 3}
    r = client.post("/ispettore/esito", json=corpo, headers=login("ispettore.mantova"))
    assert r.status_code == 200 and r.json() == _atteso()
    assert client.post("/ispettore/esito", json=corpo, headers=login("manutentore.rossi")).status_code == 403
    r = client.post("/ispettore/esito", json={**corpo, "t_fumi": ["140"]}, headers=login("ispettore.mantova"))
    assert r.status_code == 422 and "t_fumi" in r.json()["errori"][0]["campo"]
    console.entra("manutentore.rossi")
    r = client.get("/console/ispettore/prova")
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
