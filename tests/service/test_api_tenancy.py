"""Tenancy across tenants, role by role: every denial is a 403 (wrong role) or a 404 (a
document, request or impianto outside the caller's scope looks exactly like a missing one).

Three documents (``test_api_archivio.DOCS``): a Mantova G by manutentore Rossi received by
CAIT Mantova, a Mantova distinta of CAIT Mantova, a Brescia F by Bianchi at CAIT Brescia.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.service.test_api_archivio import api_settings, pki_ca, seeded, weed  # noqa: F401  (fixtures)


TUTTI = {"mn-g-rossi", "mn-distinta", "bs-f-bianchi"}
VISIBILI = {
    "admin": TUTTI,
    "ente.mantova": {"mn-g-rossi", "mn-distinta"},
    "ente.brescia": {"bs-f-bianchi"},
    "archivista.mantova": {"mn-g-rossi", "mn-distinta"},
    "ispettore.mantova": {"mn-g-rossi"},          # rapporti only
    "cait.mantova": {"mn-g-rossi", "mn-distinta"},
    "cait.brescia": {"bs-f-bianchi"},
    "manutentore.rossi": {"mn-g-rossi"},
    "manutentore.bianchi": {"bs-f-bianchi"},
}


def test_each_role_sees_only_its_scope_in_search_record_download_original(client: TestClient, login, seeded) -> None:
    for username, visibili in VISIBILI.items():
        h = login(username)
        trovati = {d["id"] for d in client.get("/archivio/documenti", params={"limite": 200}, headers=h).json()["documenti"]}
        assert trovati == visibili, username
        # filtering on another tenant's columns finds nothing rather than widening the scope
        if username != "admin":
            altrui = client.get("/archivio/documenti", params={"ente": "comune-brescia", "cait": "CAIT-BS-01"}, headers=h)
            assert {d["id"] for d in altrui.json()["documenti"]} <= visibili, username
        for doc_id in TUTTI - visibili:
            for path in (f"/archivio/documenti/{doc_id}", f"/archivio/documenti/{doc_id}/pdf",
                         f"/archivio/documenti/{doc_id}/originale"):
                r = client.get(path, headers=h)
                assert r.status_code == 404, (username, path, r.status_code)
        for doc_id in visibili:
            assert client.get(f"/archivio/documenti/{doc_id}", headers=h).status_code == 200, (username, doc_id)


def test_verify_upload_does_not_reveal_other_tenants_documents(client: TestClient, login, seeded) -> None:
    pdf = client.get("/archivio/documenti/bs-f-bianchi/pdf", headers=login("ente.brescia")).content
    r = client.post("/archivio/verifica", files={"file": ("f.pdf", pdf, "application/pdf")}, headers=login("cait.brescia"))
    assert {d["id"] for d in r.json()["documenti"]} == {"bs-f-bianchi"}
    r = client.post("/archivio/verifica", files={"file": ("f.pdf", pdf, "application/pdf")},
                    headers=login("manutentore.rossi"))
    assert {d["id"] for d in r.json()["documenti"]} == {"mn-g-rossi"}


@pytest.mark.parametrize("username", ["archivista.mantova", "ispettore.mantova", "cait.mantova", "manutentore.rossi"])
def test_roles_without_archive_writes_get_403(client: TestClient, login, seeded, username: str) -> None:
    h = login(username)
    hold = client.put("/archivio/documenti/mn-g-rossi/blocco-legale", json={"attivo": True, "motivo": "prova"}, headers=h)
    assert hold.status_code == 403, hold.text
    assert hold.json()["errori"][0]["messaggio"] == "Operazione non consentita per questo utente."
    dispose = client.post("/archivio/documenti/mn-g-rossi/smaltimento", json={"motivo": "prova", "conferma": True},
                          headers=h)
    assert dispose.status_code == 403
    ask = client.post("/archivio/documenti/mn-g-rossi/originale/richieste", json={}, headers=h)
    assert ask.status_code == 403


def test_archivista_cannot_archive_but_keeps_its_entes_paper(client: TestClient, login, seeded) -> None:
    """Issue 16: the archivista registers the paper originals its Ente keeps (never archives PDFs)."""
    h = login("archivista.mantova")
    r = client.post("/archivio/documenti", data={"tipo": "allegato-g", "data_documento": "2025-10-01"},
                    files={"file": ("g.pdf", b"%PDF-1.7", "application/pdf")}, headers=h)
    assert r.status_code == 403
    r = client.post("/archivio/documenti/mn-g-rossi/originale", json={"ricevuto_il": "2025-10-02"}, headers=h)
    assert r.status_code == 201 and r.json()["detentore"] == "provincia-mantova"
    r = client.post("/archivio/documenti/bs-f-bianchi/originale", json={"ricevuto_il": "2025-10-02"}, headers=h)
    assert r.status_code == 404  # another Ente's document


def test_other_ente_and_other_cait_get_404_on_writes(client: TestClient, login, seeded) -> None:
    brescia, cait_bs = login("ente.brescia"), login("cait.brescia")
    assert client.put("/archivio/documenti/mn-g-rossi/blocco-legale", json={"attivo": True, "motivo": "prova"},
                      headers=brescia).status_code == 404
    assert client.post("/archivio/documenti/mn-g-rossi/smaltimento", json={"motivo": "prova", "conferma": True},
                       headers=brescia).status_code == 404
    assert client.post("/archivio/documenti/mn-g-rossi/originale/richieste", json={},
                       headers=brescia).status_code == 404
    assert client.post("/archivio/documenti/mn-g-rossi/originale", json={"ricevuto_il": "2025-10-02"},
                       headers=cait_bs).status_code == 404
    # an Ente cannot ask on behalf of another Ente
    assert client.post("/archivio/documenti/mn-g-rossi/originale/richieste", json={"ente": "comune-brescia"},
                       headers=login("ente.mantova")).status_code == 403


def test_requests_for_originals_are_confined_to_keeper_and_requester(client: TestClient, login, seeded) -> None:
    cait_mn, ente_mn = login("cait.mantova"), login("ente.mantova")
    client.post("/archivio/documenti/mn-g-rossi/originale", json={"ricevuto_il": "2025-10-02"}, headers=cait_mn)
    req = client.post("/archivio/documenti/mn-g-rossi/originale/richieste", json={}, headers=ente_mn).json()
    oggi = {"il": req["richiesta_il"]}
    for username in ("cait.brescia", "ente.brescia"):
        h = login(username)
        assert client.get("/archivio/richieste", headers=h).json() == [], username
        assert client.get("/archivio/notifiche", headers=h).json() == [], username
    assert client.post(f"/archivio/richieste/{req['id']}/invio", json=oggi, headers=login("cait.brescia")).status_code == 404
    assert client.post(f"/archivio/richieste/{req['id']}/invio", json=oggi, headers=login("ente.brescia")).status_code == 404
    for username in ("manutentore.rossi", "ispettore.mantova"):
        assert client.post(f"/archivio/richieste/{req['id']}/invio", json=oggi, headers=login(username)).status_code == 403
    # the archivista acts for its Ente's paper only: the CAIT keeps this one
    assert client.post(f"/archivio/richieste/{req['id']}/invio", json=oggi,
                       headers=login("archivista.mantova")).status_code == 404
    assert client.post(f"/archivio/richieste/{req['id']}/invio", json=oggi, headers=cait_mn).status_code == 200
    assert client.post(f"/archivio/richieste/{req['id']}/ricezione", json=oggi,
                       headers=login("ente.brescia")).status_code == 404
    assert client.post(f"/archivio/richieste/{req['id']}/ricezione", json=oggi, headers=cait_mn).status_code == 403
    for username in ("manutentore.rossi", "ispettore.mantova"):
        assert client.get("/archivio/richieste", headers=login(username)).status_code == 403


def test_no_token_is_401_everywhere(client: TestClient, seeded) -> None:
    for path in ("/archivio/documenti", "/archivio/documenti/mn-g-rossi", "/archivio/richieste"):
        r = client.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
