"""Signed PDF + metadata → S3 Object Lock version + index row (or the outbox); and back.

Reads top to bottom like the issue: metadata (from the embedded ``dati.json`` and the
caller) → retention date (``domain.conservazione``) → signature verdict → S3 write checked
by hash → index row; S3 unreachable → durable outbox, drained later with back-off.
Retrieval re-hashes the bytes and re-verifies the signature before handing them out.
Disposal of expired documents and legal holds are explicit, logged operations.

The metadata come from :func:`service.archivio_metadati.metadati_da_pdf`; configuration → an
open :class:`Archivio` is :func:`service.archivio_apertura.apri_archivio`. Only this module and
:mod:`service.archivio_metadati` combine ``archive`` (storage) and ``renderers`` (dati.json,
signatures).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Engine

from archive import indice as idx
from archive.db import session_scope
from archive.errors import StorageError
from archive.metadati import MetadatiDocumento
from archive.objectstore import ObjectStore, object_key, sha256_hex
from archive.outbox import (
    IN_CODA,
    SCARTATA,
    Backoff,
    EsitoSvuotamento,
    Voce,
    VoceOutbox,
    accoda,
    archivia_ora,
    descrivi_errore,
    in_attesa,
    permanente,
    svuota,
)
from domain.conservazione import PoliticaConservazione, conservazione_effettiva
from domain.errors import Conflict, NotFound, RuleViolation
from domain.stagione import stagione_termica
from service.firma import verifica_documento

__all__ = ["MetadatiDocumento", "Archivio", "Recuperato"]

log = logging.getLogger("curit.archivio")

Verifica = Callable[[bytes], Any]
"""``pdf → VerdettoFirma`` (``.valida``, ``.as_dict()``)."""


@dataclass(frozen=True)
class Recuperato:
    """Bytes handed out by :meth:`Archivio.recupera`, with the checks that were made."""

    dati: bytes
    record: dict[str, Any]
    firma: dict[str, Any]
    """Signature verdict at retrieval time (``firmato`` false when the PDF carries none)."""
    anomalia: str | None = None
    """Set when this retrieval found an unrecorded S3 version of the document (reported)."""


def _verdetto(verifica: Verifica, pdf: bytes) -> tuple[bool | None, dict[str, Any]]:
    verdetto = verifica(pdf)
    esito = verdetto.as_dict()
    firmato = bool(esito.get("firme"))
    esito["firmato"] = firmato
    return (bool(verdetto.valida) if firmato else None), esito


@dataclass
class Archivio:
    """The archive of one configuration: an index database and an Object Lock bucket."""

    engine: Engine
    store: ObjectStore
    politica: PoliticaConservazione = field(default_factory=PoliticaConservazione)
    backoff: Backoff = field(default_factory=Backoff)
    verifica: Verifica = verifica_documento

    # -- in ----------------------------------------------------------------------------------

    def prepara_voce(self, pdf: bytes, meta: MetadatiDocumento, *, ora: datetime) -> Voce:
        """Everything needed to archive ``pdf``: key, retention, verdict, AgID metadata."""
        sha = sha256_hex(pdf)
        doc_id = meta.documento_id or idx.nuovo_id(ora)
        stagione = stagione_termica(meta.data_documento).label
        chiave = object_key(ente=meta.ente, stagione=stagione, tipo=meta.tipo,
                            codice_impianto=meta.codice_impianto, document_id=doc_id)
        firma_valida, esito = _verdetto(self.verifica, pdf)
        oggetto = meta.oggetto or f"{_titolo(meta.tipo)}{' - impianto ' + meta.codice_impianto if meta.codice_impianto else ''}"
        conserva, nota = conservazione_effettiva(meta.tipo, meta.data_documento, self.politica, ora.date())
        dati = idx.DatiIndice(
            id=doc_id, tipo=meta.tipo, data_documento=meta.data_documento, stagione=stagione, s3_key=chiave,
            version_id="", sha256=sha, dimensione=len(pdf),
            conserva_fino_al=conserva, nota_conservazione=nota,
            riferimento_temporale=meta.riferimento_temporale or ora, oggetto=oggetto[:500],
            codice_impianto=meta.codice_impianto, ente=meta.ente, cait=meta.cait, manutentore=meta.manutentore,
            etichetta=meta.etichetta, responsabile_cf=meta.responsabile_cf,
            autore=meta.autore or meta.manutentore or meta.ente, destinatario=meta.destinatario or meta.ente,
            firma_valida=firma_valida, firma_esito=esito, id_stabile=meta.documento_id is not None,
        )
        s3_meta = {"documento-id": doc_id, "tipo": meta.tipo, "stagione": stagione.replace("/", "-")}
        if meta.codice_impianto:
            s3_meta["codice-impianto"] = meta.codice_impianto
        return Voce(dati=pdf, indice=dati, metadati_s3=s3_meta)

    def archivia(self, pdf: bytes, meta: MetadatiDocumento, *, ora: datetime | None = None) -> dict[str, Any]:
        """Archive ``pdf``: the index record (``stato: archiviato``); ``stato: in_coda`` when S3
        cannot take it now and the document waits in the durable outbox; ``stato: scartato``
        when S3 refused it for good (dead letter, ``motivo`` says why).

        Idempotent within one owner (Ente + CAIT): the same bytes again give back the document
        already archived or queued (with a stable ``documento_id``, that id is the key). Another
        owner's identical bytes are another document."""
        ora = ora or datetime.now(timezone.utc)
        gia = self._gia_presente(pdf, meta)
        if gia is not None:
            return gia
        voce = self.prepara_voce(pdf, meta, ora=ora)
        try:
            doc = archivia_ora(self.engine, self.store, voce)
        except StorageError as exc:
            return self._in_coda(voce, exc, ora)
        return {**idx.as_dict(doc), "stato": "archiviato"}

    def _gia_presente(self, pdf: bytes, meta: MetadatiDocumento) -> dict[str, Any] | None:
        titolare, sha = idx.titolare(meta.ente, meta.cait), sha256_hex(pdf)
        with session_scope(self.engine) as session:
            doc = idx.per_impronta(session, titolare, sha, meta.documento_id)
            if doc is not None:
                return {**idx.as_dict(doc), "stato": "archiviato"}
            voce = in_attesa(session, titolare, sha, meta.documento_id)
            if voce is not None:
                return _da_voce(voce)
        return None

    def _in_coda(self, voce: Voce, exc: StorageError, ora: datetime, *, scartata: bool | None = None) -> dict[str, Any]:
        motivo = descrivi_errore(exc)
        scartata = permanente(exc) if scartata is None else scartata
        row = accoda(self.engine, voce, errore=motivo, ora=ora, scartata=scartata)
        return _da_voce(row)

    def svuota_coda(self, *, ora: datetime | None = None) -> EsitoSvuotamento:
        """Retry the documents waiting in the outbox whose back-off has elapsed."""
        esito = svuota(self.engine, self.store, ora=ora, backoff=self.backoff)
        if esito.archiviati or esito.falliti or esito.scartati:
            log.info("Coda di archiviazione: %d archiviati, %d falliti, %d scartati, %d in attesa",
                     esito.archiviati, esito.falliti, esito.scartati, esito.in_coda)
        return esito

    def coda(self) -> dict[str, Any]:
        """The outbox as an operator sees it: queued entries and dead letters, with reasons."""
        from sqlalchemy import select

        with session_scope(self.engine) as session:
            righe = list(session.scalars(select(VoceOutbox).order_by(VoceOutbox.id).limit(1000)))
            voci = [_da_voce(r) for r in righe]
        return {"in_coda": [v for v in voci if v["stato"] == "in_coda"],
                "scartati": [v for v in voci if v["stato"] == "scartato"]}

    # -- out ---------------------------------------------------------------------------------

    def record(self, documento_id: str) -> dict[str, Any]:
        with session_scope(self.engine) as session:
            return idx.as_dict(idx.documento(session, documento_id))

    def recupera(self, documento_id: str) -> Recuperato:
        """The archived bytes, after checking their SHA-256 against the index and the object
        metadata and re-verifying the signature. Refuses bytes that fail either check."""
        record = self.record(documento_id)
        if record["smaltito_il"]:
            raise NotFound(f"Il documento {documento_id} è stato smaltito il {record['smaltito_il'][:10]}.", path=("id",))
        dati = self.store.get(record["s3_key"], record["version_id"])
        info = self.store.info(record["s3_key"], record["version_id"])
        anomalia = self._versioni_estranee(documento_id, record)
        impronta = sha256_hex(dati)
        if impronta != record["sha256"] or (info.sha256 and info.sha256 != record["sha256"]):
            log.error("Impronta non corrispondente per %s: indice %s, S3 %s, letto %s",
                      documento_id, record["sha256"], info.sha256, impronta)
            raise Conflict("Il documento recuperato non corrisponde all'impronta registrata: non viene consegnato.",
                           path=("id",))
        _, esito = _verdetto(self.verifica, dati)
        if esito["firmato"] and (not esito.get("integra") or esito.get("modificato_dopo_firma")):
            raise Conflict("La firma digitale del documento recuperato non è integra: non viene consegnato.",
                           path=("id",))
        if anomalia:
            record = self.record(documento_id)
        return Recuperato(dati=dati, record=record, firma=esito, anomalia=anomalia)

    def _versioni_estranee(self, documento_id: str, record: dict[str, Any]) -> str | None:
        """S3 versions of the document's key that the index never recorded (written behind the
        archive's back: a tampered copy that a plain GET would serve). Logged and recorded on
        the document; the recorded version is still the one handed out."""
        presenti = self.store.versions(record["s3_key"])
        with session_scope(self.engine) as session:
            note = {v.version_id for v in idx.versioni(session, documento_id)}
            estranee = [v for v in presenti if v not in note]
            if not estranee:
                return None
            testo = (f"Nell'archivio S3 esistono {len(estranee)} versioni non registrate del documento "
                     f"(chiave {record['s3_key']}: {', '.join(estranee[:5])}): possibile manomissione, "
                     "viene consegnata solo la versione registrata.")
            nuova = idx.segnala_anomalia(session, idx.documento(session, documento_id), testo)
        if nuova:
            log.error("ANOMALIA documento %s: %s", documento_id, testo)
        return testo

    def cerca(self, filtro: idx.FiltroRicerca, *, limite: int = 50, dopo: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        with session_scope(self.engine) as session:
            pagina = idx.cerca(session, filtro, limite=limite, dopo=dopo)
            return [idx.as_dict(d) for d in pagina.documenti], pagina.prossima

    # -- retention, disposal, legal hold -----------------------------------------------------

    def scaduti(self, oggi: date) -> list[dict[str, Any]]:
        """Documents whose retention ended before ``oggi`` (none on legal hold)."""
        with session_scope(self.engine) as session:
            return [idx.as_dict(d) for d in idx.scaduti(session, oggi)]

    def smaltisci(self, documento_id: str, *, da: str, motivo: str, oggi: date) -> dict[str, Any]:
        """Delete every S3 version of an expired document (explicit, logged; never automatic).
        Conflict while the retention runs or a legal hold is set."""
        if not motivo.strip():
            raise RuleViolation("Indicare il motivo dello smaltimento.", path=("motivo",))
        with session_scope(self.engine) as session:
            doc = idx.documento(session, documento_id)
            if doc.smaltito_il is not None:
                raise Conflict("Il documento è già stato smaltito.", path=("id",))
            if doc.blocco_legale:
                raise Conflict("Il documento è sottoposto a blocco legale e non può essere smaltito.", path=("id",))
            if doc.conserva_fino_al >= oggi:
                raise Conflict(
                    f"La conservazione del documento termina il {doc.conserva_fino_al.strftime('%d/%m/%Y')}: "
                    "non può essere smaltito prima.", path=("id",))
            for v in idx.versioni(session, documento_id):
                try:
                    self.store.delete_version(doc.s3_key, v.version_id)
                except NotFound:
                    pass
            idx.segna_smaltito(session, doc, da=da, quando=datetime.now(timezone.utc))
            log.warning("SMALTIMENTO documento %s (%s, chiave %s) eseguito da %s: %s",
                        doc.id, doc.tipo, doc.s3_key, da, motivo)
            return idx.as_dict(doc)

    def blocco_legale(self, documento_id: str, attivo: bool, *, da: str) -> dict[str, Any]:
        """Set or release the legal hold on every S3 version of a document (logged)."""
        with session_scope(self.engine) as session:
            doc = idx.documento(session, documento_id)
            if doc.smaltito_il is not None:
                raise Conflict("Il documento è già stato smaltito.", path=("id",))
            for v in idx.versioni(session, documento_id):
                self.store.set_legal_hold(doc.s3_key, v.version_id, attivo)
            idx.imposta_blocco_legale(session, doc, attivo)
            log.warning("Blocco legale %s sul documento %s da %s", "ATTIVATO" if attivo else "RIMOSSO", doc.id, da)
            return idx.as_dict(doc)


def _da_voce(row: VoceOutbox) -> dict[str, Any]:
    """An outbox entry as the archive reports it (``stato`` in_coda or scartato, with the reason)."""
    dati = dict(row.indice)
    stato = "scartato" if row.stato == SCARTATA else "in_coda"
    out = {**dati, "id": row.documento_id, "stato": stato, "version_id": None, "motivo": row.ultimo_errore,
           "tentativi": row.tentativi}
    prossimo = row.prossimo_tentativo
    out["prossimo_tentativo"] = prossimo.isoformat() if prossimo is not None and row.stato == IN_CODA else None
    out["scartato_il"] = row.scartata_il.isoformat() if row.scartata_il else None
    return out


def _titolo(tipo: str) -> str:
    from service.registry import DOCUMENT_TYPES

    try:
        return DOCUMENT_TYPES[tipo].title
    except KeyError:
        return tipo
