"""Many confirmed S3 writes → their index rows in one round: the batch path of the archive ingest.

:func:`registra_lotto` gives the same rows as :func:`archive.indice.registra` called once per
document, in fewer statements: one ``SELECT`` for the ids already present, then, under one
savepoint, every new document and its first version in one flush (multi-row INSERTs). Anything
that is not plainly new (an id already indexed: a new version, a conflict) and a batch the
database refuses (the same owner's bytes registered meanwhile, a duplicate inside the batch)
goes through :func:`registra` one document at a time, with its checks and its Italian errors.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from archive.indice import DatiIndice, Documento, VersioneDocumento, _db_error, registra

__all__ = ["registra_lotto"]


def registra_lotto(session: Session, lotto: Sequence[DatiIndice]) -> list[Documento]:
    """The index rows of ``lotto`` (in its order), as :func:`archive.indice.registra` of each."""
    try:
        presenti = set(session.scalars(select(Documento.id).where(Documento.id.in_([d.id for d in lotto]))))
    except SQLAlchemyError as exc:
        raise _db_error(exc) from exc
    nuovi = {d.id: d for d in lotto if d.id not in presenti}
    righe: dict[str, Documento] = {}
    if len(nuovi) > 1 and len(nuovi) == sum(1 for d in lotto if d.id in nuovi):
        try:
            with session.begin_nested():
                righe = {i: _riga(d) for i, d in nuovi.items()}
                session.add_all(righe.values())
                session.add_all(VersioneDocumento(documento_id=d.id, version_id=d.version_id, sha256=d.sha256,
                                                  conserva_fino_al=d.conserva_fino_al) for d in nuovi.values())
                session.flush()
        except IntegrityError:  # the same owner's bytes meanwhile, or twice in the batch: one by one
            righe = {}
        except SQLAlchemyError as exc:
            raise _db_error(exc) from exc
    return [righe[d.id] if d.id in righe else registra(session, d) for d in lotto]


def _riga(dati: DatiIndice) -> Documento:
    fields = {k: getattr(dati, k) for k in dati.__dataclass_fields__ if k != "id"}
    fields["firma_esito"] = dati.firma_esito or {}
    return Documento(id=dati.id, blocco_legale=False, titolare=dati.titolare, **fields)
