"""Stagione termica, validity of the dichiarazione, deadlines and frequencies (FORMS.md §1).

Pure date arithmetic; nothing here reads the clock (pass ``oggi``).

* stagione termica: 1 August → 31 July of the next year (S1 L395–398);
* a dichiarazione di avvenuta manutenzione is valid for the two stagioni after
  the one it was presented in (S1 L251–256, L663–665; AMB-01 below);
* the 30-day and 180-day deadlines of §1.3;
* the minimum control frequency of chapter 9 and the second mid-season
  combustion test (CONF-01 threshold as a named setting).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from domain.contributo import SOGLIA_PICCOLI_KW, potenza_kw
from domain.errors import RuleViolation

__all__ = [
    "Stagione",
    "stagione_termica",
    "stagione_da_label",
    "LetturaAmb01",
    "LETTURA_AMB01",
    "STAGIONI_VALIDITA",
    "inizio_validita_dichiarazione",
    "validita_dichiarazione",
    "prossima_scadenza_dichiarazione",
    "PRIMA_SCADENZA_DICHIARAZIONE",
    "GIORNI_TERMINE",
    "scadenza_dichiarazione",
    "scadenza_inserimento_telematico",
    "scadenza_scheda_identificativa",
    "scadenza_terzo_responsabile",
    "scadenza_amministratore",
    "scadenza_relazione_generatore_vecchio",
    "GIORNI_SOSTITUZIONE_GENERATORE",
    "scadenza_sostituzione_generatore",
    "scadenza_dati_distributori",
    "Frequenza",
    "frequenza_controllo",
    "scadenza_controllo",
    "SOGLIA_CONF01",
    "SOGLIA_SECONDA_PROVA_KW",
    "seconda_prova_meta_stagione",
]


# --------------------------------------------------------------------------- stagione termica


@dataclass(frozen=True, order=True)
class Stagione:
    """A stagione termica, 1 August ``start_year`` → 31 July ``start_year + 1`` (S1 L395–398)."""

    start_year: int
    """Calendar year of the 1 August that opens the stagione."""

    @property
    def inizio(self) -> date:
        """1 August of ``start_year``."""
        return date(self.start_year, 8, 1)

    @property
    def fine(self) -> date:
        """31 July of ``start_year + 1``."""
        return date(self.start_year + 1, 7, 31)

    @property
    def label(self) -> str:
        """As the seed writes it, e.g. ``2006/2007`` (S1 L1703–1704)."""
        return f"{self.start_year}/{self.start_year + 1}"

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and self.inizio <= d <= self.fine

    def successiva(self, n: int = 1) -> Stagione:
        """The stagione ``n`` seasons later (negative: earlier)."""
        return Stagione(self.start_year + n)

    def __str__(self) -> str:
        return self.label


def stagione_termica(d: date) -> Stagione:
    """The stagione termica containing ``d`` (1 August opens a new one)."""
    return Stagione(d.year if d.month >= 8 else d.year - 1)


_LABEL_RE = re.compile(r"^(\d{4})/(\d{4})$")


def stagione_da_label(label: str) -> Stagione:
    """``"2025/2026"`` → ``Stagione(2025)``; RuleViolation for anything else."""
    m = _LABEL_RE.match((label or "").strip())
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        raise RuleViolation("Stagione termica non valida: scrivere ad esempio 2025/2026.", path=("stagione",))
    return Stagione(int(m.group(1)))


# --------------------------------------------------------------------------- validity (§1.2)

LetturaAmb01 = Literal["esclusiva", "inclusiva"]

LETTURA_AMB01: LetturaAmb01 = "esclusiva"
"""AMB-01, a dichiarazione presented exactly on 1 August. ``esclusiva`` (project decision,
FORMS.md §1.2): 1 August already opens the stagione of presentation, so validity starts on
the *next* 1 August. ``inclusiva``: validity starts that same day. Other days are unaffected."""

STAGIONI_VALIDITA = 2
""""la validità è fissata in due stagioni termiche" (S1 L251–256)."""


def inizio_validita_dichiarazione(data_presentazione: date, *, lettura: LetturaAmb01 = LETTURA_AMB01) -> Stagione:
    """First stagione covered by a dichiarazione: the one opened by the "1 agosto successivo alla sua
    presentazione" (S1 def. e). The one place where AMB-01 is decided."""
    if lettura not in ("esclusiva", "inclusiva"):
        raise RuleViolation("Lettura della decorrenza sconosciuta (CURIT_LETTURA_AMB01): 'esclusiva' o 'inclusiva'.", path=("lettura",))
    presentazione = stagione_termica(data_presentazione)
    if lettura == "inclusiva" and data_presentazione == presentazione.inizio:
        return presentazione
    return presentazione.successiva()


def validita_dichiarazione(data_presentazione: date, *, lettura: LetturaAmb01 = LETTURA_AMB01) -> tuple[date, date]:
    """Validity window of a dichiarazione di avvenuta manutenzione (S1 L251–256, L663–665).

    15/03/2008 → 01/08/2008 … 31/07/2010; 10/09/2008 → 01/08/2009 … 31/07/2011.
    """
    prima = inizio_validita_dichiarazione(data_presentazione, lettura=lettura)
    return prima.inizio, prima.successiva(STAGIONI_VALIDITA - 1).fine


PRIMA_SCADENZA_DICHIARAZIONE = date(2008, 7, 31)
"""The first dichiarazione was due "entro il 31 luglio 2008" (S1 §10.1 L667–674, §10.2)."""


def prossima_scadenza_dichiarazione(
    ultima_presentazione: date | None, *, lettura: LetturaAmb01 = LETTURA_AMB01
) -> date:
    """Date by which the next dichiarazione is due: the last day of the validity of the last one
    (biennial, S1 §10.1–10.2), or 31/07/2008 for an impianto that never presented one."""
    if ultima_presentazione is None:
        return PRIMA_SCADENZA_DICHIARAZIONE
    return validita_dichiarazione(ultima_presentazione, lettura=lettura)[1]


# --------------------------------------------------------------------------- deadlines (§1.3)

GIORNI_TERMINE = 30
""""entro 30 giorni": calendar days, counted from the day after the event."""

GIORNI_SOSTITUZIONE_GENERATORE = 180
"""S1 L468–472: replace the generator "entro 180 giorni dall'ispezione"."""


def _entro(giorni: int, evento: date) -> date:
    return evento + timedelta(days=giorni)


def scadenza_dichiarazione(data_manutenzione: date) -> date:
    """Dichiarazione (G or F) to the Ente: within 30 days of the maintenance (S1 §10.1 L667–674, §10.2)."""
    return _entro(GIORNI_TERMINE, data_manutenzione)


def scadenza_inserimento_telematico(data_manutenzione: date) -> date:
    """Telematic insertion by the manutentore: within 30 days of the maintenance (S1 §15.3 L1592–1596)."""
    return _entro(GIORNI_TERMINE, data_manutenzione)


def scadenza_scheda_identificativa(prima_accensione: date) -> date:
    """Scheda identificativa E1/E2 + first-ignition G/F: within 30 days of the prima accensione
    (S1 §7.1 L448–454, §11.3 L911–928)."""
    return _entro(GIORNI_TERMINE, prima_accensione)


def scadenza_terzo_responsabile(data_evento: date) -> date:
    """Nomina, revoca or dimissioni of the terzo responsabile (H/I): within 30 days
    (S1 §13 L963–967, §13.2.a L1015–1020: "immediatamente ed al massimo entro trenta giorni")."""
    return _entro(GIORNI_TERMINE, data_evento)


def scadenza_amministratore(data_evento: date) -> date:
    """Nomina, revoca or dimissioni of the amministratore (L): within 30 days (S1 §13.4.a L1050–1054)."""
    return _entro(GIORNI_TERMINE, data_evento)


def scadenza_relazione_generatore_vecchio(data_ispezione: date) -> date:
    """Generators older than 15 years: technical report within 30 days of the inspection (S1 L475–491)."""
    return _entro(GIORNI_TERMINE, data_ispezione)


def scadenza_sostituzione_generatore(data_ispezione: date) -> date:
    """Failed rendimento at inspection and no later compliant rapporto: replace the generator
    within 180 days of the inspection (S1 §7.1 L468–472)."""
    return _entro(GIORNI_SOSTITUZIONE_GENERATORE, data_ispezione)


def scadenza_dati_distributori(anno_riferimento: int) -> date:
    """Fuel distributors: utenze active on 31 December of ``anno_riferimento``, delivered by
    31 March of the following year (S1 §15.2 L1525–1530)."""
    return date(anno_riferimento + 1, 3, 31)


# --------------------------------------------------------------------------- frequencies (§1.4)

Frequenza = Literal["biennale", "annuale"]


def frequenza_controllo(combustibile_gassoso: bool, potenza_kw_focolare: Decimal | int | float | str) -> Frequenza:
    """Minimum frequency of controllo e manutenzione with combustion analysis (S1 ch. 9, L633–647):
    every two years for gaseous fuel below 35 kW, yearly for every other impianto."""
    p = potenza_kw(potenza_kw_focolare)
    return "biennale" if combustibile_gassoso and p < SOGLIA_PICCOLI_KW else "annuale"


def scadenza_controllo(ultimo_controllo: date, frequenza: Frequenza) -> date:
    """Same calendar day one or two years after the last control (29 February → 28 February)."""
    anni = 2 if frequenza == "biennale" else 1
    try:
        return ultimo_controllo.replace(year=ultimo_controllo.year + anni)
    except ValueError:  # 29 February into a non-leap year
        return date(ultimo_controllo.year + anni, 2, 28)


SOGLIA_CONF01 = Decimal("116")
"""CONF-01: liquid-fuel threshold for the second mid-season test. Chapter 9.c and the p. 34 table
say ≥ 116 kW (default); Allegato F's closing note says ≥ 35 kW. Pass another value to change it."""

SOGLIA_SECONDA_PROVA_KW = Decimal("350")
"""Any fuel at or above this potenza needs the second mid-season test (S1 ch. 9.c)."""


def seconda_prova_meta_stagione(
    liquido: bool,
    potenza_kw_focolare: Decimal | int | float | str,
    soglia_liquido_kw: Decimal = SOGLIA_CONF01,
) -> bool:
    """Whether "una seconda determinazione del solo rendimento di combustione … alla metà del periodo
    di riscaldamento" is required (S1 ch. 9.c L633–647): liquid fuel ≥ ``soglia_liquido_kw``, or any
    fuel ≥ 350 kW."""
    p = potenza_kw(potenza_kw_focolare)
    return (liquido and p >= soglia_liquido_kw) or p >= SOGLIA_SECONDA_PROVA_KW
