"""A local job with its printing processes started before validation and its print file merged
while the chunks are printed: the bytes of a one-process run; a refused job leaves no process."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
from pathlib import Path

import pytest

from service.settings import ROOT

CLI = [str(ROOT / ".venv" / "bin" / "curit-docs")]


def _stampa(env: dict[str, str], sorgente: Path, out: Path, *opzioni: str) -> dict:
    r = subprocess.run(CLI + ["batch", "targhe", str(sorgente), "-o", str(out), *opzioni], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return json.loads((out / "rapporto.json").read_text())


@pytest.mark.slow
def test_two_processes_started_early_give_the_one_process_bytes(ambiente, impianti, tmp_path: Path) -> None:
    sorgente = tmp_path / "impianti.json"
    sorgente.write_text(json.dumps(impianti(40)))
    env = {**ambiente, "CURIT_BATCH_RECORD_PER_BLOCCO": "5"}
    for dividi in ((), ("--dividi-ogni", "3")):  # one file merged while printing; split files merged after
        uno = _stampa(env, sorgente, tmp_path / f"uno{len(dividi)}", "--processi", "1", *dividi)
        due = _stampa(env, sorgente, tmp_path / f"due{len(dividi)}", "--processi", "2", *dividi)
        assert uno["file"] == due["file"] and uno["pagine"] == due["pagine"] == 8
        for nome in uno["file"]:
            assert (tmp_path / f"uno{len(dividi)}" / nome).read_bytes() == (tmp_path / f"due{len(dividi)}" / nome).read_bytes()
        assert uno["record"] == due["record"]


def test_a_refused_job_leaves_no_printing_process(ambiente, cli_locale, tmp_path: Path) -> None:
    sorgente = tmp_path / "impianti.json"
    sorgente.write_text(json.dumps([{"codice_impianto": "non-valido", "indirizzo": "", "comune": ""}] * 3))
    env = {k: v for k, v in ambiente.items() if k.startswith("CURIT_")}
    prima = set(multiprocessing.active_children())
    r = cli_locale("batch", "targhe", str(sorgente), "--processi", "2", env=env)
    assert r.returncode == 1 and "Nessun record valido" in r.stderr
    assert set(multiprocessing.active_children()) <= prima
