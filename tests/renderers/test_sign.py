"""renderers/sign.py and sign_chiavi.py: PAdES signatures checked with pyHanko and with poppler's pdfsig."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pikepdf
import pytest
from cryptography.hazmat.primitives import serialization
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

from renderers.errors import SigningError
from renderers.pdf import read_attachment
from renderers.sign import AspettoFirma, FirmaSpec, Firmatario
from renderers.sign_chiavi import ChiaveSoftware, DispositivoFirma, carica_pem, carica_pkcs12
from renderers.verify import verifica_pdf
from tests.pki import DATI_PROVA, FONT, P12_PASSWORD, materiale, nss_db, pdf_di_prova, tsa_locale


@pytest.fixture(scope="module")
def pki():
    return materiale()


@pytest.fixture(scope="module")
def firmatario(pki) -> Firmatario:
    return Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]))


@pytest.fixture(scope="module")
def nssdir(pki, tmp_path_factory) -> str:
    return nss_db(tmp_path_factory.mktemp("nss"), pki.ca)


def pdfsig(path: Path, nssdir: str) -> str:
    return subprocess.run(["pdfsig", "-nssdir", nssdir, str(path)], capture_output=True, text=True).stdout


def test_firma_valida_per_pyhanko_e_pdfsig(firmatario, pki, nssdir, tmp_path):
    signed = firmatario.firma(pdf_di_prova(), FirmaSpec(motivo="Emissione", luogo="Bergamo"))
    verdetto = verifica_pdf(signed, trust_roots=[pki.ca.cert])
    assert verdetto.valida and verdetto.integra and verdetto.catena_attendibile
    assert not verdetto.modificato_dopo_firma
    assert verdetto.firmatario.nome == "Mario Rossi"
    assert verdetto.firmatario.organizzazione == "Comune di Bergamo"
    assert verdetto.marca_temporale is None  # B-B
    path = tmp_path / "firmato.pdf"
    path.write_bytes(signed)
    out = pdfsig(path, nssdir)
    assert "Signature is Valid." in out
    assert "Certificate is Trusted." in out
    assert "ETSI.CAdES.detached" in out  # PAdES subfilter
    assert "Total document signed" in out
    sig = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0].sig_object
    assert sig["/Reason"] == "Emissione" and sig["/Location"] == "Bergamo"


def test_firma_conserva_pdfa_e_dati_json(firmatario, tmp_path):
    original = pdf_di_prova()
    signed = firmatario.firma(original)
    assert signed.startswith(original)  # incremental update: original bytes untouched
    assert json.loads(read_attachment(signed)) == DATI_PROVA
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        xmp = pdf.open_metadata()
        assert xmp["pdfaid:part"] == "3" and xmp["pdfaid:conformance"] == "B"
        assert xmp["dc:title"] == "Documento di prova"
        widget = pdf.pages[0].Annots[0]
        assert widget.FT == "/Sig" and int(widget.F) & 4  # PDF/A: annotations printable
        # PDF/A: Info and XMP must agree
        assert str(pdf.docinfo["/Producer"]) == xmp["pdf:Producer"]
        mod = str(pdf.docinfo["/ModDate"])
        assert mod[2:16] == xmp["xmp:ModifyDate"][:19].replace("-", "").replace("T", "").replace(":", "")
    path = tmp_path / "f.pdf"
    path.write_bytes(signed)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_firma_visibile_si_vede(firmatario, pki, tmp_path):
    box = (340.0, 28.0, 565.0, 82.0)
    signed = firmatario.firma(pdf_di_prova(), FirmaSpec(aspetto=AspettoFirma(font=FONT.read_bytes(), box=box)))
    assert verifica_pdf(signed, trust_roots=[pki.ca.cert]).valida
    (tmp_path / "f.pdf").write_bytes(signed)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "f.pdf")], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert len(fonts) == 3 and any("Titillium" in f for f in fonts)  # two from the page, one from the stamp
    assert all(line.split()[-5] == "yes" for line in fonts)  # PDF/A: every font embedded
    for name, data in (("firmato", signed), ("originale", pdf_di_prova())):
        (tmp_path / f"{name}.pdf").write_bytes(data)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(tmp_path / f"{name}.pdf"),
                        str(tmp_path / name)], check=True)
    scale = 80 / 72

    def ink(name: str) -> int:
        img = Image.open(next(tmp_path.glob(f"{name}-*.png"))).convert("L")
        x1, y1, x2, y2 = box
        crop = img.crop((int(x1 * scale) + 3, int(img.height - y2 * scale) + 3,
                         int(x2 * scale) - 3, int(img.height - y1 * scale) - 3))
        return sum(crop.histogram()[:128])

    assert ink("originale") == 0
    assert ink("firmato") > 150  # three lines of text inside the frame


def test_lotto_riusa_la_chiave_e_firme_successive(firmatario, pki):
    docs = [firmatario.firma(pdf_di_prova()) for _ in range(4)]
    assert all(verifica_pdf(d, trust_roots=[pki.ca.cert]).valida for d in docs)
    controfirmato = firmatario.firma(docs[0])
    verdetto = verifica_pdf(controfirmato, trust_roots=[pki.ca.cert])
    assert verdetto.valida and len(verdetto.firme) == 2
    assert [f.campo for f in verdetto.firme] == ["Firma", "Firma_2"]
    assert not verdetto.modificato_dopo_firma


def test_pdf_di_mille_pagine_firmato_una_volta(firmatario, pki):
    merged = pdf_di_prova(pagine=30)
    signed = firmatario.firma(merged)
    verdetto = verifica_pdf(signed, trust_roots=[pki.ca.cert])
    assert verdetto.valida and len(verdetto.firme) == 1
    with pikepdf.open(io.BytesIO(signed)) as pdf:
        assert len(pdf.pages) == 30


def test_b_t_con_tsa_in_processo(pki, nssdir, tmp_path):
    with tsa_locale(pki) as url:
        firmatario = Firmatario.da_dispositivo(
            ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]),
            timestamper=RequestsHTTPTimeStamper(url),
        )
        signed = [firmatario.firma(pdf_di_prova(), FirmaSpec(livello="B-T")) for _ in range(2)]
        bb = firmatario.firma(pdf_di_prova(), FirmaSpec(livello="B-B"))
    for doc in signed:
        verdetto = verifica_pdf(doc, trust_roots=[pki.ca.cert])
        assert verdetto.valida, verdetto.motivo
        assert verdetto.marca_temporale is not None and verdetto.marca_temporale.valida
        assert verdetto.marca_temporale.autorita == "TSA di prova"
        assert "marca temporale" in verdetto.motivo
    assert verifica_pdf(bb, trust_roots=[pki.ca.cert]).marca_temporale is None
    path = tmp_path / "bt.pdf"
    path.write_bytes(signed[0])
    out = pdfsig(path, nssdir)
    assert "Signature is Valid." in out


def test_marca_di_tsa_non_attendibile_invalida(pki):
    with tsa_locale(pki) as url:
        firmatario = Firmatario.da_dispositivo(
            ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]),
            timestamper=RequestsHTTPTimeStamper(url),
        )
        signed = firmatario.firma(pdf_di_prova())
    verdetto = verifica_pdf(signed, trust_roots=[pki.ca.cert], tsa_trust_roots=[pki.altra_ca.cert])
    assert not verdetto.valida
    assert verdetto.marca_temporale is not None and not verdetto.marca_temporale.valida
    assert "Marca temporale" in verdetto.motivo


def test_b_t_senza_tsa_rifiutata(firmatario):
    with pytest.raises(SigningError, match="B-T"):
        firmatario.firma(pdf_di_prova(), FirmaSpec(livello="B-T"))


def test_tsa_irraggiungibile(pki):
    with tsa_locale(pki) as url:
        pass  # the server is gone: the port is closed now
    firmatario = Firmatario.da_dispositivo(
        ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]),
        timestamper=RequestsHTTPTimeStamper(url, timeout=2),
    )
    with pytest.raises(SigningError, match="marca temporale"):
        firmatario.firma(pdf_di_prova())


class ServizioRemoto:
    """A DispositivoFirma that only signs bytes it is sent, like a remote signing service."""

    def __init__(self, coppia, ca) -> None:
        self._key_der = coppia.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.certificato = coppia.cert
        self.catena = (ca.cert,)
        self.richieste: list[str] = []

    def firma_grezza(self, dati: bytes, digest: str) -> bytes:
        self.richieste.append(digest)
        key = serialization.load_der_private_key(self._key_der, None)  # the "server side"
        return ChiaveSoftware(key, self.certificato).firma_grezza(dati, digest)


def test_seam_per_dispositivi_esterni(pki):
    servizio = ServizioRemoto(pki.firmatario, pki.ca)
    assert isinstance(servizio, DispositivoFirma)
    firmatario = Firmatario.da_dispositivo(servizio)
    docs = [firmatario.firma(pdf_di_prova()) for _ in range(3)]
    assert all(verifica_pdf(d, trust_roots=[pki.ca.cert]).valida for d in docs)
    assert servizio.richieste and set(servizio.richieste) == {"sha256"}


def test_caricamento_pkcs12_e_pem(pki, tmp_path):
    from tests.pki import scrivi_p12, scrivi_pem

    p12 = scrivi_p12(pki.firmatario, pki.ca, tmp_path / "id.p12").read_bytes()
    chiave = carica_pkcs12(p12, P12_PASSWORD)
    assert chiave.certificato == pki.firmatario.cert and chiave.catena == (pki.ca.cert,)
    assert "BEGIN" not in repr(chiave) and "Mario Rossi" in repr(chiave)
    with pytest.raises(SigningError, match="password errata"):
        carica_pkcs12(p12, b"sbagliata")
    key, chain = scrivi_pem(pki.firmatario, pki.ca, tmp_path / "pem")
    chiave = carica_pem(key.read_bytes(), chain.read_bytes())
    assert verifica_pdf(Firmatario.da_dispositivo(chiave).firma(pdf_di_prova()), trust_roots=[pki.ca.cert]).valida
    with pytest.raises(SigningError, match="non corrisponde"):
        ChiaveSoftware(pki.scaduto.key, pki.firmatario.cert)


def test_input_non_pdf(firmatario):
    with pytest.raises(SigningError, match="non è un PDF"):
        firmatario.firma(b"questo non e' un pdf")


def test_font_non_valido(firmatario):
    with pytest.raises(SigningError, match="TrueType"):
        firmatario.firma(pdf_di_prova(), FirmaSpec(aspetto=AspettoFirma(font=b"non un font")))


def test_pagina_firma_inesistente(firmatario):
    with pytest.raises(SigningError, match="pagina 5"):
        firmatario.firma(pdf_di_prova(), FirmaSpec(aspetto=AspettoFirma(font=FONT.read_bytes(), pagina=5)))


def test_scalda_firma_una_pagina_bianca_solo_con_chiave_in_memoria_e_senza_marca(pki):
    """``Firmatario.scalda`` builds the first signature's CMS template on a blank page that is thrown
    away, only when nothing outside the process is touched: a remote service or token is not asked
    for a signature, a TSA is not asked for a timestamp; what is signed afterwards is valid."""
    in_memoria = Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]))
    assert in_memoria.scalda() is True
    firmato = in_memoria.firma(pdf_di_prova())
    assert verifica_pdf(firmato, trust_roots=[pki.ca.cert]).valida

    servizio = ServizioRemoto(pki.firmatario, pki.ca)
    assert Firmatario.da_dispositivo(servizio).scalda() is False and servizio.richieste == []

    with tsa_locale(pki) as url:
        pass  # closed port: any timestamp request would fail the call
    con_marca = Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]),
                                          timestamper=RequestsHTTPTimeStamper(url, timeout=2))
    assert con_marca.scalda() is False
