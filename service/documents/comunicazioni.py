"""Comunicazioni to the Ente and the Regione: Allegati E1, E2, H, I, L, M (FORMS.md §5–§12).

Schede identificative (E1/E2) from the installer, terzo responsabile (H/I) and
amministratore di condominio (L) communications, the data-processing declaration (M).
The examples are one realistic case: a condominio in Brescia (via Solferino 32) with a
centralised gas impianto, its amministratore and its terzo responsabile firm, plus a flat
with an individual boiler in the same building.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain.forms.allegato_e import AllegatoE1, AllegatoE2, verifica_e1, verifica_e2
from domain.forms.allegato_hi import AllegatoH, AllegatoI, verifica_h, verifica_i
from domain.forms.allegato_l import AllegatoL, verifica_l
from domain.forms.allegato_m import AllegatoM
from service.registry import DocumentType

__all__ = ["DOCUMENT_TYPES"]

_ENTE_BRESCIA = {
    "tipo_ente": "Comune",
    "denominazione": "Brescia",
    "via": "Piazza della Loggia 1",
    "citta": "25121 Brescia (BS)",
}
"""Brescia has about 200.000 inhabitants: the Comune itself is the Ente competente (§0.7)."""

_TERZO_RESPONSABILE = {
    "ragione_sociale": "Termoservizi Bresciani S.r.l.",
    "legale_rappresentante": "Luca Ferrari",
    "cf_piva": "03187650985",
    "indirizzo": "Via Triumplina 118, 25136 Brescia (BS)",
    "telefono": "030 2091456",
    "cellulare": "+39 348 7712093",
    "fax": "BARRATO",
    "email": "amministrazione@termoservizibresciani.it",
}


def _esempio_e1() -> dict[str, Any]:
    return {
        "codice_catasto": "017029IN0004817",
        "volumetria_m3": "246",
        "indirizzo": "Via Solferino",
        "civico": "32",
        "palazzo": "B",
        "scala": "2",
        "piano": "3",
        "interno": "9",
        "cap": "25122",
        "localita": "BARRATO",
        "comune": "Brescia",
        "provincia": "BS",
        "destinazione": "riscaldamento ambienti e produzione di acqua calda per usi igienici e sanitari",
        "data_installazione": "2026-10-06",
        "pot_focolare_kw": "24.7",
        "combustibile": "Gas naturale (metano)",
        "evacuazione": "Canna fumaria collettiva ramificata",
        "progettista": "BARRATO",
        "installatore": "Idrotermica Garda di Bonetti Stefano & C. S.n.c. - CCIAA di Brescia, REA BS-421877",
        "proprietario": "Rossi Giovanni, Via Solferino 32, 25122 Brescia",
        "occupante": "Bonetti Stefania",
        "occupante_dal": "2019-04-01",
        "ruolo_ditta": "MANUTENTORE",
        "dal": "2026-10-06",
        "al": None,
        "ditta": "Idrotermica Garda di Bonetti Stefano & C. S.n.c. - CCIAA di Brescia, REA BS-421877 - "
                 "Via Cremona 211, 25124 Brescia",
        "data": "2026-10-20",
    }


def _esempio_e2() -> dict[str, Any]:
    return {
        "codice_catasto": "017029CT0000318",
        "volumetria_m3": "5840",
        "indirizzo": "Via Solferino",
        "civico": "32",
        "palazzo": "A-B",
        "cap": "25122",
        "localita": "BARRATO",
        "comune": "Brescia",
        "provincia": "BS",
        "edificio_adibito_a": "Condominio residenziale \"Residenza Solferino\" (24 unità abitative)",
        "categoria": "E.1",
        "destinazione": ["riscaldamento ambienti", "produzione centralizzata di acqua calda per usi igienici e sanitari"],
        "altro_testo": None,
        "data_installazione": "2026-09-15",
        "n_generatori": 2,
        "pot_totale_kw": "230",
        "combustibile": "Gas naturale (metano)",
        "progettista": "Ing. Paolo Martinelli, Ordine degli Ingegneri della Provincia di Brescia n. A3127",
        "installatore": "Termoservizi Bresciani S.r.l. - CCIAA di Brescia, REA BS-502614",
        "proprietari": "Condòmini del Condominio \"Residenza Solferino\" (elenco presso l'amministratore)",
        "amministratore": "Giuseppe Bertoli, Studio Bertoli Amministrazioni, Corso Zanardelli 18, 25121 Brescia",
        "ruolo_ditta": "TERZO RESPONSABILE",
        "dal": "2026-10-01",
        "al": "2028-09-30",
        "ditta": "Termoservizi Bresciani S.r.l. - CCIAA di Brescia, REA BS-502614 - Via Triumplina 118, 25136 Brescia",
        "data": "2026-10-12",
    }


def _esempio_comunicazione(tipo_impianto: Any, potenza: str) -> dict[str, Any]:
    return {
        "ente": dict(_ENTE_BRESCIA),
        "sottoscritto": "Luca Ferrari",
        "ditta": "Termoservizi Bresciani S.r.l.",
        "cciaa_provincia": "Brescia",
        "cciaa_numero": "BS-502614",
        "lettere_abilitazione": ["a", "c", "d", "e"],
        "cert_qualita_norma": "9001:2015",
        "altro": "BARRATO",
        "tipo_comunicazione": "assunzione",
        "data_assunzione": "2026-10-01",
        "tipo_impianto": tipo_impianto,
        "codice_catasto": "017029CT0000318",
        "via": "Solferino 32",
        "comune": "Brescia",
        "proprietario": "Condominio \"Residenza Solferino\", amministratore Giuseppe Bertoli",
        "potenza_kw": potenza,
        "combustibile": "Gas naturale (metano)",
        "mittente": dict(_TERZO_RESPONSABILE),
        "fornitore_energia": "A2A Energia S.p.A.",
        "committente": "Giuseppe Bertoli (amministratore)",
        "luogo": "Brescia",
        "data_firma": "2026-10-05",
    }


def _esempio_h() -> dict[str, Any]:
    data = _esempio_comunicazione("riscaldamento e produzione di ACS", "24.7")
    data.update(codice_catasto="017029IN0004817", via="Solferino 32 (scala 2, interno 9)",
                proprietario="Giovanni Rossi", committente="Giovanni Rossi")
    return data


def _esempio_i() -> dict[str, Any]:
    return _esempio_comunicazione(["riscaldamento", "produzione centralizzata di ACS"], "230")


def _esempio_l() -> dict[str, Any]:
    return {
        "ente": dict(_ENTE_BRESCIA),
        "sottoscritto": "Giuseppe Bertoli",
        "qualita": "titolare dello Studio Bertoli Amministrazioni",
        "tipo": "assunzione",
        "condominio": "\"Residenza Solferino\"",
        "condominio_sito_in": "Brescia, Via Solferino 32",
        "data": "2026-07-01",
        "tipo_impianto": ["riscaldamento", "produzione centralizzata di ACS"],
        "codice_catasto": "017029CT0000318",
        "via": "Solferino 32",
        "comune": "Brescia",
        "proprietario": "Condòmini del Condominio \"Residenza Solferino\"",
        "generatori": [
            {"potenza_kw": "115", "combustibile": "Gas naturale (metano)"},
            {"potenza_kw": "115", "combustibile": "Gas naturale (metano)"},
        ],
        "generatori_altri": "BARRATO",
        "mittente": {
            "ragione_sociale": "BARRATO",
            "legale_rappresentante": "BARRATO",
            "cf_piva": "BRTGPP68C12B157I",
            "indirizzo": "Corso Zanardelli 18, 25121 Brescia (BS)",
            "telefono": "030 3758214",
            "cellulare": "+39 335 6120477",
            "fax": "030 3758215",
            "email": "studio@bertoliamministrazioni.it",
        },
        "fornitore_energia": "A2A Energia S.p.A.",
        "luogo": "Brescia",
        "data_firma": "2026-07-20",
    }


def _esempio_m() -> dict[str, Any]:
    return {
        "sottoscritto": "Luca Ferrari",
        "qualita": "legale rappresentante",
        "tipo": "società",
        "ente_societa": "Termoservizi Bresciani S.r.l., Via Triumplina 118, 25136 Brescia",
        "responsabile_trattamento": "Dott.ssa Stefania Benatti, responsabile amministrativa",
        "utilizzatore": "Termoservizi Bresciani S.r.l.",
        "luogo": "Brescia",
        "data_firma": "2026-02-16",
    }


def _comunicazione(code: str, title: str, model: type, example: Any, rule: Any, data: Any, *,
                  stampa: bool = False) -> DocumentType:
    """Every comunicazione with a codice impianto: stored under it, dated by ``data``; ``stampa``:
    stamped on its compiled blank layout (``service.motore``)."""
    return DocumentType(
        code=code, title=title, model=model, template=code.replace("-", "_"), example=example,
        rules=(rule,), codice_impianto=lambda m: m.codice_catasto, data_documento=data, stampa=stampa,
    )


def _data_incarico(m: Any) -> Any:
    return m.data_firma or m.data_assunzione or m.data_cessazione


DOCUMENT_TYPES = (
    _comunicazione("allegato-e1", "Allegato E1 - Scheda identificativa per impianti inferiori a 35 kW",
                   AllegatoE1, _esempio_e1, verifica_e1, lambda m: m.data, stampa=True),
    _comunicazione("allegato-e2", "Allegato E2 - Scheda identificativa per impianti uguali o superiori a 35 kW",
                   AllegatoE2, _esempio_e2, verifica_e2, lambda m: m.data, stampa=True),
    _comunicazione("allegato-h", "Allegato H - Modello per impianti inferiori a 35 kW",
                   AllegatoH, _esempio_h, verifica_h, _data_incarico, stampa=True),
    _comunicazione("allegato-i", "Allegato I - Modello per impianti uguali o superiori a 35 kW",
                   AllegatoI, _esempio_i, verifica_i, _data_incarico, stampa=True),
    replace(_comunicazione("allegato-l", "Allegato L - Modello dichiarazione per Amministratori di Condominio",
                           AllegatoL, _esempio_l, verifica_l, lambda m: m.data_firma or m.data, stampa=True),
            # more generators than the four printed rows: stamped on a blank layout with as many rows
            variante_stampa=lambda m: {"righe_generatori": len(m.generatori)} if len(m.generatori) > 4 else {}),
    DocumentType(
        code="allegato-m",
        title="Allegato M - Modello dichiarazione responsabile trattamento dati ai sensi dell’art. 13 "
              "del D.Lgs. n. 196/2003",
        model=AllegatoM,
        template="allegato_m",
        example=_esempio_m,
        codice_impianto=lambda m: None,
        data_documento=lambda m: m.data_firma,
        stampa=True,
    ),
)
