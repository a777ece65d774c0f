"""Rapporto di controllo tecnico — the parts Allegati G (< 35 kW) and F (≥ 35 kW) share (FORMS.md §7–§8).

Where the impianto is and who answers for it, the consumi of two heating seasons, the technician,
the times and the etichetta (:class:`Controllo`); the measurement row (:class:`MisuraCombustione`);
the notes and the safety verdict (:class:`Note`); the slot-sized types (issue 17). With them the
rules both forms apply (:func:`verifica_potenze`, :func:`verifica_misura`) and the pieces of their
*avvisi*, which never block a render (:func:`avviso_prescrizioni`, :func:`avviso_telefono`, the
blank fields of :func:`campi_vuoti` less :data:`FACOLTATIVI`). The forms are ``allegato_g`` and
``allegato_f``.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from domain.codice import CodiceImpiantoStr
from domain.errors import RuleViolation
from domain.etichetta import parse_numero_etichetta
from domain.forms.comuni import BARRATO, Barrabile, Modello
from domain.identificativi import Cap

__all__ = [
    "Controllo",
    "Note",
    "Qualita",
    "Consumo",
    "Tecnico",
    "MisuraCombustione",
    "POTENZA_LIMITE_KW",
    "avviso_prescrizioni",
    "avviso_telefono",
    "campi_vuoti",
    "verifica_misura",
    "verifica_potenze",
    "FACOLTATIVI",
    "riga",
    "Anno",
    "Breve",
    "Kw",
    "Testo",
]

POTENZA_LIMITE_KW = Decimal("35")
"""G below, F at or above (FORMS.md §13.1 selection rule)."""

Qualita = Literal["proprietario", "occupante", "terzo responsabile", "amministratore"]
SiNoG = Literal["SI", "NO"]
Kw = Annotated[Decimal, Field(gt=0, max_digits=9, decimal_places=2)]
Valore = Annotated[Decimal, Field(max_digits=9, decimal_places=2)]
Testo = Annotated[str, Field(max_length=400)]
Breve = Annotated[str, Field(max_length=80)]
# Issue 17: narrower slots take fewer characters (two lines at ≥ 5 pt in the slot, G and F).
Medio = Annotated[str, Field(max_length=60)]
Corto = Annotated[str, Field(max_length=40)]
Telefono = Annotated[str, Field(max_length=20)]


# Issue 17: on G every row is full; a value on two lines raises its row, and a G whose every field is
# at its maximum must keep two pages per copy. The fields below fit ONE line at ≥ 5 pt in their G slot
# (width in mm × 0.94 characters); only indirizzo and responsabile_nome may take two lines.
def riga(n: int) -> Any:
    """A text of at most ``n`` characters, the most that one line of its slot holds (see above)."""
    return Annotated[str, Field(max_length=n)]


Anno = Annotated[int, Field(ge=1900, le=2100)]


class Consumo(Modello):
    """One row of "Consumi di combustibile: stagione di riscaldamento ……/…… Consumi ……(m3/kg)"."""

    stagione: Annotated[str, Field(pattern=r"^\d{4}/\d{2}(\d{2})?$")]
    """``aaaa/aa`` as printed (``2023/24``); ``aaaa/aaaa`` is accepted."""
    valore: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
    unita: Literal["m3", "kg"]

    @field_validator("stagione")
    @classmethod
    def _anni_consecutivi(cls, v: str) -> str:
        primo, secondo = v.split("/")
        if int(secondo) % 100 != (int(primo) + 1) % 100:
            raise ValueError("La stagione di riscaldamento va indicata come due anni consecutivi (es. 2023/24).")
        return v


class Tecnico(Modello):
    """TECNICO CHE HA EFFETTUATO IL CONTROLLO."""  # FORMS.md F §7.11, G §8.6

    nome_cognome: riga(35) | None = None
    ragione_sociale: riga(45) | None = None
    telefono: Telefono | None = None
    indirizzo: riga(50) | None = None
    estremi_qualifica: riga(55) | None = None


class MisuraCombustione(Modello):
    """One measurement row of G section H / F section F (columns as printed)."""

    temp_fumi: Valore | None = None
    temp_aria: Valore | None = None
    o2: Annotated[Decimal, Field(ge=0, le=21, max_digits=5, decimal_places=2)] | None = None
    co2: Annotated[Decimal, Field(ge=0, le=21, max_digits=5, decimal_places=2)] | None = None
    bacharach: Barrabile[Annotated[Decimal, Field(ge=0, le=9, max_digits=3, decimal_places=1)]] = None
    """Meaningful only for liquid fuels; struck for gas (AMB-35)."""
    co_ppm: Annotated[Decimal, Field(ge=0, max_digits=7, decimal_places=0)] | None = None
    rendimento: Annotated[Decimal, Field(gt=0, le=120, max_digits=5, decimal_places=1)] | None = None
    tiraggio_pa: Barrabile[Valore] = None
    """Only for type-B generators (G avvertenza 8)."""


class Note(Modello):
    """OSSERVAZIONI / RACCOMANDAZIONI / PRESCRIZIONI and the safety verdict (G once, F per generator sheet)."""

    osservazioni: Testo | None = None
    raccomandazioni: Testo | None = None
    prescrizioni: Testo | None = None
    puo_funzionare: SiNoG | None = None
    """"Ai fini della sicurezza l’impianto può funzionare SI ☐ NO ☐"."""


class Controllo(Modello):
    """Fields F and G share: where, who, consumptions, technician, etichetta."""

    numero_rapporto: riga(28) | None = None
    comune: riga(45)
    provincia_sigla: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    indirizzo: Breve
    cap: Cap | None = None
    responsabile_nome: Medio
    responsabile_tel: Telefono | None = None
    responsabile_indirizzo: Breve | None = None  # two lines allowed (62 mm)
    responsabile_qualita: Qualita | None = None
    proprietario_nome: riga(45) | None = None
    proprietario_tel: Telefono | None = None
    proprietario_indirizzo: riga(70) | None = None
    codice_catasto: CodiceImpiantoStr
    volumetria_m3: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)]
    """Required for validity as a dichiarazione (S1 L789–792)."""
    consumi: Annotated[list[Consumo], Field(min_length=2, max_length=2)]
    """The two heating seasons before the check, both required (S1 L789–792)."""
    tecnico: Tecnico = Field(default_factory=Tecnico)
    orario_arrivo: time | None = None
    orario_partenza: time | None = None
    numero_etichetta: Annotated[str, Field(max_length=40)] | None = None
    """Number of the etichetta di validazione bound to this rapporto (FORMS.md §15), if any;
    checked (format and check character, ``domain.etichetta``) and printed in its readable form."""

    TIPO_ETICHETTA: ClassVar[str | None] = None
    """``G`` or ``F``: the kind of etichetta that validates this form as a dichiarazione."""

    @field_validator("numero_etichetta")
    @classmethod
    def _etichetta_valida(cls, v: str | None) -> str | None:
        if v is None:
            return None
        try:
            numero = parse_numero_etichetta(v)
        except RuleViolation as exc:
            raise ValueError(exc.message) from None
        if cls.TIPO_ETICHETTA and numero.tipo != cls.TIPO_ETICHETTA:
            raise ValueError(f"Etichetta di tipo {numero.tipo}: questo modulo si convalida con un'etichetta "
                             f"{cls.TIPO_ETICHETTA}.")
        return numero.leggibile

    @field_validator("provincia_sigla", mode="before")
    @classmethod
    def _sigla_maiuscola(cls, v: object) -> object:
        return v.strip().upper() if isinstance(v, str) else v

    @model_validator(mode="after")
    def _regole_comuni(self) -> "Controllo":
        if self.orario_arrivo and self.orario_partenza and self.orario_partenza < self.orario_arrivo:
            raise ValueError("L'orario di partenza dall'impianto non può precedere l'orario di arrivo.")
        if self.consumi[0].stagione == self.consumi[1].stagione:
            raise ValueError("I consumi vanno indicati per due stagioni di riscaldamento distinte.")
        return self


def avviso_prescrizioni(note: Note) -> str | None:
    """FORMS.md §7.11: prescrizioni with "può funzionare: SI" is a warning, not an error."""
    if note.prescrizioni and note.puo_funzionare == "SI":
        return ("Sono indicate PRESCRIZIONI ma l'impianto risulta idoneo a funzionare (SI): "
                "con prescrizioni l'apparecchio va messo fuori servizio (avvertenza 3/11).")
    return None


_MARGINE_CONDENSAZIONE = Decimal("1.10")
"""Useful power above the heat input happens only with condensing boilers (PCI basis, 50/30 °C),
and by a few per cent: more than 10 % is a typing error (e.g. kcal/h entered as kW)."""


def verifica_potenze(utile: Decimal | None, focolare: Decimal) -> None:
    if utile is not None and utile > focolare * _MARGINE_CONDENSAZIONE:
        raise ValueError("La potenza utile non può superare la potenza al focolare "
                         "(oltre il 10% in più neppure per le caldaie a condensazione).")


def verifica_misura(m: MisuraCombustione, controllo: str | None, tipo: str | None, gas: bool) -> None:
    """Rules of the measurement row (G avvertenza 8, AMB-35)."""
    valori = {k: v for k, v in m.model_dump().items() if v not in (None, BARRATO)}
    if controllo == "Non effettuato" and valori:
        raise ValueError("Controllo del rendimento «Non effettuato»: la riga delle misure resta vuota.")
    if tipo == "C" and m.tiraggio_pa not in (None, BARRATO):
        raise ValueError("Il tiraggio si indica solo per generatori di tipo B (avvertenza 8).")
    if tipo == "B" and controllo == "Effettuato" and m.tiraggio_pa is None:
        raise ValueError("Generatore di tipo B: indicare il tiraggio in Pa (avvertenza 8).")
    if gas and m.bacharach not in (None, BARRATO):
        raise ValueError("L'indice di Bacharach si rileva solo per combustibili liquidi: per il gas va barrato.")


def campi_vuoti(model: Modello, prefix: str = "") -> list[str]:
    """Key paths left blank (``None``): a dichiarazione must be 'compilata in ogni sua parte'."""
    out: list[str] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, Modello):
            out.extend(campi_vuoti(value, path + "."))
        elif isinstance(value, list) and value and isinstance(value[0], Modello):
            for i, item in enumerate(value):
                out.extend(campi_vuoti(item, f"{path}[{i}]."))
        elif value is None:
            out.append(path)
    return out


FACOLTATIVI = {
    "proprietario_nome", "proprietario_tel", "proprietario_indirizzo", "altro_testo", "interno_testo",
    "numero_etichetta", "osservazioni", "raccomandazioni", "prescrizioni", "civico", "piano", "interno",
}
"""Keys that may stay blank (G's, and the shared ones F exempts too): a dichiarazione is complete without them."""


def avviso_telefono(model: Controllo) -> str | None:
    """S2 (§19): operators must always record the responsabile's phone number."""
    if not model.responsabile_tel:
        return "Indicare sempre il numero di telefono del responsabile dell'impianto (CURIT, servizi per i CAIT)."
    return None
