"""PKCS#12 or PEM bytes → a signing key held in memory (``ChiaveSoftware``); certificates → names.

Where the private key lives is a seam: ``DispositivoFirma`` is the small protocol a key holder
implements (``ChiaveSoftware`` for a key in memory; a remote signing service or an HSM client
implements the same four members). ``renderers.sign.Firmatario.da_dispositivo`` signs with any of
them. The bytes are handed in: nothing here opens a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from renderers.errors import SigningError

__all__ = [
    "DispositivoFirma",
    "ChiaveSoftware",
    "carica_pkcs12",
    "carica_pem",
    "nome_soggetto",
    "certificato_asn1",
    "attributo_soggetto",
]


@runtime_checkable
class DispositivoFirma(Protocol):
    """Where a private key lives and signs: memory, a remote signing service, an HSM.

    ``firma_grezza`` receives the DER-encoded CMS signed attributes and returns the raw
    signature over their ``digest`` hash: PKCS#1 v1.5 for RSA, DER ``ECDSA-Sig-Value`` for EC.
    Nothing else about the key is ever asked for.
    """

    @property
    def certificato(self) -> x509.Certificate: ...

    @property
    def catena(self) -> Sequence[x509.Certificate]:
        """Intermediate and root certificates (the signer's own excluded)."""
        ...

    def firma_grezza(self, dati: bytes, digest: str) -> bytes: ...


class ChiaveSoftware:
    """A private key already parsed in memory (from PKCS#12 or PEM), with its chain."""

    def __init__(
        self, chiave: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey,
        certificato: x509.Certificate, catena: Sequence[x509.Certificate] = (),
    ) -> None:
        if chiave.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ) != certificato.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ):
            raise SigningError("La chiave privata non corrisponde al certificato di firma.")
        self._chiave = chiave
        self._certificato = certificato
        self._catena = tuple(c for c in catena if c != certificato)

    @property
    def certificato(self) -> x509.Certificate:
        return self._certificato

    @property
    def catena(self) -> Sequence[x509.Certificate]:
        return self._catena

    def firma_grezza(self, dati: bytes, digest: str) -> bytes:
        key = self._chiave
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(dati, PKCS1v15(), get_pyca_cryptography_hash(digest))
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(dati, ec.ECDSA(get_pyca_cryptography_hash(digest)))
        return key.sign(dati)

    def __repr__(self) -> str:  # never show key material
        return f"ChiaveSoftware({nome_soggetto(self._certificato)!r})"


def carica_pkcs12(dati: bytes, password: bytes | None) -> ChiaveSoftware:
    """Parse a PKCS#12 (.p12/.pfx) once; wrong password or broken file → SigningError."""
    try:
        key, cert, others = pkcs12.load_key_and_certificates(dati, password)
    except Exception as exc:
        raise SigningError(
            "Impossibile aprire il file PKCS#12 dell'identità di firma: password errata o file danneggiato."
        ) from exc
    if key is None or cert is None:
        raise SigningError("Il file PKCS#12 non contiene una chiave privata con il suo certificato.")
    return ChiaveSoftware(key, cert, others)  # type: ignore[arg-type]


def carica_pem(chiave_pem: bytes, catena_pem: bytes, password: bytes | None = None) -> ChiaveSoftware:
    """Parse a PEM private key and a PEM chain (signer's certificate first)."""
    try:
        key = serialization.load_pem_private_key(chiave_pem, password)
    except Exception as exc:
        raise SigningError(
            "Impossibile leggere la chiave privata PEM dell'identità di firma: password errata o file danneggiato."
        ) from exc
    try:
        certs = x509.load_pem_x509_certificates(catena_pem)
    except Exception as exc:
        raise SigningError("Impossibile leggere la catena di certificati PEM dell'identità di firma.") from exc
    return ChiaveSoftware(key, certs[0], certs[1:])  # type: ignore[arg-type]


def nome_soggetto(cert: x509.Certificate) -> str:
    """``CN (O)`` of a certificate, for messages and logs."""
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    org = cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)
    name = str(cn[0].value) if cn else cert.subject.rfc4514_string()
    return f"{name} ({org[0].value})" if org else name


def certificato_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The same certificate as asn1crypto parses it (what pyHanko's signers and stores take)."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def attributo_soggetto(cert: asn1_x509.Certificate, name: str) -> str | None:
    """One attribute of the subject (asn1crypto's name, e.g. ``common_name``; the first if repeated)."""
    value = cert.subject.native.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else None
