"""Allegati H and I issued through the compile-once engine (``service.motore``) vs their full
WeasyPrint render: same text, every slot box the same, same PDF/A-3b markers, XMP and dati.json;
long values are stamped whole or laid out in full, never clipped (checks: ``motore_equivalenza``)."""

from __future__ import annotations

import pytest

from tests.service.motore_equivalenza import Equivalenza

pytestmark = pytest.mark.slow

_CESSAZIONE = {
    # the other branches: a Provincia addressed, cessazione for dimissioni (assunzione struck),
    # another set of letters, no quality norm, «Altro» filled, no committente block
    "ente.tipo_ente": "Provincia", "ente.denominazione": "Monza e della Brianza",
    "ente.via": "Via Grigna 13", "ente.citta": "20900 Monza (MB)",
    "tipo_comunicazione": "cessazione", "data_assunzione": None, "data_cessazione": "2027-03-31",
    "motivo_cessazione": "per dimissioni", "lettere_abilitazione": ["b", "c", "e", "g"],
    "cert_qualita_norma": None, "altro": "iscritta all'albo nazionale dei gestori ambientali, n. MI/004512",
    "fornitore_energia": "BARRATO", "committente": None, "mittente.fax": "030 2091457", "mittente.cellulare": "BARRATO",
}
_LUNGHI = {"ente.denominazione": 40, "sottoscritto": 60, "ditta": 70, "altro": 90, "proprietario": 85,
           "mittente.indirizzo": 85, "fornitore_energia": 70, "committente": 55}


class TestAllegatoH(Equivalenza):
    tipo = "allegato-h"
    varianti = {"cessazione": ("facsimile", {**_CESSAZIONE, "tipo_impianto": "riscaldamento"})}
    data = ("data_assunzione", "2026-09-28")
    lunghi = _LUNGHI


class TestAllegatoI(Equivalenza):
    tipo = "allegato-i"
    varianti = {"cessazione": ("facsimile", {**_CESSAZIONE, "tipo_impianto": ["produzione centralizzata di ACS"]})}
    data = ("data_assunzione", "2026-09-28")
    lunghi = _LUNGHI
