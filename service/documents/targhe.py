"""Targhe identificative (FORMS.md §14.2): ``curit-docs esempio targhe`` / ``schema targhe``;
etichette di validazione as a FAC-SIMILE preview (``esempio etichette`` / ``render etichette``).

The model is the content of ``impianti.json`` (a list of impianti). Batches of plates
go through the stamp engine (``service/targhe.py``, ``curit-docs targhe``); this entry
also lets ``curit-docs render targhe`` lay the same plates out one by one with
WeasyPrint (84 × 55 mm pages, PDF/A-3b), where the codes are inline SVG.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.etichetta import AnteprimaEtichette, numero_etichetta, prefisso_ente
from domain.targa import COPIE_TARGA, ElencoImpiantiTarga
from renderers import barcode
from service.motore_lotti import MotoreLotto, MotoreTipo, Piano, Variante, pagine_semplici
from service.registry import DocumentType
from service.settings import Settings, get_settings


def esempio_impianti() -> list[dict[str, Any]]:
    """Realistic Lombard impianti: provincial and municipal Enti, CT/IN/TR, with and without civico."""
    return [
        {"codice_impianto": "019036IN0000123", "indirizzo": "Via Giuseppe Garibaldi", "civico": "10",
         "comune": "Cremona", "ente_id": None},
        {"codice_impianto": "019035CT0000457", "indirizzo": "Piazza Duomo", "civico": "3",
         "comune": "Crema", "ente_id": None},
        {"codice_impianto": "020066CT0000001", "indirizzo": "Via Giuseppe Verdi", "civico": "41",
         "comune": "Viadana", "ente_id": "provincia-mantova"},
        {"codice_impianto": "015146CT0004567", "indirizzo": "Corso Buenos Aires", "civico": "23/B",
         "comune": "Milano", "ente_id": None},
        {"codice_impianto": "015182IN0001208", "indirizzo": "Via Madonna", "civico": "67",
         "comune": "Rho", "ente_id": None},
        {"codice_impianto": "016219TR0000014", "indirizzo": "Viale Piave", "civico": "2",
         "comune": "Treviglio", "ente_id": None},
        {"codice_impianto": "017067IN0000872", "indirizzo": "Lungolago Cesare Battisti", "civico": "15",
         "comune": "Desenzano del Garda", "ente_id": None},
        {"codice_impianto": "014061IN0000033", "indirizzo": "Località Triangia", "civico": None,
         "comune": "Sondrio", "ente_id": None},
    ]


def derive_targhe(model: ElencoImpiantiTarga) -> Mapping[str, Any]:
    """Per impianto: the Ente's plate look, the slot values and the codes as SVG."""
    from service.enti import enti_da_settings, personalizzazioni
    from service.targhe import contesto_targa, payload_qr, pers_targa, valori_targa

    settings = get_settings()
    enti = enti_da_settings(settings)
    pers_raw = personalizzazioni(settings, "targa")
    targhe = []
    for imp in model.impianti:
        ente = enti.get(imp.ente_id) if imp.ente_id else enti.competente(imp.istat)
        valori = valori_targa(imp, settings.targhe_url_verifica)
        svg = {"qr": barcode.qr_svg(barcode.qr_matrix(valori["qr"], error="M")),
               "barre": barcode.code128_svg(valori["barre"])}
        targhe.append(contesto_targa(ente, pers_targa(pers_raw, ente.id), valori, svg))
    return {"targhe": targhe}


def esempio_etichette() -> dict[str, Any]:
    """One A4-1x7 sheet of G etichette of the Provincia di Cremona (2026/2027)."""
    return {"ente_id": "provincia-cremona", "tipo": "G", "fascia": None, "stagione": 2026, "quantita": 7}


def _anteprima(model: AnteprimaEtichette, *, valori: bool) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The FAC-SIMILE sheets (``calcoli`` of the template) and each sheet's slot values: example
    numbers (progressives 1…n, never allocated) on the A4-1x7 profile at the measured positions; no
    database is opened. ``valori=False``: every slot empty (the sheet layout the engine compiles)."""
    from renderers.impose import get_profile
    from service.etichette_stampa import FOGLIO_ETICHETTE, contesto_etichetta, pers_etichetta
    from service.enti import enti_da_settings

    settings = get_settings()
    try:
        ente = enti_da_settings(settings).get(model.ente_id)
    except Exception as exc:
        from domain.errors import RuleViolation

        raise RuleViolation(f"Ente sconosciuto: {model.ente_id}.", path=("ente_id",)) from exc
    pers = pers_etichetta(settings, ente.id)
    profilo = get_profile(FOGLIO_ETICHETTE)
    prefisso = prefisso_ente(ente.tipo, ente.sigla, ente.istat)
    fogli: list[list[dict[str, Any]]] = []
    per_foglio: list[dict[str, str]] = []
    for i in range(model.quantita):
        numero = numero_etichetta(prefisso, model.stagione, model.tipo, i + 1, model.fascia)
        v = {"numero": numero.leggibile, "qr": numero.compatto, "barre": numero.compatto}
        svg = {"qr": barcode.qr_svg(barcode.qr_matrix(numero.compatto, error="M")),
               "barre": barcode.code128_svg(numero.compatto)} if valori else None
        e = contesto_etichetta(ente, pers, numero, v if valori else None, svg)
        cella = i % profilo.per_sheet
        if cella == 0:
            fogli.append([])
            per_foglio.append({})
        e["x"], e["y"] = profilo.cell(cella)
        e["cella"] = cella + 1
        fogli[-1].append(e)
        per_foglio[-1].update({f"{k}{cella + 1}": testo for k, testo in v.items()})
    calcoli = {"fogli": fogli, "facsimile": True,
               "foglio": {"larghezza": profilo.page_width, "altezza": profilo.page_height}}
    return calcoli, per_foglio


def derive_etichette(model: AnteprimaEtichette) -> Mapping[str, Any]:
    """FAC-SIMILE sheets laid out in full (the engine's fallback and reference)."""
    return _anteprima(model, valori=True)[0]


class MotoreEtichette(MotoreTipo):
    """The FAC-SIMILE sheets stamped: one compiled sheet per Ente, type, band, stagione and number
    of etichette on it (a full sheet, and the last one), the numbers and codes stamped per cell."""

    def piano(self, model: AnteprimaEtichette, modo: str, settings: Settings,
              holders: tuple[str, ...] = ("",)) -> Piano:
        calcoli, valori = _anteprima(model, valori=False)
        varianti: dict[tuple[Any, ...], Variante] = {}
        stampe = []
        for foglio, v in zip(calcoli["fogli"], valori):
            chiave = ("etichette", model.ente_id, model.tipo, model.fascia, model.stagione, len(foglio))
            if chiave not in varianti:
                contesto = {"calcoli": {**calcoli, "fogli": [foglio]}, "copie": ("",)}
                varianti[chiave] = Variante(chiave, "etichetta/documento.html.j2", "Etichette di validazione (FAC-SIMILE)",
                                            lambda c=contesto: c)
            stampe.append((chiave, v))

        def disegna(stamper):
            return pagine_semplici([item for chiave, v in stampe for item in stamper(chiave).stamp_all(v)])

        return Piano(tuple(varianti.values()), disegna)


DOCUMENT_TYPES = (
    DocumentType(
        code="targhe",
        title="Targhe identificative degli impianti termici",
        model=ElencoImpiantiTarga,
        template="targa",
        example=esempio_impianti,
        derive=derive_targhe,
        copies=COPIE_TARGA,
        codice_impianto=lambda m: m.impianti[0].codice_impianto if len(m.impianti) == 1 else None,
        motore=MotoreLotto("targhe", records=lambda m: [i.model_dump(mode="json") for i in m.impianti],
                           per_copia=COPIE_TARGA),
    ),
    DocumentType(
        code="etichette",
        title="Etichette di validazione (FAC-SIMILE)",
        model=AnteprimaEtichette,
        template="etichetta",
        example=esempio_etichette,
        derive=derive_etichette,
        codice_impianto=lambda m: None,
        modulo_in_bianco=False,
        motore=MotoreEtichette(),
    ),
)
