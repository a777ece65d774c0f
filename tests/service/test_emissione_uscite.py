"""Every output signed: CAIT paper, targhe and etichette sheets through ``service.emissione``.

Records (a distinta-ricevuta) are signed by their CAIT and archived; print files (targhe, etichette
sheets, pre-filled forms) are signed once by their issuer and never archived. Real pieces only:
demo identities created in each test's own folder (``CURIT_FIRMA_OUTPUT`` is off for the rest of
the suite), pyHanko and poppler's ``pdfsig`` verify, zbar decodes, one embedded SeaweedFS for the
module, the index on SQLite and PostgreSQL. The CLI runs in this process (``cli_locale``).
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from archive.db import make_engine, session_scope
from archive.indice import FiltroRicerca, versioni
from archive.seaweed import EmbeddedSeaweed
from domain.errors import RuleViolation
from service.archivio_apertura import apri_archivio
from service.documents.targhe import esempio_impianti
from service.emissione import Emissione, FILE_DI_STAMPA, emittente_di_stampa
from service.firma import verifica_documento
from service.settings import Settings
from tests.archive.test_cait_documenti import popola
from tests.service.test_emissione import KEY, SECRET, pdfsig, weed  # noqa: F401 (module fixture)
from tests.service.test_targhe import _cells, _pages, _zbar

CAIT = "cait-cait-mn-01"
MANTOVA = "ente-provincia-mantova"


_LAYOUT = os.environ["CURIT_STAMPA_CACHE_DIR"]
"""The run's compiled layouts (tests/conftest.py), read at import: ``cli_locale`` takes every ``CURIT_*``
out of the environment while a test runs. With a folder per test, each test compiled the distinta's,
the targhe's and the precompilato's layouts cold again, on each database."""


def _env(tmp_path: Path, db_url: str, s3: EmbeddedSeaweed | None, *fidate: str) -> dict[str, str]:
    """``CURIT_*`` of one test: signing on, its own demo identities (``fidate`` trusted), bucket, var/;
    the run's compiled layouts."""
    identita = tmp_path / "identita"
    env = {"CURIT_DB_URL": db_url, "CURIT_VAR_DIR": str(tmp_path / "var"), "CURIT_IDENTITA_DIR": str(identita),
           "CURIT_FIRMA_OUTPUT": "1", "CURIT_DEMO": "1", "CURIT_STAMPA_CACHE_DIR": _LAYOUT,
           "CURIT_TRUST_ROOTS": json.dumps([str(identita / f / "ca-demo.pem") for f in fidate])}
    if s3 is not None:
        env.update(CURIT_S3_ENDPOINT=s3.endpoint, CURIT_S3_ACCESS_KEY=KEY, CURIT_S3_SECRET_KEY=SECRET,
                   CURIT_S3_BUCKET=f"uscite-{uuid.uuid4().hex[:10]}")
    return env


def _settings(env: dict[str, str]) -> Settings:
    return Settings(**{k.removeprefix("CURIT_").lower(): v for k, v in env.items()
                       if k not in ("CURIT_FIRMA_OUTPUT", "CURIT_DEMO", "CURIT_TRUST_ROOTS")},
                    trust_roots=tuple(Path(p) for p in json.loads(env["CURIT_TRUST_ROOTS"])),
                    demo=env.get("CURIT_DEMO") == "1")


def _ok(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 0, r.stderr
    return r.stdout


def _firmatario(pdf: bytes, settings: Settings) -> str:
    verdetto = verifica_documento(pdf, settings=settings)
    assert verdetto.valida and verdetto.catena_attendibile and not verdetto.modificato_dopo_firma, verdetto.motivo
    return verdetto.firmatario.nome


def test_print_file_policy() -> None:
    assert FILE_DI_STAMPA["etichette"][1].tipo == "ente" and FILE_DI_STAMPA["giro-precompilati"][1].tipo == "cait"
    assert emittente_di_stampa(["provincia-mantova"] * 3) == "provincia-mantova"
    assert emittente_di_stampa(["provincia-mantova", "comune-brescia"]) == "regione"
    with pytest.raises(RuleViolation, match="riguarda più Enti \\(comune-brescia, provincia-mantova\\)"):
        emittente_di_stampa(["provincia-mantova", "comune-brescia"], "provincia-mantova")


def test_etichette_sheet_is_refused_to_a_cait_before_any_work(tmp_path: Path) -> None:
    emissione = Emissione(Settings(identita_dir=tmp_path / "identita", demo=True))
    with pytest.raises(RuleViolation, match="Fogli di etichette di validazione: il documento è emesso dall'Ente"):
        emissione.verifica_emittente("etichette", "CAIT-MN-01", ente="provincia-mantova")
    assert not (tmp_path / "identita").exists()


def test_cli_distinta_signed_by_its_cait_archived_and_found(db_url: str, weed: EmbeddedSeaweed, tmp_path: Path,
                                                            cli_locale) -> None:  # noqa: F811
    engine = make_engine(db_url)
    dati = popola(engine)
    engine.dispose()
    env = _env(tmp_path, db_url, weed, CAIT)
    for codice, tipo in zip(dati.impianti[:2], "GF"):
        _ok(cli_locale("distinta", "registra", "--cait", "CAIT-MN-01", "--manutentore", "MA023456", "--impianto",
                       codice, "--tipo", tipo, "--data-controllo", "2026-10-05", env=env))
    out = json.loads(_ok(cli_locale("distinta", "chiudi", "--cait", "CAIT-MN-01", "--manutentore", "MA023456",
                                    "--operatore", "op.ferrari", "-o", str(tmp_path / "d.pdf"), "--archivia",
                                    env=env)))
    assert out["firmato"] is True and out["emittente"] == "CAIT-MN-01"
    record = out["archivio"]
    assert record["stato"] == "archiviato" and record["firma_valida"] is True and record["cait"] == "CAIT-MN-01"
    assert record["tipo"] == "distinta-ricevuta" and record["autore"] == "CAIT-MN-01"

    settings = _settings(env)
    pdf = (tmp_path / "d.pdf").read_bytes()
    assert _firmatario(pdf, settings) == f"Firmatario demo {CAIT}"
    assert "Signature is Valid" in pdfsig(tmp_path / "d.pdf", settings.trust_roots[0], tmp_path / "nss")
    with apri_archivio(settings) as archivio:
        trovati, _ = archivio.cerca(FiltroRicerca(cait="CAIT-MN-01"))
        assert [d["id"] for d in trovati] == [record["id"]]
        assert archivio.recupera(record["id"]).dati == pdf

    # a reprint with --archivia is a new version of the same document, not a second document;
    # --no-firma is an unsigned preview and, without --archivia, stores nothing
    numero = out["oggetto"].rsplit(" ", 1)[-1]
    ristampa = json.loads(_ok(cli_locale("distinta", "stampa", numero, "-o", str(tmp_path / "r.pdf"), "--archivia",
                                         env=env)))
    assert ristampa["archivio"]["id"] == record["id"]
    anteprima = json.loads(_ok(cli_locale("distinta", "stampa", numero, "-o", str(tmp_path / "a.pdf"), "--no-firma",
                                          env=env)))
    assert anteprima["firmato"] is False and "archivio" not in anteprima
    assert "does not contain any signatures" in subprocess.run(
        ["pdfsig", str(tmp_path / "a.pdf")], capture_output=True, text=True).stdout
    with apri_archivio(settings) as archivio:
        assert len(archivio.cerca(FiltroRicerca(cait="CAIT-MN-01"))[0]) == 1
        with session_scope(archivio.engine) as s:
            assert len(versioni(s, record["id"])) == 2


def test_cli_production_without_cait_identity_closes_nothing(db_url: str, tmp_path: Path, cli_locale) -> None:
    engine = make_engine(db_url)
    dati = popola(engine)
    engine.dispose()
    env = _env(tmp_path, db_url, None) | {"CURIT_DEMO": "0"}
    _ok(cli_locale("distinta", "registra", "--cait", "CAIT-MN-01", "--manutentore", "MA023456", "--impianto",
                   dati.impianti[0], "--tipo", "G", "--data-controllo", "2026-10-05", env=env))
    r = cli_locale("distinta", "chiudi", "--cait", "CAIT-MN-01", "--manutentore", "MA023456", "--operatore",
                   "op.ferrari", "-o", str(tmp_path / "d.pdf"), env=env)
    assert r.returncode == 2 and "Nessuna identità di firma configurata per CAIT CAIT-MN-01" in r.stderr
    assert not (tmp_path / "d.pdf").exists()
    # the dichiarazione is still open: the failed signature rolled the closure back
    r = cli_locale("distinta", "chiudi", "--cait", "CAIT-MN-01", "--manutentore", "MA023456", "--operatore",
                   "op.ferrari", "-o", str(tmp_path / "d.pdf"), "--no-firma", env=env)
    assert json.loads(_ok(r))["firmato"] is False and (tmp_path / "d.pdf").exists()


def test_cli_targhe_signed_by_the_ente_and_every_code_still_decodes(tmp_path: Path, cli_locale) -> None:
    base = next(i for i in esempio_impianti() if i["codice_impianto"].startswith("020066"))
    impianti = [{**base, "codice_impianto": f"020066CT{n:07d}", "civico": str(n)} for n in range(1, 7)]
    (tmp_path / "i.json").write_text(json.dumps(impianti))
    env = _env(tmp_path, "sqlite:///" + str(tmp_path / "x.db"), None, MANTOVA)
    assert "firmato da Provincia di Mantova" in _ok(cli_locale("targhe", str(tmp_path / "i.json"), "-o",
                                                               str(tmp_path / "t.pdf"), env=env))
    assert "non firmato" in _ok(cli_locale("targhe", str(tmp_path / "i.json"), "-o", str(tmp_path / "u.pdf"),
                                           "--no-firma", env=env))
    settings = _settings(env)
    firmato = (tmp_path / "t.pdf").read_bytes()
    assert _firmatario(firmato, settings) == f"Firmatario demo {MANTOVA}"
    assert "Signature is Valid" in pdfsig(tmp_path / "t.pdf", settings.trust_roots[0], tmp_path / "nss")
    assert firmato.startswith((tmp_path / "u.pdf").read_bytes())  # an incremental update: pages untouched

    pagine = _pages(firmato, tmp_path, 300, "f")
    assert [p.read_bytes() for p in pagine] == [p.read_bytes() for p in _pages((tmp_path / "u.pdf").read_bytes(),
                                                                              tmp_path, 300, "n")]
    trovati = collections.Counter()
    for pagina in pagine:
        trovati.update(_zbar(*_cells(pagina)))
    assert trovati == collections.Counter({(k, i["codice_impianto"]): 2 for i in impianti
                                           for k in ("QR-Code", "CODE-128")})

    # plates of several Enti: sealed by the Regione, never by one of the Enti
    (tmp_path / "misti.json").write_text(json.dumps(esempio_impianti()[:3], default=str))
    r = cli_locale("targhe", str(tmp_path / "misti.json"), "-o", str(tmp_path / "m.pdf"), "--emittente",
                   "provincia-cremona", env=env)
    assert r.returncode == 1 and "lo firma la Regione" in r.stderr and not (tmp_path / "m.pdf").exists()


@pytest.fixture
def api_settings(db_url: str, tmp_path: Path, weed: EmbeddedSeaweed) -> Settings:  # noqa: F811
    """The app of these tests: its own demo identities of the CAIT and of Mantova (created up front,
    both trusted: the trust list must exist when the archive verifies) and its own bucket."""
    settings = _settings(_env(tmp_path, db_url, weed, CAIT, MANTOVA)).model_copy(update={"secret_key": "test-secret"})
    for org in ("CAIT-MN-01", "provincia-mantova"):
        Emissione(settings).firmatario(org)
    return settings


def test_api_etichette_sheet_signed_by_the_ente(client: TestClient, login, api_settings: Settings) -> None:
    ente = login("ente.mantova")
    r = client.post("/etichette/lotti", json={"tipo": "G", "quantita": 3, "stagione": "2026/2027"}, headers=ente)
    assert r.status_code == 201, r.text
    r = client.get(f"/etichette/lotti/{r.json()['lotto_id']}/pdf", headers=ente)
    assert r.status_code == 200, r.text
    assert _firmatario(r.content, api_settings) == f"Firmatario demo {MANTOVA}"
    assert "X-Curit-Archivio" not in r.headers  # print output: not archived


@pytest.mark.slow
def test_api_distinta_archived_and_precompilato_signed_by_the_cait(client: TestClient, login, db_url: str,
                                                                    api_settings: Settings) -> None:
    cait, rossi_h = login("cait.mantova"), login("manutentore.rossi")
    engine = make_engine(db_url)
    dati = popola(engine)
    engine.dispose()
    r = client.post("/cait/dichiarazioni", headers=cait, json={
        "manutentore_id": dati.rossi, "codice_impianto": dati.impianti[0], "tipo": "G", "data_controllo": "2026-10-05"})
    assert r.status_code == 201, r.text
    distinta = client.post("/cait/distinte", headers=cait, json={"manutentore_id": dati.rossi,
                                                                 "operatore": "op.ferrari"}).json()["id"]
    r = client.get(f"/distinte/{distinta}/pdf", headers=rossi_h)  # the manutentore gets what its CAIT issued
    assert r.status_code == 200, r.text
    assert r.headers["X-Curit-Archivio"] == "archiviato"
    assert _firmatario(r.content, api_settings) == f"Firmatario demo {CAIT}"
    trovati = client.get("/archivio/documenti", headers=cait, params={"tipo": "distinta-ricevuta"}).json()
    assert [d["id"] for d in trovati["documenti"]] == [r.headers["X-Curit-Documento"]]

    r = client.get(f"/manutentore/impianti/{dati.impianti[0]}/precompilato", headers=rossi_h)
    assert r.status_code == 200, r.text
    assert _firmatario(r.content, api_settings) == f"Firmatario demo {CAIT}"
    assert "X-Curit-Archivio" not in r.headers
