"""CAIT paper through the compile-once engine: each document's slot values and template context.

The values are built here once (Italian dates, amounts, counts) and used both by the stamp engine
(``service.motore_tabella.MotoreTabella``: the page compiled once with empty slots, rows repeated)
and by the full layout (``derive``: the same template with the values in the slots), so the two
cannot drift apart. ``service.documents.cait`` registers the types.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from domain.cait_cassa import RendicontoCait, RendicontoEnte, RicevutaCait, riepilogo_rendiconto, totale_ricevuta
from domain.cait_consegne import DistintaRicevuta, LetteraTrasmissione, riepilogo_distinta
from domain.cait_elenchi import ElencoManutentori, ElencoOperatori, ElencoStrumenti
from renderers import barcode
from renderers.html import formato_euro
from service.motore_tabella import MotoreTabella

__all__ = ["quando", "qr_distinta", "COPIE_DISTINTA", "COPIE_LETTERA", "MotoreCait", "con_motore", "MOTORE_DISTINTA",
           "MOTORE_LETTERA", "MOTORE_RICEVUTA", "MOTORE_ELENCO", "MOTORE_RENDICONTO_CAIT", "MOTORE_RENDICONTO_ENTE"]

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


def qr_distinta(model: DistintaRicevuta) -> str:
    """QR payload: number, manutentore, count, instant, so a desk can check a paper copy."""
    return (f"CURIT-DISTINTA|{model.numero}|{model.manutentore.partita_iva or ''}|{len(model.righe)}|"
            f"{model.emessa_il.astimezone(timezone.utc):%Y-%m-%dT%H:%MZ}")


def _valori_distinta(model: DistintaRicevuta) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Slot values of a distinta-ricevuta (the same for the stamp engine and the full layout)."""
    t = riepilogo_distinta(model.righe)
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


def _contesto_distinta(model: DistintaRicevuta, righe: int, banda: str | None = None,
                       valori: dict[str, str] | None = None, copie: tuple[str, ...] = COPIE_DISTINTA,
                       pagine: int = 1) -> dict[str, Any]:
    t = {"cait": model.cait, "enti": len(riepilogo_distinta(model.righe)["per_ente"]), "righe": righe, "v": valori,
         "banda": banda, "pagine": pagine, "qr_svg": barcode.qr_svg(barcode.qr_matrix(qr_distinta(model), error="M")) if valori else None}
    return {"calcoli": {"t": t}, "copie": copie}


def _deriva_distinta(model: DistintaRicevuta) -> dict[str, Any]:
    return _contesto_tabella(_valori_distinta, _contesto_distinta, model)


class MotoreCait:
    """How a CAIT table document is stamped, without its template page and title: those are its
    registry entry's (``DocumentType.template_path``, ``.title``), declared once there;
    :func:`con_motore` builds the entry's ``MotoreTabella`` from them."""

    def __init__(self, **parti: Any) -> None:
        self.parti = parti
        """``MotoreTabella``'s keyword arguments: valori, contesto, variante, margine_basso_mm, seguito."""

    def per(self, doc: Any) -> MotoreTabella:
        return MotoreTabella(doc.template_path, doc.title, **self.parti)


def con_motore(doc: Any) -> Any:
    """``doc`` (a ``DocumentType``) with its :class:`MotoreCait` turned into the engine of its own
    template page and title; any other entry unchanged."""
    return replace(doc, motore=doc.motore.per(doc)) if isinstance(doc.motore, MotoreCait) else doc


MOTORE_DISTINTA = MotoreCait(
    valori=_valori_distinta, contesto=_contesto_distinta, margine_basso_mm=37, seguito=True,  # its band for the contrassegno
    variante=lambda x: (x.cait.model_dump_json(), len(riepilogo_distinta(x.righe)["per_ente"])))


def _valori_lettera(model: LetteraTrasmissione) -> tuple[dict[str, str], list[dict[str, str]]]:
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


def _contesto_lettera(model: LetteraTrasmissione, righe: int, banda: str | None = None,
                      valori: dict[str, str] | None = None, copie: tuple[str, ...] = COPIE_LETTERA,
                      pagine: int = 1) -> dict[str, Any]:
    t = {"mittente": model.mittente, "tramite": model.tramite, "ente": model.ente, "distinta": bool(model.distinta),
         "righe": righe, "v": valori, "banda": banda, "pagine": pagine}
    return {"calcoli": {"t": t}, "copie": copie}


def _deriva_lettera(model: LetteraTrasmissione) -> dict[str, Any]:
    return _contesto_tabella(_valori_lettera, _contesto_lettera, model)


MOTORE_LETTERA = MotoreCait(
    valori=_valori_lettera, contesto=_contesto_lettera, margine_basso_mm=18, seguito=True,
    variante=lambda x: (x.mittente.model_dump_json(), x.tramite.model_dump_json() if x.tramite else "",
                        x.ente.model_dump_json(), bool(x.distinta)))


_PAGAMENTO = {"contanti": "in contanti", "POS": "con carta (POS)", "bonifico": "con bonifico bancario",
              "portafoglio": "addebito sul Portafoglio CURIT"}


def _valori_ricevuta(model: RicevutaCait) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Slot values of a ricevuta (the same for the stamp engine and the full layout) and its rows."""
    t = totale_ricevuta(model.righe)
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


def _contesto_ricevuta(model: RicevutaCait, righe: int, banda: str | None = None,
                       valori: dict[str, str] | None = None, copie: tuple[str, ...] = ("",), pagine: int = 1) -> dict[str, Any]:
    """Template context of a ricevuta with ``righe`` rows: values given (full layout) or absent;
    ``banda``: only that part of the page visible (``service.motore_tabella.MotoreTabella``)."""
    t = {"vendita": model.causale == "etichette", "saldo": model.saldo_portafoglio is not None, "righe": righe,
         "cait": model.cait, "v": valori, "banda": banda, "pagine": pagine}
    return {"calcoli": {"t": t}, "copie": copie}


def _deriva_ricevuta(model: RicevutaCait) -> dict[str, Any]:
    return _contesto_tabella(_valori_ricevuta, _contesto_ricevuta, model)


MOTORE_RICEVUTA = MotoreCait(
    valori=_valori_ricevuta, contesto=_contesto_ricevuta, margine_basso_mm=18, seguito=True,
    variante=lambda x: (x.cait.model_dump_json(), x.causale, x.saldo_portafoglio is not None))


def _periodo(model: Any) -> str:
    dal = model.periodo_dal
    if isinstance(model, RendicontoEnte):
        q = (dal.month - 1) // 3 + 1
        return f"{q}° trimestre {dal.year} ({_MESI[dal.month - 1]} – {_MESI[model.periodo_al.month - 1]})"
    return f"{_MESI[dal.month - 1]} {dal.year}"


def _valori_rendiconto(model: Any) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Slot values of a rendiconto (CAIT or Ente; the same for the engine and the full layout)."""
    r = riepilogo_rendiconto(model.righe)
    e = formato_euro
    periodo = _periodo(model)
    fissi = {"protocollo": model.protocollo, "piede": f"{model.protocollo} - {periodo}",
             "luogo_data": f"{model.luogo}, {model.emesso_il:%d/%m/%Y}", "periodo": periodo,
             "periodo_date": f"{periodo} ({model.periodo_dal:%d/%m/%Y} – {model.periodo_al:%d/%m/%Y})",
             "quantita": str(r["quantita"]), "ricevute": str(r["ricevute"]), "incasso": e(r["totale"]) + ".",
             "contributo_testo": e(r["contributo_regionale"]) + ";", "quote_testo": e(r["quota_ente"]) + ".",
             "tot_q": str(r["quantita"]), "tot_quota": e(r["quota_ente"]), "tot_contr": e(r["contributo_regionale"]),
             "tot_tot": e(r["totale"]), "vr_titolo": f"contributo regionale ({r['quantita']} etichette)",
             "da_versare": e(r["quota_ente"] + r["contributo_regionale"] if isinstance(model, RendicontoCait)
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
            for x in riepilogo_rendiconto(model.righe)["per_ente"]]


def _contesto_rendiconto(model: Any, righe: int, banda: str | None = None, valori: dict[str, str] | None = None,
                         copie: tuple[str, ...] = ("",), pagine: int = 1) -> dict[str, Any]:
    t = {"emittente": model.emittente, "ente": getattr(model, "ente", None), "enti": _struttura_rendiconto(model),
         "righe": righe, "v": valori, "banda": banda, "pagine": pagine}
    return {"calcoli": {"t": t}, "copie": copie}


def _deriva_rendiconto(model: Any) -> dict[str, Any]:
    return _contesto_tabella(_valori_rendiconto, _contesto_rendiconto, model)


def _variante_rendiconto(model: Any) -> tuple[Any, ...]:
    return (model.emittente.model_dump_json(), model.ente.model_dump_json() if hasattr(model, "ente") else "",
            repr(_struttura_rendiconto(model)))


MOTORE_RENDICONTO_CAIT = MotoreCait(
    valori=_valori_rendiconto, contesto=_contesto_rendiconto, margine_basso_mm=37, seguito=True,  # its band for the contrassegno
    variante=_variante_rendiconto)
MOTORE_RENDICONTO_ENTE = MotoreCait(
    valori=_valori_rendiconto, contesto=_contesto_rendiconto, margine_basso_mm=18, seguito=True,
    variante=_variante_rendiconto)
"""The CAIT's monthly and the Ente's quarterly rendiconto: one way of stamping, two templates (the CAIT's with
the contrassegno's band at the bottom of every page)."""


_ELENCHI = {
    ElencoManutentori: ("Elenco dei manutentori associati", (
        ("Ragione sociale", "ragione_sociale", 42), ("Partita IVA", "partita_iva", 21), ("Utente CURIT", "username", 21),
        ("E-mail", "email", 34), ("Sede", "sede", 33), ("Registrato il", "registrato_il", 18))),
    ElencoOperatori: ("Elenco degli operatori del CAIT", (
        ("Cognome e nome", "cognome_nome", 90), ("Utente", "username", 50), ("Stato", "stato", 29))),
    ElencoStrumenti: ("Elenco degli strumenti di misura", (
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
                     valori: dict[str, str] | None = None, copie: tuple[str, ...] = ("",), pagine: int = 1) -> dict[str, Any]:
    titolo, colonne = _ELENCHI[type(model)]
    t = {"titolo": titolo, "cait": model.cait, "colonne": [(c, mm) for c, _, mm in colonne], "righe": righe,
         "v": valori, "banda": banda, "pagine": pagine}
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


MOTORE_ELENCO = MotoreCait(
    valori=_valori_elenco, contesto=_contesto_elenco,
    margine_basso_mm=18, seguito=True, variante=lambda x: (type(x).__name__, x.cait.model_dump_json()))

