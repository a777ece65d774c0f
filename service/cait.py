"""CAIT desk records → document data → PDF (→ archive): the CAIT and manutentore paper.

Reads top to bottom like the desk: dichiarazioni handed in are closed by a distinta
(``chiudi_distinta``) → distinta-ricevuta (two copies) → one lettera di trasmissione per
competent Ente (:mod:`service.cait_consegne`); etichette sold → ricevuta; month end → rendiconto
(:mod:`service.cait_cassa`); before a day's route → pre-filled G/F, one at a time or merged into one
PDF (:mod:`service.cait_precompilati`); the CAIT's registry prints (:mod:`service.cait_elenchi`).
Every produced document goes through ``service.produce.produci`` (validation, totals recomputed,
PDF/A-3b + dati.json) and, when the caller passes an ``emissione`` (:class:`service.emissione.Emissione`),
is signed by its issuer: the CAIT of the record (``emittente`` overrides it, e.g. the caller's
organisation).

Records (distinta-ricevuta, lettera di trasmissione, ricevuta, rendiconti) come back with
``registro=True`` and a stable ``documento_id`` (type + number + date: issuing one again adds a
version to the same archived document); :func:`archivia` stores them once the caller's database
transaction is over (SQLite has one writer). Print output (elenchi, pre-filled forms, a day's
route) is signed but never archived.

This module holds what the families share: :class:`Prodotto` and how one is produced and signed
(:func:`produci_documento`), :func:`archivia`, :class:`Originale` (where an issued record is
archived), and the data the documents print about their parties.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from archive.anagrafiche import Cait, Manutentore
from archive.catasto import ImpiantoCatasto
from domain.errors import NotFound
from service.archivio import MetadatiDocumento
from service.emissione import Emissione, Firmato
from service.produce import produci
from service.settings import Settings, get_settings

__all__ = ["ROMA", "Prodotto", "id_documento", "produci_documento", "firma_prodotto", "archivia", "numero_file",
           "Originale", "ora_locale", "quando_iso", "enti_configurati", "dati_ufficio", "dati_soggetto", "dati_ente",
           "impianto_catasto"]


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


def id_documento(tipo: str, numero: str, giorno: date) -> str:
    """Stable archive id of a record: the same distinta issued again is a new version, not a new document."""
    return hashlib.sha256(f"{tipo}|{numero}|{giorno.isoformat()}".encode()).hexdigest()[:32]


def produci_documento(code: str, dati: dict[str, Any], meta: MetadatiDocumento, nome: str, *,
                      settings: Settings | None, emissione: Emissione | None, emittente: str, registro: bool,
                      copie: Sequence[str] | None = None) -> Prodotto:
    """Render (after the issuer was checked, so nothing is rendered for a refused one), then sign."""
    if emissione is not None:
        emissione.verifica_emittente(code, emittente, ente=meta.ente, cait=meta.cait)
    reso = produci(code, dati, copie=copie, settings=settings or get_settings())
    return firma_prodotto(Prodotto(reso.pdf, nome, meta, registro=registro), emissione, emittente, reso.carta)


def firma_prodotto(p: Prodotto, emissione: Emissione | None, emittente: str, carta: Any = None) -> Prodotto:
    """``p`` signed by ``emittente`` through ``emissione`` (None: returned as it is)."""
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


def numero_file(numero: str) -> str:
    """A record number as it goes in a file name."""
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


# --------------------------------------------------------------------------- parties, impianto


def ora_locale(dt: datetime) -> datetime:
    """``dt`` in Italian local time (SQLite hands back naive UTC values)."""
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(ROMA)


def quando_iso(dt: datetime) -> str:
    """ISO 8601 in Italian local time (SQLite hands back naive UTC values)."""
    return ora_locale(dt).isoformat()


def enti_configurati(settings: Settings | None):
    """The Enti of the configuration, by id."""
    from service.enti import enti_da_settings

    return enti_da_settings(settings or get_settings())


def dati_ufficio(c: Cait) -> dict[str, Any]:
    """A CAIT (or an Ente's desk) as the letterhead prints it (:class:`domain.cait.Ufficio`)."""
    return {"codice": c.id, "denominazione": c.denominazione, "indirizzo": c.indirizzo or None,
            "comune": c.comune or None, "partita_iva": c.partita_iva or None, "email": c.email or None}


def dati_soggetto(m: Manutentore) -> dict[str, Any]:
    """A manutentore as a document prints it (:class:`domain.cait.Soggetto`)."""
    return {"ragione_sociale": m.ragione_sociale, "partita_iva": m.partita_iva, "username": m.username,
            "indirizzo": m.indirizzo or None, "comune": m.comune or None}


def dati_ente(ente_id: str, settings: Settings | None) -> dict[str, Any]:
    """The competent Ente as addressee or issuer (:class:`domain.cait.EnteDestinatario`)."""
    e = enti_configurati(settings).get(ente_id)
    return {"id": e.id, "denominazione": e.denominazione, "indirizzo": e.indirizzo, "cap": e.cap, "citta": e.citta,
            "pec": e.pec, "logo": e.logo}


def impianto_catasto(session: Session, codice: str) -> ImpiantoCatasto:
    """The catasto record of ``codice`` (NotFound when it is not there)."""
    imp = session.get(ImpiantoCatasto, codice)
    if imp is None:
        raise NotFound(f"L'impianto {codice} non è nel catasto.", path=("codice_impianto",))
    return imp
