"""Signed PDF bytes + trust list → ``VerdettoFirma`` (pyHanko validation, JSON-ready, Italian).

Every embedded signature is checked for integrity (byte ranges and digest), cryptographic
validity, a chain to one of the configured trust roots at the validation time, the RFC 3161
signature timestamp when present, and pyHanko's difference analysis of whatever was appended
after it: an unsigned incremental update that changes a page makes the verdict invalid.

Long-term signatures (PAdES B-LTA): when a signature no longer validates at the verification
time (its certificate expired) and document timestamps follow it, pyHanko's AdES-LTA validation
(ETSI EN 319 102-1 § 5.6.3) decides: the timestamps prove the signature existed while its
certificate was valid, with the validation data embedded at signing. The verdict names the
PAdES level reached and until when the evidence holds (:mod:`renderers.lta`).

``Verificatore`` keeps the parsed trust roots, so retrieving many documents reuses them;
each verification gets a fresh ``ValidationContext`` (its clock is the verification time).
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate, AdESStatus, AdESSubIndic
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from renderers.errors import SigningError
from renderers.lta import livello_pades

__all__ = ["VerdettoFirma", "EsitoFirma", "Soggetto", "MarcaTemporale", "Verificatore", "verifica_pdf"]

Certificato = x509.Certificate | asn1_x509.Certificate | bytes
"""A trust root: ``cryptography`` or ``asn1crypto`` certificate, or PEM/DER bytes."""


@dataclass(frozen=True)
class Soggetto:
    """Who a certificate names."""

    nome: str
    """Common name (CN)."""
    organizzazione: str | None
    """Organisation (O), e.g. ``Comune di Bergamo``."""
    emittente: str
    """Issuer, human-readable."""


@dataclass(frozen=True)
class MarcaTemporale:
    """The RFC 3161 signature timestamp (PAdES B-T)."""

    istante: datetime
    valida: bool
    """Intact, cryptographically valid and issued by a trusted timestamp authority."""
    autorita: str


@dataclass(frozen=True)
class EsitoFirma:
    """The check of one embedded signature."""

    campo: str
    valida: bool
    integra: bool
    """Byte ranges hash to the signed digest and the CMS signature verifies."""
    firmatario: Soggetto
    catena_attendibile: bool
    marca_temporale: MarcaTemporale | None
    modificato_dopo_firma: bool
    """Something other than later signatures or validation data was appended after it."""
    data_firma: datetime | None
    """Signing time declared by the signer (the timestamp, when present, is the proof)."""
    motivo: str


@dataclass(frozen=True)
class VerdettoFirma:
    """Verdict on a whole file; the top-level fields describe its decisive signature.

    The decisive signature is the first one that fails, or the latest when all pass.
    """

    valida: bool
    integra: bool
    firmatario: Soggetto | None
    catena_attendibile: bool
    marca_temporale: MarcaTemporale | None
    modificato_dopo_firma: bool
    sha256: str
    """SHA-256 of the whole file as received (recorded in the archive index)."""
    motivo: str
    """The verdict as one Italian sentence."""
    firme: tuple[EsitoFirma, ...] = ()
    livello: str | None = None
    """PAdES level of the last signature: ``B-B``, ``B-T``, ``B-LT`` or ``B-LTA``."""
    prova_fino_al: datetime | None = None
    """Until when the evidence holds: expiry of the last timestamp's TSA certificate (of the
    signer's certificate at B-B)."""
    conservazione: str | None = None
    """Level and ``prova_fino_al`` as one Italian sentence."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: datetimes as ISO 8601 strings."""
        return _jsonable(asdict(self))


class Verificatore:
    """Verifies signed PDFs against a fixed trust list (parsed once)."""

    def __init__(
        self, trust_roots: Iterable[Certificato], *, tsa_trust_roots: Iterable[Certificato] | None = None
    ) -> None:
        self._roots = tuple(_asn1(c) for c in trust_roots)
        self._tsa_roots = tuple(_asn1(c) for c in tsa_trust_roots) if tsa_trust_roots is not None else None

    def verifica(self, pdf: bytes, *, momento: datetime | None = None) -> VerdettoFirma:
        """Check every signature in ``pdf`` at ``momento`` (default: now)."""
        sha = hashlib.sha256(pdf).hexdigest()
        try:
            firme = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_regular_signatures
        except Exception:
            return _negativo(sha, "Il file è danneggiato o non è un PDF: impossibile verificarne la firma.")
        if not firme:
            return _negativo(sha, "Il documento non contiene firme digitali.")
        esiti = []
        lta = livello_pades(firme[0].reader)
        for indice, firma in enumerate(firme):
            try:
                status = validate_pdf_signature(
                    firma, self._contesto(self._roots, momento),
                    ts_validation_context=self._contesto(self._tsa_roots, momento) if self._tsa_roots else None,
                )
            except Exception as exc:
                raise SigningError("Verifica della firma non riuscita.") from exc
            esito = _esito(firma.field_name, status, ultima=indice == len(firme) - 1)
            if not esito.valida and esito.integra and not esito.modificato_dopo_firma and _marche_dopo(firma):
                esito = self._a_lungo_termine(firma, esito, momento)
            esiti.append(esito)
        decisiva = next((e for e in esiti if not e.valida), esiti[-1])
        alterata = _marca_archivio_alterata(firme[0].reader)
        if alterata is not None:
            decisiva = replace(decisiva, valida=False, motivo=alterata)
            esiti = [replace(e, valida=False) if e is esiti[-1] else e for e in esiti]
        return VerdettoFirma(
            valida=all(e.valida for e in esiti),
            integra=decisiva.integra,
            firmatario=decisiva.firmatario,
            catena_attendibile=decisiva.catena_attendibile,
            marca_temporale=decisiva.marca_temporale,
            modificato_dopo_firma=any(e.modificato_dopo_firma for e in esiti),
            sha256=sha,
            motivo=decisiva.motivo if len(esiti) == 1 or not decisiva.valida else _tutte_valide(esiti),
            firme=tuple(esiti),
            livello=lta.livello if lta else None,
            prova_fino_al=lta.fino_al if lta else None,
            conservazione=lta.descrizione() if lta else None,
        )

    def _a_lungo_termine(self, firma: Any, esito: EsitoFirma, momento: datetime | None) -> EsitoFirma:
        """AdES-LTA validation of a signature followed by document timestamps: valid when the
        timestamp chain proves it existed while its certificate was valid and not revoked."""
        import asyncio

        from pyhanko.sign.validation.ades import ades_lta_validation
        from pyhanko.sign.validation.policy_decl import (
            PdfSignatureValidationSpec, RevinfoOnlineFetchingRule, RevocationInfoGatheringSpec,
            SignatureValidationSpec,
        )
        from pyhanko_certvalidator.context import CertValidationPolicySpec, SimpleTrustManager
        from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
        from pyhanko_certvalidator.policy_decl import (
            CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule,
        )

        regola = RevocationCheckingRule.CHECK_IF_DECLARED_SOFT

        def politica(radici: Sequence[asn1_x509.Certificate]) -> CertValidationPolicySpec:
            return CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=list(radici)),
                revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(regola, regola)),
            )

        # the last timestamp is checked at the verification time: its TSA's current status may be
        # fetched online (past validation uses only what the document embeds)
        spec = PdfSignatureValidationSpec(SignatureValidationSpec(
            cert_validation_policy=politica(self._roots),
            ts_cert_validation_policy=politica(self._tsa_roots) if self._tsa_roots else None,
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH),
        ))
        quando = momento or datetime.now(timezone.utc)
        # a live validation at ``quando`` (not a historical one): the last timestamp's status is current
        timing = ValidationTimingInfo(validation_time=quando, best_signature_time=quando,
                                      point_in_time_validation=False)
        try:
            risultato = asyncio.run(ades_lta_validation(firma, spec, timing_info=timing))
        except Exception:
            return esito
        # pyHanko 0.38 reports a passed LTA validation either way: AdES indication PASSED, or an
        # API status whose bottom line holds (validated through the archive timestamps)
        st = risultato.api_status
        superata = risultato.ades_subindic.status is AdESStatus.PASSED or (st is not None and st.bottom_line)
        if not superata or risultato.oldest_evidence_record_timestamp is None:
            return esito
        prova = risultato.oldest_evidence_record_timestamp
        motivo = (f"Firma valida a lungo termine (PAdES B-LTA): documento integro, firmato da "
                  f"{_chi(esito.firmatario)}; il certificato non è più valido alla data di verifica, ma la "
                  f"marca temporale d'archivio del {_data(prova)} prova che la firma esisteva quando era valido "
                  "e i dati di validazione incorporati ne attestano la non revoca.")
        return replace(esito, valida=True, catena_attendibile=True, motivo=motivo)

    @staticmethod
    def _contesto(roots: Sequence[asn1_x509.Certificate] | None, momento: datetime | None) -> ValidationContext:
        return ValidationContext(
            trust_roots=list(roots or ()), allow_fetching=False, revocation_mode="soft-fail", moment=momento,
        )


def verifica_pdf(
    pdf: bytes,
    *,
    trust_roots: Iterable[Certificato],
    tsa_trust_roots: Iterable[Certificato] | None = None,
    momento: datetime | None = None,
) -> VerdettoFirma:
    """One-off verification; use ``Verificatore`` to check many files with the same trust list."""
    return Verificatore(trust_roots, tsa_trust_roots=tsa_trust_roots).verifica(pdf, momento=momento)


def _marca_archivio_alterata(reader: PdfFileReader) -> str | None:
    """Why a document timestamp of the file fails its integrity check (None when all hold):
    the bytes it covers must hash to its imprint and its CMS signature must verify. Trust in its
    TSA is for the AdES-LTA validation to judge (an old archive timestamp's certificate expires)."""
    from pyhanko.sign.validation import validate_pdf_timestamp

    for indice, marca in enumerate(reader.embedded_timestamp_signatures, start=1):
        try:
            st = validate_pdf_timestamp(marca, ValidationContext(trust_roots=[], allow_fetching=False), skip_diff=True)
            integra = bool(st.intact and st.valid)
        except Exception:
            integra = False
        if not integra:
            return (f"Documento alterato: la marca temporale d'archivio n. {indice} non corrisponde più al "
                    "contenuto che attesta.")
    return None


def _marche_dopo(firma: Any) -> bool:
    """Document timestamps were appended after this signature."""
    return any(t.signed_revision > firma.signed_revision for t in firma.reader.embedded_timestamp_signatures)


def _esito(campo: str, st: PdfSignatureStatus, *, ultima: bool) -> EsitoFirma:
    soggetto = _soggetto(st.signing_cert)
    integra = bool(st.intact and st.valid)
    marca = None
    if st.timestamp_validity is not None:
        ts = st.timestamp_validity
        marca = MarcaTemporale(
            istante=ts.timestamp, valida=bool(ts.intact and ts.valid and ts.trusted),
            autorita=_soggetto(ts.signing_cert).nome,
        )
    level = st.modification_level
    alterato = st.coverage is None or st.coverage < SignatureCoverageLevel.ENTIRE_REVISION
    consentito = st.docmdp_ok is not False and level is not ModificationLevel.OTHER
    # after a signature only later signatures (form filling of signature fields) and LTV data
    # are expected; for the latest signature even form filling counts as a modification
    tollerato = ModificationLevel.LTA_UPDATES if ultima else ModificationLevel.FORM_FILLING
    modificato = alterato or not consentito or (level is not None and level > tollerato)
    motivo = _motivo(st, soggetto, integra, alterato or not consentito, marca)
    return EsitoFirma(
        campo=campo,
        valida=bool(st.bottom_line) and not alterato and consentito,
        integra=integra,
        firmatario=soggetto,
        catena_attendibile=bool(st.trusted),
        marca_temporale=marca,
        modificato_dopo_firma=modificato,
        data_firma=st.signer_reported_dt,
        motivo=motivo,
    )


def _motivo(
    st: PdfSignatureStatus, chi: Soggetto, integra: bool, modifiche_vietate: bool, marca: MarcaTemporale | None
) -> str:
    if not st.intact:
        return "Documento alterato: il contenuto firmato non corrisponde più all'impronta firmata."
    if not st.valid:
        return "Firma non valida: la firma crittografica non corrisponde al certificato del firmatario."
    if modifiche_vietate:
        return "Documento modificato dopo la firma: un aggiornamento successivo ne cambia il contenuto."
    if not st.trusted:
        return _motivo_certificato(st.trust_problem_indic, chi)
    if marca is not None and not marca.valida:
        return "Marca temporale non valida o emessa da un'autorità non attendibile."
    quando = marca.istante if marca else st.signer_reported_dt
    testo = f"Firma valida: documento integro, firmato da {_chi(chi)}"
    if quando is not None:
        testo += f" il {_data(quando)}"
    testo += ", certificato attendibile"
    if marca is not None:
        testo += f", con marca temporale di {marca.autorita}"
    return testo + "."


def _motivo_certificato(indic: AdESSubIndic | None, chi: Soggetto) -> str:
    if indic in (AdESIndeterminate.EXPIRED, AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
                 AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED):
        return f"Certificato del firmatario {_chi(chi)} scaduto: la firma non è più verificabile."
    if indic is AdESIndeterminate.NOT_YET_VALID:
        return f"Certificato del firmatario {_chi(chi)} non ancora valido alla data di verifica."
    if indic is not None and "REVOKED" in indic.name:
        return f"Certificato del firmatario {_chi(chi)} revocato."
    return (
        f"Firmatario non riconosciuto: il certificato di {_chi(chi)} non discende da un'autorità "
        "presente nell'elenco di fiducia configurato."
    )


def _tutte_valide(esiti: Sequence[EsitoFirma]) -> str:
    nomi = ", ".join(_chi(e.firmatario) for e in esiti)
    return f"Tutte le {len(esiti)} firme sono valide e il documento è integro (firmatari: {nomi})."


def _negativo(sha: str, motivo: str) -> VerdettoFirma:
    return VerdettoFirma(
        valida=False, integra=False, firmatario=None, catena_attendibile=False, marca_temporale=None,
        modificato_dopo_firma=False, sha256=sha, motivo=motivo,
    )


def _soggetto(cert: asn1_x509.Certificate) -> Soggetto:
    native = cert.subject.native
    return Soggetto(
        nome=str(_primo(native.get("common_name")) or cert.subject.human_friendly),
        organizzazione=_primo(native.get("organization_name")),
        emittente=cert.issuer.human_friendly,
    )


def _primo(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else None


def _chi(s: Soggetto) -> str:
    return f"{s.nome} ({s.organizzazione})" if s.organizzazione else s.nome


def _data(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%d/%m/%Y alle %H:%M:%S UTC")


def _asn1(cert: Certificato) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, x509.Certificate):
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    try:
        if cert.lstrip().startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(cert).public_bytes(serialization.Encoding.DER)
        return asn1_x509.Certificate.load(bytes(cert))
    except Exception as exc:
        raise SigningError("Un certificato dell'elenco di fiducia non è leggibile.") from exc


# pyHanko logs each expected failure (expired, unknown issuer, tampered revision) as an error
# with a traceback; the verdict reports it, so keep them out of the user's terminal.
for _name in ("pyhanko.sign.validation.generic_cms", "pyhanko.sign.diff_analysis", "pyhanko.sign.validation.ades"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
