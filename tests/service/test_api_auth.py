"""Authentication, roles and the error contract of the API (real database, both backends)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from service.auth import crea_token, leggi_token


def test_token_round_trip_and_expiry() -> None:
    key = b"k" * 32
    now = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
    tok = crea_token(key, "ente.mantova", "ente", minuti=30, adesso=now)
    assert leggi_token(key, tok, adesso=now + timedelta(minutes=29))["sub"] == "ente.mantova"
    assert leggi_token(key, tok, adesso=now + timedelta(minutes=31)) is None
    assert leggi_token(b"x" * 32, tok, adesso=now) is None
    body, sig = tok.split(".")
    assert leggi_token(key, body + "." + sig[:-2] + "AA", adesso=now) is None


def test_login_and_me(client, login) -> None:
    headers = login("cait.mantova")
    me = client.get("/auth/io", headers=headers).json()
    assert me["ruolo"] == "cait" and me["cait_id"] == "CAIT-MN-01"


def test_wrong_password_is_401_in_italian(client) -> None:
    r = client.post("/auth/token", data={"username": "cait.mantova", "password": "sbagliata"})
    assert r.status_code == 401
    assert r.json()["errori"][0]["messaggio"] == "Nome utente o password non corretti."


def test_no_token_is_401(client) -> None:
    r = client.get("/auth/io")
    assert r.status_code == 401
    assert "Autenticazione" in r.json()["errori"][0]["messaggio"]


def test_api_key_for_machine_clients(client, login) -> None:
    r = client.post("/auth/api-keys", json={"descrizione": "gestionale CAIT"}, headers=login("cait.mantova"))
    assert r.status_code == 201
    key = r.json()["api_key"]
    me = client.get("/auth/io", headers={"X-API-Key": key}).json()
    assert me["username"] == "cait.mantova"
    assert client.get("/auth/io", headers={"X-API-Key": key + "x"}).status_code == 401


def test_oversized_request_is_413(client, login) -> None:
    headers = login("ente.mantova") | {"Content-Type": "application/json"}
    r = client.post("/documenti/allegato-g/pdf", content=b" " * 6_000_000, headers=headers)
    assert r.status_code == 413
