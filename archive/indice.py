"""Index of archived documents: one row per document, keyset-paginated search.

A row exists only for a document whose S3 write was confirmed and hash-checked (pending
writes live in :mod:`archive.outbox`). Every row carries the AgID minimum metadata of a
document informatico (identificativo, riferimento temporale, oggetto, autore, destinatario,
impronta) next to the catasto keys used for search. Previous S3 versions of a document are
listed in ``archivio_versioni``.

Search is ``ORDER BY data_documento DESC, id DESC`` with a ``(data_documento, id)`` cursor;
each filter column has a composite index ending in ``(data_documento, id)`` so that a page is
an index range scan even on millions of rows (bench/bench_archivio.py).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, select, text, tuple_
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.db import Base
from archive.errors import StorageError
from archive.metadati import nuovo_id  # noqa: F401 - also theirs
from domain.errors import Conflict, NotFound, RuleViolation

__all__ = [
    "Documento",
    "VersioneDocumento",
    "DatiIndice",
    "FiltroRicerca",
    "Pagina",
    "registra",
    "titolare",
    "nuovo_id",
    "per_impronta",
    "segnala_anomalia",
    "documento",
    "cerca",
    "scaduti",
    "segna_smaltito",
    "versioni",
    "imposta_blocco_legale",
    "as_dict",
    "adesso_utc",
]


def adesso_utc() -> datetime:
    """Now, timezone-aware UTC (column defaults)."""
    return datetime.now(timezone.utc)


UNICO_DOVE_PG = "smaltito_il IS NULL AND NOT id_stabile"
UNICO_DOVE_SQLITE = "smaltito_il IS NULL AND id_stabile = 0"
"""Where (titolare, sha256) is unique: documents not disposed of, with a generated id."""


class Documento(Base):
    """One archived document (its current S3 version)."""

    __tablename__ = "archivio_documenti"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    """Document id; also the AgID *identificativo* and the last key segment."""
    tipo: Mapped[str] = mapped_column(String(40))
    codice_impianto: Mapped[str | None] = mapped_column(String(20))
    ente: Mapped[str | None] = mapped_column(String(80))
    cait: Mapped[str | None] = mapped_column(String(80))
    manutentore: Mapped[str | None] = mapped_column(String(200))
    etichetta: Mapped[str | None] = mapped_column(String(40))
    responsabile_cf: Mapped[str | None] = mapped_column(String(16))
    data_documento: Mapped[date] = mapped_column(Date)
    stagione: Mapped[str] = mapped_column(String(9))
    """``2025/2026``."""
    s3_key: Mapped[str] = mapped_column(String(512))
    version_id: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    """AgID *impronta* (SHA-256, hex)."""
    dimensione: Mapped[int] = mapped_column(Integer)
    firma_valida: Mapped[bool | None] = mapped_column(Boolean)
    """True/False: signature verified; None: the document carries no signature."""
    firma_esito: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    conserva_fino_al: Mapped[date] = mapped_column(Date)
    blocco_legale: Mapped[bool] = mapped_column(Boolean, default=False)
    riferimento_temporale: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """AgID time reference: when the document was formed (or received)."""
    oggetto: Mapped[str] = mapped_column(String(500))
    autore: Mapped[str | None] = mapped_column(String(200))
    destinatario: Mapped[str | None] = mapped_column(String(200))
    archiviato_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=adesso_utc)
    smaltito_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    smaltito_da: Mapped[str | None] = mapped_column(String(120))
    titolare: Mapped[str] = mapped_column(String(200))
    """Owner key (:func:`titolare`): who archived it; with ``sha256`` the idempotency key."""
    id_stabile: Mapped[bool] = mapped_column(Boolean, default=False)
    """The id was given by the caller (a CAIT record's number, ``archivia --id``): that id is then the
    idempotency key, and the same bytes under another stable id are another document."""
    nota_conservazione: Mapped[str | None] = mapped_column(String(300))
    """Why the retention date is not the one of the policy (e.g. raised to a minimum from today)."""
    anomalia: Mapped[str | None] = mapped_column(Text)
    """Integrity anomaly found on retrieval (e.g. an unrecorded newer S3 version)."""
    anomalia_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = tuple(
        Index(f"ix_archivio_documenti_{col}_data", col, "data_documento", "id")
        for col in ("codice_impianto", "etichetta", "responsabile_cf", "ente", "cait", "tipo", "stagione")
    ) + (
        Index("ix_archivio_documenti_data", "data_documento", "id"),
        Index("ix_archivio_documenti_ente_stagione", "ente", "stagione", "data_documento", "id"),
        Index("ix_archivio_documenti_conserva", "conserva_fino_al"),
        Index("ix_archivio_documenti_sha256", "sha256"),
        Index("uq_archivio_documenti_titolare_sha256", "titolare", "sha256", unique=True,
              postgresql_where=text(UNICO_DOVE_PG), sqlite_where=text(UNICO_DOVE_SQLITE)),
    )
    """One owner's bytes are one document (migration 0015): two simultaneous uploads of the same bytes
    cannot become two rows; a disposed document no longer holds its bytes' place; documents with a
    caller's stable id are keyed by that id (their primary key)."""

    def metadati_agid(self) -> dict[str, Any]:
        """The minimum metadata of a documento informatico (AgID Linee guida, all. 5)."""
        return {
            "identificativo": self.id,
            "riferimento_temporale": self.riferimento_temporale.isoformat(),
            "oggetto": self.oggetto,
            "autore": self.autore,
            "destinatario": self.destinatario,
            "impronta": {"algoritmo": "SHA-256", "valore": self.sha256},
        }


class VersioneDocumento(Base):
    """Every S3 version ever recorded for a document (the current one included)."""

    __tablename__ = "archivio_versioni"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    documento_id: Mapped[str] = mapped_column(ForeignKey("archivio_documenti.id"), index=True)
    version_id: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    conserva_fino_al: Mapped[date] = mapped_column(Date)
    archiviato_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=adesso_utc)
    smaltito_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class DatiIndice:
    """Everything the index records about one confirmed S3 write."""

    id: str
    tipo: str
    data_documento: date
    stagione: str
    s3_key: str
    version_id: str
    sha256: str
    dimensione: int
    conserva_fino_al: date
    riferimento_temporale: datetime
    oggetto: str
    codice_impianto: str | None = None
    ente: str | None = None
    cait: str | None = None
    manutentore: str | None = None
    etichetta: str | None = None
    responsabile_cf: str | None = None
    autore: str | None = None
    destinatario: str | None = None
    firma_valida: bool | None = None
    firma_esito: dict[str, Any] | None = None
    nota_conservazione: str | None = None
    id_stabile: bool = False
    """``id`` was given by the caller (see :attr:`Documento.id_stabile`)."""

    @property
    def titolare(self) -> str:
        return titolare(self.ente, self.cait)

    def as_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k, v in out.items():
            if isinstance(v, (date, datetime)):
                out[k] = v.isoformat()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DatiIndice":
        values = dict(data)
        for k in ("data_documento", "conserva_fino_al"):
            values[k] = date.fromisoformat(values[k])
        values["riferimento_temporale"] = datetime.fromisoformat(values["riferimento_temporale"])
        return cls(**values)


def _db_error(exc: SQLAlchemyError) -> StorageError:
    return StorageError("Indice dell'archivio non disponibile.")


def titolare(ente: str | None, cait: str | None) -> str:
    """The owner key of a document: the Ente and the CAIT it was archived for."""
    return f"{ente or '-'}|{cait or '-'}"


_IDENTITA = ("tipo", "s3_key", "ente", "cait", "codice_impianto")
"""Fields of a row that a later version of the same document never changes."""
_VERSIONE = ("version_id", "sha256", "dimensione", "firma_valida", "firma_esito")
"""Fields that follow the current S3 version."""


def per_impronta(session: Session, titolare_: str, sha256: str, documento_id: str | None = None, *,
                 generati: bool = False) -> Documento | None:
    """The owner's (not disposed) document holding these bytes, if any: the idempotency key
    (with a stable ``documento_id`` given by the caller, only that document counts; ``generati``:
    only documents with a generated id, those the unique index covers)."""
    q = select(Documento).where(Documento.titolare == titolare_, Documento.sha256 == sha256,
                                Documento.smaltito_il.is_(None))
    if documento_id is not None:
        q = q.where(Documento.id == documento_id)
    if generati:
        q = q.where(Documento.id_stabile.is_(False))
    return session.scalars(q.order_by(Documento.archiviato_il, Documento.id).limit(1)).first()


def registra(session: Session, dati: DatiIndice) -> Documento:
    """Insert the row of ``dati.id`` and record the version (idempotent on version).

    A row is never handed to another owner or key: when ``dati.id`` exists, only a new version
    of the same document (same owner, key, tipo, impianto, given by a stable id) is accepted and
    moves the row's current version; anything else is a :class:`Conflict` and changes nothing.

    Idempotent on (owner, SHA-256): when a concurrent registration of the same owner's bytes got
    there first (the unique index refuses the second row), that document is adopted and returned,
    with this S3 version recorded on it when it is a version of its key. The other key's object
    stays in the version ledger (``archivio_versioni_s3``), locked and accounted for.
    """
    try:
        doc = session.get(Documento, dati.id)
        fields = {k: getattr(dati, k) for k in dati.__dataclass_fields__ if k != "id"}
        fields["firma_esito"] = dati.firma_esito or {}
        inserito = False
        if doc is None:
            nuovo = Documento(id=dati.id, blocco_legale=False, titolare=dati.titolare, **fields)
            try:
                with session.begin_nested():  # a savepoint: a refused INSERT leaves the transaction usable
                    session.add(nuovo)
                    session.flush()
                doc, inserito = nuovo, True
            except IntegrityError:  # registered meanwhile by a concurrent writer
                gia = None if dati.id_stabile else per_impronta(session, dati.titolare, dati.sha256, generati=True)
                if gia is not None and gia.id != dati.id:
                    return gia  # the same owner's same bytes: that document (idempotent)
                doc = gia or session.get(Documento, dati.id)  # the same stable id: a version of it
                if doc is None:
                    raise
        if not inserito:
            diversi = [k for k in _IDENTITA if getattr(doc, k) != fields[k]]
            if diversi or doc.titolare != dati.titolare:
                raise Conflict(f"Il documento {dati.id} è già archiviato con altri dati ({', '.join(diversi) or 'titolare'}): "
                               "non viene sostituito.", path=("id",))
            if doc.smaltito_il is not None:
                raise Conflict(f"Il documento {dati.id} è stato smaltito: non riceve nuove versioni.", path=("id",))
            if doc.version_id != dati.version_id:
                altro = None if doc.id_stabile else per_impronta(session, dati.titolare, dati.sha256, generati=True)
                if altro is not None and altro.id != doc.id:
                    raise Conflict(f"Lo stesso contenuto è già archiviato come documento {altro.id}: non diventa "
                                   f"una nuova versione di {dati.id}.", path=("id",))
                for k in _VERSIONE:
                    setattr(doc, k, fields[k])
                doc.conserva_fino_al = max(doc.conserva_fino_al, dati.conserva_fino_al)
        seen = session.scalar(
            select(VersioneDocumento.id).where(
                VersioneDocumento.documento_id == dati.id, VersioneDocumento.version_id == dati.version_id
            )
        )
        if seen is None:
            session.add(VersioneDocumento(
                documento_id=dati.id, version_id=dati.version_id, sha256=dati.sha256,
                conserva_fino_al=dati.conserva_fino_al,
            ))
        session.flush()
        return doc
    except SQLAlchemyError as exc:
        raise _db_error(exc) from exc


def segnala_anomalia(session: Session, doc: Documento, testo: str, *, quando: datetime | None = None) -> bool:
    """Record an integrity anomaly on the document (visible in its record); False when the same
    anomaly was already recorded."""
    if doc.anomalia == testo:
        return False
    doc.anomalia = testo[:4000]
    doc.anomalia_il = quando or adesso_utc()
    session.flush()
    return True


def documento(session: Session, documento_id: str) -> Documento:
    doc = session.get(Documento, documento_id)
    if doc is None:
        raise NotFound(f"Documento {documento_id} non presente nell'indice.", path=("id",))
    return doc


@dataclass(frozen=True)
class FiltroRicerca:
    """Search criteria; every given field must match (AND)."""

    codice_impianto: str | None = None
    etichetta: str | None = None
    responsabile_cf: str | None = None
    ente: str | None = None
    cait: str | None = None
    tipo: str | None = None
    dal: date | None = None
    """First document date included."""
    al: date | None = None
    """Last document date included."""
    stagione: str | None = None
    """``2025/2026``."""
    smaltiti: bool = False
    """Include disposed documents."""


@dataclass(frozen=True)
class Pagina:
    documenti: Sequence[Documento]
    prossima: str | None
    """Cursor of the next page; None on the last page."""


def _cursore(doc: Documento) -> str:
    return base64.urlsafe_b64encode(f"{doc.data_documento.isoformat()}|{doc.id}".encode()).decode()


def _leggi_cursore(cursore: str) -> tuple[date, str]:
    try:
        giorno, _, doc_id = base64.urlsafe_b64decode(cursore.encode()).decode().partition("|")
        return date.fromisoformat(giorno), doc_id
    except (ValueError, UnicodeDecodeError):
        raise RuleViolation("Cursore di paginazione non valido.", path=("dopo",)) from None


def cerca(session: Session, filtro: FiltroRicerca, *, limite: int = 50, dopo: str | None = None) -> Pagina:
    """One page of matching documents, newest document date first."""
    if not 1 <= limite <= 1000:
        raise RuleViolation("Il numero di risultati per pagina deve essere tra 1 e 1000.", path=("limite",))
    if filtro.dal and filtro.al and filtro.dal > filtro.al:
        raise RuleViolation("La data iniziale è successiva alla data finale.", path=("dal",))
    q = select(Documento)
    for col in ("codice_impianto", "etichetta", "ente", "cait", "tipo", "stagione"):
        value = getattr(filtro, col)
        if value:
            q = q.where(getattr(Documento, col) == value)
    if filtro.responsabile_cf:
        q = q.where(Documento.responsabile_cf == filtro.responsabile_cf.upper())
    if filtro.dal:
        q = q.where(Documento.data_documento >= filtro.dal)
    if filtro.al:
        q = q.where(Documento.data_documento <= filtro.al)
    if not filtro.smaltiti:
        q = q.where(Documento.smaltito_il.is_(None))
    if dopo:
        giorno, doc_id = _leggi_cursore(dopo)
        q = q.where(tuple_(Documento.data_documento, Documento.id) < tuple_(giorno, doc_id))
    q = q.order_by(Documento.data_documento.desc(), Documento.id.desc()).limit(limite + 1)
    try:
        rows = list(session.scalars(q))
    except SQLAlchemyError as exc:
        raise _db_error(exc) from exc
    prossima = _cursore(rows[limite - 1]) if len(rows) > limite else None
    return Pagina(rows[:limite], prossima)


def scaduti(session: Session, oggi: date, *, limite: int = 1000) -> list[Documento]:
    """Documents whose retention ended before ``oggi``, not disposed and not on legal hold."""
    q = (
        select(Documento)
        .where(Documento.conserva_fino_al < oggi, Documento.smaltito_il.is_(None), Documento.blocco_legale.is_(False))
        .order_by(Documento.conserva_fino_al, Documento.id)
        .limit(limite)
    )
    return list(session.scalars(q))


def segna_smaltito(session: Session, doc: Documento, *, da: str, quando: datetime) -> None:
    doc.smaltito_il = quando
    doc.smaltito_da = da
    for v in session.scalars(select(VersioneDocumento).where(VersioneDocumento.documento_id == doc.id)):
        v.smaltito_il = quando
    session.flush()


def imposta_blocco_legale(session: Session, doc: Documento, attivo: bool) -> None:
    doc.blocco_legale = attivo
    session.flush()


def versioni(session: Session, documento_id: str) -> list[VersioneDocumento]:
    q = select(VersioneDocumento).where(VersioneDocumento.documento_id == documento_id).order_by(VersioneDocumento.id)
    return list(session.scalars(q))


def as_dict(doc: Documento) -> dict[str, Any]:
    """The index record as JSON-ready values (CLI and API)."""
    out: dict[str, Any] = {}
    for col in Documento.__table__.columns:
        if col.key == "id_stabile":  # an index detail, not part of the record
            continue
        value = getattr(doc, col.key)
        out[col.key] = value.isoformat() if isinstance(value, (date, datetime)) else value
    out["metadati_agid"] = doc.metadati_agid()
    return out
