"""Console of the CAIT: the seven services of "I servizi per i CAIT" in the page's order.

Each form posts to a console route that calls the same function as the API route of
``service/api/routes/cait_servizi.py`` (shown in OpenAPI), audited with the operator's
username. A refused operation re-renders the page with status 422, each error under its field
and the typed values kept. The counter (sales, dichiarazioni, distinte, rendiconti) is in
``console_cait_sportello.py``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from domain.errors import AppError, NotFound
from service import servizi_cait as sv
from service.api.deps import Principal, SessionDep, audit
from service.api.routes.console import ConsoleUser, Csrf, _errore, _ruoli
from service.console import pagina
from service.console.moduli import errori_di, euro

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]

SERVIZI = (
    ("/console/cait/manutentori", "Manutentori associati",
     "Visualizzare i dati della registrazione dei manutentori associati, degli operatori e degli strumenti."),
    ("/console/cait/manutentori", "Modifica dei dati dei manutentori",
     "Modificare i dati della registrazione dei manutentori, ad eccezione della Partita IVA."),
    ("/console/cait/strumenti", "Strumenti", "Inserire, modificare e cancellare gli strumenti di misura."),
    ("/console/cait/operatori", "Operatori",
     "Inserire operatori, cambiarne la password, porli in stato non attivo."),
    ("/console/cait/portafoglio", "Movimenti di Portafoglio", "Ricariche, etichette acquistate e saldo dei manutentori."),
    ("/console/cait/portafoglio#funzioni", "Funzioni di Portafoglio",
     "Registrazione dell'IBAN e informazioni su come ricaricare."),
    ("/console/cait/manutentori#scollegamento", "Scollegamento manutentori",
     "Scollegare i manutentori che decidono di operare autonomamente."),
)


def _cait(user: Principal) -> str:
    _ruoli(user, "cait")
    if user.cait_id is None:
        raise NotFound("Nessun CAIT associato all'utenza.", path=("cait_id",))
    return user.cait_id


def _pagina(request: Request, user: Principal, nome: str, titolo: str, status: int = 200, **ctx: Any) -> Response:
    ctx.setdefault("errori", {})
    ctx.setdefault("valori", {})
    ctx.setdefault("esito", request.query_params.get("esito", "")[:200])
    ctx.setdefault("euro", euro)
    return pagina(request, f"cait/{nome}", utente=user, titolo=titolo, status=status, **ctx)


def _dopo(url: str, esito: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(f"{url}?esito={quote(esito)}", status_code=303)


@router.get("/console/cait")
def servizi(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    try:
        cait_id = _cait(user)
    except AppError as exc:
        return _errore(request, user, exc)
    from archive.anagrafiche import Cait

    cait = session.get(Cait, cait_id)
    return _pagina(request, user, "servizi", "Servizi per i CAIT", servizi=SERVIZI,
                   cait=cait.denominazione if cait else cait_id)


# --------------------------------------------------------------------------- 1, 2, 7 manutentori


def _manutentori(request: Request, user: Principal, session: SessionDep, status: int = 200, **ctx: Any) -> Response:
    return _pagina(request, user, "manutentori", "Manutentori associati", status=status,
                   manutentori=sv.manutentori(session, _cait(user)), **ctx)


@router.get("/console/cait/manutentori")
def manutentori(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    try:
        return _manutentori(request, user, session)
    except AppError as exc:
        return _errore(request, user, exc)


@router.get("/console/cait/manutentori/{manutentore_id}")
def manutentore(request: Request, manutentore_id: Id, user: ConsoleUser, session: SessionDep) -> Response:
    try:
        m = sv._manutentore(session, _cait(user), manutentore_id)
    except AppError as exc:
        return _errore(request, user, exc)
    return _scheda(request, user, session, m.id, valori={})


def _scheda(request: Request, user: Principal, session: SessionDep, manutentore_id: int, *, status: int = 200,
            **ctx: Any) -> Response:
    dati = next(x for x in sv.manutentori(session, _cait(user)) if x["id"] == manutentore_id)
    valori = {**dati, **ctx.pop("valori", {})}
    return _pagina(request, user, "manutentore", dati["ragione_sociale"], status=status, m=dati, valori=valori,
                   regola=ctx.pop("regola", ""), **ctx)


@router.post("/console/cait/manutentori/{manutentore_id}", dependencies=[Csrf])
def modifica_manutentore(request: Request, manutentore_id: Id, user: ConsoleUser, session: SessionDep,
                         ragione_sociale: Annotated[str, Form()] = "", indirizzo: Annotated[str, Form()] = "",
                         comune: Annotated[str, Form()] = "") -> Response:
    valori = {"ragione_sociale": ragione_sociale, "indirizzo": indirizzo, "comune": comune}
    try:
        m = sv.modifica_manutentore(session, _cait(user), manutentore_id, **valori)
    except NotFound as exc:
        return _errore(request, user, exc)
    except AppError as exc:
        session.rollback()
        return _scheda(request, user, session, manutentore_id, status=422, valori=valori, errori=errori_di(exc))
    audit(session, request, user, "cait.manutentore.modifica", oggetto=str(m.id))
    return _dopo(f"/console/cait/manutentori/{m.id}", "Dati della Ditta aggiornati.")


@router.post("/console/cait/manutentori/{manutentore_id}/iban", dependencies=[Csrf])
def iban(request: Request, manutentore_id: Id, user: ConsoleUser, session: SessionDep,
         iban: Annotated[str, Form()] = "", intestatario: Annotated[str, Form(alias="intestatario_iban")] = "") -> Response:
    try:
        sv.registra_iban(session, _cait(user), manutentore_id, iban=iban, intestatario=intestatario,
                         utente=user.username)
    except NotFound as exc:
        return _errore(request, user, exc)
    except AppError as exc:
        session.rollback()
        return _scheda(request, user, session, manutentore_id, status=422,
                       valori={"iban": iban, "intestatario_iban": intestatario},
                       errori=errori_di(exc, alias={"intestatario": "intestatario_iban"}))
    audit(session, request, user, "cait.iban", oggetto=str(manutentore_id))
    return _dopo(f"/console/cait/manutentori/{manutentore_id}", "IBAN del Portafoglio registrato.")


@router.post("/console/cait/manutentori/{manutentore_id}/scollega", dependencies=[Csrf])
def scollega(request: Request, manutentore_id: Id, user: ConsoleUser, session: SessionDep,
             email: Annotated[str, Form()] = "") -> Response:
    try:
        esito = sv.scollega(session, _cait(user), manutentore_id, email)
    except NotFound as exc:
        return _errore(request, user, exc)
    except AppError as exc:
        session.rollback()
        return _scheda(request, user, session, manutentore_id, status=422, valori={"email": email},
                       errori=errori_di(exc))
    audit(session, request, user, "cait.scollega", oggetto=str(esito["manutentore"]), email=esito["email"])
    return _manutentori(request, user, session, scollegato=esito,
                        esito=f"{esito['ragione_sociale']} scollegata dal CAIT.")


# --------------------------------------------------------------------------- 3 strumenti


def _strumenti(request: Request, user: Principal, session: SessionDep, status: int = 200, **ctx: Any) -> Response:
    cait_id = _cait(user)
    opzioni = [(m["id"], m["ragione_sociale"]) for m in sv.manutentori(session, cait_id)]
    return _pagina(request, user, "strumenti", "Strumenti", status=status, strumenti=sv.strumenti(session, cait_id),
                   manutentori=opzioni, **ctx)


@router.get("/console/cait/strumenti")
def strumenti(request: Request, user: ConsoleUser, session: SessionDep,
              modifica: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> Response:
    try:
        valori = {}
        if modifica is not None:
            s = sv._strumento(session, _cait(user), modifica)
            valori = {"marca": s.marca, "modello": s.modello, "matricola": s.matricola,
                      "manutentore_id": s.manutentore_id or ""}
        return _strumenti(request, user, session, valori=valori, modifica=modifica)
    except AppError as exc:
        return _errore(request, user, exc)


@router.post("/console/cait/strumenti", dependencies=[Csrf])
def salva_strumento(request: Request, user: ConsoleUser, session: SessionDep,
                    marca: Annotated[str, Form()] = "", modello: Annotated[str, Form()] = "",
                    matricola: Annotated[str, Form()] = "", manutentore_id: Annotated[str, Form()] = "",
                    strumento_id: Annotated[str, Form()] = "") -> Response:
    valori = {"marca": marca, "modello": modello, "matricola": matricola, "manutentore_id": manutentore_id}
    modifica = int(strumento_id) if strumento_id.isdigit() else None
    try:
        s = sv.salva_strumento(session, _cait(user), marca=marca, modello=modello, matricola=matricola,
                               manutentore_id=int(manutentore_id) if manutentore_id.isdigit() else None,
                               strumento_id=modifica)
    except AppError as exc:
        session.rollback()
        return _strumenti(request, user, session, status=422, valori=valori, errori=errori_di(exc), modifica=modifica)
    audit(session, request, user, "cait.strumento.modifica" if modifica else "cait.strumento.aggiungi",
          oggetto=str(s.id), matricola=s.matricola)
    return _dopo("/console/cait/strumenti", f"Strumento {s.marca} {s.modello} matricola {s.matricola} salvato.")


@router.post("/console/cait/strumenti/{strumento_id}/elimina", dependencies=[Csrf])
def elimina_strumento(request: Request, strumento_id: Id, user: ConsoleUser, session: SessionDep) -> Response:
    try:
        descrizione = sv.elimina_strumento(session, _cait(user), strumento_id)
    except AppError as exc:
        return _errore(request, user, exc)
    audit(session, request, user, "cait.strumento.elimina", oggetto=str(strumento_id), strumento=descrizione)
    return _dopo("/console/cait/strumenti", f"Strumento {descrizione} eliminato.")


# --------------------------------------------------------------------------- 4 operatori


def _operatori(request: Request, user: Principal, session: SessionDep, status: int = 200, **ctx: Any) -> Response:
    errori = ctx.get("errori", {})
    return _pagina(request, user, "operatori", "Operatori", status=status, operatori=sv.operatori(session, _cait(user)),
                   errori_nuovo={k: v for k, v in errori.items() if not k.startswith("password-")}, **ctx)


@router.get("/console/cait/operatori")
def operatori(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    try:
        return _operatori(request, user, session)
    except AppError as exc:
        return _errore(request, user, exc)


@router.post("/console/cait/operatori", dependencies=[Csrf])
def aggiungi_operatore(request: Request, user: ConsoleUser, session: SessionDep,
                       cognome_nome: Annotated[str, Form()] = "", username: Annotated[str, Form()] = "",
                       password: Annotated[str, Form()] = "") -> Response:
    try:
        op = sv.aggiungi_operatore(session, _cait(user), cognome_nome=cognome_nome, username=username,
                                   password=password)
    except AppError as exc:
        session.rollback()
        return _operatori(request, user, session, status=422, errori=errori_di(exc),
                          valori={"cognome_nome": cognome_nome, "username": username})
    audit(session, request, user, "cait.operatore.aggiungi", oggetto=op.username)
    return _dopo("/console/cait/operatori", f"Operatore {op.cognome_nome} inserito.")


@router.post("/console/cait/operatori/{operatore_id}/disattiva", dependencies=[Csrf])
def disattiva_operatore(request: Request, operatore_id: Id, user: ConsoleUser, session: SessionDep) -> Response:
    try:
        op = sv.disattiva_operatore(session, _cait(user), operatore_id, da=user.username)
    except AppError as exc:
        return _errore(request, user, exc)
    audit(session, request, user, "cait.operatore.disattiva", oggetto=op.username)
    return _dopo("/console/cait/operatori", f"Operatore {op.cognome_nome} non attivo: le sue sessioni sono chiuse.")


@router.post("/console/cait/operatori/{operatore_id}/password", dependencies=[Csrf])
def password_operatore(request: Request, operatore_id: Id, user: ConsoleUser, session: SessionDep,
                       password: Annotated[str, Form()] = "") -> Response:
    try:
        op = sv.password_operatore(session, _cait(user), operatore_id, password)
    except NotFound as exc:
        return _errore(request, user, exc)
    except AppError as exc:
        session.rollback()
        return _operatori(request, user, session, status=422, errori={f"password-{operatore_id}": exc.message})
    audit(session, request, user, "cait.operatore.password", oggetto=op.username)
    return _dopo("/console/cait/operatori", f"Password di {op.cognome_nome} cambiata.")


# --------------------------------------------------------------------------- 5, 6 Portafoglio


@router.get("/console/cait/portafoglio")
def portafoglio(request: Request, user: ConsoleUser, session: SessionDep,
                manutentore_id: Annotated[str, Query(max_length=12)] = "", dal: Annotated[str, Query(max_length=10)] = "",
                al: Annotated[str, Query(max_length=10)] = "", causale: Annotated[str, Query(max_length=10)] = "") -> Response:
    valori = {"manutentore_id": manutentore_id, "dal": dal, "al": al, "causale": causale}
    errori: dict[str, str] = {}
    filtri: dict[str, Any] = {}
    for campo, testo in (("dal", dal), ("al", al)):
        if testo:
            try:
                filtri[campo] = date.fromisoformat(testo)
            except ValueError:
                errori[campo] = "Data non valida: usare il formato gg/mm/aaaa."
    try:
        cait_id = _cait(user)
        elenco = sv.manutentori(session, cait_id)
        if manutentore_id:
            if not manutentore_id.isdigit() or int(manutentore_id) not in {m["id"] for m in elenco}:
                errori["manutentore_id"] = "Manutentore non associato a questo CAIT."
            else:
                filtri["manutentore_id"] = int(manutentore_id)
        dati = {"movimenti": [], "saldi": {}}
        if not errori:
            dati = sv.movimenti(session, cait_id, causale=causale or None, **filtri)
    except NotFound as exc:
        return _errore(request, user, exc)
    except AppError as exc:
        errori.update(errori_di(exc))
        dati = {"movimenti": [], "saldi": {}}
    return _pagina(request, user, "portafoglio", "Portafoglio dei manutentori", status=422 if errori else 200,
                   valori=valori, errori=errori, manutentori=elenco, dati=dati, istruzioni=sv.ISTRUZIONI_RICARICA,
                   opzioni_manutentori=[(m["id"], m["ragione_sociale"]) for m in elenco])
