"""Long-term signatures: PAdES level of a signed PDF and archive timestamps (B-LT, B-LTA).

- :func:`livello_pades` reads what a PDF carries (no validation): ``B-B`` a CMS signature;
  ``B-T`` with an RFC 3161 signature timestamp; ``B-LT`` with validation data (OCSP responses
  and/or CRLs) in the Document Security Store; ``B-LTA`` with a document timestamp after them.
  It also says until when that evidence holds: the expiry of the TSA certificate of the last
  timestamp (document timestamp, else signature timestamp), or of the signer's certificate.
- :func:`contesto_validazione` is the ``ValidationContext`` used to *collect* validation data
  when signing or renewing: online fetching from the OCSP/CRL addresses named in the
  certificates, revocation information required.
- :func:`aggiungi_marca_archivio` appends fresh validation data for the last timestamp and a
  new document timestamp (pyHanko's archival timestamp chain): what ``archivio rinnova-marche``
  does before the last timestamp's certificate expires.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext

from renderers.errors import SigningError

__all__ = ["LivelloPades", "StatoLta", "livello_pades", "contesto_validazione", "aggiungi_marca_archivio"]

LivelloPades = Literal["B-B", "B-T", "B-LT", "B-LTA"]


@dataclass(frozen=True)
class StatoLta:
    """What a signed PDF carries for long-term validation (read, not validated)."""

    livello: LivelloPades
    """Level reached by the last regular signature."""
    marche_documento: int
    """Document timestamps after that signature (1 at B-LTA, +1 per renewal)."""
    fino_al: datetime | None
    """Expiry of the certificate the evidence rests on (last timestamp's TSA, else the signer)."""
    autorita: str | None
    """Common name of the TSA of the last timestamp (None at B-B)."""

    def descrizione(self) -> str:
        """Until when the evidence holds, as one Italian sentence."""
        if self.fino_al is None:
            return f"Livello PAdES {self.livello}."
        giorno = self.fino_al.strftime("%d/%m/%Y")
        if self.livello == "B-B":
            return (f"Livello PAdES B-B: la firma è verificabile fino al {giorno}, scadenza del certificato "
                    "del firmatario (nessuna marca temporale).")
        base = {"B-T": "la marca temporale della firma", "B-LT": "la marca temporale della firma con i dati "
                "di validazione incorporati", "B-LTA": "l'ultima marca temporale d'archivio"}[self.livello]
        return (f"Livello PAdES {self.livello}: {base} prova la firma fino al {giorno}, scadenza del certificato "
                f"dell'autorità di marcatura {self.autorita}; prima di allora va aggiunta una nuova marca "
                "d'archivio.")


def livello_pades(pdf: bytes | PdfFileReader) -> StatoLta | None:
    """The PAdES level of the last regular signature of ``pdf``; None when it has none."""
    reader = pdf if isinstance(pdf, PdfFileReader) else PdfFileReader(io.BytesIO(pdf), strict=False)
    firme = reader.embedded_regular_signatures
    if not firme:
        return None
    firma = firme[-1]
    marca = _marca_della_firma(firma.signer_info)
    marche_doc = [t for t in reader.embedded_timestamp_signatures if t.signed_revision > firma.signed_revision]
    dss = _dss_con_revoche(reader)
    if marca is None:
        livello: LivelloPades = "B-B"
    elif not dss:
        livello = "B-T"
    else:
        livello = "B-LTA" if marche_doc else "B-LT"
    if marche_doc:
        cert = marche_doc[-1].signer_cert
    elif marca is not None:
        cert = _firmatario(marca)
    else:
        cert = firma.signer_cert
    fino_al = cert["tbs_certificate"]["validity"]["not_after"].native if cert is not None else None
    autorita = _nome(cert) if cert is not None and livello != "B-B" else None
    return StatoLta(livello, len(marche_doc), fino_al, autorita)


def contesto_validazione(
    radici: Iterable[asn1_x509.Certificate], altri: Iterable[asn1_x509.Certificate] = ()
) -> ValidationContext:
    """Context that *collects* validation data: OCSP/CRL fetched from the certificates' addresses
    and required, so a signature is never called B-LT without them."""
    return ValidationContext(
        trust_roots=list(radici), other_certs=list(altri), allow_fetching=True, revocation_mode="require",
    )


def aggiungi_marca_archivio(pdf: bytes, timestamper: TimeStamper, contesto: ValidationContext) -> bytes:
    """``pdf`` + validation data for its last timestamp + a new document timestamp (one
    incremental update: the input bytes are the output's prefix)."""
    import asyncio

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        # roots stay out of the DSS: a self-signed copy there lets path building chain the root to
        # itself, and past validation then asks for the root's own revocation status
        out = asyncio.run(_e_chiudi(signers.PdfTimeStamper(timestamper).async_update_archival_timestamp_chain(
            reader, contesto, in_place=False, embed_roots=False), contesto))
    except Exception as exc:  # pyHanko, certificate validation, TSA/OCSP over HTTP
        raise SigningError(_messaggio(exc)) from exc
    return out.getvalue()


async def _e_chiudi(coro, contesto: ValidationContext):  # noqa: ANN001, ANN202
    """Await ``coro``, then close the HTTP session the context opened (OCSP/CRL fetching)."""
    try:
        return await coro
    finally:
        await contesto.aclose()


def _messaggio(exc: Exception) -> str:
    testo = f"{type(exc).__name__} {exc}".lower()
    if any(w in testo for w in ("revinfo", "revocation", "ocsp", "crl")):
        return ("Le informazioni di revoca (OCSP/CRL) dei certificati non sono disponibili: "
                "marca temporale d'archivio non aggiunta.")
    if any(w in testo for w in ("timestamp", "connection", "http", "tsa")):
        return "L'autorità di marca temporale (TSA) non ha risposto: marca temporale d'archivio non aggiunta."
    if any(w in testo for w in ("path", "trust", "expired", "certificate")):
        return ("L'ultima marca temporale del documento non è più verificabile (certificato scaduto o non "
                "attendibile): marca temporale d'archivio non aggiunta.")
    return "Aggiunta della marca temporale d'archivio non riuscita."


def _marca_della_firma(signer_info: cms.SignerInfo) -> cms.SignedData | None:
    attrs = signer_info["unsigned_attrs"]
    if not attrs:
        return None
    for attr in attrs:
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0]["content"]
    return None


def _firmatario(signed_data: cms.SignedData) -> asn1_x509.Certificate | None:
    """The certificate that signed a timestamp token."""
    try:
        return extract_certificate_info(signed_data).signer_cert
    except Exception:  # a token without its TSA certificate: nothing to date the evidence with
        return None


def _dss_con_revoche(reader: PdfFileReader) -> bool:
    try:
        dss = reader.root["/DSS"]
    except KeyError:
        return False
    return bool(dss.get("/OCSPs")) or bool(dss.get("/CRLs"))


def _nome(cert: asn1_x509.Certificate) -> str:
    cn = cert.subject.native.get("common_name")
    if isinstance(cn, list):
        cn = cn[0] if cn else None
    return str(cn) if cn else cert.subject.human_friendly
