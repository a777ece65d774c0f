"""Web console: server-rendered Jinja2 pages in Italian with the Bootstrap Italia look.

- Login form → the API's bearer token in an ``HttpOnly; SameSite=Strict`` cookie (``Secure``
  over HTTPS); the token is the same short-lived HMAC token as ``/auth/token``.
- Every POST form carries a CSRF token checked against a second ``SameSite=Strict`` cookie
  (double submit); SameSite alone already blocks cross-site posts in current browsers.
- Static files: ``bootstrap-italia.min.css`` (BSD-3, vendored from the npm package
  ``bootstrap-italia`` 2.18.3 with its licence), ``console.css``/``console.js``, and the Titillium
  Web TTFs of ``fonts/`` via ``@font-face``. No CDN, no external fetch.

The routes live in ``service/api/routes/console.py``; this package holds the templates, the
static files and the cookie/CSRF mechanics.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.utenti import Utente
from service.api.deps import AppState, Principal
from service.auth import leggi_token

__all__ = ["COOKIE_TOKEN", "COOKIE_CSRF", "STATIC_DIR", "pagina", "utente_da_cookie", "csrf_valido", "nuovo_csrf",
           "imposta_cookie", "Voce", "menu_per"]

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
COOKIE_TOKEN = "curit_sessione"
COOKIE_CSRF = "curit_csrf"

RUOLI_IT = {"ente": "Ente", "cait": "CAIT", "manutentore": "Manutentore", "archivista": "Archivista",
            "ispettore": "Ispettore", "admin": "Amministratore"}


@dataclass(frozen=True)
class Voce:
    """One entry of the navigation and of the home page."""

    url: str
    titolo: str
    descrizione: str


_VOCI = {
    "archivio": Voce("/console/archivio", "Archivio", "Cerca documenti, scaricali verificati, trova l'originale cartaceo."),
    "verifica": Voce("/console/verifica", "Verifica un PDF", "Controlla firma e impronta di un documento ricevuto."),
    "richieste": Voce("/console/richieste", "Originali cartacei", "Richieste di originali: scadenze e ritardi."),
    "lavori": Voce("/console/lavori", "Stampe massive", "Targhe degli impianti dell'Ente: avvia e segui i lavori."),
    "manutentore": Voce("/console/manutentore", "Moduli", "Rapporti precompilati dal catasto e moduli compilati."),
    "cait": Voce("/console/cait", "Sportello CAIT", "Etichette in conto vendita e distinte."),
}
_MENU = {
    "admin": ("archivio", "verifica", "richieste", "lavori"),
    "ente": ("archivio", "verifica", "richieste", "lavori"),
    "archivista": ("archivio", "verifica", "richieste"),
    "ispettore": ("archivio", "verifica"),
    "cait": ("cait", "archivio", "richieste", "verifica"),
    "manutentore": ("manutentore", "archivio", "verifica"),
}


def menu_per(ruolo: str) -> list[Voce]:
    return [_VOCI[k] for k in _MENU.get(ruolo, ())]


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["data_it"] = lambda v: f"{v[8:10]}/{v[5:7]}/{v[0:4]}" if isinstance(v, str) and len(v) >= 10 else (v or "")
    env.globals["RUOLI_IT"] = RUOLI_IT
    return env


def pagina(request: Request, nome: str, *, utente: Principal | None, titolo: str, status: int = 200,
           **contesto: Any) -> HTMLResponse:
    """Render ``templates/<nome>.html.j2`` inside the site layout (CSRF token refreshed in a cookie)."""
    csrf = request.cookies.get(COOKIE_CSRF) or nuovo_csrf()
    html = _env().get_template(f"{nome}.html.j2").render(
        utente=utente, titolo=titolo, csrf=csrf, menu=menu_per(utente.ruolo) if utente else [],
        percorso=request.url.path, **contesto)
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(COOKIE_CSRF) != csrf:
        imposta_cookie(request, response, COOKIE_CSRF, csrf, max_age=None)
    return response


def nuovo_csrf() -> str:
    return secrets.token_urlsafe(24)


def csrf_valido(request: Request, valore: str | None) -> bool:
    atteso = request.cookies.get(COOKIE_CSRF)
    return bool(atteso and valore and hmac.compare_digest(atteso, valore))


def imposta_cookie(request: Request, response: Any, nome: str, valore: str, *, max_age: int | None) -> None:
    response.set_cookie(nome, valore, max_age=max_age, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")


def utente_da_cookie(request: Request, state: AppState, session: Session) -> Principal | None:
    """The user of a valid, unexpired session cookie (re-read from the database), else None."""
    token = request.cookies.get(COOKIE_TOKEN)
    payload = leggi_token(state.key, token) if token else None
    if payload is None:
        return None
    user = session.scalar(select(Utente).where(Utente.username == payload["sub"]))
    return Principal.of(user) if user is not None and user.attivo else None
