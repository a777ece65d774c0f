"""Issue 12 on the API, real SeaweedFS, both databases: who owns an archived document comes from
the caller, and a document's identity is not its bytes.

- the takeover: cait.brescia uploading the bytes of a Mantova document with
  ``ente=comune-brescia`` made the Mantova document answer 404 to ente.mantova; now it is a
  second document of Brescia's and Mantova's stays as it was (row, key, version, bytes);
- the matrix of roles × form fields (``ente``, ``cait``) on ``POST /archivio/documenti``.
"""

from __future__ import annotations

import io

import pikepdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from archive import indice as idx
from archive.db import make_engine, session_scope
from service.settings import Settings
from test_api_archivio import BRESCIA, MANTOVA, api_settings, pki_ca, weed  # noqa: F401 - fixtures
from tests.pki import pdf_di_prova


FORM = {"tipo": "allegato-g", "codice_impianto": "020066IN0000009", "data_documento": "2025-11-05"}


def _pdf(titolo: str) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_di_prova())) as p:
        p.docinfo["/Title"] = titolo
        p.save(out)
    return out.getvalue()


def _carica(client: TestClient, headers: dict[str, str], pdf: bytes, **campi: str):
    return client.post("/archivio/documenti", data={**FORM, **campi},
                       files={"file": ("g.pdf", pdf, "application/pdf")}, headers=headers)


def test_the_same_bytes_from_another_tenant_never_take_a_document_over(
        client: TestClient, login, api_settings: Settings, db_url: str) -> None:
    mantova, cait_bs, ente_bs = login("ente.mantova"), login("cait.brescia"), login("ente.brescia")
    pdf = _pdf("Rapporto Mantova")
    r = _carica(client, mantova, pdf)
    assert r.status_code == 201, r.text
    originale = r.json()
    assert (originale["ente"], originale["stato"]) == (MANTOVA, "archiviato")
    assert originale["id"] != originale["sha256"][:32]  # the id is not derived from the bytes

    r = _carica(client, cait_bs, pdf, ente=BRESCIA, codice_impianto="017029CT0000003")
    assert r.status_code == 201, r.text
    copia = r.json()
    assert copia["id"] != originale["id"] and (copia["ente"], copia["cait"]) == (BRESCIA, "CAIT-BS-01")
    assert copia["s3_key"] != originale["s3_key"]

    # Mantova's document is untouched: record, key, version, bytes; Brescia does not see it
    assert client.get(f"/archivio/documenti/{originale['id']}", headers=mantova).json()["s3_key"] == originale["s3_key"]
    scaricato = client.get(f"/archivio/documenti/{originale['id']}/pdf", headers=mantova)
    assert scaricato.status_code == 200 and scaricato.content == pdf
    assert client.get(f"/archivio/documenti/{originale['id']}", headers=ente_bs).status_code == 404
    assert client.get(f"/archivio/documenti/{copia['id']}", headers=mantova).status_code == 404
    assert client.get(f"/archivio/documenti/{copia['id']}", headers=ente_bs).status_code == 200

    # the same bytes again from the same owner: the same document (idempotent), no new row or version
    r = _carica(client, mantova, pdf)
    assert (r.status_code, r.json()["id"], r.json()["version_id"]) == (201, originale["id"], originale["version_id"])
    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            assert s.scalar(select(func.count()).select_from(idx.Documento)) == 2
            assert [v.version_id for v in idx.versioni(s, originale["id"])] == [originale["version_id"]]
            assert idx.documento(s, originale["id"]).ente == MANTOVA
    finally:
        engine.dispose()


def test_a_row_is_never_handed_to_another_owner(engine) -> None:
    """The index itself refuses to rewrite a row's owner or key (the old upsert did)."""
    from datetime import date, datetime, timezone

    from domain.errors import Conflict

    base = idx.DatiIndice(
        id="doc-1", tipo="allegato-g", data_documento=date(2025, 10, 1), stagione="2025/2026",
        s3_key="provincia-mantova/2025-2026/allegato-g/x/doc-1.pdf", version_id="v1", sha256="a" * 64,
        dimensione=10, conserva_fino_al=date(2032, 7, 31), riferimento_temporale=datetime.now(timezone.utc),
        oggetto="Rapporto", ente=MANTOVA)
    with session_scope(engine) as s:
        idx.registra(s, base)
    from dataclasses import replace

    for altro in (replace(base, ente=BRESCIA), replace(base, cait="CAIT-BS-01"),
                  replace(base, s3_key="comune-brescia/x.pdf"), replace(base, tipo="allegato-f")):
        with pytest.raises(Conflict, match="non viene sostituito"), session_scope(engine) as s:
            idx.registra(s, replace(altro, version_id="v2"))
    with session_scope(engine) as s:
        doc = idx.documento(s, "doc-1")
        assert (doc.ente, doc.cait, doc.version_id, doc.titolare) == (MANTOVA, None, "v1", f"{MANTOVA}|-")
        assert [v.version_id for v in idx.versioni(s, "doc-1")] == ["v1"]


# role, form fields → expected status (201 archived for the owner shown, or 403)
MATRICE = [
    ("ente.mantova", {}, 201, (MANTOVA, None)),
    ("ente.mantova", {"ente": MANTOVA}, 201, (MANTOVA, None)),
    ("ente.mantova", {"ente": BRESCIA}, 403, "ente"),
    ("ente.mantova", {"cait": "CAIT-MN-01"}, 403, "cait"),
    ("ente.mantova", {"ente": MANTOVA, "cait": "CAIT-BS-01"}, 403, "cait"),
    ("cait.mantova", {"ente": MANTOVA}, 201, (MANTOVA, "CAIT-MN-01")),
    ("cait.mantova", {}, 201, (None, "CAIT-MN-01")),
    ("cait.mantova", {"ente": MANTOVA, "cait": "CAIT-MN-01"}, 201, (MANTOVA, "CAIT-MN-01")),
    ("cait.mantova", {"ente": BRESCIA}, 403, "ente"),
    ("cait.mantova", {"ente": MANTOVA, "cait": "CAIT-BS-01"}, 403, "cait"),
    ("cait.brescia", {"ente": MANTOVA}, 403, "ente"),  # the finding: archived as provincia-mantova
    ("cait.brescia", {"ente": BRESCIA}, 201, (BRESCIA, "CAIT-BS-01")),
    ("archivista.mantova", {"ente": MANTOVA}, 403, None),
    ("ispettore.mantova", {}, 403, None),
    ("manutentore.rossi", {"ente": MANTOVA}, 403, None),
]


def test_owner_of_an_upload_comes_from_the_caller(client: TestClient, login, api_settings: Settings) -> None:
    risultati = []
    for n, (utente, campi, atteso, esito) in enumerate(MATRICE):
        r = _carica(client, login(utente), _pdf(f"Documento {n}"), **campi)
        risultati.append((utente, campi, r.status_code))
        assert r.status_code == atteso, (utente, campi, r.text)
        if atteso == 201:
            assert (r.json()["ente"], r.json()["cait"]) == esito
        else:
            messaggio = r.json()["errori"][0]["messaggio"]
            assert messaggio and "Forbidden" not in messaggio
            if esito:
                assert messaggio.startswith(f"Campo «{esito}»"), messaggio
    admin = login("admin")
    trovati = client.get("/archivio/documenti", params={"limite": 100}, headers=admin).json()["documenti"]
    assert len(trovati) == sum(1 for _, _, a, _ in MATRICE if a == 201)  # nothing written for a 403
