"""CAIT registry prints (S2 L10–16, "I servizi per i CAIT"): the manutentori associated with a CAIT, its
operatori and the strumenti registered there, as they stand on the day of the print.

Pure models: no clock, no database (FORMS.md conventions).
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from domain.cait import Testo, Ufficio
from domain.forms.comuni import Modello
from domain.forms.rapporto_controllo import Breve

__all__ = ["RigaManutentore", "RigaOperatore", "RigaStrumento", "ElencoManutentori", "ElencoOperatori",
           "ElencoStrumenti"]


class RigaManutentore(Modello):
    ragione_sociale: Testo
    partita_iva: str
    username: Breve
    email: Breve | None = None
    indirizzo: Breve | None = None
    comune: Breve | None = None
    registrato_il: date


class RigaOperatore(Modello):
    cognome_nome: Testo
    username: Breve
    attivo: bool


class RigaStrumento(Modello):
    """Instrument key: marca, modello, matricola."""  # AMB-55

    marca: Breve
    modello: Breve
    matricola: Breve
    manutentore: Breve | None = None


class _Elenco(Modello):
    cait: Ufficio
    data: date
    luogo: Breve


class ElencoManutentori(_Elenco):
    """"Gestisci i Manutentori associati al tuo CAIT" as a print."""  # S2 L10–16

    righe: list[RigaManutentore] = Field(default_factory=list)


class ElencoOperatori(_Elenco):
    righe: list[RigaOperatore] = Field(default_factory=list)


class ElencoStrumenti(_Elenco):
    righe: list[RigaStrumento] = Field(default_factory=list)
