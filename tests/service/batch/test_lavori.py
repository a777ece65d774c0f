"""Jobs: resume after SIGKILL is byte-identical; Celery workers give the single-machine bytes;
distributor import creates impianti da ispezionare and reports bad lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis

from service.settings import ROOT

CLI = [str(ROOT / ".venv" / "bin" / "curit-docs")]


def _run(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + args, env=env, capture_output=True, text=True, timeout=600, **kw)


def _lavoro(env: dict[str, str]) -> Path:
    (cartella,) = list(Path(env["CURIT_BATCH_DIR"]).iterdir())
    return cartella


@pytest.mark.slow
def test_resume_after_kill_is_byte_identical(ambiente, impianti, tmp_path: Path) -> None:
    sorgente = tmp_path / "impianti.json"
    sorgente.write_text(json.dumps(impianti(100)))
    env = {**ambiente, "CURIT_BATCH_RECORD_PER_BLOCCO": "5"}
    rif = {**env, "CURIT_BATCH_DIR": str(tmp_path / "riferimento")}
    assert _run(["batch", "targhe", str(sorgente), "--processi", "1"], rif).returncode == 0

    proc = subprocess.Popen(CLI + ["batch", "targhe", str(sorgente), "--processi", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    fine = time.monotonic() + 300
    while time.monotonic() < fine:
        if len(list(Path(env["CURIT_BATCH_DIR"]).glob("*/blocchi/*.json"))) >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    cartella = _lavoro(env)
    fatti = len(list(cartella.glob("blocchi/*.json")))
    assert 3 <= fatti < 20 and not (cartella / "stampa.pdf").exists()

    ripresa = _run(["batch", "--riprendi", cartella.name, "-o", str(tmp_path / "out")], env)
    assert ripresa.returncode == 0, ripresa.stderr
    atteso = (_lavoro(rif) / "stampa.pdf").read_bytes()
    assert (tmp_path / "out" / "stampa.pdf").read_bytes() == atteso
    rapporto = json.loads((tmp_path / "out" / "rapporto.json").read_text())
    assert (rapporto["prodotti"], rapporto["pagine"]) == (100, 20)
    stato = json.loads(_run(["batch", "stato", cartella.name], env).stdout)
    assert (stato["stato"], stato["record_fatti"], stato["pagine"]) == ("completato", 100, 20)


@pytest.mark.slow
def test_celery_workers_give_the_single_machine_bytes(ambiente, impianti, tmp_path: Path) -> None:
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.ConnectionError:
        pytest.fail("Redis non raggiungibile su 127.0.0.1:6379")
    sorgente = tmp_path / "impianti.json"
    sorgente.write_text(json.dumps(impianti(40)))
    coda = f"curit-test-{uuid.uuid4().hex[:8]}"
    env = {**ambiente, "CURIT_BATCH_RECORD_PER_BLOCCO": "5"}
    rif = {**env, "CURIT_BATCH_DIR": str(tmp_path / "riferimento")}
    assert _run(["batch", "targhe", str(sorgente), "--processi", "2"], rif).returncode == 0
    workers = [subprocess.Popen(CLI + ["worker", "--coda", coda], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True) for _ in range(2)]
    try:
        from archive.db import make_engine
        from service.batch.lavoro import blocchi_totali, crea_lavoro
        from service.batch.blocchi import leggi_lavoro
        from service.settings import Settings

        settings = Settings(batch_dir=Path(env["CURIT_BATCH_DIR"]), db_url=env["CURIT_DB_URL"], batch_record_per_blocco=5)
        engine = make_engine(settings.db_url)
        lavoro_id, _ = crea_lavoro("targhe", impianti(40), settings=settings, engine=engine)
        cartella = settings.batch_dir / lavoro_id
        from service.batch.celery_app import avvia_distribuito

        esito = avvia_distribuito(lavoro_id, cartella, blocchi_totali(leggi_lavoro(cartella)), coda=coda,
                                   settings=settings).get(timeout=300)
        assert esito["pagine"] == 8
        assert (cartella / "stampa.pdf").read_bytes() == (_lavoro(rif) / "stampa.pdf").read_bytes()
        stato = json.loads(_run(["batch", "stato", lavoro_id], env).stdout)
        assert stato["stato"] == "completato"
        engine.dispose()
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(timeout=60)


def test_distributor_import_creates_impianti_and_reports_lines(ambiente, tmp_path: Path) -> None:
    righe = [
        "ragione_sociale;tipo_toponimo;nome_toponimo;civico;cap;comune;istat;telefono;combustibile;codice_pdr;"
        "consumo_annuo;unita_misura;tipo_contratto;volumetria;codice_fiscale;partita_iva",
        "Rossi Mario;VIA;Giuseppe Verdi;41;46019;Viadana;30020066;;METANO;00881234567890;1250,50;MC;E;240;"
        "RSSMRA75C12L826I;",
        "Bianchi Anna;PIAZZA;Matteotti;ND;26100;Cremona;;;GASOLIO;;900;KG;R;;BNCNNA80A41D150G;",
        "Verdi SRL;VIALETTO;Roma;3;26100;Cremona;30019036;;GPL;;12;KG;X;;RSSMRA75C12L826I;",
    ]
    f = tmp_path / "utenze.csv"
    f.write_text("\n".join(righe) + "\n", encoding="utf-8")
    r = _run(["importa-distributore", str(f), "--ente", "provincia-cremona"], ambiente)
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert [c["codice_impianto"][:8] for c in out["creati"]] == ["020066IN", "019036IN"]
    assert sorted((e["riga"], e["campo"]) for e in out["errori"]) == [(4, "tipo_toponimo"), (4, "unita_misura")]
    again = json.loads(_run(["importa-distributore", str(f), "--ente", "provincia-cremona"], ambiente).stdout)
    assert [g["riga"] for g in again["gia_presenti"]] == [2] and len(again["creati"]) == 1

    from sqlalchemy import select

    from archive.catasto import ImpiantoCatasto
    from archive.db import make_engine, session_scope

    engine = make_engine(ambiente["CURIT_DB_URL"])
    with session_scope(engine) as s:
        stati = [(i.stato, i.responsabile_cf) for i in s.scalars(select(ImpiantoCatasto))]
    engine.dispose()
    assert stati[0] == ("da ispezionare", "RSSMRA75C12L826I") and len(stati) == 3
