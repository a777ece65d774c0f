"""The server's worker processes and the verdict by hash of its own signatures.

Real pieces: spawned worker processes render and sign with demo identities, one embedded
SeaweedFS (the module fixture of test_emissione) stores, pyHanko verifies.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from archive.seaweed import EmbeddedSeaweed
from domain.errors import ValidationFailed
from service.emissione import Emissione
from service.firma import FirmeProprie, verifica_documento
from service.lavoratori import chiudi_tutti, lavoratori_per
from tests.service.test_emissione import MANTOVA, esempio, impostazioni, weed  # noqa: F401 - module fixture


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lavoratori")


def test_issue_through_worker_processes_is_signed_archived_and_errors_name_the_field(
    db_url: str, weed: EmbeddedSeaweed, base: Path  # noqa: F811
) -> None:
    settings = impostazioni(base, weed, db_url=db_url, processi_emissione=2)
    try:
        pids = lavoratori_per(settings).avvia()
        assert len(pids) == 2 and os.getpid() not in pids
        with Emissione.aperta(settings) as emissione:
            emesso = emissione.emetti("allegato-g", esempio("allegato-g"), emittente=None)
            assert emesso.firmato and emesso.emittente.id == "provincia-mantova"
            assert emesso.record["stato"] == "archiviato" and emesso.record["firma_valida"] is True
            # the archive took the worker's signature by hash; retrieval verifies it in full
            assert emissione.proprie.per_impronta == 0  # first of its identity: full verification (template)
            secondo = emissione.emetti("allegato-g", {**esempio("allegato-g"), "data_controllo": "2025-10-15"},
                                       emittente=None)
            assert emissione.proprie.per_impronta == 1
            assert secondo.record["firma_esito"]["verifica"].startswith("impronta")
            assert emissione.archivio.recupera(secondo.record["id"]).firma["valida"] is True

            dati = esempio("allegato-g")
            dati["codice_impianto"] = "non-valido"
            with pytest.raises(ValidationFailed) as err:
                emissione.emetti("allegato-g", dati, emittente=None)
            campi = [e.as_dict()["campo"] for e in err.value.errors] or [err.value.as_dict()["campo"]]
            assert any("codice_impianto" in c for c in campi), campi
    finally:
        chiudi_tutti()


def test_verdict_by_hash_equals_the_full_verdict_and_unknown_bytes_are_verified(
    weed: EmbeddedSeaweed, base: Path  # noqa: F811
) -> None:
    settings = impostazioni(base / "hash", weed)
    emissione = Emissione(settings)
    firmatario = emissione.firmatario("provincia-mantova")
    proprie = FirmeProprie(lambda pdf: verifica_documento(pdf, settings=settings))
    from tests.pki import pdf_di_prova

    firmati = [firmatario.firma(pdf_di_prova() + f"%{n}\n".encode()) for n in range(3)]
    for pdf in firmati:
        proprie.registra(pdf, MANTOVA)
    proprie(firmati[0])  # the template
    per_hash = proprie(firmati[1])
    pieno = verifica_documento(firmati[1], settings=settings)
    assert proprie.per_impronta == 1
    atteso = pieno.as_dict()
    ottenuto = per_hash.as_dict()
    assert ottenuto.pop("verifica").startswith("impronta")
    assert ottenuto == atteso
    # bytes changed after signing are not the registered hash: verified in full, and invalid
    alterato = firmati[2].replace(b"%2\n", b"%9\n")
    assert not proprie(alterato).valida
    assert proprie.per_impronta == 1
    # a hash is used once: a second archive of the same bytes is verified in full
    assert proprie(firmati[1]).as_dict().get("verifica") is None


_SERVER = """
import sys, time
from pathlib import Path
from service.lavoratori import lavoratori_per
from service.settings import Settings

settings = Settings(var_dir=Path(sys.argv[1]), processi_emissione=2)
print(" ".join(map(str, lavoratori_per(settings).avvia())), flush=True)
time.sleep(600)
"""


def test_workers_do_not_outlive_a_killed_server(tmp_path: Path) -> None:
    """A server killed outright (SIGKILL: no shutdown runs) takes its worker processes with it:
    no orphan keeps compiling templates for nobody."""
    import signal
    import subprocess
    import sys
    import time

    from tests.archive.test_seaweed_sicurezza import _alive as _vivo  # a zombie counts as dead

    server = subprocess.Popen([sys.executable, "-c", _SERVER, str(tmp_path / "var")], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        pids = [int(p) for p in server.stdout.readline().split()]  # type: ignore[union-attr]
        assert len(pids) == 2 and all(Path(f"/proc/{p}").exists() for p in pids)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
    scadenza = time.monotonic() + 30
    while time.monotonic() < scadenza and any(_vivo(p) for p in pids):
        time.sleep(0.2)
    assert not any(_vivo(p) for p in pids)
