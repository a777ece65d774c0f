"""domain/combustione/combustibili.py: the fuel ticked in 2.d to its technical class, and what each class decides."""

from __future__ import annotations

import pytest

from domain.combustione import combustibili, fumi, rendimento
from domain.errors import RuleViolation


# --- Fuels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scelta", "testo", "atteso"),
    [
        ("Gas naturale", None, "gas naturale"),
        ("GAS NATURALE", None, "gas naturale"),
        ("GPL", None, "gpl"),
        ("Gpl", None, "gpl"),
        ("Gasolio", None, "gasolio"),
        ("Olio combustibile", None, "olio combustibile"),
        ("olio comb.", None, "olio combustibile"),
        ("Kerosene", None, "altro liquido"),
        ("Altro", "olio combustibile", "olio combustibile"),
        ("Altro", "Olio combustibile BTZ", "olio combustibile"),
        ("Altro", "emulsione acqua-olio", "olio combustibile"),
        ("Altro", "legna", "solido"),
        ("Altro", "Legno", "solido"),
        ("Altro", "pellet di legno", "solido"),
        ("Altro", "carbone", "solido"),
        ("Altro", "cippato", "solido"),
        ("Altro", "biogas", "altro"),
        ("Altro", "Biogas da digestore", "altro"),
        ("Altro", "gas residui di lavorazione", "altro"),
        ("Altro", "metano", "gas naturale"),
        ("Altro", "propano", "gpl"),
        ("altro", "cherosene", "altro liquido"),
        ("Altro", "petrolio", "altro liquido"),
        ("Altro", "olio vegetale", "altro"),  # unknown → not covered by UNI 10389
        ("Altro", "idrogeno", "altro"),
    ],
)
def test_combustibile_tecnico(scelta, testo, atteso):
    assert combustibili.combustibile_tecnico(scelta, testo) == atteso


@pytest.mark.parametrize(
    ("scelta", "testo", "campo"),
    [("Altro", None, "altro_testo"), ("Altro", "   ", "altro_testo"), ("", None, "combustibile"), ("acqua", None, "combustibile")],
)
def test_combustibile_tecnico_errori(scelta, testo, campo):
    with pytest.raises(RuleViolation) as exc:
        combustibili.combustibile_tecnico(scelta, testo)
    assert exc.value.path == (campo,)
    assert exc.value.message.endswith(".")


@pytest.mark.parametrize(
    ("classe", "non_uni", "liquido", "gassoso", "bacharach"),
    [
        ("gas naturale", False, False, True, None),
        ("gpl", False, False, True, None),
        ("gasolio", False, True, False, 2),
        ("olio combustibile", False, True, False, 6),
        ("altro liquido", False, True, False, fumi.BACHARACH_LIMITE_ALTRI_LIQUIDI),
        ("solido", True, False, False, None),
        ("altro", True, False, False, None),
    ],
)
def test_classi_di_combustibile(classe, non_uni, liquido, gassoso, bacharach):
    assert combustibili.non_uni10389(classe) is non_uni
    assert combustibili.combustibile_liquido(classe) is liquido
    assert combustibili.combustibile_gassoso(classe) is gassoso
    assert fumi.bacharach_limite(classe) == bacharach


def test_ogni_classe_e_coperta():
    assert set(combustibili.COMBUSTIBILI_TECNICI) == {"gas naturale", "gpl", "gasolio", "olio combustibile", "altro liquido", "solido", "altro"}
    # the classes covered by UNI 10389 are exactly those with Siegert coefficients and CO2max
    coperti = {k for k in combustibili.COMBUSTIBILI_TECNICI if not combustibili.non_uni10389(k)}
    assert coperti == set(rendimento.COEFFICIENTI_UNI10389) == set(fumi.CO2_MAX)
