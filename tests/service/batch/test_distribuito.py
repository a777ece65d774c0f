"""Jobs across machines: two Celery workers on the real Redis, each with its own job directory,
exchange chunks through a real SeaweedFS and give the single-machine bytes; the job's progress
moves chunk by chunk as workers finish them, and ``curit-docs batch stato`` shows it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import redis

from archive.area_lavori import AreaLavori
from archive.lavori import aggiorna_lavoro, get_lavoro
from archive.objectstore import S3Config
from archive.seaweed import EmbeddedSeaweed
from service.batch.blocchi import leggi_lavoro
from service.batch.celery_app import avvia_distribuito, scarica_esito, stampa_blocco
from service.batch.lavoro import blocchi_totali, crea_lavoro, esegui_lavoro
from service.settings import ROOT
from tests.service.batch.conftest import S3_KEY as KEY, S3_SECRET as SECRET

CLI = [str(ROOT / ".venv" / "bin" / "curit-docs")]

pytestmark = pytest.mark.xdist_group("s3")


@pytest.mark.slow
def test_two_workers_exchange_chunks_through_s3_and_give_the_single_machine_bytes(
        ambiente, settings, engine, impianti, weed: EmbeddedSeaweed, tmp_path: Path) -> None:
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.ConnectionError:
        pytest.fail("Redis non raggiungibile su 127.0.0.1:6379")
    records = impianti(30)
    rif_id, _ = crea_lavoro("targhe", records, settings=settings, engine=engine, record_per_blocco=5)
    atteso = esegui_lavoro(rif_id, settings=settings, engine=engine)

    bucket = f"lavori-{uuid.uuid4().hex[:10]}"
    s3 = {"CURIT_S3_ENDPOINT": weed.endpoint, "CURIT_S3_ACCESS_KEY": KEY, "CURIT_S3_SECRET_KEY": SECRET,
          "CURIT_BATCH_S3_BUCKET": bucket}
    client = settings.model_copy(update={"batch_dir": tmp_path / "client", "s3_endpoint": weed.endpoint,
                                         "s3_access_key": KEY, "s3_secret_key": SECRET, "batch_s3_bucket": bucket})
    coda = f"curit-test-{uuid.uuid4().hex[:8]}"
    workers = [subprocess.Popen(CLI + ["worker", "--coda", coda],
                                env={**ambiente, **s3, "CURIT_BATCH_DIR": str(tmp_path / f"macchina-{n}")},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
               for n in (1, 2)]
    try:
        lavoro_id, _ = crea_lavoro("targhe", records, settings=client, engine=engine, record_per_blocco=5)
        cartella = client.batch_dir / lavoro_id
        n = blocchi_totali(leggi_lavoro(cartella))
        esito = avvia_distribuito(lavoro_id, cartella, n, coda=coda, settings=client).get(timeout=300)
        scarica_esito(cartella, esito, settings=client)
    finally:
        for w in workers:
            os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(timeout=60)

    assert esito["pagine"] == atteso["pagine"] == 6
    assert (cartella / "stampa.pdf").read_bytes() == (settings.batch_dir / rif_id / "stampa.pdf").read_bytes()
    assert not (cartella / "blocchi").exists()  # the client printed nothing: every chunk came through S3
    stampati = [sorted(p.name for p in (tmp_path / f"macchina-{m}" / lavoro_id / "blocchi").glob("*.pdf"))
                for m in (1, 2) if (tmp_path / f"macchina-{m}" / lavoro_id / "blocchi").is_dir()]
    assert sum(len(s) for s in stampati) >= n

    area = AreaLavori(S3Config(weed.endpoint, KEY, SECRET, bucket))
    assert [f"blocchi/blocco-{i:05d}.{ext}" for i in range(n) for ext in ("json", "pdf")] == area.elenco(lavoro_id, "blocchi/")
    assert area.prendi(lavoro_id, "stampa.pdf") == (cartella / "stampa.pdf").read_bytes()
    stato = json.loads(subprocess.run(CLI + ["batch", "stato", lavoro_id], env=ambiente, capture_output=True,
                                      text=True, timeout=120).stdout)
    assert (stato["stato"], stato["record_fatti"], stato["pagine"]) == ("completato", 30, 6)


def test_progress_moves_as_each_chunk_finishes(ambiente, settings, engine, impianti) -> None:
    """The chunk task of a Celery worker, run here on a shared directory: after each chunk the job's
    row (and ``batch stato``) shows the records and pages done, the rate and the time left."""
    lavoro_id, _ = crea_lavoro("targhe", impianti(15), settings=settings, engine=engine, record_per_blocco=5)
    cartella = settings.batch_dir / lavoro_id
    aggiorna_lavoro(engine, lavoro_id, stato="in corso", avviato_il=datetime.now(timezone.utc))
    visti = []
    for i in (2, 0):
        stampa_blocco(str(cartella), i, lavoro_id, "cartella", settings=settings, engine=engine)
        r = subprocess.run(CLI + ["batch", "stato", lavoro_id], env=ambiente, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        visti.append(json.loads(r.stdout))
    primo, secondo = visti
    assert (primo["stato"], primo["record_fatti"], primo["pagine"]) == ("in corso", 5, 1)
    assert primo["pagine_al_secondo"] > 0 and primo["eta_secondi"] > 0
    assert (secondo["record_fatti"], secondo["pagine"]) == (10, 2) and secondo["eta_secondi"] > 0
    stampa_blocco(str(cartella), 0, lavoro_id, "cartella", settings=settings, engine=engine)  # a retried task
    assert get_lavoro(engine, lavoro_id).record_fatti == 10
