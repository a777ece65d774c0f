"""Allegati E1 and E2: schede identificative dell'impianto (FORMS.md §5, §6; S1 §11.3).

The ditta installatrice sends the scheda to the Ente locale competente within thirty
days of the prima accensione of a new, renovated or replaced impianto. E1 serves
impianti with potenza termica del focolare nominale **below 35 kW**, E2 those of
**35 kW or more** (FORMS.md §13.1); each model refuses a power that belongs to the
other one, naming the printed field.

Also home to the two checks every comunicazione shares (the 35 kW selection and the
agreement between codice impianto and comune), reused by H, I and L.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from domain.codice import CodiceImpiantoStr, comune_discorde
from domain.errors import Path, RuleViolation, ValidationFailed
from domain.forms.comuni import BARRATO, Barrabile, Modello
from domain.identificativi import Cap
from domain.istat import comune_by_istat

__all__ = [
    "SOGLIA_KW",
    "potenza_per_modello",
    "verifica_comune",
    "solleva",
    "testo",
    "breve",
    "RuoloDitta",
    "DestinazioneE1",
    "DestinazioneE2",
    "Evacuazione",
    "CategoriaEdificio",
    "AllegatoE1",
    "AllegatoE2",
    "verifica_e1",
    "verifica_e2",
]

SOGLIA_KW = Decimal(35)
"""Potenza nominale al focolare that separates E1/G/H (< 35 kW) from E2/F/I (≥ 35 kW)."""


def _kw(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def potenza_per_modello(etichetta: str, *, sotto_soglia: bool, alternativo: str) -> object:
    """Pydantic type of a power field of a model chosen by the 35 kW rule (FORMS.md §13.1).

    ``etichetta`` is the field's printed label, quoted in the Italian error together
    with the model the user should have chosen (``alternativo``).
    """

    def check(value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError(f"«{etichetta}» deve essere maggiore di zero.")
        if sotto_soglia and value >= SOGLIA_KW:
            raise ValueError(
                f"«{etichetta}»: {_kw(value)} kW non è inferiore a 35 kW; "
                f"per impianti da 35 kW in su usare l'Allegato {alternativo}."
            )
        if not sotto_soglia and value < SOGLIA_KW:
            raise ValueError(
                f"«{etichetta}»: {_kw(value)} kW è inferiore a 35 kW; "
                f"per impianti sotto i 35 kW usare l'Allegato {alternativo}."
            )
        return value

    return Annotated[Decimal, Field(max_digits=9, decimal_places=2), AfterValidator(check)]


def _piega(text: str) -> str:
    """Compare place names ignoring case, accents and apostrophe style."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def verifica_comune(codice: str | None, comune: object, *, path: Path = ("comune",)) -> list[RuleViolation]:
    """The codice impianto's ISTAT prefix must be the comune written on the form (§14.1)."""
    errore = comune_discorde(codice, comune, path=path, campo_codice="codice catasto impianti")
    return [errore] if errore is not None else []


def _verifica_provincia(codice: str | None, provincia: str) -> list[RuleViolation]:
    registrato = comune_by_istat(codice[:6]) if codice else None
    if registrato is None or _piega(provincia) in {_piega(registrato.sigla_provincia), _piega(registrato.provincia)}:
        return []
    return [
        RuleViolation(
            f"Il codice impianto {codice} è della provincia di {registrato.provincia} "
            f"({registrato.sigla_provincia}), non «{provincia}».",
            path=("provincia",),
        )
    ]


def solleva(errori: list[RuleViolation]) -> None:
    """Raise every collected violation at once (``ValidationFailed``), or nothing."""
    if errori:
        raise ValidationFailed(errori)


RuoloDitta = Literal["MANUTENTORE", "TERZO RESPONSABILE"]
DestinazioneE1 = Literal[
    "riscaldamento ambienti",
    "riscaldamento ambienti e produzione di acqua calda per usi igienici e sanitari",
]
DestinazioneE2 = Literal[
    "riscaldamento ambienti",
    "produzione centralizzata di acqua calda per usi igienici e sanitari",
    "altro",
]
Evacuazione = Literal["Camino", "Canna fumaria collettiva ramificata", "Scarico a parete", "Altro"]
CategoriaEdificio = Literal["E.1", "E.2", "E.3", "E.4", "E.5", "E.6", "E.7", "E.8"]
"""Building categories of art. 3 D.P.R. 412/93, printed as labels only (AMB-28)."""

def testo(massimo: int) -> object:
    """A required text of at most ``massimo`` characters (refused in Italian naming field and maximum)."""
    return Annotated[str, Field(min_length=1, max_length=massimo)]


def breve(massimo: int) -> object:
    """An optional text of at most ``massimo`` characters."""
    return Annotated[str, Field(max_length=massimo)]


# Maximum lengths sized to the printed boxes (9 pt monospace values, ~1.9 mm a character): a value
# up to its maximum fits its box on the sheet, except where noted (a longer box on E1 than on E2);
# a value that does not fit is laid out in full, never cut.
_RIGHE_2 = 180
"""1.5, 1.6, 1.9: two dotted lines of 95 characters."""
_RIGA = 90
"""1.7, 1.8 (E2): one full line of 95 characters."""


class _SchedaIdentificativa(Modello):
    """What E1 and E2 print alike: 1.1 location, 1.5–1.6, 1.9 and the footer."""

    codice_catasto: CodiceImpiantoStr | None = None
    """«n. catasto impianto»; blank on a first notification when not yet assigned (AMB-27)."""
    volumetria_m3: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)]
    """«Volumetria riscaldata (m3)»."""
    indirizzo: testo(80)  # type: ignore[valid-type]
    """75 characters fit on E1's line, 55 on E2's."""
    civico: testo(8)  # type: ignore[valid-type]
    """«N.»"""
    palazzo: Barrabile[breve(15)] = None  # type: ignore[valid-type]
    """16 characters fit on E1, 11 on E2."""
    cap: Cap
    localita: Barrabile[breve(40)] = None  # type: ignore[valid-type]
    """26 characters fit on the line."""
    comune: testo(40)  # type: ignore[valid-type]
    """24 characters fit on the line (it must be the comune of the codice impianto)."""
    provincia: testo(25)  # type: ignore[valid-type]
    """The sigla fits its box; a province's name is laid out in full."""
    data_installazione: date
    progettista: Barrabile[breve(_RIGHE_2)] = None  # type: ignore[valid-type]
    """1.5 nominativo e n° di iscrizione all'ordine o collegio (BARRATO when there is no project)."""
    installatore: testo(_RIGHE_2)  # type: ignore[valid-type]
    """1.6 ragione sociale e n° di iscrizione a CCIAA e/o AA."""
    ruolo_ditta: Barrabile[RuoloDitta] = None
    """1.9 MANUTENTORE ☐ TERZO RESPONSABILE ☐."""
    dal: date | None = None
    al: Barrabile[date] = None
    ditta: Barrabile[breve(_RIGHE_2)] = None  # type: ignore[valid-type]
    """1.9 ragione sociale, n° di iscrizione a CCIAA e/o AA ed indirizzo."""
    data: date
    """«Data» of the footer, next to the two signatures."""


def _verifica_scheda(s: _SchedaIdentificativa) -> list[RuleViolation]:
    errori = verifica_comune(s.codice_catasto, s.comune) + _verifica_provincia(s.codice_catasto, s.provincia)
    if s.data < s.data_installazione:
        errori.append(RuleViolation("La data della scheda non può precedere la data di installazione.", path=("data",)))
    if s.ruolo_ditta not in (None, BARRATO):
        if s.dal is None:
            errori.append(RuleViolation(f"1.9: indicare da quando (DAL) la ditta è {s.ruolo_ditta.lower()}.", path=("dal",)))
        if s.ditta in (None, BARRATO):
            errori.append(
                RuleViolation("1.9: indicare ragione sociale, n° di iscrizione e indirizzo della ditta.", path=("ditta",))
            )
    elif s.dal is not None or s.ditta not in (None, BARRATO):
        errori.append(
            RuleViolation("1.9: barrare la casella MANUTENTORE o TERZO RESPONSABILE.", path=("ruolo_ditta",))
        )
    if isinstance(s.al, date) and s.dal is not None and s.al < s.dal:
        errori.append(RuleViolation("1.9: la data AL non può precedere la data DAL.", path=("al",)))
    return errori


class AllegatoE1(_SchedaIdentificativa):
    """Allegato E1 - Scheda identificativa per impianti inferiori a 35 kW (DGR 18/09/2007, Allegato E1)."""

    scala: Barrabile[breve(15)] = None  # type: ignore[valid-type]
    piano: Barrabile[breve(15)] = None  # type: ignore[valid-type]
    interno: Barrabile[breve(15)] = None  # type: ignore[valid-type]
    destinazione: DestinazioneE1
    """1.2 IMPIANTO TERMICO INDIVIDUALE DESTINATO A (one choice)."""
    pot_focolare_kw: potenza_per_modello(  # type: ignore[valid-type]
        "Potenza termica del focolare nominale (kW)", sotto_soglia=True, alternativo="E2"
    )
    combustibile: testo(60)  # type: ignore[valid-type]
    evacuazione: Evacuazione
    """1.4 (no text slot is printed for «Altro»)."""
    proprietario: testo(_RIGA)  # type: ignore[valid-type]
    """1.7 cognome, nome ed indirizzo."""
    occupante: Barrabile[breve(60)] = None  # type: ignore[valid-type]
    occupante_dal: Barrabile[date] = None


def verifica_e1(e1: AllegatoE1) -> None:
    """Cross-field rules of E1; every violation at once, with its field path."""
    errori = _verifica_scheda(e1)
    if isinstance(e1.occupante_dal, date) and e1.occupante in (None, BARRATO):
        errori.append(RuleViolation("1.8: la data «dal» richiede il nome dell'occupante.", path=("occupante",)))
    solleva(errori)


class AllegatoE2(_SchedaIdentificativa):
    """Allegato E2 - Scheda identificativa per impianti uguali o superiori a 35 kW (DGR 18/09/2007, Allegato E2)."""

    edificio_adibito_a: testo(80)  # type: ignore[valid-type]
    categoria: CategoriaEdificio
    """Single choice (AMB-28)."""
    destinazione: Annotated[list[DestinazioneE2], Field(min_length=1)]
    """1.2 IMPIANTO TERMICO DESTINATO A (more than one box may be crossed)."""
    altro_testo: Barrabile[breve(70)] = None  # type: ignore[valid-type]
    """«altro (descrivere): ……»"""
    n_generatori: Annotated[int, Field(ge=1, le=99)]
    pot_totale_kw: potenza_per_modello(  # type: ignore[valid-type]
        "Potenza termica del focolare nominale totale (kW)", sotto_soglia=False, alternativo="E1"
    )
    combustibile: testo(60)  # type: ignore[valid-type]
    proprietari: testo(_RIGA)  # type: ignore[valid-type]
    """1.7 PROPRIETARIO O PROPRIETARI: condòmini, or the ragione sociale of a persona giuridica."""
    amministratore: Barrabile[breve(_RIGA)] = None  # type: ignore[valid-type]
    """1.8, to fill in for condominio or persona giuridica ownership (footnote 2)."""


def verifica_e2(e2: AllegatoE2) -> None:
    """Cross-field rules of E2; every violation at once, with its field path."""
    errori = _verifica_scheda(e2)
    if len(set(e2.destinazione)) != len(e2.destinazione):
        errori.append(RuleViolation("1.2: ogni destinazione va indicata una sola volta.", path=("destinazione",)))
    altro = "altro" in e2.destinazione
    if altro and e2.altro_testo in (None, BARRATO):
        errori.append(RuleViolation("1.2: descrivere la destinazione «altro».", path=("altro_testo",)))
    if not altro and e2.altro_testo not in (None, BARRATO):
        errori.append(
            RuleViolation("1.2: la descrizione va compilata solo se è barrata la casella «altro».", path=("altro_testo",))
        )
    solleva(errori)
