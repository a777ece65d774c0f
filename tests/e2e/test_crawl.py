"""Every console link, per role, as the demo serves it (``curit-docs serve --demo``, the module
server of ``test_console``): no raw JSON page, no 5xx, Italian pages (``lang="it"``) without
common English words; forbidden and unknown pages are styled Italian pages."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.e2e.test_console import server  # noqa: F401 - module fixture: the real server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

RUOLI = ("ente.mantova", "ispettore.mantova", "archivista.mantova", "admin", "cait.mantova", "manutentore.rossi")
INGLESE = re.compile(r"\b(Not Found|Forbidden|Internal Server Error|Method Not Allowed|Unauthorized|Submit|Loading|"
                     r"Details|Download|Search|Login|Logout|Error|Settings|Cancel|Delete|Next|Previous)\b")
SALTA = ("/console/esci", "/pdf", "/file/", "/console/moduli/", "/precompilato/", "/console/posta")
"""Downloads (PDF, CSV) and logout are not pages."""


class _Link(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.href: list[str] = []
        self.testo: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            h = dict(attrs).get("href")
            if h:
                self.href.append(h)
        self._script = tag in ("script", "style")

    def handle_endtag(self, tag):
        self._script = False

    def handle_data(self, data):
        if not self._script:
            self.testo.append(data)


def _entra(url: str, username: str) -> httpx.Client:
    c = httpx.Client(base_url=url, timeout=120, follow_redirects=False)
    pagina = c.get("/console/accesso")
    csrf = re.search(r'name="csrf" value="([^"]+)"', pagina.text).group(1)
    r = c.post("/console/accesso", data={"username": username, "password": "curit-demo", "csrf": csrf},
               headers={"Origin": url})
    assert r.status_code == 303, r.text
    return c


def _visibile(testo: str) -> str:
    p = _Link()
    p.feed(testo)
    return " ".join(p.testo)


@pytest.mark.parametrize("username", RUOLI)
def test_ogni_link_della_console(server: str, username: str) -> None:  # noqa: F811
    c = _entra(server, username)
    visti: set[str] = set()
    coda = deque(["/"])
    problemi: list[str] = []
    while coda and len(visti) < 120:
        path = coda.popleft()
        if path in visti:
            continue
        visti.add(path)
        r = c.get(path, follow_redirects=True)
        tipo = r.headers.get("content-type", "")
        if r.status_code >= 500:
            problemi.append(f"{path}: {r.status_code}")
        if "json" in tipo or r.text.lstrip().startswith('{"errori"'):
            problemi.append(f"{path}: JSON")
            continue
        if "text/html" not in tipo:
            continue
        if '<html lang="it">' not in r.text:
            problemi.append(f"{path}: lang")
        inglese = INGLESE.findall(_visibile(r.text))
        if inglese:
            problemi.append(f"{path}: inglese {sorted(set(inglese))}")
        parser = _Link()
        parser.feed(r.text)
        for h in parser.href:
            assoluto = urljoin(server + path, h)
            parti = urlsplit(assoluto)
            if not assoluto.startswith(server) or parti.fragment and not parti.path:
                continue
            nuovo = parti.path + (f"?{parti.query}" if parti.query else "")
            if nuovo.startswith(("/console", "/")) and not any(s in nuovo for s in SALTA) \
                    and not nuovo.startswith(("/docs", "/static", "/openapi", "/redoc")):
                coda.append(nuovo)
    assert len(visti) > 3, visti
    assert not problemi, problemi
    # unknown and forbidden pages: styled Italian pages, never JSON
    for path in ("/console/non-esiste", "/console/documento/non-esiste"):
        r = c.get(path)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), (path, r.text[:300])
        assert 'class="alert alert-danger"' in r.text and '"errori"' not in r.text
    c.close()


def test_pagine_di_errore_senza_sessione(server: str) -> None:  # noqa: F811
    r = httpx.get(f"{server}/console/pagina-inesistente")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html") and "Pagina non trovata" in r.text
    assert httpx.get(f"{server}/archivio/documenti").headers["content-type"].startswith("application/json")
    assert httpx.get(f"{server}/favicon.ico", follow_redirects=True).headers["content-type"].startswith("image/svg")
