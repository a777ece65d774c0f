"""Etichetta di validazione ("bollino", FORMS.md §15; S1 §10.5 L760–794): number format and price.

The seed leaves size, numbering and colours to the Ente (AMB-44). Our number:

    CR036-26G1-001234-J      compact form (barcodes, database): CR03626G1001234J

    CR036   Ente prefix: provincia sigla + last 3 ISTAT digits of the Comune-Ente,
            ``000`` for a Provincia/Città metropolitana (``CR000`` Provincia di Cremona,
            ``CR036`` Comune di Cremona, ``MI146`` Comune di Milano)
    26      stagione termica 2026/2027 (last two digits of its first year, §1.1)
    G1      tipo and fascia: ``G1`` for Allegato G (< 35 kW, band F1); ``F2``…``F5`` for
            Allegato F in the contributo bands F2…F5 (§17): the price band is in the number
    001234  progressive within (Ente, stagione, tipo), 6 digits
    J       check character, ISO/IEC 7064 MOD 37-2 over the 14 characters before it

MOD 37-2 is a pure system over the alphabet ``0-9 A-Z *`` (values 0…36) with weights
``2^i mod 37``: 37 is prime and consecutive weights differ, so every single mistyped
character and every swap of two adjacent characters changes the checksum
(``tests/domain/test_etichetta.py`` proves it exhaustively with hypothesis). The
check character can be ``*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from domain.contributo import FASCE, Fascia
from domain.errors import RuleViolation
from domain.targa import ColoreHex, rapporto_contrasto

__all__ = [
    "ALFABETO",
    "TipoEtichetta",
    "MATRICI",
    "FormatoMatrice",
    "MATRICE",
    "MARGINE_SPAZIO_MM",
    "NumeroEtichetta",
    "carattere_controllo",
    "verifica_controllo",
    "numero_etichetta",
    "parse_numero_etichetta",
    "prefisso_ente",
    "PersonalizzazioneEtichetta",
    "Prezzo",
    "AnteprimaEtichette",
]

ALFABETO = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_VAL = {c: i for i, c in enumerate(ALFABETO)}
TipoEtichetta = Literal["G", "F"]
MATRICI: tuple[str, ...] = ("copia utente", "copia Ente (convalida)", "copia manutentore")
"""The three separable matrici, in printed order (S1 L760–770)."""

MARGINE_SPAZIO_MM = 2.0
"""Free margin around a matrice stuck in its space on G and F, on each side (issue 17)."""


@dataclass(frozen=True)
class FormatoMatrice:
    """The one declared size of an etichetta matrice; every other size derives from it.

    The sheet profile (``renderers.impose``, three matrici side by side per etichetta), the
    etichetta template and the "Spazio per l'etichetta di validazione" of G and F (through the
    ``formato_etichetta`` template global) all read these millimetres."""

    larghezza: float
    """Width of one matrice, mm."""
    altezza: float
    """Height of one matrice (= of the etichetta), mm."""

    @property
    def etichetta(self) -> tuple[float, float]:
        """The etichetta with its matrici side by side, mm."""
        return (self.larghezza * len(MATRICI), self.altezza)

    @property
    def spazio(self) -> tuple[float, float]:
        """The space reserved on each copy of G and F: the matrice plus the margin on each side, mm."""
        return (self.larghezza + 2 * MARGINE_SPAZIO_MM, self.altezza + 2 * MARGINE_SPAZIO_MM)


MATRICE = FormatoMatrice(larghezza=56.0, altezza=28.0)
"""56 × 28 mm: the space on G is 60 × 32 mm, the most its one-page form can give (seed: one page)."""

_COMPATTO = re.compile(r"^([A-Z]{2}\d{3})(\d{2})(G1|F[2-5])(\d{6})([0-9A-Z*])$")
_PATH = ("numero",)


def carattere_controllo(dati: str) -> str:
    """ISO/IEC 7064 MOD 37-2 check character of ``dati`` (characters of 0-9 A-Z)."""
    somma = 0
    for c in dati:
        somma = ((somma + _VAL[c]) * 2) % 37
    return ALFABETO[(38 - somma) % 37]


def verifica_controllo(compatto: str) -> bool:
    """Whether the last character is the MOD 37-2 check of the others."""
    if len(compatto) < 2 or any(c not in _VAL for c in compatto) or "*" in compatto[:-1]:
        return False
    return carattere_controllo(compatto[:-1]) == compatto[-1]


@dataclass(frozen=True)
class NumeroEtichetta:
    """A parsed, checked etichetta number."""

    prefisso: str
    """Ente prefix, e.g. ``CR036``."""
    stagione: int
    """First year of the stagione termica (2026 for 2026/2027)."""
    tipo: TipoEtichetta
    fascia: str
    """Contributo band code ``F1``…``F5`` (G is always F1)."""
    progressivo: int

    @property
    def compatto(self) -> str:
        dati = f"{self.prefisso}{self.stagione % 100:02d}{self.tipo}{self.fascia[1]}{self.progressivo:06d}"
        return dati + carattere_controllo(dati)

    @property
    def leggibile(self) -> str:
        c = self.compatto
        return f"{c[:5]}-{c[5:9]}-{c[9:15]}-{c[15]}"

    @property
    def stagione_label(self) -> str:
        return f"{self.stagione}/{self.stagione + 1}"

    def __str__(self) -> str:
        return self.leggibile


def numero_etichetta(prefisso: str, stagione: int, tipo: TipoEtichetta, progressivo: int,
                     fascia: str | None = None) -> NumeroEtichetta:
    """Build a number; ``fascia`` is required for F (F2…F5) and must be F1 (or None) for G."""
    if not re.fullmatch(r"[A-Z]{2}\d{3}", prefisso):
        raise RuleViolation("Prefisso Ente non valido: 2 lettere della provincia e 3 cifre (es. CR036).",
                            path=("prefisso",))
    if not 2000 <= stagione <= 2099:
        raise RuleViolation("Stagione non valida: indicare l'anno di inizio (es. 2026).", path=("stagione",))
    if tipo == "G":
        if fascia not in (None, "F1"):
            raise RuleViolation("Le etichette G sono solo per impianti sotto i 35 kW (fascia F1).", path=("fascia",))
        fascia = "F1"
    elif tipo == "F":
        if fascia not in ("F2", "F3", "F4", "F5"):
            raise RuleViolation("Per le etichette F indicare la fascia di potenza (F2, F3, F4 o F5).", path=("fascia",))
    else:
        raise RuleViolation("Tipo di etichetta non valido: G oppure F.", path=("tipo",))
    if not 1 <= progressivo <= 999_999:
        raise RuleViolation("Il progressivo deve essere tra 1 e 999999.", path=("progressivo",))
    return NumeroEtichetta(prefisso, stagione, tipo, fascia, progressivo)


def parse_numero_etichetta(testo: str) -> NumeroEtichetta:
    """Read a number as typed (hyphens/spaces optional, any case); Italian errors otherwise."""
    compatto = re.sub(r"[\s\-.]", "", testo or "").upper()
    m = _COMPATTO.match(compatto)
    if not m:
        raise RuleViolation(
            "Numero di etichetta non valido: prefisso Ente, stagione, tipo e fascia, progressivo e carattere "
            "di controllo, es. CR036-26G1-001234-J.", path=_PATH)
    if not verifica_controllo(compatto):
        raise RuleViolation("Numero di etichetta errato: il carattere di controllo non corrisponde "
                            "(controllare di averlo trascritto correttamente).", path=_PATH)
    prefisso, anno, tipo_fascia, progressivo, _ = m.groups()
    if int(progressivo) == 0:
        raise RuleViolation("Il progressivo dell'etichetta parte da 000001.", path=_PATH)
    return NumeroEtichetta(prefisso, 2000 + int(anno), tipo_fascia[0], f"F{tipo_fascia[1]}",  # type: ignore[arg-type]
                           int(progressivo))


def prefisso_ente(tipo_ente: str, sigla: str, istat: str) -> str:
    """``CR000`` for a Provincia (or Città metropolitana), ``CR036`` for the Comune 019036."""
    return f"{sigla}{istat[3:6] if tipo_ente == 'Comune' else '000'}"


class PersonalizzazioneEtichetta(BaseModel):
    """What an Ente configures for its etichette (AMB-44: size, colours, F variant)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    logo: str | None = Field(default=None, pattern=r"^[a-z0-9-]+\.svg$")
    """File in ``templates/_assets/loghi/``; None → the Ente's registered logo."""
    colore_g: ColoreHex = "#1d6b3a"
    """Colour of the band of G etichette."""
    colore_f: ColoreHex = "#8b2232"
    """Colour of the band of F etichette when ``variante_f`` is ``colore``."""
    variante_f: Literal["colore", "multiplo"] = "colore"
    """F distinguished by colour, or printed in the G colour as a multiple of the base etichetta."""
    multipli_f: dict[str, int] = Field(default_factory=lambda: {"F2": 2, "F3": 3, "F4": 5, "F5": 8})
    """Base etichette an F etichetta counts for, per band (``variante_f = multiplo``)."""
    righe_extra: tuple[Annotated[str, Field(min_length=1, max_length=60)], ...] = Field(default=(), max_length=2)
    """The Ente's own text on every matrice ("ogni altra informazione ritenuta opportuna")."""
    quote_ente: dict[str, Decimal] = Field(default_factory=dict)
    """Ente contribution per band (``{"F1": "8.00", …}``), set by each Ente (§10.4); it completes the
    quota table of ``CURIT_QUOTE_ENTI_FILE`` (``service.quote_enti``), replacing the bands it lists."""

    @model_validator(mode="after")
    def _coerente(self) -> PersonalizzazioneEtichetta:
        for colore in (self.colore_g, self.colore_f):
            if rapporto_contrasto(colore, "#ffffff") < 4.5:
                raise ValueError("Colore troppo chiaro: il testo bianco dell'etichetta non sarebbe leggibile.")
        if set(self.multipli_f) != {"F2", "F3", "F4", "F5"} or any(not 1 <= n <= 20 for n in self.multipli_f.values()):
            raise ValueError("I multipli delle etichette F vanno indicati per le fasce F2…F5 (da 1 a 20).")
        for fascia, quota in self.quote_ente.items():
            if fascia not in {f.codice for f in FASCE} or quota < 0:
                raise ValueError(f"Quota Ente non valida per la fascia {fascia}.")
        return self

    def colore(self, tipo: TipoEtichetta) -> str:
        return self.colore_f if tipo == "F" and self.variante_f == "colore" else self.colore_g

    def multiplo(self, numero: NumeroEtichetta) -> int:
        return self.multipli_f[numero.fascia] if numero.tipo == "F" and self.variante_f == "multiplo" else 1


@dataclass(frozen=True)
class Prezzo:
    """The single payment an etichetta stands for (§17): Ente quota + contributo regionale."""

    fascia: Fascia
    quota_ente: Decimal
    contributo_regionale: Decimal

    @property
    def totale(self) -> Decimal:
        return self.quota_ente + self.contributo_regionale


class AnteprimaEtichette(BaseModel):
    """``curit-docs esempio etichette`` / ``render etichette``: a FAC-SIMILE sheet of example numbers.

    Nothing is allocated: the numbers are the first progressives of the Ente's range, printed
    across every matrice as "FAC-SIMILE", and the database is not opened."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ente_id: str = Field(min_length=1, max_length=60)
    """Id of the Ente whose etichette are previewed (e.g. ``provincia-cremona``)."""
    tipo: TipoEtichetta = "G"
    fascia: Literal["F2", "F3", "F4", "F5"] | None = None
    """Band of an F etichetta; none for G."""
    stagione: int = Field(default=2026, ge=2000, le=2099)
    """First year of the stagione termica."""
    quantita: int = Field(default=7, ge=1, le=70)
    """How many etichette (7 fill one A4-1x7 sheet; at most 10 sheets)."""

    @model_validator(mode="after")
    def _fascia(self) -> AnteprimaEtichette:
        if self.tipo == "F" and self.fascia is None:
            raise ValueError("Per le etichette F indicare la fascia di potenza (F2, F3, F4 o F5).")
        if self.tipo == "G" and self.fascia is not None:
            raise ValueError("Le etichette G sono solo per impianti sotto i 35 kW: non indicare la fascia.")
        return self
