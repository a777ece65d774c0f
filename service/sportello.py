"""The CAIT counter's lists: ricevute, dichiarazioni received, distinte with their Enti, the months
a rendiconto can be issued for. Names instead of ids, for the console and the API alike."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.anagrafiche import Manutentore
from archive.cait_dichiarazioni import distinte
from archive.cait_tabelle import Attore, Dichiarazione, Ricevuta
from domain import cait_cassa as dm
from domain.errors import RuleViolation
from service.cait import id_documento, quando_iso

__all__ = ["MESI_IT", "mesi_conclusi", "verifica_mese_concluso", "elenco_ricevute", "elenco_dichiarazioni",
           "elenco_distinte", "documento_ricevuta", "documento_distinta", "originali_custoditi"]

MESI_IT = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre")


def mesi_conclusi(oggi: date, quanti: int = 12) -> list[tuple[str, str]]:
    """The last ``quanti`` calendar months that are over, newest first: (``2026-11``, ``novembre 2026``)."""
    anno, mese = oggi.year, oggi.month
    out = []
    for _ in range(quanti):
        anno, mese = (anno - 1, 12) if mese == 1 else (anno, mese - 1)
        out.append((f"{anno:04d}-{mese:02d}", f"{MESI_IT[mese - 1]} {anno}"))
    return out


def verifica_mese_concluso(mese: str, oggi: date) -> None:
    """A rendiconto is issued only for a month that is over (its last day is before ``oggi``)."""
    _, al = dm.mese(mese)
    if al >= oggi:
        raise RuleViolation(f"Il mese {mese} non è ancora concluso: il rendiconto si emette dal primo giorno "
                            "del mese successivo.", path=("mese",))


def _nomi(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Manutentore.id, Manutentore.ragione_sociale)).all())


def elenco_ricevute(session: Session, cait_id: str, *, manutentore_id: int | None = None,
                    limite: int = 200) -> list[dict[str, Any]]:
    q = (select(Ricevuta).where(Ricevuta.cait_id == cait_id)
         .order_by(Ricevuta.emessa_il.desc(), Ricevuta.id.desc()).limit(limite))
    if manutentore_id is not None:
        q = q.where(Ricevuta.manutentore_id == manutentore_id)
    nomi = _nomi(session)
    return [{"id": r.id, "numero": r.numero, "manutentore_id": r.manutentore_id,
             "manutentore": nomi.get(r.manutentore_id, ""), "causale": r.causale, "pagamento": r.pagamento,
             "operatore": r.operatore, "totale": str(r.totale), "emessa_il": quando_iso(r.emessa_il)}
            for r in session.scalars(q)]


def elenco_dichiarazioni(session: Session, cait_id: str, *, stato: str | None = None,
                         limite: int = 500) -> list[dict[str, Any]]:
    q = (select(Dichiarazione).where(Dichiarazione.cait_id == cait_id)
         .order_by(Dichiarazione.consegnata_il.desc(), Dichiarazione.id.desc()).limit(limite))
    if stato is not None:
        q = q.where(Dichiarazione.stato == stato)
    nomi = _nomi(session)
    return [{"id": d.id, "manutentore_id": d.manutentore_id, "manutentore": nomi.get(d.manutentore_id, ""),
             "codice_impianto": d.codice_impianto, "tipo": d.tipo, "data_controllo": d.data_controllo.isoformat(),
             "numero_etichetta": d.numero_etichetta or "", "ente_id": d.ente_id, "stato": d.stato,
             "distinta_id": d.distinta_id} for d in session.scalars(q)]


def elenco_distinte(session: Session, attore: Attore) -> list[dict[str, Any]]:
    from service.cait_consegne import enti_della_distinta

    nomi = _nomi(session)
    return [{"id": d.id, "numero": d.numero, "manutentore_id": d.manutentore_id,
             "manutentore": nomi.get(d.manutentore_id, ""), "operatore": d.operatore,
             "chiusa_il": quando_iso(d.chiusa_il), "enti": enti_della_distinta(session, d.id, attore)}
            for d in distinte(session, attore)]


def documento_ricevuta(r: dict[str, Any]) -> str:
    """Archive id of a ricevuta issued by the console or the API (stable: see ``service.cait``)."""
    return id_documento("ricevuta", r["numero"], date.fromisoformat(r["emessa_il"][:10]))


def documento_distinta(d: dict[str, Any]) -> str:
    return id_documento("distinta-ricevuta", d["numero"], date.fromisoformat(d["chiusa_il"][:10]))


def originali_custoditi(session: Session, cait_id: str, *, limite: int = 200) -> list[dict[str, Any]]:
    """Paper originals the CAIT keeps now, with where they are filed."""
    from archive.indice import Documento as DocumentoArchivio
    from archive.originali import Originale

    q = (select(Originale, DocumentoArchivio.tipo, DocumentoArchivio.codice_impianto)
         .join(DocumentoArchivio, DocumentoArchivio.id == Originale.documento_id)
         .where(Originale.detentore_tipo == "cait", Originale.detentore == cait_id)
         .order_by(Originale.dal.desc()).limit(limite))
    return [{"documento_id": o.documento_id, "tipo": tipo, "codice_impianto": codice or "",
             "collocazione": " / ".join(x for x in (o.faldone, o.scatola, o.posizione) if x) or "—",
             "dal": o.dal.isoformat(), "conserva_fino_al": o.conserva_fino_al.isoformat()}
            for o, tipo, codice in session.execute(q)]
