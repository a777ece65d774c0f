"""``curit-docs archivio rinnova-marche`` on SeaweedFS and on Ceph RGW (the session servers of
tests/s3.py, a fresh Object Lock bucket each), with the test PKI's real TSAs and OCSP
responder (tests/pki.py ``pki_lt``): a B-LTA document whose archive timestamp expires soon gets a
new one as a new object version whose COMPLIANCE retention, read back from the server, is the old
version's; the old version is still there; recorded in the index and in ``archivio_versioni_s3``;
S3 dying midway loses nothing; ``verifica`` reports the level and until when the evidence holds."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from sqlalchemy import select

from renderers.lta import livello_pades
from renderers.sign import FirmaSpec, Firmatario
from renderers.sign_chiavi import ChiaveSoftware
from renderers.verify import verifica_pdf
from tests.s3 import ACCESS_KEY, SECRET_KEY
from tests.pki import pdf_di_prova, pki_lt

UTC = dt.timezone.utc

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pki():
    return pki_lt()


@pytest.fixture
def ambiente(tmp_path: Path, pki, s3_server, bucket_name):  # noqa: F811
    var = tmp_path / "var"
    var.mkdir()
    ca = tmp_path / "ca.pem"
    ca.write_bytes(pki.ca.cert_pem)
    env = {"CURIT_VAR_DIR": str(var), "CURIT_DB_URL": f"sqlite:///{var / 'curit.db'}", "CURIT_DEMO": "0",
           "CURIT_TRUST_ROOTS": json.dumps([str(ca)]), "CURIT_TSA_URL": pki.url_tsa,
           "CURIT_S3_ENDPOINT": s3_server.endpoint, "CURIT_S3_ACCESS_KEY": ACCESS_KEY,
           "CURIT_S3_SECRET_KEY": SECRET_KEY, "CURIT_S3_BUCKET": bucket_name}
    # signed B-LTA with the TSA whose certificate expires in 20 days
    firmatario = Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]),
                                           timestamper=RequestsHTTPTimeStamper(pki.url_tsa_breve, timeout=5))
    pdf = tmp_path / "g.pdf"
    pdf.write_bytes(firmatario.firma(pdf_di_prova(), FirmaSpec(livello="B-LTA")))
    return var, env, pdf


def _archivio(var: Path, env: dict[str, str]):
    from service.archivio_apertura import apri_archivio

    return apri_archivio(archivio_settings(env, var))


@pytest.mark.xdist_group("s3")
def test_rinnova_marche_nuova_versione_stessa_conservazione(ambiente, cli_locale, pki, tmp_path, monkeypatch):
    var, env, pdf = ambiente
    r = cli_locale("archivia", str(pdf), "--tipo", "allegato-g", "--codice", "019036IN0000009",
                   "--ente", "provincia-cremona", "--data", "2025-10-03", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    record = json.loads(r.stdout)
    assert record["stato"] == "archiviato" and record["firma_esito"]["livello"] == "B-LTA"
    doc_id, key, v1 = record["id"], record["s3_key"], record["version_id"]

    # the archive timestamp expires in 20 days: not within 10, within 30
    r = cli_locale("archivio", "rinnova-marche", "--giorni", "10", env=env, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == "", r.stderr
    r = cli_locale("archivio", "rinnova-marche", "--giorni", "30", "--solo-elenco", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    [elenco] = [json.loads(line) for line in r.stdout.splitlines()]
    assert elenco["esito"] == "da_rinnovare" and elenco["documento_id"] == doc_id
    assert "TSA di prova in scadenza" in elenco["motivo"]

    # S3 stops answering between reading the document and writing its new version (the write
    # goes to a port nobody listens on: a real refused connection): nothing lost
    from dataclasses import replace

    from archive.objectstore import ObjectStore
    from service import marche

    put = ObjectStore.put

    def s3_irraggiungibile(self, *a, **k):  # noqa: ANN001, ANN002, ANN003
        muto = ObjectStore(replace(self.config, endpoint="127.0.0.1:9", retries=0), registro=self.registro)
        return put(muto, *a, **k)

    monkeypatch.setattr(ObjectStore, "put", s3_irraggiungibile)
    with _archivio(var, env) as archivio:
        [esito] = list(marche.rinnova_marche(archivio, archivio_settings(env, var), giorni=30))
    monkeypatch.setattr(ObjectStore, "put", put)
    assert esito.esito == "errore" and esito.errore_archivio, esito
    assert "versione attuale resta valida" in esito.motivo
    with _archivio(var, env) as archivio:
        assert archivio.record(doc_id)["version_id"] == v1
        assert archivio.store.versions(key) == [v1]
        assert archivio.recupera(doc_id).firma["valida"]
        archivio.blocco_legale(doc_id, True, da="test")  # the new version must keep it too

    r = cli_locale("archivio", "rinnova-marche", "--giorni", "30", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    [rinnovo] = [json.loads(line) for line in r.stdout.splitlines()]
    assert rinnovo["esito"] == "rinnovato" and "1 rinnovato" in r.stderr
    v2 = rinnovo["version_id"]
    assert dt.datetime.fromisoformat(rinnovo["nuova_prova_fino_al"]) == pki.tsa.cert.not_valid_after_utc

    with _archivio(var, env) as archivio:
        store = archivio.store
        assert store.versions(key) == [v2, v1]  # a new version; the old one is still there
        vecchia, nuova = store.retention(key, v1), store.retention(key, v2)  # read back from the server
        assert nuova.mode == vecchia.mode == "COMPLIANCE" and nuova.until == vecchia.until
        assert nuova.until > dt.datetime.now(UTC)
        assert store.get(key, v1) == pdf.read_bytes()  # the old version, unchanged
        assert store.legal_hold(key, v2) and store.legal_hold(key, v1)
        riga = archivio.record(doc_id)
        assert riga["version_id"] == v2 and riga["firma_valida"]
        assert riga["conserva_fino_al"] == record["conserva_fino_al"]
        from archive.versioni import VersioneS3
        from archive.db import session_scope

        with session_scope(archivio.engine) as session:
            registrate = set(session.scalars(select(VersioneS3.version_id).where(VersioneS3.s3_key == key)))
        assert registrate == {v1, v2}
        recuperato = archivio.recupera(doc_id)
        assert recuperato.anomalia is None and recuperato.firma["valida"]
        nuovo = recuperato.dati
    assert nuovo.startswith(pdf.read_bytes())
    stato = livello_pades(nuovo)
    assert stato.livello == "B-LTA" and stato.marche_documento == 2
    assert stato.fino_al == pki.tsa.cert.not_valid_after_utc

    r = cli_locale("archivio", "controlla", env=env, cwd=tmp_path)
    assert r.returncode == 0, (r.stdout, r.stderr)
    r = cli_locale("archivio", "rinnova-marche", "--giorni", "30", env=env, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == ""  # nothing left to renew
    # the scheduled task (Celery beat) runs the same renewal with the configured window; with a window
    # reaching the TSA's own expiry a new timestamp from that TSA would prove nothing longer: refused
    from service.batch.celery_app import app
    from service.settings import get_settings

    assert app.conf.beat_schedule["curit-rinnova-marche"]["task"] == "curit.archivio.rinnova_marche"
    for k, v in {**env, "CURIT_RINNOVO_MARCHE_GIORNI": "10000"}.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        assert app.tasks["curit.archivio.rinnova_marche"].apply().get() == {"non_rinnovabile": 1}
    finally:
        get_settings.cache_clear()
    with _archivio(var, env) as archivio:
        assert archivio.store.versions(key) == [v2, v1] and archivio.record(doc_id)["version_id"] == v2

    # verifica: the level and, in Italian, until when the evidence holds
    (tmp_path / "rinnovato.pdf").write_bytes(nuovo)
    r = cli_locale("verifica", str(tmp_path / "rinnovato.pdf"), env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    verdetto = json.loads(r.stdout)
    assert verdetto["livello"] == "B-LTA"
    fino = pki.tsa.cert.not_valid_after_utc
    assert dt.datetime.fromisoformat(verdetto["prova_fino_al"]) == fino
    assert f"fino al {fino:%d/%m/%Y}" in r.stderr and "Livello PAdES B-LTA" in r.stderr
    # years later, after the signer's and the first TSA's certificates expired
    pki.orologio = dt.datetime.now(UTC) + dt.timedelta(days=3 * 365)
    try:
        assert verifica_pdf(nuovo, trust_roots=[pki.ca.cert], momento=pki.orologio).valida
        assert not verifica_pdf(pdf.read_bytes(), trust_roots=[pki.ca.cert], momento=pki.orologio).valida
    finally:
        pki.orologio = None


def archivio_settings(env: dict[str, str], var: Path):
    from service.settings import Settings

    return Settings(var_dir=var, db_url=env["CURIT_DB_URL"], demo=False,
                    trust_roots=tuple(json.loads(env["CURIT_TRUST_ROOTS"])), tsa_url=env["CURIT_TSA_URL"],
                    s3_endpoint=env["CURIT_S3_ENDPOINT"], s3_access_key=env["CURIT_S3_ACCESS_KEY"],
                    s3_secret_key=env["CURIT_S3_SECRET_KEY"], s3_bucket=env["CURIT_S3_BUCKET"])


def test_senza_tsa_o_con_giorni_negativi_rifiutato_in_italiano(tmp_path):
    from domain.errors import RuleViolation
    from service.marche import rinnova_marche
    from service.settings import Settings

    with pytest.raises(RuleViolation, match="CURIT_TSA_URL"):
        list(rinnova_marche(None, Settings(var_dir=tmp_path, demo=False), giorni=30))
    with pytest.raises(RuleViolation, match="giorni"):
        list(rinnova_marche(None, Settings(var_dir=tmp_path, demo=False), giorni=-1))


def test_firma_da_riga_di_comando_al_livello_configurato(tmp_path, cli_locale, pki):
    from tests.pki import scrivi_pem

    scrivi_pem(pki.firmatario, pki.ca, tmp_path / "identita" / "ente-prova")
    (tmp_path / "g.pdf").write_bytes(pdf_di_prova())
    env = {"CURIT_VAR_DIR": str(tmp_path / "var"), "CURIT_IDENTITA_DIR": str(tmp_path / "identita"),
           "CURIT_DEMO": "0", "CURIT_TSA_URL": pki.url_tsa, "CURIT_FIRMA_LIVELLO": "B-LTA"}
    r = cli_locale("firma", "g.pdf", "-o", "f.pdf", "--identita", "ente-prova", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Livello PAdES B-LTA" in r.stderr and f"{pki.tsa.cert.not_valid_after_utc:%d/%m/%Y}" in r.stderr
    assert livello_pades((tmp_path / "f.pdf").read_bytes()).livello == "B-LTA"
    # without a TSA the production default still signs, offline, and says B-B
    senza = {k: v for k, v in env.items() if k not in ("CURIT_TSA_URL", "CURIT_FIRMA_LIVELLO")}
    r = cli_locale("firma", "g.pdf", "-o", "b.pdf", "--identita", "ente-prova", env=senza, cwd=tmp_path)
    assert r.returncode == 0 and "Livello PAdES B-B" in r.stderr, r.stderr
    r = cli_locale("firma", "g.pdf", "-o", "x.pdf", "--identita", "ente-prova", "--livello", "B-LTA",
                   env=senza, cwd=tmp_path)
    assert r.returncode == 2 and "TSA" in r.stderr and not (tmp_path / "x.pdf").exists()
