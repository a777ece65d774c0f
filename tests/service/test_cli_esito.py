"""``curit-docs esito``: computed results of A/B JSON, scenarios, Italian errors (exit 1).

The A example goes through a real process (``run``); the other calls run the same
``service.cli.main`` in this process (``cli_locale``), without ~2 s of imports each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli.commands.esito import esito_rapporto, tipo_rapporto
from service.documents.rapporti_prova import esempio_a, esempio_b


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from service.cli import main; main()", *args],
                          input=stdin, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])


def test_cli_on_the_a_example(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(esempio_a()), encoding="utf-8")
    r = run("esito", str(path))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["tipo"] == "allegato-a"
    assert (out["eta_min"], out["eta_rilevato"], out["eta_rilevato_piu_2"]) == ("86.8", "94.9", "96.9")
    assert out["co_corretto_ppm"] == 59 and out["bacharach_ok"] is None
    assert out["rendimento_sufficiente"] is True and out["esito"] == "9.a" and out["punti_non_conformi"] == []


def test_cli_on_the_b_example_from_stdin(cli_locale) -> None:
    r = cli_locale("esito", "-", stdin=json.dumps(esempio_b()))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["esito"] == "9.b" and out["fogli_totali"] == 3
    g1, g2 = out["generatori"]
    assert (g1["esito"], g1["eta_min"], g1["bacharach_ok"]) == ("9.a", "90.9", True)
    assert (g2["esito"], g2["bacharach_ok"], g2["punti_non_conformi"]) == ("9.b", False, ["8.c"])
    assert {"8.b", "8.d", "7.b"} <= set(g2["campi_barrati"])


def test_cli_invalid_input_exits_1_with_italian_errors(tmp_path: Path, cli_locale) -> None:
    data = esempio_a()
    del data["foro_presente"]
    data["volumetria_m3"] = None
    path = tmp_path / "a.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    r = cli_locale("esito", str(path))
    assert r.returncode == 1 and r.stdout == ""
    assert "foro_presente: Campo obbligatorio mancante." in r.stderr
    r = cli_locale("esito", str(tmp_path / "manca.json"))
    assert r.returncode == 1 and "Impossibile leggere il file" in r.stderr


@pytest.mark.parametrize(
    ("modifiche", "esito", "punti"),
    [
        ({"co_misurato": ["1200", "1250", "1190"]}, "9.b", ["8.b"]),
        ({"foro_presente": "No"}, "BARRATO", []),
        ({"manut_corrente": "Non effettuata"}, "9.b", ["8.a"]),
        ({"t_fumi": ["260", "262", "265"], "o2_co2": ["12.5", "12.8", "12.6"]}, "9.b", ["8.d"]),
        ({"libretto_impianto": "Assente", "compilazione_libretto": None}, "9.b", ["8.a"]),
    ],
)
def test_scenarios(modifiche: dict, esito: str, punti: list[str]) -> None:
    out = esito_rapporto({**esempio_a(), **modifiche})
    assert out["esito"] == esito and out["punti_non_conformi"] == punti
    if esito == "BARRATO":
        assert {"7", "8.b", "8.d", "9"} <= set(out["campi_barrati"])


def test_estrai_wrapper_and_detection() -> None:
    assert tipo_rapporto({"tipo": "allegato-b", "dati": {"x": 1}}) == ("allegato-b", {"x": 1})
    assert tipo_rapporto(esempio_b())[0] == "allegato-b" and tipo_rapporto(esempio_a())[0] == "allegato-a"
    from domain.errors import RuleViolation

    with pytest.raises(RuleViolation, match="non un rapporto di prova"):
        tipo_rapporto({"tipo": "allegato-g", "dati": {}})
