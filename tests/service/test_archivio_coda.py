"""Issue 12, the outbox that drains itself (real SeaweedFS, both databases):

- a document S3 refuses for good (a retention date in the past: 400) becomes a dead letter with
  the Italian reason, and the others are archived in the same round;
- a late document gets the configured minimum retention from today, recorded with its reason;
- the background drain of ``serve``/the worker archives what waits, then stops cleanly;
- ``curit-docs archivia`` queues (exit 7) when S3 is down and when the bucket check fails;
  ``coda`` archives it later and lists dead letters;
- an unrecorded newer S3 version (a tampered copy a plain GET would serve) is reported.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pikepdf
import pytest
from minio import Minio

from archive.db import session_scope
from archive.objectstore import ObjectStore, S3Config
from archive.outbox import SCARTATA, VoceOutbox, accoda, in_coda
from archive.seaweed import EmbeddedSeaweed
from archive.seaweed_processi import free_port
from domain.conservazione import PoliticaConservazione, conservazione_effettiva
from service.archivio import Archivio, MetadatiDocumento
from service.archivio_coda import Svuotatore
from tests.pki import pdf_di_prova

KEY, SECRET = "curitcoda", "curit-coda-secret-0123456789"
META = MetadatiDocumento(tipo="allegato-g", data_documento=date(2025, 10, 3), codice_impianto="019036IN0000001",
                         ente="provincia-cremona", cait="cait-cremona")


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory):
    with EmbeddedSeaweed(tmp_path_factory.mktemp("weed-coda") / "data", KEY, SECRET) as server:
        yield server


def _pdf(n: int) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_di_prova())) as p:
        p.docinfo["/Title"] = f"Documento {n}"
        p.save(out)
    return out.getvalue()


def _nessuna_firma(_pdf: bytes):
    class _V:
        valida = False

        def as_dict(self):
            return {"firme": [], "valida": False}

    return _V()


def _archivi(engine, weed: EmbeddedSeaweed) -> tuple[Archivio, Archivio]:
    bucket = f"coda-{uuid.uuid4().hex[:10]}"
    su = ObjectStore(S3Config(weed.endpoint, KEY, SECRET, bucket, retries=0, connect_timeout=1))
    su.ensure_bucket()
    giu = ObjectStore(S3Config(f"127.0.0.1:{free_port()}", KEY, SECRET, bucket, retries=0, connect_timeout=0.5))
    return (Archivio(engine, su, PoliticaConservazione(), verifica=_nessuna_firma),
            Archivio(engine, giu, PoliticaConservazione(), verifica=_nessuna_firma))


def test_a_permanent_refusal_is_a_dead_letter_and_blocks_nobody(engine, weed: EmbeddedSeaweed) -> None:
    su, giu = _archivi(engine, weed)
    ora = datetime.now(timezone.utc)
    voci = [su.prepara_voce(_pdf(n), META, ora=ora) for n in range(3)]
    # the first one waited in the outbox with a retention that has ended in the meantime
    voci[0] = replace(voci[0], indice=replace(voci[0].indice, conserva_fino_al=date(2020, 7, 31)))
    for voce in voci:
        accoda(engine, voce, errore="S3 non raggiungibile", ora=ora)
    esito = su.svuota_coda(ora=ora)
    assert (esito.archiviati, esito.scartati, esito.falliti, esito.in_coda) == (2, 1, 0, 0)
    coda = su.coda()
    assert coda["in_coda"] == [] and [v["id"] for v in coda["scartati"]] == [voci[0].indice.id]
    scartato = coda["scartati"][0]
    assert scartato["stato"] == "scartato" and "rifiutato" in scartato["motivo"] or "non riuscita" in scartato["motivo"]
    assert "InvalidRequest" in scartato["motivo"]  # S3's own answer, for the operator
    for voce in voci[1:]:
        assert su.record(voce.indice.id)["version_id"]
    assert su.svuota_coda(ora=ora + timedelta(days=1)).scartati == 0  # a dead letter is not retried alone
    # the same bytes again: the dead letter is reported, no second entry
    di_nuovo = su.archivia(voci[0].dati, META)
    assert (di_nuovo["stato"], di_nuovo["id"]) == ("scartato", voci[0].indice.id)
    with session_scope(engine) as s:
        assert s.query(VoceOutbox).filter(VoceOutbox.stato == SCARTATA).count() == 1


def test_a_late_document_gets_the_minimum_retention_from_today(engine, weed: EmbeddedSeaweed) -> None:
    su, _ = _archivi(engine, weed)
    oggi = datetime.now(timezone.utc)
    vecchio = replace(META, data_documento=date(2009, 10, 1))
    atteso, nota = conservazione_effettiva("allegato-g", vecchio.data_documento, su.politica, oggi.date())
    assert atteso == oggi.date() + timedelta(days=365) and "portata al minimo di 365 giorni" in nota
    record = su.archivia(_pdf(10), vecchio, ora=oggi)
    assert record["stato"] == "archiviato", record
    assert record["conserva_fino_al"] == atteso.isoformat() and record["nota_conservazione"] == nota
    info = su.store.info(record["s3_key"], record["version_id"])
    assert info.retention_mode == "COMPLIANCE" and info.retain_until.date() == atteso
    # a document within its retention keeps the policy's date, with no note
    assert conservazione_effettiva("allegato-g", date(2025, 10, 3), su.politica, oggi.date())[1] is None


def test_the_background_drain_archives_what_waits_and_stops(engine, weed: EmbeddedSeaweed) -> None:
    su, giu = _archivi(engine, weed)
    ids = [giu.archivia(_pdf(20 + n), META)["id"] for n in range(3)]
    assert in_coda(engine) == 3
    svuotatore = Svuotatore(su, intervallo=0.2).avvia()
    try:
        limite = time.monotonic() + 60
        while in_coda(engine) and time.monotonic() < limite:
            time.sleep(0.2)
    finally:
        svuotatore.ferma()
    assert not svuotatore.attivo
    assert in_coda(engine) == 0
    assert all(su.recupera(i).dati.startswith(b"%PDF-") for i in ids)


def test_the_background_drain_survives_a_failing_round(engine) -> None:
    class Rotto:
        chiamate = 0

        def svuota_coda(self):
            Rotto.chiamate += 1
            raise RuntimeError("database giù")

    svuotatore = Svuotatore(Rotto(), intervallo=0.05, massimo=0.1).avvia()
    try:
        limite = time.monotonic() + 10
        while Rotto.chiamate < 3 and time.monotonic() < limite:
            time.sleep(0.05)
    finally:
        svuotatore.ferma()
    assert Rotto.chiamate >= 3 and not svuotatore.attivo


def test_a_tampered_newer_version_is_reported(engine, weed: EmbeddedSeaweed) -> None:
    su, _ = _archivi(engine, weed)
    pdf = _pdf(30)
    record = su.archivia(pdf, META)
    assert record["anomalia"] is None and su.recupera(record["id"]).anomalia is None
    falso = pdf + b"%manomesso"
    su.store.client.put_object(su.store.bucket, record["s3_key"], io.BytesIO(falso), len(falso))
    esito = su.recupera(record["id"])
    assert esito.dati == pdf  # the recorded version is handed out, never the newer one
    assert esito.anomalia and "versioni non registrate" in esito.anomalia
    assert su.record(record["id"])["anomalia"] == esito.anomalia  # visible on the document


def _env(tmp_path: Path, db_url: str, endpoint: str, bucket: str) -> dict[str, str]:
    return {"CURIT_VAR_DIR": str(tmp_path / "var"), "CURIT_DB_URL": db_url, "CURIT_S3_ENDPOINT": endpoint,
            "CURIT_S3_ACCESS_KEY": KEY, "CURIT_S3_SECRET_KEY": SECRET, "CURIT_S3_BUCKET": bucket, "CURIT_DEMO": "0"}


def test_cli_archivia_queues_when_s3_or_its_bucket_is_unavailable(db_url: str, tmp_path: Path, weed, cli_locale) -> None:
    pdf = tmp_path / "g.pdf"
    pdf.write_bytes(_pdf(40))
    argomenti = ("archivia", str(pdf), "--tipo", "allegato-g", "--codice", "019036IN0000009",
                 "--ente", "provincia-cremona", "--data", "2025-10-03")
    bucket = f"cli-{uuid.uuid4().hex[:10]}"
    giu = cli_locale(*argomenti, env=_env(tmp_path, db_url, f"127.0.0.1:{free_port()}", bucket))
    assert giu.returncode == 7, giu.stderr
    record = json.loads(giu.stdout)
    assert record["stato"] == "in_coda" and "in coda" in giu.stderr and "Traceback" not in giu.stderr

    senza_blocco = f"nolock-{uuid.uuid4().hex[:8]}"  # the bucket check fails: no Object Lock
    Minio(weed.endpoint, access_key=KEY, secret_key=SECRET, secure=False).make_bucket(senza_blocco)
    altro = tmp_path / "h.pdf"
    altro.write_bytes(_pdf(41))
    r = cli_locale("archivia", str(altro), *argomenti[2:], env=_env(tmp_path, db_url, weed.endpoint, senza_blocco))
    assert r.returncode == 7, r.stderr
    assert json.loads(r.stdout)["stato"] == "in_coda" and "Object Lock" in json.loads(r.stdout)["motivo"]
    again = cli_locale(*argomenti, env=_env(tmp_path, db_url, f"127.0.0.1:{free_port()}", bucket))
    assert (again.returncode, json.loads(again.stdout)["id"]) == (7, record["id"])  # queued once

    r = cli_locale("coda", env=_env(tmp_path, db_url, weed.endpoint, bucket))
    assert r.returncode == 0, r.stderr
    esito = json.loads(r.stdout)
    assert (esito["archiviati"], esito["in_coda"], esito["scartati"]) == (2, 0, 0), json.dumps(esito, indent=1)
    r = cli_locale("cerca", "--codice", "019036IN0000009", env=_env(tmp_path, db_url, weed.endpoint, bucket))
    assert record["id"] in {json.loads(line)["id"] for line in r.stdout.splitlines()}
    assert "7" in cli_locale("archivia", "--help", env={"CURIT_VAR_DIR": str(tmp_path / "var")}).stdout


def test_render_archivia_keeps_the_rendered_document_when_s3_is_down(db_url: str, tmp_path: Path, cli_locale,
                                                                    stampa_cache: Path) -> None:
    """Issue 14's bullet: the work already rendered is kept, the document waits in the outbox. The G's
    compiled layouts are the run's (``stampa_cache``): with this test's own var/ it compiled them cold
    again, on each database, which is not what this test is about."""
    var = {"CURIT_VAR_DIR": str(tmp_path / "var")}
    dati = tmp_path / "g.json"
    dati.write_text(cli_locale("esempio", "allegato-g", env=var).stdout, encoding="utf-8")
    out = tmp_path / "g.pdf"
    env = {**_env(tmp_path, db_url, f"127.0.0.1:{free_port()}", f"r-{uuid.uuid4().hex[:8]}"),
           "CURIT_STAMPA_CACHE_DIR": str(stampa_cache)}
    r = cli_locale("render", "allegato-g", str(dati), "-o", str(out), "--archivia", "--no-firma", env=env)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    record = json.loads(r.stdout.splitlines()[-1])
    assert record["stato"] == "in_coda" and "non raggiungibile" in record["motivo"]


def test_the_worker_drain_opens_the_archive_itself_and_stops(db_url: str, engine, tmp_path: Path, weed) -> None:
    """The Celery worker's drain (``worker_ready``): started with the configured S3, it archives
    what waits, and ``worker_shutdown`` stops it; none without an S3 endpoint."""
    from service.archivio_coda import avvia_nel_worker, ferma_nel_worker
    from service.settings import Settings

    bucket = f"w-{uuid.uuid4().hex[:8]}"
    settings = Settings(db_url=db_url, var_dir=tmp_path / "var", s3_endpoint=weed.endpoint, s3_access_key=KEY,
                        s3_secret_key=SECRET, s3_bucket=bucket, archivio_coda_intervallo_s=0.2, demo=False)
    assert avvia_nel_worker(settings.model_copy(update={"s3_endpoint": None})) is None
    giu = Archivio(engine, ObjectStore(S3Config(f"127.0.0.1:{free_port()}", KEY, SECRET, bucket, retries=0,
                                                connect_timeout=0.5)), PoliticaConservazione(),
                   verifica=_nessuna_firma)
    giu.archivia(_pdf(50), META)
    assert in_coda(engine) == 1
    drain = avvia_nel_worker(settings)
    try:
        limite = time.monotonic() + 60
        while in_coda(engine) and time.monotonic() < limite:
            time.sleep(0.2)
    finally:
        ferma_nel_worker()
    assert in_coda(engine) == 0 and not drain.attivo
