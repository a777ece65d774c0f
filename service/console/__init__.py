"""Web console: server-rendered Jinja2 pages in Italian with the Bootstrap Italia look.

- Login form → the API's bearer token in an ``HttpOnly; SameSite=Strict`` cookie (``Secure``
  over HTTPS); the token is the same short-lived HMAC token of a server-side session as
  ``/auth/token``: "Esci" revokes the session, so a copied cookie dies with it.
- Every POST form carries a CSRF token bound to the session (an HMAC of the session id,
  ``service.auth.csrf_di_sessione``); only the login form, which has no session yet, uses a
  double-submit cookie. Every state-changing console request also has its ``Origin`` (or,
  without it, ``Referer``) checked against the request's own host (``controlla_origine``):
  a cross-origin post gets a styled Italian 403 page. SameSite stays as a third guard.
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
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from archive.utenti import utente_della_sessione
from service.api.deps import AppState, Principal
from service.auth import csrf_di_sessione, leggi_token

__all__ = ["COOKIE_TOKEN", "COOKIE_CSRF", "STATIC_DIR", "pagina", "utente_da_cookie", "csrf_valido", "nuovo_csrf",
           "imposta_cookie", "Voce", "menu_per", "sid_da_cookie", "origine_consentita", "installa", "RifiutoConsole"]

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
    "ispezioni": Voce("/console/ispettore", "Ispezioni", "Avvisi di ispezione e rapporti di prova dell'Ente."),
    "prova": Voce("/console/ispettore/prova", "Prova di combustione",
                  "Le tre prove, η min, CO corretto, Bacharach ed esito 9.a / 9.b calcolati dalle regole."),
    "conservazione": Voce("/console/ente/conservazione", "Conservazione",
                          "Documenti a conservazione terminata, smaltimento confermato, blocchi legali."),
    "manutentore": Voce("/console/manutentore", "Area manutentore",
                        "Impianti, Allegati G e F online e precompilati, etichette e Portafoglio."),
    "cait": Voce("/console/cait", "Servizi CAIT", "I servizi per i CAIT: manutentori, strumenti, operatori, Portafoglio."),
    "sportello": Voce("/console/cait/sportello", "Sportello",
                      "Vendita di etichette, ricevute, dichiarazioni, distinte, trasmissioni, rendiconti."),
}
_MENU = {
    "admin": ("archivio", "verifica", "richieste", "lavori", "conservazione", "ispezioni", "prova"),
    "ente": ("archivio", "verifica", "richieste", "lavori", "conservazione"),
    "archivista": ("archivio", "verifica", "richieste", "conservazione"),
    "ispettore": ("ispezioni", "prova", "archivio", "verifica"),
    "cait": ("cait", "sportello", "archivio", "richieste", "verifica"),
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
    """Render ``templates/<nome>.html.j2`` inside the site layout.

    The forms get the session's CSRF token (set by ``utente_da_cookie``); a page without a
    session (the login form) gets a double-submit token refreshed in a cookie."""
    di_sessione = getattr(request.state, "csrf", None) if utente is not None else None
    csrf = di_sessione or request.cookies.get(COOKIE_CSRF) or nuovo_csrf()
    settings = getattr(request.app.state, "curit_settings", None)
    contesto.setdefault("demo", bool(settings is not None and settings.demo))
    from service.console.nomi import Nomi

    contesto.setdefault("nomi", Nomi(settings, getattr(request.state, "sessione_db", None)))
    html = _env().get_template(f"{nome}.html.j2").render(
        utente=utente, titolo=titolo, csrf=csrf, menu=menu_per(utente.ruolo) if utente else [],
        percorso=request.url.path, **contesto)
    response = HTMLResponse(html, status_code=status)
    if di_sessione is None and request.cookies.get(COOKIE_CSRF) != csrf:
        imposta_cookie(request, response, COOKIE_CSRF, csrf, max_age=None)
    return response


def nuovo_csrf() -> str:
    return secrets.token_urlsafe(24)


def sid_da_cookie(request: Request, key: bytes) -> str | None:
    """The session id inside a signed, unexpired session cookie (open or not: see ``utente_da_cookie``)."""
    token = request.cookies.get(COOKIE_TOKEN)
    payload = leggi_token(key, token) if token else None
    return payload["sid"] if payload is not None else None


def csrf_valido(request: Request, valore: str | None, key: bytes | None = None, *, di_sessione: bool = True) -> bool:
    """The form's CSRF token matches: the session's (``key`` given and a session cookie present), or
    the double-submit cookie (the login form, ``di_sessione=False``, or no session cookie)."""
    sid = sid_da_cookie(request, key) if (key is not None and di_sessione) else None
    atteso = csrf_di_sessione(key, sid) if sid is not None else request.cookies.get(COOKIE_CSRF)
    return bool(atteso and valore and hmac.compare_digest(atteso, valore))


def imposta_cookie(request: Request, response: Any, nome: str, valore: str, *, max_age: int | None) -> None:
    response.set_cookie(nome, valore, max_age=max_age, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")


def utente_da_cookie(request: Request, state: AppState, session: Session) -> Principal | None:
    """The user of a valid, unexpired cookie whose session is still open (re-read from the
    database), else None; remembers the session's CSRF token for ``pagina``."""
    token = request.cookies.get(COOKIE_TOKEN)
    payload = leggi_token(state.key, token) if token else None
    if payload is None:
        return None
    user = utente_della_sessione(session, payload["sid"], payload["sub"])
    if user is None:
        return None
    request.state.csrf = csrf_di_sessione(state.key, payload["sid"])
    request.state.sessione_db = session  # names on the page (service/console/nomi.py) read through it
    return Principal.of(user, payload["sid"])


# -- Origin / Referer of state-changing requests ------------------------------------------------

_SICURI = frozenset({"GET", "HEAD", "OPTIONS"})


def _origine_di(url: str) -> str | None:
    parti = urlsplit(url)
    if not parti.scheme or not parti.netloc:
        return None
    return f"{parti.scheme}://{parti.netloc}".lower()


def origine_consentita(request: Request, extra: tuple[str, ...] = ()) -> bool:
    """A state-changing request comes from our own pages: its ``Origin`` (or, when a browser
    sends none, its ``Referer``) is the request's own scheme and host, or one of ``extra``.
    A request with neither header (a non-browser client) is left to the CSRF token."""
    dichiarata = request.headers.get("origin")
    if dichiarata is None:
        referer = request.headers.get("referer")
        if referer is None:
            return True
        dichiarata = _origine_di(referer) or "null"
    dichiarata = dichiarata.strip().lower()
    propria = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}".lower()
    return dichiarata == propria or dichiarata in {o.rstrip("/").lower() for o in extra}


class RifiutoConsole(Exception):
    """A console request refused before its handler ran (e.g. a stale CSRF token): a styled page."""

    def __init__(self, messaggio: str, status: int = 403) -> None:
        super().__init__(messaggio)
        self.messaggio, self.status = messaggio, status


def installa(app: Any, settings: Any) -> None:
    """Console guards on an app: the settings ``pagina`` reads (demo banner), the Origin check
    of every non-GET request under ``/console/`` and ``RifiutoConsole`` (styled Italian pages, 403)."""
    app.state.curit_settings = settings

    @app.exception_handler(RifiutoConsole)
    async def _rifiuto(request: Request, exc: RifiutoConsole):
        return pagina(request, "errore", utente=None, titolo="Richiesta rifiutata", status=exc.status,
                      messaggio=exc.messaggio)

    @app.middleware("http")
    async def _controlla_origine(request: Request, call_next):
        if request.method not in _SICURI and request.url.path.startswith("/console/") \
                and not origine_consentita(request, tuple(settings.origini_console)):
            return pagina(request, "errore", utente=None, titolo="Richiesta rifiutata", status=403,
                          messaggio="Richiesta rifiutata: il modulo è stato inviato da un altro sito. Per sicurezza "
                                    "le operazioni della console si eseguono solo dalle sue pagine: aprire la "
                                    "console e riprovare.")
        return await call_next(request)
