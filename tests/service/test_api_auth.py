"""Authentication, roles and the error contract of the API (real database). The HTTP flows run on
PostgreSQL; what the database decides (a key's expiry date, a deleted user's keys) on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from service.auth import crea_token, csrf_di_sessione, leggi_token

pytestmark = pytest.mark.db_backend("postgresql")


def test_token_round_trip_and_expiry() -> None:
    key = b"k" * 32
    now = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
    tok = crea_token(key, "ente.mantova", "ente", minuti=30, sid="s1", adesso=now)
    payload = leggi_token(key, tok, adesso=now + timedelta(minutes=29))
    assert payload["sub"] == "ente.mantova" and payload["sid"] == "s1"
    assert leggi_token(key, tok, adesso=now + timedelta(minutes=31)) is None
    assert leggi_token(b"x" * 32, tok, adesso=now) is None
    body, sig = tok.split(".")
    assert leggi_token(key, body + "." + sig[:-2] + "AA", adesso=now) is None


def test_a_token_without_a_session_is_not_accepted() -> None:
    """Tokens of the stateless kind (no session id) could never be logged out: refused."""
    import base64
    import hashlib
    import hmac
    import json

    key = b"k" * 32
    body = base64.urlsafe_b64encode(json.dumps({"sub": "admin", "ruolo": "admin", "exp": 2**40}).encode()).rstrip(b"=")
    sig = base64.urlsafe_b64encode(hmac.new(key, body, hashlib.sha256).digest()).rstrip(b"=")
    assert leggi_token(key, f"{body.decode()}.{sig.decode()}") is None


def test_csrf_token_is_bound_to_the_session() -> None:
    key = b"k" * 32
    assert csrf_di_sessione(key, "a") == csrf_di_sessione(key, "a") != csrf_di_sessione(key, "b")
    assert csrf_di_sessione(key, "a") != csrf_di_sessione(b"y" * 32, "a")


def test_login_and_me(client, login) -> None:
    headers = login("cait.mantova")
    me = client.get("/auth/io", headers=headers).json()
    assert me["ruolo"] == "cait" and me["cait_id"] == "CAIT-MN-01" and me["permessi"] == ["firma_pdf"]


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
    assert r.status_code == 201 and r.json()["scade_tra_giorni"] == 90
    key = r.json()["api_key"]
    me = client.get("/auth/io", headers={"X-API-Key": key}).json()
    assert me["username"] == "cait.mantova"
    assert client.get("/auth/io", headers={"X-API-Key": key + "x"}).status_code == 401


@pytest.mark.db_backend("sqlite", "postgresql")
def test_api_keys_are_listed_revocable_and_expire(client, login, api_settings) -> None:
    from archive.db import make_engine, session_scope
    from archive.utenti import ApiKey

    headers = login("cait.mantova")
    a = client.post("/auth/api-keys", json={"descrizione": "a", "giorni": 7}, headers=headers).json()
    b = client.post("/auth/api-keys", json={"descrizione": "b"}, headers=headers).json()
    elenco = client.get("/auth/api-keys", headers=headers).json()
    assert [k["prefisso"] for k in elenco] == [b["prefisso"], a["prefisso"]]
    assert "api_key" not in elenco[0] and not elenco[0]["revocata"]
    scade = datetime.fromisoformat(elenco[1]["scade_il"].replace("Z", "+00:00"))
    creata = datetime.fromisoformat(elenco[1]["creata_il"].replace("Z", "+00:00"))
    assert timedelta(days=6, hours=23) < scade - creata <= timedelta(days=7)

    # another user cannot revoke it (nor learn it exists); its owner can, and it stops at once
    assert client.delete(f"/auth/api-keys/{a['prefisso']}", headers=login("cait.brescia")).status_code == 404
    assert client.get("/auth/io", headers={"X-API-Key": a["api_key"]}).status_code == 200
    assert client.delete(f"/auth/api-keys/{a['prefisso']}", headers=headers).status_code == 204
    assert client.get("/auth/io", headers={"X-API-Key": a["api_key"]}).status_code == 401
    assert [k["revocata"] for k in client.get("/auth/api-keys", headers=headers).json()] == [False, True]

    # expiry: the same key, its date moved into the past, is refused
    engine = make_engine(api_settings.db_url)
    with session_scope(engine) as s:
        s.execute(update(ApiKey).where(ApiKey.prefisso == b["prefisso"])
                  .values(scade_il=datetime.now(timezone.utc) - timedelta(seconds=1)))
    engine.dispose()
    assert client.get("/auth/io", headers={"X-API-Key": b["api_key"]}).status_code == 401


def test_an_api_key_cannot_mint_keys_nor_last_beyond_a_year(client, login) -> None:
    headers = login("ente.mantova")
    assert client.post("/auth/api-keys", json={"giorni": 366}, headers=headers).status_code == 422
    key = client.post("/auth/api-keys", json={}, headers=headers).json()["api_key"]
    r = client.post("/auth/api-keys", json={}, headers={"X-API-Key": key})
    assert r.status_code == 403 and "sessione di accesso" in r.json()["errori"][0]["messaggio"]
    r = client.post("/auth/esci", headers={"X-API-Key": key})  # a key has no session: it is revoked instead
    assert r.status_code == 422 and "DELETE /auth/api-keys" in r.json()["errori"][0]["messaggio"]
    assert client.get("/auth/io", headers={"X-API-Key": key}).status_code == 200


@pytest.mark.db_backend("sqlite", "postgresql")
def test_keys_and_tokens_die_with_the_user(client, login, api_settings) -> None:
    """Deactivated → everything refused, and reactivating revives no old key or token; deleted → the same."""
    from archive.db import make_engine, session_scope
    from archive.utenti import Utente, disattiva_utente, elimina_utente

    headers = login("cait.mantova")
    key = client.post("/auth/api-keys", json={}, headers=headers).json()["api_key"]
    engine = make_engine(api_settings.db_url)
    with session_scope(engine) as s:
        disattiva_utente(s, "cait.mantova")
    assert client.get("/auth/io", headers=headers).status_code == 401
    assert client.get("/auth/io", headers={"X-API-Key": key}).status_code == 401
    with session_scope(engine) as s:
        s.scalar(select(Utente).where(Utente.username == "cait.mantova")).attivo = True
    assert client.get("/auth/io", headers=headers).status_code == 401
    assert client.get("/auth/io", headers={"X-API-Key": key}).status_code == 401

    headers = login("manutentore.rossi")
    key = client.post("/auth/api-keys", json={}, headers=headers).json()["api_key"]
    with session_scope(engine) as s:
        elimina_utente(s, "manutentore.rossi")
    engine.dispose()
    assert client.get("/auth/io", headers=headers).status_code == 401
    assert client.get("/auth/io", headers={"X-API-Key": key}).status_code == 401


def test_oversized_request_is_413(client, login) -> None:
    headers = login("ente.mantova") | {"Content-Type": "application/json"}
    r = client.post("/documenti/allegato-g/pdf", content=b" " * 6_000_000, headers=headers)
    assert r.status_code == 413
