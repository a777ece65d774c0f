"""What the index records about a document besides its bytes, and a new document's id.

Kept apart from ``archive.indice`` (SQLAlchemy tables) and ``service.archivio`` (S3, outbox): a
process that only signs, such as a batch job's signer of its print files, names a document's
metadata without loading the database and S3 clients (~0.4 s of imports).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone

__all__ = ["MetadatiDocumento", "nuovo_id"]


@dataclass(frozen=True)
class MetadatiDocumento:
    """What the index records about a document besides its bytes."""

    tipo: str
    data_documento: date
    codice_impianto: str | None = None
    ente: str | None = None
    cait: str | None = None
    manutentore: str | None = None
    etichetta: str | None = None
    responsabile_cf: str | None = None
    oggetto: str | None = None
    """AgID *oggetto*; default: document type + impianto."""
    autore: str | None = None
    """AgID *autore*; default: the manutentore, else the Ente."""
    destinatario: str | None = None
    """AgID *destinatario*; default: the Ente."""
    documento_id: str | None = None
    """Stable id (a later issue of the same record is a new version); default: a new random id
    (:func:`nuovo_id`), never derived from the bytes."""
    riferimento_temporale: datetime | None = None
    """AgID time reference; default: the archiving instant."""


def nuovo_id(ora: datetime | None = None) -> str:
    """A new document id: 12 hex digits of milliseconds then 20 random hex digits (32 in all,
    time-ordered like a ULID). Never derived from the content: equal bytes of two owners are
    two documents (issue 12)."""
    ms = int((ora or datetime.now(timezone.utc)).timestamp() * 1000)
    return f"{ms:012x}{secrets.token_hex(10)}"
