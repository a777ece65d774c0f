"""Pre-filled Allegati G and F (FORMS.md §21): the keys of §7–§8 known before the visit, taken from the
catasto record and the last keyed-in dichiarazione of the impianto (generator, volumetria, proprietario,
consumi of the two seasons before the check); everything measured is absent and prints blank.
:data:`PrecompilatoG` and :data:`PrecompilatoF` carry the fields of ``AllegatoG``/``AllegatoF`` with their
types and constraints, optional, so the print-faithful templates of the two forms read them.

Pure functions only: no clock, no database (FORMS.md conventions).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Optional

from pydantic import Field, create_model, field_validator

from domain.cait import Ufficio
from domain.errors import RuleViolation
from domain.forms.allegato_f import AllegatoF, Bruciatore, DatiGeneratore, GeneratoreF
from domain.forms.allegato_g import AllegatoG
from domain.forms.comuni import Modello
from domain.forms.rapporto_controllo import Consumo, Tecnico
from domain.stagione import stagione_termica

__all__ = ["ConsumoPrecompilato", "PrecompilatoG", "GeneratorePrecompilato", "PrecompilatoF", "precompila_g",
           "precompila_f", "stagioni_consumi"]


class ConsumoPrecompilato(Modello):
    """A consumi row: the season is printed, the value only when the catasto knows it."""

    modello_completo: ClassVar[type[Modello]] = Consumo

    stagione: Annotated[str, Field(pattern=r"^\d{4}/\d{2}$")]
    valore: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)] | None = None
    unita: Literal["m3", "kg"] | None = None


_OBBLIGATORI = frozenset({"comune", "provincia_sigla", "indirizzo", "codice_catasto"})
"""Known for every catasto record: they stay required in the pre-filled models."""


def _campi_del_modulo(modulo: type[Modello], chiavi: Iterable[str]) -> dict[str, Any]:
    """Fields ``chiavi`` of a form model with the same types and constraints, optional (None =
    blank on paper) except those of :data:`_OBBLIGATORI`; lists keep their empty default."""
    campi: dict[str, Any] = {}
    for k in chiavi:
        info = modulo.model_fields[k]
        tipo = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        if k in _OBBLIGATORI:
            campi[k] = (tipo, ...)
        elif info.default_factory is not None:
            campi[k] = (tipo, Field(default_factory=info.default_factory))
        else:
            campi[k] = (Optional[tipo], None)
    return campi


_CONTROLLO = ("comune", "provincia_sigla", "indirizzo", "cap", "responsabile_nome", "responsabile_tel",
              "responsabile_indirizzo", "responsabile_qualita", "proprietario_nome", "proprietario_tel",
              "proprietario_indirizzo", "codice_catasto", "volumetria_m3")
"""Keys F and G share (``rapporto_controllo.Controllo``) that the catasto or the last dichiarazione know."""
_IMPIANTO_G = ("civico", "piano", "interno", "costruttore", "modello", "matricola", "pot_utile_kw", "pot_focolare_kw",
               "anno_costruzione", "data_installazione", "marcatura_efficienza", "uso", "tipo_caldaia", "combustibile",
               "altro_testo", "tiraggio_tipo", "locale", "interno_testo")
_IMPIANTO_F = ("destinazione", "combustibile", "altro_testo")


class _Precompilato(Modello):
    """Keys of Allegato G/F §7–§8 known before the visit; everything measured is absent (blank)."""

    data_controllo: date | None = None
    consumi: Annotated[list[ConsumoPrecompilato], Field(max_length=2)] = Field(default_factory=list)
    tecnico: Tecnico = Field(default_factory=Tecnico)
    cait: Ufficio | None = None
    """The CAIT that prints the precompilato for the manutentore (and signs it); not printed on the form."""


class _BaseG(_Precompilato):
    modello_completo: ClassVar[type[Modello]] = AllegatoG
    """The template reads a precompilato as an ``AllegatoG``: the fields it lacks print blank."""

    @field_validator("pot_focolare_kw", check_fields=False)
    @classmethod
    def _sotto_35(cls, v: Decimal | None) -> Decimal | None:
        if v is not None and v >= Decimal(35):
            raise ValueError("L'Allegato G è per impianti sotto i 35 kW al focolare: precompilare l'Allegato F.")
        return v


PrecompilatoG = create_model(
    "PrecompilatoG", __base__=_BaseG, __module__=__name__,
    **_campi_del_modulo(AllegatoG, _CONTROLLO + _IMPIANTO_G))
PrecompilatoG.__doc__ = "Allegato G with the impianto part filled in from the catasto (sections B–H left blank)."


class GeneratorePrecompilato(Modello):
    """Section D of one F generator sheet (the checks E, F and notes stay blank)."""

    generatore: DatiGeneratore
    bruciatore: Bruciatore = Field(default_factory=Bruciatore)
    data_installazione: date | None = None

    modello_completo: ClassVar[type[Modello]] = GeneratoreF
    """The template reads this sheet as a ``GeneratoreF``: its other fields print blank."""


class _BaseF(_Precompilato):
    modello_completo: ClassVar[type[Modello]] = AllegatoF
    generatori: Annotated[list[GeneratorePrecompilato], Field(min_length=1, max_length=30)]


PrecompilatoF = create_model(
    "PrecompilatoF", __base__=_BaseF, __module__=__name__,
    **_campi_del_modulo(AllegatoF, _CONTROLLO + _IMPIANTO_F))
PrecompilatoF.__doc__ = "Allegato F with Foglio 1 A and the generator data filled in (B, C, E, F left blank)."


def stagioni_consumi(data_controllo: date) -> list[str]:
    """The two heating seasons before the check, as the forms print them (``2024/25``, ``2025/26``)."""
    s = stagione_termica(data_controllo).start_year
    return [f"{a}/{(a + 1) % 100:02d}" for a in (s - 2, s - 1)]


_IDENTIFICAZIONE_G = ("costruttore", "modello", "matricola", "pot_utile_kw", "anno_costruzione", "data_installazione",
                      "marcatura_efficienza", "uso", "tipo_caldaia", "combustibile", "altro_testo", "tiraggio_tipo",
                      "locale", "interno_testo")
_DAL_PRECEDENTE = ("volumetria_m3", "responsabile_qualita", "proprietario_nome", "proprietario_tel",
                   "proprietario_indirizzo", "responsabile_tel")


def _base(impianto: dict[str, Any], precedente: dict[str, Any], oggi: date, tecnico: dict[str, Any] | None,
          data_controllo: date | None) -> dict[str, Any]:
    responsabile = impianto.get("responsabile_cognome_nome") or impianto.get("responsabile_ragione_sociale")
    indirizzo_resp = ", ".join(p for p in (impianto.get("responsabile_indirizzo"), impianto.get("responsabile_comune"))
                               if p) or None
    out: dict[str, Any] = {k: precedente[k] for k in _DAL_PRECEDENTE if precedente.get(k) is not None}
    noti = {c["stagione"]: c for c in precedente.get("consumi") or [] if isinstance(c, dict)}
    consumi = []
    for stagione in stagioni_consumi(data_controllo or oggi):
        c = noti.get(stagione) or noti.get(f"{stagione[:5]}{stagione[:2]}{stagione[5:]}")
        consumi.append({"stagione": stagione, "valore": c.get("valore") if c else None,
                        "unita": c.get("unita") if c else None})
    out.update({
        "data_controllo": data_controllo, "comune": impianto["comune"], "provincia_sigla": impianto["provincia"],
        "indirizzo": impianto["indirizzo"], "cap": impianto.get("cap"), "codice_catasto": impianto["codice_impianto"],
        "responsabile_nome": responsabile or precedente.get("responsabile_nome"),
        "responsabile_indirizzo": indirizzo_resp or precedente.get("responsabile_indirizzo"),
        "consumi": consumi, "tecnico": {k: v for k, v in (tecnico or {}).items() if v},
    })
    if impianto.get("responsabile_telefono"):
        out["responsabile_tel"] = impianto["responsabile_telefono"]
    return out


def precompila_g(impianto: dict[str, Any], precedente: dict[str, Any] | None = None, *, oggi: date,
                 data_controllo: date | None = None, tecnico: dict[str, Any] | None = None) -> dict[str, Any]:
    """Allegato G data from the catasto record (``impianti`` columns) and the last keyed-in G
    (generator, volumetria, proprietario, consumi), measurement parts absent (blank on paper)."""
    precedente = precedente or {}
    out = _base(impianto, precedente, oggi, tecnico, data_controllo)
    out.update({"civico": impianto.get("civico"), "piano": impianto.get("piano"), "interno": impianto.get("interno")})
    out.update({k: precedente[k] for k in _IDENTIFICAZIONE_G if precedente.get(k) not in (None, [])})
    potenza = impianto.get("potenza_focolare_totale_kw") or precedente.get("pot_focolare_kw")
    out["pot_focolare_kw"] = potenza
    return PrecompilatoG.model_validate(out).model_dump(mode="json", exclude_none=False)


def precompila_f(impianto: dict[str, Any], precedente: dict[str, Any] | None = None, *, oggi: date,
                 data_controllo: date | None = None, tecnico: dict[str, Any] | None = None) -> dict[str, Any]:
    """Allegato F data: Foglio 1 part A and, per generator of the last keyed-in F, section D."""
    precedente = precedente or {}
    out = _base(impianto, precedente, oggi, tecnico, data_controllo)
    out["indirizzo"] = " ".join(p for p in (impianto["indirizzo"], impianto.get("civico")) if p)
    for k in ("destinazione", "combustibile", "altro_testo"):
        if precedente.get(k) not in (None, []):
            out[k] = precedente[k]
    generatori = [{"generatore": g["generatore"], "bruciatore": g.get("bruciatore") or {},
                   "data_installazione": g.get("data_installazione")}
                  for g in precedente.get("generatori") or [] if isinstance(g, dict) and g.get("generatore")]
    if not generatori:
        potenza = impianto.get("potenza_focolare_totale_kw")
        if potenza is None:
            raise RuleViolation(f"Impianto {impianto['codice_impianto']}: potenza al focolare e generatori "
                                "sconosciuti, impossibile precompilare l'Allegato F.", path=("codice_impianto",))
        generatori = [{"generatore": {"pot_focolare_kw": potenza}}]
    out["generatori"] = generatori
    return PrecompilatoF.model_validate(out).model_dump(mode="json", exclude_none=False)
