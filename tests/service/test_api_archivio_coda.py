"""Issue 12 on the API and the console (real SeaweedFS, both databases): dead letters of the
outbox shown to their owner only (``GET /archivio/coda``, the console's archive page); a tampered
newer S3 version reported on download (audit, the record, the console's document page)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timezone

from fastapi.testclient import TestClient
from sqlalchemy import select

from archive.outbox import accoda
from archive.utenti import Audit
from service.api.archivio_dep import archivio_per
from service.api.deps import state_for
from service.archivio import MetadatiDocumento
from service.settings import Settings
from test_api_archivio import BRESCIA, MANTOVA, api_settings, pki_ca, weed  # noqa: F401 - fixtures
from test_api_archivio_titolari import _carica, _pdf


def test_dead_letters_are_shown_to_their_owner_only(console, client: TestClient, login, api_settings: Settings) -> None:
    archivio = archivio_per(client.app, api_settings)
    ora = datetime.now(timezone.utc)
    meta = MetadatiDocumento(tipo="allegato-g", data_documento=date(2025, 10, 1), codice_impianto="020066IN0000001",
                             ente=MANTOVA, cait="CAIT-MN-01")
    voce = archivio.prepara_voce(_pdf("scartato"), meta, ora=ora)
    accoda(archivio.engine, voce, errore="L'archivio documentale ha rifiutato il documento. (risposta S3: "
                                         "InvalidRequest: Invalid Request)", ora=ora, scartata=True)
    atteso = voce.indice.id
    for utente, vede in (("ente.mantova", True), ("archivista.mantova", True), ("cait.mantova", True),
                         ("admin", True), ("ente.brescia", False), ("cait.brescia", False)):
        r = client.get("/archivio/coda", headers=login(utente))
        assert r.status_code == 200, r.text
        assert [d["id"] for d in r.json()["scartati"]] == ([atteso] if vede else []), utente
    assert client.get("/archivio/coda", headers=login("manutentore.rossi")).status_code == 403
    scartato = client.get("/archivio/coda", headers=login("ente.mantova")).json()["scartati"][0]
    assert "InvalidRequest" in scartato["motivo"] and scartato["prossimo_tentativo"] is None

    console.entra("ente.mantova")
    pagina = client.get("/console/archivio")
    assert pagina.status_code == 200
    assert "Coda di archiviazione" in pagina.text and "rifiutato in modo definitivo 1 documento: non è archiviato" in pagina.text
    assert "InvalidRequest" in pagina.text and "020066IN0000001" in pagina.text


def test_a_tampered_newer_version_is_reported_on_download(console, client: TestClient, login, api_settings: Settings) -> None:
    mantova = login("ente.mantova")
    pdf = _pdf("Manomissione")
    record = _carica(client, mantova, pdf).json()
    archivio = archivio_per(client.app, api_settings)
    falso = pdf + b"%versione estranea"
    archivio.store.client.put_object(archivio.store.bucket, record["s3_key"], io.BytesIO(falso), len(falso))

    r = client.get(f"/archivio/documenti/{record['id']}/pdf", headers=mantova)
    assert r.status_code == 200 and r.content == pdf  # the recorded version, never the newer one
    scheda = client.get(f"/archivio/documenti/{record['id']}", headers=mantova).json()
    assert "versioni non registrate" in scheda["anomalia"] and scheda["anomalia_il"]
    with state_for(api_settings).sessions() as s:
        azioni = list(s.scalars(select(Audit.azione).where(Audit.oggetto == record["id"])))
    assert "archivio.anomalia" in azioni

    console.entra("ente.mantova")
    pagina = client.get(f"/console/documento/{record['id']}")
    assert pagina.status_code == 200 and "Anomalia rilevata" in pagina.text


def test_the_app_drains_the_outbox_in_the_background_and_stops(api_settings: Settings) -> None:
    """``serve``: the archive opened at start-up drains its outbox by itself; the thread ends
    with the app."""
    import threading
    import time

    from archive.outbox import in_coda
    from service.api.app import create_app

    prima = set(threading.enumerate())
    settings = api_settings.model_copy(update={"archivio_coda_intervallo_s": 0.2})
    with TestClient(create_app(settings)) as c:
        archivio = archivio_per(c.app, settings)
        meta = MetadatiDocumento(tipo="allegato-g", data_documento=date(2025, 10, 1), ente=MANTOVA)
        voce = archivio.prepara_voce(_pdf("in attesa"), meta, ora=datetime.now(timezone.utc))
        accoda(archivio.engine, voce, errore="S3 non raggiungibile")
        limite = time.monotonic() + 60
        while in_coda(archivio.engine) and time.monotonic() < limite:
            time.sleep(0.2)
        assert in_coda(archivio.engine) == 0
        assert archivio.record(voce.indice.id)["version_id"]
        nostri = [t for t in threading.enumerate() if t.name == "curit-coda-api" and t not in prima]
        assert len(nostri) == 1
    assert not nostri[0].is_alive()
