"""Letters printed in bulk by the batch engine: avviso di ispezione and lettera di esito (FORMS.md §20).

No printed model exists for them in the seed: they are laid out as an Italian Ente letter
(letterhead, protocol, addressee window, "Oggetto:", body, signature). Each is one A4 page whose
variable values sit in fixed slots (``data-campo``), so the stamp engine lays each variant out
once (per Ente, power class and fuel for the avviso; per Ente and letter kind for the esito) and
stamps the records. ``curit-docs render avviso-ispezione dati.json`` lays one record out with
WeasyPrint through the same template (the values then fill the slots as text).

The slot values and the template context are built here once and used by both paths, so the
stamped page and the full render cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.avvisi import (
    MAX_ANOMALIE_STAMPATE,
    MAX_OBBLIGHI_STAMPATI,
    AvvisoIspezione,
    Destinatario,
    LetteraEsito,
    RiepilogoIspezione,
    documenti_da_preparare,
    esempio_avviso,
    esempio_riepilogo,
    lettere_esito,
    serve_manometro,
    variante_avviso,
)
from domain.enti import Ente
from domain.errors import NotFound
from service.motore_lotti import MotoreLotto
from service.registry import DocumentType
from service.settings import get_settings

__all__ = [
    "DOCUMENT_TYPES",
    "valori_avviso",
    "contesto_avviso",
    "variante_avviso_ente",
    "valori_lettera",
    "contesto_lettera",
    "variante_lettera",
    "ente_di",
    "esempio_lettera",
    "lettera_trabocca",
]

GIORNI = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")


def _data(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def ente_di(ente_id: str | None, codice_impianto: str) -> Ente:
    """The issuing Ente: the given one, or the competent one of the impianto's comune (§0.7)."""
    from service.enti import enti_da_settings

    enti = enti_da_settings(get_settings())
    if not ente_id:
        return enti.competente(codice_impianto[:6])
    try:
        return enti.get(ente_id)
    except NotFound as exc:  # the record names it under ``ente_id``
        raise NotFound(f"Ente sconosciuto (ente_id): {ente_id}.", path=("ente_id",)) from exc


def _destinatario(d: Destinatario) -> dict[str, str]:
    return {"dest_nominativo": d.nominativo, "dest_presso": d.presso or "",
            "dest_indirizzo": d.indirizzo or (f"PEC {d.pec}" if d.pec else ""), "dest_localita": d.riga_localita}


# --- avviso di ispezione ------------------------------------------------------------------------

def valori_avviso(a: AvvisoIspezione) -> dict[str, str]:
    """Slot values of one avviso."""
    giorno = GIORNI[a.data_ispezione.weekday()]
    return {
        "protocollo": a.protocollo, "data_lettera": _data(a.data_avviso), **_destinatario(a.responsabile),
        "codice_impianto": a.codice_impianto, "impianto": f"{a.impianto_indirizzo}, {a.impianto_comune}",
        "appuntamento": f"{giorno} {_data(a.data_ispezione)}, ore {a.ora_ispezione.strftime('%H:%M')}",
        "ispettore": a.ispettore, "recapito": a.recapito, "funzionario": a.funzionario,
    }


def contesto_avviso(a: AvvisoIspezione, ente: Ente, valori: Mapping[str, Any] | None) -> dict[str, Any]:
    """``calcoli`` of the template: only what the layout variant fixes, plus the values (or None)."""
    return {"lettera": {"ente": ente, "documenti": list(documenti_da_preparare(a.potenza_kw, a.combustibile)),
                        "manometro": serve_manometro(a.combustibile), "v": dict(valori) if valori else None}}


def variante_avviso_ente(a: AvvisoIspezione, ente: Ente) -> str:
    return f"avviso-{ente.id}-{variante_avviso(a)}"


def _derive_avviso(a: AvvisoIspezione) -> Mapping[str, Any]:
    return contesto_avviso(a, ente_di(a.ente_id, a.codice_impianto), valori_avviso(a))


# --- lettera di esito ---------------------------------------------------------------------------

def _esito_riga(r: RiepilogoIspezione) -> str:
    parti = []
    for g in r.generatori:
        testo = {"9.a": "9.a rientra nei limiti", "9.b": "9.b non rientra nei limiti",
                 "BARRATO": "prova non eseguibile"}[g.esito]
        if g.punti_non_conformi:
            testo += f" (punti {', '.join(g.punti_non_conformi)})"
        parti.append(f"generatore {g.numero}: {testo}" if len(r.generatori) > 1 else testo)
    return "; ".join(parti)


def lettera_trabocca(lettera: LetteraEsito) -> bool:
    """More anomalies or obligations than the page has slots: the letter needs the full layout."""
    return len(lettera.anomalie) > MAX_ANOMALIE_STAMPATE or len(lettera.obblighi) > MAX_OBBLIGHI_STAMPATI


def valori_lettera(lettera: LetteraEsito) -> dict[str, str]:
    """Slot values of one letter (rows beyond the slots are only in the full layout)."""
    r = lettera.riepilogo
    valori = {
        "protocollo": lettera.protocollo, "data_lettera": _data(lettera.data_lettera),
        **_destinatario(lettera.destinatario), "codice_impianto": r.codice_impianto,
        "impianto": f"{r.codice_impianto} - {r.impianto_indirizzo}, {r.impianto_comune}",
        "ispezione": f"n. {r.numero_ispezione} del {_data(r.data_ispezione)} (Allegato {r.allegato})",
        "ispettore": r.ispettore, "esito": _esito_riga(r), "termine": _data(lettera.termine),
        "funzionario": lettera.funzionario,
    }
    for i, a in enumerate(lettera.anomalie[:MAX_ANOMALIE_STAMPATE], start=1):
        valori[f"anomalia_{i}"] = f"{a.codice} - {a.testo}"
    for i, o in enumerate(lettera.obblighi[:MAX_OBBLIGHI_STAMPATI], start=1):
        valori[f"obbligo_{i}"] = o
    return valori


def contesto_lettera(lettera: LetteraEsito, ente: Ente, valori: Mapping[str, Any] | None, *,
                     completa: bool = False) -> dict[str, Any]:
    """``calcoli`` of the template; ``completa`` lists every row (letters that overflow the slots)."""
    elenco = None
    if completa and lettera_trabocca(lettera):
        elenco = {"anomalie": [f"{a.codice} - {a.testo}" for a in lettera.anomalie], "obblighi": list(lettera.obblighi)}
    return {"lettera": {"ente": ente, "tipo": lettera.tipo, "righe_anomalie": MAX_ANOMALIE_STAMPATE,
                        "righe_obblighi": MAX_OBBLIGHI_STAMPATI, "elenco": elenco,
                        "v": dict(valori) if valori else None}}


def variante_lettera(lettera: LetteraEsito, ente: Ente) -> str:
    return f"esito-{ente.id}-{lettera.tipo}"


def _derive_lettera(lettera: LetteraEsito) -> Mapping[str, Any]:
    ente = ente_di(lettera.ente_id, lettera.riepilogo.codice_impianto)
    return contesto_lettera(lettera, ente, valori_lettera(lettera), completa=True)


def esempio_lettera() -> dict[str, Any]:
    """The diffida to the condominio of the Brescia example (generator 2 fails, C4 and C11 found)."""
    r = RiepilogoIspezione.model_validate(esempio_riepilogo())
    lettere = lettere_esito(r, protocollo="BS-ESI-2026/000211", data_lettera=date(2026, 2, 9),
                            funzionario="Ing. Marta Bonetti", ente_id="comune-brescia", provincia="Brescia")
    return lettere[0].model_dump(mode="json")


DOCUMENT_TYPES = (
    DocumentType(
        code="avviso-ispezione",
        title="Avviso di ispezione dell'impianto termico",
        model=AvvisoIspezione,
        template="avviso_ispezione",
        example=esempio_avviso,
        derive=_derive_avviso,
        data_documento=lambda m: m.data_avviso,
        modulo_in_bianco=False,
        motore=MotoreLotto("avvisi"),
    ),
    DocumentType(
        code="lettera-esito",
        title="Lettera di esito dell'ispezione",
        model=LetteraEsito,
        template="lettera_esito",
        example=esempio_lettera,
        derive=_derive_lettera,
        codice_impianto=lambda m: m.riepilogo.codice_impianto,
        data_documento=lambda m: m.data_lettera,
        modulo_in_bianco=False,
        motore=MotoreLotto("esiti"),
    ),
)
