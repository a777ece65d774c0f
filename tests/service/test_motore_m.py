"""Allegato M issued through the compile-once engine (``service.motore``) vs its full WeasyPrint
render: same text, every slot box the same, same PDF/A-3b markers, XMP and dati.json; long values
are stamped whole or laid out in full, never clipped (checks: ``motore_equivalenza``). Its blank
and filled layouts agree: the responsabile's two dotted lines are there, blank or filled."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from service.batch.moduli import StampaModulo
from service.registry import get_document_type
from service.settings import Settings
from tests.service.motore_equivalenza import Equivalenza

pytestmark = pytest.mark.slow


class TestAllegatoM(Equivalenza):
    tipo = "allegato-m"
    varianti = {
        # an Ente (società struck), the responsabile on both lines, no place or date (normalised block blank)
        "ente": ("normalizzato", {
            "tipo": "Ente", "ente_societa": "Comune di Brescia, Piazza della Loggia 1, 25121 Brescia",
            "responsabile_trattamento": "Dott. Marco Zanetti, dirigente del Settore Sostenibilità ambientale e "
                                        "protezione civile del Comune di Brescia", "utilizzatore": "Comune di Brescia",
            "luogo": None, "data_firma": None,
        }),
        "facsimile": ("facsimile", {}),
    }
    data = ("data_firma", "2026-03-27")
    lunghi = {"sottoscritto": 80, "qualita": 80, "ente_societa": 80, "responsabile_trattamento": 180,
              "utilizzatore": 40}


def test_blank_and_filled_have_the_same_slots() -> None:
    """Every slot of the blank form is once in the filled one and the other way round (the blank
    form used to print a second responsabile line that the filled one did not have)."""
    doc = get_document_type("allegato-m")
    stampa = StampaModulo(doc, "normalizzato", Settings())
    vuoto, pieno = stampa.html(None, ("",)), stampa.html(doc.model.model_validate(doc.example()), ("",))
    assert _slot(vuoto) == _slot(pieno)
    assert _slot(vuoto).count("responsabile_trattamento") == 1


def _slot(html: str) -> list[str]:
    return sorted(el.get("data-campo") for el in lxml_html.fromstring(html).iter()
                  if isinstance(el.tag, str) and el.get("data-campo"))
