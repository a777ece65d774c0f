"""``curit-docs etichette`` (service/cli/commands/etichette.py).

``genera`` runs through the real console script (so does its exit 2 on a rendering failure):
the PDF is rasterised (``pdftoppm -r 300``) and decoded with ``zbarimg``, and the codes on the
sheets must be exactly the numbers stored in the database. The other verbs run in-process (Typer's runner on the same ``register(app)``,
errors mapped by the same ``exit_code_for``/``print_error`` as ``main``), since every console
start pays for importing the whole renderer stack.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from archive.anagrafiche import Cait, CaitEnte, Manutentore
from archive.db import make_engine, session_scope
from archive.etichette import Etichetta, LottoEtichette, MovimentoEtichetta
from domain.etichetta import numero_etichetta, parse_numero_etichetta
from domain.tariffe import FUSO_ORARIO

CLI = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "curit-docs"


def _env(tmp_path: Path, db_url: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("CURIT_")}
    out.update(CURIT_DB_URL=db_url, CURIT_VAR_DIR=str(tmp_path / "var"), CURIT_DEMO="0", CURIT_FIRMA_OUTPUT="0",
               CURIT_QUOTE_ENTI_FILE=str(Path(__file__).with_name("quote_enti_prova.json")))
    return out


@pytest.fixture
def fresh_env(tmp_path: Path) -> dict[str, str]:
    """A fresh machine: the SQLite file does not exist yet."""
    return _env(tmp_path, f"sqlite:///{tmp_path / 'var' / 'curit.db'}")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), "etichette", *args], env=env, capture_output=True, text=True, timeout=300)


class InProcess:
    """``curit-docs etichette …`` in this process, with ``main``'s error mapping."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
        from service.cli.commands.etichette import register
        from service.settings import get_settings

        for k, v in env.items():
            if k.startswith("CURIT_"):
                monkeypatch.setenv(k, v)
        get_settings.cache_clear()
        monkeypatch.setattr("getpass.getuser", lambda: "operatore")
        self.app = typer.Typer()
        register(self.app)
        self.runner = CliRunner()

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        from service.cli import exit_code_for, print_error
        from domain.errors import AppError

        result = self.runner.invoke(self.app, ["etichette", *args])
        stderr = result.stderr
        code = result.exit_code
        if isinstance(result.exception, AppError):
            import contextlib
            import io

            buf = io.StringIO()
            with contextlib.redirect_stderr(buf):
                print_error(result.exception)
            stderr, code = stderr + buf.getvalue(), exit_code_for(result.exception)
        elif result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return subprocess.CompletedProcess(args, code, result.stdout, stderr)


def _ok(r: subprocess.CompletedProcess[str]) -> dict:
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _decodifica(pdf: Path, tmp_path: Path) -> list[str]:
    """The payload of every code (QR and Code128) zbarimg finds on every page at 300 dpi."""
    subprocess.run(["pdftoppm", "-r", "300", "-gray", str(pdf), str(tmp_path / "pag")], check=True, timeout=300)
    trovati = []
    for pagina in sorted(tmp_path.glob("pag-*.pgm")):
        out = subprocess.run(["zbarimg", "-q", "--raw", "-Sqrcode.enable", "-Scode128.enable", str(pagina)],
                             capture_output=True, text=True, timeout=120)
        trovati += [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return trovati


def _numeri_nel_db(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            return list(s.scalars(select(Etichetta.numero).order_by(Etichetta.tipo, Etichetta.progressivo)))
    finally:
        engine.dispose()


def test_genera_prints_the_numbers_it_stored(db_url: str, tmp_path: Path) -> None:
    env = _env(tmp_path, db_url)
    pdf = tmp_path / "out" / "etichette.pdf"
    out = _ok(run(env, "genera", "--ente", "provincia-mantova", "--tipo", "G", "--quantita", "9",
                  "--stagione", "2026/2027", "-o", str(pdf)))
    assert (out["quantita"], out["dal"], out["al"], out["stagione"]) == (9, "MN000-26G1-000001-4",
                                                                         "MN000-26G1-000009-P", "2026/2027")
    numeri = _numeri_nel_db(db_url)
    assert len(numeri) == 9 and [parse_numero_etichetta(n).progressivo for n in numeri] == list(range(1, 10))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == out["fogli"] == 2  # 7 etichette per A4 sheet
    decodificati = _decodifica(pdf, tmp_path)
    assert set(decodificati) == set(numeri)
    assert len(decodificati) >= 2 * len(numeri)  # every number found in more than one code or matrice
    testo = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    for n in numeri:  # the human-readable number is on all three matrici
        assert testo.count(parse_numero_etichetta(n).leggibile) == 3


def test_a_rendering_failure_leaves_nothing_behind(
    fresh_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = tmp_path / "etichette.pdf"
    r = run(fresh_env, "genera", "--ente", "provincia-mantova", "--tipo", "G", "--quantita", "5",
            "--foglio", "A4-9x99", "-o", str(pdf))
    assert r.returncode == 2, r.stderr
    assert "Foglio sconosciuto: A4-9x99" in r.stderr
    assert list(tmp_path.glob("*.pdf*")) == [] and not list(tmp_path.glob(".*tmp"))
    url = fresh_env["CURIT_DB_URL"]
    assert _numeri_nel_db(url) == []
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            assert s.scalar(select(func.count()).select_from(LottoEtichette)) == 0
            assert s.scalar(select(func.count()).select_from(MovimentoEtichetta)) == 0
    finally:
        engine.dispose()
    ok = _ok(InProcess(monkeypatch, fresh_env)("genera", "--ente", "provincia-mantova", "--tipo", "G", "--quantita",
                                               "1", "--stagione", "2026/2027", "-o", str(pdf)))
    assert ok["dal"] == "MN000-26G1-000001-4"  # the failed run consumed no number
    assert pdf.exists()


def test_lifecycle_on_the_command_line(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            s.add(Cait(id="CAIT-BS-01", denominazione="CAIT Brescia Impianti"))
            s.flush()
            s.add(CaitEnte(cait_id="CAIT-BS-01", ente_id="comune-brescia"))
            s.add(Manutentore(ragione_sociale="Bianchi Calore S.r.l.", partita_iva="03456780171",
                              username="bianchicalore", cait_id="CAIT-BS-01", registrato_il=date(2018, 5, 9)))
    finally:
        engine.dispose()
    run = InProcess(monkeypatch, _env(tmp_path, db_url))
    gen = _ok(run("genera", "--ente", "comune-brescia", "--tipo", "F", "--fascia", "F3", "--quantita", "3",
                  "--stagione", "2026/2027", "-o", str(tmp_path / "f3.pdf"), "--utente", "ente.brescia"))
    dal, al = gen["dal"], gen["al"]
    assert _ok(run("assegna", "--cait", "CAIT-BS-01", "--ente", "comune-brescia", "--dal", dal, "--al", al)) == {
        "cait_id": "CAIT-BS-01", "assegnate": 3, "dal": dal, "al": al}
    venduta = _ok(run("vendi", dal.replace("-", "").lower(), "--cait", "CAIT-BS-01",
                      "--manutentore", "bianchicalore"))
    assert (venduta["fascia"], venduta["contributo_regionale"], venduta["totale"]) == ("F3", "3.50", "43.50")
    legata = _ok(run("vincola", dal, "--impianto", "017029CT0000001", "--tipo", "F",
                     "--data-controllo", "14/10/2026", "--potenza", "80"))
    assert legata["stato"] == "vincolata" and legata["dichiarazione"]["data_controllo"] == "2026-10-14"
    annullata = _ok(run("annulla", al, "--motivo", "Matrice strappata"))
    ristampa = _ok(run("ristampa", "--lotto", str(gen["lotto_id"]), "-o", str(tmp_path / "copia.pdf")))
    assert (ristampa["quantita"], ristampa["fogli"]) == (3, 1) and (tmp_path / "copia.pdf").exists()
    assert annullata["annullamento"]["motivo"] == "Matrice strappata"

    mese = datetime.now(FUSO_ORARIO).strftime("%Y-%m")  # the sale happened just now, in this Italian month
    conto = _ok(run("rendiconto", "--cait", "CAIT-BS-01", "--periodo", mese))
    assert (conto["periodo"], conto["quantita"], conto["contributo_regionale"], conto["quote_enti"]) == (
        mese, 1, "3.50", "40.00")
    stock = _ok(run("elenco", "--cait", "CAIT-BS-01"))
    assert stock["totali"] == {"vincolata": 1, "assegnata": 1, "annullata": 1}
    stato = _ok(run("verifica", dal))
    assert stato["stato"] == "vincolata"
    assert [(m["evento"], m["utente"]) for m in stato["movimenti"]] == [
        ("generata", "ente.brescia"), ("assegnata", "cli:operatore"), ("venduta", "cli:operatore"),
        ("vincolata", "cli:operatore")]

    rifiuti = [
        (("vendi", dal, "--cait", "CAIT-BS-01", "--manutentore", "bianchicalore"), "già vincolata"),
        (("vincola", gen["al"], "--impianto", "017029CT0000002", "--tipo", "F", "--data-controllo", "2026-10-14"),
         "annullata"),
        (("verifica", dal[:-1] + ("0" if dal[-1] != "0" else "1")), "carattere di controllo"),
        (("verifica", numero_etichetta("BS029", 2026, "F", 999, "F3").leggibile), "non appartiene a nessun lotto"),
        (("vendi", dal, "--cait", "CAIT-BS-01", "--manutentore", "nessuno"), "Manutentore nessuno non registrato"),
    ]
    for args, messaggio in rifiuti:
        r = run(*args)
        assert r.returncode == 1, (args, r.stdout)
        assert messaggio in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_verifica_on_a_fresh_machine(fresh_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    r = InProcess(monkeypatch, fresh_env)("verifica", "MN000-26G1-000001-4")
    assert r.returncode == 1
    assert "non appartiene a nessun lotto generato" in r.stderr
    assert Path(fresh_env["CURIT_DB_URL"].split("///", 1)[1]).exists()  # migrated on first use


def test_every_verb_documents_an_example(fresh_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    run = InProcess(monkeypatch, fresh_env)
    for verbo in ("genera", "ristampa", "assegna", "vendi", "vincola", "annulla", "elenco", "rendiconto", "verifica"):
        r = run(verbo, "--help")
        assert r.returncode == 0, r.stderr
        assert f"curit-docs etichette {verbo}" in r.stdout, verbo
        for esempio in re.findall(r"[A-Z]{2}\d{3}-\d{2}[GF]\d-\d{6}-[0-9A-Z*]", r.stdout):
            parse_numero_etichetta(esempio)  # examples carry a correct check character
