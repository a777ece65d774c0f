"""Every ``curit-docs esempio <tipo>`` renders as it is with plain ``render <tipo>``.

Production defaults: signing on (``CURIT_FIRMA_OUTPUT=1``), no demo (identities are never created on
the fly), an empty database and ``var/``. The identities of the issuing organisations are installed
beforehand in a test folder, as an administrator would. The signed PDF is checked with ``pdfsig``
(who signed) and ``pdftotext`` (what it prints: no internal notes, see test_testi_utente.py).
"""

from __future__ import annotations

import json
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
            "CURIT_DEMO_DOCUMENTI": "0", "CURIT_STAMPA_CACHE_DIR": str(area / "cache")}


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
