"""Property-based run of every OpenAPI operation (schemathesis, in-process ASGI): no 5xx.

Authenticated as admin (the widest surface) with a real SQLite index and a real SeaweedFS,
so archive routes run for real. Examples are bounded per operation to keep the suite fast;
each failure prints the reproducing request.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from service.api import create_app
from service.demo import DEMO_PASSWORD
from service.settings import Settings
from tests.service.test_api_archivio import KEY, SECRET, pki_ca, weed  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow

ESEMPI = 5
"""Examples per operation (hypothesis ``max_examples``)."""


@pytest.fixture(scope="module")
def app_e_token(tmp_path_factory: pytest.TempPathFactory, weed, pki_ca):  # noqa: F811
    base = tmp_path_factory.mktemp("schemathesis")
    cfg = Settings(db_url=f"sqlite:///{base / 'curit.db'}", var_dir=base / "var", secret_key="st-secret", demo=True,
                   s3_endpoint=weed.endpoint, s3_access_key=KEY, s3_secret_key=SECRET,
                   s3_bucket=f"st-{uuid.uuid4().hex[:10]}", trust_roots=(pki_ca,), batch_dir=base / "lavori",
                   stampa_cache_dir=base / "cache", identita_dir=base / "identita")
    app = create_app(cfg)
    with TestClient(app) as client:
        token = client.post("/auth/token", data={"username": "admin", "password": DEMO_PASSWORD}).json()["access_token"]
        yield app, token


def _operazioni() -> list[str]:
    cfg = Settings(db_url="sqlite://", demo=False)
    schema = schemathesis.openapi.from_dict(create_app(cfg).openapi())
    return sorted(f"{op.method.upper()} {op.path}" for op in (r.ok() for r in schema.get_all_operations()))


@pytest.mark.parametrize("operazione", _operazioni())
def test_no_server_errors(app_e_token, operazione: str) -> None:
    app, token = app_e_token
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    metodo, percorso = operazione.split(" ", 1)
    op = schema[percorso][metodo]

    @settings(max_examples=ESEMPI, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy())
    def _prova(case) -> None:
        chiave = token
        if operazione == "POST /auth/esci":  # logging out ends the session: not the one every other operation uses
            with TestClient(app) as client:
                chiave = client.post("/auth/token", data={"username": "admin", "password": DEMO_PASSWORD}).json()[
                    "access_token"]
        response = case.call(headers={"Authorization": f"Bearer {chiave}"})
        assert response.status_code < 500, (
            f"{operazione} → {response.status_code}: {response.text[:500]}\n{case.as_curl_command()}")

    _prova()


def test_every_error_body_is_italian_shaped(app_e_token) -> None:
    """The 4xx bodies schemathesis provokes carry the product's error shape, never a stack trace."""
    app, token = app_e_token
    with TestClient(app) as client:
        r = client.get("/archivio/documenti", params={"limite": "molti"}, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 422
        err = r.json()["errori"][0]
        assert set(err) >= {"campo", "loc", "messaggio"} and "Traceback" not in r.text
