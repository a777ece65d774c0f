"""Allegati H and I: comunicazione del terzo responsabile (FORMS.md §9, §10; S1 §13).

The terzo responsabile firm tells the Ente locale competente that it has taken on,
or no longer holds, the responsibility for an impianto (art. 11 c. 6 D.P.R. 412/93).
H serves impianti **below 35 kW**, I those of **35 kW or more**; the firm must be
enabled for letter c) of art. 1 L. 46/90 (and e) for gas), must not be the energy
supplier (D.P.R. 445/00 declaration), and above 350 kW must also hold a quality
certification or be on a national register (§13.1).

``Mittente`` (the sender block) is shared with Allegato L.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from domain.codice import CodiceImpiantoStr
from domain.errors import RuleViolation
from domain.forms.allegato_e import breve, potenza_per_modello, solleva, testo, verifica_comune
from domain.forms.comuni import BARRATO, Barrabile, IndirizzoEnte, Modello
from domain.identificativi import CfOPiva

__all__ = [
    "Mittente",
    "EnteDestinatario",
    "Lettera",
    "TipoComunicazione",
    "MotivoCessazione",
    "AllegatoH",
    "AllegatoI",
    "verifica_h",
    "verifica_i",
    "verifica_mittente",
    "SOGLIA_QUALITA_KW",
]

SOGLIA_QUALITA_KW = 350
"""Above this potenza al focolare the terzo responsabile needs UNI EN ISO 9000 or a register (S1 L1005–1009)."""

Lettera = Literal["a", "b", "c", "d", "e", "f", "g"]
"""Letters of art. 1 L. 46/90 the firm is enabled for."""
TipoComunicazione = Literal["assunzione", "cessazione"]
MotivoCessazione = Literal["per revoca dell’incarico", "per dimissioni"]


_GASSOSI = re.compile(r"\b(gas|metano|gpl|g\.p\.l\.|propano|butano|biogas)\b", re.IGNORECASE)


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value):
        raise ValueError("Indirizzo e-mail non valido.")
    return value


def _telefono(value: str) -> str:
    if not re.fullmatch(r"\+?[0-9][0-9 ./-]{5,19}", value):
        raise ValueError("Numero di telefono non valido: solo cifre, spazi e il prefisso +.")
    return value


Telefono = Barrabile[Annotated[str, AfterValidator(_telefono)]]
"""A phone number, ``BARRATO`` or None (domain.errors reports a bad number once, not per union branch)."""
Email = Barrabile[Annotated[str, Field(max_length=90), AfterValidator(_email)]]
"""An e-mail address, ``BARRATO`` or None."""


# Maximum lengths sized to the printed lines of H and I (9 pt monospace values, ~1.9 mm a character):
# a value up to its maximum fits its line on the sheet; refused past it, in Italian, naming the field.


class EnteDestinatario(IndirizzoEnte):
    """The addressee block «Al Comune / Alla Provincia di …» of H and I, sized to its three lines
    (every Ente of the registry fits: the longest name has 21 characters, address 31)."""

    denominazione: testo(40)  # type: ignore[valid-type]
    via: breve(40) | None = None  # type: ignore[valid-type]
    citta: breve(40) | None = None  # type: ignore[valid-type]


class Mittente(Modello):
    """Sender block printed under the text of H, I and L."""  # FORMS.md §9.2 item 5, §11.2 item 4

    ragione_sociale: Barrabile[breve(70)] = None  # type: ignore[valid-type]
    """«Ragione sociale della Ditta» (BARRATO for an amministratore who is a natural person)."""
    legale_rappresentante: Barrabile[breve(60)] = None  # type: ignore[valid-type]
    """«Nome e cognome del legale rappresentante»."""
    cf_piva: CfOPiva | None = None
    """Codice fiscale or partita IVA: not on the printed model, printed only in normalised mode."""
    indirizzo: Barrabile[breve(85)] = None  # type: ignore[valid-type]
    telefono: Telefono = None
    cellulare: Telefono = None
    fax: Telefono = None
    email: Email = None


def _chiave_nome(text: str) -> str:
    """Company names compared on letters and digits only (\"Gas S.p.A.\" = \"GAS SPA\")."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))
    return letters.casefold()


def _vuoto(value: object) -> bool:
    return value is None or value == BARRATO


def verifica_mittente(m: Mittente, *, ditta: bool) -> list[RuleViolation]:
    """A firm (H/I; L when the amministratore is a company) signs through its legale rappresentante."""
    errori: list[RuleViolation] = []
    if ditta:
        for key, label in (("ragione_sociale", "la ragione sociale della ditta"),
                           ("legale_rappresentante", "nome e cognome del legale rappresentante"),
                           ("indirizzo", "l'indirizzo della ditta")):
            if _vuoto(getattr(m, key)):
                errori.append(RuleViolation(f"Indicare {label}.", path=("mittente", key)))
    if all(_vuoto(v) for v in (m.telefono, m.cellulare, m.email)):
        errori.append(RuleViolation("Indicare almeno un recapito: telefono, cellulare o e-mail.", path=("mittente", "telefono")))
    return errori


class _Comunicazione(Modello):
    """Allegato H and I share every printed line but the impianto options and the power range."""

    ente: EnteDestinatario
    """Addressee: «Al Comune / Alla Provincia di …»."""
    sottoscritto: testo(60)  # type: ignore[valid-type]
    ditta: testo(70)  # type: ignore[valid-type]
    """«Legale rappresentante della Ditta …»."""
    cciaa_provincia: testo(30)  # type: ignore[valid-type]
    """«iscritta alla CCIAA di …»."""
    cciaa_numero: testo(30)  # type: ignore[valid-type]
    """«al numero …» (numero REA)."""
    lettere_abilitazione: Annotated[list[Lettera], Field(min_length=1)]
    cert_qualita_norma: Barrabile[breve(20)] = None  # type: ignore[valid-type]
    """«… ai sensi della norma UNI ISO EN …»."""
    altro: Barrabile[breve(90)] = None  # type: ignore[valid-type]
    tipo_comunicazione: TipoComunicazione
    data_assunzione: date | None = None
    data_cessazione: date | None = None
    motivo_cessazione: MotivoCessazione | None = None
    codice_catasto: CodiceImpiantoStr
    via: testo(45)  # type: ignore[valid-type]
    comune: testo(30)  # type: ignore[valid-type]
    proprietario: testo(85)  # type: ignore[valid-type]
    combustibile: str | None = None
    """Fuel as registered in the catasto: not printed on H/I, used to require letter e) for gas (§9.3)."""
    mittente: Mittente
    fornitore_energia: Barrabile[breve(70)] = None  # type: ignore[valid-type]
    """«Nominativo del fornitore di energia» (a cura del committente)."""
    committente: Barrabile[breve(55)] = None  # type: ignore[valid-type]
    """«Nome e cognome/ Ragione sociale del committente»."""
    luogo: breve(40) | None = None  # type: ignore[valid-type]
    """Place of signature: not printed on the model (AMB-39), shown in normalised mode."""
    data_firma: date | None = None
    """Date of signature: not printed on the model (AMB-39), shown in normalised mode."""


class AllegatoH(_Comunicazione):
    """Allegato H - Modello per impianti inferiori a 35 kW (DGR 18/09/2007, Allegato H)."""

    tipo_impianto: Literal["riscaldamento", "riscaldamento e produzione di ACS"]
    potenza_kw: potenza_per_modello(  # type: ignore[valid-type]
        "potenza termica del focolare complessiva nominale", sotto_soglia=True, alternativo="I"
    )


class AllegatoI(_Comunicazione):
    """Allegato I - Modello per impianti uguali o superiori a 35 kW (DGR 18/09/2007, Allegato I)."""

    tipo_impianto: Annotated[list[Literal["riscaldamento", "produzione centralizzata di ACS"]], Field(min_length=1)]
    potenza_kw: potenza_per_modello(  # type: ignore[valid-type]
        "potenza termica del focolare complessiva nominale", sotto_soglia=False, alternativo="H"
    )


def _verifica_comunicazione(c: _Comunicazione) -> list[RuleViolation]:
    errori = verifica_comune(c.codice_catasto, c.comune) + verifica_mittente(c.mittente, ditta=True)
    lettere = set(c.lettere_abilitazione)
    if len(lettere) != len(c.lettere_abilitazione):
        errori.append(RuleViolation("Ogni lettera di abilitazione va indicata una sola volta.", path=("lettere_abilitazione",)))
    if "c" not in lettere:
        errori.append(RuleViolation(
            "Il terzo responsabile deve essere abilitato per la lettera c) (impianti di riscaldamento "
            "e climatizzazione) dell'art. 1 della legge 46/90.", path=("lettere_abilitazione",)))
    if c.combustibile and _GASSOSI.search(c.combustibile) and "e" not in lettere:
        errori.append(RuleViolation(
            f"Per un impianto a gas ({c.combustibile}) il terzo responsabile deve essere abilitato anche "
            "per la lettera e) dell'art. 1 della legge 46/90.", path=("lettere_abilitazione",)))
    if c.tipo_comunicazione == "assunzione":
        if c.data_assunzione is None:
            errori.append(RuleViolation("Indicare la data di assunzione dell'incarico.", path=("data_assunzione",)))
        for key in ("data_cessazione", "motivo_cessazione"):
            if getattr(c, key) is not None:
                errori.append(RuleViolation("Da compilare solo per la cessazione dell'incarico.", path=(key,)))
        if not _vuoto(c.fornitore_energia) and _chiave_nome(c.fornitore_energia) in {
            _chiave_nome(c.ditta), _chiave_nome(c.mittente.ragione_sociale or "")
        }:
            errori.append(RuleViolation(
                "Il terzo responsabile non può essere il fornitore di energia dello stesso impianto "
                "(dichiarazione ai sensi del D.P.R. 445/00).", path=("fornitore_energia",)))
    else:
        if c.data_cessazione is None:
            errori.append(RuleViolation("Indicare da quando non si è più terzo responsabile.", path=("data_cessazione",)))
        if c.motivo_cessazione is None:
            errori.append(RuleViolation("Indicare il motivo: revoca dell'incarico o dimissioni.", path=("motivo_cessazione",)))
        if c.data_assunzione is not None:
            errori.append(RuleViolation("Da compilare solo per l'assunzione dell'incarico.", path=("data_assunzione",)))
    return errori


def verifica_h(h: AllegatoH) -> None:
    """Cross-field rules of H (FORMS.md §9.3); every violation at once, with its field path."""
    solleva(_verifica_comunicazione(h))


def verifica_i(i: AllegatoI) -> None:
    """Rules of H plus the > 350 kW quality requirement (FORMS.md §10, S1 L1005–1009)."""
    errori = _verifica_comunicazione(i)
    if len(set(i.tipo_impianto)) != len(i.tipo_impianto):
        errori.append(RuleViolation("Ogni tipo di impianto va indicato una sola volta.", path=("tipo_impianto",)))
    if i.potenza_kw > SOGLIA_QUALITA_KW and _vuoto(i.cert_qualita_norma) and _vuoto(i.altro):
        errori.append(RuleViolation(
            "Oltre 350 kW il terzo responsabile deve avere la certificazione di qualità UNI EN ISO 9000 "
            "(indicare la norma) o l'iscrizione a un albo nazionale (indicarla in «Altro»).",
            path=("cert_qualita_norma",)))
    solleva(errori)

