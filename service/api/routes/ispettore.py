"""The inspector's combustion test (Allegato A / B, sections 7–9) computed by the regulation's
rules: η min, CO corretto, Bacharach, rendimento + 2, esito 9.a / 9.b and the fields to strike.

The same domain functions as ``curit-docs esito`` (``domain.esito.valuta_rapporto`` over
``domain.combustione``); the console's live panel calls :func:`calcola` too."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from domain.combustione.combustibili import CombustibileTecnico
from domain.combustione.rendimento import Classificazione, FasciaInstallazione, Fluido, fascia_installazione
from service.api.deps import CurrentUser, richiede

router = APIRouter(prefix="/ispettore", tags=["ispettore"])

Valore = Annotated[Decimal, Field(ge=-100, le=100_000, max_digits=10)] | None


class ProvaCombustione(BaseModel):
    """What the esito of one generator depends on (A: the form; B: one generator sheet)."""

    model_config = ConfigDict(extra="forbid")

    allegato: Literal["A", "B"] = "A"
    combustibile: CombustibileTecnico = "gas naturale"
    fluido: Fluido = "acqua"
    data_installazione: date | None = None
    """3.d; empty = "dopo il 29/10/1993" without a date (then η min needs the classificazione)."""
    classificazione: Classificazione | None = None
    pn_utile_kw: Annotated[Decimal, Field(gt=0, le=100_000)] | None = None
    eta_min_manuale: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    tipo_caldaia: Literal["B", "C"] | None = None
    foro_presente: bool = True
    generatore_esterno: bool = False
    manut_corrente: Literal["Effettuata", "Non effettuata"] = "Effettuata"
    manut_precedenti: Literal["Effettuata", "Non effettuata"] = "Effettuata"
    libretto_presente: bool = True
    bacharach: list[Valore] = Field(default_factory=lambda: [None, None, None], min_length=3, max_length=3)
    t_mandata: list[Valore] = Field(default_factory=lambda: [None, None, None], min_length=3, max_length=3)
    t_aria: list[Valore] = Field(default_factory=lambda: [None, None, None], min_length=3, max_length=3)
    t_fumi: list[Valore] = Field(default_factory=lambda: [None, None, None], min_length=3, max_length=3)
    co_misurato: list[Valore] = Field(default_factory=lambda: [None, None, None], min_length=3, max_length=3)
    o2_co2: list[Valore] = Field(default_factory=lambda: [None, None, None], min_length=3, max_length=3)
    cella: Literal["O2", "CO2"] = "O2"
    tiraggio_pa: Valore = None


def calcola(p: ProvaCombustione) -> dict[str, Any]:
    """The regulation's verdict for one generator (``EsitoRapporto.as_dict()``); Italian errors name the field."""
    from domain.esito import tipo_per_tiraggio, valuta_rapporto
    from domain.esito_dati import IngressoEsito

    fascia: FasciaInstallazione | None = fascia_installazione(p.data_installazione) if p.data_installazione else None
    tipo = tipo_per_tiraggio(p.allegato, p.tipo_caldaia, p.tiraggio_pa)
    ingresso = IngressoEsito(
        allegato=p.allegato, combustibile=p.combustibile, fluido=p.fluido, fascia=fascia,
        classificazione=p.classificazione, pn_utile_kw=p.pn_utile_kw, eta_min_manuale=p.eta_min_manuale,
        tipo_caldaia=tipo, foro_presente=p.foro_presente, generatore_esterno=p.generatore_esterno,
        manut_corrente=p.manut_corrente, manut_precedenti=p.manut_precedenti, libretto_presente=p.libretto_presente,
        bacharach=tuple(p.bacharach), t_mandata=tuple(p.t_mandata), t_aria=tuple(p.t_aria),  # type: ignore[arg-type]
        t_fumi=tuple(p.t_fumi), co_misurato=tuple(p.co_misurato), o2_co2=tuple(p.o2_co2),  # type: ignore[arg-type]
        cella=p.cella, tiraggio_pa=p.tiraggio_pa,
    )
    return valuta_rapporto(ingresso).as_dict()


@router.post("/esito", dependencies=[richiede("ispettore", "ente")])
def esito(body: ProvaCombustione, user: CurrentUser) -> dict[str, Any]:
    """η min, CO corretto, Bacharach, η rilevato + 2, esito (9.a / 9.b / barrato), the 9.b boxes,
    the fields to strike and the notes for 10.a, from the three trials of section 7."""
    return calcola(body)
