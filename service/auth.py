"""Short-lived bearer tokens: ``base64url(payload).base64url(HMAC-SHA256)``.

The key comes from settings (or is generated once into ``var/secret_key`` with mode 0600).
Tokens carry the username, role, expiry and the id of a server-side session
(``archive.utenti.Sessione``): the signature proves the token was issued here, the session
row says it is still alive, so "Esci", deactivation and ``revoca_accessi_utente`` end it at
once. The console's CSRF token is derived from the same session id (``csrf_di_sessione``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

__all__ = ["crea_token", "leggi_token", "chiave_segreta", "csrf_di_sessione"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def chiave_segreta(configured: str | None, var_dir: Path) -> bytes:
    if configured:
        return configured.encode()
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def crea_token(key: bytes, username: str, ruolo: str, *, minuti: int, sid: str, adesso: datetime | None = None) -> str:
    """A signed token of session ``sid`` (see ``archive.utenti.apri_sessione``)."""
    adesso = adesso or datetime.now(timezone.utc)
    payload = {"sub": username, "ruolo": ruolo, "sid": sid,
               "exp": int((adesso + timedelta(minutes=minuti)).timestamp())}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    sig = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{sig}"


def leggi_token(key: bytes, token: str, *, adesso: datetime | None = None) -> dict | None:
    """The payload of a valid, unexpired token; None for anything else."""
    body, _, sig = token.partition(".")
    if not body or not sig:
        return None
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, sig):
        return None
    try:
        payload = json.loads(_unb64(body))
    except (ValueError, json.JSONDecodeError):
        return None
    adesso = adesso or datetime.now(timezone.utc)
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int) or payload["exp"] < adesso.timestamp():
        return None
    if not isinstance(payload.get("sub"), str) or not isinstance(payload.get("sid"), str):
        return None  # tokens of earlier versions carry no session: not accepted
    return payload


def csrf_di_sessione(key: bytes, sid: str) -> str:
    """The CSRF token of a console session: bound to it, useless with any other cookie."""
    return _b64(hmac.new(key, b"csrf:" + sid.encode(), hashlib.sha256).digest())
