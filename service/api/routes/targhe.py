"""Targhe: the plates PDF for a list of impianti of the caller's Ente (2 plates per impianto).

The impianti are read from the catasto with the caller's Ente in the query: a codice of another
territory answers 404 like an unknown one. Address and comune come from the catasto, never
from the request. The sheets are print output: signed once as the caller's Ente (admin: the
Ente of the plates, the Regione when they belong to several), never archived.
"""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.catasto import ImpiantoCatasto
from domain.errors import NotFound
from renderers.impose import PROFILI, PROFILO_DEFAULT
from service.api.deps import CurrentUser, Principal, SessionDep, SettingsDep, audit, richiede

router = APIRouter(prefix="/targhe", tags=["targhe"])

MAX_IMPIANTI = 2000
CodiceImpianto = Annotated[str, Field(pattern=r"^[0-9]{6}[A-Z]{2}[0-9]{7}$", description="Codice impianto")]


class RichiestaTarghe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codici: list[CodiceImpianto] = Field(min_length=1, max_length=MAX_IMPIANTI)
    foglio: str = Field(default=PROFILO_DEFAULT, description=f"Foglio di etichette: {', '.join(PROFILI)}",
                        pattern="^(" + "|".join(PROFILI) + ")$")
    inizio: int = Field(default=1, ge=1, le=100)
    offset_x: float = Field(default=0.0, ge=-10, le=10)
    offset_y: float = Field(default=0.0, ge=-10, le=10)
    prova: bool = False


def impianti_per_targhe(session: Session, user: Principal, codici: list[str]) -> list[dict[str, str | None]]:
    """Catasto records of ``codici`` within the caller's Ente (admin: any); NotFound names the missing."""
    q = select(ImpiantoCatasto).where(ImpiantoCatasto.codice_impianto.in_(set(codici)))
    if user.ruolo != "admin":
        q = q.where(ImpiantoCatasto.ente_id == user.ente_id)
    trovati = {i.codice_impianto: i for i in session.scalars(q)}
    mancanti = [c for c in dict.fromkeys(codici) if c not in trovati]
    if mancanti:
        elenco = ", ".join(mancanti[:5]) + (f" e altri {len(mancanti) - 5}" if len(mancanti) > 5 else "")
        raise NotFound(f"Impianti non presenti nel catasto dell'Ente: {elenco}.", path=("codici",))
    return [{"codice_impianto": c, "indirizzo": trovati[c].indirizzo, "civico": trovati[c].civico,
             "comune": trovati[c].comune, "ente_id": trovati[c].ente_id} for c in dict.fromkeys(codici)]


@router.post("/pdf", response_class=Response, dependencies=[richiede("ente")],
             responses={200: {"content": {"application/pdf": {}}}})
def targhe(body: RichiestaTarghe, user: CurrentUser, session: SessionDep, settings: SettingsDep,
           request: Request) -> Response:
    """Plates (impianto + libretto) for impianti of the caller's Ente, on label sheets, signed by that Ente."""
    from service.emissione import Emissione, emittente_di_stampa
    from service.stampa_fogli import OpzioniFoglio
    from service.targhe import render_targhe

    impianti = impianti_per_targhe(session, user, body.codici)
    enti = {str(i["ente_id"]) for i in impianti}
    chi = user.ente_id if user.ruolo == "ente" and user.ente_id else emittente_di_stampa(enti)
    ente = next(iter(enti)) if len(enti) == 1 else None
    emissione = Emissione(settings)  # print output: signed, never archived
    emissione.verifica_emittente("targhe", chi, ente=ente)
    out = io.BytesIO()
    opzioni = OpzioniFoglio(foglio=body.foglio, inizio=body.inizio, offset_x=body.offset_x,
                            offset_y=body.offset_y, prova=body.prova)
    esito = render_targhe(impianti, out, opzioni=opzioni, settings=settings)
    emesso = emissione.firma_stampa(out.getvalue(), tipo="targhe", emittente=chi, ente=ente)
    audit(session, request, user, "targhe.emetti", oggetto=f"{len(impianti)} impianti", fogli=esito.fogli,
          emittente=emesso.emittente.id)
    return Response(emesso.pdf, media_type="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="targhe.pdf"', "X-Curit-Targhe": str(esito.etichette)})
