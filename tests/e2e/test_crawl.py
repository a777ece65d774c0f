"""Every console link, per role, as the demo serves it (``curit-docs serve --demo``, the module
server of tests/e2e/conftest.py): no raw JSON page, no 5xx, Italian pages (``lang="it"``) without
common English words; forbidden and unknown pages are styled Italian pages."""

from __future__ import annotations

import json
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.e2e.conftest import AXE, WCAG

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


def _crawl(c: httpx.Client, server: str) -> tuple[list[str], list[str]]:
    """Every console page reachable by links from ``/``: (HTML pages seen, problems found)."""
    visti: set[str] = set()
    pagine: list[str] = []
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
        pagine.append(path)
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
    return pagine, problemi


@pytest.mark.parametrize("username", RUOLI)
def test_ogni_link_della_console(server: str, username: str) -> None:
    c = _entra(server, username)
    visti, problemi = _crawl(c, server)
    assert len(visti) > 3, visti
    assert not problemi, problemi
    # unknown and forbidden pages: styled Italian pages, never JSON
    for path in ("/console/non-esiste", "/console/documento/non-esiste"):
        r = c.get(path)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), (path, r.text[:300])
        assert 'class="alert alert-danger"' in r.text and '"errori"' not in r.text
    c.close()


def test_pagine_di_errore_senza_sessione(server: str) -> None:
    r = httpx.get(f"{server}/console/pagina-inesistente")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html") and "Pagina non trovata" in r.text
    assert httpx.get(f"{server}/archivio/documenti").headers["content-type"].startswith("application/json")
    assert httpx.get(f"{server}/favicon.ico", follow_redirects=True).headers["content-type"].startswith("image/svg")


def _forma(path: str) -> str:
    """A page's route, ids and query left out: one axe run per kind of page."""
    return "/".join("*" if re.search(r"\d", p) or len(p) > 24 else p for p in urlsplit(path).path.split("/"))


@pytest.mark.parametrize("username", RUOLI)
def test_accessibilita_di_ogni_pagina(server: str, browser, username: str) -> None:
    """Every kind of page the crawl reaches passes axe-core's WCAG 2.1 A/AA rules in Chromium, and
    every file input has an Italian label and an Italian help text (Chromium's own "Choose File"
    button text is the browser's, not the page's)."""
    c = _entra(server, username)
    pagine, _ = _crawl(c, server)
    c.close()
    forme: dict[str, str] = {}
    for p in pagine:
        forme.setdefault(_forma(p), p)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    page.goto(server + "/console/accesso")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill("curit-demo")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(server + "/")
    problemi: dict[str, object] = {}
    for path in forme.values():
        page.goto(server + path)
        page.add_script_tag(path=str(AXE))
        violazioni = page.evaluate("""async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({id: v.id, help: v.help,
                                           nodi: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""", WCAG)
        file_senza_aiuto = page.evaluate("""() => [...document.querySelectorAll('input[type=file]')].filter(i => {
            const label = i.labels && i.labels.length ? i.labels[0].innerText.trim() : '';
            const aiuto = (i.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)
                .map(id => document.getElementById(id)).filter(Boolean).map(e => e.innerText.trim()).join(' ');
            return !label || !aiuto;
        }).map(i => i.name || i.id)""")
        if violazioni or file_senza_aiuto:
            problemi[path] = {"axe": violazioni, "file senza etichetta o aiuto": file_senza_aiuto}
    context.close()
    assert len(forme) > 2, forme
    assert not problemi, json.dumps(problemi, ensure_ascii=False, indent=1)
