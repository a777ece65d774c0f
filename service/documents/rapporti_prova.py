"""Rapporti di prova of the inspectors: Allegati A (< 35 kW) and B (≥ 35 kW), FORMS.md §2–§4.

Three identical copies (ispettore, responsabile, Ente: S1 L516–522, L2109–2111). The computed
results (η min, CO corretto, Media, "+2", verdicts, esito, failed points, struck fields) come
from ``domain.esito`` through the models' ``esito()``; ``derive`` hands them to the templates.

Examples: a 24 kW wall-hung gas boiler in a flat in Viadana (MN), inspected for the Provincia di
Mantova (Viadana has about 20.000 inhabitants, so the Provincia is the Ente, §0.7); a centrale
termica in Brescia with two gasolio generators (Bacharach readings), inspected for the Comune.
"""

from __future__ import annotations

from typing import Any

from domain.codice import controlla_comune
from domain.forms.allegato_a import AllegatoA, completezza_a
from domain.forms.allegato_b import AllegatoB, completezza_b, esempio as esempio_b
from domain.forms.rapporto_prova import calcoli_foglio
from service.registry import DocumentType

__all__ = ["DOCUMENT_TYPES", "COPIE_RAPPORTO_PROVA", "esempio_a", "calcoli_a", "calcoli_b"]

COPIE_RAPPORTO_PROVA = (
    "Copia per l'ispettore",
    "Copia per il responsabile d'impianto",
    "Copia per l'Ente",
)
"""The three holders (AMB-04: the seed prescribes three identical copies but no labels)."""


def calcoli_a(m: AllegatoA) -> dict[str, Any]:
    return calcoli_foglio(m, m.esito(), m.correzioni)


def calcoli_b(m: AllegatoB) -> dict[str, Any]:
    return m.calcoli()


def _soggetto(ragione: str, nome: str, indirizzo: str, comune: str, cf: str, tel: str, fax: str = "BARRATO") -> dict:
    return {"ragione_sociale": ragione, "cognome_nome": nome, "indirizzo": indirizzo, "comune": comune,
            "cf_piva": cf, "telefono": tel, "fax": fax}


def esempio_a() -> dict[str, Any]:
    """A flat in Viadana (MN): 24 kW gas boiler (type C, standard, 2000) → η min 86,8 %."""
    return {
        "biennio_da": 2025, "biennio_a": 2026,
        "codice_catasto": "020066IN0001873",
        "data_ispezione": "2026-02-17", "numero_ispezione": "MN-2026/0412",
        "ispettore": "Bonfanti Gianni - ispettore Prov. MN n. 27",
        "dichiarato": "Si", "n_dichiarazione": "G-2024-118734", "data_dichiarazione": "2024-11-05",
        "ubicazione": {"comune": "Viadana (MN)", "localita": "BARRATO", "indirizzo": "Via Giuseppe Garibaldi 41",
                       "scala": "A", "piano": "2"},
        "delegato": "BARRATO",
        "responsabile_ruolo": "Occupante",
        "occupante": _soggetto("BARRATO", "Bianchi Giuseppe", "Via Giuseppe Garibaldi 41", "Viadana (MN)",
                               "BNCGPP75C12L826S", "0375 781204"),
        "proprietario": "BARRATO",
        "terzo_resp_manutentore": _soggetto("Termoidraulica Padana S.n.c.", "Ferrari Lorenzo",
                                            "Via Roma 12", "Casalmaggiore (CR)", "03187650175", "0375 42188",
                                            "0375 42189"),
        "amministratore": "BARRATO",
        "volumetria_m3": "240",
        "consumi": {"m3_anno": "1150"},
        "destinazione_prevalente": "Residenziale",
        "servizio": "Singola unità Immobiliare",
        "destinazione_uso": ["Riscaldamento ambienti", "Produzione di acqua calda sanitaria"],
        "combustibile": "Gas naturale",
        "fluido": "acqua", "tipo_caldaia": "C",
        "data_realizzazione_impianto": "2000-03-20", "data_installazione_gen": "2000-03-20",
        "costruttore_caldaia": "Immergas", "modello_matricola_caldaia": "Eolo Mini 24 - matr. 1130452291",
        "locale": "Interno", "interno_uso": "cucina",
        "classificazione": "Standard",
        "pot_focolare_nom_kw": "26.3", "pot_utile_nom_kw": "24",
        "portata_m3h": "2.62", "pot_focolare_misurata_kw": "25.15",
        "pendenza_canali": "BARRATO", "stato_condotti": "Si", "foro_presente": "Si",
        "foro_posizione": "Si", "foro_chiusura": "Si",
        "evacuazione": "L'apparecchio scarica in un sistema fumario (singolo o collettivo)",
        "idoneita_locale": "Si", "aperture_dimensioni": "Si", "aperture_libere": "Si",
        "coibentazioni": "b",
        "disp_regolazione_presenti": "Si", "disp_regolazione_funzionanti": "Si",
        "disp_climatica_presenti": "No", "disp_climatica_funzionanti": "BARRATO",
        "libretto_impianto": "Presente", "compilazione_libretto": "Completa",
        "dich_conformita": "Si", "libretto_uso": "Presente",
        "data_ultima_manutenzione": "2025-10-14", "analisi_combustione": "Effettuata",
        "rct_presente": "Si", "rct_con_prescrizioni": "No",
        "strumento_combustione": {"marca": "Testo", "modello": "330-2 LL", "matricola": "61904417"},
        "t_mandata": ["64.5", "65.1", "65.3"], "t_aria": ["20.4", "20.6", "20.5"],
        "t_fumi": ["118.2", "119.6", "120.1"], "co_misurato": ["42", "47", "45"],
        "cella": "O2", "o2_co2": ["5.3", "5.1", "5.2"],
        "manut_corrente": "Effettuata", "manut_precedenti": "Effettuata",
        "osservazioni": [{"testo": "Data di realizzazione dell'impianto dichiarata dal responsabile", "campo": "3.c"}],
        "codici_nc": [],
        "dichiarazioni_responsabile": "Dichiaro che la caldaia è utilizzata anche per la produzione di acqua "
                                      "calda sanitaria.",
    }


def _comune_del_codice(m: Any) -> None:
    """The comune of section 1.g (ubicazione) is the one of the codice impianto of 1.a."""
    controlla_comune(m.codice_catasto, m.ubicazione.comune, path=("ubicazione", "comune"))


def _rapporto(code: str, title: str, model: type, template: str, example: Any, rule: Any, derive: Any) -> DocumentType:
    """A and B differ only in model, template, example, never-blank rule and derive. Both are stamped on
    their compiled blank layout (``stampa``; B: foglio 1 and one generator sheet per copy, each record's
    generator sheets stamped on it), tests/service/test_motore_ab.py."""
    return DocumentType(
        code=code, title=title, model=model, template=template, example=example, rules=(rule, _comune_del_codice),
        derive=derive, copies=COPIE_RAPPORTO_PROVA, codice_impianto=lambda m: m.codice_catasto,
        data_documento=lambda m: m.data_ispezione, stampa=True,
    )


DOCUMENT_TYPES = (
    _rapporto("allegato-a", "Allegato A - Rapporto di prova per impianti termici inferiori a 35 kW",
              AllegatoA, "allegato_a", esempio_a, completezza_a, calcoli_a),
    # Caption as printed, "uguali o superiore" [sic] (FORMS.md §3.1).
    _rapporto("allegato-b", "Allegato B - Rapporto di prova per impianti termici uguali o superiore a 35 kW",
              AllegatoB, "allegato_b", esempio_b, completezza_b, calcoli_b),
)
