"""CAIT desk and manutentore paper: dichiarazioni, distinte, ricevute, rendiconti, elenchi, pre-filled G/F.

Tenancy: a CAIT sees only its own manutentori, stock, distinte and ricevute; a manutentore only
its own distinte and the impianti it maintains; the Ente may correct closed dichiarazioni of its
territory. Anything outside the caller's tenant answers 404, exactly like a missing object.

Every PDF is signed (``service.emissione``): a CAIT user signs as its CAIT, an Ente user (a
lettera di trasmissione it receives) as its Ente, a manutentore or admin gets the CAIT that issued
the record; pre-filled forms are signed by the manutentore's CAIT (the Regione for a manutentore
with no CAIT). The records (distinte, lettere, ricevute, rendiconti) are issued once, by the POST
that creates them (a sale or top-up issues its ricevuta, closing a distinta its distinta-ricevuta,
``POST /distinte/{id}/trasmissione`` the lettera for one Ente, ``POST /cait/rendiconti/{mese}`` the
rendiconto), archived in the app's archive (``documenti.emissione_per``) after the request's
transaction is released (``rilascia``); the answer carries ``X-Curit-Documento``, ``X-Curit-Sha256``,
``X-Curit-Archivio``. A GET never issues anything: it hands back the archived original, hash and
signature re-checked like ``GET /archivio/documenti/{id}/pdf`` (409 if it was never issued; the
explicit ``POST …/emissione`` issues it, or a new version of it). Print output (elenchi,
pre-filled forms, a day's route) is signed and not archived. The PDF routes are sync because
pyHanko runs its own event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from archive import indice as idx
from archive.anagrafiche import Manutentore
from archive.cait_dichiarazioni import chiudi_distinta, modifica_dichiarazione, registra_dichiarazione
from archive.cait_dichiarazioni import distinte as distinte_visibili
from archive.cait_ricevute import ricarica_portafoglio, vendi_etichette
from archive.cait_tabelle import Attore
from archive.etichette import Autore
from domain.errors import NotFound
from service import sportello as sp
from service.cait import Originale, Prodotto, archivia, quando_iso
from service.cait_cassa import originale_ricevuta, rendiconto_cait, stampa_ricevuta
from service.cait_consegne import (
    enti_della_distinta,
    lettere_trasmissione,
    originale_distinta,
    originale_lettera,
    stampa_distinta,
)
from service.cait_elenchi import elenco as stampa_elenco
from service.cait_precompilati import giro as stampa_giro
from service.cait_precompilati import precompilato as stampa_precompilato
from domain.errors import Conflict
from service.api.archivio_dep import archivio_per, rilascia
from service.api.deps import IdCampo, IdPath, Principal, SessionDep, SettingsDep, audit, richiede
from service.quote_enti import quote_configurate
from service.api.routes.documenti import emissione_per
from service.emissione import Emissione
from service.settings import Settings

router = APIRouter(tags=["cait"])

CaitUser = Annotated[Principal, richiede("cait")]
ManutentoreUser = Annotated[Principal, richiede("manutentore")]
EditorUser = Annotated[Principal, richiede("cait", "manutentore", "ente")]


def _attore(u: Principal) -> Attore:
    return Attore(u.username, u.ruolo, cait_id=u.cait_id, manutentore_id=u.manutentore_id, ente_id=u.ente_id)


def _pdf(p: Prodotto) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{p.nome_file}"'}
    if p.archiviato is not None:
        headers.update({"X-Curit-Documento": str(p.archiviato["id"]), "X-Curit-Sha256": str(p.archiviato["sha256"]),
                        "X-Curit-Archivio": str(p.archiviato["stato"])})
    return Response(p.pdf, media_type="application/pdf", headers=headers)


def _firmatario(user: Principal) -> str | None:
    """The caller's organisation when it signs (its CAIT; an Ente for the lettere it receives);
    None: the CAIT that issued the record (a manutentore downloading its paper, admin)."""
    if user.ruolo == "cait":
        return _cait(user)
    return user.ente_id if user.ruolo == "ente" else None


def _registro(request: Request, settings: Settings, session: SessionDep, user: Principal,
              produci: Callable[[Emissione], list[Prodotto]]) -> list[Prodotto]:
    """Produce and sign records with the app's emission, then archive them outside the request's
    transaction (SQLite: one writer) and audit each issue."""
    rilascia(session)  # opening the app's archive migrates its index
    emissione = emissione_per(request.app, settings)
    prodotti = produci(emissione)
    rilascia(session)
    prodotti = archivia(prodotti, emissione)
    for p in prodotti:
        record = p.archiviato or {}
        audit(session, request, user, "documento.emetti", oggetto=record.get("id", p.meta.tipo), tipo=p.meta.tipo,
              emittente=p.firmato.emittente.id if p.firmato else "", sha256=record.get("sha256", ""),
              stato=record.get("stato", ""))
    return prodotti


def _emesso(p: Prodotto) -> dict[str, Any]:
    """What a creating POST says about the record it issued (its archive id, hash and state)."""
    record = p.archiviato or {}
    return {"documento": record.get("id"), "sha256": record.get("sha256"), "archivio": record.get("stato")}


def _originale(request: Request, settings: Settings, session: SessionDep, user: Principal,
               originale: Originale) -> Response:
    """The archived original of a record (tenancy already checked by whoever named it), hash and
    signature re-checked and the retrieval audited like ``GET /archivio/documenti/{id}/pdf``.
    Nothing is signed or archived: 409 if it was never issued."""
    from archive.db import session_scope

    rilascia(session)  # SQLite: the archive opens its own sessions (and migrates its index once)
    archivio = archivio_per(request.app, settings)
    with session_scope(archivio.engine) as indice:
        documento_id = originale.documento_id or (originale.cerca(indice) if originale.cerca else None)
        presente = documento_id is not None and indice.get(idx.Documento, documento_id) is not None
    if not presente:
        raise Conflict(f"{originale.descrizione} non è ancora stata emessa (o attende l'archiviazione): "
                       f"emetterla con {originale.emissione}.", path=("documento",))
    doc = archivio.recupera(documento_id)
    audit(session, request, user, "archivio.recupera", oggetto=documento_id, sha256=doc.record["sha256"])
    if doc.anomalia:
        audit(session, request, user, "archivio.anomalia", oggetto=documento_id, anomalia=doc.anomalia)
    firma = "assente" if not doc.firma.get("firmato") else ("valida" if doc.firma.get("valida") else "non valida")
    return Response(doc.dati, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{originale.nome_file}"',
        "X-Curit-Documento": documento_id, "X-Curit-Sha256": doc.record["sha256"],
        "X-Curit-Archivio": "archiviato", "X-Curit-Firma": firma})


def _stampa(settings: Settings) -> Emissione:
    """Print output is signed, never archived: an emission without the archive (identities are
    loaded once per process by ``service.identita``)."""
    return Emissione(settings)


def _mio_manutentore(session: SessionDep, user: Principal, manutentore_id: int) -> Manutentore:
    m = session.get(Manutentore, manutentore_id)
    if m is None or (user.ruolo != "admin" and m.cait_id != user.cait_id):
        raise NotFound("Manutentore non associato a questo CAIT.", path=("manutentore_id",))
    return m


def _cait(user: Principal) -> str:
    if user.cait_id is None:
        raise NotFound("Nessun CAIT associato all'utenza.", path=("cait_id",))
    return user.cait_id


class NuovaDichiarazione(BaseModel):
    manutentore_id: IdCampo
    codice_impianto: str = Field(max_length=15)
    tipo: str = Field(max_length=1)
    data_controllo: date
    numero_etichetta: str | None = Field(default=None, max_length=40)
    anomalie: str | None = Field(default=None, max_length=2000)
    pregiudica_sicurezza: bool = False
    dati: dict[str, Any] | None = None


class ModificaDichiarazione(BaseModel):
    data_controllo: date | None = None
    numero_etichetta: str | None = Field(default=None, max_length=40)
    anomalie: str | None = Field(default=None, max_length=2000)
    pregiudica_sicurezza: bool | None = None
    dati: dict[str, Any] | None = None


class Chiusura(BaseModel):
    manutentore_id: IdCampo
    operatore: str = Field(min_length=1, max_length=200)
    dichiarazioni: list[IdCampo] | None = Field(default=None, max_length=1000)


class Vendita(BaseModel):
    manutentore_id: IdCampo
    numeri: list[str] = Field(min_length=1, max_length=500)
    operatore: str = Field(min_length=1, max_length=200)
    pagamento: str = Field(default="contanti", max_length=40)


class Ricarica(BaseModel):
    manutentore_id: IdCampo
    importo: str = Field(max_length=20)
    operatore: str = Field(min_length=1, max_length=200)
    pagamento: str = Field(default="contanti", max_length=40)


# --------------------------------------------------------------------------- CAIT


@router.get("/cait/manutentori")
def manutentori(user: CaitUser, session: SessionDep) -> list[dict[str, Any]]:
    """The CAIT's manutentori: registration data, Portafoglio balance and IBAN."""
    from service.servizi_cait import manutentori as elenco_manutentori

    return elenco_manutentori(session, _cait(user))


@router.get("/cait/elenchi/{tipo}", response_class=Response)
def elenco(tipo: str, user: CaitUser, session: SessionDep, settings: SettingsDep) -> Response:
    return _pdf(stampa_elenco(session, _cait(user), tipo, _attore(user), oggi=date.today(), settings=settings,
                              emissione=_stampa(settings)))


@router.post("/cait/dichiarazioni", status_code=201)
def registra(body: NuovaDichiarazione, user: CaitUser, session: SessionDep) -> dict[str, Any]:
    _mio_manutentore(session, user, body.manutentore_id)
    d = registra_dichiarazione(session, cait_id=_cait(user), oggi=date.today(), **body.model_dump())
    return {"id": d.id, "stato": d.stato, "ente_id": d.ente_id}


@router.post("/cait/distinte", status_code=201)
def chiudi(body: Chiusura, user: CaitUser, session: SessionDep, request: Request,
           settings: SettingsDep) -> dict[str, Any]:
    """Close the distinta and issue its distinta-ricevuta (signed by the CAIT, archived)."""
    _mio_manutentore(session, user, body.manutentore_id)
    d = chiudi_distinta(session, cait_id=_cait(user), manutentore_id=body.manutentore_id, operatore=body.operatore,
                        dichiarazioni=body.dichiarazioni, utente=user.username)
    audit(session, request, user, "cait.distinta", oggetto=d.numero)
    distinta_id, numero = d.id, d.numero
    return {"id": distinta_id, "numero": numero, **_emesso(_emetti_distinta(request, settings, session, user, distinta_id))}


def _emetti_distinta(request: Request, settings: Settings, session: SessionDep, user: Principal,
                     distinta_id: int) -> Prodotto:
    [p] = _registro(request, settings, session, user, lambda e: [stampa_distinta(
        session, distinta_id, _attore(user), settings=settings, emissione=e, emittente=_firmatario(user))])
    return p


def _emetti_ricevuta(request: Request, settings: Settings, session: SessionDep, user: Principal,
                     ricevuta_id: int) -> Prodotto:
    [p] = _registro(request, settings, session, user, lambda e: [stampa_ricevuta(
        session, ricevuta_id, _attore(user), settings=settings, emissione=e, emittente=_firmatario(user))])
    return p


@router.post("/cait/ricevute/vendita", status_code=201)
def vendita(body: Vendita, user: CaitUser, session: SessionDep, request: Request,
            settings: SettingsDep) -> dict[str, Any]:
    _mio_manutentore(session, user, body.manutentore_id)
    r = vendi_etichette(session, cait_id=_cait(user), manutentore_id=body.manutentore_id, numeri=body.numeri,
                        operatore=body.operatore, pagamento=body.pagamento, autore=Autore(user.username, user.ruolo),
                        quote=quote_configurate(settings))
    audit(session, request, user, "cait.vendita", oggetto=r.numero, totale=r.totale)
    esito = {"id": r.id, "numero": r.numero, "totale": str(r.totale)}
    return {**esito, **_emesso(_emetti_ricevuta(request, settings, session, user, esito["id"]))}


@router.post("/cait/ricevute/ricarica", status_code=201)
def ricarica(body: Ricarica, user: CaitUser, session: SessionDep, request: Request,
             settings: SettingsDep) -> dict[str, Any]:
    _mio_manutentore(session, user, body.manutentore_id)
    r = ricarica_portafoglio(session, cait_id=_cait(user), manutentore_id=body.manutentore_id, importo=body.importo,
                             operatore=body.operatore, pagamento=body.pagamento, utente=user.username)
    audit(session, request, user, "cait.ricarica", oggetto=r.numero, totale=r.totale)
    esito = {"id": r.id, "numero": r.numero, "totale": str(r.totale)}
    return {**esito, **_emesso(_emetti_ricevuta(request, settings, session, user, esito["id"]))}


@router.get("/cait/ricevute/{ricevuta_id}/pdf", response_class=Response)
def ricevuta_pdf(ricevuta_id: IdPath, user: Annotated[Principal, richiede("cait", "manutentore")], session: SessionDep,
                 settings: SettingsDep, request: Request) -> Response:
    """The archived ricevuta, issued by the sale or top-up (nothing is signed or archived here)."""
    return _originale(request, settings, session, user, originale_ricevuta(session, ricevuta_id, _attore(user)))


@router.post("/cait/ricevute/{ricevuta_id}/emissione", response_class=Response, status_code=201)
def emetti_ricevuta(ricevuta_id: IdPath, user: CaitUser, session: SessionDep, settings: SettingsDep,
                    request: Request) -> Response:
    """Issue the ricevuta again: sign it and archive a new version of the same document (a
    ricevuta the sale could not archive, or a reprint the CAIT wants on record)."""
    risposta = _pdf(_emetti_ricevuta(request, settings, session, user, ricevuta_id))
    risposta.status_code = 201
    return risposta


@router.get("/cait/rendiconti")
def rendiconti(user: CaitUser) -> list[dict[str, str]]:
    """The months a rendiconto can be issued for: the last twelve that are over."""
    return [{"mese": m, "descrizione": d} for m, d in sp.mesi_conclusi(date.today())]


@router.post("/cait/rendiconti/{mese}", response_class=Response, status_code=201)
def rendiconto(mese: Annotated[str, Path(max_length=7, description="aaaa-mm, un mese già concluso")], user: CaitUser,
               session: SessionDep, settings: SettingsDep, request: Request) -> Response:
    """Issue (sign and archive) the monthly rendiconto of a month that is over."""
    sp.verifica_mese_concluso(mese, date.today())
    risposta = _pdf(*_registro(request, settings, session, user, lambda e: [rendiconto_cait(
        session, _cait(user), mese, _attore(user), oggi=date.today(), settings=settings, emissione=e)]))
    risposta.status_code = 201
    return risposta


@router.get("/cait/ricevute")
def ricevute(user: CaitUser, session: SessionDep,
             manutentore_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> list[dict[str, Any]]:
    """The CAIT's ricevute, newest first, with the manutentore's name."""
    return sp.elenco_ricevute(session, _cait(user), manutentore_id=manutentore_id)


@router.get("/cait/dichiarazioni")
def dichiarazioni(user: CaitUser, session: SessionDep,
                  stato: Annotated[str | None, Query(pattern="^(aperta|chiusa)$")] = None) -> list[dict[str, Any]]:
    """Dichiarazioni received at the desk (``stato=aperta``: not yet in a distinta)."""
    return sp.elenco_dichiarazioni(session, _cait(user), stato=stato)


# --------------------------------------------------------------------------- distinte (CAIT, manutentore)


@router.get("/distinte")
def distinte(user: Annotated[Principal, richiede("cait", "manutentore")], session: SessionDep) -> list[dict[str, Any]]:
    return [{"id": d.id, "numero": d.numero, "cait_id": d.cait_id, "manutentore_id": d.manutentore_id,
             "chiusa_il": quando_iso(d.chiusa_il)} for d in distinte_visibili(session, _attore(user))]


@router.get("/distinte/{distinta_id}/pdf", response_class=Response)
def distinta_pdf(distinta_id: IdPath, user: Annotated[Principal, richiede("cait", "manutentore")], session: SessionDep,
                 settings: SettingsDep, request: Request) -> Response:
    """The archived distinta-ricevuta, issued when the distinta was closed."""
    return _originale(request, settings, session, user, originale_distinta(session, distinta_id, _attore(user)))


@router.post("/distinte/{distinta_id}/emissione", response_class=Response, status_code=201)
def emetti_distinta(distinta_id: IdPath, user: CaitUser, session: SessionDep, settings: SettingsDep,
                    request: Request) -> Response:
    """Issue the distinta-ricevuta again: a new archived version of the same document."""
    risposta = _pdf(_emetti_distinta(request, settings, session, user, distinta_id))
    risposta.status_code = 201
    return risposta


def _ente_scelto(session: SessionDep, user: Principal, distinta_id: int, ente: str | None) -> str:
    enti = enti_della_distinta(session, distinta_id, _attore(user))
    scelto = ente if ente in enti else (enti[0] if ente is None and len(enti) == 1 else None)
    if scelto is None:
        raise NotFound(f"Indicare l'Ente della lettera (?ente=): {', '.join(enti)}.", path=("ente",))
    return scelto


EnteLettera = Annotated[str | None, Query(max_length=80, description="Ente destinatario (se la distinta ne ha più d'uno)")]


@router.post("/distinte/{distinta_id}/trasmissione", response_class=Response, status_code=201)
def trasmetti(distinta_id: IdPath, user: Annotated[Principal, richiede("cait", "manutentore", "ente")],
              session: SessionDep, settings: SettingsDep, request: Request, ente: EnteLettera = None) -> Response:
    """Issue (sign and archive) the lettera di trasmissione of the distinta for one Ente, dated
    today; issued again the same day it is a new version of the same document."""
    scelto = _ente_scelto(session, user, distinta_id, ente)
    risposta = _pdf(*_registro(request, settings, session, user, lambda e: lettere_trasmissione(
        session, distinta_id, _attore(user), oggi=date.today(), settings=settings, emissione=e,
        emittente=_firmatario(user), ente=scelto)))
    risposta.status_code = 201
    return risposta


@router.get("/distinte/{distinta_id}/trasmissione", response_class=Response)
def trasmissione(distinta_id: IdPath, user: Annotated[Principal, richiede("cait", "manutentore", "ente")],
                 session: SessionDep, settings: SettingsDep, request: Request, ente: EnteLettera = None) -> Response:
    """The archived lettera di trasmissione for one Ente of the distinta, as last issued."""
    scelto = _ente_scelto(session, user, distinta_id, ente)
    return _originale(request, settings, session, user, originale_lettera(session, distinta_id, _attore(user),
                                                                           scelto))


@router.patch("/dichiarazioni/{dichiarazione_id}")
def modifica(dichiarazione_id: IdPath, body: ModificaDichiarazione, user: EditorUser, session: SessionDep,
             request: Request) -> dict[str, Any]:
    """Manutentore/CAIT only while the dichiarazione is open; the competent Ente always (Disposizioni regionali, punto 15.3)."""
    d = modifica_dichiarazione(session, dichiarazione_id, _attore(user), **body.model_dump(exclude_unset=True))
    audit(session, request, user, "dichiarazione.modifica", oggetto=str(d.id))
    return {"id": d.id, "stato": d.stato, "numero_etichetta": d.numero_etichetta, "anomalie": d.anomalie,
            "data_controllo": d.data_controllo.isoformat()}


# --------------------------------------------------------------------------- manutentore


@router.get("/manutentore/impianti/{codice}/precompilato", response_class=Response)
def precompilato(codice: str, user: ManutentoreUser, session: SessionDep, settings: SettingsDep,
                 data: Annotated[date | None, Query(description="Data del controllo prestampata")] = None) -> Response:
    return _pdf(stampa_precompilato(session, codice, _attore(user), oggi=date.today(), data_controllo=data,
                                    settings=settings, emissione=_stampa(settings)))


@router.post("/manutentore/giro", response_class=Response)
def giro(codici: Annotated[list[str], Body(embed=True, min_length=1, max_length=200)], user: ManutentoreUser,
         session: SessionDep, settings: SettingsDep,
         data: Annotated[date | None, Query(description="Data del giro")] = None) -> Response:
    return _pdf(stampa_giro(session, codici, _attore(user), oggi=date.today(), data_controllo=data, settings=settings,
                            emissione=_stampa(settings)))
