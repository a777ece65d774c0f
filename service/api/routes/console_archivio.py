"""Console: archive search, document page, paper originals (register, transfer, requests with
their due dates, overdue first, mark sent / received) for the Ente, its archivista and the CAIT.

Each action calls the same function as its API route (``service/api/routes/archivio.py``) with
the same tenant scope; a refused form is shown again with what was typed and the field at fault.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.errors import AppError, NotFound, from_pydantic
from service.api.deps import SessionDep
from service.api.routes import archivio as api_archivio
from service.api.routes.console import ConsoleUser, Csrf, _errore, _ruoli, _scoped
from service.console import pagina

router = APIRouter(include_in_schema=False)

CAMPI_RICERCA = {"codice_impianto": "Codice impianto", "etichetta": "Numero etichetta",
                 "responsabile_cf": "Codice fiscale del responsabile", "tipo": "Tipo di documento",
                 "stagione": "Stagione termica", "cait": "CAIT", "ente": "Ente", "dal": "Dalla data",
                 "al": "Alla data", "dopo": "Pagina"}
CAMPI_ORIGINALE = {"ricevuto_il": "Ricevuto il", "faldone": "Faldone", "scatola": "Scatola", "posizione": "Posizione",
                   "a_tipo": "Destinatario", "a": "Destinatario", "il": "Data"}


def messaggi_campi(exc: Exception, etichette: dict[str, str]) -> tuple[str, set[str]]:
    """An Italian message naming each field at fault, and the set of those fields."""
    if isinstance(exc, ValidationError):
        errori = from_pydantic(exc).errors
    elif isinstance(exc, AppError):
        errori = getattr(exc, "errors", None) or [exc]
    else:
        return str(exc), set()
    parti, campi = [], set()
    for e in errori:
        campo = str(e.path[0]) if e.path else ""
        campi.add(campo)
        parti.append(f"{etichette.get(campo, campo)}: {e.message}" if campo else e.message)
    return " ".join(parti), campi


@router.get("/favicon.ico")
def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/console/archivio")
def archivio(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    campi = {k: v for k, v in request.query_params.items() if v and k in api_archivio.Ricerca.model_fields}
    try:
        ricerca = api_archivio.Ricerca(**{**campi, "limite": 20})
        risultati = api_archivio.cerca_documenti(_scoped(session, user), ricerca) if campi or not request.query_params \
            else {"documenti": [], "prossima": None}
    except (AppError, ValidationError) as exc:
        messaggio, errati = messaggi_campi(exc, CAMPI_RICERCA)
        return pagina(request, "archivio/ricerca", utente=user, titolo="Archivio", status=422, filtri=campi,
                      risultati={"documenti": [], "prossima": None}, errore=messaggio, errati=errati, coda=None,
                      tipi_documento=_tipi_documento(user))
    return pagina(request, "archivio/ricerca", utente=user, titolo="Archivio", filtri=campi, risultati=risultati,
                  errore=None, errati=set(), coda=api_archivio.coda_console(session, user), tipi_documento=_tipi_documento(user))


def _tipi_documento(user: Any) -> list[tuple[str, str]]:
    """The document types of the search's «Tipo di documento» (an inspector: those it may see)."""
    from service.api.archivio_dep import TIPI_ISPETTORE
    from service.console.nomi import titolo_tipo
    from service.documents import ALL

    codici = [t.code for t in ALL]
    if user.ruolo == "ispettore":
        codici = [c for c in codici if c in TIPI_ISPETTORE]
    return sorted(((c, titolo_tipo(c)) for c in codici), key=lambda v: v[1].lower())


def _pagina_documento(request: Request, user: Any, session: Any, documento_id: str, *, status: int = 200,
                      errore: str | None = None, errati: set[str] | None = None,
                      valori: dict[str, str] | None = None) -> Response:
    from archive import originali as orig

    scoped = _scoped(session, user)
    try:
        record = api_archivio.documento_visibile(scoped, documento_id)
    except NotFound as exc:
        return _errore(request, user, exc)
    try:
        originale = orig.dove(scoped, documento_id)
    except NotFound:
        originale = None
    from service.console.nomi import Nomi, titolo_tipo_lungo

    return pagina(request, "archivio/documento", utente=user, titolo=titolo_tipo_lungo(record.get("tipo")), doc=record,
                  originale=originale, esito=request.query_params.get("esito"), status=status, errore=errore,
                  errati=errati or set(), valori=valori or {}, oggi=date.today().isoformat(),
                  puo_custodire=user.ruolo in ("ente", "archivista", "cait", "admin"),
                  destinatari=Nomi(getattr(request.app.state, "curit_settings", None), session).destinatari())


@router.get("/console/documento/{documento_id}")
def documento(request: Request, documento_id: api_archivio.DocId, user: ConsoleUser, session: SessionDep) -> Response:
    return _pagina_documento(request, user, session, documento_id)


@router.post("/console/documento/{documento_id}/originale", dependencies=[Csrf])
def registra_originale(request: Request, documento_id: api_archivio.DocId, user: ConsoleUser, session: SessionDep,
                       ricevuto_il: Annotated[str, Form(max_length=20)] = "",
                       faldone: Annotated[str, Form(max_length=40)] = "",
                       scatola: Annotated[str, Form(max_length=40)] = "",
                       posizione: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Register the paper original (holder = the caller's Ente or CAIT) and where it sits."""
    _ruoli(user, "ente", "archivista", "cait")
    valori = {"ricevuto_il": ricevuto_il, "faldone": faldone, "scatola": scatola, "posizione": posizione}
    try:
        body = api_archivio.RegistraOriginale(ricevuto_il=ricevuto_il or None, faldone=faldone or None,
                                              scatola=scatola or None, posizione=posizione or None)
        api_archivio.registra_originale(documento_id, body, user, _scoped(session, user), request)
    except (AppError, ValidationError) as exc:
        session.rollback()
        messaggio, errati = messaggi_campi(exc, CAMPI_ORIGINALE)
        return _pagina_documento(request, user, session, documento_id, status=422, errore=messaggio, errati=errati,
                                 valori=valori)
    return RedirectResponse(f"/console/documento/{documento_id}?esito=registrato", status_code=303)


@router.post("/console/documento/{documento_id}/trasferimento", dependencies=[Csrf])
def trasferisci(request: Request, documento_id: api_archivio.DocId, user: ConsoleUser, session: SessionDep,
                destinatario: Annotated[str, Form(max_length=90)] = "",
                il: Annotated[str, Form(max_length=20)] = "",
                faldone: Annotated[str, Form(max_length=40)] = "",
                scatola: Annotated[str, Form(max_length=40)] = "",
                posizione: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Hand the paper original to another CAIT or Ente (``destinatario`` = ``cait:ID`` or ``ente:ID``)."""
    _ruoli(user, "ente", "archivista", "cait")
    valori = {"destinatario": destinatario, "il": il, "t_faldone": faldone, "t_scatola": scatola,
              "t_posizione": posizione}
    a_tipo, _, a = destinatario.partition(":")
    try:
        body = api_archivio.Trasferimento(a_tipo=a_tipo, a=a, il=il or None, faldone=faldone or None,
                                          scatola=scatola or None, posizione=posizione or None)
        api_archivio.trasferisci_originale(documento_id, body, user, _scoped(session, user), request)
    except (AppError, ValidationError) as exc:
        session.rollback()
        messaggio, errati = messaggi_campi(exc, CAMPI_ORIGINALE)
        return _pagina_documento(request, user, session, documento_id, status=422, errore=messaggio, errati=errati,
                                 valori=valori)
    return RedirectResponse(f"/console/documento/{documento_id}?esito=trasferito", status_code=303)


@router.post("/console/documento/{documento_id}/richiesta", dependencies=[Csrf])
def richiedi_originale(request: Request, documento_id: api_archivio.DocId, user: ConsoleUser,
                       session: SessionDep) -> Response:
    _ruoli(user, "ente")
    try:
        r = api_archivio.richiedi_originale(documento_id, None, user, _scoped(session, user), request)
    except AppError as exc:
        return _errore(request, user, exc)
    return RedirectResponse(f"/console/documento/{documento_id}?esito=richiesta-{r['id']}", status_code=303)


def _ordina_richieste(elenco: list[dict[str, Any]], oggi: str) -> list[dict[str, Any]]:
    """Overdue first (oldest deadline first), then open ones by deadline, then the closed ones."""
    def chiave(r: dict[str, Any]) -> tuple:
        ritardo = r["stato"] == "richiesto" and r["scadenza"] < oggi
        aperta = r["stato"] != "ricevuto"
        return (0 if ritardo else 1 if aperta else 2, r["scadenza"], r["id"])

    for r in elenco:
        r["in_ritardo"] = r["stato"] == "richiesto" and r["scadenza"] < oggi
    return sorted(elenco, key=chiave)


def _pagina_richieste(request: Request, user: Any, session: Any, *, status: int = 200, errore: str | None = None,
                      errata: int | None = None, valori: dict[str, str] | None = None) -> Response:
    oggi = date.today().isoformat()
    elenco = _ordina_richieste(api_archivio.richieste(user, _scoped(session, user)), oggi)
    solo_ritardo = request.query_params.get("in_ritardo") == "1"
    if solo_ritardo:
        elenco = [r for r in elenco if r["in_ritardo"]]
    chi = api_archivio._detentore(user) if user.ruolo in ("ente", "archivista", "cait") else None
    return pagina(request, "archivio/richieste", utente=user, titolo="Originali cartacei", richieste=elenco, oggi=oggi,
                  status=status, errore=errore, errata=errata, valori=valori or {}, custode=chi,
                  solo_ritardo=solo_ritardo, esito=request.query_params.get("esito"))


@router.get("/console/richieste")
def richieste(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    _ruoli(user, "ente", "archivista", "cait")
    return _pagina_richieste(request, user, session)


def _passaggio(request: Request, richiesta_id: int, user: Any, session: Any, il: str, *, azione: str) -> Response:
    _ruoli(user, "ente", "archivista", "cait")
    try:
        body = api_archivio.Passaggio(il=il or None)
        fn = api_archivio.inviato if azione == "invio" else api_archivio.ricevuto
        fn(richiesta_id, body, user, _scoped(session, user), request)
    except (AppError, ValidationError) as exc:
        session.rollback()
        messaggio, _ = messaggi_campi(exc, {"il": "Data di invio" if azione == "invio" else "Data di ricezione",
                                            "stato": "Stato", "richiesta_id": "Richiesta"})
        return _pagina_richieste(request, user, session, status=422, errore=f"Richiesta n. {richiesta_id}: {messaggio}",
                                 errata=richiesta_id, valori={"il": il})
    return RedirectResponse(f"/console/richieste?esito={azione}-{richiesta_id}", status_code=303)


@router.post("/console/richieste/{richiesta_id}/invio", dependencies=[Csrf])
def segna_inviato(request: Request, richiesta_id: api_archivio.RichiestaId, user: ConsoleUser, session: SessionDep,
                  il: Annotated[str, Form(max_length=20)] = "") -> Response:
    """The keeper (CAIT, Ente, its archivista) has sent the paper."""
    return _passaggio(request, richiesta_id, user, session, il, azione="invio")


@router.post("/console/richieste/{richiesta_id}/ricezione", dependencies=[Csrf])
def segna_ricevuto(request: Request, richiesta_id: api_archivio.RichiestaId, user: ConsoleUser, session: SessionDep,
                   il: Annotated[str, Form(max_length=20)] = "") -> Response:
    """The requesting Ente (or its archivista) received the paper; custody passes to it."""
    return _passaggio(request, richiesta_id, user, session, il, azione="ricezione")
