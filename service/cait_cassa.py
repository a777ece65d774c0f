"""Ricevute and rendiconti from the desk records: the ricevuta of etichette sold or of a Portafoglio
top-up, the rendiconto mensile of a CAIT and the trimestrale of an Ente selling etichette at its own
desk, their rows taken from the ricevute of the period (local days). All are records, produced, signed
and archived as :mod:`service.cait` describes; :func:`originale_ricevuta` says where the archived
original of a ricevuta is.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from archive.anagrafiche import Cait, Manutentore
from archive.cait_ricevute import get_ricevuta, ricevute_del_periodo, righe_ricevuta, saldo_portafoglio
from archive.cait_tabelle import Attore
from archive.etichette import leggibile
from domain import cait_cassa as dm
from domain.errors import NotFound
from domain.tariffe import fascia_per_codice
from service.archivio import MetadatiDocumento
from service.cait import (ROMA, Originale, Prodotto, dati_ente, dati_soggetto, dati_ufficio, enti_configurati,
                          id_documento, numero_file, ora_locale, produci_documento)
from service.emissione import Emissione
from service.settings import Settings

__all__ = ["stampa_ricevuta", "rendiconto_cait", "rendiconto_ente", "originale_ricevuta"]


# --------------------------------------------------------------------------- ricevute, rendiconti


def stampa_ricevuta(session: Session, ricevuta: int | str, attore: Attore, *, settings: Settings | None = None,
                    emissione: Emissione | None = None, emittente: str | None = None) -> Prodotto:
    r = get_ricevuta(session, ricevuta, attore)
    enti = enti_configurati(settings)
    righe = []
    for x in righe_ricevuta(session, r.id):
        numero = leggibile(x.numero_etichetta) if x.numero_etichetta else None
        riga = {"descrizione": x.descrizione, "numero_etichetta": numero, "tipo": x.tipo, "fascia": x.fascia,
                "quota_ente": x.quota_ente, "contributo_regionale": x.contributo_regionale, "importo": x.importo}
        if x.fascia:
            riga.update(fascia_descrizione=fascia_per_codice(x.fascia).etichetta, ente=enti.get(x.ente_id).denominazione)
        righe.append(riga)
    cait = session.get(Cait, r.cait_id)
    m = session.get(Manutentore, r.manutentore_id)
    dati = {"numero": r.numero, "cait": dati_ufficio(cait), "intestatario": dati_soggetto(m), "emessa_il": ora_locale(r.emessa_il),
            "luogo": cait.comune or cait.denominazione, "operatore": r.operatore, "causale": r.causale,
            "pagamento": r.pagamento, "righe": righe, "totale": r.totale}
    if r.causale == "ricarica" or r.pagamento == "portafoglio":
        dati["saldo_portafoglio"] = saldo_portafoglio(session, r.manutentore_id)
    giorno = ora_locale(r.emessa_il).date()
    meta = MetadatiDocumento(tipo="ricevuta", data_documento=giorno, cait=r.cait_id,
                             manutentore=m.ragione_sociale, oggetto=f"Ricevuta n. {r.numero}", autore=r.cait_id,
                             destinatario=m.ragione_sociale, documento_id=id_documento("ricevuta", r.numero, giorno))
    return produci_documento("ricevuta", dati, meta, f"ricevuta-{numero_file(r.numero)}.pdf", settings=settings,
                    emissione=emissione, emittente=emittente or r.cait_id, registro=True)


def _righe_periodo(session: Session, cait_id: str, dal: date, al: date, settings: Settings | None,
                   ente_id: str | None = None) -> list[dict[str, Any]]:
    """One row per etichetta sold on the ricevute of ``cait_id`` dated ``dal``…``al`` (local days)."""
    enti = enti_configurati(settings)
    inizio = datetime.combine(dal, time(), ROMA)
    fine = datetime.combine(date.fromordinal(al.toordinal() + 1), time(), ROMA)
    righe = []
    for r in ricevute_del_periodo(session, cait_id, inizio, fine):
        for x in righe_ricevuta(session, r.id):
            if ente_id is not None and x.ente_id != ente_id:
                continue
            righe.append({"ricevuta": r.numero, "data": ora_locale(r.emessa_il).date(), "numero_etichetta": leggibile(x.numero_etichetta),
                          "ente_id": x.ente_id, "ente": enti.get(x.ente_id).denominazione, "tipo": x.tipo,
                          "fascia": x.fascia, "fascia_descrizione": fascia_per_codice(x.fascia).etichetta,
                          "quota_ente": x.quota_ente, "contributo_regionale": x.contributo_regionale})
    return righe


def rendiconto_cait(session: Session, cait_id: str, mese: str, attore: Attore, *, oggi: date,
                    settings: Settings | None = None, emissione: Emissione | None = None,
                    emittente: str | None = None) -> Prodotto:
    """Monthly statement of a CAIT (``mese`` = ``2026-10``), rows taken from its ricevute of the month."""
    if not (attore.pieni_poteri or (attore.ruolo == "cait" and attore.cait_id == cait_id)):
        raise NotFound(f"CAIT {cait_id} non trovato.", path=("cait_id",))
    cait = session.get(Cait, cait_id)
    if cait is None:
        raise NotFound(f"CAIT {cait_id} non registrato.", path=("cait_id",))
    dal, al = dm.mese(mese)
    protocollo = f"{cait_id}/REND/{dal:%Y/%m}"
    dati = {"emittente": dati_ufficio(cait), "periodo_dal": dal, "periodo_al": al, "emesso_il": oggi,
            "luogo": cait.comune or cait.denominazione, "protocollo": protocollo,
            "righe": _righe_periodo(session, cait_id, dal, al, settings)}
    meta = MetadatiDocumento(tipo="rendiconto-cait", data_documento=oggi, cait=cait_id, autore=cait_id,
                             oggetto=f"Rendiconto mensile {dal:%m/%Y} del CAIT {cait_id}",
                             documento_id=id_documento("rendiconto-cait", protocollo, oggi))
    return produci_documento("rendiconto-cait", dati, meta, f"rendiconto-{numero_file(protocollo)}.pdf", settings=settings,
                    emissione=emissione, emittente=emittente or cait_id, registro=True)


def rendiconto_ente(session: Session, ente_id: str, trimestre: str, sportello: str, attore: Attore, *, oggi: date,
                    settings: Settings | None = None, emissione: Emissione | None = None,
                    emittente: str | None = None) -> Prodotto:
    """Quarterly statement of an Ente selling etichette at its own desk ``sportello`` (a ``cait`` row)."""
    if not (attore.pieni_poteri or (attore.ruolo == "ente" and attore.ente_id == ente_id)):
        raise NotFound(f"Ente {ente_id} non trovato.", path=("ente_id",))
    desk = session.get(Cait, sportello)
    if desk is None:
        raise NotFound(f"Sportello {sportello} non registrato.", path=("sportello",))
    dal, al = dm.trimestre(trimestre)
    q = (dal.month - 1) // 3 + 1
    protocollo = f"{ente_id.upper()}/REND/{dal.year}/T{q}"
    dati = {"emittente": dati_ufficio(desk), "ente": dati_ente(ente_id, settings), "periodo_dal": dal, "periodo_al": al,
            "emesso_il": oggi, "luogo": desk.comune or desk.denominazione, "protocollo": protocollo,
            "righe": _righe_periodo(session, sportello, dal, al, settings, ente_id=ente_id)}
    meta = MetadatiDocumento(tipo="rendiconto-ente-trimestrale", data_documento=oggi, ente=ente_id, cait=sportello,
                             autore=ente_id, oggetto=f"Rendiconto trimestrale T{q}/{dal.year} dell'Ente {ente_id}",
                             documento_id=id_documento("rendiconto-ente-trimestrale", protocollo, oggi))
    return produci_documento("rendiconto-ente-trimestrale", dati, meta, f"rendiconto-{numero_file(protocollo)}.pdf",
                    settings=settings, emissione=emissione, emittente=emittente or ente_id, registro=True)


# --------------------------------------------------------------------------- issued records, read back


def originale_ricevuta(session: Session, ricevuta: int | str, attore: Attore) -> Originale:
    """The archive id of a ricevuta (tenancy checked: 404 outside the caller's scope)."""
    r = get_ricevuta(session, ricevuta, attore)
    return Originale(id_documento("ricevuta", r.numero, ora_locale(r.emessa_il).date()),
                     f"ricevuta-{numero_file(r.numero)}.pdf", f"La ricevuta n. {r.numero}",
                     f"POST /cait/ricevute/{r.id}/emissione")
