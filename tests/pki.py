"""Throw-away PKI for the signing tests, built with ``cryptography``; nothing here is a secret.

``materiale()`` builds (once per process) a test CA with a signer, an expired signer and a
timestamp authority, plus a second, unrelated CA with its own signer. ``scrivi_pem`` and
``scrivi_p12`` put an identity on disk the way an operator would; ``tsa_locale`` runs a real
RFC 3161 timestamp server on 127.0.0.1 (pyHanko's ``DummyTimeStamper`` behind ``http.server``);
``nss_db`` builds the NSS database ``pdfsig`` needs to trust the test CA.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = dt.timezone.utc
P12_PASSWORD = b"prova-non-segreta"


@dataclass(frozen=True)
class Coppia:
    """A private key and its certificate (``cryptography`` objects)."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


@dataclass(frozen=True)
class Pki:
    ca: Coppia
    firmatario: Coppia
    """Valid signer: CN ``Mario Rossi``, O ``Comune di Bergamo``."""
    scaduto: Coppia
    """Signer whose certificate expired a month ago (same CA)."""
    tsa: Coppia
    altra_ca: Coppia
    """Second CA that has nothing to do with the first one."""
    estraneo: Coppia
    """Signer issued by ``altra_ca``."""


def _name(cn: str, org: str, ou: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ca(cn: str, org: str) -> Coppia:
    key = _key()
    now = dt.datetime.now(UTC)
    name = _name(cn, org, "TEST - NON PER PRODUZIONE")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Coppia(key, cert)


def _leaf(
    ca: Coppia, cn: str, org: str, *, start: dt.datetime, end: dt.datetime, tsa: bool = False,
    servizi: str | None = None,
) -> Coppia:
    key = _key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, org))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    )
    if servizi:
        builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(f"{servizi}/ocsp"))]),
            critical=False,
        ).add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(f"{servizi}/ca.crl")], None, None, None)]), critical=False)
    if tsa:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
    return Coppia(key, builder.sign(ca.key, hashes.SHA256()))


@lru_cache(maxsize=1)
def materiale() -> Pki:
    """Build the whole throw-away PKI once per process."""
    now = dt.datetime.now(UTC)
    ca = _ca("CA di prova CURIT", "Regione Lombardia (test)")
    altra = _ca("CA estranea", "Ente sconosciuto (test)")
    valid = {"start": now - dt.timedelta(days=30), "end": now + dt.timedelta(days=365)}
    return Pki(
        ca=ca,
        firmatario=_leaf(ca, "Mario Rossi", "Comune di Bergamo", **valid),
        scaduto=_leaf(
            ca, "Luigi Bianchi", "Comune di Bergamo",
            start=now - dt.timedelta(days=400), end=now - dt.timedelta(days=30),
        ),
        tsa=_leaf(ca, "TSA di prova", "Regione Lombardia (test)", tsa=True, **valid),
        altra_ca=altra,
        estraneo=_leaf(altra, "Paolo Verdi", "Ente sconosciuto (test)", **valid),
    )


def scrivi_pem(coppia: Coppia, ca: Coppia, directory: Path) -> tuple[Path, Path]:
    """Write ``chiave.pem`` and ``catena.pem`` (signer first, then the CA); return both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    key, chain = directory / "chiave.pem", directory / "catena.pem"
    key.write_bytes(coppia.key_pem)
    chain.write_bytes(coppia.cert_pem + ca.cert_pem)
    return key, chain


def scrivi_p12(coppia: Coppia, ca: Coppia, path: Path, password: bytes = P12_PASSWORD) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"firma", coppia.key, coppia.cert, [ca.cert],
            serialization.BestAvailableEncryption(password),
        )
    )
    return path


def asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@contextmanager
def tsa_locale(pki: Pki | None = None) -> Iterator[str]:
    """Run an RFC 3161 timestamp server on 127.0.0.1 (free port); yield its URL."""
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    pki = pki or materiale()
    stamper = DummyTimeStamper(
        tsa_cert=asn1_cert(pki.tsa.cert),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            pki.tsa.key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        certs_to_embed=[asn1_cert(pki.ca.cert)],
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def nss_db(directory: Path, ca: Coppia) -> str:
    """Create an NSS database trusting ``ca``; return the ``sql:`` spec ``pdfsig -nssdir`` wants."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_pem = directory / "ca.pem"
    ca_pem.write_bytes(ca.cert_pem)
    spec = f"sql:{directory}"
    subprocess.run(["certutil", "-N", "--empty-password", "-d", spec], check=True, capture_output=True)
    subprocess.run(
        ["certutil", "-A", "-t", "CT,C,C", "-n", "testca", "-i", str(ca_pem), "-d", spec],
        check=True, capture_output=True,
    )
    return spec


ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "fonts" / "titillium-web" / "TitilliumWeb-latin-400-normal.ttf"
DATI_PROVA = {"codice_impianto": "BG0123456789", "responsabile": "Anna Colombo", "potenza_kw": "24.5"}


@lru_cache(maxsize=4)
def pdf_di_prova(pagine: int = 1) -> bytes:
    """A real PDF/A-3b from ``renderers.pdf.html_to_pdf`` with ``dati.json`` attached."""
    from renderers.pdf import PdfMetadata, html_to_pdf

    fonts = ROOT / "fonts"
    body = "".join(
        f'<section style="page-break-after: always"><h1>Rapporto di prova {n + 1}</h1>'
        f"<p>Impianto BG0123456789 - responsabile Anna Colombo.</p></section>"
        for n in range(pagine)
    )
    html = (
        "<html><head><style>@font-face{font-family:T;src:url(titillium-web/TitilliumWeb-latin-400-normal.ttf)}"
        "@page{size:A4;margin:2cm} body{font-family:T}</style></head>"
        f"<body>{body}</body></html>"
    )
    return html_to_pdf(
        html, base_dir=fonts, asset_roots=[fonts],
        metadata=PdfMetadata(title="Documento di prova", tipo_documento="prova", codice_impianto="BG0123456789"),
        dati=DATI_PROVA,
    )


# -- long-term validation: a CA whose certificates name a real OCSP responder and CRL ----------


@dataclass
class PkiLt:
    """A second test PKI for PAdES B-LT/B-LTA, with its services live on 127.0.0.1.

    Every certificate names the OCSP responder (AIA) and the CRL (CDP) of :attr:`base_url`; one
    ``ThreadingHTTPServer`` answers RFC 6960 OCSP requests (responses signed by the CA, built with
    ``cryptography``'s OCSP builder), serves the CA's signed CRL and runs two RFC 3161 TSAs: ``tsa``
    (certificate valid ten years) and ``tsa_breve`` (expires in 20 days: its timestamps need renewal).
    """

    ca: Coppia
    firmatario: Coppia
    """CN ``Giulia Neri``, O ``Provincia di Mantova``; valid from 30 days ago for 365 days."""
    tsa: Coppia
    tsa_breve: Coppia
    base_url: str
    revocati: set[int]
    """Serial numbers the OCSP responder and the CRL report revoked (tests may add to it)."""
    richieste_ocsp: list[int]
    """Serial numbers asked about, in order (shows the responder was really consulted)."""
    emessi: dict[int, x509.Certificate] = field(default_factory=dict)
    """Certificates the OCSP responder knows, by serial (tests may register more)."""
    orologio: dt.datetime | None = None
    """The OCSP responder's and CRL issuer's clock; None = now. A test validating "in 2030" sets it
    to that instant, as the responder of 2030 would answer."""

    def adesso(self) -> dt.datetime:
        return (self.orologio or dt.datetime.now(UTC)).replace(microsecond=0)

    @property
    def url_tsa(self) -> str:
        return f"{self.base_url}/tsa"

    @property
    def url_tsa_breve(self) -> str:
        return f"{self.base_url}/tsa-breve"

    @property
    def url_ocsp(self) -> str:
        return f"{self.base_url}/ocsp"

    @property
    def url_crl(self) -> str:
        return f"{self.base_url}/ca.crl"


def _leaf_lt(ca: Coppia, base: str, cn: str, org: str, *, start: dt.datetime, end: dt.datetime,
             tsa: bool = False) -> Coppia:
    """A leaf certificate naming the OCSP responder (AIA) and the CRL (CDP) under ``base``."""
    return _leaf(ca, cn, org, start=start, end=end, tsa=tsa, servizi=base)


def _risponditore_ocsp(ca: Coppia, now: dt.datetime) -> Coppia:
    """Delegated OCSP responder (RFC 6960 4.2.2.2): id-kp-OCSPSigning and id-pkix-ocsp-nocheck, so
    its own status needs no check (a CA signing its responses directly makes long-term validators
    ask for the root's revocation status)."""
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Risponditore OCSP di prova", "Regione Lombardia (test)"))
        .issuer_name(ca.cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30)).not_valid_after(now + dt.timedelta(days=3600))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return Coppia(key, cert)


def _stamper(tsa: Coppia, ca: Coppia):  # noqa: ANN202 - pyHanko test helper
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    return DummyTimeStamper(
        tsa_cert=asn1_cert(tsa.cert),
        tsa_key=asn1_keys.PrivateKeyInfo.load(tsa.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        certs_to_embed=[asn1_cert(ca.cert)],
    )


@lru_cache(maxsize=1)
def pki_lt() -> PkiLt:
    """Build the long-term PKI and start its OCSP/CRL/TSA server (once per process, daemon thread)."""
    from cryptography.x509 import ocsp

    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    now = dt.datetime.now(UTC)
    ca = _ca("CA di prova CURIT LTV", "Regione Lombardia (test)")
    pki = PkiLt(
        ca=ca,
        firmatario=_leaf_lt(ca, base, "Giulia Neri", "Provincia di Mantova",
                            start=now - dt.timedelta(days=30), end=now + dt.timedelta(days=365)),
        tsa=_leaf_lt(ca, base, "TSA di prova LTV", "Regione Lombardia (test)", tsa=True,
                     start=now - dt.timedelta(days=30), end=now + dt.timedelta(days=3600)),
        tsa_breve=_leaf_lt(ca, base, "TSA di prova in scadenza", "Regione Lombardia (test)", tsa=True,
                           start=now - dt.timedelta(days=30), end=now + dt.timedelta(days=20)),
        base_url=base, revocati=set(), richieste_ocsp=[],
    )
    emessi = pki.emessi
    emessi.update({c.cert.serial_number: c.cert for c in (pki.firmatario, pki.tsa, pki.tsa_breve)})
    risponditore = _risponditore_ocsp(ca, now)
    stampers = {"/tsa": _stamper(pki.tsa, ca), "/tsa-breve": _stamper(pki.tsa_breve, ca)}

    def risposta_ocsp(body: bytes) -> bytes:
        try:
            req = ocsp.load_der_ocsp_request(body)
        except ValueError:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(
                serialization.Encoding.DER)
        pki.richieste_ocsp.append(req.serial_number)
        cert = emessi.get(req.serial_number)
        if cert is None:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(
                serialization.Encoding.DER)
        adesso = pki.adesso()
        revocato = req.serial_number in pki.revocati
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=cert, issuer=ca.cert, algorithm=req.hash_algorithm,  # the CertID as asked (SHA-1 from NSS)
            cert_status=ocsp.OCSPCertStatus.REVOKED if revocato else ocsp.OCSPCertStatus.GOOD,
            this_update=adesso - dt.timedelta(minutes=1), next_update=adesso + dt.timedelta(days=7),
            revocation_time=adesso - dt.timedelta(minutes=1) if revocato else None,
            revocation_reason=x509.ReasonFlags.key_compromise if revocato else None,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, risponditore.cert).certificates([risponditore.cert])
        for ext in req.extensions:
            if isinstance(ext.value, x509.OCSPNonce):
                builder = builder.add_extension(ext.value, critical=False)
        return builder.sign(risponditore.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def crl() -> bytes:
        adesso = pki.adesso()
        builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.cert.subject)
                   .last_update(adesso - dt.timedelta(minutes=1)).next_update(adesso + dt.timedelta(days=7))
                   .add_extension(x509.CRLNumber(int(adesso.timestamp())), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                                  critical=False))
        for serial in sorted(pki.revocati):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(adesso - dt.timedelta(minutes=1))
                .build())
        return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    class Handler(BaseHTTPRequestHandler):
        def _rispondi(self, tipo: str, dati: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", tipo)
            self.send_header("Content-Length", str(len(dati)))
            self.end_headers()
            self.wfile.write(dati)

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/ocsp":
                self._rispondi("application/ocsp-response", risposta_ocsp(body))
            elif self.path in stampers and self.headers.get("Content-Type") == "application/timestamp-query":
                reply = stampers[self.path].request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                self._rispondi("application/timestamp-reply", reply)
            else:
                self.send_error(404)

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if self.path == "/ca.crl":
                self._rispondi("application/pkix-crl", crl())
            elif self.path.startswith("/ocsp/"):  # RFC 6960 A.1 GET form: base64 of the DER request
                import base64
                from urllib.parse import unquote

                self._rispondi("application/ocsp-response", risposta_ocsp(base64.b64decode(unquote(self.path[6:]))))
            else:
                self.send_error(404)

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    server.RequestHandlerClass = Handler
    threading.Thread(target=server.serve_forever, daemon=True, name="pki-lt").start()
    return pki
