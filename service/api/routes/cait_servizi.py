"""The seven services of "I servizi per i CAIT" (``service/servizi_cait.py``) and the password
recovery of a manutentore: the same calls the console makes.

Every change is audited with the operator's username. Anything outside the caller's CAIT is a 404.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from service import servizi_cait as sv
from service.api.deps import CurrentUser, IdPath, Principal, SessionDep, SettingsDep, audit, richiede
from service.api.routes.cait import _cait

router = APIRouter(tags=["cait"])

CaitUser = Annotated[Principal, richiede("cait")]


class DatiManutentore(BaseModel):
    ragione_sociale: str = Field(max_length=200)
    indirizzo: str = Field(max_length=200)
    comune: str = Field(max_length=100)
    partita_iva: str | None = Field(default=None, max_length=11, description="Sola lettura: se indicata deve coincidere")


class DatiStrumento(BaseModel):
    marca: str = Field(max_length=100)
    modello: str = Field(max_length=100)
    matricola: str = Field(max_length=100)
    manutentore_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class NuovoOperatore(BaseModel):
    cognome_nome: str = Field(max_length=200)
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class NuovaPassword(BaseModel):
    password: str = Field(max_length=256)


class DatiIban(BaseModel):
    iban: str = Field(max_length=60)
    intestatario: str = Field(max_length=200)


class Scollegamento(BaseModel):
    email: str = Field(max_length=200)


class Recupero(BaseModel):
    identificativo: str = Field(max_length=200, description="Nome utente o indirizzo e-mail del manutentore")


class CambioPassword(BaseModel):
    attuale: str = Field(max_length=256)
    nuova: str = Field(max_length=256)
    conferma: str = Field(max_length=256)


# --------------------------------------------------------------------------- 1–2 manutentori


@router.put("/cait/manutentori/{manutentore_id}")
def modifica_manutentore(manutentore_id: IdPath, body: DatiManutentore, user: CaitUser, session: SessionDep,
                         request: Request) -> dict[str, Any]:
    """Change a manutentore's registration data; the Partita IVA stays as registered."""
    m = sv.modifica_manutentore(session, _cait(user), manutentore_id, **body.model_dump())
    audit(session, request, user, "cait.manutentore.modifica", oggetto=str(m.id))
    return {"id": m.id, "ragione_sociale": m.ragione_sociale, "partita_iva": m.partita_iva}


@router.post("/cait/manutentori/{manutentore_id}/scollega")
def scollega(manutentore_id: IdPath, body: Scollegamento, user: CaitUser, session: SessionDep,
             request: Request) -> dict[str, Any]:
    """Scollegamento: the e-mail must be valid and not used by another account; returns the
    communication for the firm (its username and the rule that names it)."""
    esito = sv.scollega(session, _cait(user), manutentore_id, body.email)
    audit(session, request, user, "cait.scollega", oggetto=str(esito["manutentore"]), email=esito["email"])
    return esito


# --------------------------------------------------------------------------- 3 strumenti


@router.get("/cait/strumenti")
def strumenti(user: CaitUser, session: SessionDep) -> list[dict[str, Any]]:
    return sv.strumenti(session, _cait(user))


@router.post("/cait/strumenti", status_code=201)
def aggiungi_strumento(body: DatiStrumento, user: CaitUser, session: SessionDep, request: Request) -> dict[str, Any]:
    s = sv.salva_strumento(session, _cait(user), **body.model_dump())
    audit(session, request, user, "cait.strumento.aggiungi", oggetto=str(s.id), matricola=s.matricola)
    return {"id": s.id}


@router.put("/cait/strumenti/{strumento_id}")
def modifica_strumento(strumento_id: IdPath, body: DatiStrumento, user: CaitUser, session: SessionDep,
                       request: Request) -> dict[str, Any]:
    s = sv.salva_strumento(session, _cait(user), strumento_id=strumento_id, **body.model_dump())
    audit(session, request, user, "cait.strumento.modifica", oggetto=str(s.id))
    return {"id": s.id}


@router.delete("/cait/strumenti/{strumento_id}")
def elimina_strumento(strumento_id: IdPath, user: CaitUser, session: SessionDep, request: Request) -> dict[str, Any]:
    descrizione = sv.elimina_strumento(session, _cait(user), strumento_id)
    audit(session, request, user, "cait.strumento.elimina", oggetto=str(strumento_id), strumento=descrizione)
    return {"eliminato": strumento_id}


# --------------------------------------------------------------------------- 4 operatori


@router.get("/cait/operatori")
def operatori(user: CaitUser, session: SessionDep) -> list[dict[str, Any]]:
    return sv.operatori(session, _cait(user))


@router.post("/cait/operatori", status_code=201)
def aggiungi_operatore(body: NuovoOperatore, user: CaitUser, session: SessionDep, request: Request) -> dict[str, Any]:
    op = sv.aggiungi_operatore(session, _cait(user), **body.model_dump())
    audit(session, request, user, "cait.operatore.aggiungi", oggetto=op.username)
    return {"id": op.id, "username": op.username}


@router.post("/cait/operatori/{operatore_id}/password")
def password_operatore(operatore_id: IdPath, body: NuovaPassword, user: CaitUser, session: SessionDep,
                       request: Request) -> dict[str, Any]:
    op = sv.password_operatore(session, _cait(user), operatore_id, body.password)
    audit(session, request, user, "cait.operatore.password", oggetto=op.username)
    return {"id": op.id}


@router.post("/cait/operatori/{operatore_id}/disattiva")
def disattiva_operatore(operatore_id: IdPath, user: CaitUser, session: SessionDep, request: Request) -> dict[str, Any]:
    """Set inactive: the operator cannot log in and its open sessions and tokens end."""
    op = sv.disattiva_operatore(session, _cait(user), operatore_id, da=user.username)
    audit(session, request, user, "cait.operatore.disattiva", oggetto=op.username)
    return {"id": op.id, "attivo": op.attivo}


# --------------------------------------------------------------------------- 5–6 Portafoglio


@router.get("/cait/portafoglio/movimenti")
def movimenti(user: CaitUser, session: SessionDep,
              manutentore_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
              dal: date | None = None, al: date | None = None,
              causale: Annotated[str | None, Query(max_length=10, description="ricarica | acquisto")] = None,
              ) -> dict[str, Any]:
    if manutentore_id is not None:
        sv._manutentore(session, _cait(user), manutentore_id)
    return sv.movimenti(session, _cait(user), manutentore_id=manutentore_id, dal=dal, al=al, causale=causale)


@router.put("/cait/manutentori/{manutentore_id}/iban")
def registra_iban(manutentore_id: IdPath, body: DatiIban, user: CaitUser, session: SessionDep,
                  request: Request) -> dict[str, Any]:
    riga = sv.registra_iban(session, _cait(user), manutentore_id, iban=body.iban, intestatario=body.intestatario,
                            utente=user.username)
    audit(session, request, user, "cait.iban", oggetto=str(manutentore_id))
    return {"manutentore_id": manutentore_id, "iban": riga.iban, "intestatario": riga.intestatario}


@router.get("/cait/portafoglio/istruzioni")
def istruzioni(user: CaitUser) -> dict[str, str]:
    return {"istruzioni": sv.ISTRUZIONI_RICARICA}


# --------------------------------------------------------------------------- password


@router.post("/password/recupera", tags=["auth"])
def recupera(body: Recupero, session: SessionDep, settings: SettingsDep) -> dict[str, str]:
    """"Recupera la password": a provisional password goes to the manutentore's e-mail. The
    answer is the same whether or not the account exists."""
    sv.recupera_password(session, settings, body.identificativo)
    return {"messaggio": MESSAGGIO_RECUPERO}


@router.post("/password/cambia", tags=["auth"])
def cambia(body: CambioPassword, user: CurrentUser, session: SessionDep, request: Request) -> dict[str, str]:
    sv.cambia_password(session, user.username, body.attuale, body.nuova, body.conferma)
    audit(session, request, user, "password.cambia")
    return {"messaggio": "Password aggiornata."}


MESSAGGIO_RECUPERO = ("Se il nome utente o l'indirizzo corrisponde a una Ditta di manutenzione registrata, "
                      "è stata inviata una password provvisoria all'indirizzo e-mail della Ditta.")
