"""Long-term signatures: PAdES level of a signed PDF and archive timestamps (B-LT, B-LTA).

- :func:`livello_pades` reads what a PDF carries (no validation): ``B-B`` a CMS signature;
  ``B-T`` with an RFC 3161 signature timestamp; ``B-LT`` with validation data (OCSP responses
  and/or CRLs) in the Document Security Store; ``B-LTA`` with a document timestamp after them.
  It also says until when that evidence holds: the expiry of the TSA certificate of the last
  timestamp (document timestamp, else signature timestamp), or of the signer's certificate.
- :func:`contesto_validazione` is the ``ValidationContext`` used to *collect* validation data
  when signing or renewing: online fetching from the OCSP/CRL addresses named in the
  certificates, revocation information required. Given a :class:`CacheRevoche`, each OCSP
  response and CRL is fetched once per certificate and reused by every later context until its
  ``nextUpdate``: a batch signing B-LT asks the responder once, not once per document.
- :func:`aggiungi_marca_archivio` appends fresh validation data for the last timestamp and a
  new document timestamp (pyHanko's archival timestamp chain): what ``archivio rinnova-marche``
  does before the last timestamp's certificate expires.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from asn1crypto import cms, crl, ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import CRLFetcher, FetcherBackend, Fetchers, OCSPFetcher, OwnedFetcherBackend
from pyhanko_certvalidator.util import issuer_serial

from renderers.errors import SigningError

__all__ = ["LivelloPades", "StatoLta", "CacheRevoche", "livello_pades", "contesto_validazione",
           "aggiungi_marca_archivio"]

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
    radici: Iterable[asn1_x509.Certificate], altri: Iterable[asn1_x509.Certificate] = (), *,
    revoche: CacheRevoche | None = None,
) -> ValidationContext:
    """Context that *collects* validation data: OCSP/CRL fetched from the certificates' addresses
    and required, so a signature is never called B-LT without them; with ``revoche``, what that
    cache still holds is not fetched again."""
    backend = OwnedFetcherBackend(_BackendInCache(revoche)) if revoche is not None else None
    return ValidationContext(
        trust_roots=list(radici), other_certs=list(altri), allow_fetching=True, revocation_mode="require",
        fetcher_backend=backend,
    )


class CacheRevoche:
    """OCSP responses and CRLs fetched once per certificate and kept while they are current.

    One per signing identity and process (``renderers.sign.Firmatario``) or per renewal run: the
    documents of a batch embed the same responses, fetched by the first. An entry is used until
    :data:`MARGINE` before its ``nextUpdate``, then fetched again; a response or CRL without
    ``nextUpdate`` is never kept; a failed fetch keeps nothing. A certificate revoked after its
    response was fetched is seen at that response's ``nextUpdate``, as every relying party caching
    OCSP sees it (RFC 6960, 4.2.2.1).
    """

    MARGINE = timedelta(minutes=1)
    """An entry this close to its ``nextUpdate`` is fetched again (signing takes a moment)."""

    def __init__(self, *, ora: Callable[[], datetime] | None = None) -> None:
        self._ora = ora or (lambda: datetime.now(timezone.utc))
        self._voci: dict[tuple[Any, ...], tuple[Any, datetime]] = {}
        self._lock = threading.Lock()
        self.scaricati = 0
        """OCSP responses and CRL sets fetched over the network (the others came from here)."""

    def leggi(self, chiave: tuple[Any, ...]) -> Any | None:
        with self._lock:
            voce = self._voci.get(chiave)
            if voce is None:
                return None
            if voce[1] - self.MARGINE <= self._ora():
                del self._voci[chiave]
                return None
            return voce[0]

    def conserva(self, chiave: tuple[Any, ...], valore: Any, scade: datetime | None) -> None:
        with self._lock:
            self.scaricati += 1
            if scade is not None:
                self._voci[chiave] = (valore, scade)


def _scadenza_ocsp(risposta: ocsp.OCSPResponse) -> datetime | None:
    """The earliest ``nextUpdate`` of the response's single responses (None: one has none)."""
    try:
        singole = risposta["response_bytes"]["response"].parsed["tbs_response_data"]["responses"]
        date = [s["next_update"].native for s in singole]
    except (KeyError, TypeError, ValueError):
        return None
    return min(date) if date and None not in date else None


def _scadenza_crl(crls: list[crl.CertificateList]) -> datetime | None:
    date = [c["tbs_cert_list"]["next_update"].native for c in crls]
    return min(date) if date and None not in date else None


class _OCSPInCache(OCSPFetcher):
    """One context's OCSP fetcher: the cache first, the network on a miss."""

    def __init__(self, interno: OCSPFetcher, cache: CacheRevoche) -> None:
        self._interno, self._cache = interno, cache
        self._usate: list[tuple[bytes, ocsp.OCSPResponse]] = []

    async def fetch(self, cert: Any, authority: Any) -> ocsp.OCSPResponse:
        chiave = ("ocsp", issuer_serial(cert), authority.hashable)
        risposta = self._cache.leggi(chiave)
        if risposta is None:
            risposta = await self._interno.fetch(cert, authority)
            self._cache.conserva(chiave, risposta, _scadenza_ocsp(risposta))
        if not any(r is risposta for _, r in self._usate):
            self._usate.append((chiave[1], risposta))
        return risposta

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return [r for _, r in self._usate]

    def fetched_responses_for_cert(self, cert: Any) -> Iterable[ocsp.OCSPResponse]:
        chi = issuer_serial(cert)
        return [r for s, r in self._usate if s == chi]


class _CRLInCache(CRLFetcher):
    """One context's CRL fetcher: the cache first, the network on a miss."""

    def __init__(self, interno: CRLFetcher, cache: CacheRevoche) -> None:
        self._interno, self._cache = interno, cache
        self._usate: dict[bytes, list[crl.CertificateList]] = {}

    async def fetch(self, cert: Any, *, use_deltas: Any = None) -> Iterable[crl.CertificateList]:
        chiave = ("crl", issuer_serial(cert), use_deltas)
        crls = self._cache.leggi(chiave)
        if crls is None:
            crls = list(await self._interno.fetch(cert, use_deltas=use_deltas))
            self._cache.conserva(chiave, crls, _scadenza_crl(crls))
        self._usate[chiave[1]] = crls
        return crls

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        return [c for crls in self._usate.values() for c in crls]

    def fetched_crls_for_cert(self, cert: Any) -> Iterable[crl.CertificateList]:
        return self._usate[issuer_serial(cert)]  # KeyError: not fetched in this context


class _BackendInCache(FetcherBackend):
    """pyHanko's default (aiohttp) fetchers behind a :class:`CacheRevoche`; one per context."""

    def __init__(self, cache: CacheRevoche) -> None:
        from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

        self._cache = cache
        self._interno = AIOHttpFetcherBackend()

    def get_fetchers(self) -> Fetchers:
        interni = self._interno.get_fetchers()
        return Fetchers(ocsp_fetcher=_OCSPInCache(interni.ocsp_fetcher, self._cache),
                        crl_fetcher=_CRLInCache(interni.crl_fetcher, self._cache), cert_fetcher=interni.cert_fetcher)

    async def close(self) -> None:
        await self._interno.close()


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
