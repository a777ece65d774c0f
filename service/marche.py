"""Renewal of archive timestamps: archived documents stay verifiable after their certificates expire.

A PAdES B-LTA document is proven by its last document timestamp, and that proof holds while the
timestamp authority's certificate is valid. Before it expires, :func:`rinnova_marche` adds fresh
validation data for that timestamp and a new document timestamp (``renderers.lta``), and stores
the result as a NEW version of the same S3 object:

1. the candidates come from the index (not disposed, signed); the evidence date recorded in the
   verdict (``firma_esito.prova_fino_al``) selects them, documents indexed before it existed are
   read once;
2. the current version is read and its hash checked against the index; a B-T or B-LT document
   first gets its signature's validation data, then the archive timestamp (it becomes B-LTA);
3. the new bytes are verified in full: valid, B-LTA, evidence later than before; otherwise
   nothing is written;
4. the retention of the current version is read back from S3 and the new version is written with
   that same COMPLIANCE retain-until instant (and the legal hold, when set), hash-checked and
   recorded in ``archivio_versioni_s3`` by the store;
5. only then the index row moves to the new version (``archive.indice.registra``).

S3 failing at 4 leaves the previous version current and the index untouched: the document is
reported with the reason and the next run tries again. Nothing is ever deleted.

``curit-docs archivio rinnova-marche`` runs it once; :func:`registra_pianificazione` adds it to
the Celery application as a periodic task (``celery -A service.batch.celery_app beat``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from archive import indice as idx
from archive.db import session_scope
from archive.errors import StorageError
from archive.objectstore import sha256_hex
from domain.errors import NotFound, RuleViolation
from renderers.errors import SigningError
from renderers.lta import CacheRevoche, StatoLta, aggiungi_marca_archivio, contesto_validazione, livello_pades
from service.settings import Settings

__all__ = ["EsitoRinnovo", "rinnova_marche", "registra_pianificazione"]

log = logging.getLogger("curit.marche")

Esito = Literal["rinnovato", "da_rinnovare", "non_rinnovabile", "errore"]


@dataclass(frozen=True)
class EsitoRinnovo:
    """What happened to one archived document."""

    documento_id: str
    esito: Esito
    """``rinnovato`` (new version written), ``da_rinnovare`` (listed only), ``non_rinnovabile``
    (e.g. B-B: no timestamp to extend) or ``errore`` (nothing written; ``motivo`` says why)."""
    motivo: str
    livello: str | None = None
    prova_fino_al: datetime | None = None
    """Evidence date before the renewal."""
    nuova_prova_fino_al: datetime | None = None
    version_id: str | None = None
    """The new S3 version (``rinnovato``)."""
    errore_archivio: bool = False
    """The failure came from S3 (exit code 3 of the command)."""

    def as_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}


def rinnova_marche(
    archivio: Any,
    settings: Settings,
    *,
    giorni: int | None = None,
    ora: datetime | None = None,
    solo_elenco: bool = False,
    timestamper: Any = None,
) -> Iterator[EsitoRinnovo]:
    """Renew every archived document whose evidence expires within ``giorni`` days of ``ora``
    (default: ``CURIT_RINNOVO_MARCHE_GIORNI``); yields one result per document concerned."""
    giorni = settings.rinnovo_marche_giorni if giorni is None else giorni
    if giorni < 0:
        raise RuleViolation("Il numero di giorni deve essere positivo o zero.", path=("giorni",))
    ora = ora or datetime.now(timezone.utc)
    limite = ora + timedelta(days=giorni)
    if not solo_elenco and timestamper is None:
        if not settings.tsa_url:
            raise RuleViolation("Per aggiungere marche temporali d'archivio configurare l'autorità di marca "
                                "temporale (CURIT_TSA_URL).", path=("tsa_url",))
        from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

        timestamper = RequestsHTTPTimeStamper(settings.tsa_url, timeout=10)
    radici = _radici(settings)
    revoche = CacheRevoche()  # the TSAs' OCSP responses, fetched once for the whole run
    for riga in _candidati(archivio, limite):
        try:
            esito = _rinnova(archivio, riga, limite=limite, solo_elenco=solo_elenco, timestamper=timestamper,
                             radici=radici, revoche=revoche)
        except StorageError as exc:
            esito = EsitoRinnovo(riga["id"], "errore", f"Archivio non disponibile: {exc.message} Nessuna nuova "
                                 "versione registrata; la versione attuale resta valida.", errore_archivio=True)
        except (SigningError, NotFound, RuleViolation) as exc:
            esito = EsitoRinnovo(riga["id"], "errore", getattr(exc, "message", None) or str(exc))
        if esito is not None:
            livello = logging.WARNING if esito.esito == "errore" else logging.INFO
            log.log(livello, "rinnovo marche %s: %s (%s)", esito.documento_id, esito.esito, esito.motivo)
            yield esito


def _candidati(archivio: Any, limite: datetime) -> Iterator[dict[str, Any]]:
    """Index rows of validly signed, not disposed documents whose recorded evidence date is before
    ``limite`` or unknown (read in pages of 500, oldest first)."""
    dopo = ""
    while True:
        with session_scope(archivio.engine) as session:
            righe = list(session.scalars(
                select(idx.Documento).where(idx.Documento.smaltito_il.is_(None), idx.Documento.firma_valida.is_(True),
                                            idx.Documento.id > dopo)
                .order_by(idx.Documento.id).limit(500)))
            pagina = [idx.as_dict(r) for r in righe]
        if not pagina:
            return
        for riga in pagina:
            fino = (riga.get("firma_esito") or {}).get("prova_fino_al")
            if fino is None or datetime.fromisoformat(fino) <= limite:
                yield riga
        dopo = pagina[-1]["id"]


def _rinnova(archivio: Any, riga: dict[str, Any], *, limite: datetime, solo_elenco: bool, timestamper: Any,
             radici: list[asn1_x509.Certificate], revoche: CacheRevoche) -> EsitoRinnovo | None:
    store = archivio.store
    chiave, versione = riga["s3_key"], riga["version_id"]
    dati = store.get(chiave, versione)
    if sha256_hex(dati) != riga["sha256"]:
        return EsitoRinnovo(riga["id"], "errore", "Il documento letto dall'archivio non corrisponde all'impronta "
                            "registrata: non viene rinnovato.")
    stato = livello_pades(dati)
    if stato is None or stato.livello == "B-B":
        return EsitoRinnovo(riga["id"], "non_rinnovabile", "La firma non ha marca temporale (PAdES B-B): non c'è "
                            "una prova temporale da prolungare.", livello=stato.livello if stato else None,
                            prova_fino_al=stato.fino_al if stato else None)
    if stato.fino_al is not None and stato.fino_al > limite:
        return None  # recorded date was stale or missing: the document itself is in order
    base = EsitoRinnovo(riga["id"], "da_rinnovare", _scadenza(stato), livello=stato.livello,
                        prova_fino_al=stato.fino_al)
    if solo_elenco:
        return base
    contesto = contesto_validazione(radici, revoche=revoche)
    if stato.livello == "B-T":
        dati = _con_dati_di_validazione(dati, contesto)
    nuovo = aggiungi_marca_archivio(dati, timestamper, contesto)
    verdetto = archivio.verifica(nuovo)
    dopo = livello_pades(nuovo)
    if not verdetto.valida or dopo is None or dopo.livello != "B-LTA":
        return replace(base, esito="errore", motivo="La nuova marca temporale d'archivio non supera la verifica "
                       f"({verdetto.motivo}): nessuna nuova versione registrata.")
    if stato.fino_al is not None and (dopo.fino_al is None or dopo.fino_al <= stato.fino_al):
        return replace(base, esito="non_rinnovabile", motivo=(
            f"Il certificato dell'autorità di marca temporale configurata ({dopo.autorita}) non scade dopo "
            f"il {stato.fino_al:%d/%m/%Y}: una nuova marca non prolungherebbe la prova. Configurare una TSA "
            "con un certificato più recente (CURIT_TSA_URL)."))
    ritenzione = store.retention(chiave, versione)
    if ritenzione.mode != "COMPLIANCE" or ritenzione.until is None:
        return replace(base, esito="errore", motivo=f"La versione attuale non è sotto conservazione obbligatoria "
                       f"({ritenzione.descrizione()}): rinnovo non eseguito, verificare con archivio controlla.")
    meta = {"documento-id": riga["id"], "tipo": riga["tipo"], "stagione": riga["stagione"].replace("/", "-"),
            "rinnovo-marca": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if riga.get("codice_impianto"):
        meta["codice-impianto"] = riga["codice_impianto"]
    salvato = store.put(chiave, nuovo, retain_until=ritenzione.until, metadata=meta)
    if riga.get("blocco_legale"):
        store.set_legal_hold(chiave, salvato.version_id, True)
    esito = verdetto.as_dict()
    esito["firmato"] = True
    with session_scope(archivio.engine) as session:
        doc = idx.documento(session, riga["id"])
        idx.registra(session, _dati_indice(doc, salvato, bool(verdetto.valida), esito))
    return replace(base, esito="rinnovato", version_id=salvato.version_id, nuova_prova_fino_al=dopo.fino_al,
                   motivo=f"Marca temporale d'archivio aggiunta: la prova regge fino al "
                          f"{dopo.fino_al:%d/%m/%Y}" if dopo.fino_al else "Marca temporale d'archivio aggiunta.")


def _scadenza(stato: StatoLta) -> str:
    if stato.fino_al is None:
        return "Scadenza della prova non determinabile."
    return (f"La prova della firma ({stato.livello}) regge fino al {stato.fino_al:%d/%m/%Y}, scadenza del "
            f"certificato di {stato.autorita}.")


def _con_dati_di_validazione(pdf: bytes, contesto: Any) -> bytes:
    """B-T → B-LT: the signature's chain and revocation data into the DSS (before its archive timestamp)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import add_validation_info

    try:
        firma = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_regular_signatures[-1]
        return add_validation_info(firma, contesto, in_place=False).getvalue()
    except Exception as exc:
        raise SigningError("Le informazioni di revoca (OCSP/CRL) del certificato di firma non sono disponibili: "
                           "marca temporale d'archivio non aggiunta.") from exc


def _dati_indice(doc: idx.Documento, salvato: Any, valida: bool, esito: dict[str, Any]) -> idx.DatiIndice:
    """The index data of the document's new version: the same document, new bytes."""
    campi = {k: getattr(doc, k) for k in idx.DatiIndice.__dataclass_fields__ if hasattr(doc, k)}
    campi.update(version_id=salvato.version_id, sha256=salvato.sha256, dimensione=salvato.size,
                 firma_valida=valida, firma_esito=esito)
    return idx.DatiIndice(**campi)


def _radici(settings: Settings) -> list[asn1_x509.Certificate]:
    from service.firma import _carica_radici, radici_attendibili

    return [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in _carica_radici(radici_attendibili(settings))]


def registra_pianificazione(app: Any, settings: Settings | None = None) -> None:
    """Add the renewal to a Celery application: task ``curit.archivio.rinnova_marche`` and, when
    ``CURIT_RINNOVO_MARCHE_ORE`` > 0, its beat schedule."""
    from service.settings import get_settings

    settings = settings or get_settings()

    @app.task(name="curit.archivio.rinnova_marche")
    def rinnova_marche_pianificato() -> dict[str, int]:
        from service.archivio_apertura import apri_archivio

        conteggio: dict[str, int] = {}
        impostazioni = get_settings()
        with apri_archivio(impostazioni) as archivio:
            for esito in rinnova_marche(archivio, impostazioni):
                conteggio[esito.esito] = conteggio.get(esito.esito, 0) + 1
        return conteggio

    if settings.rinnovo_marche_ore > 0:
        app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), "curit-rinnova-marche": {
            "task": "curit.archivio.rinnova_marche", "schedule": timedelta(hours=settings.rinnovo_marche_ore)}}
