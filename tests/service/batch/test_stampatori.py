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


def _moduli_g(n: int) -> list[dict]:
    from service.registry import get_document_type

    base = get_document_type("allegato-g").example()
    return [{**base, "numero_rapporto": f"2025/{i + 1:05d}", "codice_catasto": f"020066IN{i + 1:07d}"} for i in range(n)]


def test_the_printers_validate_the_input_they_inherited_as_this_process_would(settings) -> None:
    """Records, refused items (positions, reasons) and issuers named by the printing processes are
    those of validating here; a list they did not inherit is not theirs to validate."""
    from service.batch.stampatori import Stampatori
    from service.batch.base import Contesto
    from service.batch.tipi import tipo_lotto

    dati = _moduli_g(9)
    dati[2] = {**dati[2], "codice_catasto": "non-valido"}
    dati[7] = "non un modulo"
    tipo = tipo_lotto("moduli:allegato-g")
    qui, scarti_qui = tipo.records(dati, {}, 1, settings=settings)
    stampatori = Stampatori(2, "moduli:allegato-g", dati, settings)
    try:
        assert stampatori.valida(tipo, list(dati), {}) is None  # not the inherited input
        loro, scarti_loro = tipo.records(dati, {}, 2, stampatori.valida, settings=settings)
    finally:
        stampatori.chiudi()
    assert loro.righe == qui.righe and len(loro) == 7
    assert scarti_loro == scarti_qui and [s.riga for s in scarti_loro] == [3, 8]
    ctx = Contesto(settings, {})
    assert loro.emittenti == qui.emittenti == {tipo.emittente(r, ctx) for r in qui}  # named again, form by form
    assert loro.emittenti == {"provincia-mantova"}  # Viadana (020066): the Provincia di Mantova


def test_the_printers_validate_the_numbers_of_an_etichette_input(settings) -> None:
    from domain.etichetta import numero_etichetta, prefisso_ente
    from service.batch.stampatori import Stampatori
    from service.batch.tipi import tipo_lotto
    from service.enti import enti_da_settings

    ente = enti_da_settings(settings).get("provincia-mantova")
    numeri = [numero_etichetta(prefisso_ente(ente.tipo, ente.sigla, ente.istat), 2026, "G", i).leggibile for i in (1, 2)]
    dati = {"ente_id": "provincia-mantova", "tipo": "G", "numeri": [numeri[0], "x", numeri[1]]}
    tipo = tipo_lotto("etichette")
    qui = tipo.records(dati, {}, 1, settings=settings)
    assert len(qui[0]) == 2 and [s.riga for s in qui[1]] == [2]
    stampatori = Stampatori(2, "etichette", dati, settings)
    try:
        loro = tipo.records(dati, {}, 2, stampatori.valida, settings=settings)
    finally:
        stampatori.chiudi()
    assert loro[0].righe == qui[0].righe and loro[1] == qui[1] and loro[0].emittenti == qui[0].emittenti


def test_a_job_the_database_cannot_register_leaves_no_folder_and_no_process(ambiente, impianti, cli_locale,
                                                                            tmp_path: Path) -> None:
    """With 2 processes the chunks start printing as soon as the job's folder is written, before the
    job is in the database: when it cannot be registered, nothing of it is left behind."""
    sorgente = tmp_path / "impianti.json"
    sorgente.write_text(json.dumps(impianti(40)))
    env = {k: v for k, v in ambiente.items() if k.startswith("CURIT_")}
    env["CURIT_DB_URL"] = "postgresql+psycopg://curit@127.0.0.1:9/nessuno"  # nothing listens on port 9
    prima = set(multiprocessing.active_children())
    r = cli_locale("batch", "targhe", str(sorgente), "--processi", "2", env=env)
    assert r.returncode == 4 and "database" in r.stderr.lower(), r.stderr
    lavori = Path(ambiente["CURIT_BATCH_DIR"])
    assert not lavori.exists() or not any(lavori.iterdir())
    assert set(multiprocessing.active_children()) <= prima
