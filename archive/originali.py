"""Paper originals: who holds each one and where, custody transfers, requests from the Enti.

FORMS.md §18: the CAIT keeps the paper "per il periodo temporale delle due successive stagioni
termiche" and makes it available to the Ente "entro 5 giorni lavorativi"; "la procedura
informatica dovrà avere la possibilità di identificare il CAIT (o l'ECT) dove è conservato il
cartaceo". A request notifies the holder (a row in ``archivio_notifiche``) and moves through
``richiesto → inviato → ricevuto``; on receipt the custody passes to the requesting Ente.

Dates come in as arguments (``oggi``); the deadline rules live in ``domain.conservazione``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Literal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.db import Base
from archive.indice import Documento, adesso_utc, documento
from domain.conservazione import GIORNI_LAVORATIVI_CONSEGNA_ORIGINALE, aggiungi_giorni_lavorativi, originale_fino_al
from domain.errors import Conflict, NotFound, RuleViolation

__all__ = [
    "Originale",
    "Trasferimento",
    "Richiesta",
    "Notifica",
    "Collocazione",
    "registra_originale",
    "dove",
    "trasferisci",
    "richiedi",
    "segna_inviato",
    "segna_ricevuto",
    "in_ritardo",
    "notifiche",
    "STATI_RICHIESTA",
]

Detentore = Literal["cait", "ente"]
STATI_RICHIESTA = ("richiesto", "inviato", "ricevuto")


class Originale(Base):
    """The paper original of an archived document and its current keeper."""

    __tablename__ = "archivio_originali"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    documento_id: Mapped[str] = mapped_column(ForeignKey("archivio_documenti.id"), unique=True)
    detentore_tipo: Mapped[str] = mapped_column(String(8))
    """``cait`` or ``ente``."""
    detentore: Mapped[str] = mapped_column(String(80))
    """Id of the CAIT or Ente that holds the paper now."""
    faldone: Mapped[str | None] = mapped_column(String(40))
    scatola: Mapped[str | None] = mapped_column(String(40))
    posizione: Mapped[str | None] = mapped_column(String(40))
    dal: Mapped[date] = mapped_column(Date)
    """Since when the current holder keeps it."""
    ricevuto_il: Mapped[date] = mapped_column(Date)
    """When the paper was first received (start of the two stagioni)."""
    conserva_fino_al: Mapped[date] = mapped_column(Date)

    __table_args__ = (Index("ix_archivio_originali_detentore", "detentore_tipo", "detentore"),)


class Trasferimento(Base):
    """One custody transfer of a paper original (who handed it to whom, when, by whom)."""

    __tablename__ = "archivio_trasferimenti"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    originale_id: Mapped[int] = mapped_column(ForeignKey("archivio_originali.id"), index=True)
    da_tipo: Mapped[str] = mapped_column(String(8))
    da: Mapped[str] = mapped_column(String(80))
    a_tipo: Mapped[str] = mapped_column(String(8))
    a: Mapped[str] = mapped_column(String(80))
    il: Mapped[date] = mapped_column(Date)
    eseguito_da: Mapped[str] = mapped_column(String(120))
    """The person (user id or name) who recorded the transfer."""
    registrato_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=adesso_utc)


class Richiesta(Base):
    """An Ente asks for a paper original; the holder has 5 working days."""

    __tablename__ = "archivio_richieste"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    originale_id: Mapped[int] = mapped_column(ForeignKey("archivio_originali.id"), index=True)
    ente_richiedente: Mapped[str] = mapped_column(String(80))
    detentore_tipo: Mapped[str] = mapped_column(String(8))
    detentore: Mapped[str] = mapped_column(String(80))
    richiesta_il: Mapped[date] = mapped_column(Date)
    scadenza: Mapped[date] = mapped_column(Date)
    stato: Mapped[str] = mapped_column(String(10), default="richiesto")
    inviato_il: Mapped[date | None] = mapped_column(Date)
    ricevuto_il: Mapped[date | None] = mapped_column(Date)
    richiesto_da: Mapped[str] = mapped_column(String(120))

    __table_args__ = (Index("ix_archivio_richieste_detentore_stato", "detentore", "stato", "scadenza"),)


class Notifica(Base):
    """A message for a CAIT or an Ente (shown in its dashboard, sent by the mailer)."""

    __tablename__ = "archivio_notifiche"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    destinatario_tipo: Mapped[str] = mapped_column(String(8))
    destinatario: Mapped[str] = mapped_column(String(80))
    richiesta_id: Mapped[int | None] = mapped_column(ForeignKey("archivio_richieste.id"))
    testo: Mapped[str] = mapped_column(Text)
    creata_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=adesso_utc)
    letta_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_archivio_notifiche_destinatario", "destinatario_tipo", "destinatario"),)


@dataclass(frozen=True)
class Collocazione:
    """Where the paper sits in the holder's archive."""

    faldone: str | None = None
    scatola: str | None = None
    posizione: str | None = None


def _check_tipo(tipo: str, path: str) -> None:
    if tipo not in ("cait", "ente"):
        raise RuleViolation("Il detentore deve essere un CAIT o un Ente.", path=(path,))


def registra_originale(
    session: Session,
    documento_id: str,
    *,
    detentore_tipo: Detentore,
    detentore: str,
    ricevuto_il: date,
    collocazione: Collocazione = Collocazione(),
) -> Originale:
    """Record that ``detentore`` received the paper original of an archived document."""
    _check_tipo(detentore_tipo, "detentore_tipo")
    documento(session, documento_id)
    if session.scalar(select(Originale).where(Originale.documento_id == documento_id)) is not None:
        raise Conflict("L'originale cartaceo di questo documento è già registrato.", path=("documento_id",))
    orig = Originale(
        documento_id=documento_id, detentore_tipo=detentore_tipo, detentore=detentore,
        faldone=collocazione.faldone, scatola=collocazione.scatola, posizione=collocazione.posizione,
        dal=ricevuto_il, ricevuto_il=ricevuto_il, conserva_fino_al=originale_fino_al(ricevuto_il),
    )
    session.add(orig)
    session.flush()
    return orig


def _originale(session: Session, documento_id: str) -> Originale:
    orig = session.scalar(select(Originale).where(Originale.documento_id == documento_id))
    if orig is None:
        raise NotFound("Per questo documento non è registrato un originale cartaceo.", path=("id",))
    return orig


def dove(session: Session, documento_id: str) -> dict[str, Any]:
    """Who keeps the paper original now, where, since when, until when; its custody history."""
    orig = _originale(session, documento_id)
    storia = session.scalars(
        select(Trasferimento).where(Trasferimento.originale_id == orig.id).order_by(Trasferimento.il, Trasferimento.id)
    )
    return {
        "documento_id": documento_id,
        "detentore_tipo": orig.detentore_tipo,
        "detentore": orig.detentore,
        "faldone": orig.faldone,
        "scatola": orig.scatola,
        "posizione": orig.posizione,
        "dal": orig.dal.isoformat(),
        "conserva_fino_al": orig.conserva_fino_al.isoformat(),
        "trasferimenti": [
            {"da": f"{t.da_tipo}:{t.da}", "a": f"{t.a_tipo}:{t.a}", "il": t.il.isoformat(), "eseguito_da": t.eseguito_da}
            for t in storia
        ],
    }


def trasferisci(
    session: Session,
    documento_id: str,
    *,
    a_tipo: Detentore,
    a: str,
    il: date,
    eseguito_da: str,
    collocazione: Collocazione | None = None,
) -> Trasferimento:
    """Move the custody of a paper original to another CAIT or Ente."""
    _check_tipo(a_tipo, "a_tipo")
    orig = _originale(session, documento_id)
    if (orig.detentore_tipo, orig.detentore) == (a_tipo, a):
        raise Conflict("L'originale è già custodito da questo soggetto.", path=("a",))
    if il < orig.dal:
        raise RuleViolation("La data del trasferimento precede l'inizio della custodia attuale.", path=("il",))
    t = Trasferimento(
        originale_id=orig.id, da_tipo=orig.detentore_tipo, da=orig.detentore, a_tipo=a_tipo, a=a, il=il,
        eseguito_da=eseguito_da,
    )
    session.add(t)
    orig.detentore_tipo, orig.detentore, orig.dal = a_tipo, a, il
    if collocazione is not None:
        orig.faldone, orig.scatola, orig.posizione = collocazione.faldone, collocazione.scatola, collocazione.posizione
    session.flush()
    return t


def richiedi(session: Session, documento_id: str, *, ente: str, oggi: date, richiesto_da: str) -> Richiesta:
    """An Ente asks for the paper original: due in 5 working days; the holder is notified."""
    orig = _originale(session, documento_id)
    doc: Documento = documento(session, documento_id)
    if (orig.detentore_tipo, orig.detentore) == ("ente", ente):
        raise Conflict("L'originale è già custodito dall'Ente richiedente.", path=("ente",))
    aperta = session.scalar(
        select(Richiesta).where(
            Richiesta.originale_id == orig.id, Richiesta.ente_richiedente == ente, Richiesta.stato != "ricevuto"
        )
    )
    if aperta is not None:
        raise Conflict("Esiste già una richiesta aperta di questo Ente per lo stesso originale.", path=("ente",))
    scadenza = aggiungi_giorni_lavorativi(oggi, GIORNI_LAVORATIVI_CONSEGNA_ORIGINALE)
    req = Richiesta(
        originale_id=orig.id, ente_richiedente=ente, detentore_tipo=orig.detentore_tipo, detentore=orig.detentore,
        richiesta_il=oggi, scadenza=scadenza, stato="richiesto", richiesto_da=richiesto_da,
    )
    session.add(req)
    session.flush()
    collocazione = ", ".join(
        f"{n} {v}" for n, v in (("faldone", orig.faldone), ("scatola", orig.scatola), ("posizione", orig.posizione)) if v
    )
    session.add(Notifica(
        destinatario_tipo=orig.detentore_tipo, destinatario=orig.detentore, richiesta_id=req.id,
        testo=(
            f"L'Ente {ente} richiede l'originale cartaceo del documento {doc.id} ({doc.tipo}"
            f"{', impianto ' + doc.codice_impianto if doc.codice_impianto else ''})"
            f"{' - ' + collocazione if collocazione else ''}. Consegna entro il {scadenza.strftime('%d/%m/%Y')} "
            f"(5 giorni lavorativi)."
        ),
    ))
    session.flush()
    return req


def _richiesta(session: Session, richiesta_id: int) -> Richiesta:
    req = session.get(Richiesta, richiesta_id)
    if req is None:
        raise NotFound(f"Richiesta {richiesta_id} inesistente.", path=("richiesta_id",))
    return req


def segna_inviato(session: Session, richiesta_id: int, *, il: date) -> Richiesta:
    """The holder has sent the paper (``richiesto → inviato``)."""
    req = _richiesta(session, richiesta_id)
    if req.stato != "richiesto":
        raise Conflict(f"La richiesta è nello stato '{req.stato}' e non può passare a 'inviato'.", path=("stato",))
    if il < req.richiesta_il:
        raise RuleViolation("La data di invio precede la richiesta.", path=("il",))
    req.stato, req.inviato_il = "inviato", il
    session.flush()
    return req


def segna_ricevuto(session: Session, richiesta_id: int, *, il: date, eseguito_da: str) -> Richiesta:
    """The Ente received the paper (``inviato → ricevuto``); custody passes to the Ente."""
    req = _richiesta(session, richiesta_id)
    if req.stato != "inviato":
        raise Conflict(f"La richiesta è nello stato '{req.stato}' e non può passare a 'ricevuto'.", path=("stato",))
    if req.inviato_il and il < req.inviato_il:
        raise RuleViolation("La data di ricezione precede l'invio.", path=("il",))
    req.stato, req.ricevuto_il = "ricevuto", il
    orig = session.get(Originale, req.originale_id)
    doc_id = orig.documento_id  # type: ignore[union-attr]
    trasferisci(session, doc_id, a_tipo="ente", a=req.ente_richiedente, il=il, eseguito_da=eseguito_da)
    return req


def in_ritardo(session: Session, oggi: date, *, detentore: str | None = None) -> list[Richiesta]:
    """Requests not yet sent whose 5-working-day deadline has passed (per CAIT when given)."""
    q = select(Richiesta).where(Richiesta.stato == "richiesto", Richiesta.scadenza < oggi)
    if detentore:
        q = q.where(Richiesta.detentore == detentore)
    return list(session.scalars(q.order_by(Richiesta.detentore, Richiesta.scadenza, Richiesta.id)))


def notifiche(session: Session, destinatario_tipo: str, destinatario: str) -> list[Notifica]:
    q = select(Notifica).where(
        Notifica.destinatario_tipo == destinatario_tipo, Notifica.destinatario == destinatario
    ).order_by(Notifica.id)
    return list(session.scalars(q))
