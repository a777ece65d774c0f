"""CAIT registry prints (CURIT "I servizi per i CAIT", S2 L10–16): the manutentori, operatori and
strumenti of one CAIT as they are today, signed by the CAIT, never archived (they can be printed again
at any moment).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.anagrafiche import Cait, Manutentore, OperatoreCait, Strumento
from archive.cait_tabelle import Attore
from domain.errors import NotFound, RuleViolation
from service.archivio import MetadatiDocumento
from service.cait import Prodotto, dati_ufficio, produci_documento
from service.emissione import Emissione
from service.settings import Settings

__all__ = ["ELENCHI", "elenco"]


def _manutentori(session: Session, cait_id: str) -> list[dict[str, Any]]:
    return [{"ragione_sociale": m.ragione_sociale, "partita_iva": m.partita_iva, "username": m.username,
             "email": m.email, "indirizzo": m.indirizzo or None, "comune": m.comune or None,
             "registrato_il": m.registrato_il}
            for m in session.scalars(select(Manutentore).where(Manutentore.cait_id == cait_id)
                                     .order_by(Manutentore.ragione_sociale))]


def _operatori(session: Session, cait_id: str) -> list[dict[str, Any]]:
    return [{"cognome_nome": o.cognome_nome, "username": o.username, "attivo": o.attivo}
            for o in session.scalars(select(OperatoreCait).where(OperatoreCait.cait_id == cait_id)
                                     .order_by(OperatoreCait.cognome_nome))]


def _strumenti(session: Session, cait_id: str) -> list[dict[str, Any]]:
    rows = session.execute(select(Strumento, Manutentore.ragione_sociale)
                           .join(Manutentore, Manutentore.id == Strumento.manutentore_id, isouter=True)
                           .where(Strumento.cait_id == cait_id)
                           .order_by(Strumento.marca, Strumento.modello, Strumento.matricola))
    return [{"marca": s.marca, "modello": s.modello, "matricola": s.matricola, "manutentore": nome} for s, nome in rows]


ELENCHI: dict[str, Callable[[Session, str], list[dict[str, Any]]]] = {
    "manutentori": _manutentori, "operatori": _operatori, "strumenti": _strumenti}
"""Registry print → its rows (CURIT "I servizi per i CAIT", S2 L10–16)."""


def elenco(session: Session, cait_id: str, tipo: str, attore: Attore, *, oggi: date,
           settings: Settings | None = None, emissione: Emissione | None = None) -> Prodotto:
    """``elenco-manutentori`` / ``-operatori`` / ``-strumenti`` of one CAIT: a print of the registry
    as it is today, signed by the CAIT, not archived (it can be printed again at any moment)."""
    if tipo not in ELENCHI:
        raise RuleViolation(f"Elenco sconosciuto: {tipo}. Scegliere tra {', '.join(ELENCHI)}.", path=("tipo",))
    if not (attore.pieni_poteri or (attore.ruolo == "cait" and attore.cait_id == cait_id)):
        raise NotFound(f"CAIT {cait_id} non trovato.", path=("cait_id",))
    cait = session.get(Cait, cait_id)
    if cait is None:
        raise NotFound(f"CAIT {cait_id} non registrato.", path=("cait_id",))
    dati = {"cait": dati_ufficio(cait), "data": oggi, "luogo": cait.comune or cait.denominazione,
            "righe": ELENCHI[tipo](session, cait_id)}
    code = f"elenco-{tipo}"
    meta = MetadatiDocumento(tipo=code, data_documento=oggi, cait=cait_id, autore=cait_id,
                             oggetto=f"Elenco {tipo} del CAIT {cait_id} al {oggi:%d/%m/%Y}")
    return produci_documento(code, dati, meta, f"{code}-{cait_id}-{oggi:%Y%m%d}.pdf", settings=settings,
                    emissione=emissione, emittente=cait_id, registro=False)
