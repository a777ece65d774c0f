"""CAIT and manutentore paper (FORMS.md §17–§19, §21): distinta-ricevuta, lettera di trasmissione,
ricevuta, rendiconti, pre-filled G/F, CAIT registry prints.

None of these documents has a printed model in the seed: they are designed as an Italian public
office issues its paper (letterhead with the CAIT or the Ente, protocol-style number, place and
date, "Oggetto:", tables whose totals are recomputed from the rows, signature and stamp blocks),
and each one says so in a footnote. The pre-filled G and F reuse the print-faithful templates of
Allegati G and F with a model that allows the measured parts to stay blank.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.cait_cassa import RendicontoCait, RendicontoEnte, RicevutaCait
from domain.cait_consegne import DistintaRicevuta, LetteraTrasmissione
from domain.cait_elenchi import ElencoManutentori, ElencoOperatori, ElencoStrumenti
from domain.cait_precompilati import PrecompilatoF, PrecompilatoG, precompila_f, precompila_g
from domain.enti import ente_competente, get_ente
from domain.etichetta import numero_etichetta, prefisso_ente
from domain.forms import allegato_f, allegato_g
from domain.tariffe import prezzo_per_fascia
from service.documents.controllo_tecnico import COPIE as COPIE_CONTROLLO
from service.documents.controllo_tecnico import comune_del_codice as COMUNE_DEL_CODICE
from service.documents.cait_stampa import (
    COPIE_DISTINTA,
    COPIE_LETTERA,
    MOTORE_DISTINTA,
    MOTORE_ELENCO,
    MOTORE_LETTERA,
    MOTORE_RENDICONTO_CAIT,
    MOTORE_RENDICONTO_ENTE,
    MOTORE_RICEVUTA,
    con_motore,
    _deriva_distinta,
    _deriva_elenco,
    _deriva_lettera,
    _deriva_rendiconto,
    _deriva_ricevuta,
    qr_distinta,
    quando,
)
from service.registry import DocumentType

__all__ = ["DOCUMENT_TYPES", "quando", "qr_distinta", "COPIE_DISTINTA", "COPIE_LETTERA"]

# --------------------------------------------------------------------------- examples

_CAIT_MN = {"codice": "CAIT-MN-01", "denominazione": "CAIT Mantova - Associazione Artigiani",
            "indirizzo": "Via Luzio 7", "comune": "46100 Mantova (MN)", "partita_iva": "01234560207",
            "email": "cait.mantova@example.it"}
_CAIT_CR = {"codice": "CAIT-CR-01", "denominazione": "CAIT Cremona - Confartigianato", "indirizzo": "Via Rosario 5",
            "comune": "26100 Cremona (CR)", "email": "cait.cremona@example.it"}
_ROSSI = {"ragione_sociale": "Rossi Termoidraulica S.n.c.", "partita_iva": "01876540202", "username": "MA023456",
          "indirizzo": "Via Roma 12", "comune": "46019 Viadana (MN)"}


def _etichetta(istat: str, tipo: str, progressivo: int, fascia: str) -> str:
    ente = ente_competente(istat)
    return numero_etichetta(prefisso_ente(ente.tipo, ente.sigla, ente.istat), 2026, tipo, progressivo,  # type: ignore[arg-type]
                            fascia).leggibile


def esempio_distinta() -> dict[str, Any]:
    """Rossi Termoidraulica hands in five rapporti at the CAIT Mantova desk (two Enti)."""
    return {
        "numero": "CAIT-MN-01/2026/000123", "cait": _CAIT_MN, "manutentore": _ROSSI, "operatore": "Ferrari Giulia",
        "emessa_il": "2026-10-12T10:35:00+02:00", "luogo": "Mantova",
        "righe": [
            {"codice_impianto": "020066IN0000347", "responsabile": "Rossi Giovanna",
             "indirizzo": "Via G. Garibaldi 27, Viadana", "tipo": "G", "data_controllo": "2026-10-05",
             "numero_etichetta": _etichetta("020066", "G", 18734, "F1"), "ente": "Provincia di Mantova"},
            {"codice_impianto": "020066IN0000412", "responsabile": "Verdi Anna", "indirizzo": "Via Garibaldi 10, Viadana",
             "tipo": "G", "data_controllo": "2026-10-06", "numero_etichetta": _etichetta("020066", "G", 18735, "F1"),
             "anomalie": "Manca la firma del responsabile per presa visione", "ente": "Provincia di Mantova"},
            {"codice_impianto": "020066CT0000002", "responsabile": "Condominio Manzoni",
             "indirizzo": "Piazza Manzoni 3, Viadana", "tipo": "F", "data_controllo": "2026-10-07",
             "numero_etichetta": _etichetta("020066", "F", 412, "F4"), "ente": "Provincia di Mantova"},
            {"codice_impianto": "020030IN0012045", "responsabile": "Bellini Marco",
             "indirizzo": "Via Chiassi 41, Mantova", "tipo": "G", "data_controllo": "2026-10-08",
             "numero_etichetta": _etichetta("020030", "G", 5521, "F1"), "ente": "Comune di Mantova",
             "anomalie": "Prescrizione: canna fumaria ostruita, apparecchio fuori servizio", "pregiudica_sicurezza": True},
            {"codice_impianto": "020030IN0012101", "responsabile": "Gonzaga Elena",
             "indirizzo": "Corso Vittorio Emanuele 88, Mantova", "tipo": "G", "data_controllo": "2026-10-09",
             "numero_etichetta": _etichetta("020030", "G", 5522, "F1"), "ente": "Comune di Mantova"},
        ],
    }


def _ente_dict(ente_id: str) -> dict[str, Any]:
    e = get_ente(ente_id)
    return {"id": e.id, "denominazione": e.denominazione, "indirizzo": e.indirizzo, "cap": e.cap, "citta": e.citta,
            "pec": e.pec, "logo": e.logo}


def esempio_lettera() -> dict[str, Any]:
    """The Provincia di Mantova part of the example distinta."""
    righe = [{k: r[k] for k in ("codice_impianto", "tipo", "data_controllo", "numero_etichetta")}
             | {"responsabile": r["responsabile"], "indirizzo": r["indirizzo"]}
             for r in esempio_distinta()["righe"] if r["ente"] == "Provincia di Mantova"]
    return {"protocollo": "CAIT-MN-01/2026/000123-PROVINCIA-MANTOVA", "data": "2026-10-12", "luogo": "Viadana",
            "mittente": _ROSSI, "tramite": _CAIT_MN, "ente": _ente_dict("provincia-mantova"),
            "distinta": "CAIT-MN-01/2026/000123", "righe": righe}


def _riga_etichetta(numero: str, ente_id: str, fascia: str) -> dict[str, Any]:
    p = prezzo_per_fascia(ente_id, fascia)
    tipo = "G" if fascia == "F1" else "F"
    return {"descrizione": f"Etichetta di validazione Allegato {tipo} - {p.fascia.etichetta}",
            "numero_etichetta": numero, "tipo": tipo, "fascia": fascia, "fascia_descrizione": p.fascia.etichetta,
            "ente": get_ente(ente_id).denominazione, "quota_ente": str(p.quota_ente),
            "contributo_regionale": str(p.contributo_regionale)}


def esempio_ricevuta() -> dict[str, Any]:
    """Three G etichette and one F (116,4–350 kW) sold to Rossi Termoidraulica."""
    righe = [_riga_etichetta(_etichetta("020066", "G", n, "F1"), "provincia-mantova", "F1") for n in (18790, 18791)]
    righe.append(_riga_etichetta(_etichetta("020030", "G", 5530, "F1"), "comune-mantova", "F1"))
    righe.append(_riga_etichetta(_etichetta("020066", "F", 415, "F4"), "provincia-mantova", "F4"))
    return {"numero": "CAIT-MN-01/RIC/2026/000458", "cait": _CAIT_MN, "intestatario": _ROSSI,
            "emessa_il": "2026-10-12T10:41:00+02:00", "luogo": "Mantova", "operatore": "Ferrari Giulia",
            "causale": "etichette", "pagamento": "POS", "righe": righe}


def _righe_rendiconto() -> list[dict[str, Any]]:
    vendite = [("000431", "2026-10-02", "020066", "G", 18601, "F1"), ("000431", "2026-10-02", "020066", "G", 18602, "F1"),
               ("000440", "2026-10-06", "020030", "G", 5490, "F1"), ("000440", "2026-10-06", "020066", "F", 401, "F2"),
               ("000447", "2026-10-09", "020066", "F", 412, "F4"), ("000452", "2026-10-15", "020030", "G", 5511, "F1"),
               ("000452", "2026-10-15", "020030", "F", 88, "F3"), ("000458", "2026-10-27", "020066", "G", 18790, "F1"),
               ("000458", "2026-10-27", "020066", "F", 415, "F4"), ("000461", "2026-10-30", "020030", "F", 91, "F5")]
    righe = []
    for ricevuta, giorno, istat, tipo, n, fascia in vendite:
        ente = ente_competente(istat)
        p = prezzo_per_fascia(ente.id, fascia)
        righe.append({"ricevuta": f"CAIT-MN-01/RIC/2026/{ricevuta}", "data": giorno,
                      "numero_etichetta": _etichetta(istat, tipo, n, fascia), "ente_id": ente.id,
                      "ente": ente.denominazione, "tipo": tipo, "fascia": fascia,
                      "fascia_descrizione": p.fascia.etichetta, "quota_ente": str(p.quota_ente),
                      "contributo_regionale": str(p.contributo_regionale)})
    return righe


def esempio_rendiconto_cait() -> dict[str, Any]:
    """October 2026 at the CAIT Mantova: etichette of the Provincia and of the Comune di Mantova."""
    return {"emittente": _CAIT_MN, "periodo_dal": "2026-10-01", "periodo_al": "2026-10-31", "emesso_il": "2026-11-03",
            "luogo": "Mantova", "protocollo": "CAIT-MN-01/REND/2026/10", "righe": _righe_rendiconto()}


def esempio_rendiconto_cait_lungo(righe: int) -> dict[str, Any]:
    """The October example with ``righe`` etichette sold (its ten sales repeated, numbers from 30000):
    long lists for the engine's tests and benchmarks (104 rows: four pages)."""
    dati = esempio_rendiconto_cait()
    base = dati["righe"]
    dati["righe"] = [{**r, "numero_etichetta": _etichetta("020066" if r["ente_id"] == "provincia-mantova" else "020030",
                                                          r["tipo"], 30000 + i, r["fascia"])}
                     for i, r in ((i, base[i % len(base)]) for i in range(righe))]
    return dati


def esempio_rendiconto_ente() -> dict[str, Any]:
    """The Comune di Mantova's own desk, fourth quarter 2026."""
    righe = [r for r in _righe_rendiconto() if r["ente_id"] == "comune-mantova"]
    sportello = {"codice": "SPORTELLO-MN", "denominazione": "Comune di Mantova - Sportello Energia",
                 "indirizzo": "Via Roma 39", "comune": "46100 Mantova (MN)", "email": "energia@comune.mantova.it"}
    return {"emittente": sportello, "ente": _ente_dict("comune-mantova"), "periodo_dal": "2026-10-01",
            "periodo_al": "2026-12-31", "emesso_il": "2027-01-12", "luogo": "Mantova",
            "protocollo": "COMUNE-MN/REND/2026/T4", "righe": righe}


def _impianto_esempio() -> dict[str, Any]:
    return {"codice_impianto": "020066IN0000347", "indirizzo": "Via Giuseppe Garibaldi", "civico": "27", "piano": "1",
            "interno": "3", "cap": "46019", "comune": "Viadana", "provincia": "MN",
            "potenza_focolare_totale_kw": "20.40", "responsabile_cognome_nome": "Giovanna Rossi",
            "responsabile_indirizzo": "Via G. Garibaldi 27", "responsabile_comune": "Viadana (MN)",
            "responsabile_telefono": "0375 781234"}


def esempio_precompilato_g() -> dict[str, Any]:
    """The Viadana flat of the Allegato G example, ready for the October 2026 visit."""
    from service.documents.controllo_tecnico import esempio_g

    return {**precompila_g(_impianto_esempio(), esempio_g(), oggi=date(2026, 10, 1), data_controllo=date(2026, 10, 14),
                           tecnico={"ragione_sociale": "Rossi Termoidraulica S.n.c.",
                                    "indirizzo": "Via Roma 12, 46019 Viadana (MN)"}),
            "cait": _CAIT_MN}


def esempio_precompilato_f() -> dict[str, Any]:
    """The Cremona boiler room of the Allegato F example, ready for the November 2026 visit."""
    from service.documents.controllo_tecnico import esempio_f

    impianto = {"codice_impianto": "019036CT0000215", "indirizzo": "Via Palestro", "civico": "46", "cap": "26100",
                "comune": "Cremona", "provincia": "CR", "potenza_focolare_totale_kw": "320.50",
                "responsabile_ragione_sociale": "Studio Amministrazioni Ferrari",
                "responsabile_indirizzo": "Corso Garibaldi 112", "responsabile_comune": "26100 Cremona (CR)",
                "responsabile_telefono": "0372 431876"}
    return {**precompila_f(impianto, esempio_f(), oggi=date(2026, 11, 1), data_controllo=date(2026, 11, 5),
                           tecnico={"ragione_sociale": "Calor Service Cremona S.r.l."}),
            "cait": _CAIT_CR}


def esempio_elenco_manutentori() -> dict[str, Any]:
    return {"cait": _CAIT_MN, "data": "2026-10-12", "luogo": "Mantova", "righe": [
        {**{k: _ROSSI[k] for k in ("ragione_sociale", "partita_iva", "username")}, "email": "info@rossitermo.it",
         "indirizzo": "Via Roma 12", "comune": "Viadana", "registrato_il": "2012-03-01"},
        {"ragione_sociale": "Idrotermica Gonzaga S.r.l.", "partita_iva": "02233440208", "username": "idrogonzaga",
         "indirizzo": "Via Mazzini 5", "comune": "Gonzaga", "registrato_il": "2019-02-14"},
    ]}


def esempio_elenco_operatori() -> dict[str, Any]:
    return {"cait": _CAIT_MN, "data": "2026-10-12", "luogo": "Mantova", "righe": [
        {"cognome_nome": "Ferrari Giulia", "username": "op.ferrari", "attivo": True},
        {"cognome_nome": "Mantovani Paolo", "username": "op.mantovani", "attivo": False},
    ]}


def esempio_elenco_strumenti() -> dict[str, Any]:
    return {"cait": _CAIT_MN, "data": "2026-10-12", "luogo": "Mantova", "righe": [
        {"marca": "Testo", "modello": "330-2 LL", "matricola": "60012345", "manutentore": "Rossi Termoidraulica S.n.c."},
        {"marca": "Seitron", "modello": "Chemist 300", "matricola": "SE3009876",
         "manutentore": "Idrotermica Gonzaga S.r.l."},
    ]}


def _num(model: Any) -> dict[str, str]:
    return {"numeroDocumento": model.numero}


_OFFICE = dict(data_documento=lambda x: x.emessa_il.date(), metadati=_num, codice_impianto=lambda x: None)

DOCUMENT_TYPES = tuple(map(con_motore, (  # each table engine on its entry's template page and title
    DocumentType(code="distinta-ricevuta", title="Distinta - ricevuta di consegna delle dichiarazioni (CAIT)",
                 model=DistintaRicevuta, template="distinta_ricevuta", example=esempio_distinta,
                 derive=_deriva_distinta, copies=COPIE_DISTINTA, modulo_in_bianco=False, motore=MOTORE_DISTINTA,
                 **_OFFICE),
    DocumentType(code="lettera-trasmissione", title="Lettera di trasmissione dei rapporti di controllo tecnico all'Ente",
                 model=LetteraTrasmissione, template="lettera_trasmissione", example=esempio_lettera,
                 derive=_deriva_lettera, copies=COPIE_LETTERA, codice_impianto=lambda x: None,
                 data_documento=lambda x: x.data, metadati=lambda x: {"numeroDocumento": x.protocollo},
                 modulo_in_bianco=False, motore=MOTORE_LETTERA),
    DocumentType(code="ricevuta", title="Ricevuta del CAIT (etichette di validazione, ricarica del Portafoglio)",
                 model=RicevutaCait, template="ricevuta", example=esempio_ricevuta, derive=_deriva_ricevuta,
                 modulo_in_bianco=False, motore=MOTORE_RICEVUTA, **_OFFICE),
    DocumentType(code="rendiconto-cait", title="Rendiconto mensile delle etichette vendute dal CAIT",
                 model=RendicontoCait, template="rendiconto_cait", example=esempio_rendiconto_cait,
                 derive=_deriva_rendiconto, codice_impianto=lambda x: None, data_documento=lambda x: x.emesso_il,
                 metadati=lambda x: {"numeroDocumento": x.protocollo}, modulo_in_bianco=False,
                 motore=MOTORE_RENDICONTO_CAIT),
    DocumentType(code="rendiconto-ente-trimestrale", title="Rendiconto trimestrale dell'Ente (vendita diretta delle etichette)",
                 model=RendicontoEnte, template="rendiconto_ente", example=esempio_rendiconto_ente,
                 derive=_deriva_rendiconto, codice_impianto=lambda x: None, data_documento=lambda x: x.emesso_il,
                 metadati=lambda x: {"numeroDocumento": x.protocollo}, modulo_in_bianco=False,
                 motore=MOTORE_RENDICONTO_ENTE),
    DocumentType(code="allegato-g-precompilato",
                 title="Rapporto di controllo tecnico (Allegato G) precompilato dal catasto",
                 model=PrecompilatoG, template="allegato_g", example=esempio_precompilato_g, copies=COPIE_CONTROLLO,
                 stampa=True,
                 contesto={"righe": allegato_g.RIGHE_G, "senza_nc": {k: ("SI", "NO") for k in allegato_g.SENZA_NC}},
                 codice_impianto=lambda x: x.codice_catasto, data_documento=lambda x: x.data_controllo,
                 rules=(COMUNE_DEL_CODICE,)),
    DocumentType(code="allegato-f-precompilato",
                 title="Rapporto di controllo tecnico (Allegato F) precompilato dal catasto",
                 model=PrecompilatoF, template="allegato_f", example=esempio_precompilato_f, copies=COPIE_CONTROLLO,
                 stampa=True,
                 contesto={"documenti": allegato_f.DOCUMENTI_F, "esame_impianto": allegato_f.ESAME_IMPIANTO_F,
                           "esame_generatore": allegato_f.ESAME_GENERATORE_F},
                 codice_impianto=lambda x: x.codice_catasto, data_documento=lambda x: x.data_controllo,
                 rules=(COMUNE_DEL_CODICE,)),
    *(DocumentType(code=code, title=title, model=model, template="elenchi_cait", example=example,
                   derive=_deriva_elenco, codice_impianto=lambda x: None, data_documento=lambda x: x.data,
                   modulo_in_bianco=False, motore=MOTORE_ELENCO)
      for code, title, model, example in (
          ("elenco-manutentori", "Elenco dei manutentori associati al CAIT", ElencoManutentori,
           esempio_elenco_manutentori),
          ("elenco-operatori", "Elenco degli operatori del CAIT", ElencoOperatori, esempio_elenco_operatori),
          ("elenco-strumenti", "Elenco degli strumenti di misura registrati dal CAIT", ElencoStrumenti,
           esempio_elenco_strumenti))),
)))

