"""Issuing a G online binds its etichetta and archives it as one operation: when the archive refuses
the document (a real SeaweedFS answering InvalidRequest to a retention already over, the effect of a
wrong retention setting on a late G), the binding is undone, the etichetta is free again for the re-issued G, the
history keeps both moves and the audit says why; the refused document is kept in the archive's queue
for the operator (nothing archived is lost). Both databases."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from archive.etichette import MovimentoEtichetta
from archive.seaweed import EmbeddedSeaweed
from archive.utenti import Audit
from service.api import create_app
from service.demo import VIADANA
from service.settings import Settings
from tests.service.test_api_archivio import KEY, SECRET, pki_ca, weed  # noqa: F401 - module fixtures
from tests.service.test_api_manutentore import _valori


@pytest.fixture
def client_rifiuto(db_url: str, tmp_path: Path, weed: EmbeddedSeaweed, pki_ca: Path, stampa_cache: Path):  # noqa: F811
    """The app on a real S3 bucket, with a retention policy whose dates are already over (S3 refuses them)."""
    settings = Settings(db_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret", demo=True,
                        s3_endpoint=weed.endpoint, s3_access_key=KEY, s3_secret_key=SECRET,
                        s3_bucket=f"rifiuto-{uuid.uuid4().hex[:10]}", trust_roots=(pki_ca,),
                        conservazione_anni_dichiarazioni=0, conservazione_minima_giorni=-3, stampa_cache_dir=stampa_cache)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def test_refused_archive_unbinds_the_etichetta(client_rifiuto: TestClient, db_url: str) -> None:
    client = client_rifiuto

    def login(username: str) -> dict[str, str]:
        r = client.post("/auth/token", data={"username": username, "password": "curit-demo"})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    ente, cait, rossi = login("ente.mantova"), login("cait.mantova"), login("manutentore.rossi")
    codice = next(i["codice_impianto"] for i in client.get("/manutentore/impianti", headers=rossi).json()
                  if i["modello"] == "G" and i["codice_impianto"].startswith(VIADANA))
    [numero] = client.post("/etichette/lotti", json={"tipo": "G", "quantita": 1}, headers=ente).json()["numeri"]
    assert client.post("/etichette/assegnazioni", json={"cait_id": "CAIT-MN-01", "numeri": [numero]},
                       headers=ente).status_code == 200
    [m] = client.get("/cait/manutentori", headers=cait).json()
    assert client.post("/cait/ricevute/vendita", headers=cait, json={
        "manutentore_id": m["id"], "numeri": [numero], "operatore": "op.ferrari",
        "pagamento": "contanti"}).status_code == 201
    modulo = client.get(f"/manutentore/impianti/{codice}/modulo", headers=rossi).json()

    # a late G (its validity already over): the policy's date is past, and so is the minimum of -3 days
    tardiva = {**_valori(modulo, numero), "data_controllo": "2019-10-15"}
    r = client.post(f"/manutentore/impianti/{codice}/dichiarazione", headers=rossi, json=tardiva)
    assert r.status_code == 503, r.text
    messaggio = r.json()["errori"][0]["messaggio"]
    assert "rifiutato" in messaggio and numero in messaggio and "resta disponibile" in messaggio, messaggio
    # the etichetta is free again, offered for the re-issued G
    [etichetta] = client.get("/manutentore/etichette", headers=rossi).json()
    assert numero in (etichetta["numero"], etichetta["numero_leggibile"]) and etichetta["stato"] == "venduta", etichetta
    assert etichetta.get("codice_impianto") in (None, ""), etichetta
    modulo = client.get(f"/manutentore/impianti/{codice}/modulo", headers=rossi).json()
    assert [e for e, _ in modulo["opzioni"]["numero_etichetta"]] == [numero]
    # the refused document waits for the operator in the archive's queue (dead letter), nothing lost
    scartati = client.get("/archivio/coda", headers=cait).json()["scartati"]
    assert len(scartati) == 1 and "InvalidRequest" in scartati[0]["motivo"], scartati
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            storia = [(mv.evento, mv.stato_da, mv.stato_a) for mv in s.scalars(
                select(MovimentoEtichetta).where(MovimentoEtichetta.numero == etichetta["numero"]).order_by(MovimentoEtichetta.id))]
            azioni = [a.azione for a in s.scalars(select(Audit).where(Audit.azione.like("manutentore.etichetta.%"))
                                                   .order_by(Audit.id))]
    finally:
        engine.dispose()
    assert storia[-2:] == [("vincolata", "venduta", "vincolata"), ("svincolata", "vincolata", "venduta")], storia
    assert azioni[-2:] == ["manutentore.etichetta.vincola", "manutentore.etichetta.svincola"], azioni
