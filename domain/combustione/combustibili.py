"""Fuel classes of the rapporti di prova (A/B 2.d): the printed choice in, a technical class out.

Sources: Disposizioni 18/09/2007 (seed S1) R-A-02 (L2089–2098), the 2.d note of the
Allegato B manual (L3212–3218), the Bacharach rows of the Allegato A manual (L2470–2473,
L2567–2577); FORMS.md §2.4 (2.d), §2.12 and §2.13. The class decides which combustion rules
apply: UNI 10389 or not (R-A-02), Bacharach (liquids) or not (gas). AMB-14's "altro liquido"
and the reading of an unrecognised "Altro" (a project decision) are resolved in the named
docstrings below; the tables of ``docs/parts/regole-combustione.md`` list them.

Nothing here reads settings, files or the clock. A bad choice raises ``RuleViolation`` with an
Italian message and a field path (pydantic ``loc`` shape).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, get_args

from domain.errors import RuleViolation

__all__ = [
    "CombustibileTecnico",
    "COMBUSTIBILI_TECNICI",
    "normalizza",
    "combustibile_tecnico",
    "non_uni10389",
    "combustibile_liquido",
    "combustibile_gassoso",
]

CombustibileTecnico = Literal[
    "gas naturale", "gpl", "gasolio", "olio combustibile", "altro liquido", "solido", "altro"
]
"""Technical class of the fuel in use at the time of the test.

``"altro liquido"`` (kerosene, petrolio, light distillates) is a liquid fuel covered by
UNI 10389 whose Bacharach limit the seed does not give (AMB-14). ``"altro"`` is a fuel
not covered by UNI 10389 (biogas, gas residui di lavorazione, anything unrecognised);
``"solido"`` is wood, pellet, coal…: both follow R-A-02.
"""

COMBUSTIBILI_TECNICI: tuple[str, ...] = get_args(CombustibileTecnico)

_LIQUIDI = frozenset({"gasolio", "olio combustibile", "altro liquido"})
_GASSOSI = frozenset({"gas naturale", "gpl"})

# (pattern on the normalised text, class). Order matters: the first match wins.
_PAROLE_COMBUSTIBILE: tuple[tuple[str, CombustibileTecnico], ...] = (
    (r"\bbio ?gas\b|\bgas (residu|di (processo|recupero|raffineria|discarica))|\bsyngas\b|\bidrogeno\b", "altro"),
    (r"\bolio (combustibile|comb\b|denso|pesante)|\b[ab]tz\b|\bemulsion|\bdistillati pesanti\b", "olio combustibile"),
    (r"\bgasolio\b|\bdiesel\b", "gasolio"),
    (r"\b(kerosene|cherosene|petrolio)\b|\bdistillati? legger", "altro liquido"),
    (r"\bgpl\b|\bg\.p\.l\.?|\bpropano\b|\bbutano\b", "gpl"),
    (r"\bmetano\b|\bgas naturale\b", "gas naturale"),
    (
        r"\blegn|\bpellet|\bcippat|\bcarbon[ei]\b|\bcoke\b|\bbiomass|\bbricchett|\bantracite\b"
        r"|\blignite\b|\btorba\b|\bnocciolino\b|\bgusci|\bmais\b|\bsolid",
        "solido",
    ),
)


def normalizza(testo: str) -> str:
    """A printed choice or a free text as compared here: lower case, no accents, single spaces."""
    senza_accenti = unicodedata.normalize("NFKD", testo).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", senza_accenti.strip().lower())


def combustibile_tecnico(scelta: str, altro_testo: str | None = None) -> CombustibileTecnico:
    """Map the printed fuel choice of A 2.d / B 2.d (+ the "Altro ……" text) to a technical class.

    Printed choices: A "Gas naturale", "Gasolio", "GPL", "Altro"; B adds "Olio combustibile"
    (S1 L3212–3218: "utilizzare la casella altro specificandolo (per esempio carbone,
    legno ecc.)"). F/G spellings ("olio comb.", "Kerosene", "Gpl") are accepted too.
    Case-insensitive. An "Altro" text that names no known fuel is ``"altro"`` (not covered by
    UNI 10389, R-A-02), the conservative reading: no UNI 10389 coefficient exists for it.
    """
    testo = normalizza(scelta or "")
    if testo in COMBUSTIBILI_TECNICI and testo != "altro":
        return testo  # type: ignore[return-value]
    if testo == "altro":
        libero = normalizza(altro_testo or "")
        if not libero:
            raise RuleViolation(
                "Combustibile «Altro»: specificare quale combustibile è in uso (es. olio combustibile, legna).",
                path=("altro_testo",),
            )
        return _classifica(libero)
    if not testo:
        raise RuleViolation("Indicare il combustibile in uso al momento della prova.", path=("combustibile",))
    trovato = _classifica(testo, default=None)
    if trovato is None:
        raise RuleViolation(
            f"Combustibile «{scelta}» non previsto: scegliere tra Gas naturale, GPL, Gasolio, "
            "Olio combustibile o Altro (specificando quale).",
            path=("combustibile",),
        )
    return trovato


def _classifica(testo: str, default: CombustibileTecnico | None = "altro") -> CombustibileTecnico | None:
    for modello, classe in _PAROLE_COMBUSTIBILE:
        if re.search(modello, testo):
            return classe
    return default


def non_uni10389(c: CombustibileTecnico) -> bool:
    """True for solid fuels and fuels not covered by UNI 10389 (R-A-02, S1 L2089–2098).

    "Se il generatore è alimentato a combustibile solido e comunque non tra quelli
    individuati dalla norma UNI 10389 (gas residui di lavorazione, biogas, ecc..) non è
    possibile eseguire la misurazione in opera del rendimento di combustione".
    """
    return c in ("solido", "altro")


def combustibile_liquido(c: CombustibileTecnico) -> bool:
    """Liquid fuels: the Bacharach test (7.a/8.c) applies (S1 L2470–2473, L2567–2577)."""
    return c in _LIQUIDI


def combustibile_gassoso(c: CombustibileTecnico) -> bool:
    """Gaseous fuels covered by UNI 10389: 7.a and 8.c are struck (FORMS.md §2.13)."""
    return c in _GASSOSI
