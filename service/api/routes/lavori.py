"""Batch jobs over HTTP: create (targhe from the catasto, Ente letters), progress, cancel, results.

Jobs are built and printed by ``service.batch`` (manifest → chunks → merged print PDF + report);
the API runs them on in-process worker threads (one ``_Esecutore`` per app, stopped by the router
lifespan), which is what ``curit-docs serve`` promises; ``curit-docs worker`` (Celery) serves
the CLI's distributed runs. Cancelling takes effect after the chunk being printed: the job
stops as ``interrotto`` and keeps its finished chunks.

Tenancy: the ``lavori`` table has no owner column, so the creation is recorded in the audit log
with ``oggetto = "<ambito>|<lavoro id>"`` and every lookup is a query on that key; a job of
another tenant answers 404. Records must concern impianti of the caller's Ente.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Path, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from archive.utenti import Audit
from domain.errors import AppError, NotFound, RuleViolation
from service.api.deps import CurrentUser, Principal, SessionDep, SettingsDep, StateDep, audit, richiede
from service.api.routes.targhe import CodiceImpianto, impianti_per_targhe
from service.settings import Settings

log = logging.getLogger("curit.api.lavori")

MAX_RECORD = 10_000
"""Largest job accepted over HTTP (bigger runs: ``curit-docs batch``)."""
LavoroId = Annotated[str, Path(max_length=40, pattern=r"^[0-9A-Za-z-]+$")]


class Annullato(KeyboardInterrupt):
    """Raised from the progress callback: ``esegui_lavoro`` records the job as ``interrotto``."""


class _Esecutore:
    """In-process job runner of one app: a small thread pool and one cancel flag per job."""

    def __init__(self, thread: int = 2) -> None:
        self.pool = ThreadPoolExecutor(max_workers=thread, thread_name_prefix="curit-lavori")
        self.annulla: dict[str, threading.Event] = {}

    def avvia(self, lavoro_id: str, settings: Settings, engine: Engine) -> None:
        self.annulla[lavoro_id] = threading.Event()
        self.pool.submit(self._esegui, lavoro_id, settings, engine)

    def _esegui(self, lavoro_id: str, settings: Settings, engine: Engine) -> None:
        from archive.lavori import aggiorna_lavoro
        from service.batch import esegui_lavoro

        flag = self.annulla[lavoro_id]

        def avanzamento(_stato: Any) -> None:
            if flag.is_set():
                raise Annullato()

        try:
            if flag.is_set():
                aggiorna_lavoro(engine, lavoro_id, stato="interrotto", messaggio="Annullato prima dell'avvio.")
                return
            esegui_lavoro(lavoro_id, settings=settings, engine=engine, avanzamento=avanzamento)
        except Annullato:
            aggiorna_lavoro(engine, lavoro_id, messaggio="Annullato dall'utente.")
        except AppError as exc:
            log.warning("Lavoro %s non riuscito: %s", lavoro_id, exc.message)
        except Exception:
            log.exception("Lavoro %s non riuscito", lavoro_id)
        finally:
            self.annulla.pop(lavoro_id, None)

    def chiudi(self) -> None:
        for flag in list(self.annulla.values()):
            flag.set()
        self.pool.shutdown(wait=True, cancel_futures=False)


_lock = threading.Lock()


def esecutore(app: FastAPI) -> _Esecutore:
    with _lock:
        if getattr(app.state, "curit_lavori", None) is None:
            app.state.curit_lavori = _Esecutore()
        return app.state.curit_lavori


@asynccontextmanager
async def _ciclo(app: FastAPI) -> AsyncIterator[None]:
    yield
    runner = getattr(app.state, "curit_lavori", None)
    if runner is not None:
        app.state.curit_lavori = None
        runner.chiudi()


router = APIRouter(prefix="/lavori", tags=["lavori"], lifespan=_ciclo)


def ambito(user: Principal) -> str:
    """The tenant key a job is filed under."""
    if user.ruolo == "admin":
        return "admin"
    return f"{user.ruolo}:{user.ente_id or user.cait_id or user.manutentore_id}"


def _chiave_audit(user: Principal, lavoro_id: str) -> str:
    return f"{ambito(user)}|{lavoro_id}"


def lavoro_visibile(session: Session, user: Principal, lavoro_id: str) -> None:
    """NotFound unless the caller's tenant created the job (admin sees every job)."""
    q = select(Audit.id).where(Audit.azione == "lavoro.crea")
    q = q.where(Audit.oggetto.like(f"%|{lavoro_id}")) if user.ruolo == "admin" else \
        q.where(Audit.oggetto == _chiave_audit(user, lavoro_id))
    if session.scalar(q.limit(1)) is None:
        raise NotFound(f"Lavoro {lavoro_id} inesistente.", path=("lavoro",))


class NuovoLavoro(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tipo: Annotated[str, Field(pattern=r"^(targhe|avvisi|esiti|moduli:[a-z0-9-]{1,40})$",
                               description="targhe, avvisi, esiti o moduli:<tipo di documento>")]
    codici: list[CodiceImpianto] | None = Field(default=None, max_length=MAX_RECORD)
    """Targhe: codici impianto of the caller's Ente (address and comune come from the catasto)."""
    dati: list[dict[str, Any]] | None = Field(default=None, max_length=MAX_RECORD)
    """Avvisi / esiti: the records, as for ``curit-docs batch``."""
    per_record: bool = False
    dividi_ogni: int | None = Field(default=None, ge=1, le=MAX_RECORD)
    dividi_per: Literal["cap", "comune"] | None = None
    foglio: str | None = Field(default=None, max_length=20)
    """Targhe: sheet profile (default A4-2x5)."""
    inizio: int = Field(default=1, ge=1, le=99)
    """Targhe: first free position of the first sheet (1-based)."""
    offset_x: float = Field(default=0.0, ge=-10, le=10)
    offset_y: float = Field(default=0.0, ge=-10, le=10)
    """Targhe: printer calibration, mm (positive: right / down)."""


def _codice_in(dati: Any) -> str | None:
    coda = [dati]
    while coda:
        nodo = coda.pop(0)
        if isinstance(nodo, dict):
            for k in ("codice_impianto", "codice_catasto"):
                if isinstance(nodo.get(k), str):
                    return nodo[k]
            coda.extend(v for v in nodo.values() if isinstance(v, (dict, list)))
        elif isinstance(nodo, list):
            coda.extend(nodo)
    return None


def _record_del_tenant(user: Principal, dati: list[dict[str, Any]], settings: Settings) -> None:
    """Every record must name an impianto whose competent Ente is the caller's (and no other Ente)."""
    if user.ruolo == "admin":
        return
    from service.enti import enti_da_settings

    enti = enti_da_settings(settings)
    for i, rec in enumerate(dati):
        codice = _codice_in(rec)
        if not codice or len(codice) < 6:
            raise RuleViolation("Ogni record deve indicare il codice impianto.", path=("dati", i, "codice_impianto"))
        try:
            competente = enti.competente(codice[:6]).id
        except AppError:
            raise RuleViolation(f"Codice impianto non valido: {codice}.", path=("dati", i, "codice_impianto")) from None
        if competente != user.ente_id or rec.get("ente_id") not in (None, user.ente_id):
            raise HTTPException(403, detail=f"Il record {i + 1} riguarda un impianto di un altro Ente.")


def _sorgente(body: NuovoLavoro, user: Principal, session: Session, settings: Settings) -> list[dict[str, Any]]:
    if body.tipo == "targhe":
        if not body.codici:
            raise RuleViolation("Indicare i codici degli impianti.", path=("codici",))
        return impianti_per_targhe(session, user, body.codici)
    if not body.dati:
        raise RuleViolation("Indicare i record da stampare.", path=("dati",))
    _record_del_tenant(user, body.dati, settings)
    return body.dati


def crea(body: NuovoLavoro, user: Principal, session: Session, settings: Settings, engine: Engine,
         app: FastAPI, request: Request) -> dict[str, Any]:
    """Create and queue a job (shared with the console)."""
    from service.batch import OpzioniUscita, crea_lavoro

    sorgente = _sorgente(body, user, session, settings)
    uscita = OpzioniUscita(per_record=body.per_record, dividi_ogni=body.dividi_ogni, dividi_per=body.dividi_per)
    session.commit()  # SQLite: the job registry writes in its own transaction
    opzioni = {k: v for k, v in (("foglio", body.foglio), ("offset_x", body.offset_x), ("offset_y", body.offset_y))
               if v} | ({"inizio": body.inizio} if body.inizio != 1 else {})
    if body.tipo.startswith("moduli:"):
        from service.registry import get_document_type

        get_document_type(body.tipo.split(":", 1)[1])  # unknown type: an error naming it, before anything is written
    lavoro_id, scarti = crea_lavoro(body.tipo, sorgente, settings=settings, engine=engine, uscita=uscita,
                                    opzioni=opzioni)
    audit(session, request, user, "lavoro.crea", oggetto=_chiave_audit(user, lavoro_id), tipo=body.tipo,
          record=len(sorgente))
    session.commit()
    esecutore(app).avvia(lavoro_id, settings, engine)
    return {"id": lavoro_id, "tipo": body.tipo, "scartati": [s.__dict__ for s in scarti]}


@router.post("", status_code=202, dependencies=[richiede("ente")])
def nuovo(body: NuovoLavoro, user: CurrentUser, session: SessionDep, settings: SettingsDep, state: StateDep,
          request: Request) -> dict[str, Any]:
    """Create a job and start it; poll ``GET /lavori/{id}`` for the progress."""
    return crea(body, user, session, settings, state.engine, request.app, request)


def stato(lavoro_id: str, user: Principal, session: Session, engine: Engine) -> dict[str, Any]:
    """Progress (percent, pages, rate, ETA) and, once done, the result files (shared with the console)."""
    from service.batch import stato_lavoro

    lavoro_visibile(session, user, lavoro_id)
    session.commit()  # SQLite: release the write lock before the job registry opens its own session
    row = stato_lavoro(engine, lavoro_id)
    totali = int(row["record_totali"] or 0)
    out = {k: v for k, v in row.items() if k not in ("cartella", "rapporto")}
    out["percentuale"] = 100 if row["stato"] == "completato" else (
        int(100 * int(row["record_fatti"] or 0) / totali) if totali else 0)
    file = list(row.get("uscite") or []) + (["rapporto.csv"] if row["stato"] == "completato" else [])
    out["file"] = sorted(file, key=lambda f: (_ordine_file(f), f))
    out["descrizioni"] = {f: descrizione_file(f) for f in out["file"]}
    out["scarti"] = _scarti(row.get("rapporto"))
    return out


def _scarti(rapporto: str | None, massimo: int = 500) -> list[dict[str, Any]]:
    """Records discarded or failed in a finished job, with their reason (the first ``massimo``)."""
    import json

    if not rapporto:
        return []
    try:
        righe = json.loads(FsPath(rapporto).read_text(encoding="utf-8")).get("record", [])
    except (OSError, ValueError):
        return []
    return [{"n": r.get("n"), "chiave": r.get("chiave"), "stato": r.get("stato"), "motivo": r.get("motivo")}
            for r in righe if r.get("stato") in ("scartato", "fallito")][:massimo]


def _ordine_file(nome: str) -> int:
    return 2 if nome.endswith(".csv") else 1 if nome.endswith(".firmato.pdf") else 0


def descrizione_file(nome: str) -> str:
    """What a result file is for, in Italian: the file to print, the signed copy for the record,
    the report of the records (done and discarded, with the reason)."""
    import re

    parte = re.search(r"-(\d+)(?:\.firmato)?\.pdf$", nome)
    di = f", parte {int(parte.group(1))}" if parte else ""
    if nome.endswith(".firmato.pdf"):
        return f"Copia firmata per gli atti{di}: da conservare, non da stampare"
    if nome.endswith(".pdf"):
        return f"File da stampare{di}"
    if nome == "rapporto.csv":
        return "Rapporto dei record: stampati e scartati con il motivo (CSV)"
    return nome


@router.get("/{lavoro_id}")
def progresso(lavoro_id: LavoroId, user: CurrentUser, session: SessionDep, state: StateDep) -> dict[str, Any]:
    """State and progress of one of the caller's jobs."""
    return stato(lavoro_id, user, session, state.engine)


@router.get("")
def elenco(user: CurrentUser, session: SessionDep, state: StateDep) -> list[dict[str, Any]]:
    """The caller's tenant's latest jobs (newest first)."""
    q = select(Audit.oggetto).where(Audit.azione == "lavoro.crea")
    if user.ruolo != "admin":
        q = q.where(Audit.oggetto.like(f"{ambito(user)}|%"))
    ids = [o.rpartition("|")[2] for o in session.scalars(q.order_by(Audit.id.desc()).limit(50))]
    return [stato(i, user, session, state.engine) for i in ids]


@router.post("/{lavoro_id}/annullamento", dependencies=[richiede("ente")])
def annulla(lavoro_id: LavoroId, user: CurrentUser, session: SessionDep, state: StateDep,
            request: Request) -> dict[str, Any]:
    """Stop a running job after its current chunk (state ``interrotto``); 409 once it has ended."""
    from domain.errors import Conflict

    lavoro_visibile(session, user, lavoro_id)
    flag = getattr(request.app.state, "curit_lavori", None)
    flag = flag.annulla.get(lavoro_id) if flag is not None else None
    if flag is None:
        raise Conflict("Il lavoro è già concluso e non può essere annullato.", path=("lavoro",))
    flag.set()
    audit(session, request, user, "lavoro.annulla", oggetto=_chiave_audit(user, lavoro_id))
    return {"id": lavoro_id, "annullamento": "richiesto"}


def file_risultato(lavoro_id: str, nome: str, user: Principal, session: Session, engine: Engine) -> FsPath:
    """Path of a result file of a finished job; only names listed in its report are served."""
    from archive.lavori import get_lavoro

    info = stato(lavoro_id, user, session, engine)
    if nome not in info["file"]:
        raise NotFound(f"Il lavoro {lavoro_id} non ha prodotto il file {nome}.", path=("nome",))
    return FsPath(get_lavoro(engine, lavoro_id).cartella) / nome


@router.get("/{lavoro_id}/file/{nome}", response_class=FileResponse,
            responses={200: {"content": {"application/pdf": {}, "text/csv": {}}}})
def scarica(lavoro_id: LavoroId, nome: Annotated[str, Path(max_length=120, pattern=r"^[\w.-]+$")],
            user: CurrentUser, session: SessionDep, state: StateDep, request: Request) -> FileResponse:
    """Download a result file (the print PDF(s) or ``rapporto.csv``) of a finished job."""
    percorso = file_risultato(lavoro_id, nome, user, session, state.engine)
    audit(session, request, user, "lavoro.scarica", oggetto=_chiave_audit(user, lavoro_id), file=nome)
    media = "text/csv" if nome.endswith(".csv") else "application/pdf"
    return FileResponse(percorso, media_type=media, filename=f"{lavoro_id}-{nome}")
