"""Distinta-ricevuta and lettere di trasmissione from the desk records: the distinta that closed the
dichiarazioni a manutentore handed in (copies for the manutentore and for the CAIT), and one lettera di
trasmissione per competent Ente of its dichiarazioni (S1 §10.3), sealed on receipt by the CAIT of the
distinta. Both are records, produced, signed and archived as :mod:`service.cait` describes;
:func:`originale_distinta` and :func:`originale_lettera` say where their archived originals are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.anagrafiche import Cait, Manutentore
from archive.cait_dichiarazioni import dichiarazioni_della_distinta, get_distinta
from archive.cait_tabelle import Attore, Distinta
from archive.catasto import ImpiantoCatasto
from domain.cait_consegne import raggruppa_per_ente
from service.archivio import MetadatiDocumento
from service.cait import (Originale, Prodotto, dati_ente, dati_soggetto, dati_ufficio, enti_configurati,
                          id_documento, impianto_catasto, numero_file, ora_locale, produci_documento)
from service.emissione import Emissione
from service.settings import Settings

__all__ = ["stampa_distinta", "enti_della_distinta", "lettere_trasmissione", "originale_distinta",
           "originale_lettera"]


def _indirizzo(imp: ImpiantoCatasto) -> str:
    return f"{' '.join(p for p in (imp.indirizzo, imp.civico) if p)}, {imp.comune}"


def _responsabile(imp: ImpiantoCatasto) -> str | None:
    return imp.responsabile_cognome_nome or imp.responsabile_ragione_sociale


# --------------------------------------------------------------------------- distinta + lettere


def _dati_distinta(session: Session, d: Distinta, settings: Settings | None) -> dict[str, Any]:
    enti = enti_configurati(settings)
    righe = []
    for x in dichiarazioni_della_distinta(session, d.id):
        imp = impianto_catasto(session, x.codice_impianto)
        righe.append({"codice_impianto": x.codice_impianto, "responsabile": _responsabile(imp),
                      "indirizzo": _indirizzo(imp), "tipo": x.tipo, "data_controllo": x.data_controllo,
                      "numero_etichetta": x.numero_etichetta, "anomalie": x.anomalie,
                      "pregiudica_sicurezza": x.pregiudica_sicurezza, "ente": enti.get(x.ente_id).denominazione})
    cait = session.get(Cait, d.cait_id)
    return {"numero": d.numero, "cait": dati_ufficio(cait), "manutentore": dati_soggetto(session.get(Manutentore, d.manutentore_id)),
            "operatore": d.operatore, "emessa_il": ora_locale(d.chiusa_il), "luogo": cait.comune or cait.denominazione,
            "righe": righe}


def stampa_distinta(session: Session, distinta: int | str, attore: Attore, *, settings: Settings | None = None,
                    emissione: Emissione | None = None, emittente: str | None = None,
                    copie: Sequence[str] | None = None) -> Prodotto:
    """The distinta-ricevuta (copies for the manutentore and for the CAIT) of a closed distinta."""
    d = get_distinta(session, distinta, attore)
    dati = _dati_distinta(session, d, settings)
    m = session.get(Manutentore, d.manutentore_id)
    giorno = ora_locale(d.chiusa_il).date()
    numero = d.numero + (f" ({', '.join(copie)})" if copie else "")
    meta = MetadatiDocumento(tipo="distinta-ricevuta", data_documento=giorno, cait=d.cait_id,
                             manutentore=m.ragione_sociale, oggetto=f"Distinta-ricevuta di consegna n. {d.numero}",
                             autore=d.cait_id, destinatario=m.ragione_sociale,
                             documento_id=id_documento("distinta-ricevuta", numero, giorno))
    return produci_documento("distinta-ricevuta", dati, meta, f"distinta-{numero_file(d.numero)}.pdf", settings=settings,
                    emissione=emissione, emittente=emittente or d.cait_id, registro=True, copie=copie)


def _gruppi_per_ente(session: Session, d: Distinta, attore: Attore) -> dict[str, list[Any]]:
    """The dichiarazioni of a distinta per competent Ente (an Ente user: only its own)."""
    gruppi = raggruppa_per_ente(dichiarazioni_della_distinta(session, d.id), lambda x: x.ente_id)
    return {e: g for e, g in gruppi.items() if attore.ruolo != "ente" or e == attore.ente_id}


def enti_della_distinta(session: Session, distinta: int | str, attore: Attore) -> list[str]:
    """The Enti that get a lettera di trasmissione for this distinta (what ``attore`` may see)."""
    return list(_gruppi_per_ente(session, get_distinta(session, distinta, attore), attore))


def lettere_trasmissione(session: Session, distinta: int | str, attore: Attore, *, oggi: date,
                         settings: Settings | None = None, emissione: Emissione | None = None,
                         emittente: str | None = None, ente: str | None = None) -> list[Prodotto]:
    """One lettera di trasmissione per competent Ente of the dichiarazioni of a distinta (S1 §10.3);
    ``ente``: only that Ente's. Sealed on receipt by the CAIT of the distinta (or ``emittente``)."""
    d = get_distinta(session, distinta, attore)
    cait = session.get(Cait, d.cait_id)
    m = session.get(Manutentore, d.manutentore_id)
    out = []
    for ente_id, dichiarazioni in _gruppi_per_ente(session, d, attore).items():
        if ente is not None and ente_id != ente:
            continue
        righe = []
        for x in dichiarazioni:
            imp = impianto_catasto(session, x.codice_impianto)
            righe.append({"codice_impianto": x.codice_impianto, "responsabile": _responsabile(imp) or "—",
                          "indirizzo": _indirizzo(imp), "tipo": x.tipo, "data_controllo": x.data_controllo,
                          "numero_etichetta": x.numero_etichetta})
        protocollo = f"{d.numero}-{ente_id.upper()}"
        dati = {"protocollo": protocollo, "data": oggi, "luogo": m.comune or cait.comune or "—",
                "mittente": dati_soggetto(m), "tramite": dati_ufficio(cait), "ente": dati_ente(ente_id, settings),
                "distinta": d.numero, "righe": righe}
        meta = MetadatiDocumento(tipo="lettera-trasmissione", data_documento=oggi, ente=ente_id, cait=d.cait_id,
                                 manutentore=m.ragione_sociale, destinatario=ente_id, autore=m.ragione_sociale,
                                 oggetto=f"Lettera di trasmissione prot. {protocollo} ({len(righe)} rapporti)",
                                 documento_id=id_documento("lettera-trasmissione", protocollo, oggi))
        out.append(produci_documento("lettera-trasmissione", dati, meta, f"trasmissione-{numero_file(protocollo)}.pdf",
                            settings=settings, emissione=emissione, emittente=emittente or d.cait_id, registro=True))
    return out


# --------------------------------------------------------------------------- issued records, read back


def originale_distinta(session: Session, distinta: int | str, attore: Attore) -> Originale:
    """The archive id of the distinta-ricevuta of a closed distinta (tenancy checked)."""
    d = get_distinta(session, distinta, attore)
    return Originale(id_documento("distinta-ricevuta", d.numero, ora_locale(d.chiusa_il).date()),
                     f"distinta-{numero_file(d.numero)}.pdf", f"La distinta-ricevuta n. {d.numero}",
                     f"POST /distinte/{d.id}/emissione")


def originale_lettera(session: Session, distinta: int | str, attore: Attore, ente: str) -> Originale:
    """The lettera di trasmissione of a distinta for ``ente`` last issued (it is dated the day it
    is sent, so its id is looked up in the archive index by ``cerca``: None if never sent)."""
    d = get_distinta(session, distinta, attore)
    protocollo, cait_id = f"{d.numero}-{ente.upper()}", d.cait_id

    def cerca(indice: Session) -> str | None:
        from archive.indice import Documento

        return indice.scalar(select(Documento.id).where(
            Documento.tipo == "lettera-trasmissione", Documento.cait == cait_id, Documento.ente == ente,
            Documento.smaltito_il.is_(None),
            Documento.oggetto.like(f"Lettera di trasmissione prot. {protocollo} (%"))
            .order_by(Documento.data_documento.desc(), Documento.archiviato_il.desc()).limit(1))

    return Originale(None, f"trasmissione-{numero_file(protocollo)}.pdf", f"La lettera di trasmissione prot. {protocollo}",
                     f"POST /distinte/{d.id}/trasmissione?ente={ente}", cerca=cerca)
