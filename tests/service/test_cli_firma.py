"""``curit-docs firma | verifica | identita``: real processes, real files, exit codes; service.firma."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from renderers.errors import SigningError
from renderers.sign import Firmatario
from renderers.sign_chiavi import ChiaveSoftware
from service.firma import firma_documento, firma_lotto, verifica_documento
from service.identita import DEMO_OU, carica_identita, crea_identita_demo, elenca_identita, svuota_cache
from service.settings import Settings
from tests.pki import P12_PASSWORD, materiale, pdf_di_prova, scrivi_p12, scrivi_pem, tsa_locale

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CURIT_")} | env
    return subprocess.run(
        [sys.executable, "-c", "from service.cli import main; main()", *args],
        capture_output=True, text=True, env=full_env | {"PYTHONPATH": str(ROOT)}, cwd=cwd, timeout=120,
    )


@pytest.fixture
def cli_locale(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``curit-docs`` in this process (same ``main()``, exit codes and streams as the binary)."""
    from service.cli import main
    from service.settings import get_settings

    def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
        for key in [k for k in os.environ if k.startswith("CURIT_")]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["curit-docs", *args])
        get_settings.cache_clear()
        svuota_cache()
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            get_settings.cache_clear()
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


@pytest.fixture
def area(tmp_path: Path) -> Path:
    (tmp_path / "in.pdf").write_bytes(pdf_di_prova())
    return tmp_path


@pytest.mark.slow
def test_demo_firma_verifica_col_comando_installato(area):
    """The real entry point, three separate processes: a newcomer's first minute."""
    env = {"CURIT_IDENTITA_DIR": str(area / "id")}
    demo = cli("identita", "demo", "ente-prova", env=env, cwd=area)
    assert demo.returncode == 0, demo.stderr
    assert DEMO_OU in demo.stdout
    assert "BEGIN" not in demo.stdout + demo.stderr  # no key material printed
    ca = area / "id" / "ente-prova" / "ca-demo.pem"
    signed = cli("firma", "in.pdf", "-o", "out/firmato.pdf", "--identita", "ente-prova", "--visibile",
                 env=env, cwd=area)
    assert signed.returncode == 0, signed.stderr
    trusted = cli("verifica", "out/firmato.pdf",
                  env=env | {"CURIT_DEMO": "0", "CURIT_TRUST_ROOTS": json.dumps([str(ca)])}, cwd=area)
    assert trusted.returncode == 0, trusted.stderr
    verdetto = json.loads(trusted.stdout)
    assert verdetto["valida"] and verdetto["firmatario"]["nome"] == "Firmatario demo ente-prova"


def test_identita_demo_firma_verifica(area, cli_locale):
    cli = cli_locale
    env = {"CURIT_IDENTITA_DIR": str(area / "id")}
    demo = cli("identita", "demo", "ente-prova", env=env, cwd=area)
    assert demo.returncode == 0, demo.stderr
    assert DEMO_OU in demo.stdout and "NON PER PRODUZIONE" in demo.stdout
    ca = area / "id" / "ente-prova" / "ca-demo.pem"
    cert = x509.load_pem_x509_certificate(ca.read_bytes())
    assert DEMO_OU in cert.subject.rfc4514_string()
    assert oct((area / "id" / "ente-prova" / "chiave.pem").stat().st_mode & 0o777) == "0o600"

    again = cli("identita", "demo", "ente-prova", env=env, cwd=area)
    assert again.returncode == 1 and "esiste già" in again.stderr

    signed = cli("firma", "in.pdf", "-o", "out/firmato.pdf", "--identita", "ente-prova", "--visibile",
                 env=env, cwd=area)
    assert signed.returncode == 0, signed.stderr
    assert [p.name for p in (area / "out").iterdir()] == ["firmato.pdf"]  # no temp file left

    demo_trusted = cli("verifica", "out/firmato.pdf", env=env | {"CURIT_DEMO": "1"}, cwd=area)
    assert demo_trusted.returncode == 0, demo_trusted.stderr  # demo mode trusts its own demo CAs

    untrusted = cli("verifica", "out/firmato.pdf", env=env | {"CURIT_DEMO": "0"}, cwd=area)
    assert untrusted.returncode == 1
    assert "Firmatario non riconosciuto" in untrusted.stderr
    assert json.loads(untrusted.stdout)["valida"] is False

    trusted = cli("verifica", "out/firmato.pdf",
                  env=env | {"CURIT_DEMO": "0", "CURIT_TRUST_ROOTS": json.dumps([str(ca)])}, cwd=area)
    assert trusted.returncode == 0, trusted.stderr
    assert json.loads(trusted.stdout)["firmatario"]["organizzazione"] == "curit-docs demo"

    listed = cli("identita", "elenco", env=env, cwd=area)
    assert listed.stdout.split() == ["ente-prova"]


def test_verifica_rifiuta_file_alterati_o_non_firmati(area, tmp_path, cli_locale):
    cli = cli_locale
    pki = materiale()
    ca = tmp_path / "ca.pem"
    ca.write_bytes(pki.ca.cert_pem)
    env = {"CURIT_TRUST_ROOTS": json.dumps([str(ca)])}
    buono = Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]))
    signed = buono.firma(pdf_di_prova())
    (area / "ok.pdf").write_bytes(signed)
    tampered = bytearray(signed)
    tampered[signed.index(b"/Title") + 9] ^= 0x01
    (area / "alterato.pdf").write_bytes(bytes(tampered))
    scaduto = Firmatario.da_dispositivo(ChiaveSoftware(pki.scaduto.key, pki.scaduto.cert, [pki.ca.cert]))
    (area / "scaduto.pdf").write_bytes(scaduto.firma(pdf_di_prova()))
    estraneo = Firmatario.da_dispositivo(ChiaveSoftware(pki.estraneo.key, pki.estraneo.cert, [pki.altra_ca.cert]))
    (area / "estraneo.pdf").write_bytes(estraneo.firma(pdf_di_prova()))

    assert cli("verifica", "ok.pdf", env=env, cwd=area).returncode == 0
    for name, words in (
        ("alterato.pdf", "alterato"),
        ("scaduto.pdf", "scaduto"),
        ("estraneo.pdf", "non riconosciuto"),
        ("in.pdf", "non contiene firme"),
    ):
        result = cli("verifica", name, env=env, cwd=area)
        assert result.returncode == 1, name
        assert words in result.stderr, (name, result.stderr)
    missing = cli("verifica", "manca.pdf", env=env, cwd=area)
    assert missing.returncode == 1 and "Impossibile leggere" in missing.stderr


def test_firma_con_pkcs12_password_e_tsa(area, cli_locale):
    cli = cli_locale
    pki = materiale()
    scrivi_p12(pki.firmatario, pki.ca, area / "id" / "ente-bergamo.p12")
    ca = area / "ca.pem"
    ca.write_bytes(pki.ca.cert_pem)
    password = P12_PASSWORD.decode()
    with tsa_locale(pki) as url:
        env = {
            "CURIT_IDENTITA_DIR": str(area / "id"),
            "CURIT_IDENTITA_PASSWORD": json.dumps({"ente-bergamo": password}),
            "CURIT_TSA_URL": url,
            "CURIT_TRUST_ROOTS": json.dumps([str(ca)]),
        }
        signed = cli("firma", "in.pdf", "-o", "bt.pdf", "--identita", "ente-bergamo", "--livello", "B-T",
                     env=env, cwd=area)
        assert signed.returncode == 0, signed.stderr
        assert password not in signed.stdout + signed.stderr
        result = cli("verifica", "bt.pdf", env=env, cwd=area)
    assert result.returncode == 0, result.stderr
    verdetto = json.loads(result.stdout)
    assert verdetto["marca_temporale"]["valida"] is True
    assert verdetto["firmatario"]["organizzazione"] == "Comune di Bergamo"

    wrong = cli("firma", "in.pdf", "-o", "x.pdf", "--identita", "ente-bergamo",
                env={"CURIT_IDENTITA_DIR": str(area / "id"),
                     "CURIT_IDENTITA_PASSWORD": json.dumps({"ente-bergamo": "sbagliata"})}, cwd=area)
    assert wrong.returncode == 2 and "password errata" in wrong.stderr
    assert "sbagliata" not in wrong.stderr
    assert not (area / "x.pdf").exists()
    unknown = cli("firma", "in.pdf", "-o", "x.pdf", "--identita", "../etc", env={}, cwd=area)
    assert unknown.returncode == 1 and "Nome identità non valido" in unknown.stderr


def test_servizio_lotto_e_segreti_mai_nei_log(tmp_path, caplog):
    pki = materiale()
    scrivi_pem(pki.firmatario, pki.ca, tmp_path / "id" / "cait-12")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(pki.ca.cert_pem)
    settings = Settings(identita_dir=tmp_path / "id", trust_roots=(ca,), firma_visibile_tipi=("prova",))
    svuota_cache()
    with caplog.at_level(logging.DEBUG):
        firmatario = carica_identita("cait-12", settings)
        assert carica_identita("cait-12", settings) is firmatario  # loaded once, reused
    assert "PRIVATE KEY" not in caplog.text and "PRIVATE" not in repr(firmatario)
    assert elenca_identita(settings) == ["cait-12"]

    docs = list(firma_lotto([pdf_di_prova()] * 3, "cait-12", tipo="prova", settings=settings))
    verdetti = [verifica_documento(d, settings=settings) for d in docs]
    assert all(v.valida for v in verdetti)
    assert len({v.sha256 for v in verdetti}) == 3  # each archival copy is its own signed file
    stampa = firma_documento(pdf_di_prova(pagine=12), "cait-12", settings=settings)
    assert verifica_documento(stampa, settings=settings).valida


def test_identita_scaduta_non_firma(tmp_path):
    pki = materiale()
    scrivi_pem(pki.scaduto, pki.ca, tmp_path / "ente-vecchio")
    settings = Settings(identita_dir=tmp_path)
    svuota_cache()
    with pytest.raises(SigningError, match="scaduto il"):
        firma_documento(pdf_di_prova(), "ente-vecchio", settings=settings)


def test_identita_demo_direttamente(tmp_path):
    demo = crea_identita_demo("regione", tmp_path)
    settings = Settings(identita_dir=tmp_path, trust_roots=(demo.ca,))
    svuota_cache()
    signed = firma_documento(pdf_di_prova(), "regione", settings=settings)
    verdetto = verifica_documento(signed, settings=settings)
    assert verdetto.valida and verdetto.firmatario.organizzazione == "curit-docs demo"
