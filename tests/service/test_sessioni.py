"""Sessions and production-safe defaults, through the API and the console (TestClient, both databases).

Each test reproduces a finding: a token that outlived "Esci", a CSRF token not tied to the
session, no Origin check, unaudited failed logins, demo users on a plain start, uploads signed
by any Ente or CAIT user.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive.db import make_engine, session_scope
from archive.utenti import Audit, Utente
from service.api import create_app
from service.demo import DEMO_PASSWORD
from service.settings import Settings

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _csrf(html: str) -> str:
    return CSRF.search(html).group(1)


def _console_login(c: TestClient, username: str = "ente.mantova", password: str = DEMO_PASSWORD) -> str:
    """Log into the console; returns the session's CSRF token (from the home page)."""
    r = c.post("/console/accesso", data={"username": username, "password": password,
                                         "csrf": _csrf(c.get("/console/accesso").text)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return _csrf(c.get("/").text)


def _audit(db_url: str, azione: str) -> list[Audit]:
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            return list(s.scalars(select(Audit).where(Audit.azione == azione).order_by(Audit.id)))
    finally:
        engine.dispose()


# -- logout ---------------------------------------------------------------------------------------


def test_api_logout_revokes_the_token_and_only_that_session(client, login) -> None:
    first, second = login("cait.mantova"), login("cait.mantova")
    assert client.post("/auth/esci", headers=first).status_code == 204
    assert client.get("/auth/io", headers=first).status_code == 401
    assert client.post("/auth/esci", headers=first).status_code == 401
    assert client.get("/auth/io", headers=second).json()["username"] == "cait.mantova"


def test_console_logout_revokes_the_cookie_and_its_copies(client) -> None:
    csrf = _console_login(client)
    rubato = client.cookies.get("curit_sessione")
    assert client.get("/auth/io", headers={"Authorization": f"Bearer {rubato}"}).status_code == 200
    r = client.post("/console/esci", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/accesso"
    client.cookies.set("curit_sessione", rubato)  # a copy taken before "Esci"
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/accesso"
    assert client.get("/console/archivio", follow_redirects=False).status_code == 303
    assert client.get("/auth/io", headers={"Authorization": f"Bearer {rubato}"}).status_code == 401


# -- CSRF and Origin --------------------------------------------------------------------------------


def test_a_revoked_session_cookie_falls_back_to_the_page_token(client, api_settings) -> None:
    """A session ended elsewhere (deactivation, revocation) leaves a signed cookie behind: the pages
    the browser then gets are anonymous, and their forms must still be accepted."""
    from archive.utenti import revoca_accessi_utente

    _console_login(client)
    engine = make_engine(api_settings.db_url)
    with session_scope(engine) as s:
        revoca_accessi_utente(s, "ente.mantova")
    engine.dispose()
    pagina = client.get("/console/accesso").text
    r = client.post("/console/esci", data={"csrf": _csrf(pagina)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/accesso"
    assert "curit_sessione" not in client.cookies


def test_csrf_token_is_bound_to_the_session(client) -> None:
    anonimo = _csrf(client.get("/console/accesso").text)
    primo = _console_login(client)
    assert primo != anonimo
    assert client.post("/console/esci", data={"csrf": anonimo}, follow_redirects=False).status_code == 403
    vecchio = primo
    secondo = _console_login(client, "cait.mantova")  # a new session: the old token is worthless
    assert secondo != vecchio
    r = client.post("/console/esci", data={"csrf": vecchio}, follow_redirects=False)
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "Sessione del modulo scaduta: ricaricare la pagina" in r.text and "bootstrap-italia" in r.text
    assert client.get("/", follow_redirects=False).status_code == 200  # still logged in
    assert client.post("/console/esci", data={"csrf": secondo}, follow_redirects=False).status_code == 303


@pytest.mark.parametrize("intestazioni", [{"Origin": "https://attacker.example"},
                                          {"Referer": "https://attacker.example/pagina"},
                                          {"Origin": "null"}])
def test_cross_origin_console_post_is_refused_with_a_styled_page(tmp_path: Path, intestazioni) -> None:
    """A header check, not a database one: SQLite only."""
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'c.db'}", var_dir=tmp_path / "var", secret_key="s", demo=True)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        csrf = _console_login(c)
        r = c.post("/console/esci", data={"csrf": csrf}, headers=intestazioni, follow_redirects=False)
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
        assert "inviato da un altro sito" in r.text and "bootstrap-italia" in r.text
        assert c.get("/", follow_redirects=False).status_code == 200  # the refused logout did nothing
        login = c.post("/console/accesso", data={"username": "ente.mantova", "password": DEMO_PASSWORD,
                                                 "csrf": _csrf(c.get("/console/accesso").text)},
                       headers=intestazioni, follow_redirects=False)
        assert login.status_code == 403
        r = c.post("/console/esci", data={"csrf": csrf}, headers={"Origin": "http://testserver",
                                                                  "Referer": "http://testserver/"},
                   follow_redirects=False)
        assert r.status_code == 303


# -- audit ------------------------------------------------------------------------------------------


def test_failed_logins_are_audited_on_api_and_console(client, api_settings) -> None:
    assert client.post("/auth/token", data={"username": "cait.mantova", "password": "sbagliata"}).status_code == 401
    assert client.post("/auth/token", data={"username": "nessuno", "password": "x" * 8}).status_code == 401
    r = client.post("/console/accesso", data={"username": "ente.mantova", "password": "sbagliata",
                                              "csrf": _csrf(client.get("/console/accesso").text)})
    assert r.status_code == 401 and "Nome utente o password non corretti." in r.text
    falliti = _audit(api_settings.db_url, "accesso.fallito")
    assert [(a.utente, a.esito, a.origine, a.dettagli["canale"]) for a in falliti] == [
        ("cait.mantova", "negato", "testclient", "api"), ("nessuno", "negato", "testclient", "api"),
        ("ente.mantova", "negato", "testclient", "console")]
    assert all("sbagliata" not in str(a.dettagli) for a in falliti)
    _console_login(client)
    assert [a.utente for a in _audit(api_settings.db_url, "accesso")] == ["ente.mantova"]


def test_revoca_accessi_utente_ends_sessions_and_keys_but_not_the_account(client, login, api_settings) -> None:
    from archive.utenti import revoca_accessi_utente

    headers = login("cait.mantova")
    key = client.post("/auth/api-keys", json={}, headers=headers).json()["api_key"]
    engine = make_engine(api_settings.db_url)
    with session_scope(engine) as s:
        assert revoca_accessi_utente(s, "cait.mantova") == 2
        assert revoca_accessi_utente(s, "sconosciuto") == 0
    engine.dispose()
    assert client.get("/auth/io", headers=headers).status_code == 401
    assert client.get("/auth/io", headers={"X-API-Key": key}).status_code == 401
    assert client.get("/auth/io", headers=login("cait.mantova")).status_code == 200


# -- production defaults ----------------------------------------------------------------------------


def test_plain_start_creates_no_demo_users_and_shows_no_banner(db_url: str, tmp_path: Path) -> None:
    settings = Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="s", identita_dir=tmp_path / "identita")
    assert settings.demo is False  # the production default
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        assert c.post("/auth/token", data={"username": "admin", "password": DEMO_PASSWORD}).status_code == 401
        assert "DEMO" not in c.get("/console/accesso").text
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        assert s.scalars(select(Utente)).all() == []
    engine.dispose()
    assert not (tmp_path / "identita").exists()
    with TestClient(create_app(settings.model_copy(update={"demo": True})), raise_server_exceptions=False) as c:
        pagina = c.get("/console/accesso").text
        assert "<strong>DEMO</strong>" in pagina and "curit-demo" in pagina


def test_first_admin_from_the_cli_then_users_and_permissions(db_url: str, tmp_path: Path, cli_locale) -> None:
    env = {"CURIT_DB_URL": db_url, "CURIT_VAR_DIR": str(tmp_path / "var")}
    r = cli_locale("utenti", "crea", "admin", "--ruolo", "admin", "--password-stdin", env=env,
                   stdin="una-password-lunga\n")
    assert r.returncode == 0 and "Utente admin creato" in r.stdout, r.stderr
    r = cli_locale("utenti", "crea", "ente.bg", "--ruolo", "ente", "--password-stdin", env=env, stdin="password-ente\n")
    assert r.returncode == 1 and "richiede l'Ente (--ente" in r.stderr
    r = cli_locale("utenti", "crea", "ente.bg", "--ruolo", "ente", "--ente", "provincia-atlantide", "--password-stdin",
                   env=env, stdin="password-ente\n")
    assert r.returncode == 1 and "Ente sconosciuto: provincia-atlantide" in r.stderr
    r = cli_locale("utenti", "crea", "ente.mn", "--ruolo", "ente", "--ente", "provincia-mantova", "--password-stdin",
                   env=env, stdin="corta\n")
    assert r.returncode == 1 and "almeno 8 caratteri" in r.stderr
    r = cli_locale("utenti", "crea", "admin", "--ruolo", "admin", "--password-stdin", env=env, stdin="altra-password\n")
    assert r.returncode == 1 and "già in uso" in r.stderr
    assert cli_locale("utenti", "crea", "ente.mn", "--ruolo", "ente", "--ente", "provincia-mantova", "--password-stdin",
                      env=env, stdin="password-ente\n").returncode == 0
    assert "firma_pdf" in cli_locale("utenti", "permesso", "ente.mn", "firma_pdf", env=env).stdout
    assert cli_locale("utenti", "permesso", "ente.mn", "tutto", env=env).returncode == 1
    righe = cli_locale("utenti", "elenco", env=env).stdout.splitlines()
    assert len(righe) == 2 and '"permessi": ["firma_pdf"]' in righe[1] and "password" not in "".join(righe)

    settings = Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="s")
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        r = c.post("/auth/token", data={"username": "admin", "password": "una-password-lunga"})
        assert r.status_code == 200
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert c.get("/auth/io", headers=headers).json()["ruolo"] == "admin"
        assert cli_locale("utenti", "disattiva", "admin", env=env).returncode == 0
        assert c.get("/auth/io", headers=headers).status_code == 401
        assert c.post("/auth/token", data={"username": "admin", "password": "una-password-lunga"}).status_code == 401


def test_start_up_notices_say_what_production_lacks(tmp_path: Path) -> None:
    from service.utenti import avvisi_avvio

    settings = Settings(db_url=f"sqlite:///{tmp_path / 'c.db'}", var_dir=tmp_path / "var",
                        identita_dir=tmp_path / "identita")
    avvisi = avvisi_avvio(settings)
    assert len(avvisi) == 3
    assert "curit-docs utenti crea admin --ruolo admin" in avvisi[0]
    assert "Nessuna identità di firma" in avvisi[1] and "chiave.pem" in avvisi[1]
    assert "CURIT_TRUST_ROOTS" in avvisi[2]
    assert not (tmp_path / "identita").exists()
    assert avvisi_avvio(settings.model_copy(update={"demo": True})) == []


# -- signing uploads ---------------------------------------------------------------------------------


def _pdf() -> bytes:
    import pikepdf

    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def _identita_firma(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from service.identita import crea_identita_demo, nome_identita

    base = tmp_path_factory.mktemp("identita-firma")
    crea_identita_demo(nome_identita("ente", "provincia-mantova"), base)
    crea_identita_demo(nome_identita("ente", "comune-brescia"), base)
    return base


def test_signing_an_upload_needs_the_permission_and_is_audited_with_its_hash(db_url: str, tmp_path: Path,
                                                                             _identita_firma: Path) -> None:
    from archive.objectstore import sha256_hex

    settings = Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="s", demo=True,
                        identita_dir=_identita_firma)
    pdf = _pdf()
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        def headers(u: str) -> dict[str, str]:
            tok = c.post("/auth/token", data={"username": u, "password": DEMO_PASSWORD}).json()["access_token"]
            return {"Authorization": f"Bearer {tok}"}

        brescia = headers("ente.brescia")  # an Ente user without firma_pdf: its key signs nothing uploaded
        r = c.post("/firma", files={"file": ("x.pdf", pdf, "application/pdf")}, headers=brescia)
        assert r.status_code == 403 and "firma_pdf" in r.json()["errori"][0]["messaggio"]
        assert c.get("/firma/identita", headers=brescia).json()["permesso_firma_pdf"] is False

        r = c.post("/firma", files={"file": ("x.pdf", pdf, "application/pdf")}, headers=headers("ente.mantova"))
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
    firme = _audit(db_url, "firma.firma")
    assert [(a.utente, a.esito) for a in firme] == [("ente.brescia", "negato"), ("ente.mantova", "ok")]
    assert firme[1].dettagli["sha256_in"] == sha256_hex(pdf)
    assert firme[1].dettagli["sha256"] == sha256_hex(r.content)


def test_demo_depends_on_service_functions_not_on_the_api() -> None:
    """The demo used to reach into an API route module (an import circle service → api → service)."""
    import subprocess
    import sys

    code = "import sys, service.demo; print(any(m.startswith('service.api') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sessions_long_expired_are_purged_at_the_next_login(engine) -> None:
    from datetime import datetime, timedelta, timezone

    from archive.utenti import Sessione, apri_sessione, crea_utente

    with session_scope(engine) as s:
        u = crea_utente(s, "op.prova", "password-lunga", "archivista", ente_id="provincia-mantova")
        vecchia = apri_sessione(s, u, minuti=30, canale="api",
                                adesso=datetime.now(timezone.utc) - timedelta(days=2)).id
        recente = apri_sessione(s, u, minuti=30, canale="api",
                                adesso=datetime.now(timezone.utc) - timedelta(hours=2)).id
    with session_scope(engine) as s:
        nuova = apri_sessione(s, s.scalar(select(Utente).where(Utente.username == "op.prova")), minuti=30,
                              canale="console").id
    with session_scope(engine) as s:
        assert set(s.scalars(select(Sessione.id))) == {recente, nuova} and vecchia != recente


def test_an_origin_listed_in_the_settings_is_accepted(tmp_path: Path) -> None:
    """Behind a proxy that rewrites Host, the public origin is configured (CURIT_ORIGINI_CONSOLE)."""
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'c.db'}", var_dir=tmp_path / "var", secret_key="s", demo=True,
                        origini_console=("https://curit.example.it",))
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        csrf = _console_login(c)
        r = c.post("/console/esci", data={"csrf": csrf}, headers={"Origin": "https://curit.example.it"},
                   follow_redirects=False)
        assert r.status_code == 303
