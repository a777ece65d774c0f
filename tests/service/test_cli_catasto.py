"""``curit-docs codice nuovo/verifica, stagione, ente`` (service/cli/commands/catasto.py).

A fresh database and a JSON error go through the real console script (``run``); the other calls
run the same ``service.cli.main`` in this process (``cli``), without ~1.5 s of imports each.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.catasto import ImpiantoCatasto
from archive.db import make_engine, session_scope

CLI = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "curit-docs"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh machine: an SQLite file that does not exist yet, no other configuration (CURIT_* only)."""
    return {"CURIT_DB_URL": f"sqlite:///{tmp_path / 'var' / 'curit.db'}", "CURIT_VAR_DIR": str(tmp_path / "var")}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, with no CURIT_* variable but those of ``env``."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("CURIT_")} | env
    return subprocess.run([str(CLI), *args], env=full, capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli(cli_locale) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run`` in this process."""
    return lambda env, *args: cli_locale(*args, env=env)


def test_codice_nuovo_on_a_fresh_database(env: dict[str, str]) -> None:
    first = run(env, "codice", "nuovo", "--istat", "020066", "--tipo", "CT")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "020066CT0000001"
    second = run(env, "codice", "nuovo", "--istat", "020066", "--tipo", "IN")
    assert second.stdout.strip() == "020066IN0000002"  # AMB-42: one progressive per Comune
    other = run(env, "codice", "nuovo", "--istat", "015146", "--tipo", "TR")
    assert other.stdout.strip() == "015146TR0000001"


def test_codice_nuovo_registers_the_impianto(env: dict[str, str], cli) -> None:
    r = cli(
        env, "codice", "nuovo", "--istat", "020030", "--tipo", "IN", "--indirizzo", "Via Roma",
        "--civico", "39", "--cap", "46100", "--potenza", "24,5", "--responsabile", "Bianchi Laura",
        "--cf", "bnclra85t45l826j",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "020030IN0000001"
    engine = make_engine(env["CURIT_DB_URL"])
    try:
        with session_scope(engine) as s:
            imp = s.scalars(select(ImpiantoCatasto)).one()
            assert (imp.comune, imp.provincia, imp.ente_id) == ("Mantova", "MN", "comune-mantova")
            assert (imp.responsabile_cf, str(imp.potenza_focolare_totale_kw)) == ("BNCLRA85T45L826J", "24.50")
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("args", "messaggio"),
    [
        (("--istat", "20066", "--tipo", "CT"), "istat: Codice ISTAT del comune non valido"),
        (("--istat", "999999", "--tipo", "CT"), "istat: Il codice ISTAT 999999 non corrisponde"),
        (("--istat", "020066", "--tipo", "XY"), "tipologia: Tipologia impianto non valida"),
        (("--istat", "020066", "--tipo", "CT", "--cap", "46019"), "indirizzo: Per registrare l'impianto"),
        (("--istat", "020066", "--tipo", "CT", "--indirizzo", "Via Po", "--cf", "XYZ"), "responsabile_cf: Codice fiscale"),
    ],
)
def test_codice_nuovo_errors(env: dict[str, str], args: tuple[str, ...], messaggio: str, cli) -> None:
    r = cli(env, "codice", "nuovo", *args)
    assert r.returncode == 1
    assert messaggio in r.stderr
    assert r.stdout == ""


def test_codice_verifica(env: dict[str, str], cli) -> None:
    r = cli(env, "codice", "verifica", "020066CT0000001")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {k: data[k] for k in ("istat", "comune", "provincia", "sigla_provincia", "tipologia", "progressivo")} == {
        "istat": "020066",
        "comune": "Viadana",
        "provincia": "Mantova",
        "sigla_provincia": "MN",
        "tipologia": "CT",
        "progressivo": 1,
    }
    assert data["tipologia_descrizione"] == "centralizzato"
    assert data["ente_competente"]["denominazione"] == "Provincia di Mantova"
    assert data["ente_competente"]["logo"] == "provincia-mantova.svg"


def test_codice_verifica_outside_lombardy_has_no_ente(env: dict[str, str], cli) -> None:
    r = cli(env, "codice", "verifica", "001001IN0000007")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["comune"], data["regione"], data["ente_competente"]) == ("Agliè", "Piemonte", None)


@pytest.mark.parametrize(
    ("codice", "messaggio"),
    [("020066CT000001", "Codice impianto non valido"), ("999999CT0000001", "non corrisponde a nessun comune")],
)
def test_codice_verifica_errors(env: dict[str, str], codice: str, messaggio: str, cli) -> None:
    r = cli(env, "codice", "verifica", codice)
    assert r.returncode == 1
    assert messaggio in r.stderr


def test_codice_verifica_json_errors(env: dict[str, str]) -> None:
    r = run({**env, "CURIT_ERRORI_JSON": "1"}, "codice", "verifica", "XX")
    assert r.returncode == 1
    assert json.loads(r.stderr)["errori"][0]["campo"] == "codice_impianto"


def test_stagione(env: dict[str, str], cli) -> None:
    r = cli(env, "stagione", "2026-03-15")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["stagione"], data["inizio"], data["fine"]) == ("2025/2026", "2025-08-01", "2026-07-31")
    assert data["validita_dichiarazione"] == {"inizio": "2026-08-01", "fine": "2028-07-31", "lettura_amb01": "esclusiva"}
    assert data["scadenze_per_evento_in_questa_data"]["dichiarazione_avvenuta_manutenzione"] == "2026-04-14"
    assert data["scadenze_per_evento_in_questa_data"]["sostituzione_generatore"] == "2026-09-11"


def test_stagione_amb01_setting_and_italian_dates(env: dict[str, str], cli) -> None:
    esclusiva = json.loads(cli(env, "stagione", "01/08/2008").stdout)
    assert esclusiva["validita_dichiarazione"]["inizio"] == "2009-08-01"
    inclusiva = json.loads(cli({**env, "CURIT_LETTURA_AMB01": "inclusiva"}, "stagione", "01/08/2008").stdout)
    assert inclusiva["validita_dichiarazione"]["inizio"] == "2008-08-01"
    bad = cli(env, "stagione", "31/02/2026")
    assert bad.returncode == 1
    assert "Data non valida" in bad.stderr


def test_ente_competente_and_replacement_registry(env: dict[str, str], tmp_path: Path, cli) -> None:
    r = cli(env, "ente", "competente", "015146")
    assert json.loads(r.stdout)["id"] == "comune-milano"
    registro = tmp_path / "enti.json"
    registro.write_text(
        json.dumps(
            {
                "enti": [
                    {
                        "id": "provincia-mantova", "tipo": "Provincia", "denominazione": "Provincia di Mantova",
                        "nome": "Mantova", "istat": "020", "sigla": "MN", "indirizzo": "Via Principe Amedeo, 30",
                        "cap": "46100", "citta": "Mantova", "pec": None, "popolazione": 400000,
                        "logo": "provincia-mantova.svg",
                    }
                ]
            }
        ),  # fmt: skip
        encoding="utf-8",
    )
    custom = {**env, "CURIT_ENTI_FILE": str(registro)}
    assert json.loads(cli(custom, "ente", "competente", "020030").stdout)["id"] == "provincia-mantova"
    assert len(json.loads(cli(custom, "ente", "elenco").stdout)) == 1
    missing = cli(custom, "ente", "competente", "015146")
    assert missing.returncode == 1
    assert "Nessun Ente competente registrato per il comune di Milano" in missing.stderr
