"""First run: every ``curit-docs`` verb, as the first command on an empty ``CURIT_VAR_DIR``, finds
its database migrated (``archive.db.make_engine`` brings the schema up to date), and no database
failure is ever reported as an unavailable archive.

Each verb runs in-process (``cli_locale``) with its own empty data folder and realistic arguments;
inputs (an example G, a rendered PDF, a distributor file, a blank scan) live outside that folder. The list below
must name every verb of the Typer app: a new verb without a first-run call fails the test.
"""

from __future__ import annotations

import json
import re
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from archive.seaweed import EmbeddedSeaweed

KEY, SECRET = "primo-avvio", "primo-avvio-segreto-0123456789"
ID = "00000000-0000-0000-0000-000000000000"
CAIT, MANUTENTORE, IMPIANTO = "CAIT-MN-01", "MA023456", "020030CT0000001"

DISTRIBUTORE = (
    "ragione_sociale;tipo_toponimo;nome_toponimo;civico;cap;comune;istat;telefono;combustibile;codice_pdr;"
    "consumo_annuo;unita_misura;tipo_contratto;volumetria;codice_fiscale;partita_iva\n"
    "Rossi Mario;VIA;Giuseppe Verdi;41;46019;Viadana;30020066;;METANO;00881234567890;1250,50;MC;E;240;"
    "RSSMRA75C12L826I;\n"
)

# (verb path, arguments after it). Files are relative to the inputs folder (the working directory).
CHIAMATE: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("esempio",), ("allegato-g",)),
    (("schema",), ("allegato-g",)),
    (("render",), ("allegato-g", "g.json", "-o", "g.pdf", "--no-firma")),
    (("estrai",), ("g.pdf",)),
    (("verifica",), ("g.pdf",)),
    (("verifica-stampa",), ("scansione.png",)),
    (("esito",), ("a.json",)),
    (("stagione",), ("2026-03-15",)),
    (("codice", "nuovo"), ("--istat", "020030", "--tipo", "CT")),
    (("codice", "verifica"), (IMPIANTO,)),
    (("ente", "competente"), ("020030",)),
    (("ente", "elenco"), ()),
    (("targhe",), ("targhe.json", "-o", "targhe.pdf")),
    (("batch",), ("targhe", "targhe.json", "-o", "out-batch")),
    (("batch",), ("stato", "20261122-101500-1a2b3c4d")),
    (("batch",), ("targhe", "catasto", "--comune", "020030", "-o", "out-catasto")),
    (("importa-distributore",), ("utenze.csv", "--ente", "provincia-mantova")),
    (("identita", "demo"), ("ente-prova",)),
    (("identita", "elenco"), ()),
    (("firma",), ("g.pdf", "-o", "g-firmato.pdf", "--identita", "ente-prova")),
    (("archivia",), ("g.pdf", "--tipo", "allegato-g", "--codice", IMPIANTO, "--cait", CAIT)),
    (("cerca",), ("--codice", IMPIANTO)),
    (("recupera",), (ID, "-o", "recuperato.pdf")),
    (("scadute",), ()),
    (("smaltisci",), (ID, "--motivo", "prova")),
    (("blocco-legale",), (ID,)),
    (("coda",), ()),
    (("archivio", "controlla"), ()),
    (("archivio", "rinnova-marche"), ("--giorni", "60")),
    (("originali", "dove"), (ID,)),
    (("originali", "registra"), (ID, "--cait", CAIT, "--ricevuto", "2026-10-10")),
    (("originali", "richiedi"), (ID, "--ente", "provincia-mantova")),
    (("originali", "ritardi"), ()),
    (("distinta", "registra"), ("--cait", CAIT, "--manutentore", MANUTENTORE, "--impianto", IMPIANTO,
                                "--tipo", "G", "--data-controllo", "2026-10-05")),
    (("distinta", "chiudi"), ("--cait", CAIT, "--manutentore", MANUTENTORE, "--operatore", "op.ferrari",
                              "-o", "distinta.pdf")),
    (("distinta", "stampa"), ("CAIT-MN-01/2026/000001", "-o", "distinta.pdf")),
    (("trasmissione",), ("CAIT-MN-01/2026/000001", "-d", "lettere")),
    (("ricevuta", "vendita"), ("--cait", CAIT, "--manutentore", MANUTENTORE, "--etichetta", "MN00026G1000001X",
                               "--operatore", "Ferrari Giulia")),
    (("ricevuta", "ricarica"), ("--cait", CAIT, "--manutentore", MANUTENTORE, "--importo", "50,00",
                                "--operatore", "Ferrari Giulia")),
    (("ricevuta", "stampa"), ("CAIT-MN-01/2026/000001", "-o", "ricevuta.pdf")),
    (("rendiconto",), ("--cait", CAIT, "--mese", "2026-01", "-o", "rendiconto.pdf")),
    (("precompila",), (IMPIANTO, "-o", "precompilati.pdf")),
    (("cait", "elenco"), ("strumenti", "--cait", CAIT)),
    (("cait", "scollega"), (MANUTENTORE, "--cait", CAIT, "--email", "ditta@example.it")),
    (("etichette", "genera"), ("--ente", "provincia-mantova", "--tipo", "G", "--quantita", "2", "-o", "et.pdf")),
    (("etichette", "ristampa"), ("--lotto", "1", "-o", "et-copia.pdf")),
    (("etichette", "assegna"), ("--cait", CAIT, "--ente", "provincia-mantova", "MN000-26G1-000001-4")),
    (("etichette", "vendi"), ("MN000-26G1-000001-4", "--cait", CAIT, "--manutentore", MANUTENTORE)),
    (("etichette", "vincola"), ("MN000-26G1-000001-4", "--impianto", IMPIANTO, "--tipo", "G",
                                "--data-controllo", "2026-10-05")),
    (("etichette", "annulla"), ("MN000-26G1-000001-4", "--motivo", "Matrice strappata")),
    (("etichette", "elenco"), ()),
    (("etichette", "rendiconto"), ("--periodo", "2026-01", "--cait", CAIT)),
    (("etichette", "verifica"), ("MN000-26G1-000001-4",)),
    (("utenti", "crea"), ("admin", "--ruolo", "admin", "--password-stdin")),
    (("utenti", "elenco"), ()),
    (("utenti", "permesso"), ("ente.mantova", "firma_pdf")),
    (("utenti", "revoca-accessi"), ("cait.mantova",)),
    (("utenti", "disattiva"), ("cait.mantova",)),
]
LUNGHI = {("serve",), ("worker",)}
"""They do not return: started as real processes by their own tests below."""


def _verbi() -> set[tuple[str, ...]]:
    import typer.main

    from service.cli import _load_commands, app

    registrati = (list(app.registered_commands), list(app.registered_groups))
    try:
        _load_commands()
        radice = typer.main.get_command(app)
    finally:
        app.registered_commands[:], app.registered_groups[:] = registrati

    def visita(cmd, percorso=()):
        if hasattr(cmd, "list_commands"):
            for nome in cmd.list_commands(None):
                yield from visita(cmd.get_command(None, nome), (*percorso, nome))
        else:
            yield percorso

    return set(visita(radice))


def _teste() -> set[str]:
    from alembic.script import ScriptDirectory

    from archive.db import MIGRATIONS_DIR

    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory):
    with EmbeddedSeaweed(tmp_path_factory.mktemp("weed-primo") / "data", KEY, SECRET) as server:
        yield server


def _s3_env(weed: EmbeddedSeaweed) -> dict[str, str]:
    return {"CURIT_S3_ENDPOINT": weed.endpoint, "CURIT_S3_ACCESS_KEY": KEY, "CURIT_S3_SECRET_KEY": SECRET,
            "CURIT_S3_BUCKET": "primo-avvio"}


def test_every_verb_names_a_first_run_call() -> None:
    assert _verbi() - LUNGHI - {verbo for verbo, _ in CHIAMATE} == set()


@pytest.mark.slow
def test_every_verb_as_the_first_command_on_an_empty_data_folder(cli_locale, weed, tmp_path: Path) -> None:
    ingressi = tmp_path / "ingressi"
    ingressi.mkdir()
    (ingressi / "utenze.csv").write_text(DISTRIBUTORE, encoding="utf-8")
    for tipo, nome in (("allegato-g", "g.json"), ("allegato-a", "a.json"), ("targhe", "targhe.json")):
        r = cli_locale("esempio", tipo, env={"CURIT_VAR_DIR": str(tmp_path / "var-esempi")})
        assert r.returncode == 0, r.stderr
        (ingressi / nome).write_text(r.stdout, encoding="utf-8")
    # one plate is enough to open the database and print (the example has 8: ~2 s each for targhe and batch)
    targhe = json.loads((ingressi / "targhe.json").read_text(encoding="utf-8"))
    (ingressi / "targhe.json").write_text(json.dumps(targhe[:1]), encoding="utf-8")
    # a small scan without a code (what g.pdf is too: the contrassegno is opt-in), not 2 rasterised pages
    from PIL import Image

    Image.new("L", (600, 400), 255).save(ingressi / "scansione.png")

    teste, difetti, verbi = _teste(), [], _verbi()
    for n, (verbo, argomenti) in enumerate(CHIAMATE):
        if verbo not in verbi:
            continue
        var = tmp_path / f"var-{n:02d}"
        r = cli_locale(*verbo, *argomenti, env={"CURIT_VAR_DIR": str(var), **_s3_env(weed)}, cwd=ingressi,
                       stdin="una-password-lunga-e-sicura\n")
        uscita = r.stdout + r.stderr
        riga = f"curit-docs {' '.join(verbo + argomenti)} → {r.returncode}: {r.stderr.strip()[-300:]}"
        if (r.returncode not in (0, 1) or "Traceback" in uscita or "non disponibile" in uscita
                or "Usage:" in uscita or "(sqlite3." in uscita or "psycopg" in uscita):
            difetti.append(riga)
        db = var / "curit.db"
        if db.exists():  # whatever opened the database found it (and left it) at the newest schema
            with sqlite3.connect(db) as conn:
                versioni = {v for (v,) in conn.execute("SELECT version_num FROM alembic_version")}
            if versioni != teste:
                difetti.append(f"{riga} · schema {sorted(versioni)} invece di {sorted(teste)}")
    assert difetti == []
    assert (ingressi / "out-batch" / "stampa.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_database_failure_is_never_an_unavailable_archive(cli_locale, tmp_path: Path) -> None:
    """Unreachable (exit 4), schema behind the program (exit 5): each its own Italian message."""
    var = tmp_path / "var"
    giu = cli_locale("batch", "stato", "x", env={"CURIT_VAR_DIR": str(var),
                                                 "CURIT_DB_URL": "postgresql+psycopg://curit@127.0.0.1:9/nessuno"})
    assert giu.returncode == 4, giu.stderr
    assert "Database non raggiungibile" in giu.stderr and "CURIT_DB_URL" in giu.stderr

    assert cli_locale("batch", "stato", "x", env={"CURIT_VAR_DIR": str(var)}).returncode == 1
    with sqlite3.connect(var / "curit.db") as conn:  # a table lost behind the program's back
        conn.execute("DROP TABLE lavori_blocchi")
        conn.execute("DROP TABLE lavori")
    vecchio = cli_locale("batch", "stato", "x", env={"CURIT_VAR_DIR": str(var)})
    assert vecchio.returncode == 5, vecchio.stderr
    assert "schema del database" in vecchio.stderr
    for r in (giu, vecchio):
        assert "non disponibile" not in r.stderr and "Traceback" not in r.stderr


def test_a_database_migrated_by_a_newer_program_is_refused(cli_locale, tmp_path: Path) -> None:
    var = tmp_path / "var"
    assert cli_locale("batch", "stato", "x", env={"CURIT_VAR_DIR": str(var)}).returncode == 1
    with sqlite3.connect(var / "curit.db") as conn:
        conn.execute("INSERT INTO alembic_version VALUES ('9999_futuro')")
    from archive.db import dimentica_schemi

    dimentica_schemi()  # as a new process would: this one has seen the database up to date
    r = cli_locale("batch", "stato", "x", env={"CURIT_VAR_DIR": str(var)})
    assert r.returncode == 5, r.stderr
    assert "più recente" in r.stderr and "9999_futuro" in r.stderr


def test_a_programming_error_is_an_internal_error_with_its_details_logged(cli_locale, tmp_path: Path) -> None:
    """A defect is exit 6 with one Italian line and the traceback in ``var/log/errori.log``;
    a query the database refuses as a defect is an ``ErroreDatabase`` (exit 6), never exit 3."""
    from sqlalchemy import text

    from archive.db import esegui, make_engine, session_scope
    from archive.errors import ErroreDatabase
    from service.cli import app, exit_code_for

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ErroreDatabase) as refused, session_scope(engine) as s:
        esegui(s, text("SELEC 1"))
    engine.dispose()
    assert exit_code_for(refused.value) == 6 and "non disponibile" not in refused.value.message

    @app.command("difetto-di-prova")
    def _difetto() -> None:
        raise ZeroDivisionError("divisione per zero")

    try:
        r = cli_locale("difetto-di-prova", env={"CURIT_VAR_DIR": str(tmp_path / "var")})
    finally:
        app.registered_commands[:] = [c for c in app.registered_commands if c.name != "difetto-di-prova"]
    assert r.returncode == 6
    assert "Errore interno del programma (ZeroDivisionError)" in r.stderr and "Traceback" not in r.stderr
    assert "ZeroDivisionError: divisione per zero" in (tmp_path / "var" / "log" / "errori.log").read_text()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_processes_starting_on_a_new_database_both_find_it_migrated(backend: str, tmp_path: Path) -> None:
    import uuid

    from sqlalchemy import create_engine, text

    from tests.conftest import PG_ADMIN_URL, _pg_url

    nome = f"curit_primo_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'nuovo.db'}"
    else:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{nome}"'))
        url = _pg_url(nome)
    codice = ("import sys; from archive.db import make_engine; from sqlalchemy import text; "
              "e = make_engine(sys.argv[1]); "
              "print(sorted(r[0] for r in e.connect().execute(text('SELECT version_num FROM alembic_version'))))")
    try:
        processi = [subprocess.Popen([sys.executable, "-c", codice, url], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True) for _ in range(2)]
        esiti = [p.communicate(timeout=120) for p in processi]
        for p, (out, err) in zip(processi, esiti):
            assert p.returncode == 0, err
            assert json.loads(out.replace("'", '"')) == sorted(_teste())
    finally:
        if backend == "postgresql":
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{nome}" WITH (FORCE)'))
            admin.dispose()


def _porta_libera() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ambiente_processo(var: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURIT_")}
    env.update({"CURIT_VAR_DIR": str(var), "CURIT_FIRMA_OUTPUT": "0", "CURIT_DEMO_DOCUMENTI": "0", **extra})
    return env


def _ferma(proc: subprocess.Popen) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            return proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.communicate()


@pytest.mark.slow
def test_serve_as_the_first_command_on_an_empty_data_folder(weed, tmp_path: Path) -> None:
    porta = _porta_libera()
    var = tmp_path / "var"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "curit-docs"), "serve", "--port", str(porta), "--processi", "0"],
        env=_ambiente_processo(var, **_s3_env(weed)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stato = None
        for _ in range(120):
            if proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{porta}/openapi.json", timeout=2) as r:
                    stato = r.status
                    break
            except OSError:
                time.sleep(0.5)
    finally:
        out, err = _ferma(proc)
    assert stato == 200, err[-2000:]
    assert "Traceback" not in err and "non disponibile" not in out + err
    with sqlite3.connect(var / "curit.db") as conn:
        assert {v for (v,) in conn.execute("SELECT version_num FROM alembic_version")} == _teste()


@pytest.mark.slow
def test_the_worker_starts_on_an_empty_data_folder_and_its_engine_is_migrated(tmp_path: Path,
                                                                            monkeypatch) -> None:
    var = tmp_path / "var"
    coda = f"primo-avvio-{os.getpid()}"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "curit-docs"), "worker", "--coda", coda],
                            env=_ambiente_processo(var), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    righe: list[str] = []
    try:
        inizio = time.monotonic()
        while time.monotonic() - inizio < 60:
            riga = proc.stdout.readline()
            if not riga:
                break
            righe.append(riga)
            if "ready." in riga:
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            resto, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            resto, _ = proc.communicate()
    log = "".join(righe) + (resto or "")
    assert "ready." in log, log[-2000:]
    assert "Traceback" not in log and "non disponibile" not in log

    # the engine every task uses (service/batch/celery_app._db), on the same empty folder
    from service.batch import celery_app
    from service.settings import get_settings

    monkeypatch.setenv("CURIT_VAR_DIR", str(var))
    monkeypatch.delenv("CURIT_DB_URL", raising=False)
    get_settings.cache_clear()
    monkeypatch.setattr(celery_app, "_engine", None)
    try:
        from archive.lavori import aggiorna_lavoro  # noqa: F401 - the table module the tasks write

        engine = celery_app._db()
        from sqlalchemy import inspect

        assert {"lavori", "lavori_blocchi"} <= set(inspect(engine).get_table_names())
        engine.dispose()
    finally:
        get_settings.cache_clear()


def test_every_path_setting_derives_from_the_data_folder(monkeypatch, tmp_path: Path) -> None:
    """Two installations on one machine (two CURIT_VAR_DIR) share nothing: no setting points into
    the checkout's var/, and one set on its own is kept."""
    from service.settings import ROOT, Settings

    for key in [k for k in os.environ if k.startswith("CURIT_")]:
        monkeypatch.delenv(key)
    checkout_var = (ROOT / "var").resolve()
    viste = {}
    for nome in ("uno", "due"):
        monkeypatch.setenv("CURIT_VAR_DIR", str(tmp_path / nome))
        s = Settings(_env_file=None)
        percorsi = {campo: Path(str(v).removeprefix("sqlite:///")) for campo, v in s if isinstance(v, Path)
                    or (isinstance(v, str) and v.startswith("sqlite:///"))}
        assert {"db_url", "identita_dir", "stampa_cache_dir", "batch_dir"} <= set(percorsi)
        for campo, p in percorsi.items():
            assert not p.resolve().is_relative_to(checkout_var), campo
        viste[nome] = {c: p for c, p in percorsi.items() if p.resolve().is_relative_to(tmp_path / nome)}
    assert set(viste["uno"]) == set(viste["due"]) and set(viste["uno"]) >= {"db_url", "identita_dir", "var_dir"}

    monkeypatch.setenv("CURIT_IDENTITA_DIR", str(tmp_path / "chiavi"))
    assert Settings(_env_file=None).identita_dir == tmp_path / "chiavi"


def test_signing_identities_of_a_data_folder_stay_in_it(cli_locale, tmp_path: Path) -> None:
    from service.settings import ROOT

    prima = set((ROOT / "var" / "identita").glob("*")) if (ROOT / "var" / "identita").exists() else set()
    r = cli_locale("identita", "demo", "ente-primo-avvio", env={"CURIT_VAR_DIR": str(tmp_path / "var")})
    assert r.returncode == 0, r.stderr
    assert any((tmp_path / "var" / "identita").glob("ente-primo-avvio*"))
    dopo = set((ROOT / "var" / "identita").glob("*")) if (ROOT / "var" / "identita").exists() else set()
    assert dopo == prima


ROOT_REPO = Path(__file__).resolve().parents[2]


def _pacchetti_test() -> set[str]:
    testo = (ROOT_REPO / "deploy" / "pacchetti-test.txt").read_text(encoding="utf-8")
    return {p for riga in testo.splitlines() for p in riga.split("#", 1)[0].split()}


def test_make_test_and_ci_install_from_one_package_list() -> None:
    """`make test` installs what is missing (.ci/install-deps reads deploy/pacchetti-test.txt);
    .ci/run runs exactly `make test` and keeps no list of its own."""
    makefile = (ROOT_REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test:.*\bdeps-test\b", makefile, re.M)
    assert re.search(r"^deps-test:\n\tbash \.ci/install-deps$", makefile, re.M)
    assert "deploy/pacchetti-test.txt" in (ROOT_REPO / ".ci" / "install-deps").read_text(encoding="utf-8")
    ci = (ROOT_REPO / ".ci" / "run").read_text(encoding="utf-8")
    comandi = [r.strip() for r in ci.splitlines() if r.strip() and not r.lstrip().startswith("#")]
    assert "make test" in comandi and not any("apt-get" in c for c in comandi)

    import shutil

    pacchetti = _pacchetti_test()
    for programma in ("pdftotext", "pdfsig", "pdftoppm", "zbarimg", "qpdf", "certutil", "chromium", "radosgw"):
        percorso = shutil.which(programma)
        assert percorso, f"{programma} is not installed"
        proprietario = subprocess.run(["dpkg", "-S", os.path.realpath(percorso)], capture_output=True, text=True)
        if proprietario.returncode != 0:  # a Debian alternative or a symlinked path
            proprietario = subprocess.run(["dpkg", "-S", percorso], capture_output=True, text=True)
        pacchetto = proprietario.stdout.split(":", 1)[0].strip()
        assert pacchetto in pacchetti, f"{programma} comes from {pacchetto!r}, not in deploy/pacchetti-test.txt"


def test_the_suite_reads_nothing_outside_the_repository() -> None:
    sospetti = []
    for cartella in ("tests", "bench"):
        for f in (ROOT_REPO / cartella).rglob("*.py"):
            if f == Path(__file__):  # the patterns below
                continue
            testo = f.read_text(encoding="utf-8")
            if re.search(r"""\.\./shared|["']shared/|/ ?["']shared["']""", testo) or "parents[3]" in testo:
                sospetti.append(str(f.relative_to(ROOT_REPO)))
    assert sospetti == []
    from tests.forms.spec import SPEC_PATH

    assert SPEC_PATH.resolve().is_relative_to(ROOT_REPO) or "CURIT_FORMS_SPEC" in os.environ


def test_the_api_reports_a_lost_table_as_a_schema_error_not_an_unavailable_archive(client, login, db_url) -> None:
    from sqlalchemy import text

    from archive.db import make_engine

    headers = login("ente.mantova")
    engine = make_engine(db_url)
    with engine.begin() as conn:  # a table lost behind the program's back (the jobs list reads it)
        conn.execute(text("DROP TABLE audit" + (" CASCADE" if db_url.startswith("postgresql") else "")))
    engine.dispose()
    r = client.get("/lavori", headers=headers)
    assert r.status_code == 500, r.text
    messaggio = r.json()["errori"][0]["messaggio"]
    assert "schema del database" in messaggio and "non disponibile" not in messaggio
