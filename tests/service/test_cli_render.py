"""``curit-docs render / schema / esempio / estrai`` (service/cli/commands/render.py).

The example and the rendered G come from the real console script (entry point, exit code,
exact stdout/stderr); the other calls run the same ``service.cli.main`` in this process
(``cli_locale``), since every console start pays ~2 s of imports before rendering anything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.produce import validate
from service.registry import get_document_type

CLI = Path(sys.executable).with_name("curit-docs")
pytestmark = pytest.mark.xdist_group("cli_render")


def run(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args], input=stdin, capture_output=True, text=True, env={**os.environ, **env}, timeout=300
    )


@pytest.fixture(scope="module")
def esempio_g(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = run("esempio", "allegato-g")
    assert out.returncode == 0, out.stderr
    path = tmp_path_factory.mktemp("cli") / "g.json"
    path.write_text(out.stdout, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rendered_g(esempio_g: Path) -> Path:
    pdf = esempio_g.with_suffix(".pdf")
    out = run("render", "allegato-g", str(esempio_g), "-o", str(pdf), "--modo", "facsimile", "--copia", "utente")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(pdf) and out.stderr == ""
    return pdf


def test_estrai_round_trips_the_validated_input(esempio_g: Path, rendered_g: Path, cli_locale) -> None:
    out = cli_locale("estrai", str(rendered_g))
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    expected = validate(get_document_type("allegato-g"), json.loads(esempio_g.read_text())).model_dump(mode="json")
    assert record == {"tipo": "allegato-g", "modo": "facsimile", "dati": expected}


def test_render_writes_one_copy_when_asked(rendered_g: Path) -> None:
    info = subprocess.run(["pdfinfo", str(rendered_g)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           2" in info


def test_blank_form(tmp_path: Path, cli_locale) -> None:
    pdf = tmp_path / "f-vuoto.pdf"
    out = cli_locale("render", "allegato-f", "--vuoto", "-o", str(pdf), "--copia", "manutentore")
    assert out.returncode == 0, out.stderr
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Copia per il manutentore" in text and "RAPPORTO DI CONTROLLO TECNICO (Allegato F)" in text
    assert cli_locale("estrai", str(pdf)).returncode == 1  # a blank form carries no data


def test_warnings_are_printed_but_do_not_fail(esempio_g: Path, tmp_path: Path, cli_locale) -> None:
    data = json.loads(esempio_g.read_text())
    data["prescrizioni"] = "Sostituire il condotto di scarico fumi danneggiato."
    pdf = tmp_path / "g.pdf"
    out = cli_locale("render", "allegato-g", "-", "-o", str(pdf), "--copia", "Ente", stdin=json.dumps(data))
    assert out.returncode == 0 and pdf.exists()
    assert out.stderr.startswith("Avviso: Sono indicate PRESCRIZIONI")
    assert json.loads(cli_locale("estrai", str(pdf)).stdout)["avvisi"]


@pytest.mark.parametrize(
    ("campo", "valore", "messaggio"),
    [
        ("codice_catasto", "020066CT000001", "Codice impianto non valido"),
        ("codice_catasto", "999999IN0000001", "ISTAT 999999"),
        ("responsabile_qualita", "inquilino", "scegliere tra"),
        ("data_controllo", "2025-13-40", "Data non valida"),
    ],
)
def test_bad_data_exit_1_with_italian_errors_and_no_file(
    esempio_g: Path, tmp_path: Path, campo: str, valore: str, messaggio: str, cli_locale
) -> None:
    data = json.loads(esempio_g.read_text())
    data[campo] = valore
    pdf = tmp_path / "mai.pdf"
    out = cli_locale("render", "allegato-g", "-", "-o", str(pdf), stdin=json.dumps(data), env={"CURIT_ERRORI_JSON": "1"})
    assert out.returncode == 1
    errori = json.loads(out.stderr)["errori"]
    assert any(e["campo"] == campo and messaggio in e["messaggio"] for e in errori), errori
    assert not pdf.exists() and list(tmp_path.iterdir()) == []


def test_invalid_codice_fiscale_is_refused_where_the_form_has_one(tmp_path: Path, cli_locale) -> None:
    """G and F print no codice fiscale; A does (1.l–1.o Cod. Fiscale / P. IVA)."""
    if "allegato-a" not in _codes():
        pytest.skip("allegato-a is not registered in this checkout")
    data = json.loads(cli_locale("esempio", "allegato-a").stdout)
    data["occupante"]["cf_piva"] = "RSSMRA80A01H501X"
    out = cli_locale("render", "allegato-a", "-", "-o", str(tmp_path / "a.pdf"), stdin=json.dumps(data),
                     env={"CURIT_ERRORI_JSON": "1"})
    assert out.returncode == 1
    assert any(e["campo"] == "occupante.cf_piva" for e in json.loads(out.stderr)["errori"])
    assert not (tmp_path / "a.pdf").exists()


def _codes() -> list[str]:
    from service.registry import DOCUMENT_TYPES

    return list(DOCUMENT_TYPES)


def test_unknown_type_mode_and_copy_are_italian_errors(esempio_g: Path, tmp_path: Path, cli_locale) -> None:
    out = run("render", "allegato-z", str(esempio_g), "-o", str(tmp_path / "x.pdf"))  # the console script's exit 1
    assert out.returncode == 1 and "Tipo di documento sconosciuto: allegato-z" in out.stderr
    out = cli_locale("render", "allegato-g", str(esempio_g), "-o", str(tmp_path / "x.pdf"), "--modo", "bozza")
    assert out.returncode == 1 and "Modo non valido" in out.stderr
    out = cli_locale("render", "allegato-g", str(esempio_g), "-o", str(tmp_path / "x.pdf"), "--copia", "ispettore")
    assert out.returncode == 1 and "Copia non riconosciuta: ispettore" in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_schema_lists_the_spec_keys(cli_locale) -> None:
    out = cli_locale("schema", "allegato-f")
    assert out.returncode == 0
    props = json.loads(out.stdout)["properties"]
    for key in ("codice_catasto", "volumetria_m3", "consumi", "generatori", "responsabile_qualita", "numero_etichetta"):
        assert key in props
