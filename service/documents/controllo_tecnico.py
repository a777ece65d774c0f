"""Rapporti di controllo tecnico: Allegato G (< 35 kW) and Allegato F (≥ 35 kW), FORMS.md §7–§8.

Both print in the copies that carry one matrice of the etichetta di validazione each (§13.3, §15).
"""

from __future__ import annotations

from typing import Any

from domain.forms import allegato_g
from service.registry import DocumentType

COPIE = ("Copia per l’utente", "Copia per l’Ente (convalida)", "Copia per il manutentore")
"""Holder of each copy: one matrice of the etichetta on each (FORMS.md §15, S1 L760–770)."""


def _metadati(model: Any) -> dict[str, str]:
    return {"numeroEtichetta": model.numero_etichetta} if model.numero_etichetta else {}


def _deriva_g(model: allegato_g.AllegatoG) -> dict[str, Any]:
    return {"avvisi": allegato_g.avvisi(model)}


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
        "numero_etichetta": "MN-2526-G-0018734",
    }


DOCUMENT_TYPES = (
    DocumentType(
        code="allegato-g",
        title="Rapporto di controllo tecnico (Allegato G) - impianti < 35 kW",
        model=allegato_g.AllegatoG,
        template="allegato_g",
        example=esempio_g,
        derive=_deriva_g,
        copies=COPIE,
        contesto={"righe": allegato_g.RIGHE_G, "senza_nc": {k: ("SI", "NO") for k in allegato_g.SENZA_NC}},
        codice_impianto=lambda m: m.codice_catasto,
        data_documento=lambda m: m.data_controllo,
        metadati=_metadati,
    ),
)
