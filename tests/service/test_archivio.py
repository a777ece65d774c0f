"""service.archivio: archive signed PDFs, retrieve them verified, outbox, disposal, legal hold;
and the ``curit-docs archivia | cerca | recupera | originali`` commands.

S3 here is one embedded SeaweedFS per module (the two-server matrix lives in tests/archive/); no
``s3`` xdist group is needed: the module-scoped server keeps the module on one worker already
(tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pikepdf
import pytest

from archive.indice import FiltroRicerca
from archive.objectstore import ObjectStore, S3Config
from archive.outbox import in_coda
from archive.seaweed import EmbeddedSeaweed
from domain.conservazione import PoliticaConservazione
from domain.errors import Conflict, NotFound, RuleViolation
from renderers.sign import Firmatario
from renderers.sign_chiavi import ChiaveSoftware
from service.archivio import Archivio, MetadatiDocumento
from service.archivio_metadati import metadati_da_pdf
from service.firma import spec_per_tipo, verifica_documento
from service.settings import Settings
from tests.pki import materiale, pdf_di_prova

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "curitsvc", "curit-svc-secret-0123456789"


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory):
    with EmbeddedSeaweed(tmp_path_factory.mktemp("weed") / "data", KEY, SECRET) as server:
        yield server


@pytest.fixture(scope="module")
def firme(tmp_path_factory: pytest.TempPathFactory):
    """A signer from the test PKI and settings that trust its CA."""
    pki = materiale()
    ca = tmp_path_factory.mktemp("trust") / "ca.pem"
    ca.write_bytes(pki.ca.cert_pem)
    settings = Settings(trust_roots=[ca])
    firmatario = Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]))
    return firmatario, settings, ca


@pytest.fixture
def archivio(engine, weed: EmbeddedSeaweed, firme) -> Archivio:
    _, settings, _ = firme
    store = ObjectStore(S3Config(weed.endpoint, KEY, SECRET, f"svc-{uuid.uuid4().hex[:10]}", retries=0,
                                 connect_timeout=1))
    store.ensure_bucket()
    return Archivio(engine, store, PoliticaConservazione(anni_dichiarazioni=5),
                    verifica=lambda pdf: verifica_documento(pdf, settings=settings))


def _firmato(firme, pdf: bytes) -> bytes:
    firmatario, settings, _ = firme
    return firmatario.firma(pdf, spec_per_tipo(None, visibile=False, settings=settings))


META = MetadatiDocumento(
    tipo="allegato-g", data_documento=date(2025, 10, 3), codice_impianto="019036IN0000001",
    ente="provincia-cremona", cait="cait-cremona", manutentore="Termoidraulica Rossi", etichetta="G00001234",
    responsabile_cf="RSSMRA80A01D150X",
)


def test_archivia_signed_then_recupera_verified(archivio: Archivio, firme) -> None:
    pdf = _firmato(firme, pdf_di_prova())
    record = archivio.archivia(pdf, META)
    assert record["stato"] == "archiviato" and record["version_id"]
    assert record["firma_valida"] is True and record["firma_esito"]["firmato"] is True
    assert record["conserva_fino_al"] == "2033-07-31"  # validity 01/08/2026-31/07/2028, + 5 years
    assert record["stagione"] == "2025/2026"
    assert record["s3_key"] == f"provincia-cremona/2025-2026/allegato-g/019036in0000001/{record['id']}.pdf"
    agid = record["metadati_agid"]
    assert agid["autore"] == "Termoidraulica Rossi" and agid["destinatario"] == "provincia-cremona"
    assert agid["impronta"]["valore"] == record["sha256"]
    info = archivio.store.info(record["s3_key"], record["version_id"])
    assert info.retention_mode == "COMPLIANCE" and info.retain_until.date() == date(2033, 7, 31)
    out = archivio.recupera(record["id"])
    assert out.dati == pdf and out.firma["valida"] is True
    # same bytes again: same record, no new S3 version
    again = archivio.archivia(pdf, META)
    assert again["id"] == record["id"] and again["version_id"] == record["version_id"]
    assert archivio.store.versions(record["s3_key"]) == [record["version_id"]]
    pagina, _ = archivio.cerca(FiltroRicerca(etichetta="G00001234"))
    assert [r["id"] for r in pagina] == [record["id"]]


def test_unsigned_document_is_archived_with_the_verdict(archivio: Archivio) -> None:
    record = archivio.archivia(pdf_di_prova(), META)
    assert record["firma_valida"] is None
    assert record["firma_esito"]["firmato"] is False
    assert "non contiene firme" in record["firma_esito"]["motivo"]
    out = archivio.recupera(record["id"])
    assert out.firma["firmato"] is False and out.dati == pdf_di_prova()


def test_recupera_refuses_tampered_bytes(archivio: Archivio, firme) -> None:
    pdf = _firmato(firme, pdf_di_prova())
    record = archivio.archivia(pdf, META)
    # a new version written behind the archive's back under the same key (an insider with keys)
    archivio.store.client.put_object(
        archivio.store.bucket, record["s3_key"], __import__("io").BytesIO(pdf + b"%tamper"), len(pdf) + 7
    )
    ok = archivio.recupera(record["id"])  # the index pins the version: the original still comes back
    assert ok.dati == pdf
    with archivio.engine.begin() as conn:  # now point the index at the tampered version
        from sqlalchemy import update

        from archive.indice import Documento

        conn.execute(update(Documento).where(Documento.id == record["id"])
                     .values(version_id=archivio.store.versions(record["s3_key"])[0]))
    with pytest.raises(Conflict, match="impronta"):
        archivio.recupera(record["id"])


def test_recupera_refuses_a_broken_signature(archivio: Archivio, firme) -> None:
    pdf = bytearray(_firmato(firme, pdf_di_prova()))
    at = pdf.index(b"Rapporto di prova") if b"Rapporto di prova" in pdf else len(pdf) // 3
    pdf[at] ^= 0x01
    record = archivio.archivia(bytes(pdf), replace_meta(documento_id="rotto"))
    assert record["firma_valida"] is False
    with pytest.raises(Conflict, match="firma"):
        archivio.recupera("rotto")


def replace_meta(**kw) -> MetadatiDocumento:
    from dataclasses import replace

    return replace(META, **kw)


def test_outbox_when_s3_is_down_then_drained(engine, weed: EmbeddedSeaweed, firme) -> None:
    _, settings, _ = firme
    bucket = f"svc-{uuid.uuid4().hex[:10]}"
    buono = ObjectStore(S3Config(weed.endpoint, KEY, SECRET, bucket, retries=0))
    buono.ensure_bucket()
    giu = ObjectStore(S3Config(f"127.0.0.1:{_porta_chiusa()}", KEY, SECRET, bucket, retries=0, connect_timeout=0.5))
    verifica = lambda pdf: verifica_documento(pdf, settings=settings)  # noqa: E731
    down = Archivio(engine, giu, verifica=verifica)
    record = down.archivia(pdf_di_prova(), META)
    assert record["stato"] == "in_coda" and record["version_id"] is None
    with pytest.raises(NotFound):
        down.record(record["id"])  # not recorded as archived before the S3 write
    assert in_coda(engine) == 1
    up = Archivio(engine, buono, verifica=verifica)
    esito = up.svuota_coda()
    assert (esito.archiviati, esito.in_coda) == (1, 0)
    assert up.recupera(record["id"]).dati == pdf_di_prova()


def _porta_chiusa() -> int:
    from archive.seaweed_processi import free_port

    return free_port()


def test_legal_hold_and_disposal(archivio: Archivio) -> None:
    pdf = pdf_di_prova()
    record = archivio.archivia(pdf, replace_meta(documento_id="da-smaltire"))
    oggi_futuro = date(2040, 1, 1)
    assert [r["id"] for r in archivio.scaduti(oggi_futuro)] == ["da-smaltire"]
    with pytest.raises(Conflict, match="conservazione"):
        archivio.smaltisci("da-smaltire", da="archivista", motivo="scarto 2040", oggi=date(2030, 1, 1))
    with pytest.raises(RuleViolation):
        archivio.smaltisci("da-smaltire", da="archivista", motivo=" ", oggi=oggi_futuro)
    archivio.blocco_legale("da-smaltire", True, da="ufficio-sanzioni")
    assert archivio.store.legal_hold(record["s3_key"], record["version_id"])
    assert archivio.scaduti(oggi_futuro) == []
    with pytest.raises(Conflict, match="blocco legale"):
        archivio.smaltisci("da-smaltire", da="archivista", motivo="scarto", oggi=oggi_futuro)
    archivio.blocco_legale("da-smaltire", False, da="ufficio-sanzioni")
    # the index says expired but S3 still enforces the COMPLIANCE retention: refused, nothing lost
    with pytest.raises(Conflict, match="protetto"):
        archivio.smaltisci("da-smaltire", da="archivista", motivo="scarto", oggi=oggi_futuro)
    assert archivio.recupera("da-smaltire").dati == pdf


def test_disposal_after_real_expiry(archivio: Archivio, caplog: pytest.LogCaptureFixture) -> None:
    pdf = pdf_di_prova() + b"%scade"
    voce = archivio.prepara_voce(pdf, replace_meta(documento_id="scaduto"), ora=datetime.now(timezone.utc))
    fine = datetime.now(timezone.utc) + timedelta(seconds=2)
    stored = archivio.store.put(voce.indice.s3_key, pdf, retain_until=fine)
    from archive.db import session_scope
    from archive.indice import registra
    from dataclasses import replace

    with session_scope(archivio.engine) as s:
        registra(s, replace(voce.indice, version_id=stored.version_id, conserva_fino_al=date.today() - timedelta(days=1)))
    time.sleep(max(0.0, (fine - datetime.now(timezone.utc)).total_seconds()) + 1.5)
    with caplog.at_level("WARNING", logger="curit.archivio"):
        done = archivio.smaltisci("scaduto", da="archivista", motivo="scarto autorizzato n. 12", oggi=date.today())
    assert done["smaltito_da"] == "archivista" and done["smaltito_il"]
    assert any("SMALTIMENTO" in r.getMessage() and "scaduto" in r.getMessage() for r in caplog.records)
    with pytest.raises(NotFound):
        archivio.store.get(voce.indice.s3_key, stored.version_id)
    with pytest.raises(NotFound, match="smaltito"):
        archivio.recupera("scaduto")


def test_metadati_da_pdf_reads_dati_json() -> None:
    meta = metadati_da_pdf(pdf_di_prova(), tipo="allegato-g", data_documento=date(2025, 10, 3), cait="cait-x")
    assert meta.tipo == "allegato-g" and meta.cait == "cait-x"
    with pytest.raises(RuleViolation):
        metadati_da_pdf(b"%PDF-1.7 senza allegati")


# -- CLI ------------------------------------------------------------------------------------------


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CURIT_")} | env
    return subprocess.run(
        [sys.executable, "-c", "from service.cli import main; main()", *args],
        capture_output=True, text=True, env=full | {"PYTHONPATH": str(ROOT)}, cwd=cwd, timeout=120,
    )


@pytest.mark.slow
def test_cli_archivia_cerca_recupera_originali(tmp_path: Path, firme, cli_locale) -> None:
    """No CURIT_S3_ENDPOINT: the console script starts (and stops) the embedded SeaweedFS under var/.

    The later commands run in this process against that same server, started once more on its
    remembered ports and data (``CURIT_S3_*``), instead of one SeaweedFS start per command.
    """
    _, _, ca = firme
    pdf = tmp_path / "g.pdf"
    pdf.write_bytes(_firmato(firme, pdf_di_prova()))
    env = {"CURIT_VAR_DIR": str(tmp_path / "var"), "CURIT_DB_URL": f"sqlite:///{tmp_path / 'var' / 'curit.db'}",
           "CURIT_TRUST_ROOTS": json.dumps([str(ca)]), "CURIT_DEMO": "0"}
    r = _cli("archivia", str(pdf), "--tipo", "allegato-g", "--codice", "019036IN0000009", "--cait", "cait-cremona",
             "--ente", "provincia-cremona", "--data", "2025-10-03", "--etichetta", "G00009999",
             "--cf", "rssmra80a01d150x", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    record = json.loads(r.stdout)
    assert record["stato"] == "archiviato" and record["firma_valida"] is True
    assert record["responsabile_cf"] == "RSSMRA80A01D150X"
    assert (tmp_path / "var" / "seaweedfs" / "ports.json").exists()

    chiavi = json.loads((tmp_path / "var" / "seaweedfs-chiavi.json").read_text())
    cli = cli_locale
    with EmbeddedSeaweed(tmp_path / "var" / "seaweedfs", chiavi["access_key"], chiavi["secret_key"]) as server:
        env |= {"CURIT_S3_ENDPOINT": server.endpoint, "CURIT_S3_ACCESS_KEY": chiavi["access_key"],
                "CURIT_S3_SECRET_KEY": chiavi["secret_key"]}
        r = cli("cerca", "--cf", "RSSMRA80A01D150X", "--stagione", "2025/2026", env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == [record["id"]]

        out = tmp_path / "out.pdf"
        r = cli("recupera", record["id"], "-o", str(out), env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert out.read_bytes() == pdf.read_bytes()
        with pikepdf.open(out) as doc:
            assert len(doc.pages) == 1

        r = cli("originali", "registra", record["id"], "--cait", "cait-cremona", "--ricevuto", "2025-10-10",
                "--faldone", "F7", "--scatola", "S2", "--posizione", "19", env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        r = cli("originali", "richiedi", record["id"], "--ente", "provincia-cremona", "--operatore", "ispettore",
                env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        richiesta = json.loads(r.stdout)
        assert richiesta["detentore"] == "cait:cait-cremona" and richiesta["stato"] == "richiesto"
        r = cli("originali", "dove", record["id"], env=env, cwd=tmp_path)
        dove = json.loads(r.stdout)
        assert (dove["detentore"], dove["faldone"], dove["conserva_fino_al"]) == ("cait-cremona", "F7", "2028-07-31")

        r = cli("recupera", "inesistente", "-o", str(tmp_path / "x.pdf"), env=env, cwd=tmp_path)
        assert r.returncode == 1 and "non presente" in r.stderr
        r = cli("smaltisci", record["id"], "--motivo", "prova", env=env, cwd=tmp_path)
        assert r.returncode == 1 and "--conferma" in r.stderr
