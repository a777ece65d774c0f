"""Enti locali competenti (FORMS.md §0.7) and their registry.

The "Ente locale competente" for an impianto is its **Comune when the Comune has
more than 40.000 inhabitants**, otherwise its **Provincia** (S1 L190–193; the
sanction proceeds follow the same split, L1144–1147). The registry shipped in
``domain/data/enti_lombardia.json`` lists the 12 Lombard provinces (Milano as
Città metropolitana, registered with ``tipo="Provincia"``) and the Lombard comuni
above the threshold. It is configuration: ``RegistroEnti.da_json`` builds a
registry from another file, and the default one is loaded from the package.

Logos: ``logo`` names a file in ``templates/_assets/loghi/``. The shipped files
are original generic emblems drawn by :func:`stemma_svg` (no real coat of arms);
each Ente replaces its file with its own logo.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.errors import NotFound, RuleViolation, ValidationFailed, from_pydantic
from domain.identificativi import valida_cap, valida_codice_provincia, valida_istat_comune
from domain.istat import comune_by_istat

__all__ = [
    "Ente",
    "TipoEnte",
    "SOGLIA_ABITANTI",
    "RegistroEnti",
    "DATA_FILE",
    "registro_enti",
    "elenco_enti",
    "get_ente",
    "ente_competente",
    "stemma_svg",
]

DATA_FILE = Path(__file__).resolve().parent / "data" / "enti_lombardia.json"

SOGLIA_ABITANTI = 40_000
"""A Comune is the competent Ente only "con popolazione superiore a 40.000 abitanti" (strictly more)."""

TipoEnte = Literal["Comune", "Provincia"]


class Ente(BaseModel):
    """One Ente locale as templates print it (letters, targhe, etichette, H/I/L address block)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)
    """Stable key used by the CLI, the API and the database (e.g. ``provincia-cremona``)."""
    tipo: TipoEnte
    """``Comune`` or ``Provincia`` (a Città metropolitana is registered as ``Provincia``)."""
    denominazione: str = Field(min_length=1, max_length=120)
    """As printed on the targa's first line: ``Provincia di Cremona``, ``Comune di Milano``."""
    nome: str = Field(min_length=1, max_length=80)
    """Bare name after "Al Comune / Alla Provincia di" on H, I, L: ``Cremona``."""
    istat: str
    """6-digit comune code for a Comune, 3-digit province code for a Provincia."""
    sigla: str = Field(pattern=r"^[A-Z]{2}$")
    """Provincia automobile code (``CR``); for a Comune, that of its provincia."""
    indirizzo: str = Field(min_length=1, max_length=120)
    """Via and civico of the seat, e.g. ``Corso Vittorio Emanuele II, 17``."""
    cap: str
    citta: str = Field(min_length=1, max_length=80)
    pec: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    """Certified e-mail; None when not configured."""
    popolazione: int = Field(gt=0)
    """Residents (drives §0.7 for Comuni)."""
    logo: str = Field(pattern=r"^[a-z0-9-]+\.svg$")
    """File name in ``templates/_assets/loghi/``."""

    @model_validator(mode="after")
    def _codici_coerenti(self) -> Ente:
        valida_cap(self.cap)
        if self.tipo == "Comune":
            valida_istat_comune(self.istat)
            comune = comune_by_istat(self.istat)
            if comune is not None and comune.sigla_provincia != self.sigla:
                raise ValueError(f"La sigla {self.sigla} non è quella della provincia del comune ({comune.sigla_provincia}).")
        else:
            valida_codice_provincia(self.istat)
        return self

    @property
    def codice_provincia(self) -> str:
        """3-digit ISTAT province code (for a Comune, the first three digits of its code)."""
        return self.istat[:3]

    @property
    def indirizzo_ente(self) -> dict[str, str]:
        """The ``IndirizzoEnte`` block of H, I and L (FORMS.md §0.5), keys as in the spec."""
        return {"tipo_ente": self.tipo, "denominazione": self.nome, "via": self.indirizzo, "citta": f"{self.cap} {self.citta}"}


class RegistroEnti:
    """An immutable set of Enti with the §0.7 lookup."""

    def __init__(self, enti: Iterable[Ente]) -> None:
        self._per_id: dict[str, Ente] = {}
        self._comuni: dict[str, Ente] = {}
        self._province: dict[str, Ente] = {}
        for ente in enti:
            self._aggiungi(ente)

    def _aggiungi(self, ente: Ente) -> None:
        if ente.id in self._per_id:
            raise RuleViolation(f"Ente duplicato nel registro: {ente.id}.", path=("enti", ente.id))
        indice = self._comuni if ente.tipo == "Comune" else self._province
        if ente.istat in indice:
            altro = indice[ente.istat].id
            raise RuleViolation(f"Due Enti con lo stesso codice ISTAT {ente.istat}: {altro} e {ente.id}.", path=("enti", ente.id))
        self._per_id[ente.id] = ente
        indice[ente.istat] = ente

    @classmethod
    def da_dati(cls, data: Any) -> RegistroEnti:
        """Build from the parsed JSON document (``{"enti": [...]}``); Italian errors with paths."""
        righe = data.get("enti") if isinstance(data, dict) else None
        if not isinstance(righe, list):
            raise RuleViolation("Il registro degli Enti deve contenere un elenco 'enti'.", path=("enti",))
        enti: list[Ente] = []
        errori: list[RuleViolation] = []
        for i, riga in enumerate(righe):
            try:
                enti.append(Ente.model_validate(riga))
            except ValidationError as exc:
                errori.extend(from_pydantic(exc, prefix=("enti", i)).errors)
        if errori:
            raise ValidationFailed(errori)
        return cls(enti)

    @classmethod
    def da_json(cls, text: str) -> RegistroEnti:
        """Build from JSON text (the format of ``domain/data/enti_lombardia.json``)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RuleViolation(f"Registro degli Enti: JSON non valido alla riga {exc.lineno}.", path=("enti",)) from None
        return cls.da_dati(data)

    def __iter__(self) -> Iterator[Ente]:
        return iter(self._per_id.values())

    def __len__(self) -> int:
        return len(self._per_id)

    def get(self, ente_id: str) -> Ente:
        """The Ente with this id; NotFound otherwise."""
        try:
            return self._per_id[ente_id]
        except KeyError:
            raise NotFound(f"Ente sconosciuto: {ente_id}.", path=("ente",)) from None

    def competente(self, istat_comune: str) -> Ente:
        """FORMS.md §0.7: the Comune if registered with more than 40.000 inhabitants, else its Provincia."""
        try:
            istat = valida_istat_comune(istat_comune)
        except ValueError as exc:
            raise RuleViolation(str(exc), path=("istat",)) from None
        comune = self._comuni.get(istat)
        if comune is not None and comune.popolazione > SOGLIA_ABITANTI:
            return comune
        provincia = self._province.get(istat[:3])
        if provincia is None:
            c = comune_by_istat(istat)
            raise NotFound(
                f"Nessun Ente competente registrato per il comune di {c.nome if c else istat} "
                f"(provincia {c.sigla_provincia if c else istat[:3]}).",
                path=("istat",),
            )
        return provincia


@lru_cache(maxsize=8)
def registro_enti(path: Path | None = None) -> RegistroEnti:
    """The registry in ``path`` (the service passes ``Settings.enti_file``), read once per path;
    None → the one shipped with the package (``domain/data/enti_lombardia.json``)."""
    try:
        text = (path or DATA_FILE).read_text(encoding="utf-8")
    except OSError:
        raise RuleViolation(f"Impossibile leggere il registro degli Enti {path}.", path=("enti_file",)) from None
    return RegistroEnti.da_json(text)


def elenco_enti() -> list[Ente]:
    """Every Ente of the default registry, in file order."""
    return list(registro_enti())


def get_ente(ente_id: str) -> Ente:
    """The Ente with this id in the default registry; NotFound otherwise."""
    return registro_enti().get(ente_id)


def ente_competente(istat_comune: str) -> Ente:
    """The competent Ente for an impianto in this comune (FORMS.md §0.7), default registry."""
    return registro_enti().competente(istat_comune)


# --------------------------------------------------------------------------- generic emblems

_PALETTE = ("#1f5f8b", "#2e7d4f", "#8b2232", "#6b4f9e", "#b36b00", "#2f6f73", "#7a5c2e", "#345c9c")
_SCUDO = "M10 22 H90 V62 C90 88 70 100 50 108 C30 100 10 88 10 62 Z"


def _partizione(kind: int, colore: str) -> str:
    """One of a few heraldic-looking partitions inside the shield, drawn in ``colore``."""
    clip = 'clip-path="url(#s)"'
    return (
        f'<path d="M10 22 L50 70 L90 22 V46 L50 94 L10 46 Z" fill="{colore}" {clip}/>',  # chevron
        f'<rect x="10" y="22" width="40" height="90" fill="{colore}" {clip}/>',  # partito
        f'<path d="M43 22 H57 V108 H43 Z M10 55 H90 V69 H10 Z" fill="{colore}" {clip}/>',  # croce
        f'<path d="M10 46 H90 V62 H10 Z M10 78 H90 V94 H10 Z" fill="{colore}" {clip}/>',  # fasce
    )[kind % 4]


def _corona(tipo: str, colore: str) -> str:
    if tipo == "Comune":  # a plain crenellated wall
        merli = "".join(f'<rect x="{x}" y="4" width="10" height="8" fill="{colore}"/>' for x in (14, 32, 50, 68, 82))
        return merli + f'<rect x="12" y="11" width="80" height="8" fill="{colore}"/>'
    perle = "".join(f'<circle cx="{x}" cy="8" r="3.5" fill="{colore}"/>' for x in (22, 36, 50, 64, 78))
    return perle + f'<rect x="14" y="12" width="72" height="6" rx="3" fill="{colore}"/>'


def stemma_svg(ente: Ente) -> str:
    """An original, generic emblem for ``ente`` (SVG text, no fonts, deterministic from the id).

    A shield with a partition whose colour and shape come from a hash of the Ente id,
    under a crenellated wall (Comune) or a circlet (Provincia). Not a coat of arms:
    it only lets forms and plates show *a* logo until the Ente configures its own.
    """
    h = hashlib.sha256(ente.id.encode()).digest()
    colore = _PALETTE[h[0] % len(_PALETTE)]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 112" width="100" height="112">'
        f"<title>{_xml(ente.denominazione)} (stemma generico)</title>"
        f'<defs><clipPath id="s"><path d="{_SCUDO}"/></clipPath></defs>'
        f'<path d="{_SCUDO}" fill="#ffffff"/>'
        f"{_partizione(h[1], colore)}"
        f'<path d="{_SCUDO}" fill="none" stroke="{colore}" stroke-width="3"/>'
        f"{_corona(ente.tipo, colore)}"
        "</svg>\n"
    )


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
