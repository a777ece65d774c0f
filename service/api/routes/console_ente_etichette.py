"""Console of the Ente: etichette di validazione — generate and print lots, assign a range to a
CAIT with a convention, annul one with the reason, the stock by CAIT and the remittance statement.

Every action calls the function of the ``/etichette`` API route (same tenancy, same audit); a
refused form is shown again with what was typed and the error under its field.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive import etichette as stock
from archive.anagrafiche import Cait, CaitEnte
from domain.errors import AppError, RuleViolation
from service.api.deps import Principal, SessionDep, SettingsDep
from service.api.routes import etichette as api
from service.api.routes.console import ConsoleUser, Csrf, _errore, _ruoli
from service.console import pagina
from service.console.moduli import errori_di, euro

router = APIRouter(include_in_schema=False)

BASE = "/console/ente/etichette"
STATI_IT = {"generata": "Generate", "assegnata": "Assegnate ai CAIT", "venduta": "Vendute", "vincolata": "Vincolate",
            "annullata": "Annullate"}
STATI_BREVI = {"generata": "generate", "assegnata": "assegnate", "venduta": "vendute", "vincolata": "vincolate",
               "annullata": "annullate"}
CAMPI_IT = {"tipo": "Tipo", "quantita": "Quantità", "fascia": "Fascia di potenza", "stagione": "Stagione termica",
            "cait_id": "CAIT", "dal": "Dal numero", "al": "Al numero", "numero": "Numero", "motivo": "Motivo"}


def _errori_pydantic(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors():
        campo = str(e["loc"][-1]) if e["loc"] else "_"
        limite = (e.get("ctx") or {})
        if e["type"] in ("greater_than_equal", "less_than_equal"):
            testo = f"indicare un numero tra 1 e {stock.QUANTITA_MAX}"
        elif e["type"].startswith("int"):
            testo = "indicare un numero intero"
        elif e["type"] == "string_too_short":
            testo = f"servono almeno {limite.get('min_length')} caratteri"
        elif e["type"] == "string_pattern_mismatch":
            testo = "scrivere la stagione come 2026/2027"
        elif e["type"] == "literal_error":
            testo = "scegliere una delle voci"
        else:
            testo = "valore non valido"
        out.setdefault(campo, f"{CAMPI_IT.get(campo, campo)}: {testo}.")
    return out


def _cait_convenzionati(session: Session, user: Principal) -> list[tuple[str, str]]:
    q = select(Cait.id, Cait.denominazione).order_by(Cait.denominazione)
    if user.ruolo != "admin":
        q = q.join(CaitEnte, CaitEnte.cait_id == Cait.id).where(CaitEnte.ente_id == user.ente_id)
    return [(i, d) for i, d in session.execute(q)]


def _lotti(session: Session, user: Principal) -> list[dict[str, Any]]:
    q = select(stock.LottoEtichette).order_by(stock.LottoEtichette.id.desc()).limit(50)
    if user.ruolo != "admin":
        q = q.where(stock.LottoEtichette.ente_id == user.ente_id)
    lotti = list(session.scalars(q))
    conteggi: dict[int, dict[str, int]] = {}
    if lotti:
        for lotto, st, n in session.execute(select(stock.Etichetta.lotto_id, stock.Etichetta.stato, func.count())
                                            .where(stock.Etichetta.lotto_id.in_([x.id for x in lotti]))
                                            .group_by(stock.Etichetta.lotto_id, stock.Etichetta.stato)):
            conteggi.setdefault(lotto, {})[st] = n
    return [{"id": x.id, "ente_id": x.ente_id, "tipo": x.tipo, "stagione": x.stagione, "fascia": x.fascia,
             "primo": stock.leggibile(x.primo), "ultimo": stock.leggibile(x.ultimo), "quantita": x.al - x.dal + 1,
             "creato_il": x.creato_il, "stati": conteggi.get(x.id, {})} for x in lotti]


def _giacenze(session: Session, user: Principal) -> list[dict[str, Any]]:
    """Etichette by CAIT (None: still at the Ente) and state."""
    q = select(stock.Etichetta.cait_id, stock.Etichetta.stato, func.count()).group_by(
        stock.Etichetta.cait_id, stock.Etichetta.stato)
    if user.ruolo != "admin":
        q = q.where(stock.Etichetta.ente_id == user.ente_id)
    righe: dict[str | None, dict[str, int]] = {}
    for cait, st, n in session.execute(q):
        righe.setdefault(cait, {})[st] = n
    return [{"cait_id": c, "stati": s} for c, s in sorted(righe.items(), key=lambda kv: kv[0] or "")]


def _pagina(request: Request, user: Principal, session: Session, *, valori: dict[str, Any] | None = None,
            errori: dict[str, str] | None = None, esito: str = "", status: int = 200) -> Response:
    base = {"tipo": "G", "quantita": "", "fascia": "", "stagione": "", "cait_id": "", "dal": "", "al": "",
            "numero": "", "motivo": "", "periodo": "", "ente_id": ""}
    enti: list[tuple[str, str]] = []
    if user.ruolo == "admin":  # admin acts for an Ente it names
        from service.enti import enti_da_settings

        nomi_enti = {e.id: (f"{e.tipo} di {e.nome}" if e.tipo in ("Comune", "Provincia") else e.nome)
                     for e in enti_da_settings(request.app.state.curit_settings)}
        enti = sorted(nomi_enti.items(), key=lambda kv: kv[1])
    return pagina(request, "ente_etichette/etichette", utente=user, titolo="Etichette di validazione", status=status,
                  valori={**base, **(valori or {})}, errori=errori or {}, esito=esito, stati_it=STATI_IT, stati_brevi=STATI_BREVI,
                  lotti=_lotti(session, user), giacenze=_giacenze(session, user),
                  cait=_cait_convenzionati(session, user), enti=enti)


def _fatto(messaggio: str) -> RedirectResponse:
    return RedirectResponse(f"{BASE}?esito={quote(messaggio)}", status_code=303)


@router.get(BASE)
def etichette(request: Request, user: ConsoleUser, session: SessionDep,
              esito: Annotated[str, Query(max_length=300)] = "") -> Response:
    _ruoli(user, "ente")
    return _pagina(request, user, session, esito=esito)


@router.post(f"{BASE}/lotti", dependencies=[Csrf])
def genera(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep,
           tipo: Annotated[str, Form(max_length=2)] = "G", quantita: Annotated[str, Form(max_length=10)] = "",
           fascia: Annotated[str, Form(max_length=3)] = "", stagione: Annotated[str, Form(max_length=12)] = "",
           ente_id: Annotated[str, Form(max_length=60)] = "") -> Response:
    _ruoli(user, "ente")
    valori = {"tipo": tipo, "quantita": quantita, "fascia": fascia, "stagione": stagione, "ente_id": ente_id}
    try:
        body = api.RichiestaLotto(tipo=tipo, quantita=quantita.strip(), fascia=fascia or None,  # type: ignore[arg-type]
                                  stagione=stagione.strip() or None,
                                  ente_id=(ente_id or None) if user.ruolo == "admin" else None)
        lotto = api.genera(body, user, session, settings, request)
    except ValidationError as exc:
        return _pagina(request, user, session, valori=valori, errori=_errori_pydantic(exc), status=422)
    except AppError as exc:
        return _pagina(request, user, session, valori=valori, errori=errori_di(exc), status=422)
    session.commit()
    return _fatto(f"Lotto {lotto['lotto_id']} generato: {lotto['quantita']} etichette {lotto['tipo']} "
                  f"della stagione {lotto['stagione']}, dalla {lotto['numeri'][0]} alla {lotto['numeri'][-1]}.")


@router.get(BASE + "/lotti/{lotto_id}/pdf")
def stampa(request: Request, lotto_id: Annotated[int, Path(ge=1)], user: ConsoleUser, session: SessionDep,
           settings: SettingsDep) -> Response:
    _ruoli(user, "ente")
    try:
        return api.stampa_lotto(lotto_id, user, session, settings, request)
    except AppError as exc:
        return _errore(request, user, exc)


@router.post(f"{BASE}/assegnazioni", dependencies=[Csrf])
def assegna(request: Request, user: ConsoleUser, session: SessionDep,
            cait_id: Annotated[str, Form(max_length=32)] = "", dal: Annotated[str, Form(max_length=40)] = "",
            al: Annotated[str, Form(max_length=40)] = "", ente_id: Annotated[str, Form(max_length=60)] = "") -> Response:
    _ruoli(user, "ente")
    valori = {"cait_id": cait_id, "dal": dal, "al": al, "ente_id_a": ente_id}
    try:
        if not dal.strip() or not al.strip():
            raise RuleViolation("Indicare il primo e l'ultimo numero dell'intervallo.", path=("dal" if not dal.strip() else "al",))
        body = api.RichiestaAssegnazione(cait_id=cait_id, dal=dal.strip(), al=al.strip(),
                                         ente_id=(ente_id or None) if user.ruolo == "admin" else None)
        fatto = api.assegna(body, user, session, request)
    except ValidationError as exc:
        return _pagina(request, user, session, valori=valori, errori=_errori_pydantic(exc), status=422)
    except AppError as exc:
        return _pagina(request, user, session, valori=valori, status=422,
                       errori=errori_di(exc, alias={"ente_id": "ente_id_a"}))
    session.commit()
    nomi = dict(_cait_convenzionati(session, user))
    return _fatto(f"Assegnate {fatto['assegnate']} etichette a {nomi.get(cait_id, cait_id)}.")


@router.post(f"{BASE}/annullamento", dependencies=[Csrf])
def annulla(request: Request, user: ConsoleUser, session: SessionDep,
            numero: Annotated[str, Form(max_length=40)] = "", motivo: Annotated[str, Form(max_length=500)] = "") -> Response:
    _ruoli(user, "ente")
    valori = {"numero": numero, "motivo": motivo}
    try:
        if not numero.strip():
            raise RuleViolation("Numero: indicare il numero dell'etichetta da annullare.", path=("numero",))
        body = api.RichiestaAnnullamento(motivo=motivo.strip())
        out = api.annulla(numero.strip(), body, user, session, request)
    except ValidationError as exc:
        return _pagina(request, user, session, valori=valori, errori=_errori_pydantic(exc), status=422)
    except AppError as exc:
        return _pagina(request, user, session, valori=valori, errori=errori_di(exc), status=422)
    session.commit()
    return _fatto(f"Etichetta {stock.leggibile(out.get('numero') or numero)} annullata: {motivo.strip()}.")


@router.get(BASE + "/rendiconto")
def rendiconto(request: Request, user: ConsoleUser, session: SessionDep,
               periodo: Annotated[str, Query(max_length=10)] = "") -> Response:
    _ruoli(user, "ente")
    try:
        dati = api.rendiconto(user, session, periodo)
    except AppError as exc:
        return _pagina(request, user, session, valori={"periodo": periodo}, errori=errori_di(exc), status=422)
    return pagina(request, "ente_etichette/rendiconto", utente=user, titolo=f"Rendiconto delle etichette · {dati['periodo']}",
                  dati=dati, euro=euro)
