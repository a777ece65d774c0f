"""curit-docs distinta / trasmissione / ricevuta / rendiconto / precompila / cait on a fresh database
(SQLite and PostgreSQL): the first call of the day and one --help go through the real console script,
the rest through the same ``service.cli.main`` in-process (``cli_locale``), which saves ~2 s of
imports per call. Each run has its own var/; the compiled layouts of the CAIT paper are the run's
(``stampa_cache``, tests/service/conftest.py), not compiled cold again on each database: a verb as the
first command on an empty data folder, cold layouts included, is test_primo_avvio's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive.db import make_engine
from tests.archive.test_cait_documenti import popola

CLI = Path(sys.executable).with_name("curit-docs")
"""The installed console script of this interpreter's environment (PATH may not include it)."""

VERBI = [["distinta", "registra"], ["distinta", "chiudi"], ["distinta", "stampa"], ["trasmissione"],
         ["ricevuta", "vendita"], ["ricevuta", "ricarica"], ["ricevuta", "stampa"], ["rendiconto"], ["precompila"],
         ["cait", "elenco"], ["cait", "scollega"]]


def _env(db_url: str, cwd: Path, layout: Path) -> dict[str, str]:
    return {"CURIT_DB_URL": db_url, "CURIT_VAR_DIR": str(cwd / "var"), "CURIT_DEMO": "0", "CURIT_FIRMA_OUTPUT": "0",
            "CURIT_QUOTE_ENTI_FILE": str(Path(__file__).with_name("quote_enti_prova.json")),
            "CURIT_STAMPA_CACHE_DIR": str(layout)}


def _console_script(args: list[str], db_url: str, cwd: Path, layout: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **_env(db_url, cwd, layout)}
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


@pytest.mark.parametrize("verbo", VERBI, ids=[" ".join(v) for v in VERBI])
def test_help_con_esempio(verbo: list[str], cli_locale) -> None:
    r = cli_locale(*verbo, "--help")
    assert r.returncode == 0 and "Esempi" in r.stdout


def test_help_dal_comando_installato() -> None:
    r = subprocess.run([str(CLI), "distinta", "registra", "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Esempi" in r.stdout


@pytest.mark.slow
def test_giornata_allo_sportello(db_url: str, tmp_path, cli_locale, stampa_cache: Path) -> None:
    def _cli(args: list[str], db_url: str, cwd: Path) -> subprocess.CompletedProcess:
        return cli_locale(*args, env=_env(db_url, cwd, stampa_cache), cwd=cwd)

    def _installato(args: list[str], db_url: str, cwd: Path) -> subprocess.CompletedProcess:
        return _console_script(args, db_url, cwd, stampa_cache)

    engine = make_engine(db_url)
    dati = popola(engine)
    engine.dispose()
    viadana_in, viadana_ct, mantova = dati.impianti
    for codice, tipo in ((viadana_in, "G"), (viadana_ct, "F"), (mantova, "G")):
        run = _installato if codice == viadana_in else _cli  # the installed entry point once
        r = run(["distinta", "registra", "--cait", "CAIT-MN-01", "--manutentore", "MA023456", "--impianto", codice,
                  "--tipo", tipo, "--data-controllo", "2026-10-05"], db_url, tmp_path)
        assert r.returncode == 0, r.stderr
    r = _cli(["distinta", "chiudi", "--cait", "CAIT-MN-01", "--manutentore", "MA023456", "--operatore", "op.ferrari",
              "-o", "distinta.pdf"], db_url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "distinta.pdf").read_bytes().startswith(b"%PDF")
    numero = json.loads(r.stdout)["oggetto"].rsplit(" ", 1)[-1]
    r = _cli(["trasmissione", numero, "-d", "lettere"], db_url, tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 2 and len(list((tmp_path / "lettere").glob("*.pdf"))) == 2
    # the closed dichiarazione cannot be registered again
    r = _cli(["distinta", "registra", "--cait", "CAIT-MN-01", "--manutentore", "MA023456", "--impianto", viadana_in,
              "--tipo", "G", "--data-controllo", "2026-10-05"], db_url, tmp_path)
    assert r.returncode == 1 and "già stata consegnata" in r.stderr
    r = _cli(["ricevuta", "vendita", "--cait", "CAIT-MN-01", "--manutentore", "MA023456", "--etichetta",
              dati.etichette_g[0], "--etichetta", dati.etichette_f[0], "--operatore", "Ferrari Giulia", "-o", "r.pdf"],
             db_url, tmp_path)
    assert r.returncode == 0, r.stderr
    testo = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout
    assert "94,00 €" in testo  # 8,00 + 1,00 + 75,00 + 10,00
    mese = subprocess.run(["date", "+%Y-%m"], capture_output=True, text=True).stdout.strip()
    r = _cli(["rendiconto", "--cait", "CAIT-MN-01", "--mese", mese, "-o", "rend.pdf"], db_url, tmp_path)
    assert r.returncode == 0, r.stderr
    r = _cli(["precompila", viadana_in, mantova, "--manutentore", "MA023456", "--data", "2026-10-21", "-o", "giro.pdf"],
             db_url, tmp_path)
    assert r.returncode == 0, r.stderr
    r = _cli(["precompila", viadana_in, "--manutentore", "bianchicalore"], db_url, tmp_path)
    assert r.returncode == 1 and "non è tra quelli mantenuti" in r.stderr
    r = _cli(["cait", "elenco", "strumenti", "--cait", "CAIT-MN-01", "-o", "s.pdf"], db_url, tmp_path)
    assert r.returncode == 0, r.stderr
    r = _cli(["cait", "scollega", "MA023456", "--cait", "CAIT-MN-01", "--email", "ufficio@rossitermo.it"],
             db_url, tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["email"] == "ufficio@rossitermo.it"
    r = _cli(["rendiconto", "--cait", "CAIT-MN-01"], db_url, tmp_path)
    assert r.returncode == 1 and "--mese" in r.stderr
