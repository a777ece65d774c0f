"""Console, everywhere and archivista (in-process, real SeaweedFS): styled Italian error pages
for console paths (JSON stays on the API), favicon, names instead of ids, search errors naming
the field and keeping the input; the paper original registered, transferred, requested, sent
and received from the pages, with dates, overdue first, as the database then holds."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from archive import originali as orig
from archive.utenti import Audit
from service.api.deps import state_for
from tests.service.test_api_archivio import api_settings, pki_ca, seeded, weed  # noqa: F401 - fixtures

pytestmark = pytest.mark.db_backend("postgresql")  # console/API flow: see docs/parts/tests.md


def test_pagine_di_errore_favicon_e_lingua(console, client, seeded) -> None:
    r = client.get("/console/pagina-che-non-esiste")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="it">' in r.text and "Pagina non trovata" in r.text and '"errori"' not in r.text
    assert client.get("/archivio/documenti/nessuno").headers["content-type"].startswith("application/json")
    # the console's own fetch() calls (Accept: application/json) keep JSON errors
    r = client.get("/console/pagina-che-non-esiste", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json()["errori"][0]["messaggio"]
    console.entra("ispettore.mantova")
    r = client.get("/console/richieste")
    assert r.status_code == 403 and "Operazione non consentita" in r.text and "non è consentita al proprio ruolo" in r.text
    assert 'href="/console/archivio"' in r.text  # the menu of the role stays
    r = client.get("/console/documento/nessuno")
    assert r.status_code == 404 and "<html" in r.text
    assert client.get("/favicon.ico", follow_redirects=False).headers["location"] == "/static/favicon.svg"
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon"' in client.get("/").text


def test_archivio_nomi_ed_errori_di_ricerca(console, client, seeded) -> None:
    console.entra("admin")
    r = client.get("/console/archivio", params={"dal": "2025-13-40", "codice_impianto": "020066"})
    assert r.status_code == 422 and "Dalla data:" in r.text and 'value="020066"' in r.text
    assert 'id="f-dal"' in r.text and 'aria-invalid="true"' in r.text
    r = client.get("/console/archivio")
    assert "Provincia di Mantova" in r.text
    assert "CAIT Mantova - Associazione Artigiani" in r.text
    assert "provincia-mantova" not in r.text and ">allegato-g<" not in r.text
    r = client.get("/console/documento/mn-g-rossi")
    assert "Rapporto di controllo tecnico" in r.text and "<details" in r.text and "Dettagli tecnici" in r.text


def test_archivista_registra_trasferisce_e_riceve(console, client, seeded, api_settings) -> None:
    oggi = date.today()
    # the archivista registers its Ente's paper original; a bad date keeps what was typed
    console.entra("archivista.mantova")
    pagina = "/console/documento/mn-distinta"
    r = console.post(pagina + "/originale", {"ricevuto_il": "", "faldone": "F-12", "scatola": "S3"}, pagina)
    assert r.status_code == 422 and "Ricevuto il:" in r.text and 'value="F-12"' in r.text and 'value="S3"' in r.text
    r = console.post(pagina + "/originale", {"ricevuto_il": oggi.isoformat(), "faldone": "F-12", "scatola": "S3",
                                             "posizione": "7"}, pagina)
    assert r.status_code == 303
    r = client.get(pagina)
    assert "Custodito da <strong>Provincia di Mantova</strong>" in r.text and "faldone F-12" in r.text
    # custody transfer to the CAIT
    r = console.post(pagina + "/trasferimento", {"destinatario": "cait:CAIT-MN-01", "il": oggi.isoformat()}, pagina)
    assert r.status_code == 303, r.text
    assert "CAIT Mantova - Associazione Artigiani" in client.get(pagina).text
    # the CAIT registers the original of the G; the Ente requests it; the CAIT sends it
    console.entra("cait.mantova")
    g = "/console/documento/mn-g-rossi"
    assert console.post(g + "/originale", {"ricevuto_il": (oggi - timedelta(days=30)).isoformat()}, g).status_code == 303
    console.entra("ente.mantova")
    assert console.post(g + "/richiesta", {}, g).status_code == 303
    with state_for(api_settings).sessions() as s:
        rid = s.scalar(select(orig.Richiesta.id).order_by(orig.Richiesta.id.desc()))
    console.entra("cait.mantova")
    r = console.post(f"/console/richieste/{rid}/invio", {"il": oggi.isoformat()}, "/console/richieste")
    assert r.status_code == 303
    # the archivista marks it received: a date before the sending is refused naming the field
    console.entra("archivista.mantova")
    r = client.get("/console/richieste")
    assert f'id="richiesta-{rid}"' in r.text and "Segna ricevuto" in r.text and "Provincia di Mantova" in r.text
    prima = (oggi - timedelta(days=3)).isoformat()
    r = console.post(f"/console/richieste/{rid}/ricezione", {"il": prima}, "/console/richieste")
    assert r.status_code == 422 and "Data di ricezione" in r.text and f'value="{prima}"' in r.text
    r = console.post(f"/console/richieste/{rid}/ricezione", {"il": oggi.isoformat()}, "/console/richieste")
    assert r.status_code == 303
    with state_for(api_settings).sessions() as s:
        richiesta = s.get(orig.Richiesta, rid)
        assert richiesta.stato == "ricevuto" and richiesta.ricevuto_il == oggi
        assert orig.dove(s, "mn-g-rossi")["detentore"] == "provincia-mantova"
        assert orig.dove(s, "mn-distinta")["detentore"] == "CAIT-MN-01"
        azioni = set(s.scalars(select(Audit.azione).where(Audit.utente == "archivista.mantova")))
    assert {"originale.registra", "originale.trasferisci", "originale.ricevuto"} <= azioni


def test_richieste_in_ritardo_in_cima() -> None:
    from service.api.routes.console_archivio import _ordina_richieste

    elenco = [{"id": 1, "stato": "ricevuto", "scadenza": "2020-01-01"},
              {"id": 2, "stato": "richiesto", "scadenza": "2099-01-01"},
              {"id": 3, "stato": "richiesto", "scadenza": "2021-01-01"},
              {"id": 4, "stato": "inviato", "scadenza": "2020-06-01"}]
    ordinate = _ordina_richieste(elenco, "2026-01-01")
    assert [r["id"] for r in ordinate] == [3, 4, 2, 1] and ordinate[0]["in_ritardo"] and not ordinate[1]["in_ritardo"]


def _documento_scaduto(client, api_settings) -> str:
    """A Mantova document whose retention really ended (S3 lock of 2 s, index date yesterday)."""
    import time
    from dataclasses import replace
    from datetime import datetime, timezone

    from archive.db import session_scope
    from archive.indice import registra
    from service.api.archivio_dep import archivio_per
    from service.archivio import MetadatiDocumento
    from tests.pki import pdf_di_prova

    archivio = archivio_per(client.app, api_settings)
    pdf = pdf_di_prova() + b"%scaduto-console"
    meta = MetadatiDocumento(tipo="allegato-g", data_documento=date(2010, 10, 1), codice_impianto="020066IN0000001",
                             ente="provincia-mantova", cait="CAIT-MN-01", documento_id="mn-scaduto")
    voce = archivio.prepara_voce(pdf, meta, ora=datetime.now(timezone.utc))
    fine = datetime.now(timezone.utc) + timedelta(seconds=2)
    stored = archivio.store.put(voce.indice.s3_key, pdf, retain_until=fine)
    with session_scope(archivio.engine) as s:
        registra(s, replace(voce.indice, version_id=stored.version_id, conserva_fino_al=date.today() - timedelta(days=1)))
    time.sleep(max(0.0, (fine - datetime.now(timezone.utc)).total_seconds()) + 1.5)
    return "mn-scaduto"


def test_ente_blocco_legale_e_smaltimento_in_due_passaggi(console, client, seeded, api_settings) -> None:
    from archive import indice as idx

    doc_id = _documento_scaduto(client, api_settings)
    console.entra("ente.mantova")
    g = f"/console/documento/{doc_id}"
    r = console.post(g + "/blocco-legale", {"attivo": "1", "motivo": ""}, g)
    assert r.status_code == 422 and "Motivo" in r.text
    assert console.post(g + "/blocco-legale", {"attivo": "1", "motivo": "Verbale 12/2026"}, g).status_code == 303
    r = client.get("/console/ente/conservazione")
    assert r.status_code == 200 and "Nessun documento con conservazione terminata" in r.text
    assert "1 documento sotto blocco legale" in r.text
    assert re.search(r'id="sotto-blocco".*?href="/console/documento/mn-scaduto"', r.text, re.S)
    assert console.post(g + "/blocco-legale", {"attivo": "0", "motivo": "Procedimento chiuso"}, g).status_code == 303
    r = client.get("/console/ente/conservazione")
    assert f'href="/console/documento/{doc_id}"' in r.text and "Smaltisci" in r.text
    # step 1: the reason → a confirmation page; nothing deleted yet
    url = f"/console/ente/smaltimento/{doc_id}"
    r = console.post(url, {"motivo": "Scarto autorizzato prot. 55/2026"}, "/console/ente/conservazione")
    assert r.status_code == 200 and "Lo smaltimento è definitivo" in r.text
    gettone = re.search(r'name="conferma" value="([^"]+)"', r.text).group(1)
    with state_for(api_settings).sessions() as s:
        assert s.get(idx.Documento, doc_id).smaltito_il is None
    # step 2 without the typed word, or with a changed reason: refused, nothing deleted
    r = console.post(url, {"motivo": "Scarto autorizzato prot. 55/2026", "conferma": gettone, "digitato": "no"},
                     "/console/ente/conservazione")
    assert r.status_code == 422 and "scrivere SMALTISCI" in r.text
    r = console.post(url, {"motivo": "altro", "conferma": gettone, "digitato": "SMALTISCI"},
                     "/console/ente/conservazione")
    assert r.status_code == 422
    with state_for(api_settings).sessions() as s:
        assert s.get(idx.Documento, doc_id).smaltito_il is None
    r = console.post(url, {"motivo": "Scarto autorizzato prot. 55/2026", "conferma": gettone,
                           "digitato": "smaltisci"}, "/console/ente/conservazione")
    assert r.status_code == 303, r.text
    with state_for(api_settings).sessions() as s:
        assert s.get(idx.Documento, doc_id).smaltito_il is not None
        azioni = list(s.scalars(select(Audit.azione).where(Audit.utente == "ente.mantova")))
    assert {"archivio.blocco_legale", "archivio.smaltimento.preparato", "archivio.smaltisci"} <= set(azioni)
    assert azioni.count("archivio.blocco_legale") == 2
