"""service.emissione: validate → render → sign as the issuing organisation → archive + index.

Real pieces only: WeasyPrint renders, pyHanko signs with demo identities created on the fly,
pyHanko and poppler's ``pdfsig`` verify, one embedded SeaweedFS per module stores, the index
runs on SQLite and PostgreSQL. ``curit-docs render`` is run as the real console script.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pikepdf
import pytest

from archive.indice import FiltroRicerca
from archive.seaweed import EmbeddedSeaweed
from domain.errors import RuleViolation
from renderers.errors import SigningError
from renderers.pdf import read_attachment
from service.archivio import MetadatiDocumento
from service.emissione import EMITTENTI, Emissione, organizzazione
from service.firma import verifica_documento
from service.identita import DEMO_OU
from service.produce import validate
from service.registry import DOCUMENT_TYPES, get_document_type
from service.settings import Settings
from tests.pki import nss_db, pdf_di_prova

KEY, SECRET = "curitemis", "curit-emissione-secret-0123"
CLI = Path(sys.executable).with_name("curit-docs")
MANTOVA = "ente-provincia-mantova"


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory):
    with EmbeddedSeaweed(tmp_path_factory.mktemp("weed") / "data", KEY, SECRET) as server:
        yield server


def impostazioni(base: Path, weed: EmbeddedSeaweed, *, fidata: str = MANTOVA, **kw) -> Settings:
    """Settings of one test: its own identities (the demo CA of ``fidata`` trusted), bucket and var/."""
    identita = base / "identita"
    return Settings(**{
        "var_dir": base / "var", "identita_dir": identita, "trust_roots": (identita / fidata / "ca-demo.pem",),
        "demo": True, "s3_endpoint": weed.endpoint, "s3_access_key": KEY, "s3_secret_key": SECRET,
        "s3_bucket": f"emis-{uuid.uuid4().hex[:10]}", **kw,
    })


def pdfsig(pdf: Path, ca_pem: Path, nss: Path) -> str:
    spec = nss_db(nss, SimpleNamespace(cert_pem=ca_pem.read_bytes()))
    return subprocess.run(["pdfsig", "-nssdir", spec, str(pdf)], capture_output=True, text=True).stdout


def esempio(code: str) -> dict:
    return get_document_type(code).example()


def test_every_registered_type_has_an_issuing_policy() -> None:
    assert set(EMITTENTI) == set(DOCUMENT_TYPES)


def test_emitted_g_is_signed_archived_found_and_intact(db_url: str, weed: EmbeddedSeaweed, tmp_path: Path) -> None:
    settings = impostazioni(tmp_path, weed, db_url=db_url)
    dati = esempio("allegato-g")
    with Emissione.aperta(settings) as emissione:
        emesso = emissione.emetti("allegato-g", dati, emittente=None)
        assert emesso.emittente.id == "provincia-mantova" and emesso.firmato  # Ente competente of Viadana
        verdetto = verifica_documento(emesso.pdf, settings=settings)
        assert verdetto.valida and verdetto.catena_attendibile and not verdetto.modificato_dopo_firma, verdetto.motivo
        assert verdetto.firmatario.nome == f"Firmatario demo {MANTOVA}"
        record = emesso.record
        assert record["stato"] == "archiviato" and record["firma_valida"] is True
        assert record["ente"] == "provincia-mantova" and record["codice_impianto"] == "020066IN0000347"
        assert record["data_documento"] == "2025-10-14" and record["tipo"] == "allegato-g"
        trovati, _ = emissione.archivio.cerca(FiltroRicerca(codice_impianto="020066IN0000347"))
        assert [d["id"] for d in trovati] == [record["id"]]
        assert emissione.archivio.recupera(record["id"]).dati == emesso.pdf

    path = tmp_path / "g.pdf"
    path.write_bytes(emesso.pdf)
    assert "Signature is Valid" in pdfsig(path, settings.identita_dir / MANTOVA / "ca-demo.pem", tmp_path / "nss")
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
    attached = json.loads(read_attachment(emesso.pdf))
    expected = validate(get_document_type("allegato-g"), dati).model_dump(mode="json")
    assert attached["tipo"] == "allegato-g" and attached["dati"] == expected


def test_production_without_identity_is_an_italian_error_and_nothing_is_stored(
    db_url: str, weed: EmbeddedSeaweed, tmp_path: Path
) -> None:
    settings = impostazioni(tmp_path, weed, db_url=db_url, demo=False)
    with Emissione.aperta(settings) as emissione:
        with pytest.raises(SigningError) as err:
            emissione.emetti("allegato-g", esempio("allegato-g"), emittente=None)
        assert "Provincia di Mantova" in err.value.message and MANTOVA in err.value.message
        assert emissione.archivio.cerca(FiltroRicerca())[0] == []
    assert not settings.identita_dir.exists() or list(settings.identita_dir.iterdir()) == []


def test_emetti_pdf_signs_and_archives_a_pdf_made_elsewhere(db_url: str, weed: EmbeddedSeaweed, tmp_path: Path) -> None:
    settings = impostazioni(tmp_path, weed, db_url=db_url, fidata="cait-cait-mn-01")
    meta = MetadatiDocumento(tipo="distinta-ricevuta", data_documento=date(2026, 10, 12))
    with Emissione.aperta(settings) as emissione:
        emesso = emissione.emetti_pdf(pdf_di_prova(), emittente="CAIT-MN-01", metadati=meta)
        assert emissione.firmatario("CAIT-MN-01") is emissione.firmatario("cait-mn-01")  # loaded once
        with pytest.raises(RuleViolation, match="di competenza di CAIT CAIT-MN-01"):
            emissione.emetti_pdf(pdf_di_prova(), emittente="CAIT-BS-01", metadati=replace(meta, cait="CAIT-MN-01"))
    assert emesso.record["cait"] == "CAIT-MN-01" and emesso.record["autore"] == "CAIT CAIT-MN-01"
    assert emesso.record["firma_valida"] is True and emesso.record["ente"] is None
    assert verifica_documento(emesso.pdf, settings=settings).firmatario.nome == "Firmatario demo cait-cait-mn-01"


@pytest.mark.parametrize(
    ("code", "emittente", "messaggio"),
    [
        ("allegato-a", "CAIT-MN-01", "è emesso dall'Ente competente, non da CAIT CAIT-MN-01"),
        ("allegato-a", "comune-brescia", "di competenza di Provincia di Mantova, non di Comune di Brescia"),
        ("distinta-ricevuta", "CAIT-BS-01", "di competenza di CAIT CAIT-MN-01"),
        ("avviso-ispezione", "provincia-cremona", "di competenza di Provincia di Mantova"),
        ("allegato-g", "ufficio-ignoto", "Emittente sconosciuto: ufficio-ignoto"),
    ],
)
def test_who_may_issue_what_is_checked_before_any_work(tmp_path: Path, code: str, emittente: str | None,
                                                      messaggio: str) -> None:
    settings = Settings(identita_dir=tmp_path / "identita", demo=True)
    with pytest.raises(RuleViolation, match=messaggio) as err:
        Emissione(settings).emetti(code, esempio(code), emittente=emittente)
    assert err.value.path == ("emittente",)
    assert not (tmp_path / "identita").exists()  # refused before an identity was even looked for


def test_organisations_and_their_identity_names() -> None:
    assert organizzazione("regione").identita == "regione"
    assert organizzazione("provincia-mantova").identita == MANTOVA
    assert organizzazione("CAIT-MN-01").identita == "cait-cait-mn-01"  # same name as POST /firma uses


def test_demo_identity_created_once_under_concurrency(tmp_path: Path) -> None:
    settings = Settings(identita_dir=tmp_path / "identita", demo=True)
    with ThreadPoolExecutor(4) as pool:
        firmatari = list(pool.map(lambda _: Emissione(settings).firmatario("comune-brescia"), range(4)))
    assert len({f.certificato.dump() for f in firmatari}) == 1
    assert sorted(p.name for p in settings.identita_dir.iterdir()) == ["ente-comune-brescia"]
    assert DEMO_OU in firmatari[0].certificato.subject.human_friendly


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("CURIT_")} | env
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, env=full, timeout=600)


def test_cli_render_signs_by_default_and_archives_when_asked(weed: EmbeddedSeaweed, tmp_path: Path,
                                                             stampa_cache: Path) -> None:
    """The real console script; the G's compiled layouts are the run's (``stampa_cache``), not compiled
    cold again by each of the two processes in this test's own var/ (the cold path is the first-run
    tests')."""
    settings = impostazioni(tmp_path, weed)
    dati = tmp_path / "g.json"
    dati.write_text(json.dumps(esempio("allegato-g"), default=str))
    env = {"CURIT_IDENTITA_DIR": str(settings.identita_dir), "CURIT_VAR_DIR": str(tmp_path / "var"),
           "CURIT_DB_URL": f"sqlite:///{tmp_path / 'indice.db'}", "CURIT_S3_ENDPOINT": weed.endpoint,
           "CURIT_S3_ACCESS_KEY": KEY, "CURIT_S3_SECRET_KEY": SECRET, "CURIT_S3_BUCKET": settings.s3_bucket,
           "CURIT_TRUST_ROOTS": json.dumps([str(p) for p in settings.trust_roots]),
           "CURIT_DEMO": "1",  # demo mode: the missing identity is created (production refuses: test below)
           "CURIT_STAMPA_CACHE_DIR": str(stampa_cache)}
    out = _cli("render", "allegato-g", str(dati), "-o", str(tmp_path / "g.pdf"), "--copia", "utente",
               "--archivia", **env)
    assert out.returncode == 0, out.stderr
    righe = out.stdout.strip().splitlines()
    assert righe[0] == str(tmp_path / "g.pdf")
    record = json.loads(righe[1])
    assert record["stato"] == "archiviato" and record["ente"] == "provincia-mantova" and record["firma_valida"]
    assert "Signature is Valid" in pdfsig(tmp_path / "g.pdf", settings.trust_roots[0], tmp_path / "nss")

    unsigned = _cli("render", "allegato-g", str(dati), "-o", str(tmp_path / "u.pdf"), "--no-firma", **env)
    assert unsigned.returncode == 0 and unsigned.stdout.strip() == str(tmp_path / "u.pdf"), unsigned.stderr
    assert "does not contain any signatures" in subprocess.run(
        ["pdfsig", str(tmp_path / "u.pdf")], capture_output=True, text=True).stdout


def test_cli_render_in_production_without_identity_writes_nothing(tmp_path: Path) -> None:
    dati = tmp_path / "g.json"
    dati.write_text(json.dumps(esempio("allegato-g"), default=str))
    out = _cli("render", "allegato-g", str(dati), "-o", str(tmp_path / "g.pdf"), "--firma",
               CURIT_IDENTITA_DIR=str(tmp_path / "identita"), CURIT_DEMO="0", CURIT_VAR_DIR=str(tmp_path / "var"))
    assert out.returncode == 2
    assert "Nessuna identità di firma configurata per Provincia di Mantova" in out.stderr
    assert not (tmp_path / "g.pdf").exists() and not (tmp_path / "identita").exists()
    vuoto = _cli("render", "allegato-g", "--vuoto", "--firma", "-o", str(tmp_path / "v.pdf"))
    assert vuoto.returncode == 1 and "Un modulo in bianco non è un documento emesso" in vuoto.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.json"]
