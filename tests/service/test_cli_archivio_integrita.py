"""``curit-docs archivio controlla`` and ``serve``'s start-up self-test, as a newcomer meets them:
empty var/, embedded SeaweedFS published by a running server, which the CLI attaches to."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest

from archive.objectstore import ObjectStore, S3Config
from archive.seaweed import EmbeddedSeaweed
from tests.pki import pdf_di_prova

KEY, SECRET = "curitcli", "curit-cli-secret-0123456789"

pytestmark = pytest.mark.slow


def test_controlla_on_the_archive_of_a_running_server(tmp_path: Path, cli_locale) -> None:
    var = tmp_path / "var"
    var.mkdir()
    (var / "seaweedfs-chiavi.json").write_text(json.dumps({"access_key": KEY, "secret_key": SECRET}))
    env = {"CURIT_VAR_DIR": str(var), "CURIT_DB_URL": f"sqlite:///{var / 'curit.db'}", "CURIT_DEMO": "0"}
    pdf = tmp_path / "g.pdf"
    pdf.write_bytes(pdf_di_prova())
    # what ``serve`` does: start the embedded archive and publish it; it holds var/'s lock meanwhile, so a
    # command that tried to start a second SeaweedFS on the same folder would wait and fail
    with EmbeddedSeaweed(var / "seaweedfs", KEY, SECRET, pubblica=True) as server:
        r = cli_locale("archivia", str(pdf), "--tipo", "allegato-g", "--codice", "019036IN0000009",
                       "--ente", "provincia-cremona", "--data", "2025-10-03", env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["stato"] == "archiviato"

        r = cli_locale("archivio", "controlla", env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "" and "Archivio integro" in r.stderr

        # a version written behind the archive's back, without retention
        store = ObjectStore(S3Config(server.endpoint, KEY, SECRET, "curit-archivio", retries=0))
        extra = store.client.put_object("curit-archivio", "estraneo/x.pdf", io.BytesIO(b"%PDF-1.7 x"), 10)
        r = cli_locale("archivio", "controlla", "--contenuto", env=env, cwd=tmp_path)
        assert r.returncode == 1, r.stderr
        trovate = [json.loads(line) for line in r.stdout.splitlines()]
        assert {(t["tipo"], t["version_id"]) for t in trovate} == {
            ("non_registrata", extra.version_id), ("senza_blocco", extra.version_id)}
        assert "Archivio non integro: 2 anomalie" in r.stderr
        assert server.running() and not server.attached


def test_serve_refuses_a_bucket_without_object_lock(tmp_path: Path, cli_locale) -> None:
    with EmbeddedSeaweed(tmp_path / "s3", KEY, SECRET) as server:
        bucket = f"senza-blocco-{uuid.uuid4().hex[:6]}"
        ObjectStore(S3Config(server.endpoint, KEY, SECRET, bucket, retries=0)).client.make_bucket(bucket)
        env = {"CURIT_VAR_DIR": str(tmp_path / "var"), "CURIT_DB_URL": f"sqlite:///{tmp_path / 'curit.db'}",
               "CURIT_DEMO": "0", "CURIT_S3_ENDPOINT": server.endpoint, "CURIT_S3_ACCESS_KEY": KEY,
               "CURIT_S3_SECRET_KEY": SECRET, "CURIT_S3_BUCKET": bucket}
        r = cli_locale("serve", "--port", "0", env=env, cwd=tmp_path)
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "Avvio rifiutato" in r.stderr and "Object Lock" in r.stderr
    assert "curit-docs su http" not in r.stdout
