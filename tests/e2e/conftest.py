"""The E2E modules' shared parts: one ``curit-docs serve --demo`` per xdist group, Chromium per module,
logins per role.

The server is started as ``make run`` starts it, on an empty ``var/`` (SQLite, embedded SeaweedFS,
in-process batch workers, demo users), with outgoing mail going to a real SMTP server (aiosmtpd on
127.0.0.1) and one filled Allegato G rendered and archived beforehand with the installed
``curit-docs`` (``render``, ``archivia``: real processes). It is started once per test session and
xdist group (the module's ``xdist_group`` mark) and stopped at the end of the session: under
``make test`` (``-n 2 --dist loadgroup``) a group runs on one worker, so each group boots exactly one
server; modules whose steps would change what another module counts (the admin's legal hold and
etichette, the CAIT's day) have a group, and so a server, of their own.

Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright) is launched once per module.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default as politica
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
expect.set_options(timeout=90_000)
"""``expect`` retries until the page shows what is asserted; a step that renders and signs a document on a
loaded CI machine can take far longer than Playwright's 5 s default, and a click does not wait for the next
page to load (reading ``page.content()`` right after one raced the navigation)."""
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
IMG = ROOT / "docs" / "img" if os.environ.get("CURIT_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp(prefix="e2e-"))
"""Screenshots: a temporary folder; with ``CURIT_SCREENSHOTS=1`` they refresh ``docs/img/`` (the README's)."""
AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "curit-demo"
DOC = "g-viadana-2025"
"""The Allegato G archived before the server starts (Provincia di Mantova, CAIT-MN-01)."""
CODICE = "020066IN0000001"


def porta() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(env: dict[str, str], *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The installed ``curit-docs`` console script, as a real process."""
    exe = Path(sys.executable).with_name("curit-docs")
    return subprocess.run([str(exe), *args], env=env, input=stdin, capture_output=True, timeout=300, check=True)


def shot(page, nome: str) -> None:
    """Full-page screenshot ``console-<nome>.png``."""
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / f"console-{nome}.png"), full_page=True)


def token(url: str, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Bearer headers of a user (``POST /auth/token``)."""
    r = httpx.post(f"{url}/auth/token", data={"username": username, "password": password}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class Casella:
    """aiosmtpd handler: every message received, as (recipients, parsed message)."""

    def __init__(self) -> None:
        self.messaggi: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        self.messaggi.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=politica)))
        return "250 OK"


@dataclass
class ServerE2E:
    """A running ``curit-docs serve --demo`` and what the tests read back from it."""

    gruppo: str
    url: str
    base: Path
    db: Path
    """Its SQLite file."""
    pdf: Path | None
    """The Allegato G archived as :data:`DOC` before the start (the bytes in the archive); None when
    the group asked for an archive without it."""
    casella: Casella
    log: Path
    env: dict[str, str] = field(repr=False)

    def token(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        return token(self.url, username, password)


def _avvia(base: Path, gruppo: str, pila: ExitStack, *, con_documento: bool) -> ServerE2E:
    from aiosmtpd.controller import Controller

    casella, smtp_porta = Casella(), porta()
    smtp = Controller(casella, hostname="127.0.0.1", port=smtp_porta)
    smtp.start()
    pila.callback(smtp.stop)
    db = base / "var" / "curit.db"
    env = {**os.environ, "CURIT_VAR_DIR": str(base / "var"), "CURIT_DB_URL": f"sqlite:///{db}",
           "CURIT_SECRET_KEY": f"e2e-{gruppo}", "CURIT_BATCH_DIR": str(base / "var" / "lavori"),
           "CURIT_SMTP_HOST": "127.0.0.1",
           "CURIT_SMTP_PORT": str(smtp_porta), "CURIT_SMTP_TLS": "nessuno",
           "CURIT_POSTA_MITTENTE": "CURIT <noreply@curit.example.it>"}
    for k in ("CURIT_S3_ENDPOINT", "CURIT_S3_ACCESS_KEY", "CURIT_S3_SECRET_KEY", "CURIT_DEMO"):
        env.pop(k, None)
    # CURIT_STAMPA_CACHE_DIR is the run's one folder of compiled layouts (tests/conftest.py): the first
    # server compiles them cold, the others load them (var/ itself starts empty for every server)
    if con_documento:
        from service.registry import get_document_type

        (base / "g.json").write_text(json.dumps(get_document_type("allegato-g").example(), default=str))
        cli(env, "render", "allegato-g", str(base / "g.json"), "-o", str(base / "g.pdf"))
        cli(env, "archivia", str(base / "g.pdf"), "--ente", "provincia-mantova", "--cait", "CAIT-MN-01",
            "--codice", CODICE, "--id", DOC)
    log = base / "serve.log"
    scritto = pila.enter_context(log.open("wb"))
    proc = subprocess.Popen([str(Path(sys.executable).with_name("curit-docs")), "serve", "--demo", "--port",
                             str(p := porta())], env=env, stdout=scritto, stderr=subprocess.STDOUT)

    def ferma() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    pila.callback(ferma)
    url = f"http://127.0.0.1:{p}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/salute", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise AssertionError(log.read_text())
        time.sleep(0.2)
    else:
        raise AssertionError("server did not start: " + log.read_text()[-2000:])
    return ServerE2E(gruppo, url, base, db, base / "g.pdf" if con_documento else None, casella, log, env)


@pytest.fixture(scope="session")
def server_del_gruppo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], ServerE2E]]:
    """``server_del_gruppo(group, con_documento=True)`` → the group's server, started on first use (with
    :data:`DOC` archived beforehand unless ``con_documento=False``), all stopped at the end of the session."""
    avviati: dict[str, ServerE2E] = {}
    falliti: dict[str, BaseException] = {}
    with ExitStack() as pila:
        def server_del_gruppo(gruppo: str, *, con_documento: bool = True) -> ServerE2E:
            if gruppo in falliti:  # one failed start per group, not one per test
                raise falliti[gruppo]
            if gruppo not in avviati:
                try:
                    avviati[gruppo] = _avvia(tmp_path_factory.mktemp(f"serve-{gruppo}"), gruppo, pila,
                                             con_documento=con_documento)
                except Exception as exc:
                    falliti[gruppo] = exc
                    raise
            if (avviati[gruppo].pdf is not None) != con_documento:
                raise pytest.UsageError(f"group {gruppo}: its modules disagree on the archived Allegato G")
            return avviati[gruppo]

        yield server_del_gruppo


def gruppo_di(request: pytest.FixtureRequest) -> str:
    """The xdist group of the requesting test or module (its ``xdist_group`` mark)."""
    mark = request.node.get_closest_marker("xdist_group")
    if mark is None:
        raise pytest.UsageError(f"{request.node.nodeid}: an E2E module names its xdist_group (one server per group)")
    return str(mark.args[0] if mark.args else mark.kwargs["name"])


@pytest.fixture
def e2e(request: pytest.FixtureRequest, server_del_gruppo) -> ServerE2E:
    """The server of this test's xdist group."""
    return server_del_gruppo(gruppo_di(request))


@pytest.fixture
def server(e2e: ServerE2E) -> str:
    """The base URL of this test's server."""
    return e2e.url


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def entra(browser, server: str):
    """``entra("ente.mantova")`` → a new page of a new browser context, logged in through the console's
    form and on the home page (``entra(user, **new_context_options)``); contexts close after the test."""
    aperti = []

    def _entra(username: str, password: str = PASSWORD, **opzioni):
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, "locale": "it-IT", **opzioni})
        aperti.append(context)
        page = context.new_page()
        page.goto(server + "/console/accesso")
        page.get_by_label("Nome utente").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Accedi").click()
        page.wait_for_url(server + "/")
        return page

    yield _entra
    for context in aperti:
        context.close()


def violazioni_axe(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page (axe vendored under tests/e2e/axe)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodi: v.nodes.slice(0, 4).map(n => n.target.join(' '))}));
    }""", WCAG)


__all__ = ["ARGS", "AXE", "CHROMIUM", "CODICE", "DOC", "IMG", "PASSWORD", "WCAG", "Casella", "ServerE2E", "cli", "gruppo_di",
           "porta", "shot", "token", "violazioni_axe"]
