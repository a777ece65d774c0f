"""PAdES B-LT and B-LTA on real parts: the test PKI's OCSP responder, CRL and RFC 3161 TSAs over
HTTP (tests/pki.py ``pki_lt``); judged by pyHanko (AdES-LTA validation at a time after the signer's
certificate expired), poppler's ``pdfsig`` (signatures) and ``openssl ts -verify`` (every timestamp
token: poppler 22.12 cannot validate RFC 3161 document timestamps, it reports them "not verified")."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

from renderers.errors import SigningError
from renderers.lta import aggiungi_marca_archivio, contesto_validazione, livello_pades
from renderers.sign import FirmaSpec, Firmatario
from renderers.sign_chiavi import ChiaveSoftware
from renderers.verify import verifica_pdf
from tests.pki import asn1_cert, nss_db, pdf_di_prova, pki_lt
from tests.pki import _leaf_lt

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def pki():
    return pki_lt()


def _firmatario(pki, coppia=None, tsa: str | None = None) -> Firmatario:
    coppia = coppia or pki.firmatario
    return Firmatario.da_dispositivo(ChiaveSoftware(coppia.key, coppia.cert, [pki.ca.cert]),
                                     timestamper=RequestsHTTPTimeStamper(tsa or pki.url_tsa, timeout=5))


@pytest.fixture(scope="module")
def firmati(pki) -> dict[str, bytes]:
    firmatario = _firmatario(pki)
    return {livello: firmatario.firma(pdf_di_prova(), FirmaSpec(livello=livello))
            for livello in ("B-B", "B-T", "B-LT", "B-LTA")}


@pytest.fixture
def orologio(pki):
    """Moves the OCSP responder's clock (as the responder of that year would answer); restored after."""
    def sposta(quando: dt.datetime) -> dt.datetime:
        pki.orologio = quando
        return quando

    yield sposta
    pki.orologio = None


def test_livelli_e_dati_di_validazione_incorporati(firmati, pki):
    for livello, pdf in firmati.items():
        stato = livello_pades(pdf)
        assert stato is not None and stato.livello == livello
        assert pdf.startswith(pdf_di_prova())  # incremental updates only
    lta = livello_pades(firmati["B-LTA"])
    assert lta.marche_documento == 1 and lta.autorita == "TSA di prova LTV"
    assert lta.fino_al == pki.tsa.cert.not_valid_after_utc
    assert "fino al" in lta.descrizione() and "B-LTA" in lta.descrizione()
    assert livello_pades(firmati["B-B"]).fino_al == pki.firmatario.cert.not_valid_after_utc
    # the DSS holds real OCSP responses signed by the CA, about the signer and the TSA
    from cryptography.x509 import ocsp

    with pikepdf.open(io.BytesIO(firmati["B-LT"])) as pdf:
        risposte = [ocsp.load_der_ocsp_response(bytes(o.read_bytes())) for o in pdf.Root.DSS.OCSPs]
        assert pdf.Root.DSS.Certs and len(pdf.Root.DSS.Certs) >= 2
    seriali = {r.serial_number for r in risposte}
    assert {pki.firmatario.cert.serial_number, pki.tsa.cert.serial_number} <= seriali
    assert all(r.certificate_status == ocsp.OCSPCertStatus.GOOD for r in risposte)
    assert pki.firmatario.cert.serial_number in pki.richieste_ocsp  # asked over HTTP
    with pikepdf.open(io.BytesIO(firmati["B-LTA"])) as pdf:  # still PDF/A-3b, Info and XMP in step
        xmp = pdf.open_metadata()
        assert xmp["pdfaid:part"] == "3" and str(pdf.docinfo["/Producer"]) == xmp["pdf:Producer"]


def test_verifica_dopo_la_scadenza_del_certificato(firmati, pki, orologio):
    adesso = verifica_pdf(firmati["B-LTA"], trust_roots=[pki.ca.cert])
    assert adesso.valida and adesso.livello == "B-LTA"
    assert adesso.prova_fino_al == pki.tsa.cert.not_valid_after_utc
    assert "B-LTA" in adesso.conservazione and f"{pki.tsa.cert.not_valid_after_utc:%d/%m/%Y}" in adesso.conservazione
    # two years on: the signer's certificate expired a year ago
    futuro = orologio(dt.datetime.now(UTC) + dt.timedelta(days=730))
    assert futuro > pki.firmatario.cert.not_valid_after_utc
    lta = verifica_pdf(firmati["B-LTA"], trust_roots=[pki.ca.cert], momento=futuro)
    assert lta.valida, lta.motivo
    assert "lungo termine" in lta.motivo and "Giulia Neri" in lta.motivo
    for livello in ("B-B", "B-T"):
        vecchio = verifica_pdf(firmati[livello], trust_roots=[pki.ca.cert], momento=futuro)
        assert not vecchio.valida and "scaduto" in vecchio.motivo, livello
    # a trust list without the CA: the timestamps prove nothing
    from tests.pki import materiale

    estranea = verifica_pdf(firmati["B-LTA"], trust_roots=[materiale().altra_ca.cert], momento=futuro)
    assert not estranea.valida


def test_marca_d_archivio_alterata(firmati, pki):
    pdf = firmati["B-LTA"]
    marca = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_timestamp_signatures[-1]
    # a blank in the padding after its /ByteRange: the PDF parses the same, but the bytes the document
    # timestamp covers (and only it: the signature's range ended before) no longer match its imprint
    pos = pdf.index(b"]", int(marca.byte_range[2])) + 3
    assert pdf[pos:pos + 1] == b" "
    alterato = pdf[:pos] + b"\t" + pdf[pos + 1:]
    verdetto = verifica_pdf(alterato, trust_roots=[pki.ca.cert])
    assert not verdetto.valida and "marca temporale d'archivio n. 1" in verdetto.motivo
    assert verifica_pdf(pdf, trust_roots=[pki.ca.cert]).valida


def _marche(pdf: bytes) -> list[tuple[bytes, bytes | None, bytes | None]]:
    """Every RFC 3161 token of ``pdf``: (token DER, data it stamps, or the digest it stamps)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    out = []
    for sig in reader.embedded_signatures:
        if sig.sig_object_type == "/DocTimeStamp":
            a, la, b, lb = [int(v) for v in sig.byte_range]
            out.append((cms.ContentInfo.load(sig.pkcs7_content).dump(), pdf[a:a + la] + pdf[b:b + lb], None))
        for attr in sig.signer_info["unsigned_attrs"] or ():
            if attr["type"].native == "signature_time_stamp_token":
                firma = sig.signer_info["signature"].native
                out.append((attr["values"][0].dump(), None, hashlib.sha256(firma).digest()))
    return out


def _verifica_esterna(pdf: bytes, pki, tmp_path: Path) -> tuple[list[str], list]:
    """pdfsig on the file (signature valid, certificate trusted) and ``openssl ts -verify`` on every
    timestamp token; returns pdfsig's blocks and the tokens."""
    nss = nss_db(tmp_path / "nss", pki.ca)
    path = tmp_path / "lta.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", "-nssdir", nss, str(path)], capture_output=True, text=True).stdout
    firme = out.split("Signature #")[1:]
    assert "Signature is Valid." in firme[0] and "Certificate is Trusted." in firme[0], out
    (tmp_path / "ca.pem").write_bytes(pki.ca.cert_pem)
    marche = _marche(pdf)
    for n, (token, dati, digest) in enumerate(marche):
        (tmp_path / f"t{n}.der").write_bytes(token)
        cmd = ["openssl", "ts", "-verify", "-in", str(tmp_path / f"t{n}.der"), "-token_in",
               "-CAfile", str(tmp_path / "ca.pem")]
        if dati is not None:
            (tmp_path / f"d{n}.bin").write_bytes(dati)
            cmd += ["-data", str(tmp_path / f"d{n}.bin")]
        else:
            cmd += ["-digest", digest.hex()]
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0 and "Verification: OK" in r.stdout, (n, r.stdout, r.stderr)
    return firme, marche


def test_pdfsig_e_openssl_confermano_firma_e_marche(firmati, pki, tmp_path):
    firme, marche = _verifica_esterna(firmati["B-LTA"], pki, tmp_path)
    assert len(firme) == 2  # the signature and the document timestamp
    assert "Giulia Neri" in firme[0] and "TSA di prova LTV" in firme[1]
    assert len(marche) == 2  # signature timestamp + document timestamp
    # a byte changed in the stamped range: openssl refuses the document timestamp
    n, dati = next((n, m[1]) for n, m in enumerate(marche) if m[1] is not None)
    (tmp_path / "alterato.bin").write_bytes(dati[:-1] + bytes([dati[-1] ^ 1]))
    r = subprocess.run(["openssl", "ts", "-verify", "-in", str(tmp_path / f"t{n}.der"), "-token_in", "-CAfile",
                        str(tmp_path / "ca.pem"), "-data", str(tmp_path / "alterato.bin")], capture_output=True, text=True)
    assert r.returncode != 0


def test_marca_d_archivio_prolunga_la_prova(pki, orologio, tmp_path):
    breve = _firmatario(pki, tsa=pki.url_tsa_breve).firma(pdf_di_prova(), FirmaSpec(livello="B-LTA"))
    prima = livello_pades(breve)
    assert prima.fino_al == pki.tsa_breve.cert.not_valid_after_utc  # expires in 20 days
    rinnovato = aggiungi_marca_archivio(breve, RequestsHTTPTimeStamper(pki.url_tsa, timeout=5),
                                        contesto_validazione([asn1_cert(pki.ca.cert)]))
    assert rinnovato.startswith(breve)
    dopo = livello_pades(rinnovato)
    assert dopo.livello == "B-LTA" and dopo.marche_documento == 2
    assert dopo.fino_al == pki.tsa.cert.not_valid_after_utc and dopo.autorita == "TSA di prova LTV"
    firme, marche = _verifica_esterna(rinnovato, pki, tmp_path)
    assert len(firme) == 3 and len(marche) == 3  # signature, two document timestamps, each token verified
    # five years on, both the signer's and the first TSA's certificates have expired
    futuro = orologio(dt.datetime.now(UTC) + dt.timedelta(days=5 * 365))
    assert verifica_pdf(rinnovato, trust_roots=[pki.ca.cert], momento=futuro).valida
    assert not verifica_pdf(breve, trust_roots=[pki.ca.cert], momento=futuro).valida


def test_dati_di_validazione_scaricati_una_volta_per_lotto(pki, tmp_path):
    """A batch signed B-LT by one identity asks the OCSP responder once per certificate (the signer,
    the TSA); every document still embeds the responses and verifies; past their nextUpdate (seven
    days at the test responder) they are fetched again."""
    from cryptography.x509 import ocsp

    from renderers.lta import CacheRevoche

    adesso = [dt.datetime.now(UTC)]
    cache = CacheRevoche(ora=lambda: adesso[0])
    firmatario = Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]),
                                           timestamper=RequestsHTTPTimeStamper(pki.url_tsa, timeout=5), revoche=cache)
    prima = len(pki.richieste_ocsp)
    lotto = [firmatario.firma(pdf_di_prova(), FirmaSpec(livello=livello)) for livello in ("B-LT", "B-LT", "B-LTA")]
    chiesti = pki.richieste_ocsp[prima:]
    assert sorted(chiesti) == sorted([pki.firmatario.cert.serial_number, pki.tsa.cert.serial_number])
    assert cache.scaricati == 2
    for pdf in lotto:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            seriali = {ocsp.load_der_ocsp_response(bytes(o.read_bytes())).serial_number for o in doc.Root.DSS.OCSPs}
        assert {pki.firmatario.cert.serial_number, pki.tsa.cert.serial_number} <= seriali
        assert verifica_pdf(pdf, trust_roots=[pki.ca.cert]).valida
    # a day before nextUpdate: still the cached responses; at nextUpdate: fetched again
    adesso[0] += dt.timedelta(days=6)
    firmatario.firma(pdf_di_prova(), FirmaSpec(livello="B-LT"))
    assert len(pki.richieste_ocsp) - prima == 2
    adesso[0] += dt.timedelta(days=1)
    rinnovate = firmatario.firma(pdf_di_prova(), FirmaSpec(livello="B-LT"))
    assert sorted(pki.richieste_ocsp[prima + 2:]) == sorted(chiesti) and cache.scaricati == 4
    assert livello_pades(rinnovate).livello == "B-LT" and verifica_pdf(rinnovate, trust_roots=[pki.ca.cert]).valida
    _verifica_esterna(lotto[-1], pki, tmp_path)  # pdfsig (it asks the responder itself) and openssl ts


def test_senza_risposta_di_revoca_nessuna_firma_lt(pki):
    now = dt.datetime.now(UTC)
    muto = _leaf_lt(pki.ca, "http://127.0.0.1:9", "Paola Muti", "Comune di Lodi",
                    start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=30))
    firmatario = _firmatario(pki, muto)
    with pytest.raises(SigningError, match="revoca"):
        firmatario.firma(pdf_di_prova(), FirmaSpec(livello="B-LT"))
    assert livello_pades(firmatario.firma(pdf_di_prova(), FirmaSpec(livello="B-T"))).livello == "B-T"


def test_certificato_revocato_nessuna_firma_lt(pki):
    now = dt.datetime.now(UTC)
    revocato = _leaf_lt(pki.ca, pki.base_url, "Carlo Revocato", "Comune di Pavia",
                        start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=30))
    pki.emessi[revocato.cert.serial_number] = revocato.cert
    pki.revocati.add(revocato.cert.serial_number)
    with pytest.raises(SigningError, match="revocato"):
        _firmatario(pki, revocato).firma(pdf_di_prova(), FirmaSpec(livello="B-LTA"))


def test_livello_configurato_per_i_documenti_emessi(pki, tmp_path):
    from service.firma import firma_documento
    from service.settings import Settings

    impostazioni = Settings(var_dir=tmp_path, demo=False, tsa_url=pki.url_tsa, firma_livello="B-LTA")
    firmato = firma_documento(pdf_di_prova(), _firmatario(pki), settings=impostazioni)
    assert livello_pades(firmato).livello == "B-LTA"
    predefinito = firma_documento(pdf_di_prova(), _firmatario(pki), settings=Settings(var_dir=tmp_path, demo=False))
    assert livello_pades(predefinito).livello == "B-T"  # auto with a TSA, as before


def test_b_lta_senza_tsa_rifiutata(pki):
    firmatario = Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]))
    with pytest.raises(SigningError, match="B-LTA"):
        firmatario.firma(pdf_di_prova(), FirmaSpec(livello="B-LTA"))
    assert livello_pades(firmatario.firma(pdf_di_prova())).livello == "B-B"  # auto without TSA: works offline
