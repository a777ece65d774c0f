"""POST /documenti/{tipo}/pdf issues: signed as the caller's organisation, archived in its space.

One embedded SeaweedFS for the module (configured as the app's S3), demo users, demo identities
created on first use; every signature is checked with pyHanko and with ``pdfsig``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.firma import verifica_documento
from service.registry import get_document_type
from service.settings import Settings
from tests.service.test_emissione import MANTOVA, impostazioni, pdfsig, weed  # noqa: F401 (module fixture)

pytestmark = pytest.mark.db_backend("postgresql")  # console/API flow: see docs/parts/tests.md


G = get_document_type("allegato-g").example()


@pytest.fixture
def fidata() -> str:
    """The identity whose demo CA the app trusts (parametrise to change it)."""
    return MANTOVA


@pytest.fixture
def settings(db_url: str, weed, tmp_path: Path, fidata: str, stampa_cache: Path) -> Settings:  # noqa: F811
    return impostazioni(tmp_path, weed, db_url=db_url, fidata=fidata, secret_key="test-secret",
                        stampa_cache_dir=stampa_cache)


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    """The ``client`` and ``login`` fixtures of tests/service/conftest.py run on these settings."""
    return settings


def test_ente_gets_a_signed_pdf_archived_in_its_own_space(client: TestClient, login, settings: Settings,
                                                          tmp_path: Path) -> None:
    mantova = login("ente.mantova")
    r = client.post("/documenti/allegato-g/pdf", json=G, headers=mantova)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf" and r.headers["x-curit-archivio"] == "archiviato"
    verdetto = verifica_documento(r.content, settings=settings)
    assert verdetto.valida and verdetto.firmatario.nome == f"Firmatario demo {MANTOVA}", verdetto.motivo
    (tmp_path / "g.pdf").write_bytes(r.content)
    assert "Signature is Valid" in pdfsig(tmp_path / "g.pdf", settings.trust_roots[0], tmp_path / "nss")

    doc_id = r.headers["x-curit-documento"]
    record = client.get(f"/archivio/documenti/{doc_id}", headers=mantova).json()
    assert record["ente"] == "provincia-mantova" and record["firma_valida"] is True
    assert record["s3_key"].startswith("provincia-mantova/2025-2026/allegato-g/020066in0000347/")
    found = client.get("/archivio/documenti", params={"codice_impianto": "020066IN0000347"}, headers=mantova).json()
    assert [d["id"] for d in found["documenti"]] == [doc_id]
    assert client.get(f"/archivio/documenti/{doc_id}/pdf", headers=mantova).content == r.content
    assert client.get(f"/archivio/documenti/{doc_id}", headers=login("ente.brescia")).status_code == 404


def test_who_may_issue(client: TestClient, login) -> None:
    r = client.post("/documenti/allegato-g/pdf", json=G, headers=login("ente.brescia"))
    assert r.status_code == 422
    assert "di competenza di Provincia di Mantova, non di Comune di Brescia" in r.json()["errori"][0]["messaggio"]
    assert client.post("/documenti/allegato-g/pdf", json=G, headers=login("archivista.mantova")).status_code == 403
    r = client.post("/documenti/allegato-g/pdf", json=G, params={"emittente": "provincia-cremona"},
                    headers=login("ente.mantova"))
    assert r.status_code == 403
    a = get_document_type("allegato-a").example()
    r = client.post("/documenti/allegato-a/pdf", json=a, headers=login("cait.mantova"))
    assert r.status_code == 422 and "è emesso dall'Ente competente" in r.json()["errori"][0]["messaggio"]


@pytest.mark.parametrize("fidata", ["cait-cait-mn-01"])
def test_manutentore_declaration_is_sealed_by_its_cait(client: TestClient, login, settings: Settings) -> None:
    r = client.post("/documenti/allegato-g/pdf", json=G, headers=login("manutentore.rossi"))
    assert r.status_code == 200, r.text
    verdetto = verifica_documento(r.content, settings=settings)
    assert verdetto.valida and verdetto.firmatario.nome == "Firmatario demo cait-cait-mn-01", verdetto.motivo
    record = client.get(f"/archivio/documenti/{r.headers['x-curit-documento']}", headers=login("cait.mantova")).json()
    assert record["cait"] == "CAIT-MN-01" and record["ente"] == "provincia-mantova"
