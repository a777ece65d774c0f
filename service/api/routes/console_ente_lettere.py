"""Console of the Ente: lettere di esito from the rapporti di prova in its archive, and any form
for a list of records (issue 16).

- ``/console/ente/stampe/esiti/archivio``: GET lists the archived rapporti matching period, type
  (and shows the esito filter); POST launches the lettere di esito job from them
  (``service.api.routes.stampe.esiti_archivio``, the same engine as uploaded rapporti).
- ``/console/ente/stampe/moduli``: a CSV/JSON list of records → a ``moduli:<tipo>`` job.

Jobs are followed on ``/console/lavori/{id}`` (live progress, file to print vs signed copy, the
records not printed with the reason); lines refused before the job are listed first.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from domain.errors import AppError, RuleViolation
from service.api.deps import Principal, SessionDep, SettingsDep, StateDep
from service.api.routes import stampe as api_stampe
from service.api.routes.console import ConsoleUser, Csrf, _ruoli, _scoped
from service.api.routes.console_ente_stampe import BASE, _avviato, _numero
from service.console import pagina
from service.console.moduli import errori_di

router = APIRouter(include_in_schema=False)

ANTEPRIMA = 200


def _data(valore: str, campo: str, etichetta: str, obbligatoria: bool = False) -> date | None:
    testo = (valore or "").strip()
    if not testo:
        if obbligatoria:
            raise RuleViolation(f"{etichetta}: indicare la data.", path=(campo,))
        return None
    try:
        return date.fromisoformat(testo)
    except ValueError:
        raise RuleViolation(f"{etichetta}: data non valida (gg/mm/aaaa).", path=(campo,)) from None


def _selezione(valori: dict[str, Any]) -> Any:
    from service.stampe import Selezione

    errori: dict[str, str] = {}
    date_: dict[str, date | None] = {}
    for campo, etichetta in (("dal", "Dalla data"), ("al", "Alla data")):
        try:
            date_[campo] = _data(valori[campo], campo, etichetta)
        except RuleViolation as exc:
            errori[campo] = exc.message
    if errori:
        return None, errori
    try:
        return Selezione(dal=date_["dal"], al=date_["al"], tipi=tuple(valori["tipi"]), esito=valori["esito"]), {}
    except RuleViolation as exc:
        return None, {str(exc.path[0]): exc.message}


def _pagina_archivio(request: Request, user: Principal, session: Any, *, valori: dict[str, Any],
                     errori: dict[str, str] | None = None, status: int = 200) -> Response:
    from service.stampe import ESITI, TIPI_RAPPORTO, rapporti_archiviati

    sel, err = _selezione(valori)
    errori = {**err, **(errori or {})}
    rapporti = rapporti_archiviati(_scoped(session, user), sel, ANTEPRIMA + 1) if sel is not None else []
    return pagina(request, "ente_stampe/esiti_archivio", utente=user, status=status,
                  titolo="Lettere di esito dai rapporti nell'archivio", valori=valori, errori=errori,
                  rapporti=rapporti[:ANTEPRIMA], altri=len(rapporti) > ANTEPRIMA, tipi=list(TIPI_RAPPORTO.items()),
                  esiti=list(ESITI.items()))


def _valori(dal: str, al: str, tipi: list[str], esito: str, **altro: str) -> dict[str, Any]:
    return {"dal": dal, "al": al, "tipi": tipi or ["allegato-a", "allegato-b"], "esito": esito,
            "protocollo": "", "funzionario": "", "data_lettera": date.today().isoformat(), "dividi_per": "",
            "per_record": "", **altro}


@router.get(BASE + "/esiti/archivio")
def esiti_archivio_form(request: Request, user: ConsoleUser, session: SessionDep,
                        dal: Annotated[str, Query(max_length=10)] = "", al: Annotated[str, Query(max_length=10)] = "",
                        tipi: Annotated[list[str], Query(max_length=2)] = [],  # noqa: B006
                        esito: Annotated[str, Query(max_length=3)] = "") -> Response:
    """The filters and the archived rapporti they select (nothing is written)."""
    _ruoli(user, "ente")
    return _pagina_archivio(request, user, session, valori=_valori(dal, al, tipi, esito))


@router.post(BASE + "/esiti/archivio", dependencies=[Csrf])
def esiti_archivio(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep, state: StateDep,
                   dal: Annotated[str, Form(max_length=10)] = "", al: Annotated[str, Form(max_length=10)] = "",
                   tipi: Annotated[list[str], Form(max_length=2)] = [],  # noqa: B006
                   esito: Annotated[str, Form(max_length=3)] = "",
                   protocollo: Annotated[str, Form(max_length=40)] = "",
                   funzionario: Annotated[str, Form(max_length=80)] = "",
                   data_lettera: Annotated[str, Form(max_length=10)] = "",
                   dividi_per: Annotated[str, Form(max_length=10)] = "",
                   per_record: Annotated[str, Form(max_length=5)] = "") -> Response:
    """Launch the lettere di esito job from the selected rapporti."""
    _ruoli(user, "ente")
    valori = _valori(dal, al, tipi, esito, protocollo=protocollo, funzionario=funzionario, data_lettera=data_lettera,
                     dividi_per=dividi_per, per_record=per_record)
    sel, errori = _selezione(valori)
    try:
        quando = _data(data_lettera, "data_lettera", "Data delle lettere", obbligatoria=True)
    except RuleViolation as exc:
        errori["data_lettera"] = exc.message
    if dividi_per not in ("", "cap", "comune"):
        errori["dividi_per"] = "Dividi per: scegliere CAP o comune."
    if errori:
        return _pagina_archivio(request, user, session, valori=valori, errori=errori, status=422)
    try:
        creato = api_stampe.esiti_archivio(sel, user, session, settings, state.engine, request, protocollo=protocollo,
                                           funzionario=funzionario, data_lettera=quando, per_record=bool(per_record),
                                           dividi_per=dividi_per or None)  # type: ignore[arg-type]
    except AppError as exc:
        session.rollback()
        return _pagina_archivio(request, user, session, valori=valori, status=422,
                                errori=errori_di(exc, alias={"dati": "dal", "sorgente": "dal"}))
    return _avviato(request, user, creato, "esiti")


# -- any form for a list of records ------------------------------------------------------------------

def _pagina_moduli(request: Request, user: Principal, *, valori: dict[str, Any], errori: dict[str, str] | None = None,
                   status: int = 200) -> Response:
    return pagina(request, "ente_stampe/moduli", utente=user, titolo="Moduli per un elenco di record", status=status,
                  valori=valori, errori=errori or {}, tipi=api_stampe.tipi_modulo())


@router.get(BASE + "/moduli")
def moduli_form(request: Request, user: ConsoleUser) -> Response:
    _ruoli(user, "ente")
    return _pagina_moduli(request, user, valori={"tipo": "allegato-g", "dividi_ogni": "", "per_record": ""})


@router.post(BASE + "/moduli", dependencies=[Csrf])
def moduli(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep, state: StateDep,
           tipo: Annotated[str, Form(max_length=40)] = "", file: Annotated[UploadFile | None, File()] = None,
           dividi_ogni: Annotated[str, Form(max_length=10)] = "",
           per_record: Annotated[str, Form(max_length=5)] = "") -> Response:
    """Launch a ``moduli:<tipo>`` job from the uploaded list."""
    _ruoli(user, "ente")
    valori = {"tipo": tipo, "dividi_ogni": dividi_ogni, "per_record": per_record}
    try:
        ogni = int(_numero(dividi_ogni, "dividi_ogni", "Dividi ogni", 1, 10_000, True)) if dividi_ogni.strip() else None
        api_stampe.tipo_modulo(tipo)
        creato = api_stampe.moduli_file(tipo, api_stampe.leggi_file(file), file.filename if file else "", user,
                                        session, settings, state.engine, request, per_record=bool(per_record),
                                        dividi_ogni=ogni)
    except AppError as exc:
        session.rollback()
        return _pagina_moduli(request, user, valori=valori, status=422,
                              errori=errori_di(exc, alias={"sorgente": "file", "dati": "file", "emittente": "tipo"}))
    return _avviato(request, user, creato, f"moduli:{tipo}")
