"""Power bands: contributo regionale (FORMS.md §17) and model selection by power (§13.1).

Both rules read the impianto's *potenza nominale al focolare complessiva*:

* the contributo regionale paid with each dichiarazione is the printed amount of
  its band (S1 §16, L1651–1662). AMB-51: the printed amounts win over the formula
  "limite superiore × € 0,03/kW" they were said to come from. AMB-52: the printed
  bands leave gaps (50–50,1 and 116,3–116,4 kW); we close them as
  ``<35``, ``35 ≤ P ≤ 50``, ``50 < P ≤ 116,3``, ``116,3 < P ≤ 350``, ``>350``;
* the model to fill in: below 35 kW the "small" one (G, A, E1, H), from 35 kW the
  "large" one (F, B, E2, I).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from domain.errors import Path, RuleViolation

__all__ = [
    "Fascia",
    "FASCE",
    "SOGLIA_PICCOLI_KW",
    "INDICE_UNITARIO_EUR_KW",
    "Famiglia",
    "FAMIGLIE",
    "potenza_kw",
    "fascia_potenza",
    "contributo_regionale",
    "allegato_per_potenza",
]

SOGLIA_PICCOLI_KW = Decimal("35")
"""Below this potenza al focolare an impianto uses G/A/E1/H; at or above, F/B/E2/I."""

INDICE_UNITARIO_EUR_KW = Decimal("0.03")
"""The "indice unitario di € 0.03 per kW" the printed amounts were derived from (AMB-51)."""

_PATH_POTENZA: Path = ("potenza_focolare_totale_kw",)


@dataclass(frozen=True)
class Fascia:
    """One band of the contributo regionale table (S1 L1651–1662)."""

    codice: str
    """Stable key for data and reports: ``F1`` … ``F5``."""
    etichetta: str
    """The POTENZA cell exactly as printed, e.g. ``Potenza 35-50 kW``."""
    importo: Decimal
    """IMPORTO IN € as printed (AMB-51: the table, not the formula)."""
    minimo_kw: Decimal | None
    """Lower edge in kW (None: from zero)."""
    minimo_incluso: bool
    """Whether a potenza equal to ``minimo_kw`` belongs to this band."""
    massimo_kw: Decimal | None
    """Upper edge in kW (None: no limit)."""
    massimo_incluso: bool
    """Whether a potenza equal to ``massimo_kw`` belongs to this band."""

    def contiene(self, p: Decimal) -> bool:
        """Whether a potenza (kW, Decimal) falls in this band (AMB-52 edges)."""
        if self.minimo_kw is not None and (p < self.minimo_kw or (p == self.minimo_kw and not self.minimo_incluso)):
            return False
        if self.massimo_kw is not None and (p > self.massimo_kw or (p == self.massimo_kw and not self.massimo_incluso)):
            return False
        return True

    @property
    def importo_da_formula(self) -> Decimal:
        """What the formula of S1 L1646–1649 would give (upper limit, or 600 kW for the last band,
        × € 0,03), kept only to document AMB-51; never charged."""
        limite = self.massimo_kw if self.massimo_kw is not None else Decimal("600")
        return limite * INDICE_UNITARIO_EUR_KW


FASCE: tuple[Fascia, ...] = (
    Fascia("F1", "Potenza inferiore a 35 kW", Decimal("1.00"), None, False, Decimal("35"), False),
    Fascia("F2", "Potenza 35-50 kW", Decimal("1.50"), Decimal("35"), True, Decimal("50"), True),
    Fascia("F3", "Potenza 50,1-116,3 kW", Decimal("3.50"), Decimal("50"), False, Decimal("116.3"), True),
    Fascia("F4", "Potenza 116,4 – 350 kW", Decimal("10.00"), Decimal("116.3"), False, Decimal("350"), True),
    Fascia("F5", "Potenza maggiore di 350 kW", Decimal("18.00"), Decimal("350"), False, None, False),
)
"""The five bands in printed order; every positive potenza falls in exactly one."""


def potenza_kw(value: Decimal | int | float | str, *, path: Path = _PATH_POTENZA) -> Decimal:
    """A potenza al focolare as a positive ``Decimal`` (floats go through ``str`` so 116.3 stays 116.3)."""
    try:
        p = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise RuleViolation("La potenza al focolare deve essere un numero (kW).", path=path) from None
    if not p.is_finite() or p <= 0:
        raise RuleViolation("La potenza al focolare deve essere maggiore di zero.", path=path)
    return p


def fascia_potenza(p_focolare_kw: Decimal | int | float | str) -> Fascia:
    """The contributo band of an impianto by its potenza nominale al focolare complessiva (S1 §16)."""
    p = potenza_kw(p_focolare_kw)
    return next(f for f in FASCE if f.contiene(p))


def contributo_regionale(p_focolare_kw: Decimal | int | float | str) -> Decimal:
    """The regional contribution in euros for one dichiarazione (printed amount, AMB-51)."""
    return fascia_potenza(p_focolare_kw).importo


Famiglia = Literal["rapporto_controllo", "rapporto_prova", "scheda_identificativa", "nomina_terzo_responsabile"]

FAMIGLIE: dict[str, tuple[str, str]] = {
    "rapporto_controllo": ("G", "F"),
    "rapporto_prova": ("A", "B"),
    "scheda_identificativa": ("E1", "E2"),
    "nomina_terzo_responsabile": ("H", "I"),
}
"""Model family → (allegato below 35 kW, allegato from 35 kW), FORMS.md §13.1."""


def allegato_per_potenza(p_focolare_kw: Decimal | int | float | str, famiglia: Famiglia) -> str:
    """Which allegato to use: ``< 35 kW`` → G/A/E1/H, ``≥ 35 kW`` → F/B/E2/I (FORMS.md §13.1).

    ``allegato_per_potenza(Decimal("34.9"), "rapporto_controllo") == "G"``.
    """
    try:
        piccolo, grande = FAMIGLIE[famiglia]
    except KeyError:
        scelte = ", ".join(FAMIGLIE)
        raise RuleViolation(f"Famiglia di modelli sconosciuta: scegliere tra {scelte}.", path=("famiglia",)) from None
    return piccolo if potenza_kw(p_focolare_kw) < SOGLIA_PICCOLI_KW else grande
