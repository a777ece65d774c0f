"""/lavori and /targhe over HTTP: a targhe job from the catasto runs to completion on the in-process
runner, its PDF decodes to the Ente's codici; other tenants get 404/403; /targhe/pdf direct."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive.catasto import ImpiantoCatasto
from service.api.deps import state_for
from service.settings import Settings

pytestmark = pytest.mark.db_backend("postgresql")  # console/API flow: see docs/parts/tests.md


@pytest.fixture
def api_settings(db_url: str, tmp_path: Path, stampa_cache: Path) -> Settings:
    return Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret", demo=True,
                    batch_dir=tmp_path / "lavori", stampa_cache_dir=stampa_cache)


def _codici(settings: Settings, ente: str) -> list[str]:
    with state_for(settings).sessions() as s:
        return sorted(s.scalars(select(ImpiantoCatasto.codice_impianto).where(ImpiantoCatasto.ente_id == ente)))


def _attendi(client: TestClient, h: dict, lavoro_id: str) -> dict:
    for _ in range(600):
        stato = client.get(f"/lavori/{lavoro_id}", headers=h).json()
        if stato["stato"] in ("completato", "fallito", "interrotto"):
            return stato
        time.sleep(0.1)
    raise AssertionError("job did not end")


def _qr(pdf: bytes, tmp_path: Path) -> set[str]:
    (tmp_path / "t.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "t.pdf"), str(tmp_path / "p")], check=True)
    out = subprocess.run(["zbarimg", "-q", "--raw", *map(str, sorted(tmp_path.glob("p*.png")))],
                         capture_output=True, text=True).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def test_targhe_job_runs_and_is_confined(client: TestClient, login, api_settings: Settings, tmp_path: Path) -> None:
    h = login("ente.mantova")
    codici = _codici(api_settings, "provincia-mantova")
    assert len(codici) == 2
    r = client.post("/lavori", json={"tipo": "targhe", "codici": codici}, headers=h)
    assert r.status_code == 202, r.text
    lavoro = r.json()["id"]
    stato = _attendi(client, h, lavoro)
    assert stato["stato"] == "completato" and stato["percentuale"] == 100, stato
    assert stato["record_fatti"] == 2 and "stampa.pdf" in stato["file"]
    pdf = client.get(f"/lavori/{lavoro}/file/stampa.pdf", headers=h)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert set(codici) <= _qr(pdf.content, tmp_path)
    assert [x["id"] for x in client.get("/lavori", headers=h).json()] == [lavoro]
    assert client.post(f"/lavori/{lavoro}/annullamento", headers=h).status_code == 409
    # another Ente, and every other role, cannot see or fetch it
    for username in ("ente.brescia", "archivista.mantova", "cait.mantova", "manutentore.rossi"):
        other = login(username)
        assert client.get(f"/lavori/{lavoro}", headers=other).status_code == 404, username
        assert client.get(f"/lavori/{lavoro}/file/stampa.pdf", headers=other).status_code == 404, username
        assert client.get("/lavori", headers=other).json() == [], username
    assert client.get(f"/lavori/{lavoro}/file/..%2Flavoro.json", headers=h).status_code in (404, 422)


def test_jobs_and_targhe_refuse_other_territories(client: TestClient, login, api_settings: Settings) -> None:
    brescia = _codici(api_settings, "comune-brescia")
    h = login("ente.mantova")
    r = client.post("/lavori", json={"tipo": "targhe", "codici": brescia}, headers=h)
    assert r.status_code == 404 and brescia[0] in r.json()["errori"][0]["messaggio"]
    r = client.post("/targhe/pdf", json={"codici": brescia}, headers=h)
    assert r.status_code == 404
    r = client.post("/lavori", json={"tipo": "avvisi", "dati": [{"codice_impianto": brescia[0]}]}, headers=h)
    assert r.status_code == 403
    for username in ("cait.mantova", "manutentore.rossi", "archivista.mantova", "ispettore.mantova"):
        assert client.post("/lavori", json={"tipo": "targhe", "codici": brescia}, headers=login(username)).status_code == 403
        assert client.post("/targhe/pdf", json={"codici": brescia}, headers=login(username)).status_code == 403
    r = client.post("/lavori", json={"tipo": "targhe", "codici": ["nope"]}, headers=h)
    assert r.status_code == 422 and r.json()["errori"][0]["campo"] == "body.codici[0]"


def test_targhe_pdf_direct(client: TestClient, login, api_settings: Settings, tmp_path: Path) -> None:
    codici = _codici(api_settings, "comune-brescia")
    r = client.post("/targhe/pdf", json={"codici": codici, "inizio": 3}, headers=login("ente.brescia"))
    assert r.status_code == 200, r.text
    assert r.headers["x-curit-targhe"] == str(2 * len(codici))
    assert set(codici) <= _qr(r.content, tmp_path)
