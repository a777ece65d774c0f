"""Etichette di validazione: generate and print (Ente), assign (Ente), sell (CAIT), bind (CAIT or
manutentore), annul (Ente), state lookup, stock listing and remittance statement (FORMS.md §15, §17).

Tenancy is part of every query (:class:`archive.etichette.Ambito`): an Ente reaches only the
etichette it generated, a CAIT only its conto-vendita stock, a manutentore only what it
bought. A number outside the caller's scope answers 404, exactly like an unknown one.

The sheets of a lot are print output: signed once as the Ente that owns the lot (the caller's
Ente), never archived. The route is sync because pyHanko runs its own event loop.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from archive import etichette as stock
from domain.errors import RuleViolation
from service.api.deps import CurrentUser, IdPath, Principal, SessionDep, SettingsDep, audit, richiede
from service.quote_enti import quote_configurate

router = APIRouter(prefix="/etichette", tags=["etichette"])

Numero = Annotated[str, Path(max_length=40, description="Numero dell'etichetta, es. MN000-26G1-000001-4")]


class Richiesta(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RichiestaLotto(Richiesta):
    tipo: Literal["G", "F"]
    quantita: int = Field(ge=1, le=stock.QUANTITA_MAX)
    fascia: Literal["F1", "F2", "F3", "F4", "F5"] | None = None
    """Required for F (F2…F5): the price band of the impianti the etichette are for."""
    stagione: str | None = Field(default=None, pattern=r"^\d{4}/\d{4}$")
    """Stagione termica, e.g. ``2026/2027``; default: the current one."""
    ente_id: str | None = None
    """Only for admin; an Ente user always generates for its own Ente."""


class RichiestaAssegnazione(Richiesta):
    cait_id: str = Field(min_length=1, max_length=32)
    numeri: list[str] | None = Field(default=None, max_length=10_000)
    dal: str | None = None
    al: str | None = None
    ente_id: str | None = None
    """Only for admin."""


class RichiestaVendita(Richiesta):
    manutentore_id: int
    cait_id: str | None = None
    """Only for admin; a CAIT user always sells from its own stock."""


class RichiestaVincolo(Richiesta):
    codice_impianto: str = Field(min_length=1, max_length=20)
    tipo_dichiarazione: Literal["G", "F"]
    data_controllo: date
    potenza_focolare_kw: Decimal | None = Field(default=None, gt=0)


class RichiestaAnnullamento(Richiesta):
    motivo: str = Field(min_length=3, max_length=500)


def _autore(user: Principal) -> stock.Autore:
    return stock.Autore(user.username, user.ruolo)


def _ambito(user: Principal) -> stock.Ambito:
    """The caller's tenant; roles with no tenant see nothing but admin sees everything."""
    if user.ruolo == "admin":
        return stock.Ambito()
    if user.ruolo == "cait" and user.cait_id:
        return stock.Ambito(cait_id=user.cait_id)
    if user.ruolo == "manutentore" and user.manutentore_id is not None:
        return stock.Ambito(manutentore_id=user.manutentore_id)
    if user.ente_id:
        return stock.Ambito(ente_id=user.ente_id)
    raise HTTPException(403)


def _proprio(user: Principal, richiesto: str | None, proprio: str | None, campo: str) -> str:
    """The tenant id to act for: one's own; admin names it explicitly."""
    if user.ruolo == "admin":
        if not richiesto:
            raise RuleViolation("Indicare l'Ente o il CAIT per cui operare.", path=(campo,))
        return richiesto
    if proprio is None or (richiesto is not None and richiesto != proprio):
        raise HTTPException(403)
    return proprio


@router.post("/lotti", status_code=201, dependencies=[richiede("ente")])
def genera(body: RichiestaLotto, user: CurrentUser, session: SessionDep, settings: SettingsDep,
           request: Request) -> dict[str, Any]:
    """Allocate a numbered range for the caller's Ente (state ``generata``)."""
    from domain.stagione import stagione_da_label, stagione_termica
    from service.enti import enti_da_settings

    ente = enti_da_settings(settings).get(_proprio(user, body.ente_id, user.ente_id, "ente_id"))
    st = stagione_da_label(body.stagione) if body.stagione else stagione_termica(date.today())
    numeri = stock.genera_lotto(session, ente, body.tipo, body.quantita, stagione=st, fascia=body.fascia,
                                autore=_autore(user))
    lotto = stock.stato(session, numeri[0])["lotto_id"]
    audit(session, request, user, "etichette.genera", oggetto=f"lotto {lotto}", dal=numeri[0], al=numeri[-1])
    return {"lotto_id": lotto, "ente_id": ente.id, "tipo": body.tipo, "stagione": st.label,
            "quantita": len(numeri), "numeri": [stock.leggibile(n) for n in numeri]}


@router.get("/lotti/{lotto_id}/pdf", response_class=Response, dependencies=[richiede("ente")],
            responses={200: {"content": {"application/pdf": {}}}})
def stampa_lotto(lotto_id: IdPath, user: CurrentUser, session: SessionDep, settings: SettingsDep,
                 request: Request) -> Response:
    """The print-ready sheets of one of the caller's lots (3 matrici per number), signed by the Ente."""
    from service.emissione import Emissione
    from service.etichette_stampa import render_etichette

    numeri = stock.numeri_del_lotto(session, lotto_id, ambito=_ambito(user))
    lotto = session.get(stock.LottoEtichette, lotto_id)
    ente_id: str = lotto.ente_id  # type: ignore[union-attr]
    emissione = Emissione(settings)  # print output: signed, never archived
    emissione.verifica_emittente("etichette", ente_id, ente=ente_id)
    pdf = render_etichette(numeri, ente_id, lotto.tipo, settings=settings)  # type: ignore[union-attr]
    emesso = emissione.firma_stampa(pdf, tipo="etichette", emittente=ente_id, ente=ente_id)
    audit(session, request, user, "etichette.stampa", oggetto=f"lotto {lotto_id}", quantita=len(numeri),
          emittente=emesso.emittente.id)
    return Response(emesso.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="etichette-lotto-{lotto_id}.pdf"'})


@router.post("/assegnazioni", dependencies=[richiede("ente")])
def assegna(body: RichiestaAssegnazione, user: CurrentUser, session: SessionDep, request: Request) -> dict[str, Any]:
    """Hand etichette of the caller's Ente to a CAIT with a convention (conto vendita)."""
    ente_id = _proprio(user, body.ente_id, user.ente_id, "ente_id")
    fatti = stock.assegna_a_cait(session, body.cait_id, body.numeri, dal=body.dal, al=body.al, ente_id=ente_id,
                                 autore=_autore(user))
    audit(session, request, user, "etichette.assegna", oggetto=body.cait_id, dal=fatti[0], al=fatti[-1],
          quantita=len(fatti))
    return {"cait_id": body.cait_id, "assegnate": len(fatti), "numeri": [stock.leggibile(n) for n in fatti]}


@router.post("/{numero}/vendita", dependencies=[richiede("cait")])
def vendi(numero: Numero, body: RichiestaVendita, user: CurrentUser, session: SessionDep,
          request: Request, settings: SettingsDep) -> dict[str, Any]:
    """Sell one etichetta of the caller's stock to a manutentore; the price (with the Ente quota
    configured in ``CURIT_QUOTE_ENTI_FILE``) is recorded. 422 when the Ente has no quota for its band."""
    cait_id = _proprio(user, body.cait_id, user.cait_id, "cait_id")
    v = stock.vendi(session, numero, cait_id, body.manutentore_id, autore=_autore(user), ambito=_ambito(user),
                    quote=quote_configurate(settings))
    audit(session, request, user, "etichette.vendi", oggetto=v.numero, manutentore_id=v.manutentore_id,
          totale=v.totale)
    return {"numero": stock.leggibile(v.numero), "cait_id": v.cait_id, "manutentore_id": v.manutentore_id,
            "fascia": v.fascia, "contributo_regionale": str(v.contributo_regionale),
            "quota_ente": str(v.quota_ente), "totale": str(v.totale), "venduta_il": v.venduta_il.isoformat()}


@router.post("/{numero}/vincolo", dependencies=[richiede("cait", "manutentore")])
def vincola(numero: Numero, body: RichiestaVincolo, user: CurrentUser, session: SessionDep,
            request: Request) -> dict[str, Any]:
    """Bind a sold etichetta to exactly one G/F dichiarazione."""
    out = stock.vincola(session, numero, body.codice_impianto, body.tipo_dichiarazione, body.data_controllo,
                        autore=_autore(user), ambito=_ambito(user), potenza_focolare_kw=body.potenza_focolare_kw)
    audit(session, request, user, "etichette.vincola", oggetto=out["numero"], impianto=body.codice_impianto)
    return out


@router.post("/{numero}/annullamento", dependencies=[richiede("ente")])
def annulla(numero: Numero, body: RichiestaAnnullamento, user: CurrentUser, session: SessionDep,
            request: Request) -> dict[str, Any]:
    """Annul an etichetta of the caller's Ente that is not bound yet, with the reason."""
    out = stock.annulla(session, numero, body.motivo, autore=_autore(user), ambito=_ambito(user))
    audit(session, request, user, "etichette.annulla", oggetto=out["numero"], motivo=body.motivo)
    return out


@router.get("")
def elenco(user: CurrentUser, session: SessionDep,
           stato: Annotated[str | None, Query(description="generata | assegnata | venduta | vincolata | annullata")] = None,
           lotto_id: Annotated[int | None, Query()] = None,
           limite: Annotated[int, Query(ge=1, le=1000)] = 100,
           dopo: Annotated[str | None, Query(max_length=40, description="Ultimo numero della pagina precedente")] = None,
           ) -> dict[str, Any]:
    """The caller's etichette (a CAIT: its stock) with counts per state; keyset pages via ``dopo``."""
    return stock.elenco(session, ambito=_ambito(user), stato=stato, lotto_id=lotto_id, limite=limite, dopo=dopo)


@router.get("/rendiconto", dependencies=[richiede("cait", "ente")])
def rendiconto(user: CurrentUser, session: SessionDep,
               periodo: Annotated[str, Query(description="Mese (2026-10) o trimestre (2026-T4)")]) -> dict[str, Any]:
    """Etichette sold in the period and the amounts owed: to Punti Energia and to each Ente (Disposizioni regionali, punto 17).
    A CAIT sees its own sales; an Ente the sales of its etichette by every CAIT."""
    from domain.tariffe import periodo_versamento

    dal, al = periodo_versamento(periodo)
    return {"periodo": periodo.strip().upper(), **stock.rendiconto(session, dal=dal, al=al, ambito=_ambito(user))}


@router.get("/{numero}")
def stato(numero: Numero, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """State, holder, price band, dichiarazione and history of one etichetta within the caller's scope."""
    return stock.stato(session, numero, ambito=_ambito(user), quote=quote_configurate(settings))
