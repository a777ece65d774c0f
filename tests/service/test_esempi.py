"""Every ``curit-docs esempio <tipo>`` renders as it is with plain ``render <tipo>``.

Production defaults: signing on (``CURIT_FIRMA_OUTPUT=1``), no demo (identities are never created on
the fly), an empty database and ``var/``. The identities of the issuing organisations are installed
beforehand in a test folder, as an administrator would. The signed PDF is checked with ``pdfsig``
(who signed) and ``pdftotext`` (what it prints: no internal notes, see test_testi_utente.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from service.emissione import emittente_predefinito, organizzazione
from service.identita import crea_identita_demo
from service.produce import validate
from service.registry import DOCUMENT_TYPES
from tests.service.test_testi_utente import riferimenti_interni

FIRMATARIO_ATTESO = {
    "allegato-m": "regione",  # addressed to the Regione, which seals it on receipt
    "targhe": "regione",  # plates of impianti of several Enti: one file, sealed by the Regione
    "allegato-g-precompilato": "cait-cait-mn-01",
    "allegato-f-precompilato": "cait-cait-cr-01",
    "allegato-g": "ente-provincia-mantova",
    "distinta-ricevuta": "cait-cait-mn-01",
}
"""The issuer of some examples, where the rule is worth spelling out."""

CITAZIONI = {
    "ricevuta": "D.G.R. 18/09/2007",
    "rendiconto-cait": "Disposizioni regionali, punto 16",
    "lettera-esito": "punto 14 delle Disposizioni regionali",
}
"""Where the paper refers to a rule, it names the regulation."""


@pytest.fixture(scope="module")
def esempi_firmati(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """``esempio X | render X -`` for every type, each as a real pipeline of two in-process commands."""
    area = tmp_path_factory.mktemp("esempi")
    identita = area / "identita"
    nomi = set()
    for code, doc in DOCUMENT_TYPES.items():
        chi = emittente_predefinito(doc, validate(doc, doc.example()))
        assert chi, f"{code}: l'esempio non indica chi lo emette"
        nomi.add(organizzazione(chi).identita)
    for nome in sorted(nomi):
        crea_identita_demo(nome, identita)
    return {"area": area, "identita": identita}


def _env(area: Path, identita: Path) -> dict[str, str]:
    return {"CURIT_VAR_DIR": str(area / "var"), "CURIT_DB_URL": f"sqlite:///{area / 'curit.db'}",
            "CURIT_IDENTITA_DIR": str(identita), "CURIT_FIRMA_OUTPUT": "1", "CURIT_DEMO": "0",
            "CURIT_DEMO_DOCUMENTI": "0",
            # the run's compiled layouts (tests/conftest.py): each type is compiled once per run, not again here
            "CURIT_STAMPA_CACHE_DIR": os.environ.get("CURIT_STAMPA_CACHE_DIR", str(area / "cache"))}


@pytest.mark.slow
@pytest.mark.parametrize("code", list(DOCUMENT_TYPES))
def test_esempio_si_stampa_cosi_com_e(code: str, esempi_firmati, cli_locale) -> None:
    area, identita = esempi_firmati["area"], esempi_firmati["identita"]
    env = _env(area, identita)
    esempio = cli_locale("esempio", code, env=env)
    assert esempio.returncode == 0, esempio.stderr
    pdf = area / f"{code}.pdf"
    r = cli_locale("render", code, "-", "-o", str(pdf), env=env, stdin=esempio.stdout)
    assert r.returncode == 0, r.stderr
    assert "identità demo" not in r.stderr  # nothing created on the fly: production default
    firme = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in firme, firme
    if code in FIRMATARIO_ATTESO:
        assert f"Common Name: Firmatario demo {FIRMATARIO_ATTESO[code]}\n" in firme, firme
    testo = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert len(testo.split()) > 20
    assert not riferimenti_interni(testo)
    if code in CITAZIONI:
        assert CITAZIONI[code] in " ".join(testo.split())
    estratto = cli_locale("estrai", str(pdf), env=env)
    assert estratto.returncode == 0 and json.loads(estratto.stdout)


def test_senza_emittente_nei_dati_il_rifiuto_nomina_il_campo(tmp_path: Path, cli_locale) -> None:
    """A precompilato whose data name no CAIT: refused in Italian before anything is written."""
    dati = DOCUMENT_TYPES["allegato-g-precompilato"].example()
    del dati["cait"]
    pdf = tmp_path / "p.pdf"
    r = cli_locale("render", "allegato-g-precompilato", "-", "-o", str(pdf), env=_env(tmp_path, tmp_path / "id"),
                   stdin=json.dumps(dati))
    assert r.returncode == 1
    assert "emittente: " in r.stderr and "indicare l'emittente: un CAIT" in r.stderr
    assert not pdf.exists() and not (tmp_path / "id").exists()


# -- consistent data: the comune of a codice impianto ----------------------------------------

COMUNE_DEL_CODICE = {
    "allegato-a": ("ubicazione", "comune"), "allegato-b": ("ubicazione", "comune"),
    "allegato-g": ("comune",), "allegato-f": ("comune",),
    "allegato-g-precompilato": ("comune",), "allegato-f-precompilato": ("comune",),
    "allegato-e1": ("comune",), "allegato-e2": ("comune",),
    "allegato-h": ("comune",), "allegato-i": ("comune",), "allegato-l": ("comune",),
    "avviso-ispezione": ("impianto_comune",),
    "targhe": (0, "comune"),  # impianti.json is a list: the error points at the row
}
"""Every type whose data carry both a codice impianto and its comune: where the comune is."""


def _imposta(dati: dict, percorso: tuple, valore: str) -> None:
    for parte in percorso[:-1]:
        dati = dati[parte]
    dati[percorso[-1]] = valore


@pytest.mark.parametrize("code", sorted(COMUNE_DEL_CODICE))
def test_il_comune_deve_essere_quello_del_codice_impianto(code: str) -> None:
    from domain.errors import AppError

    doc = DOCUMENT_TYPES[code]
    dati = doc.example()
    validate(doc, dati)
    percorso = COMUNE_DEL_CODICE[code]
    altro = "Sondrio"  # a Lombard comune no example uses
    _imposta(dati, percorso, altro)
    with pytest.raises(AppError) as err:
        validate(doc, dati)
    errori = err.value.as_list() if hasattr(err.value, "as_list") else [err.value.as_dict()]
    [errore] = [e for e in errori if "Sondrio" in e["messaggio"]]
    assert f"«{altro}»" in errore["messaggio"] and "codice" in errore["messaggio"]  # both fields named
    assert "ISTAT" in errore["messaggio"]
    loc = tuple(errore["loc"])
    assert loc[-len(percorso):] == percorso or loc[-len(percorso) + 1:] == percorso[:-1]  # the comune, or its row


def test_un_codice_di_roma_e_rifiutato(tmp_path: Path, cli_locale) -> None:
    env = _env(tmp_path, tmp_path / "id")
    r = cli_locale("codice", "nuovo", "--istat", "058091", "--tipo", "CT", env=env)
    assert r.returncode == 1 and r.stdout == ""
    assert "istat: Il comune Roma (RM, ISTAT 058091) non è in Lombardia" in r.stderr
    dati = DOCUMENT_TYPES["allegato-g"].example() | {"codice_catasto": "058091CT0000001", "comune": "Roma"}
    r = cli_locale("render", "allegato-g", "-", "-o", str(tmp_path / "g.pdf"), "--no-firma", env=env,
                   stdin=json.dumps(dati))
    assert r.returncode == 1 and "codice_catasto: " in r.stderr and "non è in Lombardia" in r.stderr
    assert not (tmp_path / "g.pdf").exists()


def test_una_g_di_brescia_a_viadana_e_rifiutata(tmp_path: Path, cli_locale) -> None:
    dati = DOCUMENT_TYPES["allegato-g"].example() | {"codice_catasto": "017029CT0000311", "comune": "Viadana"}
    r = cli_locale("render", "allegato-g", "-", "-o", str(tmp_path / "g.pdf"), "--no-firma",
                   env=_env(tmp_path, tmp_path / "id"), stdin=json.dumps(dati))
    assert r.returncode == 1
    assert "comune: Il comune «Viadana» non è quello del codice catasto impianti 017029CT0000311" in r.stderr
    assert not (tmp_path / "g.pdf").exists()
