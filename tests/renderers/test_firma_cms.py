"""renderers/firma_cms.py: B-B signatures after the first come from a CMS template, and are
the very CMS pyHanko builds; signed PDFs stay valid for pyHanko and poppler's pdfsig."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from renderers.sign import FirmaSpec, Firmatario
from renderers.sign_chiavi import ChiaveSoftware
from renderers.verify import verifica_pdf
from tests.pki import materiale, nss_db, pdf_di_prova


@pytest.fixture(scope="module")
def pki():
    return materiale()


def _firmatario(pki) -> Firmatario:
    return Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]))


def _cms(firmatario: Firmatario, contenuto: bytes) -> bytes:
    signer = firmatario._signer  # the CMS step alone: the PDF around it carries a signing time
    digest = hashlib.sha256(contenuto).digest()
    return asyncio.run(signer.async_sign(digest, "sha256", use_pades=True)).dump()


def test_cms_da_modello_uguale_a_quello_di_pyhanko(pki):
    usato = _firmatario(pki)
    _cms(usato, b"primo documento")  # builds the template
    assert any(usato._signer._modelli.values()), "no template for a plain B-B signature"
    for contenuto in (b"secondo documento", b"terzo documento"):
        da_modello = _cms(usato, contenuto)
        da_pyhanko = _cms(_firmatario(pki), contenuto)  # a fresh signer: its first CMS, all pyHanko
        assert da_modello == da_pyhanko
    assert _cms(usato, b"secondo documento") != _cms(usato, b"terzo documento")


def test_firme_successive_valide_per_pyhanko_e_pdfsig(pki, tmp_path):
    firmatario = _firmatario(pki)
    nssdir = nss_db(tmp_path / "nss", pki.ca)
    docs = [firmatario.firma(pdf_di_prova() + f"%{n}\n".encode(), FirmaSpec(motivo="Emissione")) for n in range(4)]
    for n, doc in enumerate(docs):
        verdetto = verifica_pdf(doc, trust_roots=[pki.ca.cert])
        assert verdetto.valida and verdetto.integra and not verdetto.modificato_dopo_firma, verdetto.motivo
        path = tmp_path / f"firmato-{n}.pdf"
        path.write_bytes(doc)
        out = subprocess.run(["pdfsig", "-nssdir", nssdir, str(path)], capture_output=True, text=True).stdout
        assert "Signature is Valid." in out and "Certificate is Trusted." in out


def test_documento_alterato_dopo_firma_da_modello_non_valido(pki):
    firmatario = _firmatario(pki)
    firmatario.firma(pdf_di_prova())
    doc = bytearray(firmatario.firma(pdf_di_prova() + b"%altro\n"))
    doc[200] ^= 0x01  # a byte of the original document, covered by the signature
    assert not verifica_pdf(bytes(doc), trust_roots=[pki.ca.cert]).valida


def test_chiave_ec_firme_di_lunghezza_variabile(pki):
    """ECDSA signatures vary in length (DER integers): those that do not fit the template are
    assembled by pyHanko; every one is valid."""
    chiave = ec.generate_private_key(ec.SECP256R1())
    adesso = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Firma EC"),
                                     x509.NameAttribute(x509.NameOID.ORGANIZATION_NAME, "Comune di Bergamo")]))
            .issuer_name(pki.ca.cert.subject).public_key(chiave.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(adesso - dt.timedelta(days=1)).not_valid_after(adesso + dt.timedelta(days=30))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(pki.ca.key, hashes.SHA256()))
    firmatario = Firmatario.da_dispositivo(ChiaveSoftware(chiave, cert, [pki.ca.cert]))
    docs = [firmatario.firma(pdf_di_prova() + f"%{n}\n".encode()) for n in range(12)]
    for doc in docs:
        verdetto = verifica_pdf(doc, trust_roots=[pki.ca.cert])
        assert verdetto.valida and verdetto.integra, verdetto.motivo
