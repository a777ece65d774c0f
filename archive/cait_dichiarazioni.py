"""CAIT desk records, dichiarazioni and distinte: the paper G/F handed in at the desk and the distinte
that close them (tables and numbering in :mod:`archive.cait_tabelle`).

* a paper G/F handed in at the desk is one ``aperta`` dichiarazione (S1 All. 1 L5050–5058);
* :func:`chiudi_distinta` closes the open dichiarazioni it lists under one number
  ``<CAIT>/<anno>/<progressivo>``: from then on the manutentore (and the CAIT) can no longer
  change them, only the competent Ente can (S1 §15.3 L1600–1603). The rule is enforced by
  :func:`modifica_dichiarazione` with a conditional ``UPDATE … WHERE stato = 'aperta'``, so a
  closure racing with an edit leaves exactly one winner.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from archive.anagrafiche import Cait, Manutentore, OperatoreCait
from archive.cait_tabelle import Attore, Dichiarazione, Distinta, adesso, anno_locale, prossimo_progressivo
from archive.catasto import ImpiantoCatasto
from archive.db import esegui as _esegui
from archive.db import flush as _flush
from archive.errors import StorageError
from domain.codice import parse_codice_impianto
from domain.contributo import SOGLIA_PICCOLI_KW
from domain.errors import Conflict, NotFound, RuleViolation

__all__ = [
    "registra_dichiarazione",
    "modifica_dichiarazione",
    "chiudi_distinta",
    "get_dichiarazione",
    "get_distinta",
    "dichiarazioni_della_distinta",
    "distinte",
    "ultima_dichiarazione",
    "operatore_del_cait",
]


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
                      dati=dati, stato="aperta", consegnata_il=adesso())
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
    valori = {**modifiche, "modificata_il": adesso(), "modificata_da": attore.username[:64]}
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
    ora = ora or adesso()
    anno = anno_locale(ora)
    progressivo = prossimo_progressivo(session, cait_id, anno, "distinta")
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


def _testo(value: str | None, lung: int, campo: str) -> str | None:
    testo = " ".join((value or "").split()) or None
    if testo and len(testo) > lung:
        raise RuleViolation(f"Testo troppo lungo (al massimo {lung} caratteri).", path=(campo,))
    return testo
