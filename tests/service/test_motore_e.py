"""Allegati E1 and E2 issued through the compile-once engine (``service.motore``) vs their full
WeasyPrint render: same text, every slot box the same, same PDF/A-3b markers, XMP and dati.json;
long values are stamped whole or laid out in full, never clipped (checks: ``motore_equivalenza``)."""

from __future__ import annotations

import pytest

from tests.service.motore_equivalenza import Equivalenza

pytestmark = pytest.mark.slow


class TestAllegatoE1(Equivalenza):
    tipo = "allegato-e1"
    varianti = {
        # the other branches: no codice yet, terzo responsabile with an end date, a real progettista
        # on two lines, struck palazzo and occupante, the other destinazione and evacuazione
        "variante": ("facsimile", {
            "codice_catasto": None, "palazzo": "BARRATO", "localita": "Porta Venezia", "occupante": "BARRATO",
            "occupante_dal": "BARRATO", "destinazione": "riscaldamento ambienti", "evacuazione": "Camino",
            "progettista": "Ing. Chiara Pasotti, Ordine degli Ingegneri della Provincia di Brescia n. A4471, "
                           "studio in Via Crispi 12, Brescia",
            "ruolo_ditta": "TERZO RESPONSABILE", "al": "2028-10-05", "ditta": "Termoservizi Bresciani S.r.l.",
        }),
    }
    data = ("data", "2026-11-27")
    lunghi = {"indirizzo": 80, "progettista": 180, "installatore": 180, "proprietario": 90, "ditta": 180}


class TestAllegatoE2(Equivalenza):
    tipo = "allegato-e2"
    varianti = {
        "variante": ("facsimile", {
            "categoria": "E.7", "destinazione": ["riscaldamento ambienti", "altro"],
            "altro_testo": "climatizzazione invernale della palestra", "amministratore": "BARRATO",
            "ruolo_ditta": "BARRATO", "dal": None, "al": "BARRATO", "ditta": "BARRATO", "progettista": None,
        }),
    }
    data = ("data_installazione", "2026-09-14")
    lunghi = {"edificio_adibito_a": 80, "installatore": 180, "proprietari": 90, "amministratore": 90, "ditta": 180}
