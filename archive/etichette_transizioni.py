"""Transitions of the etichette stock, each with its refusal checks and one history row per number
moved (FORMS.md §15, §17; S1 §10.5): :func:`genera_lotto`, :func:`assegna_a_cait`, :func:`vendi`,
:func:`vincola`, :func:`svincola`, :func:`annulla`.

Every transition appends one ``movimenti_etichette`` row (who, when, from/to, details);
the database refuses UPDATE and DELETE on that table (migration 0005).

Concurrency: a transition is one conditional ``UPDATE … WHERE stato = <expected>`` whose
rowcount decides the winner. PostgreSQL re-checks the WHERE after the row lock is
released, SQLite serialises writers at ``BEGIN IMMEDIATE`` (archive/db.py): of two
concurrent sales of the same number exactly one updates a row, the other gets
:class:`~domain.errors.Conflict`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive.anagrafiche import Cait, CaitEnte, Manutentore
from archive.db import esegui as _esegui
from archive.db import flush as _flush
from archive.errors import StorageError
from archive.etichette_lettura import compatto_di, riga_attuale, stato
from archive.etichette_tabelle import (PROGRESSIVO_MAX, QUANTITA_MAX, TIPI, TUTTO, Ambito, Autore,
                                      ContatoreEtichette, Etichetta, LottoEtichette, MovimentoEtichetta, Vendita,
                                      adesso_utc)
from domain.codice import parse_codice_impianto
from domain.contributo import fascia_potenza
from domain.enti import Ente, ente_competente
from domain.errors import Conflict, NotFound, RuleViolation
from domain.etichetta import numero_etichetta, prefisso_ente
from domain.stagione import Stagione
from domain.tariffe import TabellaQuote, fascia_per_codice, prezzo_per_fascia

__all__ = ["genera_lotto", "assegna_a_cait", "vendi", "vincola", "svincola", "annulla"]


def genera_lotto(session: Session, ente: Ente, tipo: str, quantita: int, *, stagione: Stagione,
                 fascia: str | None = None, autore: Autore) -> list[str]:
    """Allocate ``quantita`` new numbers of ``ente`` (state ``generata``); returns them (compact form) in order.

    G etichette are always band ``F1`` (< 35 kW); F etichette need the band of the
    impianti they are for (``F2`` … ``F5``), since the price depends on it (§15, §17).
    Progressives are gap-free per (Ente, stagione, tipo) and never reused.
    """
    tipo, fascia = _tipo_e_fascia(tipo, fascia)
    if not 1 <= quantita <= QUANTITA_MAX:
        raise RuleViolation(f"La quantità deve essere tra 1 e {QUANTITA_MAX}.", path=("quantita",))
    prefisso = prefisso_ente(ente.tipo, ente.sigla, ente.istat)
    ultimo = _riserva(session, ente.id, stagione.label, tipo, quantita)
    dal = ultimo - quantita + 1
    if ultimo > PROGRESSIVO_MAX:
        raise Conflict(f"Numerazione esaurita per {ente.denominazione}, stagione {stagione.label}, tipo {tipo}: "
                       f"restano {max(PROGRESSIVO_MAX - dal + 1, 0)} numeri.", path=("quantita",))
    numeri = [numero_etichetta(prefisso, stagione.start_year, tipo, p, fascia).compatto  # type: ignore[arg-type]
              for p in range(dal, ultimo + 1)]
    lotto = LottoEtichette(ente_id=ente.id, tipo=tipo, stagione=stagione.label, fascia=fascia, dal=dal, al=ultimo,
                           primo=numeri[0], ultimo=numeri[-1], creato_da=autore.username)
    session.add(lotto)
    _flush(session)
    comuni = {"lotto_id": lotto.id, "ente_id": ente.id, "tipo": tipo, "stagione": stagione.label, "fascia": fascia,
              "stato": "generata"}
    try:
        _esegui(session, insert(Etichetta), [dict(comuni, numero=n, progressivo=p)
                                              for n, p in zip(numeri, range(dal, ultimo + 1))])
    except IntegrityError as exc:  # another Ente with the same prefix (misconfigured registry)
        raise Conflict(f"I numeri {numeri[0]}…{numeri[-1]} esistono già: controllare il prefisso dell'Ente.",
                       path=("ente_id",)) from exc
    _storia(session, numeri, autore, "generata", None, {"lotto_id": lotto.id, "dal": numeri[0], "al": numeri[-1]})
    return numeri


def assegna_a_cait(session: Session, cait_id: str, numeri: Sequence[str] | None = None, *, dal: str | None = None,
                   al: str | None = None, ente_id: str, autore: Autore) -> list[str]:
    """Hand etichette of ``ente_id`` to a CAIT in conto vendita: a list, or the range ``dal``…``al``.

    All or nothing: every number must belong to the Ente and still be ``generata``, and the
    CAIT must have a convention with the Ente.
    """
    if session.get(Cait, cait_id) is None:
        raise NotFound(f"CAIT {cait_id} non registrato.", path=("cait_id",))
    if session.get(CaitEnte, (cait_id, ente_id)) is None:
        raise RuleViolation(f"Il CAIT {cait_id} non ha una convenzione con l'Ente {ente_id}: "
                            "non può ricevere le sue etichette.", path=("cait_id",))
    righe = _selezione(session, numeri, dal, al, Ambito(ente_id=ente_id))
    non_libere = [r for r in righe if r.stato != "generata"]
    if non_libere:
        elenco = ", ".join(f"{r.numero} ({r.stato})" for r in non_libere[:5])
        altre = f" e altre {len(non_libere) - 5}" if len(non_libere) > 5 else ""
        raise Conflict(f"Si possono assegnare solo etichette appena generate: {elenco}{altre}.", path=("numeri",))
    elenco_numeri = [r.numero for r in righe]
    adesso = adesso_utc()
    aggiornate = 0
    for blocco in _blocchi(elenco_numeri):
        aggiornate += _esegui(session, update(Etichetta)
                              .where(Etichetta.numero.in_(blocco), Etichetta.stato == "generata")
                              .values(stato="assegnata", cait_id=cait_id, assegnata_il=adesso)).rowcount
    if aggiornate != len(elenco_numeri):
        raise Conflict("Alcune etichette sono state movimentate da un'altra operazione: riprovare.", path=("numeri",))
    _storia(session, elenco_numeri, autore, "assegnata", "generata", {"cait_id": cait_id})
    return elenco_numeri


def vendi(session: Session, numero: str, cait_id: str, manutentore_id: int, *, autore: Autore,
          ambito: Ambito = TUTTO, quote: TabellaQuote | None = None) -> Vendita:
    """The CAIT ``cait_id`` sells one etichetta of its stock to a manutentore (exactly one concurrent sale wins)."""
    numero = compatto_di(numero)
    riga = riga_attuale(session, numero, ambito)
    if session.get(Manutentore, manutentore_id) is None:
        raise NotFound("Manutentore non registrato.", path=("manutentore_id",))
    prezzo = prezzo_per_fascia(riga.ente_id, riga.fascia, quote=quote)
    adesso = adesso_utc()
    esito = _esegui(session, update(Etichetta)
                    .where(Etichetta.numero == numero, Etichetta.stato == "assegnata", Etichetta.cait_id == cait_id)
                    .values(stato="venduta", manutentore_id=manutentore_id, venduta_il=adesso,
                            contributo_regionale=prezzo.contributo_regionale, quota_ente=prezzo.quota_ente))
    if esito.rowcount != 1:
        _rifiuta_vendita(riga_attuale(session, numero, TUTTO), cait_id)
    _storia(session, [numero], autore, "venduta", "assegnata", {
        "cait_id": cait_id, "manutentore_id": manutentore_id, "fascia": riga.fascia,
        "contributo_regionale": str(prezzo.contributo_regionale), "quota_ente": str(prezzo.quota_ente),
        "totale": str(prezzo.totale)})
    return Vendita(numero, riga.ente_id, cait_id, manutentore_id, riga.fascia, prezzo.contributo_regionale,
                   prezzo.quota_ente, adesso)


def vincola(session: Session, numero: str, codice_impianto: str, tipo_dichiarazione: str, data_controllo: date, *,
            autore: Autore, ambito: Ambito = TUTTO, potenza_focolare_kw: Decimal | None = None) -> dict[str, Any]:
    """Bind a sold etichetta to exactly one G/F dichiarazione (codice impianto, tipo, data del controllo).

    ``potenza_focolare_kw``, when known, must fall in the etichetta's band (its price depends on it).
    """
    numero = compatto_di(numero)
    codice = str(parse_codice_impianto(codice_impianto))
    tipo_dich = (tipo_dichiarazione or "").strip().upper()
    if tipo_dich not in TIPI:
        raise RuleViolation("Tipo di dichiarazione non valido: G oppure F.", path=("tipo_dichiarazione",))
    riga = riga_attuale(session, numero, ambito)
    _nel_territorio(riga, codice)
    if riga.tipo != tipo_dich:
        raise RuleViolation(f"L'etichetta {numero} è di tipo {riga.tipo}: valida solo un Allegato {riga.tipo}, "
                            f"non un Allegato {tipo_dich}.", path=("tipo_dichiarazione",))
    if potenza_focolare_kw is not None and fascia_potenza(potenza_focolare_kw).codice != riga.fascia:
        attesa = fascia_per_codice(riga.fascia).etichetta
        raise RuleViolation(f"La potenza al focolare non rientra nella fascia dell'etichetta ({attesa}).",
                            path=("potenza_focolare_kw",))
    gia = session.scalar(select(Etichetta.numero).where(
        Etichetta.codice_impianto == codice, Etichetta.tipo_dichiarazione == tipo_dich,
        Etichetta.data_controllo == data_controllo))
    if gia is not None and gia != numero:
        # The other etichetta is named only when the caller may see it (issue 12: a refusal
        # never reveals another manutentore's numbers).
        visibile = session.scalar(ambito.filtra(select(Etichetta.numero).where(Etichetta.numero == gia)))
        da_chi = f"dall'etichetta {gia}" if visibile is not None else "da un'altra etichetta"
        raise Conflict(f"La dichiarazione (Allegato {tipo_dich}, impianto {codice}, controllo del "
                       f"{data_controllo:%d/%m/%Y}) è già validata {da_chi}.", path=("codice_impianto",))
    condizioni = ambito.filtra(update(Etichetta).where(Etichetta.numero == numero, Etichetta.stato == "venduta"))
    try:
        esito = _esegui(session, condizioni.values(
            stato="vincolata", codice_impianto=codice, tipo_dichiarazione=tipo_dich, data_controllo=data_controllo,
            vincolata_il=adesso_utc()))
    except IntegrityError as exc:
        raise Conflict(f"La dichiarazione dell'impianto {codice} del {data_controllo:%d/%m/%Y} è già validata "
                       "da un'altra etichetta.", path=("codice_impianto",)) from exc
    if esito.rowcount != 1:
        _rifiuta_vincolo(riga_attuale(session, numero, ambito))
    _storia(session, [numero], autore, "vincolata", "venduta", {
        "codice_impianto": codice, "tipo_dichiarazione": tipo_dich, "data_controllo": data_controllo.isoformat()})
    return stato(session, numero, ambito=ambito)


def svincola(session: Session, numero: str, codice_impianto: str, tipo_dichiarazione: str, data_controllo: date, *,
             autore: Autore, motivo: str, ambito: Ambito = TUTTO) -> bool:
    """Undo :func:`vincola` when the dichiarazione it validated was not archived: the etichetta is
    ``venduta`` again (free for the re-issued G/F). Only that exact binding is undone (same impianto,
    type and date); the history keeps both rows (``vincolata``, then ``svincolata`` with the reason).
    False when the etichetta is not bound to that dichiarazione (nothing to undo)."""
    numero = compatto_di(numero)
    codice = str(parse_codice_impianto(codice_impianto))
    tipo_dich = (tipo_dichiarazione or "").strip().upper()
    esito = _esegui(session, ambito.filtra(update(Etichetta).where(
        Etichetta.numero == numero, Etichetta.stato == "vincolata", Etichetta.codice_impianto == codice,
        Etichetta.tipo_dichiarazione == tipo_dich, Etichetta.data_controllo == data_controllo)).values(
        stato="venduta", codice_impianto=None, tipo_dichiarazione=None, data_controllo=None, vincolata_il=None))
    if esito.rowcount != 1:
        return False
    _esegui(session, insert(MovimentoEtichetta), [{
        "numero": numero, "istante": adesso_utc(), "evento": "svincolata", "stato_da": "vincolata", "stato_a": "venduta",
        "utente": autore.username[:64], "ruolo": autore.ruolo[:16],
        "dettagli": {"codice_impianto": codice, "tipo_dichiarazione": tipo_dich,
                     "data_controllo": data_controllo.isoformat(), "motivo": motivo[:500]}}])
    return True


def annulla(session: Session, numero: str, motivo: str, *, autore: Autore, ambito: Ambito = TUTTO) -> dict[str, Any]:
    """Withdraw an etichetta not yet bound to a dichiarazione (lost, damaged, misprinted…), with a reason."""
    numero = compatto_di(numero)
    motivo = " ".join((motivo or "").split())
    if len(motivo) < 3:
        raise RuleViolation("Indicare il motivo dell'annullamento.", path=("motivo",))
    if len(motivo) > 500:
        raise RuleViolation("Motivo troppo lungo (al massimo 500 caratteri).", path=("motivo",))
    riga = riga_attuale(session, numero, ambito)
    prima = riga.stato
    if prima in ("vincolata", "annullata"):
        _rifiuta_stato(riga, "annullata")
    esito = _esegui(session, ambito.filtra(update(Etichetta).where(Etichetta.numero == numero,
                                                                     Etichetta.stato == prima))
                    .values(stato="annullata", motivo_annullamento=motivo, annullata_il=adesso_utc()))
    if esito.rowcount != 1:
        _rifiuta_stato(riga_attuale(session, numero, ambito), "annullata")
    _storia(session, [numero], autore, "annullata", prima, {"motivo": motivo})
    return stato(session, numero, ambito=ambito)


# --------------------------------------------------------------------------- helpers


def _tipo_e_fascia(tipo: str, fascia: str | None) -> tuple[str, str]:
    tipo = (tipo or "").strip().upper()
    if tipo not in TIPI:
        raise RuleViolation("Tipo di etichetta non valido: G (Allegato G, < 35 kW) oppure F (Allegato F, ≥ 35 kW).",
                            path=("tipo",))
    fascia = (fascia or "").strip().upper() or None
    if tipo == "G":
        if fascia not in (None, "F1"):
            raise RuleViolation("Le etichette G valgono solo per la fascia F1 (potenza inferiore a 35 kW).",
                                path=("fascia",))
        return tipo, "F1"
    if fascia not in ("F2", "F3", "F4", "F5"):
        raise RuleViolation("Per le etichette F indicare la fascia di potenza: F2 (35-50 kW), F3 (50,1-116,3 kW), "
                            "F4 (116,4-350 kW) o F5 (oltre 350 kW).", path=("fascia",))
    return tipo, fascia


def _riserva(session: Session, ente_id: str, stagione: str, tipo: str, quantita: int) -> int:
    """Move the counter by ``quantita`` inside the caller's transaction; returns the new last progressive."""
    dialect = session.get_bind().dialect.name
    ins = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if ins is None:  # pragma: no cover - only the two supported databases are configured
        raise StorageError("Database non supportato per la numerazione delle etichette.")
    tabella = ContatoreEtichette.__table__
    stmt = (ins(tabella).values(ente_id=ente_id, stagione=stagione, tipo=tipo, ultimo=quantita)
            .on_conflict_do_update(index_elements=["ente_id", "stagione", "tipo"],
                                   set_={"ultimo": tabella.c.ultimo + quantita})
            .returning(tabella.c.ultimo))
    return _esegui(session, stmt).scalar_one()


def _selezione(session: Session, numeri: Sequence[str] | None, dal: str | None, al: str | None,
               ambito: Ambito) -> list[Etichetta]:
    """Rows named by a list or by a ``dal``…``al`` range, in progressive order; NotFound for a stranger."""
    if numeri and (dal or al):
        raise RuleViolation("Indicare un elenco di numeri oppure un intervallo (dal … al), non entrambi.",
                            path=("numeri",))
    if numeri:
        chiesti = [compatto_di(n, ("numeri", i)) for i, n in enumerate(numeri)]
        trovate: dict[str, Etichetta] = {}
        for blocco in _blocchi(chiesti):
            trovate.update((r.numero, r) for r in session.scalars(
                ambito.filtra(select(Etichetta).where(Etichetta.numero.in_(blocco)))))
        for i, n in enumerate(chiesti):
            if n not in trovate:
                raise NotFound(f"L'etichetta {n} non appartiene a nessun lotto generato dall'Ente.",
                               path=("numeri", i))
        return [trovate[n] for n in dict.fromkeys(chiesti)]
    if not (dal and al):
        raise RuleViolation("Indicare le etichette da assegnare: un elenco di numeri o l'intervallo dal … al.",
                            path=("numeri",))
    primo, ultimo = riga_attuale(session, compatto_di(dal, ("dal",)), ambito), riga_attuale(session, compatto_di(al, ("al",)), ambito)
    if (primo.ente_id, primo.stagione, primo.tipo) != (ultimo.ente_id, ultimo.stagione, ultimo.tipo):
        raise RuleViolation("Inizio e fine dell'intervallo appartengono a serie diverse (Ente, stagione o tipo).",
                            path=("al",))
    if ultimo.progressivo < primo.progressivo:
        raise RuleViolation("La fine dell'intervallo precede l'inizio.", path=("al",))
    return list(session.scalars(ambito.filtra(select(Etichetta).where(
        Etichetta.ente_id == primo.ente_id, Etichetta.stagione == primo.stagione, Etichetta.tipo == primo.tipo,
        Etichetta.progressivo.between(primo.progressivo, ultimo.progressivo))).order_by(Etichetta.progressivo)))


def _rifiuta_vendita(riga: Etichetta, cait_id: str) -> None:
    if riga.stato == "assegnata" and riga.cait_id != cait_id:
        raise Conflict(f"L'etichetta {riga.numero} fa parte dello stock di un altro CAIT: non può essere venduta "
                       "da questo CAIT.", path=("cait_id",))
    if riga.stato == "generata":
        raise Conflict(f"L'etichetta {riga.numero} non è ancora stata assegnata a un CAIT: non può essere venduta.",
                       path=("numero",))
    _rifiuta_stato(riga, "venduta")


def _nel_territorio(riga: Etichetta, codice: str) -> None:
    """An etichetta validates only a dichiarazione of an impianto in its Ente's territory (the
    Ente competent for the impianto's Comune, DGR 18/09/2007)."""
    istat = codice[:6]
    try:
        competente = ente_competente(istat)
    except NotFound:
        competente = None
    if competente is None or competente.id != riga.ente_id:
        raise RuleViolation(
            f"L'impianto {codice} non è nel territorio dell'Ente che ha emesso l'etichetta: "
            "l'etichetta vale solo per gli impianti di quell'Ente.", path=("codice_impianto",))


def _rifiuta_vincolo(riga: Etichetta) -> None:
    if riga.stato in ("generata", "assegnata"):
        raise Conflict(f"L'etichetta {riga.numero} non risulta venduta: si può vincolare a una dichiarazione "
                       "solo dopo la vendita.", path=("numero",))
    _rifiuta_stato(riga, "vincolata")


def _rifiuta_stato(riga: Etichetta, operazione: str) -> None:
    if riga.stato == "annullata":
        raise Conflict(f"L'etichetta {riga.numero} è stata annullata ({riga.motivo_annullamento}): "
                       "non può essere usata.", path=("numero",))
    if riga.stato == "vincolata":
        raise Conflict(f"L'etichetta {riga.numero} è già vincolata alla dichiarazione (Allegato "
                       f"{riga.tipo_dichiarazione}) dell'impianto {riga.codice_impianto} del "
                       f"{riga.data_controllo:%d/%m/%Y}: non può essere riutilizzata.", path=("numero",))
    if riga.stato == "venduta" and operazione == "venduta":
        raise Conflict(f"L'etichetta {riga.numero} è già stata venduta.", path=("numero",))
    raise Conflict(f"L'etichetta {riga.numero} è nello stato «{riga.stato}»: operazione non consentita.",
                   path=("numero",))


def _storia(session: Session, numeri: Iterable[str], autore: Autore, evento: str, stato_da: str | None,
            dettagli: dict[str, Any]) -> None:
    adesso = adesso_utc()
    righe = [{"numero": n, "istante": adesso, "evento": evento, "stato_da": stato_da, "stato_a": evento,
              "utente": autore.username[:64], "ruolo": autore.ruolo[:16], "dettagli": dettagli} for n in numeri]
    _esegui(session, insert(MovimentoEtichetta), righe)


def _blocchi(valori: Sequence[str], n: int = 500) -> Iterable[Sequence[str]]:
    for i in range(0, len(valori), n):
        yield valori[i:i + n]
