"""/archivio over HTTP: search with pagination, verified download, verification of an upload,
archiving an upload, legal hold, disposal refused during retention, the paper-original workflow.

The app runs on the per-test database (SQLite and PostgreSQL) with a real SeaweedFS; the
documents are archived through the app's own ``Archivio`` (real S3 writes, real signatures
from the test PKI). ``seeded`` is shared with ``test_api_tenancy.py``.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient

from archive.seaweed import EmbeddedSeaweed
from renderers.sign import Firmatario
from renderers.sign_chiavi import ChiaveSoftware
from service.api.archivio_dep import archivio_per
from service.archivio import MetadatiDocumento
from service.firma import spec_per_tipo
from service.settings import Settings
from tests.pki import materiale, pdf_di_prova

KEY, SECRET = "curitapi", "curit-api-secret-0123456789"
MANTOVA, BRESCIA = "provincia-mantova", "comune-brescia"


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory):
    with EmbeddedSeaweed(tmp_path_factory.mktemp("weed-api") / "data", KEY, SECRET) as server:
        yield server


@pytest.fixture(scope="module")
def pki_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ca = tmp_path_factory.mktemp("trust-api") / "ca.pem"
    ca.write_bytes(materiale().ca.cert_pem)
    return ca


@pytest.fixture
def api_settings(db_url: str, tmp_path: Path, weed: EmbeddedSeaweed, pki_ca: Path) -> Settings:
    """The conftest settings plus a real S3 bucket of its own and the test CA as trust root."""
    return Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret", demo=True,
                    s3_endpoint=weed.endpoint, s3_access_key=KEY, s3_secret_key=SECRET,
                    s3_bucket=f"api-{uuid.uuid4().hex[:12]}", trust_roots=(pki_ca,))


def firmato(pdf: bytes) -> bytes:
    pki = materiale()
    firmatario = Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]))
    return firmatario.firma(pdf, spec_per_tipo(None, visibile=False, settings=Settings()))


@dataclass(frozen=True)
class Doc:
    id: str
    tipo: str
    ente: str
    cait: str
    manutentore: str | None
    codice: str


DOCS = (
    Doc("mn-g-rossi", "allegato-g", MANTOVA, "CAIT-MN-01", "Rossi Termoidraulica S.n.c.", "020066IN0000001"),
    Doc("mn-distinta", "distinta-ricevuta", MANTOVA, "CAIT-MN-01", None, "020066CT0000002"),
    Doc("bs-f-bianchi", "allegato-f", BRESCIA, "CAIT-BS-01", "Bianchi Calore S.r.l.", "017029CT0000003"),
)
"""One document per tenant combination; the expected visibility per user is in test_api_tenancy."""


@pytest.fixture
def seeded(client: TestClient, api_settings: Settings) -> dict[str, Doc]:
    """The three documents archived (signed) through the app's own archive."""
    archivio = archivio_per(client.app, api_settings)
    pdf = firmato(pdf_di_prova())
    for n, d in enumerate(DOCS):
        meta = MetadatiDocumento(tipo=d.tipo, data_documento=date(2025, 10, 1) + timedelta(days=n),
                                 codice_impianto=d.codice, ente=d.ente, cait=d.cait, manutentore=d.manutentore,
                                 documento_id=d.id, responsabile_cf="VRDNNA70A41L826G")
        assert archivio.archivia(pdf, meta)["stato"] == "archiviato"
    return {d.id: d for d in DOCS}


def test_search_paginates_newest_first(client: TestClient, login, seeded) -> None:
    h = login("admin")
    r = client.get("/archivio/documenti", params={"limite": 2}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [d["id"] for d in body["documenti"]] == ["bs-f-bianchi", "mn-distinta"]
    assert body["prossima"]
    r2 = client.get("/archivio/documenti", params={"limite": 2, "dopo": body["prossima"]}, headers=h).json()
    assert [d["id"] for d in r2["documenti"]] == ["mn-g-rossi"] and r2["prossima"] is None
    filtrato = client.get("/archivio/documenti", params={"codice_impianto": "020066CT0000002"}, headers=h).json()
    assert [d["id"] for d in filtrato["documenti"]] == ["mn-distinta"]
    bad = client.get("/archivio/documenti", params={"stagione": "2025-26", "limite": 0}, headers=h)
    assert bad.status_code == 422
    assert {e["campo"] for e in bad.json()["errori"]} == {"query.stagione", "query.limite"}


def test_download_is_verified_and_audited(client: TestClient, login, seeded, api_settings: Settings) -> None:
    h = login("ente.mantova")
    r = client.get("/archivio/documenti/mn-g-rossi/pdf", headers=h)
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"%PDF-")
    assert r.headers["x-curit-firma"] == "valida"
    record = client.get("/archivio/documenti/mn-g-rossi", headers=h).json()
    assert r.headers["x-curit-sha256"] == record["sha256"] == record["metadati_agid"]["impronta"]["valore"]
    from sqlalchemy import select

    from archive.utenti import Audit
    from service.api.deps import state_for

    with state_for(api_settings).sessions() as s:
        azioni = list(s.scalars(select(Audit.azione).where(Audit.utente == "ente.mantova")))
    assert "archivio.recupera" in azioni


def test_verify_upload_recognises_archived_bytes_and_tampering(client: TestClient, login, seeded) -> None:
    h = login("ente.mantova")
    original = client.get("/archivio/documenti/mn-g-rossi/pdf", headers=h).content
    r = client.post("/archivio/verifica", files={"file": ("g.pdf", original, "application/pdf")}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["firma"]["valida"] is True and body["archiviato"] is True
    assert {d["id"] for d in body["documenti"]} == {"mn-g-rossi", "mn-distinta"}  # same test bytes
    tampered = bytearray(original)
    at = tampered.index(b"Rapporto di prova") if b"Rapporto di prova" in tampered else len(tampered) // 3
    tampered[at] ^= 0x01
    r = client.post("/archivio/verifica", files={"file": ("g.pdf", bytes(tampered), "application/pdf")}, headers=h)
    assert r.status_code == 200
    assert r.json()["firma"]["valida"] is False and r.json()["archiviato"] is False
    r = client.post("/archivio/verifica", files={"file": ("x.pdf", b"not a pdf", "application/pdf")}, headers=h)
    assert r.status_code == 422 and r.json()["errori"][0]["campo"] == "file"


def test_archive_upload_forces_the_callers_tenant(client: TestClient, login, seeded) -> None:
    h = login("cait.mantova")
    pdf = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_di_prova())) as p:
        p.docinfo["/Title"] = "Dichiarazione ricevuta"
        p.save(pdf)
    form = {"tipo": "allegato-g", "codice_impianto": "020066IN0000009", "data_documento": "2025-11-05",
            "ente": MANTOVA}
    r = client.post("/archivio/documenti", data=form, files={"file": ("g.pdf", pdf.getvalue(), "application/pdf")},
                    headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["cait"] == "CAIT-MN-01" and r.json()["stato"] == "archiviato"
    altro = client.post("/archivio/documenti", data={**form, "cait": "CAIT-BS-01"},
                        files={"file": ("g.pdf", pdf.getvalue(), "application/pdf")}, headers=h)
    assert altro.status_code == 403
    manca = client.post("/archivio/documenti", data={"ente": MANTOVA},
                        files={"file": ("g.pdf", pdf_di_prova(), "application/pdf")}, headers=h)
    assert manca.status_code == 422


def test_legal_hold_and_disposal(client: TestClient, login, seeded) -> None:
    h = login("ente.mantova")
    r = client.put("/archivio/documenti/mn-g-rossi/blocco-legale", json={"attivo": True, "motivo": "Sanzione 12/2026"},
                   headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["blocco_legale"] is True
    r = client.post("/archivio/documenti/mn-g-rossi/smaltimento", json={"motivo": "scarto", "conferma": True},
                    headers=h)
    assert r.status_code == 409 and "blocco legale" in r.json()["errori"][0]["messaggio"]
    r = client.put("/archivio/documenti/mn-g-rossi/blocco-legale", json={"attivo": False, "motivo": "Archiviata"},
                   headers=h)
    assert r.json()["blocco_legale"] is False
    r = client.post("/archivio/documenti/mn-g-rossi/smaltimento", json={"motivo": "scarto", "conferma": True},
                    headers=h)
    assert r.status_code == 409 and "conservazione" in r.json()["errori"][0]["messaggio"]
    r = client.post("/archivio/documenti/mn-g-rossi/smaltimento", json={"motivo": "scarto", "conferma": False},
                    headers=h)
    assert r.status_code == 422 and r.json()["errori"][0]["campo"] == "conferma"
    assert client.get("/archivio/scaduti", params={"oggi": "2099-01-01"}, headers=h).json()[0]["id"] in {
        "mn-g-rossi", "mn-distinta"}


def test_paper_original_request_flow(client: TestClient, login, seeded) -> None:
    cait, ente = login("cait.mantova"), login("ente.mantova")
    r = client.post("/archivio/documenti/mn-g-rossi/originale",
                    json={"ricevuto_il": "2025-10-02", "faldone": "F-12", "scatola": "3", "posizione": "27"},
                    headers=cait)
    assert r.status_code == 201, r.text
    assert r.json()["detentore"] == "CAIT-MN-01" and r.json()["faldone"] == "F-12"
    r = client.post("/archivio/documenti/mn-g-rossi/originale/richieste", json={}, headers=ente)
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["stato"] == "richiesto" and req["detentore"] == "CAIT-MN-01"
    assert date.fromisoformat(req["scadenza"]) > date.today()
    assert [n["richiesta_id"] for n in client.get("/archivio/notifiche", headers=cait).json()] == [req["id"]]
    assert [x["id"] for x in client.get("/archivio/richieste", headers=cait).json()] == [req["id"]]
    overdue = client.get("/archivio/richieste", params={"in_ritardo": True, "oggi": "2099-01-01"}, headers=cait)
    assert [x["id"] for x in overdue.json()] == [req["id"]]
    r = client.post(f"/archivio/richieste/{req['id']}/ricezione", json={"il": date.today().isoformat()}, headers=ente)
    assert r.status_code == 409  # not sent yet
    r = client.post(f"/archivio/richieste/{req['id']}/invio", json={"il": date.today().isoformat()}, headers=cait)
    assert r.status_code == 200 and r.json()["stato"] == "inviato"
    r = client.post(f"/archivio/richieste/{req['id']}/ricezione", json={"il": date.today().isoformat()}, headers=ente)
    assert r.status_code == 200 and r.json()["stato"] == "ricevuto"
    dove = client.get("/archivio/documenti/mn-g-rossi/originale", headers=ente).json()
    assert (dove["detentore_tipo"], dove["detentore"]) == ("ente", MANTOVA)
    assert dove["trasferimenti"][0]["da"] == "cait:CAIT-MN-01"
