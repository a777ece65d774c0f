"""CAIT desk records → document data → PDF (→ archive): the CAIT and manutentore paper.

Reads top to bottom like the desk: dichiarazioni handed in are closed by a distinta
(``chiudi_distinta``) → distinta-ricevuta (two copies) → one lettera di trasmissione per
competent Ente; etichette sold → ricevuta; month end → rendiconto; before a day's route →
pre-filled G/F, one at a time or merged into one PDF. Every produced document goes through
``service.produce.produci`` (validation, totals recomputed, PDF/A-3b + dati.json) and,
when the caller passes an ``emissione`` (:class:`service.emissione.Emissione`), is signed by its
issuer: the CAIT of the record (``emittente`` overrides it, e.g. the caller's organisation).

Records (distinta-ricevuta, lettera di trasmissione, ricevuta, rendiconti) come back with
``registro=True`` and a stable ``documento_id`` (type + number + date: issuing one again adds a
version to the same archived document); :func:`archivia` stores them once the caller's database
transaction is over (SQLite has one writer). Print output (elenchi, pre-filled forms, a day's
route) is signed but never archived.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pikepdf
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import cait_documenti as cd
from archive.anagrafiche import Cait, Manutentore, ManutenzioneImpianto, OperatoreCait, Strumento
from archive.catasto import ImpiantoCatasto
from archive.etichette import leggibile
from domain import cait as dm
from domain.errors import NotFound, RuleViolation
from domain.tariffe import fascia_per_codice
from renderers.pdf import DATI_JSON
from service.archivio import MetadatiDocumento
from service.emissione import Emissione, Firmato
from service.produce import produci
from service.settings import Settings, get_settings

__all__ = ["Prodotto", "archivia", "stampa_distinta", "enti_della_distinta", "lettere_trasmissione",
           "Originale", "originale_ricevuta", "originale_distinta", "originale_lettera", "stampa_ricevuta", "rendiconto_cait", "rendiconto_ente", "precompilato", "giro", "elenco", "ELENCHI",
           "quando_iso"]

ROMA = ZoneInfo("Europe/Rome")


@dataclass(frozen=True)
class Prodotto:
    """One produced document: bytes, a file name and what the archive index records about it."""

    pdf: bytes
    nome_file: str
    meta: MetadatiDocumento
    archiviato: Any = None
    """The index record once :func:`archivia` stored it."""
    registro: bool = False
    """A record (distinta, lettera, ricevuta, rendiconto) rather than print output: archived."""
    firmato: Firmato | None = None
    """The issue (signer, complete metadata) when produced with an ``emissione``; None: unsigned."""


def _id_documento(tipo: str, numero: str, giorno: date) -> str:
    """Stable archive id of a record: the same distinta issued again is a new version, not a new document."""
    return hashlib.sha256(f"{tipo}|{numero}|{giorno.isoformat()}".encode()).hexdigest()[:32]


def _produci(code: str, dati: dict[str, Any], meta: MetadatiDocumento, nome: str, *, settings: Settings | None,
             emissione: Emissione | None, emittente: str, registro: bool,
             copie: Sequence[str] | None = None) -> Prodotto:
    """Render (after the issuer was checked, so nothing is rendered for a refused one), then sign."""
    if emissione is not None:
        emissione.verifica_emittente(code, emittente, ente=meta.ente, cait=meta.cait)
    reso = produci(code, dati, copie=copie, settings=settings or get_settings())
    return _firma(Prodotto(reso.pdf, nome, meta, registro=registro), emissione, emittente, reso.carta)


def _firma(p: Prodotto, emissione: Emissione | None, emittente: str, carta: Any = None) -> Prodotto:
    if emissione is None:
        return p
    firmato = emissione.firma_pdf(p.pdf, emittente=emittente, metadati=p.meta, contrassegno=p.registro, carta=carta)
    return replace(p, pdf=firmato.pdf, meta=firmato.metadati, firmato=firmato)


def archivia(prodotti: Sequence[Prodotto], emissione: Emissione) -> list[Prodotto]:
    """Store the signed records among ``prodotti`` in the emission's archive (print output stays
    out). Call it after the database transaction that produced them has ended."""
    out = []
    for p in prodotti:
        if p.registro and p.firmato is not None and emissione.archivio is not None:
            p = replace(p, archiviato=emissione.archivia(p.firmato).record)
        out.append(p)
    return out


def _file(numero: str) -> str:
    return numero.replace("/", "-")


# --------------------------------------------------------------------------- issued records, read back


@dataclass(frozen=True)
class Originale:
    """Where the archived original of a record is: what a GET hands back (never issued again)."""

    documento_id: str | None
    """None: never issued (a lettera di trasmissione not yet sent to that Ente)."""
    nome_file: str
    descrizione: str
    """Italian, for the messages: ``La ricevuta n. 2026/000012``."""
    emissione: str
    """The POST route that issues it."""
    cerca: Callable[[Session], str | None] | None = None
    """Looks the id up in the archive index when it is not known up front (a lettera)."""


def originale_ricevuta(session: Session, ricevuta: int | str, attore: cd.Attore) -> Originale:
    """The archive id of a ricevuta (tenancy checked: 404 outside the caller's scope)."""
    r = cd.get_ricevuta(session, ricevuta, attore)
    return Originale(_id_documento("ricevuta", r.numero, _locale(r.emessa_il).date()),
                     f"ricevuta-{_file(r.numero)}.pdf", f"La ricevuta n. {r.numero}",
                     f"POST /cait/ricevute/{r.id}/emissione")


def originale_distinta(session: Session, distinta: int | str, attore: cd.Attore) -> Originale:
    """The archive id of the distinta-ricevuta of a closed distinta (tenancy checked)."""
    d = cd.get_distinta(session, distinta, attore)
    return Originale(_id_documento("distinta-ricevuta", d.numero, _locale(d.chiusa_il).date()),
                     f"distinta-{_file(d.numero)}.pdf", f"La distinta-ricevuta n. {d.numero}",
                     f"POST /distinte/{d.id}/emissione")


def originale_lettera(session: Session, distinta: int | str, attore: cd.Attore, ente: str) -> Originale:
    """The lettera di trasmissione of a distinta for ``ente`` last issued (it is dated the day it
    is sent, so its id is looked up in the archive index by ``cerca``: None if never sent)."""
    d = cd.get_distinta(session, distinta, attore)
    protocollo, cait_id = f"{d.numero}-{ente.upper()}", d.cait_id

    def cerca(indice: Session) -> str | None:
        from archive.indice import Documento

        return indice.scalar(select(Documento.id).where(
            Documento.tipo == "lettera-trasmissione", Documento.cait == cait_id, Documento.ente == ente,
            Documento.smaltito_il.is_(None),
            Documento.oggetto.like(f"Lettera di trasmissione prot. {protocollo} (%"))
            .order_by(Documento.data_documento.desc(), Documento.archiviato_il.desc()).limit(1))

    return Originale(None, f"trasmissione-{_file(protocollo)}.pdf", f"La lettera di trasmissione prot. {protocollo}",
                     f"POST /distinte/{d.id}/trasmissione?ente={ente}", cerca=cerca)


def _locale(dt: datetime) -> datetime:
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(ROMA)


def quando_iso(dt: datetime) -> str:
    """ISO 8601 in Italian local time (SQLite hands back naive UTC values)."""
    return _locale(dt).isoformat()


def _enti(settings: Settings | None):
    from service.targhe import enti_da_settings

    return enti_da_settings(settings or get_settings())


def _ufficio(c: Cait) -> dict[str, Any]:
    return {"codice": c.id, "denominazione": c.denominazione, "indirizzo": c.indirizzo or None,
            "comune": c.comune or None, "partita_iva": c.partita_iva or None, "email": c.email or None}


def _soggetto(m: Manutentore) -> dict[str, Any]:
    return {"ragione_sociale": m.ragione_sociale, "partita_iva": m.partita_iva, "username": m.username,
            "indirizzo": m.indirizzo or None, "comune": m.comune or None}


def _ente(ente_id: str, settings: Settings | None) -> dict[str, Any]:
    e = _enti(settings).get(ente_id)
    return {"id": e.id, "denominazione": e.denominazione, "indirizzo": e.indirizzo, "cap": e.cap, "citta": e.citta,
            "pec": e.pec, "logo": e.logo}


def _impianto(session: Session, codice: str) -> ImpiantoCatasto:
    imp = session.get(ImpiantoCatasto, codice)
    if imp is None:
        raise NotFound(f"L'impianto {codice} non è nel catasto.", path=("codice_impianto",))
    return imp


def _indirizzo(imp: ImpiantoCatasto) -> str:
    return f"{' '.join(p for p in (imp.indirizzo, imp.civico) if p)}, {imp.comune}"


def _responsabile(imp: ImpiantoCatasto) -> str | None:
    return imp.responsabile_cognome_nome or imp.responsabile_ragione_sociale


# --------------------------------------------------------------------------- distinta + lettere


def _dati_distinta(session: Session, d: cd.Distinta, settings: Settings | None) -> dict[str, Any]:
    enti = _enti(settings)
    righe = []
    for x in cd.dichiarazioni_della_distinta(session, d.id):
        imp = _impianto(session, x.codice_impianto)
        righe.append({"codice_impianto": x.codice_impianto, "responsabile": _responsabile(imp),
                      "indirizzo": _indirizzo(imp), "tipo": x.tipo, "data_controllo": x.data_controllo,
                      "numero_etichetta": x.numero_etichetta, "anomalie": x.anomalie,
                      "pregiudica_sicurezza": x.pregiudica_sicurezza, "ente": enti.get(x.ente_id).denominazione})
    cait = session.get(Cait, d.cait_id)
    return {"numero": d.numero, "cait": _ufficio(cait), "manutentore": _soggetto(session.get(Manutentore, d.manutentore_id)),
            "operatore": d.operatore, "emessa_il": _locale(d.chiusa_il), "luogo": cait.comune or cait.denominazione,
            "righe": righe}


def stampa_distinta(session: Session, distinta: int | str, attore: cd.Attore, *, settings: Settings | None = None,
                    emissione: Emissione | None = None, emittente: str | None = None,
                    copie: Sequence[str] | None = None) -> Prodotto:
    """The distinta-ricevuta (copies for the manutentore and for the CAIT) of a closed distinta."""
    d = cd.get_distinta(session, distinta, attore)
    dati = _dati_distinta(session, d, settings)
    m = session.get(Manutentore, d.manutentore_id)
    giorno = _locale(d.chiusa_il).date()
    numero = d.numero + (f" ({', '.join(copie)})" if copie else "")
    meta = MetadatiDocumento(tipo="distinta-ricevuta", data_documento=giorno, cait=d.cait_id,
                             manutentore=m.ragione_sociale, oggetto=f"Distinta-ricevuta di consegna n. {d.numero}",
                             autore=d.cait_id, destinatario=m.ragione_sociale,
                             documento_id=_id_documento("distinta-ricevuta", numero, giorno))
    return _produci("distinta-ricevuta", dati, meta, f"distinta-{_file(d.numero)}.pdf", settings=settings,
                    emissione=emissione, emittente=emittente or d.cait_id, registro=True, copie=copie)


def _gruppi_per_ente(session: Session, d: cd.Distinta, attore: cd.Attore) -> dict[str, list[Any]]:
    """The dichiarazioni of a distinta per competent Ente (an Ente user: only its own)."""
    gruppi = dm.raggruppa_per_ente(cd.dichiarazioni_della_distinta(session, d.id), lambda x: x.ente_id)
    return {e: g for e, g in gruppi.items() if attore.ruolo != "ente" or e == attore.ente_id}


def enti_della_distinta(session: Session, distinta: int | str, attore: cd.Attore) -> list[str]:
    """The Enti that get a lettera di trasmissione for this distinta (what ``attore`` may see)."""
    return list(_gruppi_per_ente(session, cd.get_distinta(session, distinta, attore), attore))


def lettere_trasmissione(session: Session, distinta: int | str, attore: cd.Attore, *, oggi: date,
                         settings: Settings | None = None, emissione: Emissione | None = None,
                         emittente: str | None = None, ente: str | None = None) -> list[Prodotto]:
    """One lettera di trasmissione per competent Ente of the dichiarazioni of a distinta (S1 §10.3);
    ``ente``: only that Ente's. Sealed on receipt by the CAIT of the distinta (or ``emittente``)."""
    d = cd.get_distinta(session, distinta, attore)
    cait = session.get(Cait, d.cait_id)
    m = session.get(Manutentore, d.manutentore_id)
    out = []
    for ente_id, dichiarazioni in _gruppi_per_ente(session, d, attore).items():
        if ente is not None and ente_id != ente:
            continue
        righe = []
        for x in dichiarazioni:
            imp = _impianto(session, x.codice_impianto)
            righe.append({"codice_impianto": x.codice_impianto, "responsabile": _responsabile(imp) or "—",
                          "indirizzo": _indirizzo(imp), "tipo": x.tipo, "data_controllo": x.data_controllo,
                          "numero_etichetta": x.numero_etichetta})
        protocollo = f"{d.numero}-{ente_id.upper()}"
        dati = {"protocollo": protocollo, "data": oggi, "luogo": m.comune or cait.comune or "—",
                "mittente": _soggetto(m), "tramite": _ufficio(cait), "ente": _ente(ente_id, settings),
                "distinta": d.numero, "righe": righe}
        meta = MetadatiDocumento(tipo="lettera-trasmissione", data_documento=oggi, ente=ente_id, cait=d.cait_id,
                                 manutentore=m.ragione_sociale, destinatario=ente_id, autore=m.ragione_sociale,
                                 oggetto=f"Lettera di trasmissione prot. {protocollo} ({len(righe)} rapporti)",
                                 documento_id=_id_documento("lettera-trasmissione", protocollo, oggi))
        out.append(_produci("lettera-trasmissione", dati, meta, f"trasmissione-{_file(protocollo)}.pdf",
                            settings=settings, emissione=emissione, emittente=emittente or d.cait_id, registro=True))
    return out


# --------------------------------------------------------------------------- ricevute, rendiconti


def stampa_ricevuta(session: Session, ricevuta: int | str, attore: cd.Attore, *, settings: Settings | None = None,
                    emissione: Emissione | None = None, emittente: str | None = None) -> Prodotto:
    r = cd.get_ricevuta(session, ricevuta, attore)
    enti = _enti(settings)
    righe = []
    for x in cd.righe_ricevuta(session, r.id):
        numero = leggibile(x.numero_etichetta) if x.numero_etichetta else None
        riga = {"descrizione": x.descrizione, "numero_etichetta": numero, "tipo": x.tipo, "fascia": x.fascia,
                "quota_ente": x.quota_ente, "contributo_regionale": x.contributo_regionale, "importo": x.importo}
        if x.fascia:
            riga.update(fascia_descrizione=fascia_per_codice(x.fascia).etichetta, ente=enti.get(x.ente_id).denominazione)
        righe.append(riga)
    cait = session.get(Cait, r.cait_id)
    m = session.get(Manutentore, r.manutentore_id)
    dati = {"numero": r.numero, "cait": _ufficio(cait), "intestatario": _soggetto(m), "emessa_il": _locale(r.emessa_il),
            "luogo": cait.comune or cait.denominazione, "operatore": r.operatore, "causale": r.causale,
            "pagamento": r.pagamento, "righe": righe, "totale": r.totale}
    if r.causale == "ricarica" or r.pagamento == "portafoglio":
        dati["saldo_portafoglio"] = cd.saldo_portafoglio(session, r.manutentore_id)
    giorno = _locale(r.emessa_il).date()
    meta = MetadatiDocumento(tipo="ricevuta", data_documento=giorno, cait=r.cait_id,
                             manutentore=m.ragione_sociale, oggetto=f"Ricevuta n. {r.numero}", autore=r.cait_id,
                             destinatario=m.ragione_sociale, documento_id=_id_documento("ricevuta", r.numero, giorno))
    return _produci("ricevuta", dati, meta, f"ricevuta-{_file(r.numero)}.pdf", settings=settings,
                    emissione=emissione, emittente=emittente or r.cait_id, registro=True)


def _righe_periodo(session: Session, cait_id: str, dal: date, al: date, settings: Settings | None,
                   ente_id: str | None = None) -> list[dict[str, Any]]:
    """One row per etichetta sold on the ricevute of ``cait_id`` dated ``dal``…``al`` (local days)."""
    enti = _enti(settings)
    inizio = datetime.combine(dal, time(), ROMA)
    fine = datetime.combine(date.fromordinal(al.toordinal() + 1), time(), ROMA)
    righe = []
    for r in cd.ricevute_del_periodo(session, cait_id, inizio, fine):
        for x in cd.righe_ricevuta(session, r.id):
            if ente_id is not None and x.ente_id != ente_id:
                continue
            righe.append({"ricevuta": r.numero, "data": _locale(r.emessa_il).date(), "numero_etichetta": leggibile(x.numero_etichetta),
                          "ente_id": x.ente_id, "ente": enti.get(x.ente_id).denominazione, "tipo": x.tipo,
                          "fascia": x.fascia, "fascia_descrizione": fascia_per_codice(x.fascia).etichetta,
                          "quota_ente": x.quota_ente, "contributo_regionale": x.contributo_regionale})
    return righe


def rendiconto_cait(session: Session, cait_id: str, mese: str, attore: cd.Attore, *, oggi: date,
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
    dati = {"emittente": _ufficio(cait), "periodo_dal": dal, "periodo_al": al, "emesso_il": oggi,
            "luogo": cait.comune or cait.denominazione, "protocollo": protocollo,
            "righe": _righe_periodo(session, cait_id, dal, al, settings)}
    meta = MetadatiDocumento(tipo="rendiconto-cait", data_documento=oggi, cait=cait_id, autore=cait_id,
                             oggetto=f"Rendiconto mensile {dal:%m/%Y} del CAIT {cait_id}",
                             documento_id=_id_documento("rendiconto-cait", protocollo, oggi))
    return _produci("rendiconto-cait", dati, meta, f"rendiconto-{_file(protocollo)}.pdf", settings=settings,
                    emissione=emissione, emittente=emittente or cait_id, registro=True)


def rendiconto_ente(session: Session, ente_id: str, trimestre: str, sportello: str, attore: cd.Attore, *, oggi: date,
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
    dati = {"emittente": _ufficio(desk), "ente": _ente(ente_id, settings), "periodo_dal": dal, "periodo_al": al,
            "emesso_il": oggi, "luogo": desk.comune or desk.denominazione, "protocollo": protocollo,
            "righe": _righe_periodo(session, sportello, dal, al, settings, ente_id=ente_id)}
    meta = MetadatiDocumento(tipo="rendiconto-ente-trimestrale", data_documento=oggi, ente=ente_id, cait=sportello,
                             autore=ente_id, oggetto=f"Rendiconto trimestrale T{q}/{dal.year} dell'Ente {ente_id}",
                             documento_id=_id_documento("rendiconto-ente-trimestrale", protocollo, oggi))
    return _produci("rendiconto-ente-trimestrale", dati, meta, f"rendiconto-{_file(protocollo)}.pdf",
                    settings=settings, emissione=emissione, emittente=emittente or ente_id, registro=True)


# --------------------------------------------------------------------------- pre-filled G / F


def _verifica_manutentore(session: Session, codice: str, attore: cd.Attore) -> None:
    if attore.pieni_poteri:
        return
    if attore.ruolo == "manutentore" and session.get(ManutenzioneImpianto, (codice, attore.manutentore_id)):
        return
    raise NotFound(f"L'impianto {codice} non è tra quelli mantenuti da questa ditta.", path=("codice_impianto",))


def _dati_precompilati(session: Session, codice: str, attore: cd.Attore, *, oggi: date,
                       data_controllo: date | None) -> tuple[str, dict[str, Any]]:
    """(document code, data) of the pre-filled form for one impianto, G below 35 kW, F from 35 kW."""
    _verifica_manutentore(session, codice, attore)
    imp = _impianto(session, codice)
    ultima = cd.ultima_dichiarazione(session, codice)
    precedente = ultima.dati if ultima is not None else None
    record = {c.name: getattr(imp, c.name) for c in ImpiantoCatasto.__table__.columns}
    tecnico = None
    if attore.manutentore_id is not None:
        m = session.get(Manutentore, attore.manutentore_id)
        tecnico = {"ragione_sociale": m.ragione_sociale,
                   "indirizzo": ", ".join(p for p in (m.indirizzo, m.comune) if p) or None}
    potenza = imp.potenza_focolare_totale_kw
    f = (potenza is not None and potenza >= 35) or (potenza is None and ultima is not None and ultima.tipo == "F")
    if potenza is None and ultima is None:
        raise RuleViolation(f"Impianto {codice}: potenza al focolare sconosciuta, impossibile scegliere tra "
                            "Allegato G e Allegato F.", path=("codice_impianto",))
    if f:
        return "allegato-f-precompilato", dm.precompila_f(record, precedente, oggi=oggi, data_controllo=data_controllo,
                                                          tecnico=tecnico)
    return "allegato-g-precompilato", dm.precompila_g(record, precedente, oggi=oggi, data_controllo=data_controllo,
                                                      tecnico=tecnico)


def emittente_precompilati(session: Session, attore: cd.Attore) -> str:
    """Who signs pre-filled forms: the CAIT of the manutentore asking for them; the Regione (the
    platform that fills them from the catasto) for a manutentore with no CAIT or the command line."""
    m = session.get(Manutentore, attore.manutentore_id) if attore.manutentore_id is not None else None
    return m.cait_id if m is not None and m.cait_id else "regione"


def precompilato(session: Session, codice_impianto: str, attore: cd.Attore, *, oggi: date,
                 data_controllo: date | None = None, settings: Settings | None = None,
                 emissione: Emissione | None = None, emittente: str | None = None) -> Prodotto:
    """The pre-filled G or F of one impianto the manutentore maintains (measurements left blank):
    print output, signed (:func:`emittente_precompilati`) but not archived."""
    code, dati = _dati_precompilati(session, codice_impianto.strip().upper(), attore, oggi=oggi,
                                    data_controllo=data_controllo)
    chi = emittente or emittente_precompilati(session, attore)
    meta = MetadatiDocumento(tipo=code, data_documento=data_controllo or oggi, codice_impianto=dati["codice_catasto"],
                             cait=chi if chi != "regione" else None)
    return _produci(code, dati, meta, f"{code}-{dati['codice_catasto']}.pdf", settings=settings,
                    emissione=emissione, emittente=chi, registro=False)


def giro(session: Session, codici: Sequence[str], attore: cd.Attore, *, oggi: date, data_controllo: date | None = None,
         settings: Settings | None = None, emissione: Emissione | None = None,
         emittente: str | None = None) -> Prodotto:
    """A day's route: the pre-filled forms of ``codici`` merged, in order, into ONE PDF, signed once
    (the single forms are merged unsigned: a signature would not survive the merge).

    The merged file keeps every record: its ``dati.json`` is ``{"tipo": "giro-precompilati",
    "data_controllo", "documenti": [{"codice_impianto", "tipo", "pagina_iniziale", "pagine",
    "dati"}…]}`` (each ``dati`` exactly as embedded in the single document).
    """
    if not codici:
        raise RuleViolation("Indicare almeno un impianto del giro.", path=("codici",))
    chi = emittente or emittente_precompilati(session, attore)
    cait = chi if chi != "regione" else None
    if emissione is not None:
        emissione.verifica_emittente("giro-precompilati", chi, cait=cait)
    singoli = [precompilato(session, c, attore, oggi=oggi, data_controllo=data_controllo, settings=settings)
               for c in dict.fromkeys(c.strip().upper() for c in codici)]
    pdf = _unisci([p.pdf for p in singoli], data_controllo or oggi)
    giorno = data_controllo or oggi
    meta = MetadatiDocumento(tipo="giro-precompilati", data_documento=giorno, cait=cait,
                             oggetto=f"Giro del {giorno:%d/%m/%Y}: {len(singoli)} rapporti precompilati")
    return _firma(Prodotto(pdf, f"giro-{giorno:%Y-%m-%d}.pdf", meta), emissione, chi)


def _unisci(pdfs: Sequence[bytes], giorno: date) -> bytes:
    """Concatenate PDF/A-3b documents; one ``dati.json`` listing each record and its pages."""
    documenti, pagina = [], 1
    out = pikepdf.open(io.BytesIO(pdfs[0]))
    for i, data in enumerate(pdfs):
        src = out if i == 0 else pikepdf.open(io.BytesIO(data))
        record = json.loads(src.attachments[DATI_JSON].get_file().read_bytes())
        n = len(src.pages)
        documenti.append({"codice_impianto": record["dati"]["codice_catasto"], "tipo": record["tipo"],
                          "pagina_iniziale": pagina, "pagine": n, "dati": record["dati"]})
        pagina += n
        if i:
            out.pages.extend(src.pages)
    payload = json.dumps({"tipo": "giro-precompilati", "data_controllo": giorno.isoformat(), "documenti": documenti},
                         ensure_ascii=False, indent=2, sort_keys=True).encode()
    del out.attachments[DATI_JSON]
    spec = pikepdf.AttachedFileSpec(out, payload, description="Dati dei documenti del giro (JSON)",
                                    filename=DATI_JSON, mime_type="application/json",
                                    relationship=pikepdf.Name.Data)
    out.attachments[DATI_JSON] = spec
    out.Root.AF = pikepdf.Array([out.Root.Names.EmbeddedFiles.Names[1]])
    with out.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp["dc:title"] = f"Giro del {giorno:%d/%m/%Y}: {len(documenti)} rapporti di controllo tecnico precompilati"
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- registry prints


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


def elenco(session: Session, cait_id: str, tipo: str, attore: cd.Attore, *, oggi: date,
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
    dati = {"cait": _ufficio(cait), "data": oggi, "luogo": cait.comune or cait.denominazione,
            "righe": ELENCHI[tipo](session, cait_id)}
    code = f"elenco-{tipo}"
    meta = MetadatiDocumento(tipo=code, data_documento=oggi, cait=cait_id, autore=cait_id,
                             oggetto=f"Elenco {tipo} del CAIT {cait_id} al {oggi:%d/%m/%Y}")
    return _produci(code, dati, meta, f"{code}-{cait_id}-{oggi:%Y%m%d}.pdf", settings=settings,
                    emissione=emissione, emittente=cait_id, registro=False)
