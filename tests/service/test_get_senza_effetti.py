"""A GET never changes anything: the CAIT records (ricevuta, distinta-ricevuta, lettera di
trasmissione) are issued once by the POST that creates them; their GETs hand back the archived
original (same bytes, same id) and add no index row, no recorded version, no S3 version.
A provisional password ("Recupera la password") gives no usable API token until it is replaced."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from archive.anagrafiche import Manutentore, ManutenzioneImpianto
from archive.cait_ricevute import ricarica_portafoglio
from archive.db import make_engine, session_scope
from archive.indice import Documento, VersioneDocumento

pytestmark = pytest.mark.db_backend("postgresql")  # console/API flow: see docs/parts/tests.md


def _ids(db_url: str) -> tuple[int, str]:
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        rossi = s.scalar(select(Manutentore.id).where(Manutentore.username == "MA023456"))
        impianto = next(c for c in sorted(s.scalars(select(ManutenzioneImpianto.codice_impianto)
                                                    .where(ManutenzioneImpianto.manutentore_id == rossi))) if "IN" in c)
    engine.dispose()
    return rossi, impianto


def _stato_archivio(client, db_url: str) -> tuple[int, int, int]:
    """(index rows, recorded versions, S3 object versions) of the app's archive."""
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        righe = s.scalar(select(func.count()).select_from(Documento))
        versioni = s.scalar(select(func.count()).select_from(VersioneDocumento))
    engine.dispose()
    store = client.app.state.curit_archivio.archivio.store
    return righe, versioni, sum(1 for _ in store.all_versions())


def test_get_dei_documenti_cait_senza_effetti(client, login, db_url) -> None:
    cait, rossi_h, ente = login("cait.mantova"), login("manutentore.rossi"), login("ente.mantova")
    rossi, impianto = _ids(db_url)
    assert client.post("/cait/dichiarazioni", headers=cait, json={
        "manutentore_id": rossi, "codice_impianto": impianto, "tipo": "G",
        "data_controllo": "2026-10-05"}).status_code == 201
    # closing the distinta issues the distinta-ricevuta; a top-up issues its ricevuta
    r = client.post("/cait/distinte", headers=cait, json={"manutentore_id": rossi, "operatore": "op.ferrari"})
    assert r.status_code == 201 and r.json()["archivio"] == "archiviato", r.text
    distinta, doc_distinta = r.json()["id"], r.json()["documento"]
    r = client.post("/cait/ricevute/ricarica", headers=cait, json={
        "manutentore_id": rossi, "importo": "50.00", "operatore": "Ferrari Luca"})
    assert r.status_code == 201 and r.json()["archivio"] == "archiviato", r.text
    ricevuta, doc_ricevuta = r.json()["id"], r.json()["documento"]

    # the lettera di trasmissione is not issued until it is sent: its GET says so, and issues nothing
    prima = _stato_archivio(client, db_url)
    r = client.get(f"/distinte/{distinta}/trasmissione", headers=ente)
    assert r.status_code == 409 and f"POST /distinte/{distinta}/trasmissione" in r.text, r.text
    assert "non è ancora stata emessa" in r.json()["errori"][0]["messaggio"]
    assert _stato_archivio(client, db_url) == prima
    r = client.post(f"/distinte/{distinta}/trasmissione", headers=cait)
    assert r.status_code == 201 and r.content.startswith(b"%PDF"), r.text
    doc_lettera = r.headers["X-Curit-Documento"]

    dopo_emissione = _stato_archivio(client, db_url)
    assert dopo_emissione[0] == prima[0] + 1
    chiamate = [(f"/cait/ricevute/{ricevuta}/pdf", cait, doc_ricevuta),
                (f"/cait/ricevute/{ricevuta}/pdf", rossi_h, doc_ricevuta),
                (f"/distinte/{distinta}/pdf", cait, doc_distinta),
                (f"/distinte/{distinta}/pdf", rossi_h, doc_distinta),
                (f"/distinte/{distinta}/trasmissione", ente, doc_lettera),
                (f"/distinte/{distinta}/trasmissione", cait, doc_lettera)]
    for url, headers, documento in chiamate:
        risposte = [client.get(url, headers=headers) for _ in range(2)]
        for r in risposte:
            assert r.status_code == 200, (url, r.text)
            assert r.headers["X-Curit-Documento"] == documento and r.headers["X-Curit-Firma"] == "valida"
            assert r.headers["X-Curit-Sha256"] == hashlib.sha256(r.content).hexdigest()
        assert risposte[0].content == risposte[1].content  # the archived original, not a new signature
        archiviato = client.get(f"/archivio/documenti/{documento}/pdf", headers=cait)
        assert archiviato.status_code == 200 and archiviato.content == risposte[0].content
        assert _stato_archivio(client, db_url) == dopo_emissione, url

    # tenancy unchanged: another CAIT or manutentore sees nothing
    assert client.get(f"/cait/ricevute/{ricevuta}/pdf", headers=login("cait.brescia")).status_code == 404
    assert client.get(f"/distinte/{distinta}/pdf", headers=login("manutentore.bianchi")).status_code == 404


def test_ricevuta_mai_emessa_e_riemissione_con_post(client, login, db_url) -> None:
    cait = login("cait.mantova")
    rossi, _ = _ids(db_url)
    client.get("/cait/manutentori", headers=cait)
    engine = make_engine(db_url)
    with session_scope(engine) as s:  # a ricevuta recorded but never issued (e.g. the archive failed)
        ricevuta = ricarica_portafoglio(s, cait_id="CAIT-MN-01", manutentore_id=rossi, importo="20.00",
                                        operatore="Ferrari Luca", utente="cait.mantova").id
    engine.dispose()
    prima = _stato_archivio(client, db_url) if getattr(client.app.state, "curit_archivio", None) else None
    for _ in range(2):
        r = client.get(f"/cait/ricevute/{ricevuta}/pdf", headers=cait)
        assert r.status_code == 409, r.text
        errore = r.json()["errori"][0]
        assert errore["campo"] == "documento" and f"POST /cait/ricevute/{ricevuta}/emissione" in errore["messaggio"]
    assert prima is None or _stato_archivio(client, db_url) == prima
    prima = _stato_archivio(client, db_url)
    assert client.post(f"/cait/ricevute/{ricevuta}/emissione", headers=login("manutentore.rossi")).status_code == 403
    r = client.post(f"/cait/ricevute/{ricevuta}/emissione", headers=cait)
    assert r.status_code == 201 and r.headers["X-Curit-Archivio"] == "archiviato", r.text
    assert _stato_archivio(client, db_url)[0] == prima[0] + 1
    # issuing again is a new version of the same document, never a GET's doing
    r2 = client.post(f"/cait/ricevute/{ricevuta}/emissione", headers=cait)
    assert r2.status_code == 201 and r2.headers["X-Curit-Documento"] == r.headers["X-Curit-Documento"]
    dopo = _stato_archivio(client, db_url)
    assert dopo[0] == prima[0] + 1 and dopo[1] == prima[1] + 2
    g = client.get(f"/cait/ricevute/{ricevuta}/pdf", headers=cait)
    assert g.status_code == 200 and g.content == r2.content
    assert _stato_archivio(client, db_url) == dopo


class _Casella:
    def __init__(self) -> None:
        self.messaggi: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        from email import message_from_bytes
        from email.policy import default

        self.messaggi.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


def test_password_provvisoria_da_sostituire_anche_sull_api(db_url, tmp_path) -> None:
    import re
    import socket

    from aiosmtpd.controller import Controller
    from fastapi.testclient import TestClient

    from service.api import create_app
    from service.demo import DEMO_PASSWORD
    from service.settings import Settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        porta = s.getsockname()[1]
    casella = _Casella()
    smtp = Controller(casella, hostname="127.0.0.1", port=porta)
    smtp.start()
    settings = Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="t", demo=True, smtp_host="127.0.0.1",
                        smtp_port=porta, smtp_tls="nessuno", identita_dir=tmp_path / "id")
    try:
        with TestClient(create_app(settings), raise_server_exceptions=False) as c:
            prima = c.post("/auth/token", data={"username": "cait.mantova", "password": DEMO_PASSWORD}).json()
            assert prima["password_provvisoria"] is False and prima["messaggio"] is None
            cait = {"Authorization": f"Bearer {prima['access_token']}"}
            [rossi] = c.get("/cait/manutentori", headers=cait).json()
            assert c.post(f"/cait/manutentori/{rossi['id']}/scollega", headers=cait,
                          json={"email": "ufficio@rossitermo.it"}).status_code == 200
            assert c.post("/password/recupera", json={"identificativo": "MA023456"}).status_code == 200
            [msg] = casella.messaggi
            provvisoria = re.search(r"Password provvisoria: (\S+)", msg.get_content()).group(1)
            r = c.post("/auth/token", data={"username": "MA023456", "password": provvisoria})
            assert r.status_code == 200 and r.json()["password_provvisoria"] is True
            assert "POST /password/cambia" in r.json()["messaggio"]
            ma = {"Authorization": f"Bearer {r.json()['access_token']}"}
            # the token only serves to replace the password
            r = c.get("/manutentore/impianti", headers=ma)
            assert r.status_code == 403 and "password è provvisoria" in r.text, r.text
            assert c.post("/auth/api-keys", headers=ma, json={}).status_code == 403
            assert c.get("/auth/io", headers=ma).json()["username"] == "MA023456"
            r = c.post("/password/cambia", headers=ma, json={"attuale": provvisoria, "nuova": "Definitiva-2026",
                                                              "conferma": "Definitiva-2026"})
            assert r.status_code == 200, r.text
            assert c.get("/manutentore/impianti", headers=ma).status_code == 200
            r = c.post("/auth/token", data={"username": "MA023456", "password": "Definitiva-2026"})
            assert r.status_code == 200 and r.json()["password_provvisoria"] is False
    finally:
        smtp.stop()
