"""API fixtures: an app bound to the per-test database, and a logged-in client factory;
``console``: the web console of that app used as a browser does;
``cli_locale``: the ``curit-docs`` command run in this process."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from service.settings import Settings


@pytest.fixture(scope="session")
def _identita_api(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Demo signing identities for API tests: created once per session, never in the checkout."""
    return tmp_path_factory.mktemp("identita-api")


@pytest.fixture(scope="session")
def stampa_cache() -> Path:
    """``stampa_cache_dir`` of the API tests: the run's one folder of compiled blank layouts (tests/conftest.py),
    keyed by the content of template and fonts (renderers.stamp), holding no test data; in production
    var/cache/stampa outlives every request too. With a per-test ``var/`` each test compiled every layout
    again (WeasyPrint)."""
    return Path(os.environ["CURIT_STAMPA_CACHE_DIR"])


@pytest.fixture
def api_settings(db_url: str, tmp_path, _identita_api: Path, stampa_cache: Path) -> Settings:
    return Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret", demo=True,
                    identita_dir=_identita_api, stampa_cache_dir=stampa_cache)


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


class Console:
    """The web console of a ``TestClient`` app, used as a browser uses it: the login form, the CSRF token
    read off the page that shows a form, same-origin posts (the app refuses cross-origin ones)."""

    ORIGIN = {"Origin": "http://testserver"}
    _CSRF = re.compile(r'name="csrf" value="([^"]+)"')

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def su(self, client: TestClient) -> Console:
        """The same helpers on another ``TestClient`` (an app a test builds with settings of its own)."""
        return Console(client)

    @classmethod
    def csrf(cls, html: str) -> str:
        """The CSRF token of the form on a page."""
        trovato = cls._CSRF.search(html)
        assert trovato is not None, html[:2000]
        return trovato.group(1)

    def entra(self, username: str, password: str | None = None) -> None:
        """Log in through ``/console/accesso`` as a fresh browser would (cookies cleared first)."""
        from service.demo import DEMO_PASSWORD

        self.client.cookies.clear()
        pagina = self.client.get("/console/accesso")
        r = self.client.post("/console/accesso", headers=self.ORIGIN, follow_redirects=False,
                             data={"username": username, "password": password or DEMO_PASSWORD,
                                   "csrf": self.csrf(pagina.text)})
        assert r.status_code == 303, r.text

    def post(self, url: str, dati: dict, pagina: str, files: dict | None = None):
        """Submit ``dati`` to ``url`` with the CSRF token of ``pagina`` (the page showing the form); no redirect followed."""
        return self.client.post(url, data={**dati, "csrf": self.csrf(self.client.get(pagina).text)}, files=files,
                                headers=self.ORIGIN, follow_redirects=False)


@pytest.fixture
def console(client: TestClient) -> Console:
    """``console.entra("ente.mantova")``, ``console.post(url, dati, pagina)``, ``console.csrf(html)``,
    ``console.ORIGIN`` on the ``client`` app."""
    return Console(client)


_DEFAULT_DI_TEST = ("CURIT_FIRMA_OUTPUT", "CURIT_DEMO_DOCUMENTI")
"""Set for the whole suite by tests/conftest.py; a CLI call keeps them unless its ``env`` says otherwise."""


@pytest.fixture
def cli_locale(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``curit-docs …`` in this process: the same ``service.cli.main`` (commands, Italian error mapping,
    exit codes, stdout/stderr) as the console script, without ~2 s of imports per call.

    ``env`` replaces every ``CURIT_*`` variable, as a fresh process started with it would see them,
    except the suite-wide test defaults of tests/conftest.py (no signing unless asked, no demo
    documents) unless ``env`` names them; ``stdin`` feeds ``-``; ``cwd`` is the working directory. Each test file keeps at least one real
    console-script call where the installed entry point and its exit code are the point.
    """
    from service.cli import app, main
    from service.identita import svuota_cache
    from service.settings import get_settings

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        for key in [k for k in os.environ if k.startswith("CURIT_") and k not in _DEFAULT_DI_TEST]:
            monkeypatch.delenv(key)
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        if cwd is not None:
            monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["curit-docs", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        registered = (list(app.registered_commands), list(app.registered_groups))
        get_settings.cache_clear()
        svuota_cache()
        capsys.readouterr()
        try:
            main()  # loads the commands into the shared app, like every fresh process does
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            app.registered_commands[:], app.registered_groups[:] = registered
            get_settings.cache_clear()
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["curit-docs", *args], code, out, err)

    return run
