"""Console of the Ente: mass printing (plates, avvisi, lettere di esito) and the distributors' file.

Every page calls the API's functions (``service.api.routes.targhe``, ``lavori``, ``stampe``) with
the same tenancy. A refused form is shown again with what was typed and each error under its
field; a job started here is followed on ``/console/lavori/{id}`` (live progress, the file to
print and the signed copy for the record, the records not printed with the reason).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.catasto import ImpiantoCatasto
from domain.errors import AppError, RuleViolation
from renderers.impose import PROFILI, PROFILO_DEFAULT, get_profile
from service.api.deps import Principal, SessionDep, SettingsDep, StateDep
from service.api.routes import stampe as api_stampe
from service.api.routes import targhe as api_targhe
from service.api.routes.console import ConsoleUser, Csrf, _ruoli
from service.console import pagina
from service.console.moduli import errori_di

router = APIRouter(include_in_schema=False)

BASE = "/console/ente/stampe"
STATI = (("", "Tutti gli stati"), ("attivo", "Attivi"), ("da ispezionare", "Da ispezionare"))
MAX_ELENCO = 500


def _impianti(session: Session, user: Principal, stato: str = "") -> list[ImpiantoCatasto]:
    q = select(ImpiantoCatasto).order_by(ImpiantoCatasto.codice_impianto).limit(MAX_ELENCO)
    if user.ruolo != "admin":
        q = q.where(ImpiantoCatasto.ente_id == user.ente_id)
    if stato:
        q = q.where(ImpiantoCatasto.stato == stato)
    return list(session.scalars(q))


def _fogli() -> list[tuple[str, str]]:
    return [(k, p.descrizione) for k, p in PROFILI.items() if k != "A4-1x7"]


def _pagina_targhe(request: Request, user: Principal, session: Session, *, valori: dict[str, Any],
                   errori: dict[str, str] | None = None, scelti: list[str] | None = None, status: int = 200) -> Response:
    impianti = _impianti(session, user, valori.get("stato", ""))
    return pagina(request, "ente_stampe/targhe", utente=user, titolo="Stampa delle targhe", status=status,
                  impianti=impianti, valori=valori, errori=errori or {}, fogli=_fogli(), stati=STATI,
                  scelti=set(scelti if scelti is not None else [i.codice_impianto for i in impianti]))


@router.get(BASE)
def stampe(request: Request, user: ConsoleUser) -> Response:
    _ruoli(user, "ente")
    return RedirectResponse("/console/lavori", status_code=303)


@router.get(f"{BASE}/targhe")
def targhe_form(request: Request, user: ConsoleUser, session: SessionDep,
                stato: Annotated[str, Query(max_length=20)] = "") -> Response:
    _ruoli(user, "ente")
    stato = stato if stato in dict(STATI) else ""
    valori = {"stato": stato, "sorgente": "catasto", "foglio": PROFILO_DEFAULT, "inizio": "1", "offset_x": "0",
              "offset_y": "0", "dividi_ogni": ""}
    return _pagina_targhe(request, user, session, valori=valori)


def _numero(valore: str, campo: str, etichetta: str, minimo: float, massimo: float, intero: bool = False) -> float:
    testo = (valore or "").strip().replace(",", ".")
    try:
        n = int(testo) if intero else float(testo or "0")
    except ValueError:
        n = None
    if n is None or not minimo <= n <= massimo:
        tipo = "un numero intero" if intero else "un numero"
        raise RuleViolation(f"{etichetta}: indicare {tipo} tra {minimo:g} e {massimo:g}.", path=(campo,))
    return n


def _opzioni_foglio(valori: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    errori: dict[str, str] = {}
    out: dict[str, Any] = {}
    if valori["foglio"] not in PROFILI:
        errori["foglio"] = "Foglio di etichette: scegliere uno dei fogli elencati."
        per_foglio = 10
    else:
        out["foglio"] = valori["foglio"]
        per_foglio = get_profile(valori["foglio"]).per_sheet
    for campo, etichetta, lim, intero in (("inizio", "Posizione iniziale", (1, per_foglio), True),
                                          ("offset_x", "Spostamento orizzontale (mm)", (-10, 10), False),
                                          ("offset_y", "Spostamento verticale (mm)", (-10, 10), False)):
        try:
            out[campo] = _numero(valori[campo], campo, etichetta, *lim, intero=intero)
        except RuleViolation as exc:
            errori[campo] = exc.message
    if valori["dividi_ogni"].strip():
        try:
            out["dividi_ogni"] = int(_numero(valori["dividi_ogni"], "dividi_ogni", "Dividi ogni", 1, 10_000, True))
        except RuleViolation as exc:
            errori["dividi_ogni"] = exc.message
    return out, errori


@router.post(f"{BASE}/targhe", dependencies=[Csrf])
def targhe(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep, state: StateDep,
           azione: Annotated[str, Form(max_length=20)] = "lavoro",
           sorgente: Annotated[str, Form(max_length=20)] = "catasto",
           stato: Annotated[str, Form(max_length=20)] = "",
           codici: Annotated[list[str], Form(max_length=api_targhe.MAX_IMPIANTI)] = [],  # noqa: B006
           file: Annotated[UploadFile | None, File()] = None,
           foglio: Annotated[str, Form(max_length=20)] = PROFILO_DEFAULT,
           inizio: Annotated[str, Form(max_length=10)] = "1",
           offset_x: Annotated[str, Form(max_length=10)] = "0",
           offset_y: Annotated[str, Form(max_length=10)] = "0",
           dividi_ogni: Annotated[str, Form(max_length=10)] = "") -> Response:
    """``azione``: ``lavoro`` (a job in the queue, live progress), ``fogli`` (the sheets now), both
    with the chosen stock, start position and calibration;
    ``prova`` (one test sheet with label outlines, to calibrate the printer)."""
    _ruoli(user, "ente")
    valori = {"stato": stato, "sorgente": sorgente, "foglio": foglio, "inizio": inizio, "offset_x": offset_x,
              "offset_y": offset_y, "dividi_ogni": dividi_ogni}
    opz, errori = _opzioni_foglio(valori)
    foglio_lavoro = {"foglio": opz.get("foglio"), "inizio": int(opz.get("inizio") or 1),
                     "offset_x": opz.get("offset_x") or 0.0, "offset_y": opz.get("offset_y") or 0.0}

    def rifiuta(err: dict[str, str]) -> Response:
        return _pagina_targhe(request, user, session, valori=valori, errori=err, scelti=codici, status=422)

    if errori:
        return rifiuta(errori)
    try:
        if sorgente == "file":
            data = api_stampe.leggi_file(file)
            if azione == "lavoro":
                creato = api_stampe.targhe_da_file(data, user, session, settings, state.engine, request,
                                                   opz.get("dividi_ogni"), **foglio_lavoro)
                return _avviato(request, user, creato, "targhe")
            elenco, scarti = api_stampe.codici_da_file(data)
            elenco, assenti = api_stampe.nel_catasto(session, user, elenco)
            if not elenco:
                raise RuleViolation("Nessun codice del file è un impianto del catasto dell'Ente.", path=("file",))
            rifiutate = [f"riga {s['riga']} ({s['valore']})" for s in scarti] + [f"{c} (non nel catasto)" for c in assenti]
            if rifiutate and azione == "fogli":  # a direct download cannot list them: nothing half-printed
                altre = f" e altre {len(rifiutate) - 5}" if len(rifiutate) > 5 else ""
                raise RuleViolation(f"Il file ha righe da non stampare: {', '.join(rifiutate[:5])}{altre}. Correggere il "
                                    "file, oppure avviare il lavoro in coda, che le elenca e stampa le altre.",
                                    path=("file",))
        else:
            elenco = list(dict.fromkeys(codici))
            if not elenco:
                raise RuleViolation("Selezionare almeno un impianto dell'elenco.", path=("codici",))
            if azione == "lavoro":
                from service.api.routes import lavori as api_lavori

                body = api_lavori.NuovoLavoro(tipo="targhe", codici=elenco, dividi_ogni=opz.get("dividi_ogni"),
                                              **foglio_lavoro)
                creato = api_lavori.crea(body, user, session, settings, state.engine, request.app, request)
                return RedirectResponse(f"/console/lavori/{creato['id']}", status_code=303)
        prova = azione == "prova"
        if prova:  # one sheet: the impianti whose two plates fill it from the start position
            posti = get_profile(opz["foglio"]).per_sheet - int(opz["inizio"]) + 1
            elenco = elenco[:max(1, posti // 2)]
        body = api_targhe.RichiestaTarghe(codici=elenco, foglio=opz["foglio"], inizio=int(opz["inizio"]),
                                          offset_x=opz["offset_x"], offset_y=opz["offset_y"], prova=prova)
        risposta = api_targhe.targhe(body, user, session, settings, request)
    except AppError as exc:
        return rifiuta(errori_di(exc, alias={"sorgente": "file"}))
    nome = "foglio-di-prova.pdf" if prova else "targhe-da-stampare.pdf"
    risposta.headers["Content-Disposition"] = f'attachment; filename="{nome}"'
    return risposta


def _avviato(request: Request, user: Principal, creato: dict[str, Any], tipo: str) -> Response:
    """The job is queued: straight to its page, unless lines of the file were refused (listed first)."""
    scarti = creato.get("righe_scartate") or []
    if not scarti:
        return RedirectResponse(f"/console/lavori/{creato['id']}", status_code=303)
    return pagina(request, "ente_stampe/avviato", utente=user, titolo="Lavoro di stampa avviato", lavoro=creato,
                  scarti=scarti, tipo=tipo)


# -- avvisi di ispezione and lettere di esito --------------------------------------------------

LETTERE = {
    "avvisi": ("Avvisi di ispezione", "il piano delle ispezioni",
               "Un elenco JSON: per ogni ispezione protocollo, data dell'avviso, codice e indirizzo dell'impianto, "
               "responsabile (nominativo e indirizzo), data e ora, ispettore, potenza, combustibile, recapito e "
               "funzionario (come per «curit-docs batch avvisi»; un esempio: «curit-docs esempio avviso-ispezione»)."),
    "esiti": ("Lettere di esito", "i rapporti di prova",
              "Un elenco JSON: per ogni ispezione il tipo del rapporto («allegato-a» o «allegato-b»), i suoi dati, "
              "il protocollo, la data della lettera e il funzionario (come per «curit-docs batch esiti»)."),
}


def _pagina_lettere(request: Request, user: Principal, tipo: str, *, valori: dict[str, Any],
                    errori: dict[str, str] | None = None, status: int = 200) -> Response:
    titolo, sorgente, aiuto = LETTERE[tipo]
    return pagina(request, "ente_stampe/lettere", utente=user, titolo=titolo, status=status, tipo=tipo,
                  sorgente=sorgente, aiuto=aiuto, valori=valori, errori=errori or {})


@router.get(BASE + "/{tipo}")
def lettere_form(request: Request, tipo: str, user: ConsoleUser) -> Response:
    _ruoli(user, "ente")
    if tipo not in LETTERE:
        from fastapi import HTTPException

        raise HTTPException(404)
    return _pagina_lettere(request, user, tipo, valori={"dividi_per": "", "dividi_ogni": "", "per_record": ""})


@router.post(BASE + "/{tipo}", dependencies=[Csrf])
def lettere(request: Request, tipo: str, user: ConsoleUser, session: SessionDep, settings: SettingsDep,
            state: StateDep, file: Annotated[UploadFile | None, File()] = None,
            dividi_per: Annotated[str, Form(max_length=10)] = "",
            dividi_ogni: Annotated[str, Form(max_length=10)] = "",
            per_record: Annotated[str, Form(max_length=5)] = "") -> Response:
    _ruoli(user, "ente")
    if tipo not in LETTERE:
        from fastapi import HTTPException

        raise HTTPException(404)
    valori = {"dividi_per": dividi_per, "dividi_ogni": dividi_ogni, "per_record": per_record}
    try:
        ogni = int(_numero(dividi_ogni, "dividi_ogni", "Dividi ogni", 1, 10_000, True)) if dividi_ogni.strip() else None
        if dividi_per not in ("", "cap", "comune"):
            raise RuleViolation("Dividi per: scegliere CAP o comune.", path=("dividi_per",))
        creato = api_stampe.lavoro_da_json(tipo, api_stampe.leggi_file(file), user, session, settings, state.engine,
                                           request, per_record=bool(per_record), dividi_ogni=ogni,
                                           dividi_per=dividi_per or None)  # type: ignore[arg-type]
    except AppError as exc:
        return _pagina_lettere(request, user, tipo, valori=valori, status=422,
                               errori=errori_di(exc, alias={"sorgente": "file", "dati": "file"}))
    righe = [{"riga": s["riga"], "valore": s["chiave"], "motivo": s["motivo"]} for s in creato.get("scartati", [])]
    return _avviato(request, user, {**creato, "righe_scartate": righe}, tipo)


# -- the distributors' yearly file --------------------------------------------------------------


def _pagina_distributori(request: Request, user: Principal, *, valori: dict[str, Any], esito: Any = None,
                         errori: dict[str, str] | None = None, status: int = 200) -> Response:
    from domain.distributori import ETICHETTE

    return pagina(request, "ente_stampe/distributori", utente=user, titolo="File dei distributori di combustibile",
                  status=status, valori=valori, esito=esito, errori=errori or {}, campi=ETICHETTE,
                  tipologie=[("IN", "Impianto individuale (IN)"), ("CT", "Centrale termica (CT)"),
                             ("TR", "Teleriscaldamento (TR)")])


@router.get("/console/ente/distributori")
def distributori_form(request: Request, user: ConsoleUser) -> Response:
    _ruoli(user, "ente")
    return _pagina_distributori(request, user, valori={"tipologia": "IN", "targhe": "1"})


@router.post("/console/ente/distributori", dependencies=[Csrf])
def distributori(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep, state: StateDep,
                 file: Annotated[UploadFile | None, File()] = None,
                 tipologia: Annotated[str, Form(max_length=4)] = "IN",
                 targhe: Annotated[str, Form(max_length=5)] = "") -> Response:
    _ruoli(user, "ente")
    valori = {"tipologia": tipologia, "targhe": targhe}
    try:
        if tipologia not in ("IN", "CT", "TR"):
            raise RuleViolation("Tipologia dei nuovi impianti: scegliere una delle voci.", path=("tipologia",))
        data = api_stampe.leggi_file(file)
        esito = api_stampe.importa(data, file.filename if file else "", user, session, settings, state.engine,
                                   request, tipologia=tipologia)
        if targhe and esito["creati"]:
            esito["lavoro"] = api_stampe.targhe_importati(esito, user, session, settings, state.engine, request)
    except AppError as exc:
        return _pagina_distributori(request, user, valori=valori, errori=errori_di(exc), status=422)
    return _pagina_distributori(request, user, valori=valori, esito=esito, status=200)
