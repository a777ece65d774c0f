"""Console of the ispettore: the combustion test of a rapporto di prova (Allegato A / B) with the
regulation's verdict computed live (η min, CO corretto, Bacharach, η + 2, esito 9.a / 9.b, fields
struck) by the same functions as ``curit-docs esito`` and ``POST /ispettore/esito``, starting from an
impianto of the catasto; its planned inspections (avvisi) and its rapporti in the archive.

Progressive enhancement: the form posts and the page answers with the verdict; with JavaScript
(``static/prova.js``) the verdict panel follows each keystroke through ``…/prova/esito`` (JSON).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from archive.catasto import ImpiantoCatasto
from domain.errors import AppError, RuleViolation
from service.api.deps import SessionDep, SettingsDep
from service.api.routes import archivio as api_archivio
from service.api.routes.console import ConsoleUser, Csrf, _ruoli, _scoped
from service.api.routes.console_archivio import messaggi_campi
from service.api.routes.ispettore import ProvaCombustione, calcola
from service.console import pagina
from service.console.moduli import errori_di

router = APIRouter(include_in_schema=False)

RIGHE = (("bacharach", "Bacharach (n°)"), ("t_mandata", "Temperatura fluido di mandata (°C)"),
         ("t_aria", "Temperatura aria comburente (°C)"), ("t_fumi", "Temperatura fumi (°C)"),
         ("co_misurato", "CO misurato (ppm)"), ("o2_co2", "O2 / CO2 (%)"))
ETICHETTE = {"allegato": "Modello", "combustibile": "Combustibile", "fluido": "Fluido termovettore",
             "data_installazione": "Data di installazione del generatore", "classificazione": "Classificazione",
             "pn_utile_kw": "Potenza termica utile nominale (kW)", "eta_min_manuale": "η min dichiarato",
             "tipo_caldaia": "Tipo caldaia", "foro_presente": "Foro per il prelievo", "cella": "Cella",
             "tiraggio_pa": "Tiraggio (Pa)", "manut_corrente": "Manutenzione in corso",
             "manut_precedenti": "Manutenzione precedenti", "libretto_presente": "Libretto",
             **{k: e for k, e in RIGHE}}
BARRATI_IT = {"1.p": "1.p volumetria", "4.b": "4.b compilazione libretto di centrale", "4.c": "4.c esame del locale",
              "5.b": "5.b compilazione libretto", "7": "7 intera sezione delle misure", "7.a": "7.a Bacharach",
              "7.b": "7.b misure di combustione", "7.c": "7.c tiraggio", "8.b": "8.b CO", "8.c": "8.c Bacharach",
              "8.d": "8.d rendimento", "9": "9 esito", "10.b": "10.b codici di non conformità"}


def _prova(valori: dict[str, str]) -> ProvaCombustione:
    """The typed values (strings, decimal comma accepted) as the API's body."""
    def num(v: str | None) -> str | None:
        v = (v or "").strip().replace(",", ".")
        return v or None

    dati: dict[str, Any] = {k: (valori.get(k) or None) for k in (
        "allegato", "combustibile", "fluido", "data_installazione", "classificazione", "tipo_caldaia", "cella",
        "manut_corrente", "manut_precedenti")}
    dati = {k: v for k, v in dati.items() if v is not None}
    for k in ("pn_utile_kw", "eta_min_manuale", "tiraggio_pa"):
        dati[k] = num(valori.get(k))
    for k, _ in RIGHE:
        dati[k] = [num(valori.get(f"{k}_{n}")) for n in (1, 2, 3)]
    dati["foro_presente"] = valori.get("foro_presente", "SI") != "NO"
    dati["libretto_presente"] = valori.get("libretto_presente", "SI") != "NO"
    dati["generatore_esterno"] = valori.get("generatore_esterno") == "SI"
    return ProvaCombustione(**dati)


def _verdetto(valori: dict[str, str]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    try:
        return calcola(_prova(valori)), {}
    except ValidationError as exc:
        from domain.errors import from_pydantic

        return None, errori_di(from_pydantic(exc))
    except AppError as exc:
        return None, errori_di(exc)


def _valori_impianto(session: Any, user: Any, codice: str | None) -> tuple[dict[str, str], Any]:
    if not codice:
        return {}, None
    q = select(ImpiantoCatasto).where(ImpiantoCatasto.codice_impianto == codice.upper())
    if user.ruolo != "admin":
        q = q.where(ImpiantoCatasto.ente_id == user.ente_id)
    imp = session.scalar(q)
    if imp is None:
        return {}, None
    valori: dict[str, str] = {}
    if imp.potenza_focolare_totale_kw is not None:
        valori["allegato"] = "B" if imp.potenza_focolare_totale_kw >= Decimal(35) else "A"
    return valori, imp


def _impianti(session: Any, user: Any) -> list[Any]:
    q = select(ImpiantoCatasto).order_by(ImpiantoCatasto.codice_impianto).limit(300)
    if user.ruolo != "admin":
        q = q.where(ImpiantoCatasto.ente_id == user.ente_id)
    return list(session.scalars(q))


def _pagina_prova(request: Request, user: Any, session: Any, valori: dict[str, str], *, calcolato: bool,
                  status: int = 200) -> Response:
    verdetto, errori = _verdetto(valori) if calcolato else (None, {})
    _, imp = _valori_impianto(session, user, valori.get("codice"))
    return pagina(request, "ispettore/prova", utente=user, titolo="Prova di combustione e esito", valori=valori,
                  verdetto=verdetto, errori=errori, righe=RIGHE, barrati_it=BARRATI_IT, impianto=imp,
                  impianti=_impianti(session, user), status=422 if errori else status)


@router.get("/console/ispettore/prova")
def prova(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    _ruoli(user, "ispettore", "ente")
    codice = request.query_params.get("codice", "")[:20]
    valori, _ = _valori_impianto(session, user, codice)
    return _pagina_prova(request, user, session, {"codice": codice, **valori}, calcolato=False)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(v)[:200] for k, v in form.items() if k != "csrf" and isinstance(v, str)}


@router.post("/console/ispettore/prova", dependencies=[Csrf])
async def calcola_prova(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    """Without JavaScript: the form posts, the page answers with the verdict and keeps what was typed."""
    _ruoli(user, "ispettore", "ente")
    return _pagina_prova(request, user, session, await _form(request), calcolato=True)


@router.post("/console/ispettore/prova/esito", dependencies=[Csrf])
async def esito_live(request: Request, user: ConsoleUser) -> JSONResponse:
    """With JavaScript: the verdict as JSON after each change (nothing is written)."""
    _ruoli(user, "ispettore", "ente")
    verdetto, errori = _verdetto(await _form(request))
    return JSONResponse({"esito": verdetto, "errori": errori}, status_code=422 if errori else 200)


@router.get("/console/ispettore")
def ispezioni(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    """The Ente's planned inspections (avvisi di ispezione) and rapporti di prova in the archive."""
    _ruoli(user, "ispettore", "ente")
    scoped = _scoped(session, user)
    elenchi: dict[str, list[dict[str, Any]]] = {}
    for chiave, tipi in (("avvisi", ("avviso-ispezione",)), ("rapporti", ("allegato-a", "allegato-b"))):
        docs: list[dict[str, Any]] = []
        for tipo in tipi:
            try:
                docs += api_archivio.cerca_documenti(scoped, api_archivio.Ricerca(tipo=tipo, limite=50))["documenti"]
            except (AppError, ValidationError) as exc:  # pragma: no cover - fixed criteria
                messaggi_campi(exc, {})
        elenchi[chiave] = sorted(docs, key=lambda d: d.get("data_documento") or "", reverse=True)
    return pagina(request, "ispettore/ispezioni", utente=user, titolo="Ispezioni", avvisi=elenchi["avvisi"],
                  rapporti=elenchi["rapporti"])


# --------------------------------------------------------------------------- rapporto di prova, lettera di esito
# The same functions as the API (service/api/routes/ispettore_rapporto.py, service/rapporto_ispettore.py).

def _pagina_rapporto(request: Request, user: Any, session: Any, codice: str, valori: dict[str, str], *,
                     errori: dict[str, str] | None = None, status: int = 200) -> Response:
    from datetime import date

    from service import rapporto_ispettore as ri
    from service import rapporto_ispettore_b as rb
    from service.api.routes import ispettore_rapporto as api

    imp = ri.impianto(session, None if user.ruolo == "admin" else user.ente_id, codice)
    strumenti = api.strumenti(session, user)
    titolo = f"Rapporto di prova · impianto {imp.codice_impianto}"
    if ri.allegato_di(imp) == "B":
        valori = rb.completa({**rb.modulo(imp, user.username, oggi=date.today()), **valori})
        n = rb.numero_generatori(valori)
        calcolo = rb.esiti(valori, _verdetto)
        return pagina(request, "ispettore/rapporto_b", utente=user, titolo=titolo, impianto=imp, campi=rb.CAMPI_FOGLIO,
                      barrabili=[c for c in rb.BARRABILI_FOGLIO if not c.chiave.startswith("strumento_")],
                      campi_gen=rb.CAMPI_GENERATORE, barrabili_gen=rb.BARRABILI_GENERATORE, righe=RIGHE,
                      generatori=range(1, n + 1), n_generatori=n, max_generatori=rb.MAX_GENERATORI, calcolo=calcolo,
                      barrati_it=BARRATI_IT, strumenti=strumenti, valori=valori, errori=errori or {}, status=status)
    valori = {**ri.modulo(imp, user.username, oggi=date.today()), **valori}
    prove = {k: v for k, v in valori.items()
             if k not in {c.chiave for c in (*ri.CAMPI, *ri.CAMPI_BARRABILI)} and not k.endswith("_scelto")}
    return pagina(request, "ispettore/rapporto", utente=user, titolo=titolo, impianto=imp, allegato="A",
                  campi=ri.CAMPI, barrabili=[c for c in ri.CAMPI_BARRABILI if not c.chiave.startswith("strumento_")],
                  strumenti=strumenti, valori=valori, prove=prove, errori=errori or {}, status=status)


def _dalla_prova(valori: dict[str, str]) -> dict[str, str]:
    """The prova page's values (one generator, unprefixed) as the first sheet of a B."""
    from service import rapporto_ispettore_b as rb

    if any(k.startswith("g1_") for k in valori):
        return valori
    generali = {c.chiave for c in (*rb.CAMPI_FOGLIO, *rb.BARRABILI_FOGLIO)} | {"generatori", "azione", "csrf"}
    out = {(k if k in generali else f"g1_{k}"): v for k, v in valori.items()
           if k not in ("allegato", "codice", "combustibile", "libretto_presente")}
    stampato = {"gas naturale": "Gas naturale", "gpl": "GPL", "gasolio": "Gasolio", "olio combustibile": "Olio combustibile"}
    if valori.get("combustibile"):
        out["combustibile"] = stampato.get(valori["combustibile"], "Altro")
        if out["combustibile"] == "Altro":
            out["combustibile_altro"] = valori["combustibile"]
    if valori.get("libretto_presente"):
        out["libretto_centrale"] = "No" if valori["libretto_presente"] == "NO" else "Si"
    return out


def _azione_generatori(valori: dict[str, str]) -> dict[str, str]:
    """"Aggiungi un generatore" / "Togli l'ultimo generatore": the sheets of the form, nothing written."""
    from service import rapporto_ispettore_b as rb

    n, azione = rb.numero_generatori(valori), valori.pop("azione", "")
    if azione == "aggiungi" and n < rb.MAX_GENERATORI:
        n += 1
    elif azione == "togli" and n > 1:
        valori = {k: v for k, v in valori.items() if not k.startswith(f"g{n}_")}
        n -= 1
    return {**valori, "generatori": str(n)}


@router.get("/console/ispettore/rapporto/{codice}")
def modulo_rapporto(request: Request, codice: str, user: ConsoleUser, session: SessionDep) -> Response:
    """The rapporto di prova of an impianto of the catasto: A below 35 kW, B (one sheet per generator) from 35 kW."""
    from service.api.routes.console import _errore

    _ruoli(user, "ispettore", "ente")
    try:
        return _pagina_rapporto(request, user, session, codice[:20], {})
    except AppError as exc:
        return _errore(request, user, exc)


@router.post("/console/ispettore/rapporto/{codice}/compila", dependencies=[Csrf])
async def compila_rapporto(request: Request, codice: str, user: ConsoleUser, session: SessionDep) -> Response:
    """From the prova page: the rapporto's form with the trials carried over; on a B, a sheet added or
    taken away (nothing is written)."""
    from service import rapporto_ispettore as ri
    from service.api.routes.console import _errore

    _ruoli(user, "ispettore", "ente")
    valori = await _form(request)
    try:
        if ri.allegato_di(ri.impianto(session, None if user.ruolo == "admin" else user.ente_id, codice[:20])) == "B":
            valori = _azione_generatori(_dalla_prova(valori))
        return _pagina_rapporto(request, user, session, codice[:20], valori)
    except AppError as exc:
        return _errore(request, user, exc)


@router.post("/console/ispettore/rapporto/{codice}/esito", dependencies=[Csrf])
async def esito_rapporto(request: Request, codice: str, user: ConsoleUser, session: SessionDep) -> JSONResponse:
    """With JavaScript: each generator's esito and the overall one after each change (nothing is written)."""
    from service.api.routes import ispettore_rapporto as api

    _ruoli(user, "ispettore", "ente")
    valori = await _form(request)
    try:
        return JSONResponse(api.esiti(session, user, codice[:20], valori))
    except AppError as exc:
        return JSONResponse({"errori": errori_di(exc)}, status_code=422)


@router.post("/console/ispettore/rapporto/{codice}", dependencies=[Csrf])
async def emetti_rapporto(request: Request, codice: str, user: ConsoleUser, session: SessionDep,
                          settings: SettingsDep) -> Response:
    """Issue: signed by the Ente, archived; errors re-show the form with what was typed."""
    from starlette.concurrency import run_in_threadpool

    from service.api.routes import ispettore_rapporto as api
    from service.api.routes.console import _errore

    _ruoli(user, "ispettore", "ente")
    valori = await _form(request)
    try:
        emesso = await run_in_threadpool(api.emetti_rapporto, request, settings, session, user, codice[:20], valori)
    except AppError as exc:
        session.rollback()
        try:
            errori = api.errori_per_campo(api.allegato(session, user, codice[:20]), exc)
            return _pagina_rapporto(request, user, session, codice[:20], valori, errori=errori, status=422)
        except AppError as exc2:
            return _errore(request, user, exc2)
    record = emesso.record or {}
    return RedirectResponse(f"/console/ispettore/rapporti/{record.get('id', '')}", status_code=303)


def _pagina_emesso(request: Request, user: Any, session: Any, documento_id: str, *, valori: dict[str, str] | None = None,
                   errori: dict[str, str] | None = None, status: int = 200) -> Response:
    from datetime import date

    from service.api.archivio_dep import documento_visibile

    record = documento_visibile(_scoped(session, user), documento_id)
    return pagina(request, "ispettore/emesso", utente=user, titolo="Rapporto di prova emesso", record=record,
                  valori=valori or {"data_lettera": date.today().isoformat()}, errori=errori or {}, status=status)


@router.get("/console/ispettore/rapporti/{documento_id}")
def rapporto_emesso(request: Request, documento_id: str, user: ConsoleUser, session: SessionDep) -> Response:
    from service.api.routes.console import _errore

    _ruoli(user, "ispettore", "ente")
    try:
        return _pagina_emesso(request, user, session, documento_id[:80])
    except AppError as exc:
        return _errore(request, user, exc)


@router.post("/console/ispettore/rapporti/{documento_id}/lettera", dependencies=[Csrf])
async def lettera_esito(request: Request, documento_id: str, user: ConsoleUser, session: SessionDep,
                        settings: SettingsDep) -> Response:
    """The lettere di esito of the rapporto, signed and archived; the responsabile's letter is downloaded."""
    from datetime import date

    from starlette.concurrency import run_in_threadpool

    from service import rapporto_ispettore as ri
    from service.api.routes import ispettore_rapporto as api
    from service.api.routes.console import _errore

    _ruoli(user, "ispettore", "ente")
    valori = await _form(request)
    try:
        try:
            quando = date.fromisoformat(valori.get("data_lettera") or "")
        except ValueError as exc:
            raise RuleViolation("Data della lettera non valida.", path=("data_lettera",)) from exc
        lettere = await run_in_threadpool(api.emetti_lettere, request, settings, session, user, documento_id[:80],
                                          valori.get("protocollo", ""), valori.get("funzionario", ""), quando)
    except AppError as exc:
        session.rollback()
        try:
            return _pagina_emesso(request, user, session, documento_id[:80], valori=valori,
                                  errori=ri.errori_per_campo(exc), status=422)
        except AppError as exc2:
            return _errore(request, user, exc2)
    prima = lettere[0]
    return Response(prima["pdf"], media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="lettera-esito-{prima["id"]}.pdf"',
        "X-Curit-Documento": ",".join(str(x["id"]) for x in lettere)})
