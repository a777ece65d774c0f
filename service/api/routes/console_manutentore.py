"""Console of the manutentore: its impianti, an Allegato G/F filled online (live check, issue,
download), pre-filled and blank forms, the day's route PDF, its etichette and Portafoglio; and,
for everyone, "Recupera la password", the forced change of a provisional password, and the demo
mail folder (only with the embedded mail default and the demo on).

The pages call the functions of ``service/api/routes/manutentore.py`` and
``cait_servizi.py`` (API routes shown in OpenAPI).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from domain.errors import AppError, RuleViolation
from service import modulo_online as mo
from service import posta
from service import servizi_cait as sv
from service.api.deps import Principal, SessionDep, SettingsDep, StateDep, audit
from service.api.routes import archivio as api_archivio
from service.api.routes import manutentore as api
from service.api.routes.cait import _attore, _stampa
from service.api.routes.cait_servizi import MESSAGGIO_RECUPERO
from service.api.routes.console import ConsoleUser, Csrf, _csrf_accesso, _errore, _ruoli, _scoped
from service.console import pagina, utente_da_cookie
from service.console.moduli import errori_di, euro

router = APIRouter(include_in_schema=False)

Codice = Annotated[str, Path(min_length=15, max_length=15, pattern="^[0-9A-Za-z]+$")]
TIPI_VUOTI = {"allegato-g": "Allegato G", "allegato-f": "Allegato F"}


def _pagina(request: Request, user: Principal | None, nome: str, titolo: str, status: int = 200,
            **ctx: Any) -> Response:
    ctx.setdefault("errori", {})
    ctx.setdefault("valori", {})
    ctx.setdefault("esito", request.query_params.get("esito", "")[:200])
    return pagina(request, f"manutentore/{nome}", utente=user, titolo=titolo, status=status, euro=euro, **ctx)


def _manutentore(user: Principal, session: SessionDep) -> None:
    _ruoli(user, "manutentore")
    if sv.deve_cambiare_password(session, user.username):
        raise HTTPException(303, headers={"Location": "/console/password"})


@router.get("/console/manutentore")
def area(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    _manutentore(user, session)
    if user.manutentore_id is None:
        return _errore(request, user, RuleViolation("Utenza non collegata a una Ditta.", path=("manutentore_id",)))
    documenti = api_archivio.cerca_documenti(_scoped(session, user), api_archivio.Ricerca(limite=50))["documenti"]
    return _pagina(request, user, "area", "Area del manutentore", impianti=api.impianti(session, user),
                   etichette=api.etichette(session, user), portafoglio=api.portafoglio(session, user),
                   documenti=documenti, oggi=date.today().isoformat(),
                   opzioni_giro=[(i["codice_impianto"], f"{i['codice_impianto']} · {i['indirizzo']}")
                                 for i in api.impianti(session, user)])


@router.get("/console/manutentore/precompilato/{codice}")
def precompilato(request: Request, codice: Codice, user: ConsoleUser, session: SessionDep,
                 settings: SettingsDep) -> Response:
    from service.cait_precompilati import precompilato as stampa_precompilato

    _manutentore(user, session)
    try:  # print output: signed by the manutentore's CAIT, not archived (docs/parts/emissione.md)
        p = stampa_precompilato(session, codice, _attore(user), oggi=date.today(), settings=settings,
                                emissione=_stampa(settings))
    except AppError as exc:
        return _errore(request, user, exc)
    audit(session, request, user, "documento.precompilato", oggetto=codice)
    return Response(p.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{p.nome_file}"'})


@router.get("/console/moduli/{tipo}/vuoto")
def modulo_vuoto(tipo: Annotated[str, Path(pattern="^allegato-(g|f)$")], user: ConsoleUser,
                 settings: SettingsDep) -> Response:
    from service.produce import render_document

    return Response(render_document(tipo, None, settings=settings), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{tipo}-vuoto.pdf"'})


@router.post("/console/manutentore/giro", dependencies=[Csrf])
def giro(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep,
         codici: Annotated[list[str], Form()] = [], data: Annotated[str, Form()] = "") -> Response:  # noqa: B006
    """The day's route: one PDF with the pre-filled G/F of the chosen impianti (print output)."""
    from service.cait_precompilati import giro as stampa_giro

    _manutentore(user, session)
    try:
        if not codici:
            raise RuleViolation("Scegliere almeno un impianto del giro.", path=("codici",))
        try:
            giorno = date.fromisoformat(data) if data else date.today()
        except ValueError:
            raise RuleViolation("Data del giro non valida.", path=("data",)) from None
        p = stampa_giro(session, codici[:200], _attore(user), oggi=date.today(), data_controllo=giorno,
                        settings=settings, emissione=_stampa(settings))
    except AppError as exc:
        return _errore(request, user, exc)
    return Response(p.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{p.nome_file}"'})


# --------------------------------------------------------------------------- G/F online


def _compila(request: Request, user: Principal, session: SessionDep, codice: str, *, status: int = 200,
             valori: dict[str, str] | None = None, errori: dict[str, str] | None = None) -> Response:
    info = mo.modulo(session, codice, _attore(user), oggi=date.today())
    sezioni: dict[str, list[mo.Campo]] = {}
    for c in info["campi"]:
        sezioni.setdefault(c.sezione, []).append(c)
    nome = f"Allegato {info['tipo']}"
    return _pagina(request, user, "compila", f"Compila l'{nome} · impianto {info['codice']}", status=status,
                   info=info, sezioni=sezioni, modello=nome, valori=valori if valori is not None else info["valori"],
                   errori=errori or {})


@router.get("/console/manutentore/compila/{codice}")
def compila(request: Request, codice: Codice, user: ConsoleUser, session: SessionDep) -> Response:
    _manutentore(user, session)
    try:
        return _compila(request, user, session, codice.upper())
    except AppError as exc:
        return _errore(request, user, exc)


async def _valori(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v)[:2000] for k, v in form.items() if k != "csrf" and isinstance(v, str)}


@router.post("/console/manutentore/compila/{codice}/verifica", dependencies=[Csrf])
async def verifica(request: Request, codice: Codice, user: ConsoleUser, session: SessionDep) -> JSONResponse:
    """Live check of the form (JSON for console.js): the same check as the API's."""
    _ruoli(user, "manutentore")
    valori = await _valori(request)
    try:
        mo.verifica(session, codice.upper(), _attore(user), valori, oggi=date.today())
    except AppError as exc:
        return JSONResponse({"errori": mo.errori_per_campo(exc)}, status_code=422)
    return JSONResponse({"errori": {}})


@router.post("/console/manutentore/compila/{codice}", dependencies=[Csrf])
async def emetti(request: Request, codice: Codice, user: ConsoleUser, session: SessionDep,
                 settings: SettingsDep) -> Response:
    from starlette.concurrency import run_in_threadpool

    _manutentore(user, session)
    valori = await _valori(request)
    try:
        emesso = await run_in_threadpool(api.emetti_online, request, settings, session, user, codice.upper(), valori)
    except AppError as exc:
        session.rollback()
        try:
            return _compila(request, user, session, codice.upper(), status=422, valori=valori,
                            errori=mo.errori_per_campo(exc))
        except AppError as exc2:
            return _errore(request, user, exc2)
    record = emesso.record or {}
    return RedirectResponse(f"/console/documento/{record.get('id', '')}?esito=emesso", status_code=303)


# --------------------------------------------------------------------------- password, demo mail


@router.get("/console/recupera")
def recupera_form(request: Request, state: StateDep, session: SessionDep) -> Response:
    return _pagina(request, utente_da_cookie(request, state, session), "recupera", "Recupera la password")


@router.post("/console/recupera", dependencies=[Depends(_csrf_accesso)])
def recupera(request: Request, session: SessionDep, settings: SettingsDep,
             identificativo: Annotated[str, Form()] = "") -> Response:
    valori = {"identificativo": identificativo}
    try:
        sv.recupera_password(session, settings, identificativo)
    except AppError as exc:
        session.rollback()
        return _pagina(request, None, "recupera", "Recupera la password", status=422 if exc.path else 503,
                       valori=valori, errori=errori_di(exc))
    return _pagina(request, None, "recupera", "Recupera la password", valori=valori, esito=MESSAGGIO_RECUPERO,
                   demo_posta=settings.demo and settings.smtp_host is None)


@router.get("/console/password")
def password_form(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    return _pagina(request, user, "password", "Cambia la password",
                   provvisoria=sv.deve_cambiare_password(session, user.username))


@router.post("/console/password", dependencies=[Csrf])
def password(request: Request, user: ConsoleUser, session: SessionDep, attuale: Annotated[str, Form()] = "",
             nuova: Annotated[str, Form()] = "", conferma: Annotated[str, Form()] = "") -> Response:
    provvisoria = sv.deve_cambiare_password(session, user.username)
    try:
        sv.cambia_password(session, user.username, attuale, nuova, conferma)
    except AppError as exc:
        session.rollback()
        return _pagina(request, user, "password", "Cambia la password", status=422, provvisoria=provvisoria,
                       errori=errori_di(exc))
    audit(session, request, user, "password.cambia")
    return RedirectResponse("/?esito=password", status_code=303)


@router.get("/console/posta")
def posta_demo(request: Request, state: StateDep, session: SessionDep, settings: SettingsDep) -> Response:
    """The embedded mail folder, for the demo only (no SMTP server set)."""
    if not settings.demo or settings.smtp_host is not None:
        return _errore(request, None, RuleViolation("Posta dimostrativa non disponibile: la posta parte dal server "
                                                    "SMTP configurato.", path=("posta",)))
    return _pagina(request, utente_da_cookie(request, state, session), "posta", "Posta in uscita (demo)",
                   messaggi=posta.messaggi_salvati(settings, limite=20))
