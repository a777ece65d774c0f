"""CAIT desk records: dichiarazioni handed in, distinte that close them, ricevute, Portafoglio.

Tables (migration ``0006_cait``, branch ``cait_documenti``)::

    cait_dichiarazioni ──distinta_id──▶ cait_distinte
    cait_ricevute ◀──ricevuta_id── cait_ricevute_righe
    portafoglio_movimenti ──ricevuta_id──▶ cait_ricevute
    cait_contatori (cait_id, anno, serie) → last progressive of distinte / ricevute

* a paper G/F handed in at the desk is one ``aperta`` dichiarazione (S1 All. 1 L5050–5058);
* :func:`chiudi_distinta` closes the open dichiarazioni it lists under one number
  ``<CAIT>/<anno>/<progressivo>``: from then on the manutentore (and the CAIT) can no longer
  change them, only the competent Ente can (S1 §15.3 L1600–1603). The rule is enforced by
  :func:`modifica_dichiarazione` with a conditional ``UPDATE … WHERE stato = 'aperta'``, so a
  closure racing with an edit leaves exactly one winner;
* :func:`vendi_etichette` sells etichette through :func:`archive.etichette.vendi` and issues
  one ricevuta; :func:`ricarica_portafoglio` records a Portafoglio top-up with its ricevuta.

Gap-free numbering: a progressive is one ``INSERT … ON CONFLICT DO UPDATE SET ultimo =
ultimo + 1 RETURNING ultimo`` on the counter row, run in the caller's transaction together
with the sale/closure it numbers. PostgreSQL holds the counter row lock until commit (the
next seller waits and reads the committed value); SQLite serialises writers at ``BEGIN
IMMEDIATE`` (archive/db.py). A sale that fails rolls its counter move back with it, so the
numbers issued in a year are exactly 1…N.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.anagrafiche import Cait, Manutentore, OperatoreCait
from archive.catasto import ImpiantoCatasto
from archive.db import Base
from archive.db import esegui as _esegui
from archive.db import flush as _flush
from archive.errors import StorageError
from archive.etichette import Autore, vendi
from domain.codice import parse_codice_impianto
from domain.contributo import SOGLIA_PICCOLI_KW
from domain.errors import Conflict, NotFound, RuleViolation
from domain.tariffe import TabellaQuote, fascia_per_codice

__all__ = [
    "Attore",
    "Dichiarazione",
    "Distinta",
    "Ricevuta",
    "RigaRicevuta",
    "MovimentoPortafoglio",
    "ContatoreCait",
    "MEZZI_PAGAMENTO",
    "registra_dichiarazione",
    "modifica_dichiarazione",
    "chiudi_distinta",
    "vendi_etichette",
    "ricarica_portafoglio",
    "saldo_portafoglio",
    "get_dichiarazione",
    "get_distinta",
    "get_ricevuta",
    "dichiarazioni_della_distinta",
    "distinte",
    "ricevute_del_periodo",
    "righe_ricevuta",
    "ultima_dichiarazione",
    "operatore_del_cait",
]

MEZZI_PAGAMENTO: tuple[str, ...] = ("contanti", "POS", "bonifico", "portafoglio")
"""How a ricevuta was paid; ``portafoglio`` draws on the manutentore's prepaid balance (S2)."""
_RICARICA_MAX = Decimal("10000.00")
_CENT = Decimal("0.01")


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------- tables


class ContatoreCait(Base):
    """Last progressive per CAIT, year and series (``distinta`` / ``ricevuta``)."""

    __tablename__ = "cait_contatori"
    cait_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    anno: Mapped[int] = mapped_column(Integer, primary_key=True)
    serie: Mapped[str] = mapped_column(String(10), primary_key=True)
    ultimo: Mapped[int] = mapped_column(Integer)


class Distinta(Base):
    """Distinta-ricevuta cumulativa: one visit of a manutentore at the CAIT desk, closed."""

    __tablename__ = "cait_distinte"
    __table_args__ = (UniqueConstraint("cait_id", "anno", "progressivo", name="uq_cait_distinte_cait_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    numero: Mapped[str] = mapped_column(String(60), unique=True)
    cait_id: Mapped[str] = mapped_column(ForeignKey("cait.id"), index=True)
    anno: Mapped[int] = mapped_column(Integer)
    progressivo: Mapped[int] = mapped_column(Integer)
    manutentore_id: Mapped[int] = mapped_column(ForeignKey("manutentori.id"), index=True)
    operatore_id: Mapped[int] = mapped_column(ForeignKey("operatori_cait.id"))
    operatore: Mapped[str] = mapped_column(String(200))
    """Operator's name at closure time (printed; the account may be renamed later)."""
    chiusa_il: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    utente: Mapped[str] = mapped_column(String(64))


class Dichiarazione(Base):
    """A paper G/F handed in at the CAIT desk, keyed in, ``aperta`` until a distinta closes it."""

    __tablename__ = "cait_dichiarazioni"
    __table_args__ = (
        UniqueConstraint("codice_impianto", "tipo", "data_controllo", name="uq_cait_dichiarazioni_codice_impianto"),
        CheckConstraint("tipo IN ('G', 'F')", name="tipo"),
        CheckConstraint("stato IN ('aperta', 'chiusa')", name="stato"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cait_id: Mapped[str] = mapped_column(ForeignKey("cait.id"), index=True)
    manutentore_id: Mapped[int] = mapped_column(ForeignKey("manutentori.id"), index=True)
    codice_impianto: Mapped[str] = mapped_column(String(15), index=True)
    ente_id: Mapped[str] = mapped_column(String(60), index=True)
    tipo: Mapped[str] = mapped_column(String(1))
    data_controllo: Mapped[date] = mapped_column(Date)
    numero_etichetta: Mapped[str | None] = mapped_column(String(40), nullable=True)
    anomalie: Mapped[str | None] = mapped_column(String(500), nullable=True)
    """Anomalies the CAIT operator flagged at the formal check (S1 All. 1 L5007–5012)."""
    pregiudica_sicurezza: Mapped[bool] = mapped_column(Boolean, default=False)
    """Prescrizioni/anomalies that compromise safety (the 'evidenza elettronica', S1 L5033–5041)."""
    dati: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    """The keyed-in G/F record (FORMS.md keys), when the desk typed it in."""
    stato: Mapped[str] = mapped_column(String(8), default="aperta")
    distinta_id: Mapped[int | None] = mapped_column(ForeignKey("cait_distinte.id"), nullable=True, index=True)
    consegnata_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    modificata_il: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    modificata_da: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Ricevuta(Base):
    """A numbered receipt: etichette sold, or a Portafoglio top-up."""

    __tablename__ = "cait_ricevute"
    __table_args__ = (
        UniqueConstraint("cait_id", "anno", "progressivo", name="uq_cait_ricevute_cait_id"),
        CheckConstraint("causale IN ('etichette', 'ricarica')", name="causale"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    numero: Mapped[str] = mapped_column(String(60), unique=True)
    cait_id: Mapped[str] = mapped_column(ForeignKey("cait.id"), index=True)
    anno: Mapped[int] = mapped_column(Integer)
    progressivo: Mapped[int] = mapped_column(Integer)
    manutentore_id: Mapped[int] = mapped_column(ForeignKey("manutentori.id"), index=True)
    causale: Mapped[str] = mapped_column(String(10))
    pagamento: Mapped[str] = mapped_column(String(12))
    operatore: Mapped[str] = mapped_column(String(200))
    emessa_il: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    totale: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    utente: Mapped[str] = mapped_column(String(64))


class RigaRicevuta(Base):
    """One line of a ricevuta: one etichetta (Ente quota + contributo regionale) or the top-up."""

    __tablename__ = "cait_ricevute_righe"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ricevuta_id: Mapped[int] = mapped_column(ForeignKey("cait_ricevute.id"), index=True)
    posizione: Mapped[int] = mapped_column(Integer)
    descrizione: Mapped[str] = mapped_column(String(200))
    numero_etichetta: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ente_id: Mapped[str | None] = mapped_column(String(60), nullable=True)
    tipo: Mapped[str | None] = mapped_column(String(1), nullable=True)
    fascia: Mapped[str | None] = mapped_column(String(2), nullable=True)
    quota_ente: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    contributo_regionale: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    importo: Mapped[Decimal] = mapped_column(Numeric(10, 2))


class MovimentoPortafoglio(Base):
    """One move of a manutentore's Portafoglio: top-up (+) or purchase paid from it (−)."""

    __tablename__ = "portafoglio_movimenti"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    manutentore_id: Mapped[int] = mapped_column(ForeignKey("manutentori.id"), index=True)
    cait_id: Mapped[str] = mapped_column(ForeignKey("cait.id"))
    istante: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    causale: Mapped[str] = mapped_column(String(10))
    importo: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    ricevuta_id: Mapped[int | None] = mapped_column(ForeignKey("cait_ricevute.id"), nullable=True)
    utente: Mapped[str] = mapped_column(String(64))


# --------------------------------------------------------------------------- who acts


@dataclass(frozen=True)
class Attore:
    """Who reads or changes a record, and the tenant that confines them."""

    username: str
    """Account name (``cli:<login>`` on the command line)."""
    ruolo: str
    """``manutentore``, ``cait``, ``ente``, ``admin`` or ``cli`` (the last two see everything)."""
    cait_id: str | None = None
    manutentore_id: int | None = None
    ente_id: str | None = None

    @property
    def pieni_poteri(self) -> bool:
        return self.ruolo in ("admin", "cli")

    def vede(self, d: Dichiarazione) -> bool:
        if self.pieni_poteri:
            return True
        return ((self.ruolo == "cait" and d.cait_id == self.cait_id)
                or (self.ruolo == "manutentore" and d.manutentore_id == self.manutentore_id)
                or (self.ruolo == "ente" and d.ente_id == self.ente_id))

    def puo_modificare_chiusa(self, d: Dichiarazione) -> bool:
        """After closure only the competent Ente may edit (S1 §15.3); admin keeps full powers."""
        return self.ruolo == "admin" or (self.ruolo == "ente" and d.ente_id == self.ente_id)


# --------------------------------------------------------------------------- numbering


def _prossimo(session: Session, cait_id: str, anno: int, serie: str) -> int:
    """Move the (CAIT, year, series) counter by one inside the caller's transaction."""
    ins = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(session.get_bind().dialect.name)
    if ins is None:  # pragma: no cover - only the two supported databases are configured
        raise StorageError("Database non supportato per la numerazione dei documenti CAIT.")
    t = ContatoreCait.__table__
    stmt = (ins(t).values(cait_id=cait_id, anno=anno, serie=serie, ultimo=1)
            .on_conflict_do_update(index_elements=["cait_id", "anno", "serie"], set_={"ultimo": t.c.ultimo + 1})
            .returning(t.c.ultimo))
    return _esegui(session, stmt).scalar_one()


def _anno_locale(ora: datetime) -> int:
    from zoneinfo import ZoneInfo

    return ora.astimezone(ZoneInfo("Europe/Rome")).year


# --------------------------------------------------------------------------- dichiarazioni


def registra_dichiarazione(session: Session, *, cait_id: str, manutentore_id: int, codice_impianto: str, tipo: str,
                           data_controllo: date, numero_etichetta: str | None = None, anomalie: str | None = None,
                           pregiudica_sicurezza: bool = False, dati: dict[str, Any] | None = None,
                           oggi: date | None = None) -> Dichiarazione:
    """Record one paper G/F handed in at the desk (state ``aperta``).

    The impianto must be in the catasto (its Ente becomes the addressee of the lettera di
    trasmissione); the model must match the impianto's power (G < 35 kW ≤ F) when known.
    """
    if session.get(Cait, cait_id) is None:
        raise NotFound(f"CAIT {cait_id} non registrato.", path=("cait_id",))
    m = session.get(Manutentore, manutentore_id)
    if m is None or m.cait_id != cait_id:
        raise NotFound("Manutentore non associato a questo CAIT.", path=("manutentore_id",))
    codice = str(parse_codice_impianto(codice_impianto))
    impianto = session.get(ImpiantoCatasto, codice)
    if impianto is None:
        raise NotFound(f"L'impianto {codice} non è nel catasto.", path=("codice_impianto",))
    tipo = (tipo or "").strip().upper()
    _verifica_tipo(tipo, impianto.potenza_focolare_totale_kw)
    if oggi is not None and data_controllo > oggi:
        raise RuleViolation("La data del controllo non può essere nel futuro.", path=("data_controllo",))
    d = Dichiarazione(cait_id=cait_id, manutentore_id=manutentore_id, codice_impianto=codice,
                      ente_id=impianto.ente_id, tipo=tipo, data_controllo=data_controllo,
                      numero_etichetta=_testo(numero_etichetta, 40, "numero_etichetta"),
                      anomalie=_testo(anomalie, 500, "anomalie"), pregiudica_sicurezza=bool(pregiudica_sicurezza),
                      dati=dati, stato="aperta", consegnata_il=_now())
    try:
        with session.begin_nested():  # a duplicate leaves the caller's transaction usable
            session.add(d)
    except IntegrityError as exc:
        raise Conflict(f"La dichiarazione (Allegato {tipo}) dell'impianto {codice} del {data_controllo:%d/%m/%Y} "
                       "è già stata consegnata.", path=("codice_impianto",)) from exc
    except SQLAlchemyError as exc:
        raise StorageError() from exc
    return d


_MODIFICABILI = ("data_controllo", "numero_etichetta", "anomalie", "pregiudica_sicurezza", "dati")


def modifica_dichiarazione(session: Session, dichiarazione_id: int, attore: Attore, **modifiche: Any) -> Dichiarazione:
    """Change a dichiarazione: manutentore/CAIT only while ``aperta``; the competent Ente always."""
    ignoti = sorted(set(modifiche) - set(_MODIFICABILI))
    if ignoti:
        raise RuleViolation(f"Campo non modificabile: {ignoti[0]}. Modificabili: {', '.join(_MODIFICABILI)}.",
                            path=(ignoti[0],))
    d = get_dichiarazione(session, dichiarazione_id, attore)
    if attore.ruolo not in ("manutentore", "cait", "ente", "admin", "cli"):
        raise Conflict("Questo profilo non può modificare le dichiarazioni.", path=("ruolo",))
    for nome, lung in (("numero_etichetta", 40), ("anomalie", 500)):
        if nome in modifiche:
            modifiche[nome] = _testo(modifiche[nome], lung, nome)
    valori = {**modifiche, "modificata_il": _now(), "modificata_da": attore.username[:64]}
    stmt = update(Dichiarazione).where(Dichiarazione.id == d.id)
    if not attore.puo_modificare_chiusa(d):
        stmt = stmt.where(Dichiarazione.stato == "aperta")
    if _esegui(session, stmt.values(**valori)).rowcount != 1:
        _rifiuta_chiusa(session, _ricarica(session, d.id))
    return _ricarica(session, d.id)


def _rifiuta_chiusa(session: Session, d: Dichiarazione) -> None:
    distinta = session.get(Distinta, d.distinta_id) if d.distinta_id else None
    estremi = f" con la distinta {distinta.numero} del {distinta.chiusa_il:%d/%m/%Y}" if distinta else ""
    raise Conflict(f"La dichiarazione dell'impianto {d.codice_impianto} è stata chiusa{estremi}: "
                   "il manutentore non può più modificarla, solo l'Ente competente (Disposizioni §15.3).",
                   path=("stato",))


def get_dichiarazione(session: Session, dichiarazione_id: int, attore: Attore) -> Dichiarazione:
    d = _ricarica(session, dichiarazione_id)
    if d is None or not attore.vede(d):
        raise NotFound("Dichiarazione non trovata.", path=("dichiarazione_id",))
    return d


def _ricarica(session: Session, dichiarazione_id: int) -> Any:
    try:
        return session.scalar(select(Dichiarazione).where(Dichiarazione.id == dichiarazione_id)
                              .execution_options(populate_existing=True))
    except SQLAlchemyError as exc:
        raise StorageError() from exc


def ultima_dichiarazione(session: Session, codice_impianto: str) -> Dichiarazione | None:
    """The most recent keyed-in dichiarazione of an impianto (source of generatori, consumi…)."""
    return session.scalar(select(Dichiarazione).where(Dichiarazione.codice_impianto == codice_impianto,
                                                      Dichiarazione.dati.is_not(None))
                          .order_by(Dichiarazione.data_controllo.desc(), Dichiarazione.id.desc()).limit(1))


# --------------------------------------------------------------------------- distinte


def operatore_del_cait(session: Session, cait_id: str, operatore: str | int) -> OperatoreCait:
    """An active operator of ``cait_id`` by id or username."""
    chiave = str(operatore).strip()
    cond = OperatoreCait.id == int(chiave) if chiave.isdigit() else OperatoreCait.username == chiave
    op = session.scalar(select(OperatoreCait).where(cond, OperatoreCait.cait_id == cait_id))
    if op is None:
        raise NotFound(f"Operatore {chiave} non registrato presso il CAIT {cait_id}.", path=("operatore",))
    if not op.attivo:
        raise Conflict(f"L'operatore {op.cognome_nome} non è attivo.", path=("operatore",))
    return op


def chiudi_distinta(session: Session, *, cait_id: str, manutentore_id: int, operatore: str | int,
                    dichiarazioni: Sequence[int] | None = None, utente: str, ora: datetime | None = None) -> Distinta:
    """Close the manutentore's open dichiarazioni at this CAIT (all, or those listed) under one
    new distinta number; they become read-only for the manutentore (S1 §15.3, All. 1 L5026–5032)."""
    op = operatore_del_cait(session, cait_id, operatore)
    stmt = select(Dichiarazione.id).where(Dichiarazione.cait_id == cait_id,
                                          Dichiarazione.manutentore_id == manutentore_id,
                                          Dichiarazione.stato == "aperta")
    aperte = set(session.scalars(stmt))
    scelte = sorted(set(dichiarazioni)) if dichiarazioni else sorted(aperte)
    if not scelte:
        raise RuleViolation("Nessuna dichiarazione aperta da chiudere per questo manutentore.",
                            path=("dichiarazioni",))
    estranee = [i for i in scelte if i not in aperte]
    if estranee:
        raise Conflict(f"La dichiarazione {estranee[0]} non è aperta presso questo CAIT per questo manutentore.",
                       path=("dichiarazioni",))
    ora = ora or _now()
    anno = _anno_locale(ora)
    progressivo = _prossimo(session, cait_id, anno, "distinta")
    distinta = Distinta(numero=f"{cait_id}/{anno}/{progressivo:06d}", cait_id=cait_id, anno=anno,
                        progressivo=progressivo, manutentore_id=manutentore_id, operatore_id=op.id,
                        operatore=op.cognome_nome, chiusa_il=ora, utente=utente[:64])
    session.add(distinta)
    _flush(session)
    chiuse = _esegui(session, update(Dichiarazione)
                     .where(Dichiarazione.id.in_(scelte), Dichiarazione.stato == "aperta",
                            Dichiarazione.cait_id == cait_id, Dichiarazione.manutentore_id == manutentore_id)
                     .values(stato="chiusa", distinta_id=distinta.id)).rowcount
    if chiuse != len(scelte):
        raise Conflict("Alcune dichiarazioni sono state chiuse da un'altra operazione: riprovare.",
                       path=("dichiarazioni",))
    return distinta


def get_distinta(session: Session, distinta: int | str, attore: Attore) -> Distinta:
    """A distinta by id or number, as seen by ``attore`` (NotFound outside its tenant)."""
    cond = Distinta.id == distinta if isinstance(distinta, int) else Distinta.numero == str(distinta).strip()
    d = session.scalar(select(Distinta).where(cond))
    visibile = d is not None and (
        attore.pieni_poteri
        or (attore.ruolo == "cait" and d.cait_id == attore.cait_id)
        or (attore.ruolo == "manutentore" and d.manutentore_id == attore.manutentore_id)
        or (attore.ruolo == "ente" and session.scalar(select(Dichiarazione.id).where(
            Dichiarazione.distinta_id == d.id, Dichiarazione.ente_id == attore.ente_id).limit(1)) is not None))
    if not visibile:
        raise NotFound("Distinta non trovata.", path=("distinta",))
    return d


def dichiarazioni_della_distinta(session: Session, distinta_id: int) -> list[Dichiarazione]:
    return list(session.scalars(select(Dichiarazione).where(Dichiarazione.distinta_id == distinta_id)
                                .order_by(Dichiarazione.ente_id, Dichiarazione.codice_impianto, Dichiarazione.id)))


def distinte(session: Session, attore: Attore) -> list[Distinta]:
    """The distinte ``attore`` may see (CAIT: issued; manutentore: received), newest first."""
    stmt = select(Distinta).order_by(Distinta.chiusa_il.desc(), Distinta.id.desc())
    if attore.ruolo == "cait":
        stmt = stmt.where(Distinta.cait_id == attore.cait_id)
    elif attore.ruolo == "manutentore":
        stmt = stmt.where(Distinta.manutentore_id == attore.manutentore_id)
    elif not attore.pieni_poteri:
        return []
    return list(session.scalars(stmt))


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
    ora = ora or _now()
    anno = _anno_locale(ora)
    progressivo = _prossimo(session, cait_id, anno, "ricevuta")
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


def _verifica_tipo(tipo: str, potenza: Decimal | None) -> None:
    if tipo not in ("G", "F"):
        raise RuleViolation("Tipo di dichiarazione non valido: G (< 35 kW) oppure F (≥ 35 kW).", path=("tipo",))
    if potenza is None:
        return
    atteso = "G" if Decimal(potenza) < SOGLIA_PICCOLI_KW else "F"
    if tipo != atteso:
        raise RuleViolation(f"L'impianto ha potenza al focolare {potenza} kW: va dichiarato con l'Allegato {atteso}.",
                            path=("tipo",))


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


def _testo(value: str | None, lung: int, campo: str) -> str | None:
    testo = " ".join((value or "").split()) or None
    if testo and len(testo) > lung:
        raise RuleViolation(f"Testo troppo lungo (al massimo {lung} caratteri).", path=(campo,))
    return testo


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


