"""GET /verifica/<id>: public (no login), intact / unknown / altered reported, no personal data to
anonymous users, a link to the original only for a logged-in user, rate-limited, read-only.
Real SeaweedFS and the app's own ``Archivio``."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive.seaweed import EmbeddedSeaweed
from service.api.archivio_dep import archivio_per
from service.api.routes import verifica_pubblica
from service.archivio import MetadatiDocumento
from service.settings import Settings
from tests.pki import pdf_di_prova

KEY, SECRET = "curitpub", "curit-pubblico-secret-0123"
CF = "RSSGNN70A41L826X"


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory):
    with EmbeddedSeaweed(tmp_path_factory.mktemp("weed-pub") / "data", KEY, SECRET) as server:
        yield server


@pytest.fixture
def api_settings(db_url: str, tmp_path: Path, weed: EmbeddedSeaweed) -> Settings:
    return Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret", demo=True,
                    identita_dir=tmp_path / "identita", s3_endpoint=weed.endpoint, s3_access_key=KEY,
                    s3_secret_key=SECRET, s3_bucket=f"pub-{uuid.uuid4().hex[:12]}", contrassegno=True)


@pytest.fixture(autouse=True)
def _finestre_pulite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifica_pubblica, "_finestre", {})


def _archivia(client: TestClient, settings: Settings) -> dict:
    meta = MetadatiDocumento(tipo="allegato-g", data_documento=date(2025, 10, 14), codice_impianto="020066IN0000347",
                             ente="provincia-mantova", manutentore="Rossi Termoidraulica S.n.c.", responsabile_cf=CF)
    return archivio_per(client.app, settings).archivia(pdf_di_prova(), meta)


def test_archived_document_is_shown_intact_without_personal_data(client: TestClient, api_settings: Settings) -> None:
    record = _archivia(client, api_settings)
    pagina = TestClient(client.app).get(f"/verifica/{record['id']}")
    assert pagina.status_code == 200, pagina.text
    assert "Documento presente in archivio e integro" in pagina.text  # an unsigned test PDF: no valid signature
    assert "020066IN0000347" in pagina.text and "provincia-mantova" in pagina.text and "14/10/2025" in pagina.text
    assert CF not in pagina.text and "Rossi" not in pagina.text
    assert f"/console/documento/{record['id']}" not in pagina.text


def test_unknown_id_is_a_clear_404_page(client: TestClient) -> None:
    r = client.get("/verifica/0123456789abcdef0123456789abcdef")
    assert r.status_code == 404
    assert "Nessun documento con questo identificativo risulta nell'archivio" in r.text


def test_altered_object_is_reported_not_intact(client: TestClient, api_settings: Settings) -> None:
    record = _archivia(client, api_settings)
    arch = archivio_per(client.app, api_settings)
    originale = arch.store.get
    arch.store.get = lambda *a, **k: originale(*a, **k) + b"%alterato"  # what a tampered object would return
    try:
        r = client.get(f"/verifica/{record['id']}")
    finally:
        arch.store.get = originale
    assert r.status_code == 200 and "NON integro" in r.text


def test_anonymous_lookups_are_rate_limited(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verifica_pubblica, "RICHIESTE_PER_MINUTO", 3)
    codici = [client.get("/verifica/ffffffffffffffff").status_code for _ in range(4)]
    assert codici == [404, 404, 404, 429]
    assert "Troppe verifiche da questo indirizzo" in client.get("/verifica/ffffffffffffffff").text


def test_console_verifica_accepts_a_scan_of_a_printed_page(client: TestClient, api_settings: Settings,
                                                          tmp_path: Path) -> None:
    import re
    import subprocess

    from service.contrassegno import sigilla

    ident = uuid.uuid4().hex
    sigillato = sigilla(pdf_di_prova(), documento_id=ident, tipo="allegato-g", codice_impianto="020066IN0000347",
                        data_documento=date(2025, 10, 14), emittente="provincia-mantova",
                        identita="ente-provincia-mantova", settings=api_settings)
    meta = MetadatiDocumento(tipo="allegato-g", data_documento=date(2025, 10, 14), codice_impianto="020066IN0000347",
                             ente="provincia-mantova", documento_id=ident)
    archivio_per(client.app, api_settings).archivia(sigillato, meta)
    (tmp_path / "s.pdf").write_bytes(sigillato)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", str(tmp_path / "s.pdf"), str(tmp_path / "s")],
                   check=True)
    origin = {"Origin": "http://testserver"}
    csrf = lambda html: re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # noqa: E731
    r = client.post("/console/accesso", data={"username": "admin", "password": "curit-demo",
                                              "csrf": csrf(client.get("/console/accesso").text)},
                    headers=origin, follow_redirects=False)
    assert r.status_code == 303, r.text
    pagina = client.get("/console/verifica")
    assert 'action="/console/verifica-stampa"' in pagina.text
    with open(tmp_path / "s.png", "rb") as f:
        r = client.post("/console/verifica-stampa", data={"csrf": csrf(pagina.text)},
                        files={"file": ("scansione.png", f, "image/png")}, headers=origin)
    assert r.status_code == 200, r.text
    assert "VALIDO: sigillo autentico" in r.text and f"Documento: {ident}" in r.text
    assert "documento presente e integro" in r.text
    rifiuto = client.post("/console/verifica-stampa", data={"csrf": "sbagliato"},
                          files={"file": ("scansione.png", b"x", "image/png")}, headers=origin)
    assert rifiuto.status_code == 403
