"""Login throttling per username and per client address, on /auth/token and the console login.

Before: unlimited password guesses. Now: after ``login_tentativi_utente`` failures of a username
(or ``login_tentativi_indirizzo`` from one address) within the window, 429 with an Italian
message and ``Retry-After`` — even for the right password — until the window has passed.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive.db import make_engine, session_scope
from archive.utenti import Audit
from service.api import create_app
from service.demo import DEMO_PASSWORD
from service.settings import Settings


@pytest.fixture
def api_settings(db_url: str, tmp_path, _identita_api) -> Settings:
    return Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret", demo=True,
                    identita_dir=_identita_api, login_tentativi_utente=3, login_tentativi_indirizzo=5,
                    login_finestra_minuti=15)


def _token(c: TestClient, username: str, password: str):
    return c.post("/auth/token", data={"username": username, "password": password})


def _console(c: TestClient, username: str, password: str):
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/console/accesso").text).group(1)
    return c.post("/console/accesso", data={"username": username, "password": password, "csrf": csrf},
                  follow_redirects=False)


def _indietro(db_url: str, minuti: int) -> None:
    """Move every audit row ``minuti`` into the past (the window passing, without sleeping)."""
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        for riga in s.scalars(select(Audit)):
            istante = riga.istante if riga.istante.tzinfo else riga.istante.replace(tzinfo=timezone.utc)
            riga.istante = istante - timedelta(minutes=minuti)
    engine.dispose()


def test_api_throttles_a_username_then_lets_it_in_after_the_window(client, api_settings) -> None:
    for _ in range(3):
        assert _token(client, "cait.mantova", "sbagliata").status_code == 401
    r = _token(client, "cait.mantova", DEMO_PASSWORD)  # the right password, too soon
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    messaggio = r.json()["errori"][0]["messaggio"]
    assert messaggio.startswith("Troppi tentativi di accesso non riusciti") and "riprovare tra 15 minuti" in messaggio
    assert _token(client, "cait.brescia", DEMO_PASSWORD).status_code == 200  # other users are not locked out
    assert _token(client, "cait.mantova", DEMO_PASSWORD).status_code == 429
    engine = make_engine(api_settings.db_url)
    with session_scope(engine) as s:  # refusals are audited apart and do not prolong the wait
        azioni = [a.azione for a in s.scalars(select(Audit).where(Audit.utente == "cait.mantova").order_by(Audit.id))]
    engine.dispose()
    assert azioni == ["accesso.fallito"] * 3 + ["accesso.limitato"] * 2

    _indietro(api_settings.db_url, 16)
    assert _token(client, "cait.mantova", DEMO_PASSWORD).status_code == 200


def test_a_successful_login_starts_the_username_count_afresh(client) -> None:
    for _ in range(2):
        assert _token(client, "ente.mantova", "sbagliata").status_code == 401
    assert _token(client, "ente.mantova", DEMO_PASSWORD).status_code == 200
    for _ in range(2):
        assert _token(client, "ente.mantova", "sbagliata").status_code == 401
    assert _token(client, "ente.mantova", DEMO_PASSWORD).status_code == 200


def test_api_throttles_a_client_address_across_usernames(client) -> None:
    for nome in ("a1", "a2", "a3", "a4", "a5"):
        assert _token(client, nome, "sbagliata").status_code == 401
    r = _token(client, "ente.brescia", DEMO_PASSWORD)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_console_login_is_throttled_with_a_page_and_retry_after(client, api_settings) -> None:
    for _ in range(3):
        assert _console(client, "ente.mantova", "sbagliata").status_code == 401
    r = _console(client, "ente.mantova", DEMO_PASSWORD)
    assert r.status_code == 429 and r.headers["content-type"].startswith("text/html")
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    assert "Troppi tentativi di accesso non riusciti" in r.text and "curit_sessione" not in r.headers.get("set-cookie", "")
    # the API shares the count: the same username is throttled there too
    assert _token(client, "ente.mantova", DEMO_PASSWORD).status_code == 429
    _indietro(api_settings.db_url, 16)
    assert _console(client, "ente.mantova", DEMO_PASSWORD).status_code == 303
