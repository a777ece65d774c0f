"""Targa identificativa dell'impianto (FORMS.md §14.2; S1 §15.1 L1509–1523, §11).

A plate is 84 mm wide × 55 mm high and carries three mandatory lines:

1. ``Regione Lombardia - {denominazione dell'Ente}`` ("Provincia di Cremona";
   for a Comune-Ente "Comune di Milano", AMB-43);
2. ``Impianto Termico N. {codice impianto}``;
3. ``{indirizzo}, {civico} Comune di {comune}``.

"Si dovranno stampare 2 etichette: 1 da sistemare sull'impianto in modo visibile,
1 da tenere nel libretto dell'impianto" (S1 L1515–1518): :data:`COPIE_TARGA`.
Each Ente may customise logo, colours and extra lines "fermo restando che siano
presenti le informazioni minimali" (L1521–1523): :class:`PersonalizzazioneTarga`
can only *add* to the three lines, never replace them.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from domain.codice import CodiceImpiantoStr, comune_discorde
from domain.istat import comune_by_istat

__all__ = [
    "LARGHEZZA_MM",
    "ALTEZZA_MM",
    "COPIE_TARGA",
    "ImpiantoTarga",
    "ElencoImpiantiTarga",
    "PersonalizzazioneTarga",
    "ColoreHex",
    "riga_ente",
    "riga_impianto",
    "riga_indirizzo",
    "rapporto_contrasto",
]

LARGHEZZA_MM = 84.0
ALTEZZA_MM = 55.0
COPIE_TARGA: tuple[str, ...] = ("impianto", "libretto")
"""Where each of the two plates goes: on the impianto, in the libretto."""


def _colore(value: str) -> str:
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        raise ValueError("Colore non valido: usare il formato esadecimale #RRGGBB.")
    return value.lower()


ColoreHex = Annotated[str, AfterValidator(_colore)]


def _luminanza(colore: str) -> float:
    def canale(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colore[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * canale(r) + 0.7152 * canale(g) + 0.0722 * canale(b)


def rapporto_contrasto(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 … 21)."""
    la, lb = sorted((_luminanza(a), _luminanza(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class ImpiantoTarga(BaseModel):
    """One impianto to print plates for (an element of ``impianti.json``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    codice_impianto: CodiceImpiantoStr
    """``XXXXXXZZYYYYYYY`` (FORMS.md §14.1)."""
    indirizzo: str = Field(min_length=3, max_length=80)
    """Toponimo and street name, e.g. ``Via Giuseppe Garibaldi``."""
    civico: str | None = Field(default=None, max_length=10)
    comune: str = Field(min_length=1, max_length=60)
    """Comune where the impianto is; must match the ISTAT code inside the codice."""
    ente_id: str | None = Field(default=None, max_length=60)
    """Issuing Ente (``provincia-cremona``); None → the competent Ente of §0.7."""

    @model_validator(mode="after")
    def _comune_coerente(self) -> ImpiantoTarga:
        comune = comune_by_istat(self.codice_impianto[:6])
        if comune is not None and _norm(comune.nome) != _norm(self.comune):
            errore = comune_discorde(self.codice_impianto, self.comune, campo_codice="codice impianto")
            if errore is not None:
                raise ValueError(errore.message)
        return self

    @property
    def istat(self) -> str:
        return self.codice_impianto[:6]


def _norm(text: str) -> str:
    return re.sub(r"[\s'’`-]+", " ", text).strip().casefold()


class ElencoImpiantiTarga(BaseModel):
    """The content of ``impianti.json``: a list of impianti (root is a JSON array)."""

    impianti: list[ImpiantoTarga] = Field(min_length=1, max_length=200_000)

    @model_validator(mode="before")
    @classmethod
    def _da_lista(cls, data: object) -> object:
        return {"impianti": data} if isinstance(data, list) else data

    @model_validator(mode="after")
    def _senza_doppioni(self) -> ElencoImpiantiTarga:
        visti: set[str] = set()
        for imp in self.impianti:
            if imp.codice_impianto in visti:
                raise ValueError(f"Il codice impianto {imp.codice_impianto} compare più volte nell'elenco.")
            visti.add(imp.codice_impianto)
        return self


class PersonalizzazioneTarga(BaseModel):
    """What an Ente may change on its plates; the three mandatory lines are not listed here
    because they cannot be removed or reworded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    logo: str | None = Field(default=None, pattern=r"^[a-z0-9-]+\.svg$")
    """File in ``templates/_assets/loghi/``; None → the Ente's registered logo."""
    colore_fascia: ColoreHex = "#1d6b3a"
    """Background of the header band (white text on it)."""
    colore_testo: ColoreHex = "#1a1a1a"
    """Colour of lines 2 and 3."""
    righe_extra: tuple[Annotated[str, Field(min_length=1, max_length=70)], ...] = Field(default=(), max_length=2)
    """Up to two extra lines printed under the mandatory ones (e.g. a helpdesk number)."""

    @model_validator(mode="after")
    def _leggibile(self) -> PersonalizzazioneTarga:
        if rapporto_contrasto(self.colore_fascia, "#ffffff") < 4.5:
            raise ValueError("Il colore della fascia è troppo chiaro: il testo bianco non sarebbe leggibile.")
        if rapporto_contrasto(self.colore_testo, "#ffffff") < 7:
            raise ValueError("Il colore del testo è troppo chiaro per una targa.")
        return self


def riga_ente(denominazione_ente: str) -> str:
    """Line 1: ``Regione Lombardia - Provincia di Cremona`` (AMB-43: ``… - Comune di Milano``)."""
    return f"Regione Lombardia - {denominazione_ente}"


def riga_impianto(codice_impianto: str) -> str:
    """Line 2: ``Impianto Termico N. 019036CT0000001``."""
    return f"Impianto Termico N. {codice_impianto}"


def riga_indirizzo(impianto: ImpiantoTarga) -> str:
    """Line 3: ``Via Giuseppe Garibaldi, 10 Comune di Cremona``."""
    via = f"{impianto.indirizzo}, {impianto.civico}" if impianto.civico else impianto.indirizzo
    return f"{via} Comune di {impianto.comune}"
