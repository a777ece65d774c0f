"""Catalogues of non-conformity codes for 10.b of the rapporti di prova: A1–A18 and C1–C14.

Texts, titles and the N.B. are verbatim from the seed (S1 p. 48, L2691–2762, for
Allegato A; S1 p. 62, L3724–3778, for Allegato B), as transcribed in FORMS.md §2.15 and
§3.10, typos and apostrophes included. The "grado di pericolosità" of each code is not
printed in the seed (AMB-15), so it is not part of the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from domain.errors import RuleViolation

__all__ = [
    "NonConformita",
    "Catalogo",
    "CATALOGO_A",
    "CATALOGO_B",
    "CATALOGHI",
    "NOTA_BENE",
    "non_conformita",
    "codici_per_allegato",
    "verifica_codici",
]


@dataclass(frozen=True)
class NonConformita:
    """One row of a printed CODICE | NON CONFORMITA' table."""

    codice: str
    """Code as printed, e.g. ``"A7"``."""
    testo: str
    """Text as printed (lines joined with single spaces)."""


@dataclass(frozen=True)
class Catalogo:
    """A printed table of non-conformities with its title."""

    allegato: Literal["A", "B"]
    titolo: str
    """Title as printed (four lines, joined with single spaces)."""
    voci: tuple[NonConformita, ...]

    def codici(self) -> tuple[str, ...]:
        return tuple(v.codice for v in self.voci)


NOTA_BENE = (
    "N.B. Le non conformità riportate in tabella rappresentano soltanto le più frequenti e devono "
    "essere comunicate all'Ente riportando nel punto 10.b del rapporto di prova il rispettivo codice, "
    "l’ispettore che riscontra irregolarità non presenti in tabella è comunque tenuto a segnalarle nel "
    "punto 10.a del rapporto medesimo."
)
"""Printed under both tables (S1 L2759–2762 and L3775–3778, identical wording)."""

_TESTI_A = (
    "Presenza di apparecchi di tipo A ,di cottura e B e assenza ventilazione permanente nel locale",
    "Presenza di apparecchi di tipo A , di cottura e B con ventilazione permanente insufficiente",
    "Presenza di apparecchi di tipo A, di cottura e B con sistema ventilazione ostruito",
    "Errata ubicazione (bagno/camera da letto) di apparecchi a gas di tipo A o B",
    "Errata ubicazione (esempio autorimessa ecc..) di apparecchi a gas di tipo B o C",
    "Errata ubicazione (ambienti non ventilabili) di apparecchi di tipo C",
    "Rigurgito di fumi in ambiente da apparecchi di tipo B",
    "Presenza di caminetti, aspiratori ecc.. che, in funzione, provocano rigurgiti fumi in ambiente da "
    "apparecchi di tipo B",
    "Termostato fumi, presente in origine, che risulta cortocircuitato o manomesso",
    "Caldaie di tipo C collegate a camini non idonei, non contigui a locali abitati",
    "Caldaie di tipo C collegate a camini non idonei, contigui a locali abitati",
    "Caldaie di tipo C collegate a canne collettive ramificate (C.C.R.) in cui scaricano apparecchi di "
    "tipo B o viceversa",
    "Scarichi a parete di apparecchi di tipo B irregolari o posizionati irregolarmente",
    "Scarichi a parete di apparecchi di tipo C irregolari o posizionati irregolarmente",
    "Linea di adduzione gas irregolare",
    "Mancanza del rubinetto di intercettazione generale del gas all'interno dell'abitazione",
    "Mancanza del rubinetto intercettazione del gas a monte dell'apparecchio",
    "Canali da fumo irregolari in apparecchi di tipo B",
)

_TESTI_B = (
    "Ubicazione del locale centrale termica non conforme alle prescrizioni di legge",
    "Accesso alla centrale termica non conforme alle prescrizioni di legge",
    "Apertura di areazione del locale caldaie assente",
    "Apertura di areazione del locale caldaie insufficiente",
    "Apertura di areazione del locale caldaie collocata in modo errato (non consente di evitare eventuali "
    "formazioni di sacche di gas)",
    "Assenza degli strumenti antincendio",
    "Manutenzione dei sistemi antincendio non effettuata",
    "Segnaletica di sicurezza assente o incompleta",
    "Interruttore elettrico generale esterno assente o non accessibile",
    "Assenza del rubinetto di intercettazione manuale esterno (dove previsto)",
    "Rigurgiti di fumi nel locale ove sono presenti apparecchi a tiraggio naturale",
    "Presenza di perdite nei condotti di scarico di apparecchi a tiraggio forzato",
    # AMB-23: the extraction prints both codes, then both texts; assigned in that order.
    "Dall'esame visivo risultano perdite di combustibile liquido",
    "Dall'esame visivo risultano perdite di fluido termovettore",
)

_TITOLO = "ELENCO DELLE NON CONFORMITA' PIU’ FREQUENTI RISCONTRABILI IN IMPIANTI TERMICI "


def _numerate(prefisso: str, testi: tuple[str, ...]) -> tuple[NonConformita, ...]:
    return tuple(NonConformita(f"{prefisso}{n}", testo) for n, testo in enumerate(testi, start=1))


CATALOGO_A = Catalogo(
    "A",
    _TITOLO + "AUTONOMI A GAS (ED ALTRI APPARECCHI A GAS) CON POTENZA TERMICA AL FOCOLARE NOMINALE "
    "INFERIORE A 35 kW INSTALLATI ALL'INTERNO DI ABITAZIONI.",
    _numerate("A", _TESTI_A),
)
CATALOGO_B = Catalogo(
    "B",
    _TITOLO + "CENTRALIZZATI ALIMENTATI CON COMBUSTIBILE LIQUIDO O GASSOSO AVENTI UNA POTENZA TERMICA AL "
    "FOCOLARE NOMINALE COMPLESSIVA SUPERIORE O UGUALE A 35 kW.",
    _numerate("C", _TESTI_B),
)

CATALOGHI: dict[str, Catalogo] = {"A": CATALOGO_A, "B": CATALOGO_B}

_PER_CODICE: dict[str, NonConformita] = {v.codice: v for c in CATALOGHI.values() for v in c.voci}


def _catalogo(allegato: str) -> Catalogo:
    try:
        return CATALOGHI[allegato]
    except KeyError:
        raise RuleViolation("Allegato non valido: scegliere tra A e B.", path=("allegato",)) from None


def codici_per_allegato(allegato: Literal["A", "B"]) -> tuple[str, ...]:
    """Codes printed after the manual of the given Allegato, in printed order (A1…A18 / C1…C14)."""
    return _catalogo(allegato).codici()


def non_conformita(codice: str, allegato: Literal["A", "B"] | None = None) -> NonConformita:
    """Look up a code (case and spaces ignored); ``RuleViolation`` if unknown for the Allegato."""
    chiave = "".join((codice or "").split()).upper()
    voce = _PER_CODICE.get(chiave)
    if voce is not None and (allegato is None or voce.codice in _catalogo(allegato).codici()):
        return voce
    dove = f" nell'Allegato {allegato}" if allegato else ""
    elenco = {"A": "A1–A18", "B": "C1–C14"}.get(allegato or "", "A1–A18 o C1–C14")
    raise RuleViolation(
        f"Codice di non conformità «{codice}» inesistente{dove}: i codici ammessi sono {elenco}.",
        path=("codici_nc",),
    )


def verifica_codici(codici: Iterable[str], allegato: Literal["A", "B"]) -> tuple[str, ...]:
    """Normalise a list of 10.b codes: each must exist for the Allegato and appear once."""
    visti: list[str] = []
    for i, codice in enumerate(codici):
        try:
            voce = non_conformita(codice, allegato)
        except RuleViolation as exc:
            raise RuleViolation(exc.message, path=("codici_nc", i)) from None
        if voce.codice in visti:
            raise RuleViolation(f"Il codice {voce.codice} è indicato più volte.", path=("codici_nc", i))
        visti.append(voce.codice)
    return tuple(visti)
