"""CAIT and manutentore paper (FORMS.md §17–§19, §21): distinta-ricevuta, lettera di trasmissione,
ricevuta, rendiconti, pre-filled G/F, CAIT registry prints.

None of these documents has a printed model in the seed: they are designed as an Italian public
office issues its paper (letterhead with the CAIT or the Ente, protocol-style number, place and
date, "Oggetto:", tables whose totals are recomputed from the rows, signature and stamp blocks),
and each one says so in a footnote. The pre-filled G and F reuse the print-faithful templates of
Allegati G and F with a model that allows the measured parts to stay blank.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from domain import cait as m
from domain.enti import ente_competente, get_ente
from domain.etichetta import numero_etichetta, prefisso_ente
from domain.forms import allegato_f, allegato_g
from domain.tariffe import prezzo_per_fascia
from renderers import barcode
from service.documents.controllo_tecnico import COPIE as COPIE_CONTROLLO
from service.documents.controllo_tecnico import comune_del_codice as COMUNE_DEL_CODICE
from renderers.html import formato_euro
from service.motore_lotti import MotoreTabella
from service.registry import DocumentType

__all__ = ["DOCUMENT_TYPES", "quando", "qr_distinta", "COPIE_DISTINTA", "COPIE_LETTERA"]

ROMA = ZoneInfo("Europe/Rome")
COPIE_DISTINTA = ("Copia per il manutentore", "Copia per il CAIT")
"""S1 All. 1 L5031–5032: "una distinta – ricevuta sia per il Manutentore … che per il CAIT"."""
COPIE_LETTERA = ("Copia per l’Ente", "Copia da restituire al manutentore con timbro di ricevuta")
"""S1 §10.3 L731–734: "in duplice copia, di cui una deve essere restituita al manutentore"."""
_MESI = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre",
         "novembre", "dicembre")


def quando(dt: datetime) -> str:
    """Italian local date and time: ``12/10/2026 ore 10:35`` (naive values are UTC, as SQLite returns them)."""
    aware = dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    return aware.astimezone(ROMA).strftime("%d/%m/%Y ore %H:%M")


def qr_distinta(model: m.DistintaRicevuta) -> str:
    """QR payload: number, manutentore, count, instant, so a desk can check a paper copy."""
    return (f"CURIT-DISTINTA|{model.numero}|{model.manutentore.partita_iva or ''}|{len(model.righe)}|"
            f"{model.emessa_il.astimezone(timezone.utc):%Y-%m-%dT%H:%MZ}")


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

    return {**m.precompila_g(_impianto_esempio(), esempio_g(), oggi=date(2026, 10, 1), data_controllo=date(2026, 10, 14),
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
    return {**m.precompila_f(impianto, esempio_f(), oggi=date(2026, 11, 1), data_controllo=date(2026, 11, 5),
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


# --------------------------------------------------------------------------- derive


def _valori_distinta(model: m.DistintaRicevuta) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Slot values of a distinta-ricevuta (the same for the stamp engine and the full layout)."""
    t = m.riepilogo_distinta(model.righe)
    ditta = model.manutentore
    fissi = {"numero": f"N. {model.numero}", "numero_piede": model.numero,
             "luogo_data": f"{model.luogo}, {quando(model.emessa_il)}", "operatore_prot": model.operatore,
             "ditta": ditta.ragione_sociale,
             "ditta_fiscale": f"P. IVA {ditta.partita_iva}" if ditta.partita_iva else "",
             "ditta_utente": f"utente CURIT {ditta.username}" if ditta.username else "",
             "ditta_indirizzo": ditta.indirizzo or "", "ditta_comune": ditta.comune or "",
             "qr": qr_distinta(model), "totale_oggetto": f"{t['totale']}.",
             **{k: str(t[k]) for k in ("allegati_g", "allegati_f", "con_anomalie", "sicurezza", "senza_etichetta",
                                       "totale")},
             "operatore": model.operatore, "firma_ditta": ditta.ragione_sociale}
    for i, (ente, n) in enumerate(t["per_ente"], start=1):
        fissi[f"ente{i}"], fissi[f"ente_n{i}"] = ente, str(n)
    righe = [{"n": str(i), "codice": r.codice_impianto, "responsabile": r.responsabile or "—",
              "indirizzo": r.indirizzo or "", "tipo": r.tipo, "data": f"{r.data_controllo:%d/%m/%Y}",
              "etichetta": r.numero_etichetta or "—",
              "anomalie": (r.anomalie + (" (pregiudica la sicurezza)" if r.pregiudica_sicurezza else ""))
              if r.anomalie else "nessuna"} for i, r in enumerate(model.righe, start=1)]
    return fissi, righe


def _contesto_distinta(model: m.DistintaRicevuta, righe: int, banda: str | None = None,
                       valori: dict[str, str] | None = None, copie: tuple[str, ...] = COPIE_DISTINTA) -> dict[str, Any]:
    t = {"cait": model.cait, "enti": len(m.riepilogo_distinta(model.righe)["per_ente"]), "righe": righe, "v": valori,
         "banda": banda, "qr_svg": barcode.qr_svg(barcode.qr_matrix(qr_distinta(model), error="M")) if valori else None}
    return {"calcoli": {"t": t}, "copie": copie}


def _deriva_distinta(model: m.DistintaRicevuta) -> dict[str, Any]:
    return _contesto_tabella(_valori_distinta, _contesto_distinta, model)


MOTORE_DISTINTA = MotoreTabella(
    "distinta_ricevuta/documento.html.j2", "Distinta - ricevuta di consegna delle dichiarazioni (CAIT)",
    valori=_valori_distinta, contesto=_contesto_distinta, margine_basso_mm=18,
    variante=lambda x: (x.cait.model_dump_json(), len(m.riepilogo_distinta(x.righe)["per_ente"])))


def _valori_lettera(model: m.LetteraTrasmissione) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Slot values of a lettera di trasmissione (the same for the stamp engine and the full layout)."""
    n = len(model.righe)
    fissi = {"protocollo": model.protocollo, "protocollo_piede": model.protocollo,
             "luogo_data": f"{model.luogo}, {model.data:%d/%m/%Y}", "distinta": model.distinta or "",
             "allegati": f"{n}.", "allegati_g": f"{sum(r.tipo == 'G' for r in model.righe)};",
             "allegati_f": f"{sum(r.tipo == 'F' for r in model.righe)}.", "totale": f"Totale rapporti allegati: {n}"}
    righe = [{"n": str(i), "responsabile": r.responsabile, "indirizzo": r.indirizzo, "codice": r.codice_impianto,
              "tipo": r.tipo, "data": f"{r.data_controllo:%d/%m/%Y}", "etichetta": r.numero_etichetta or "—"}
             for i, r in enumerate(model.righe, start=1)]
    return fissi, righe


def _contesto_lettera(model: m.LetteraTrasmissione, righe: int, banda: str | None = None,
                      valori: dict[str, str] | None = None, copie: tuple[str, ...] = COPIE_LETTERA) -> dict[str, Any]:
    t = {"mittente": model.mittente, "tramite": model.tramite, "ente": model.ente, "distinta": bool(model.distinta),
         "righe": righe, "v": valori, "banda": banda}
    return {"calcoli": {"t": t}, "copie": copie}


def _deriva_lettera(model: m.LetteraTrasmissione) -> dict[str, Any]:
    return _contesto_tabella(_valori_lettera, _contesto_lettera, model)


MOTORE_LETTERA = MotoreTabella(
    "lettera_trasmissione/documento.html.j2", "Lettera di trasmissione dei rapporti di controllo tecnico all'Ente",
    valori=_valori_lettera, contesto=_contesto_lettera, margine_basso_mm=18,
    variante=lambda x: (x.mittente.model_dump_json(), x.tramite.model_dump_json() if x.tramite else "",
                        x.ente.model_dump_json(), bool(x.distinta)))


_PAGAMENTO = {"contanti": "in contanti", "POS": "con carta (POS)", "bonifico": "con bonifico bancario",
              "portafoglio": "addebito sul Portafoglio CURIT"}


def _valori_ricevuta(model: m.RicevutaCait) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Slot values of a ricevuta (the same for the stamp engine and the full layout) and its rows."""
    t = m.totale_ricevuta(model.righe)
    i = model.intestatario
    fiscale = " · ".join(p for p in (f"P. IVA {i.partita_iva}" if i.partita_iva else "",
                                     f"utente CURIT {i.username}" if i.partita_iva and i.username else "") if p)
    fissi = {"numero": f"N. {model.numero}", "numero_piede": model.numero,
             "luogo_data": f"{model.luogo}, {quando(model.emessa_il)}", "pagamento": _PAGAMENTO[model.pagamento],
             "int_nome": i.ragione_sociale, "int_fiscale": fiscale,
             "int_indirizzo": " - ".join(p for p in (i.indirizzo, i.comune) if p) if i.indirizzo else "",
             "n_righe": str(len(model.righe)), "totale_testo": formato_euro(t["totale"]) + ".",
             "totale_righe": f"Totale ({len(model.righe)} etichette)", "totale_quota": formato_euro(t["quota_ente"]),
             "totale_contributo": formato_euro(t["contributo_regionale"]), "totale": formato_euro(t["totale"]),
             "operatore": model.operatore, "firma_ditta": i.ragione_sociale}
    if model.saldo_portafoglio is not None:
        fissi["saldo"] = formato_euro(model.saldo_portafoglio) + "."
    if model.causale == "etichette":
        righe = [{"n": str(n), "etichetta": r.numero_etichetta or "", "tipo": r.tipo or "",
                  "fascia": r.fascia_descrizione or r.fascia or "", "ente": r.ente or "",
                  "quota": formato_euro(r.quota_ente), "contributo": formato_euro(r.contributo_regionale),
                  "importo": formato_euro(r.importo)} for n, r in enumerate(model.righe, start=1)]
    else:
        righe = [{"n": str(n), "descrizione": r.descrizione, "importo": formato_euro(r.importo)}
                 for n, r in enumerate(model.righe, start=1)]
    return fissi, righe


def _contesto_ricevuta(model: m.RicevutaCait, righe: int, banda: str | None = None,
                       valori: dict[str, str] | None = None, copie: tuple[str, ...] = ("",)) -> dict[str, Any]:
    """Template context of a ricevuta with ``righe`` rows: values given (full layout) or absent;
    ``banda``: only that part of the page visible (``service.motore_lotti.MotoreTabella``)."""
    t = {"vendita": model.causale == "etichette", "saldo": model.saldo_portafoglio is not None, "righe": righe,
         "cait": model.cait, "v": valori, "banda": banda}
    return {"calcoli": {"t": t}, "copie": copie}


def _deriva_ricevuta(model: m.RicevutaCait) -> dict[str, Any]:
    return _contesto_tabella(_valori_ricevuta, _contesto_ricevuta, model)


MOTORE_RICEVUTA = MotoreTabella(
    "ricevuta/documento.html.j2", "Ricevuta del CAIT (etichette di validazione, ricarica del Portafoglio)",
    valori=_valori_ricevuta, contesto=_contesto_ricevuta, margine_basso_mm=18,
    variante=lambda x: (x.cait.model_dump_json(), x.causale, x.saldo_portafoglio is not None))


def _periodo(model: Any) -> str:
    dal = model.periodo_dal
    if isinstance(model, m.RendicontoEnte):
        q = (dal.month - 1) // 3 + 1
        return f"{q}° trimestre {dal.year} ({_MESI[dal.month - 1]} – {_MESI[model.periodo_al.month - 1]})"
    return f"{_MESI[dal.month - 1]} {dal.year}"


def _valori_rendiconto(model: Any) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Slot values of a rendiconto (CAIT or Ente; the same for the engine and the full layout)."""
    r = m.riepilogo_rendiconto(model.righe)
    e = formato_euro
    periodo = _periodo(model)
    fissi = {"protocollo": model.protocollo, "piede": f"{model.protocollo} - {periodo}",
             "luogo_data": f"{model.luogo}, {model.emesso_il:%d/%m/%Y}", "periodo": periodo,
             "periodo_date": f"{periodo} ({model.periodo_dal:%d/%m/%Y} – {model.periodo_al:%d/%m/%Y})",
             "quantita": f"{r['quantita']};", "ricevute": f"{r['ricevute']};", "incasso": e(r["totale"]) + ".",
             "contributo_testo": e(r["contributo_regionale"]) + ";", "quote_testo": e(r["quota_ente"]) + ".",
             "tot_q": str(r["quantita"]), "tot_quota": e(r["quota_ente"]), "tot_contr": e(r["contributo_regionale"]),
             "tot_tot": e(r["totale"]), "vr_titolo": f"contributo regionale ({r['quantita']} etichette)",
             "da_versare": e(r["quota_ente"] + r["contributo_regionale"] if isinstance(model, m.RendicontoCait)
                             else r["contributo_regionale"])}
    for i, ente in enumerate(r["per_ente"], start=1):
        fissi.update({f"e{i}_q": str(ente["quantita"]), f"e{i}_quota": e(ente["quota_ente"]),
                      f"e{i}_contr": e(ente["contributo_regionale"]), f"e{i}_tot": e(ente["totale"]),
                      f"v{i}_titolo": f"quota dell'Ente ({ente['quantita']} etichette)", f"v{i}_quota": e(ente["quota_ente"])})
        for j, f in enumerate(ente["fasce"], start=1):
            fissi.update({f"e{i}f{j}_q": str(f["quantita"]), f"e{i}f{j}_quota": e(f["quota_ente"]),
                          f"e{i}f{j}_contr": e(f["contributo_regionale"]),
                          f"e{i}f{j}_tot": e(f["quota_ente"] + f["contributo_regionale"])})
    ordinate = sorted(model.righe, key=lambda x: (x.ente, x.numero_etichetta))
    righe = [{"n": str(n), "etichetta": x.numero_etichetta, "tipo": x.tipo, "fascia": x.fascia, "ente": x.ente,
              "ricevuta": x.ricevuta, "data": f"{x.data:%d/%m/%Y}", "quota": e(x.quota_ente),
              "contr": e(x.contributo_regionale)} for n, x in enumerate(ordinate, start=1)]
    return fissi, righe


def _struttura_rendiconto(model: Any) -> list[dict[str, Any]]:
    """The Enti and their power bands (static text of the layout)."""
    return [{"ente": x["ente"], "fasce": [{"descrizione": f["descrizione"], "tipo": f["tipo"]} for f in x["fasce"]]}
            for x in m.riepilogo_rendiconto(model.righe)["per_ente"]]


def _contesto_rendiconto(model: Any, righe: int, banda: str | None = None, valori: dict[str, str] | None = None,
                         copie: tuple[str, ...] = ("",)) -> dict[str, Any]:
    t = {"emittente": model.emittente, "ente": getattr(model, "ente", None), "enti": _struttura_rendiconto(model),
         "righe": righe, "v": valori, "banda": banda}
    return {"calcoli": {"t": t}, "copie": copie}


def _deriva_rendiconto(model: Any) -> dict[str, Any]:
    return _contesto_tabella(_valori_rendiconto, _contesto_rendiconto, model)


def _motore_rendiconto(template: str, titolo: str) -> MotoreTabella:
    return MotoreTabella(
        template, titolo, valori=_valori_rendiconto, contesto=_contesto_rendiconto, margine_basso_mm=18,
        variante=lambda x: (x.emittente.model_dump_json(), x.ente.model_dump_json() if hasattr(x, "ente") else "",
                            repr(_struttura_rendiconto(x))))


_ELENCHI = {
    m.ElencoManutentori: ("Elenco dei manutentori associati", (
        ("Ragione sociale", "ragione_sociale", 42), ("Partita IVA", "partita_iva", 21), ("Utente CURIT", "username", 21),
        ("E-mail", "email", 34), ("Sede", "sede", 33), ("Registrato il", "registrato_il", 18))),
    m.ElencoOperatori: ("Elenco degli operatori del CAIT", (
        ("Cognome e nome", "cognome_nome", 90), ("Utente", "username", 50), ("Stato", "stato", 29))),
    m.ElencoStrumenti: ("Elenco degli strumenti di misura", (
        ("Marca", "marca", 35), ("Modello", "modello", 40), ("Matricola", "matricola", 34),
        ("Manutentore", "manutentore", 60))),
}
"""Per list: title and columns (label, field, width in mm: with the N. column, the 176 mm of the page)."""


def _cella(riga: Any, chiave: str) -> str:
    if chiave == "sede":
        return " - ".join(p for p in (riga.indirizzo, riga.comune) if p) or "—"
    if chiave == "stato":
        return "attivo" if riga.attivo else "non attivo"
    valore = getattr(riga, chiave)
    if isinstance(valore, date):
        return valore.strftime("%d/%m/%Y")
    return str(valore) if valore not in (None, "") else "—"


def _valori_elenco(model: Any) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Slot values of a CAIT list (the same for the stamp engine and the full layout) and its rows."""
    _, colonne = _ELENCHI[type(model)]
    data = model.data.strftime("%d/%m/%Y")
    fissi = {"luogo_data": f"{model.luogo}, {data}", "data": f"{data}.", "data_piede": data,
             "totale": f"Totale: {len(model.righe)}"}
    righe = [{"n": str(n), **{f"c{j}": _cella(r, k) for j, (_, k, _) in enumerate(colonne)}}
             for n, r in enumerate(model.righe, start=1)]
    return fissi, righe


def _contesto_elenco(model: Any, righe: int, banda: str | None = None,
                     valori: dict[str, str] | None = None, copie: tuple[str, ...] = ("",)) -> dict[str, Any]:
    titolo, colonne = _ELENCHI[type(model)]
    t = {"titolo": titolo, "cait": model.cait, "colonne": [(c, mm) for c, _, mm in colonne], "righe": righe,
         "v": valori, "banda": banda}
    return {"calcoli": {"t": t}, "copie": copie}


def _deriva_elenco(model: Any) -> dict[str, Any]:
    return _contesto_tabella(_valori_elenco, _contesto_elenco, model)


def _contesto_tabella(valori_di: Any, contesto_di: Any, model: Any) -> dict[str, Any]:
    """``calcoli`` of the full layout of a table document: its context with every value in place."""
    fissi, righe = valori_di(model)
    valori = dict(fissi)
    for n, riga in enumerate(righe, start=1):
        valori.update({f"r{n}_{c}": x for c, x in riga.items()})
    return contesto_di(model, len(righe), valori=valori)["calcoli"]


MOTORE_ELENCO = MotoreTabella(
    "elenchi_cait/documento.html.j2", "Elenco del CAIT", valori=_valori_elenco, contesto=_contesto_elenco,
    margine_basso_mm=18, variante=lambda x: (type(x).__name__, x.cait.model_dump_json()))


def _num(model: Any) -> dict[str, str]:
    return {"numeroDocumento": model.numero}


_OFFICE = dict(data_documento=lambda x: x.emessa_il.date(), metadati=_num, codice_impianto=lambda x: None)

DOCUMENT_TYPES = (
    DocumentType(code="distinta-ricevuta", title="Distinta - ricevuta di consegna delle dichiarazioni (CAIT)",
                 model=m.DistintaRicevuta, template="distinta_ricevuta", example=esempio_distinta,
                 derive=_deriva_distinta, copies=COPIE_DISTINTA, modulo_in_bianco=False, motore=MOTORE_DISTINTA,
                 **_OFFICE),
    DocumentType(code="lettera-trasmissione", title="Lettera di trasmissione dei rapporti di controllo tecnico all'Ente",
                 model=m.LetteraTrasmissione, template="lettera_trasmissione", example=esempio_lettera,
                 derive=_deriva_lettera, copies=COPIE_LETTERA, codice_impianto=lambda x: None,
                 data_documento=lambda x: x.data, metadati=lambda x: {"numeroDocumento": x.protocollo},
                 modulo_in_bianco=False, motore=MOTORE_LETTERA),
    DocumentType(code="ricevuta", title="Ricevuta del CAIT (etichette di validazione, ricarica del Portafoglio)",
                 model=m.RicevutaCait, template="ricevuta", example=esempio_ricevuta, derive=_deriva_ricevuta,
                 modulo_in_bianco=False, motore=MOTORE_RICEVUTA, **_OFFICE),
    DocumentType(code="rendiconto-cait", title="Rendiconto mensile delle etichette vendute dal CAIT",
                 model=m.RendicontoCait, template="rendiconto_cait", example=esempio_rendiconto_cait,
                 derive=_deriva_rendiconto, codice_impianto=lambda x: None, data_documento=lambda x: x.emesso_il,
                 metadati=lambda x: {"numeroDocumento": x.protocollo}, modulo_in_bianco=False,
                 motore=_motore_rendiconto("rendiconto_cait/documento.html.j2",
                                           "Rendiconto mensile delle etichette vendute dal CAIT")),
    DocumentType(code="rendiconto-ente-trimestrale", title="Rendiconto trimestrale dell'Ente (vendita diretta delle etichette)",
                 model=m.RendicontoEnte, template="rendiconto_ente", example=esempio_rendiconto_ente,
                 derive=_deriva_rendiconto, codice_impianto=lambda x: None, data_documento=lambda x: x.emesso_il,
                 metadati=lambda x: {"numeroDocumento": x.protocollo}, modulo_in_bianco=False,
                 motore=_motore_rendiconto("rendiconto_ente/documento.html.j2",
                                           "Rendiconto trimestrale dell'Ente (vendita diretta delle etichette)")),
    DocumentType(code="allegato-g-precompilato",
                 title="Rapporto di controllo tecnico (Allegato G) precompilato dal catasto",
                 model=m.PrecompilatoG, template="allegato_g", example=esempio_precompilato_g, copies=COPIE_CONTROLLO,
                 stampa=True,
                 contesto={"righe": allegato_g.RIGHE_G, "senza_nc": {k: ("SI", "NO") for k in allegato_g.SENZA_NC}},
                 codice_impianto=lambda x: x.codice_catasto, data_documento=lambda x: x.data_controllo,
                 rules=(COMUNE_DEL_CODICE,)),
    DocumentType(code="allegato-f-precompilato",
                 title="Rapporto di controllo tecnico (Allegato F) precompilato dal catasto",
                 model=m.PrecompilatoF, template="allegato_f", example=esempio_precompilato_f, copies=COPIE_CONTROLLO,
                 stampa=True,
                 contesto={"documenti": allegato_f.DOCUMENTI_F, "esame_impianto": allegato_f.ESAME_IMPIANTO_F,
                           "esame_generatore": allegato_f.ESAME_GENERATORE_F},
                 codice_impianto=lambda x: x.codice_catasto, data_documento=lambda x: x.data_controllo,
                 rules=(COMUNE_DEL_CODICE,)),
    *(DocumentType(code=code, title=title, model=model, template="elenchi_cait", example=example,
                   derive=_deriva_elenco, codice_impianto=lambda x: None, data_documento=lambda x: x.data,
                   modulo_in_bianco=False, motore=MOTORE_ELENCO)
      for code, title, model, example in (
          ("elenco-manutentori", "Elenco dei manutentori associati al CAIT", m.ElencoManutentori,
           esempio_elenco_manutentori),
          ("elenco-operatori", "Elenco degli operatori del CAIT", m.ElencoOperatori, esempio_elenco_operatori),
          ("elenco-strumenti", "Elenco degli strumenti di misura registrati dal CAIT", m.ElencoStrumenti,
           esempio_elenco_strumenti))),
)

