"""The ispettore's rapporto di prova over the API: pre-filled form of an impianto, live check,
issue (signed by its Ente, archived) and the lettere di esito from an archived rapporto.

The console (``console_ispettore.py``) calls the same functions (:func:`emetti_rapporto`,
:func:`emetti_lettere`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from domain.errors import AppError, NotFound, RuleViolation, from_pydantic
from service import rapporto_ispettore as ri
from service import rapporto_ispettore_b as rb
from service.api.archivio_dep import archivio_per, documento_visibile, rilascia
from service.api.deps import Principal, SessionDep, SettingsDep, audit, richiede
from service.api.routes.documenti import emissione_per, emittente_di
from service.emissione import Emesso
from service.settings import Settings

router = APIRouter(prefix="/ispettore", tags=["ispettore"])

IspettoreUser = Annotated[Principal, richiede("ispettore", "ente")]
Codice = Annotated[str, Path(min_length=15, max_length=15, pattern="^[0-9A-Za-z]+$")]
Valori = Annotated[dict[str, str | None], Body(description="Campi del rapporto e delle tre prove (nomi della prova)")]


def _ente(user: Principal) -> str | None:
    return None if user.ruolo == "admin" else user.ente_id


def barrati(valori: dict[str, str]) -> set[str]:
    """The fields the esito strikes, by the same computation as ``POST /ispettore/esito``."""
    from service.api.routes.console_ispettore import _prova
    from service.api.routes.ispettore import calcola

    try:
        return set(calcola(_prova(valori))["campi_barrati"])
    except ValidationError as exc:
        raise from_pydantic(exc) from exc


def verdetto(valori: dict[str, str]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """One generator's esito as ``POST /ispettore/esito`` computes it (errors keyed by field)."""
    from service.api.routes.console_ispettore import _verdetto

    return _verdetto(valori)


def strumenti(session: Session, user: Principal) -> list[dict[str, str]]:
    """The registered instruments the caller may choose (its Ente's CAIT; admin: all)."""
    return ri.strumenti(session, _ente(user), None if user.ruolo == "admin" else user.cait_id)


def verifica(session: Session, user: Principal, codice: str, valori: dict[str, str]) -> tuple[Any, str, dict[str, Any]]:
    """Validate the rapporto of the impianto (A below 35 kW, B from 35 kW); nothing is written."""
    imp = ri.impianto(session, _ente(user), codice)
    valori = ri.scegli_strumenti(valori, strumenti(session, user))
    if ri.allegato_di(imp) == "B":
        tipo, dati = rb.verifica(imp, valori, verdetto)
    else:
        tipo, dati = ri.verifica(imp, valori, barrati(valori))
    return imp, tipo, dati


def errori_per_campo(allegato: str, exc: Exception) -> dict[str, str]:
    """Italian errors keyed by the form's fields of that model."""
    return (rb.errori_per_campo if allegato == "B" else ri.errori_per_campo)(exc)


def allegato(session: Session, user: Principal, codice: str) -> str:
    return ri.allegato_di(ri.impianto(session, _ente(user), codice))


def emetti_rapporto(request: Request, settings: Settings, session: Session, user: Principal, codice: str,
                    valori: dict[str, str]) -> Emesso:
    """Validate, render, sign as the inspector's Ente and archive the rapporto di prova."""
    imp, tipo, dati = verifica(session, user, codice, valori)
    org = emittente_di(user, session, None) or imp.ente_id
    rilascia(session)  # before the archive opens its own sessions (SQLite write lock)
    emesso = emissione_per(request.app, settings).emetti(tipo, dati, emittente=org, archivia=True)
    record = emesso.record or {}
    audit(session, request, user, "documento.emetti", oggetto=str(record.get("id", "")), tipo=tipo,
          emittente=emesso.emittente.id, sha256=record.get("sha256", ""), codice_impianto=imp.codice_impianto)
    return emesso


def emetti_lettere(request: Request, settings: Settings, session: Session, user: Principal, documento_id: str,
                   protocollo: str, funzionario: str, data_lettera: date) -> list[dict[str, Any]]:
    """The lettere di esito of an archived rapporto (its verified bytes), each signed and archived."""
    record = documento_visibile(session, documento_id)
    if record.get("tipo") not in ("allegato-a", "allegato-b"):
        raise RuleViolation("Il documento scelto non è un rapporto di prova (Allegato A o B).", path=("documento",))
    try:
        imp = ri.impianto(session, _ente(user), record.get("codice_impianto") or "")
    except NotFound:
        imp = None
    rilascia(session)
    pdf = archivio_per(request.app, settings).recupera(documento_id).dati
    lettere = ri.lettere(record["tipo"], ri.dati_archiviati(pdf), imp, protocollo=protocollo,
                         funzionario=funzionario, data_lettera=data_lettera)
    org = emittente_di(user, session, None) or (imp.ente_id if imp is not None else None)
    emissione = emissione_per(request.app, settings)
    out = []
    for lettera in lettere:
        rilascia(session)
        emesso = emissione.emetti("lettera-esito", lettera.model_dump(mode="json"), emittente=org, archivia=True)
        rec = emesso.record or {}
        audit(session, request, user, "documento.emetti", oggetto=str(rec.get("id", "")), tipo="lettera-esito",
              emittente=emesso.emittente.id, sha256=rec.get("sha256", ""), rapporto=documento_id)
        out.append({"id": rec.get("id", ""), "tipo": lettera.tipo, "protocollo": lettera.protocollo,
                    "destinatario": lettera.destinatario.nominativo, "pdf": emesso.pdf})
    return out


def _campi(campi: list[ri.Campo]) -> list[dict[str, Any]]:
    return [{"chiave": c.chiave, "etichetta": c.etichetta, "tipo": c.tipo, "opzioni": c.opzioni,
             "obbligatorio": c.obbligatorio} for c in campi]


@router.get("/impianti/{codice}/rapporto")
def modulo(codice: Codice, user: IspettoreUser, session: SessionDep) -> dict[str, Any]:
    """The rapporto di prova's form for an impianto: model (A below 35 kW, B from 35 kW), pre-filled
    values, fields and the registered instruments to choose from (``strumento_scelto``). For B the
    fields of each generator sheet are sent as ``g<n>_<chiave>`` (``generatori``: how many sheets),
    the trials as ``g<n>_t_fumi_1`` … ``_3``."""
    imp = ri.impianto(session, _ente(user), codice)
    allegato_ = ri.allegato_di(imp)
    out: dict[str, Any] = {"allegato": allegato_, "codice_impianto": imp.codice_impianto,
                           "strumenti": strumenti(session, user)}
    if allegato_ == "B":
        return {**out, "valori": rb.modulo(imp, user.username, oggi=date.today()),
                "campi": _campi([*rb.CAMPI_FOGLIO, *rb.BARRABILI_FOGLIO]),
                "campi_generatore": _campi([*rb.CAMPI_GENERATORE, *rb.BARRABILI_GENERATORE]),
                "prove_generatore": [{"chiave": k, "etichetta": e} for k, e in rb.PROVE_IT.items()]}
    return {**out, "valori": ri.modulo(imp, user.username, oggi=date.today()),
            "campi": _campi([*ri.CAMPI, *ri.CAMPI_BARRABILI])}


def esiti(session: Session, user: Principal, codice: str, valori: dict[str, str]) -> dict[str, Any]:
    """The esito of each generator sheet (one for A) and the rapporto's overall esito; nothing is written."""
    imp = ri.impianto(session, _ente(user), codice)
    if ri.allegato_di(imp) == "B":
        return {"allegato": "B", **rb.esiti(valori, verdetto)}
    esito, errori = verdetto({**valori, "allegato": "A"})
    return {"allegato": "A", "generatori": [{"n": 1, "esito": esito, "errori": errori}],
            "esito_complessivo": esito["esito"] if esito else None}


@router.post("/impianti/{codice}/rapporto/esito")
def esito_rapporto(codice: Codice, valori: Valori, user: IspettoreUser, session: SessionDep) -> dict[str, Any]:
    """Live esito of the rapporto's sheets (η min, CO corretto, Bacharach, 9.a / 9.b, fields to strike),
    by the same function as ``POST /ispettore/esito``; the overall esito of a B is 9.b when one
    generator fails."""
    return esiti(session, user, codice, _pulisci(valori))


def _pulisci(valori: dict[str, str | None]) -> dict[str, str]:
    return {k: str(v or "")[:2000] for k, v in valori.items()}


@router.post("/impianti/{codice}/rapporto/verifica")
def verifica_rapporto(codice: Codice, valori: Valori, user: IspettoreUser, session: SessionDep) -> JSONResponse:
    """Check the rapporto without writing anything: ``{"errori": {campo: messaggio}}`` (422 when any)."""
    try:
        verifica(session, user, codice, _pulisci(valori))
    except AppError as exc:
        if isinstance(exc, NotFound):
            raise
        return JSONResponse({"errori": errori_per_campo(allegato(session, user, codice), exc)}, status_code=422)
    return JSONResponse({"errori": {}})


@router.post("/impianti/{codice}/rapporto", status_code=201, response_class=Response)
def emetti(codice: Codice, valori: Valori, user: IspettoreUser, session: SessionDep, settings: SettingsDep,
           request: Request) -> Response:
    """Issue the rapporto di prova (A, or B with one sheet per generator): the PDF (three copies)
    signed by the Ente and archived."""
    emesso = emetti_rapporto(request, settings, session, user, codice, _pulisci(valori))
    record = emesso.record or {}
    return Response(emesso.pdf, status_code=201, media_type="application/pdf",
                    headers={"X-Curit-Documento": str(record.get("id", "")),
                             "Content-Disposition": f'attachment; filename="rapporto-{codice}.pdf"'})


@router.post("/rapporti/{documento_id}/lettera-esito", status_code=201)
def lettera(documento_id: Annotated[str, Path(max_length=80)], user: IspettoreUser, session: SessionDep,
            settings: SettingsDep, request: Request,
            corpo: Annotated[dict[str, str | None], Body(description="protocollo, funzionario, data_lettera")]
            ) -> dict[str, Any]:
    """The lettere di esito of an archived rapporto, signed by the Ente and archived (the Ente's users
    read them in the archive: an ispettore reads rapporti only)."""
    try:
        quando = date.fromisoformat(corpo.get("data_lettera") or date.today().isoformat())
    except ValueError as exc:
        raise RuleViolation("Data della lettera non valida (aaaa-mm-gg).", path=("data_lettera",)) from exc
    return {"documenti": [{k: v for k, v in d.items() if k != "pdf"} for d in emetti_lettere(request, settings, session, user, documento_id, corpo.get("protocollo") or "",
                                        corpo.get("funzionario") or "", quando)]}
