"""PDF bytes + a loaded signing identity → PAdES-signed PDF bytes (pyHanko, incremental update).

``FirmaSpec`` says *what* to sign (field, reason, location, visible appearance, PAdES level:
B-B, B-T, B-LT with the validation data embedded, B-LTA with a document timestamp on top);
``Firmatario`` owns *how*: a key that has been loaded once, its certificate chain and an
optional timestamp authority, reused across every document of a batch.

Where the private key lives is a seam: ``Firmatario.da_dispositivo`` takes any
``renderers.sign_chiavi.DispositivoFirma`` (``ChiaveSoftware`` for a key in memory, loaded with
``carica_pkcs12`` or ``carica_pem``; a remote signing service or an HSM client implements the same
four members), and ``Firmatario`` also accepts any pyHanko ``Signer`` directly, e.g.
``pyhanko.sign.pkcs11.PKCS11Signer`` for a PKCS#11 token.

Signing appends one incremental update (``renderers.sign_pdfa.ScrittorePdfA``): the original bytes
(PDF/A-3b XMP with ``pdfaid``, the embedded ``dati.json``) stay untouched and the Info dictionary is
kept in step with the XMP.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Literal

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from renderers.errors import SigningError
from renderers.firma_aspetto import AspettoFirma
from renderers.firma_aspetto import stile as _stile
from renderers.firma_cms import SignerConModello
from renderers.lta import CacheRevoche
from renderers.sign_chiavi import ChiaveSoftware, DispositivoFirma, attributo_soggetto, certificato_asn1
from renderers.sign_pdfa import ScrittorePdfA

__all__ = [
    "AspettoFirma",
    "FirmaSpec",
    "Firmatario",
    "Livello",
]

Livello = Literal["auto", "B-B", "B-T", "B-LT", "B-LTA"]
LIVELLI: tuple[str, ...] = ("auto", "B-B", "B-T", "B-LT", "B-LTA")

_MARGINE_CMS = 4096
"""Bytes reserved above the first measured signature (TSA tokens vary in size)."""


@dataclass(frozen=True)
class FirmaSpec:
    """What to sign: one signature field of one document."""

    campo: str = "Firma"
    """Signature field name; a new field is created when absent (suffix added if taken)."""
    motivo: str | None = None
    """``/Reason`` shown by readers, e.g. ``Emissione documento``."""
    luogo: str | None = None
    """``/Location``, e.g. ``Milano``."""
    aspetto: AspettoFirma | None = None
    """Visible appearance; ``None`` = invisible signature."""
    livello: Livello = "auto"
    """``B-B``; ``B-T`` adds an RFC 3161 signature timestamp; ``B-LT`` also embeds the validation
    data (chain, OCSP responses and/or CRLs fetched from the addresses in the certificates) in the
    Document Security Store; ``B-LTA`` then adds a document timestamp. ``auto`` = B-T when a TSA is
    set, else B-B. B-T and above need a TSA."""


class _SignerDaDispositivo(SignerConModello):
    """pyHanko ``Signer`` that delegates the private-key operation to a ``DispositivoFirma``
    (B-B CMS after the first from a template: ``renderers.firma_cms``)."""

    def __init__(self, dispositivo: DispositivoFirma) -> None:
        store = SimpleCertificateStore()
        store.register_multiple([certificato_asn1(c) for c in dispositivo.catena])
        super().__init__(signing_cert=certificato_asn1(dispositivo.certificato), cert_registry=store)
        self._dispositivo = dispositivo

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        return self._dispositivo.firma_grezza(data, digest_algorithm)


class Firmatario:
    """A loaded signing identity: signs many documents reusing key, chain and TSA client."""

    def __init__(self, signer: signers.Signer, *, timestamper: TimeStamper | None = None,
                 revoche: CacheRevoche | None = None) -> None:
        if signer.signing_cert is None:
            raise SigningError("L'identità di firma non ha un certificato.")
        self._signer = signer
        self._timestamper = timestamper
        self._revoche = revoche or CacheRevoche()
        """B-LT validation data (OCSP/CRL) fetched once for all the documents this identity signs."""
        self._riservati: dict[str, int] = {}
        """Bytes reserved for the CMS per PAdES level, measured on the first signature of each."""
        self._lock = threading.Lock()

    @classmethod
    def da_dispositivo(
        cls, dispositivo: DispositivoFirma, *, timestamper: TimeStamper | None = None,
        revoche: CacheRevoche | None = None,
    ) -> Firmatario:
        return cls(_SignerDaDispositivo(dispositivo), timestamper=timestamper, revoche=revoche)

    @property
    def certificato(self) -> asn1_x509.Certificate:
        return self._signer.signing_cert  # type: ignore[return-value]

    @property
    def catena(self) -> tuple[asn1_x509.Certificate, ...]:
        return tuple(self._signer.cert_registry)

    @property
    def nome(self) -> str:
        return attributo_soggetto(self.certificato, "common_name") or self.certificato.subject.human_friendly

    @property
    def organizzazione(self) -> str:
        return attributo_soggetto(self.certificato, "organization_name") or ""

    @property
    def ha_marca_temporale(self) -> bool:
        return self._timestamper is not None

    def firma(self, pdf: bytes, spec: FirmaSpec = FirmaSpec()) -> bytes:
        """Append one PAdES signature to ``pdf``; the input bytes are the output's prefix."""
        livello = self._livello(spec)
        timestamper = None if livello == "B-B" else self._timestamper
        lungo = livello in ("B-LT", "B-LTA")
        try:
            writer = ScrittorePdfA(io.BytesIO(pdf), strict=False)
        except Exception as exc:
            raise SigningError("Il file da firmare non è un PDF leggibile.") from exc
        campo = _campo_libero(writer, spec.campo)
        meta = signers.PdfSignatureMetadata(
            field_name=campo,
            reason=spec.motivo,
            location=spec.luogo,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=lungo,
            validation_context=self._contesto() if lungo else None,
            use_pades_lta=livello == "B-LTA",
        )
        field_spec = fields.SigFieldSpec(campo, **self._posizione(writer, spec.aspetto))
        pdf_signer = signers.PdfSigner(
            meta, self._signer, timestamper=timestamper,
            stamp_style=_stile(spec.aspetto), new_field_spec=field_spec,
        )
        con_tsa = timestamper is not None
        try:
            out = pdf_signer.sign_pdf(
                writer,
                bytes_reserved=self._riservati.get(livello),
                appearance_text_params={"organizzazione": self.organizzazione},
            ).getvalue()
        except SigningError:
            raise
        except Exception as exc:  # pyHanko, cryptography, TSA over HTTP, font errors
            raise SigningError(_messaggio(exc, con_tsa, lungo)) from exc
        if livello not in self._riservati:
            self._misura(out, livello)
        return out

    def scalda(self, spec: FirmaSpec = FirmaSpec()) -> bool:
        """Build now the CMS template that the first signature of this identity builds for
        ``spec``'s level (``renderers.firma_cms``: ~0.08 s, then ~3 ms a signature), by signing a
        blank page that is thrown away. Only when that costs nothing outside this process: a key
        held in memory (never a token or a remote service, which may count or log each use) and
        B-B (no request to a timestamp authority). Whether it signed."""
        if self._livello(spec) != "B-B" or not isinstance(getattr(self._signer, "_dispositivo", None),
                                                           ChiaveSoftware):
            return False
        self.firma(_pagina_bianca(), FirmaSpec(campo=spec.campo, livello="B-B"))
        return True

    def livello_effettivo(self, spec: FirmaSpec) -> str:
        """The PAdES level ``spec`` gives with this identity (``auto`` resolved)."""
        return self._livello(spec)

    def _livello(self, spec: FirmaSpec) -> str:
        if spec.livello == "auto":
            return "B-T" if self._timestamper is not None else "B-B"
        if spec.livello != "B-B" and self._timestamper is None:
            raise SigningError(
                f"Firma {spec.livello} richiesta ma nessuna autorità di marca temporale (TSA) è configurata."
            )
        return spec.livello

    def _contesto(self):  # noqa: ANN202 - pyhanko_certvalidator.ValidationContext
        """Collects the validation data of B-LT: the chain's self-signed certificates (else its
        last one) anchor the path; OCSP/CRL are fetched from the certificates' addresses, once per
        certificate while current (``self._revoche``)."""
        from renderers.lta import contesto_validazione

        catena = self.catena
        radici = [c for c in catena if c.self_signed != "no"] or list(catena[-1:]) or [self.certificato]
        return contesto_validazione(radici, catena, revoche=self._revoche)

    @staticmethod
    def _posizione(writer: IncrementalPdfFileWriter, aspetto: AspettoFirma | None) -> dict:
        if aspetto is None:
            return {}
        pagine = int(writer.root["/Pages"]["/Count"])
        pagina = aspetto.pagina if aspetto.pagina >= 0 else pagine + aspetto.pagina
        if not 0 <= pagina < pagine:
            raise SigningError(f"La pagina {aspetto.pagina} per la firma visibile non esiste.")
        return {"on_page": pagina, "box": tuple(int(round(v)) for v in aspetto.box)}

    def _misura(self, out: bytes, livello: str) -> None:
        """Reserve the first signature's real size (plus margin) for the rest of the batch."""
        sig = PdfFileReader(io.BytesIO(out), strict=False).embedded_regular_signatures[-1]
        with self._lock:
            # /Contents is hex: two characters per DER byte (pyHanko wants the hex length)
            der = len(bytes(sig.pkcs7_content).rstrip(b"\x00"))
            self._riservati.setdefault(livello, 2 * (der + _MARGINE_CMS))

    def __repr__(self) -> str:
        return f"Firmatario({self.nome!r}, tsa={self.ha_marca_temporale})"


def _pagina_bianca() -> bytes:
    """A one-page PDF (blank A4), written by hand: what :meth:`Firmatario.scalda` signs."""
    oggetti = (b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
    out = bytearray(b"%PDF-1.7\n")
    posizioni = []
    for numero, corpo in enumerate(oggetti, start=1):
        posizioni.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (numero, corpo)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(oggetti) + 1)
    out += b"".join(b"%010d 00000 n \n" % p for p in posizioni)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(oggetti) + 1, xref)
    return bytes(out)


def _campo_libero(writer: IncrementalPdfFileWriter, base: str) -> str:
    """``base`` if no field has that name yet, else ``base_2``, ``base_3``…"""
    esistenti = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev, filled_status=None)}
    nome, n = base, 1
    while nome in esistenti:
        n += 1
        nome = f"{base}_{n}"
    return nome


def _messaggio(exc: Exception, con_tsa: bool, lungo: bool = False) -> str:
    catena, causa = [], exc
    while causa is not None and len(catena) < 5:  # pyHanko wraps the certificate validator's error
        catena.append(f"{type(causa).__name__} {causa}")
        causa = causa.__cause__ or causa.__context__
    text = " ".join(catena).lower()
    if lungo and "revoked" in text:
        return "Il certificato di firma risulta revocato dal suo emittente: firma non apposta."
    if lungo and any(w in text for w in ("revinfo", "revocation", "ocsp", "crl", "path", "validat")):
        return ("Le informazioni di revoca (OCSP/CRL) del certificato di firma non sono disponibili: "
                "firma di lungo periodo (B-LT/B-LTA) non apposta.")
    if con_tsa and any(w in text for w in ("timestamp", "connection", "http", "tsa")):
        return "L'autorità di marca temporale (TSA) non ha risposto: firma non apposta."
    if "encrypt" in text:
        return "Il PDF è cifrato: non può essere firmato."
    return "Firma del documento non riuscita."
