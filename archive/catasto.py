"""Catasto impianti: the impianto record and the gap-free allocation of codici impianto.

Tables (migration ``0002_catasto``, branch ``catasto``):

* ``contatori_codice``: one counter per Comune (AMB-42, literal reading of S1 §15.1
  "Progressivo impianto per Comune": CT, IN and TR share it);
* ``impianti``: the catasto record other features read and extend (stato, Ente,
  potenza, responsabile).

Allocation is one statement, ``INSERT … ON CONFLICT DO UPDATE SET ultimo = ultimo + 1
RETURNING ultimo``, on both PostgreSQL and SQLite (≥ 3.35). On PostgreSQL the
conflicting row is locked until the transaction ends, so concurrent allocations for
a Comune queue up and each sees the committed value of the one before; SQLite
transactions start with ``BEGIN IMMEDIATE`` (``archive.db.make_engine``), which
serialises writers. The counter moves inside the caller's transaction: if that
transaction rolls back, the number is given back, so numbers stay gap-free as long
as the impianto is stored in the same transaction (``registra_impianto`` does so).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import CheckConstraint, DateTime, Engine, Integer, Numeric, String, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from archive.db import Base, session_scope
from archive.errors import StorageError
from domain.codice import PROGRESSIVO_MAX, codice_impianto, parse_codice_impianto, valida_tipologia
from domain.enti import ente_competente
from domain.errors import Conflict, NotFound, RuleViolation
from domain.identificativi import valida_istat_comune
from domain.istat import comune_by_istat

__all__ = [
    "ContatoreCodice",
    "ImpiantoCatasto",
    "STATI_IMPIANTO",
    "StatoImpianto",
    "AmbitoProgressivo",
    "AMBITO_PROGRESSIVO",
    "alloca_codice",
    "registra_impianto",
    "crea_impianto",
    "get_impianto",
]

StatoImpianto = Literal["da ispezionare", "certificato", "anomalo", "rottamato"]
STATI_IMPIANTO: tuple[str, ...] = ("da ispezionare", "certificato", "anomalo", "rottamato")
"""The impianto states of S1 L1325–1326."""

AmbitoProgressivo = Literal["comune", "tipologia"]

AMBITO_PROGRESSIVO: AmbitoProgressivo = "comune"
"""AMB-42. ``comune`` (project decision, literal reading): one progressive per Comune shared by
CT/IN/TR, so 020066CT0000001 and 020066IN0000002 can coexist but never 020066IN0000001.
``tipologia``: one progressive per Comune and tipologia."""

_AMBITO_COMUNE = "*"


class ContatoreCodice(Base):
    """Last progressive handed out, per Comune (and per tipologia if AMB-42 is read that way)."""

    __tablename__ = "contatori_codice"

    istat: Mapped[str] = mapped_column(String(6), primary_key=True)
    ambito: Mapped[str] = mapped_column(String(2), primary_key=True, default=_AMBITO_COMUNE)
    """``*`` for the per-Comune counter (AMB-42 literal); ``CT``/``IN``/``TR`` otherwise."""
    ultimo: Mapped[int] = mapped_column(Integer, nullable=False)


class ImpiantoCatasto(Base):
    """One impianto termico of the catasto (FORMS.md §13.1 ``Impianto``, §14)."""

    __tablename__ = "impianti"
    __table_args__ = (
        CheckConstraint("stato IN ('da ispezionare', 'certificato', 'anomalo', 'rottamato')", name="stato"),
        CheckConstraint("tipologia IN ('CT', 'IN', 'TR')", name="tipologia"),
    )

    codice_impianto: Mapped[str] = mapped_column(String(15), primary_key=True)
    istat: Mapped[str] = mapped_column(String(6), index=True)
    tipologia: Mapped[str] = mapped_column(String(2))
    indirizzo: Mapped[str] = mapped_column(String(200))
    civico: Mapped[str | None] = mapped_column(String(20))
    palazzo: Mapped[str | None] = mapped_column(String(40))
    scala: Mapped[str | None] = mapped_column(String(20))
    piano: Mapped[str | None] = mapped_column(String(20))
    interno: Mapped[str | None] = mapped_column(String(20))
    cap: Mapped[str | None] = mapped_column(String(5))
    localita: Mapped[str | None] = mapped_column(String(100))
    comune: Mapped[str] = mapped_column(String(100))
    provincia: Mapped[str] = mapped_column(String(2))
    stato: Mapped[str] = mapped_column(String(20), default="da ispezionare")
    ente_id: Mapped[str] = mapped_column(String(60), index=True)
    potenza_focolare_totale_kw: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    chiave_esterna: Mapped[str | None] = mapped_column(String(60))
    """The "chiave esterna gestibile dall'ente" (S1 L1259–1261)."""
    responsabile_ragione_sociale: Mapped[str | None] = mapped_column(String(200))
    responsabile_cognome_nome: Mapped[str | None] = mapped_column(String(200))
    responsabile_cf: Mapped[str | None] = mapped_column(String(16), index=True)
    responsabile_indirizzo: Mapped[str | None] = mapped_column(String(200))
    responsabile_comune: Mapped[str | None] = mapped_column(String(100))
    responsabile_telefono: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def _ambito(tipologia: str, ambito: AmbitoProgressivo) -> str:
    if ambito == "comune":
        return _AMBITO_COMUNE
    if ambito == "tipologia":
        return tipologia
    raise RuleViolation("Ambito del progressivo sconosciuto: 'comune' o 'tipologia'.", path=("ambito",))


def _prossimo(session: Session, istat: str, ambito: str) -> int:
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:  # pragma: no cover - only the two supported databases are configured
        raise StorageError("Database non supportato per l'assegnazione dei codici impianto.")
    tabella = ContatoreCodice.__table__
    stmt = (
        insert(tabella)
        .values(istat=istat, ambito=ambito, ultimo=1)
        .on_conflict_do_update(index_elements=["istat", "ambito"], set_={"ultimo": tabella.c.ultimo + 1})
        .returning(tabella.c.ultimo)
    )
    return session.execute(stmt).scalar_one()


def alloca_codice(
    session_or_engine: Session | Engine,
    istat: str,
    tipologia: str,
    *,
    ambito: AmbitoProgressivo = AMBITO_PROGRESSIVO,
) -> str:
    """Allocate the next codice impianto of a Comune (FORMS.md §14.1): ``020066CT0000001``.

    With a ``Session`` the counter moves inside the caller's transaction (store the impianto
    in the same one); with an ``Engine`` the allocation is committed at once.
    """
    try:
        istat = valida_istat_comune(istat)
    except ValueError as exc:
        raise RuleViolation(str(exc), path=("istat",)) from None
    tipo = valida_tipologia(tipologia)
    chiave = _ambito(tipo, ambito)
    if isinstance(session_or_engine, Engine):
        with session_scope(session_or_engine) as session:
            return alloca_codice(session, istat, tipo, ambito=ambito)
    try:
        numero = _prossimo(session_or_engine, istat, chiave)
    except SQLAlchemyError as exc:
        raise StorageError() from exc
    if numero > PROGRESSIVO_MAX:
        raise Conflict(f"Progressivi esauriti per il comune {istat}: superato {PROGRESSIVO_MAX}.", path=("istat",))
    return codice_impianto(istat, tipo, numero)


def registra_impianto(session: Session, impianto: ImpiantoCatasto, *, ambito: AmbitoProgressivo = AMBITO_PROGRESSIVO) -> str:
    """Store a new impianto, allocating its code in the same transaction unless it already has one
    ("fatto salvo che l'impianto non sia stato già codificato in precedenza", S1 L1487–1490)."""
    if impianto.stato is not None and impianto.stato not in STATI_IMPIANTO:
        raise RuleViolation("Stato impianto non ammesso: " + ", ".join(STATI_IMPIANTO) + ".", path=("stato",))
    if not impianto.ente_id:
        raise RuleViolation("Indicare l'Ente competente dell'impianto.", path=("ente_id",))
    comune = comune_by_istat(impianto.istat or "")
    if comune is not None:
        impianto.comune = impianto.comune or comune.nome
        impianto.provincia = impianto.provincia or comune.sigla_provincia
    if impianto.codice_impianto:
        parsed = parse_codice_impianto(impianto.codice_impianto)
        if parsed.istat != impianto.istat or parsed.tipologia != impianto.tipologia:
            raise RuleViolation("Il codice impianto non corrisponde a comune e tipologia.", path=("codice_impianto",))
    else:
        impianto.codice_impianto = alloca_codice(session, impianto.istat, impianto.tipologia, ambito=ambito)
    session.add(impianto)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"L'impianto {impianto.codice_impianto} è già nel catasto.", path=("codice_impianto",)) from exc
    except SQLAlchemyError as exc:
        raise StorageError() from exc
    return impianto.codice_impianto


def crea_impianto(
    session: Session,
    *,
    istat: str,
    tipologia: str,
    indirizzo: str,
    ente_id: str | None = None,
    ambito: AmbitoProgressivo = AMBITO_PROGRESSIVO,
    **campi: Any,
) -> str:
    """Keyword form of :func:`registra_impianto`; ``ente_id`` defaults to the competent Ente of the
    shipped registry (FORMS.md §0.7). Returns the new codice impianto."""
    if ente_id is None:
        ente_id = ente_competente(istat).id
    impianto = ImpiantoCatasto(istat=istat, tipologia=valida_tipologia(tipologia), indirizzo=indirizzo, ente_id=ente_id, **campi)
    return registra_impianto(session, impianto, ambito=ambito)


def get_impianto(session: Session, codice: str) -> ImpiantoCatasto:
    """The catasto record of an impianto; NotFound if the code was never registered."""
    parsed = parse_codice_impianto(codice)
    try:
        found = session.scalars(select(ImpiantoCatasto).where(ImpiantoCatasto.codice_impianto == str(parsed))).first()
    except SQLAlchemyError as exc:
        raise StorageError() from exc
    if found is None:
        raise NotFound(f"Impianto {parsed} non presente nel catasto.", path=("codice_impianto",))
    return found
