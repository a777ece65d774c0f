"""Read side of the etichette stock: one etichetta with its history (:func:`stato`), the caller's
stock page by page (:func:`elenco`), what is owed for the sales of a period (:func:`rendiconto`),
the numbers of a lot (:func:`numeri_del_lotto`), and the number format shared with the
transitions (:func:`leggibile`; the row as the database has it now).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive.errors import StorageError
from archive.etichette_tabelle import STATI, TUTTO, Ambito, Etichetta, MovimentoEtichetta
from domain.errors import NotFound, RuleViolation
from domain.etichetta import parse_numero_etichetta
from domain.tariffe import TabellaQuote, fascia_per_codice, prezzo_per_fascia

__all__ = ["stato", "elenco", "rendiconto", "numeri_del_lotto", "leggibile"]


# --------------------------------------------------------------------------- number format (domain/etichetta.py)


def compatto_di(numero: str, path: tuple[str | int, ...] = ("numero",)) -> str:
    """Compact form of a typed number; RuleViolation when malformed or the check character is wrong."""
    try:
        return parse_numero_etichetta(numero).compatto
    except RuleViolation as exc:
        raise RuleViolation(exc.message, path=path) from None


def leggibile(numero: str) -> str:
    """``CR03626G1001234J`` → ``CR036-26G1-001234-J`` (as printed on the matrici)."""
    return parse_numero_etichetta(numero).leggibile


# --------------------------------------------------------------------------- reading


def stato(session: Session, numero: str, *, ambito: Ambito = TUTTO, quote: TabellaQuote | None = None) -> dict[str, Any]:
    """Everything known about one etichetta: state, holder, price band, binding and full history."""
    numero = compatto_di(numero)
    r = riga_attuale(session, numero, ambito)
    fascia = fascia_per_codice(r.fascia)
    if r.contributo_regionale is not None and r.quota_ente is not None:
        regionale, quota = r.contributo_regionale, r.quota_ente
    else:
        try:
            p = prezzo_per_fascia(r.ente_id, fascia, quote=quote)
            regionale, quota = p.contributo_regionale, p.quota_ente
        except RuleViolation:  # the Ente has no quota configured yet: no price to show (a sale is refused)
            regionale, quota = fascia.importo, None
    movimenti = session.scalars(select(MovimentoEtichetta).where(MovimentoEtichetta.numero == numero)
                                .order_by(MovimentoEtichetta.id))
    return {
        "numero": r.numero, "numero_leggibile": leggibile(r.numero), "stato": r.stato, "ente_id": r.ente_id, "tipo": r.tipo, "stagione": r.stagione,
        "progressivo": r.progressivo, "lotto_id": r.lotto_id,
        "fascia": {"codice": fascia.codice, "descrizione": fascia.etichetta},
        "prezzo": {"contributo_regionale": str(regionale), "quota_ente": str(quota) if quota is not None else None,
                   "totale": str(regionale + quota) if quota is not None else None,
                   "registrato_alla_vendita": r.contributo_regionale is not None},
        "cait_id": r.cait_id, "assegnata_il": _iso(r.assegnata_il),
        "manutentore_id": r.manutentore_id, "venduta_il": _iso(r.venduta_il),
        "dichiarazione": None if r.codice_impianto is None else {
            "codice_impianto": r.codice_impianto, "tipo": r.tipo_dichiarazione,
            "data_controllo": _iso(r.data_controllo), "vincolata_il": _iso(r.vincolata_il)},
        "annullamento": None if r.annullata_il is None else {
            "motivo": r.motivo_annullamento, "annullata_il": _iso(r.annullata_il)},
        "movimenti": [{"istante": _iso(m.istante), "evento": m.evento, "stato_da": m.stato_da, "stato_a": m.stato_a,
                       "utente": m.utente, "ruolo": m.ruolo, "dettagli": m.dettagli} for m in movimenti],
    }


def elenco(session: Session, *, ambito: Ambito = TUTTO, stato: str | None = None, lotto_id: int | None = None,
           limite: int = 100, dopo: str | None = None) -> dict[str, Any]:
    """The caller's etichette (a CAIT: its stock), counts per state, one page at a time (``dopo`` = last number seen)."""
    if stato is not None and stato not in STATI:
        raise RuleViolation(f"Stato non valido: scegliere tra {', '.join(STATI)}.", path=("stato",))
    filtro = ambito.filtra(select(Etichetta.stato, func.count()).group_by(Etichetta.stato))
    stmt = ambito.filtra(select(Etichetta).order_by(Etichetta.numero).limit(max(1, min(limite, 1000))))
    for cond in ((Etichetta.stato == stato) if stato else None, (Etichetta.lotto_id == lotto_id) if lotto_id else None):
        if cond is not None:
            stmt, filtro = stmt.where(cond), filtro.where(cond)
    if dopo:
        stmt = stmt.where(Etichetta.numero > compatto_di(dopo, ("dopo",)))
    righe = list(session.scalars(stmt))
    return {
        "totali": {s: n for s, n in session.execute(filtro)},
        "etichette": [{"numero": r.numero, "numero_leggibile": leggibile(r.numero), "stato": r.stato,
                       "tipo": r.tipo, "fascia": r.fascia, "stagione": r.stagione, "lotto_id": r.lotto_id,
                       "cait_id": r.cait_id, "manutentore_id": r.manutentore_id} for r in righe],
        "dopo": righe[-1].numero if len(righe) == max(1, min(limite, 1000)) else None,
    }


def rendiconto(session: Session, *, dal: datetime, al: datetime, ambito: Ambito = TUTTO) -> dict[str, Any]:
    """Etichette sold in ``[dal, al)`` within ``ambito`` and what is owed for them (FORMS.md §17): the
    contributo regionale to Punti Energia S.c.a.r.l. and each Ente its quota, per (CAIT, Ente), with one
    line per etichetta at the amounts recorded at sale. A CAIT's month is its monthly remittance."""
    inizio, fine = dal.astimezone(timezone.utc), al.astimezone(timezone.utc)
    righe = list(session.scalars(ambito.filtra(select(Etichetta).where(
        Etichetta.venduta_il >= inizio, Etichetta.venduta_il < fine, Etichetta.contributo_regionale.is_not(None)))
        .order_by(Etichetta.venduta_il, Etichetta.numero)))
    voci: dict[tuple[str, str], dict[str, Any]] = {}
    for r in righe:
        voce = voci.setdefault((r.cait_id or "", r.ente_id), {
            "cait_id": r.cait_id, "ente_id": r.ente_id, "quantita": 0,
            "contributo_regionale": Decimal("0.00"), "quota_ente": Decimal("0.00")})
        voce["quantita"] += 1
        voce["contributo_regionale"] += r.contributo_regionale
        voce["quota_ente"] += r.quota_ente
    regionale = sum((r.contributo_regionale for r in righe), Decimal("0.00"))
    quote = sum((r.quota_ente for r in righe), Decimal("0.00"))
    return {
        "dal": _iso(inizio), "al": _iso(fine), "quantita": len(righe), "contributo_regionale": str(regionale),
        "quote_enti": str(quote), "totale": str(regionale + quote),
        "voci": [{k: str(v) if isinstance(v, Decimal) else v for k, v in voci[k].items()} for k in sorted(voci)],
        "etichette": [{"numero": leggibile(r.numero), "venduta_il": _iso(r.venduta_il), "cait_id": r.cait_id,
                       "ente_id": r.ente_id, "fascia": r.fascia, "manutentore_id": r.manutentore_id,
                       "contributo_regionale": str(r.contributo_regionale), "quota_ente": str(r.quota_ente)}
                      for r in righe],
    }


def numeri_del_lotto(session: Session, lotto_id: int, *, ambito: Ambito = TUTTO) -> list[str]:
    """The numbers of one lot in progressive order (for reprinting a lot)."""
    stmt = ambito.filtra(select(Etichetta.numero).where(Etichetta.lotto_id == lotto_id)
                         .order_by(Etichetta.progressivo))
    numeri = list(session.scalars(stmt))
    if not numeri:
        raise NotFound(f"Lotto di etichette {lotto_id} non trovato.", path=("lotto_id",))
    return numeri


# --------------------------------------------------------------------------- helpers


def riga_attuale(session: Session, numero: str, ambito: Ambito) -> Etichetta:
    """The row as the database has it now (transitions are UPDATE statements, not ORM changes)."""
    stmt = ambito.filtra(select(Etichetta).where(Etichetta.numero == numero)).execution_options(
        populate_existing=True)
    try:
        riga = session.scalar(stmt)
    except SQLAlchemyError as exc:
        raise StorageError() from exc
    if riga is None:
        raise NotFound(f"L'etichetta {numero} non appartiene a nessun lotto generato.", path=("numero",))
    return riga


def _iso(value: date | datetime | None) -> str | None:
    if isinstance(value, datetime) and value.tzinfo is None:  # SQLite keeps no offset: stored as UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat() if value is not None else None
