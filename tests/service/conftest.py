"""API fixtures: an app bound to the per-test database, and a logged-in client factory."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from service.settings import Settings


@pytest.fixture
def api_settings(db_url: str, tmp_path) -> Settings:
    return Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret", demo=True)


@pytest.fixture
def client(api_settings: Settings):
    with TestClient(create_app(api_settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def login(client: TestClient) -> Callable[[str], dict[str, str]]:
    """``login("cait.mantova")`` → Authorization headers for a demo user."""
    from service.demo import DEMO_PASSWORD

    def _login(username: str) -> dict[str, str]:
        r = client.post("/auth/token", data={"username": username, "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return _login
