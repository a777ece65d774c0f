"""CAIT desk records, ricevute and Portafoglio: etichette sold at the desk and Portafoglio top-ups, each
under one ricevuta numbered ``<CAIT>/RIC/<anno>/<progressivo>`` (tables and numbering in
:mod:`archive.cait_tabelle`).

* :func:`vendi_etichette` sells etichette through :func:`archive.etichette.vendi` and issues
  one ricevuta, paid at the desk or from the manutentore's Portafoglio (balance checked);
* :func:`ricarica_portafoglio` records a Portafoglio top-up with its ricevuta;
* :func:`saldo_portafoglio` is the sum of the moves (top-ups +, purchases −).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.anagrafiche import Cait, Manutentore
from archive.cait_tabelle import (
    Attore,
    MovimentoPortafoglio,
    Ricevuta,
    RigaRicevuta,
    adesso,
    anno_locale,
    prossimo_progressivo,
)
from archive.db import flush as _flush
from archive.etichette import Autore, vendi
from domain.errors import Conflict, NotFound, RuleViolation
from domain.tariffe import TabellaQuote, fascia_per_codice

__all__ = [
    "MEZZI_PAGAMENTO",
    "vendi_etichette",
    "ricarica_portafoglio",
    "saldo_portafoglio",
    "get_ricevuta",
    "righe_ricevuta",
    "ricevute_del_periodo",
]

MEZZI_PAGAMENTO: tuple[str, ...] = ("contanti", "POS", "bonifico", "portafoglio")
"""How a ricevuta was paid; ``portafoglio`` draws on the manutentore's prepaid balance (S2)."""
_RICARICA_MAX = Decimal("10000.00")
_CENT = Decimal("0.01")


# --------------------------------------------------------------------------- ricevute


def vendi_etichette(session: Session, *, cait_id: str, manutentore_id: int, numeri: Sequence[str], operatore: str,
                    pagamento: str = "contanti", autore: Autore, quote: TabellaQuote | None = None,
                    ora: datetime | None = None) -> Ricevuta:
    """Sell etichette of the CAIT's stock to a manutentore and issue ONE ricevuta for them.

    All or nothing, in the caller's transaction: every sale, the Portafoglio debit (when paid
    from it) and the receipt number move together, so a refused sale leaves no gap.
    """
    if not numeri:
        raise RuleViolation("Indicare almeno un'etichetta da vendere.", path=("numeri",))
    _verifica_pagamento(pagamento)
    vendite = [vendi(session, n, cait_id, manutentore_id, autore=autore, quote=quote)
               for n in sorted(dict.fromkeys(numeri))]
    righe = []
    for v in vendite:
        fascia = fascia_per_codice(v.fascia)
        tipo = "G" if v.fascia == "F1" else "F"
        righe.append(dict(descrizione=f"Etichetta di validazione Allegato {tipo} - {fascia.etichetta}",
                          numero_etichetta=v.numero, ente_id=v.ente_id, tipo=tipo, fascia=v.fascia,
                          quota_ente=v.quota_ente, contributo_regionale=v.contributo_regionale, importo=v.totale))
    ricevuta = _emetti(session, cait_id=cait_id, manutentore_id=manutentore_id, causale="etichette",
                       pagamento=pagamento, operatore=operatore, utente=autore.username, righe=righe, ora=ora)
    if pagamento == "portafoglio":
        saldo = saldo_portafoglio(session, manutentore_id)
        if saldo < ricevuta.totale:
            raise Conflict(f"Saldo del Portafoglio insufficiente: disponibili {_euro(saldo)}, "
                           f"necessari {_euro(ricevuta.totale)}.", path=("pagamento",))
        session.add(MovimentoPortafoglio(manutentore_id=manutentore_id, cait_id=cait_id, istante=ricevuta.emessa_il,
                                         causale="acquisto", importo=-ricevuta.totale, ricevuta_id=ricevuta.id,
                                         utente=autore.username[:64]))
        _flush(session)
    return ricevuta


def ricarica_portafoglio(session: Session, *, cait_id: str, manutentore_id: int, importo: Decimal | str,
                         operatore: str, pagamento: str = "contanti", utente: str,
                         ora: datetime | None = None) -> Ricevuta:
    """Top up a manutentore's Portafoglio at the CAIT desk; returns its ricevuta."""
    valore = _importo(importo)
    if pagamento == "portafoglio" or pagamento not in MEZZI_PAGAMENTO:
        raise RuleViolation("Mezzo di pagamento della ricarica non valido: contanti, POS o bonifico.",
                            path=("pagamento",))
    if session.get(Manutentore, manutentore_id) is None:
        raise NotFound("Manutentore non registrato.", path=("manutentore_id",))
    riga = dict(descrizione="Ricarica del Portafoglio CURIT", numero_etichetta=None, ente_id=None, tipo=None,
                fascia=None, quota_ente=Decimal("0.00"), contributo_regionale=Decimal("0.00"), importo=valore)
    ricevuta = _emetti(session, cait_id=cait_id, manutentore_id=manutentore_id, causale="ricarica",
                       pagamento=pagamento, operatore=operatore, utente=utente, righe=[riga], ora=ora)
    session.add(MovimentoPortafoglio(manutentore_id=manutentore_id, cait_id=cait_id, istante=ricevuta.emessa_il,
                                     causale="ricarica", importo=valore, ricevuta_id=ricevuta.id, utente=utente[:64]))
    _flush(session)
    return ricevuta


def saldo_portafoglio(session: Session, manutentore_id: int) -> Decimal:
    totale = session.scalar(select(func.coalesce(func.sum(MovimentoPortafoglio.importo), 0))
                            .where(MovimentoPortafoglio.manutentore_id == manutentore_id))
    return Decimal(str(totale)).quantize(_CENT)


def _emetti(session: Session, *, cait_id: str, manutentore_id: int, causale: str, pagamento: str, operatore: str,
            utente: str, righe: list[dict[str, Any]], ora: datetime | None) -> Ricevuta:
    if session.get(Cait, cait_id) is None:
        raise NotFound(f"CAIT {cait_id} non registrato.", path=("cait_id",))
    ora = ora or adesso()
    anno = anno_locale(ora)
    progressivo = prossimo_progressivo(session, cait_id, anno, "ricevuta")
    ricevuta = Ricevuta(numero=f"{cait_id}/RIC/{anno}/{progressivo:06d}", cait_id=cait_id, anno=anno,
                        progressivo=progressivo, manutentore_id=manutentore_id, causale=causale, pagamento=pagamento,
                        operatore=(operatore or utente)[:200], emessa_il=ora,
                        totale=sum((r["importo"] for r in righe), Decimal("0.00")), utente=utente[:64])
    session.add(ricevuta)
    _flush(session)
    session.add_all(RigaRicevuta(ricevuta_id=ricevuta.id, posizione=i, **r) for i, r in enumerate(righe, 1))
    _flush(session)
    return ricevuta


def get_ricevuta(session: Session, ricevuta: int | str, attore: Attore) -> Ricevuta:
    cond = Ricevuta.id == ricevuta if isinstance(ricevuta, int) else Ricevuta.numero == str(ricevuta).strip()
    r = session.scalar(select(Ricevuta).where(cond))
    if r is None or not (attore.pieni_poteri or (attore.ruolo == "cait" and r.cait_id == attore.cait_id)
                         or (attore.ruolo == "manutentore" and r.manutentore_id == attore.manutentore_id)):
        raise NotFound("Ricevuta non trovata.", path=("ricevuta",))
    return r


def righe_ricevuta(session: Session, ricevuta_id: int) -> list[RigaRicevuta]:
    return list(session.scalars(select(RigaRicevuta).where(RigaRicevuta.ricevuta_id == ricevuta_id)
                                .order_by(RigaRicevuta.posizione)))


def ricevute_del_periodo(session: Session, cait_id: str, dal: datetime, al: datetime, *,
                         causale: str | None = "etichette") -> list[Ricevuta]:
    """Ricevute of a CAIT issued in ``[dal, al)`` (aware datetimes), in number order."""
    stmt = select(Ricevuta).where(Ricevuta.cait_id == cait_id, Ricevuta.emessa_il >= _utc(dal),
                                  Ricevuta.emessa_il < _utc(al))
    if causale:
        stmt = stmt.where(Ricevuta.causale == causale)
    return list(session.scalars(stmt.order_by(Ricevuta.anno, Ricevuta.progressivo)))


# --------------------------------------------------------------------------- helpers


def _verifica_pagamento(pagamento: str) -> None:
    if pagamento not in MEZZI_PAGAMENTO:
        raise RuleViolation(f"Mezzo di pagamento non valido: {', '.join(MEZZI_PAGAMENTO)}.", path=("pagamento",))


def _importo(value: Decimal | str) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(".", "").replace(",", ".")
                                                             if "," in str(value) else str(value).strip())
    except InvalidOperation:
        raise RuleViolation("Importo non valido (es. 50,00).", path=("importo",)) from None
    if not d.is_finite() or d <= 0 or d != d.quantize(_CENT):
        raise RuleViolation("L'importo deve essere positivo, con al massimo due decimali.", path=("importo",))
    if d > _RICARICA_MAX:
        raise RuleViolation(f"Ricarica oltre il massimo consentito allo sportello ({_euro(_RICARICA_MAX)}).",
                            path=("importo",))
    return d.quantize(_CENT)


def _euro(value: Decimal) -> str:
    testo = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{testo} €"


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
