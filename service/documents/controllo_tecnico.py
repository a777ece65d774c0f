"""Rapporti di controllo tecnico: Allegato G (< 35 kW) and Allegato F (≥ 35 kW), FORMS.md §7–§8.

Both print in the copies that carry one matrice of the etichetta di validazione each (§13.3, §15).
"""

from __future__ import annotations

from typing import Any

from domain.codice import controlla_comune
from domain.forms import allegato_f, allegato_g
from service.registry import DocumentType

COPIE = ("Copia per l’utente", "Copia per l’Ente (convalida)", "Copia per il manutentore")
"""Holder of each copy: one matrice of the etichetta on each (FORMS.md §15, S1 L760–770)."""


def _metadati(model: Any) -> dict[str, str]:
    return {"numeroEtichetta": model.numero_etichetta} if model.numero_etichetta else {}


def _deriva_g(model: allegato_g.AllegatoG) -> dict[str, Any]:
    return {"avvisi": allegato_g.avvisi(model)}


def _deriva_f(model: allegato_f.AllegatoF) -> dict[str, Any]:
    return {"avvisi": allegato_f.avvisi(model), "fogli_totali": allegato_f.fogli_totali(model)}


_TECNICO = {
    "nome_cognome": "Luca Bertoldi",
    "ragione_sociale": "Termoidraulica Padana S.n.c.",
    "telefono": "0375 821490",
    "indirizzo": "Via Cavour 12, 46019 Viadana (MN)",
    "estremi_qualifica": "D.M. 37/08 c) e) - REA MN 187452",
}


def esempio_g() -> dict[str, Any]:
    """A combi boiler in a flat in Viadana (MN), checked in October 2025."""
    si = "SI"
    return {
        "numero_rapporto": "2025/0187",
        "data_controllo": "2025-10-14",
        "comune": "Viadana",
        "provincia_sigla": "MN",
        "indirizzo": "Via Giuseppe Garibaldi",
        "civico": "27",
        "piano": "1",
        "interno": "3",
        "cap": "46019",
        "responsabile_nome": "Giovanna Rossi",
        "responsabile_tel": "0375 781234",
        "responsabile_indirizzo": "Via G. Garibaldi 27, Viadana (MN)",
        "responsabile_qualita": "occupante",
        "proprietario_nome": "Aldo Rossi",
        "proprietario_tel": "0376 223344",
        "proprietario_indirizzo": "Via Roma 8, 46100 Mantova (MN)",
        "codice_catasto": "020066IN0000347",
        "costruttore": "Vaillant",
        "modello": "ecoTEC plus VMW 246/5-5",
        "matricola": "21163600100482",
        "pot_utile_kw": "19.80",
        "pot_focolare_kw": "20.40",
        "anno_costruzione": 2016,
        "data_installazione": "2016-11-08",
        "marcatura_efficienza": "4 stelle (condensazione)",
        "uso": ["riscaldamento", "acqua calda sanitaria"],
        "tipo_caldaia": "C",
        "combustibile": "gas naturale",
        "volumetria_m3": "285",
        "consumi": [
            {"stagione": "2023/24", "valore": "1012", "unita": "m3"},
            {"stagione": "2024/25", "valore": "968", "unita": "m3"},
        ],
        "tiraggio_tipo": "forzato",
        "locale": "Interno",
        "interno_testo": "cucina",
        "documentazione": {"dichiarazione_conformita": si, "libretto_impianto": si, "libretto_uso_manutenzione": si},
        "esame_locale": {"idoneita_locale": si, "aperture_dimensioni": si, "aperture_libere": si},
        "canali_fumo": {"pendenza": si, "sezioni": si, "curve": si, "lunghezza": si, "stato_conservazione": si},
        "evacuazione": {
            "camino_singolo": "NO",
            "canna_collettiva_ramificata": "NO",
            "scarico_parete": si,
            "riflussi_tiraggio_naturale": "BARRATO",
            "perdite_tiraggio_forzato": si,
        },
        "apparecchio": {
            "ugelli_puliti": si, "rompitiraggio": "BARRATO", "scambiatore_pulito": si, "accensione_regolare": si,
            "dispositivi_comando": si, "assenza_perdite": si, "valvola_sicurezza": si, "vaso_espansione": si,
            "dispositivi_sicurezza": si, "organi_integri": si, "circuito_aria": "N.C.", "guarnizione": si,
        },
        "controllo_impianto": {"fughe_gas": "P", "coibentazioni": "N.A.", "evacuazione_fumi": "P"},
        "rendimento_controllo": "Effettuato",
        "misura": {
            "temp_fumi": "58.4", "temp_aria": "18.2", "o2": "4.1", "co2": "9.3", "bacharach": "BARRATO",
            "co_ppm": "42", "rendimento": "97.6", "tiraggio_pa": "BARRATO",
        },
        "osservazioni": "Pulito lo scambiatore lato fumi, sostituita la guarnizione della camera stagna.",
        "puo_funzionare": "SI",
        "tecnico": _TECNICO,
        "orario_arrivo": "08:45",
        "orario_partenza": "09:50",
        "numero_etichetta": "MN000-25G1-018734-N",
    }


def _generatore_f(n: int, matricola: str, bruciatore: str, installazione: str, misura: dict[str, str]) -> dict[str, Any]:
    si = "si"
    return {
        "generatore": {
            "costruttore": "Viessmann", "modello": "Vitocrossal 200 CM2B", "matricola": matricola,
            "anno_costruzione": 2014, "tipologia": "a condensazione", "marcatura_efficienza": "4 stelle",
            "pot_utile_kw": "132.0", "pot_focolare_kw": "135.5", "fluido": "acqua",
        } if n == 1 else {
            "costruttore": "Riello", "modello": "RTQ 3S 185", "matricola": matricola,
            "anno_costruzione": 2009, "tipologia": "a bassa temperatura", "marcatura_efficienza": "2 stelle",
            "pot_utile_kw": "171.2", "pot_focolare_kw": "185.0", "fluido": "acqua",
        },
        "bruciatore": {
            "costruttore": "Viessmann" if n == 1 else "Riello",
            "modello": "MatriX-compact (integrato)" if n == 1 else "RS 25/M BLU",
            "matricola": bruciatore, "anno_costruzione": 2014 if n == 1 else 2009,
            "tipologia": "premiscelato modulante" if n == 1 else "ad aria soffiata bistadio",
            "campo_funzionamento_kw": "45-142" if n == 1 else "85-290",
        },
        "data_installazione": installazione,
        "ugelli_puliti": si, "bruciatore_funzionamento": si, "scambiatore_lato_fumi": si,
        "accensione_regolare": si, "dispositivi_comando": si, "assenza_perdite": si,
        "dispositivi_sicurezza": si, "vaso_espansione": si, "organi_integri": si,
        "rendimento_controllo": "Effettuato",
        "misure": [misura],
        "osservazioni": "Pulizia camera di combustione e scambiatore; verificata la taratura del pressostato fumi."
        if n == 1 else "Pulizia testa di combustione, sostituito ugello; tarata la seconda fiamma.",
        "puo_funzionare": "SI",
    }


def esempio_f() -> dict[str, Any]:
    """A condominium boiler room in Cremona with two gas generators, checked in November 2025."""
    return {
        "numero_rapporto": "CR-2025/0412",
        "data": "2025-11-05",
        "codice_catasto": "019036CT0000215",
        "comune": "Cremona",
        "provincia_sigla": "CR",
        "indirizzo": "Via Palestro 46",
        "cap": "26100",
        "responsabile_nome": "Studio Amministrazioni Ferrari - rag. Paolo Ferrari",
        "responsabile_tel": "0372 431876",
        "responsabile_indirizzo": "Corso Garibaldi 112, 26100 Cremona (CR)",
        "responsabile_qualita": "amministratore",
        "destinazione": ["riscaldamento", "acqua calda sanitaria"],
        "combustibile": "gas naturale",
        "volumetria_m3": "6850",
        "consumi": [
            {"stagione": "2023/24", "valore": "38450", "unita": "m3"},
            {"stagione": "2024/25", "valore": "36920", "unita": "m3"},
        ],
        "documentazione": {
            "libretto_centrale": {"stato": "Presente"},
            "rapporto_uni_10435": {"stato": "Presente", "note": "ultimo del 28/10/2024"},
            "certificazione_uni_8364": {"stato": "Assente", "note": "non applicabile"},
            "dichiarazione_conformita": {"stato": "Presente", "note": "D.M. 37/08, 2014"},
            "libretti_caldaie": {"stato": "Presente"},
            "libretti_bruciatori": {"stato": "Presente"},
            "schemi_idraulici": {"stato": "Presente"},
            "schemi_elettrici": {"stato": "Presente"},
            "pratica_ispesl": {"stato": "Presente", "note": "INAIL CR/2014/0087"},
            "prevenzione_incendi": {"stato": "Presente", "note": "SCIA VV.F. Cremona"},
        },
        "idoneita_locale": "si", "aperture_dimensioni": "si", "aperture_libere": "si",
        "linee_elettriche": "soddisfacente", "assenza_fughe_gas": "si",
        "coibentazioni": "soddisfacente", "camino_canale": "soddisfacente",
        "generatori": [
            _generatore_f(1, "7543109600217", "integrato", "2014-09-22", {
                "temp_fumi": "61.5", "temp_aria": "16.0", "o2": "4.6", "co2": "9.0",
                "co_ppm": "18", "rendimento": "97.1", "tiraggio_pa": "-4.5"}),
            _generatore_f(2, "RTQ185-0931-0457", "4120087", "2009-10-01", {
                "temp_fumi": "148.2", "temp_aria": "16.0", "o2": "3.9", "co2": "9.4",
                "co_ppm": "35", "rendimento": "93.4", "tiraggio_pa": "-6.0"}),
        ],
        "tecnico": {**_TECNICO, "nome_cognome": "Marco Zanoni", "ragione_sociale": "Calor Service Cremona S.r.l.",
                    "telefono": "0372 458120", "indirizzo": "Via Mantova 88, 26100 Cremona (CR)",
                    "estremi_qualifica": "D.M. 37/08 c) e) - REA CR 154332"},
        "orario_arrivo": "08:30",
        "orario_partenza": "11:15",
        "numero_etichetta": "CR036-25F4-004127-S",
    }


def comune_del_codice(m: Any) -> None:
    """The comune written on the form is the one of the codice impianto's ISTAT part."""
    controlla_comune(m.codice_catasto, m.comune)


_COMUNI: dict[str, Any] = {"copies": COPIE, "codice_impianto": lambda m: m.codice_catasto, "metadati": _metadati,
                           "rules": (comune_del_codice,)}
"""What G and F share in the registry: copies with a matrice each, catasto code, etichetta in the XMP,
the comune checked against the codice."""

DOCUMENT_TYPES = (
    DocumentType(
        code="allegato-g",
        title="Rapporto di controllo tecnico (Allegato G) - impianti < 35 kW",
        model=allegato_g.AllegatoG,
        template="allegato_g",
        example=esempio_g,
        derive=_deriva_g,
        contesto={"righe": allegato_g.RIGHE_G, "senza_nc": {k: ("SI", "NO") for k in allegato_g.SENZA_NC}},
        data_documento=lambda m: m.data_controllo,
        stampa=True,
        **_COMUNI,
    ),
    DocumentType(
        code="allegato-f",
        title="Rapporto di controllo tecnico (Allegato F) - impianti ≥ 35 kW",
        model=allegato_f.AllegatoF,
        template="allegato_f",
        example=esempio_f,
        derive=_deriva_f,
        contesto={
            "documenti": allegato_f.DOCUMENTI_F,
            "esame_impianto": allegato_f.ESAME_IMPIANTO_F,
            "esame_generatore": allegato_f.ESAME_GENERATORE_F,
        },
        data_documento=lambda m: m.data,
        stampa=True,
        **_COMUNI,
    ),
)
