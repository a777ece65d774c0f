"""The Ente's mass printing from uploaded files, over HTTP (the console pages call the same functions).

- ``POST /stampe/targhe/file``: a text/CSV file of codici impianto (the first field of each line)
  → a plates job of the impianti found in the caller's catasto; lines without a valid codice and
  codici not in the catasto are reported line by line, never printed.
- ``POST /stampe/{avvisi|esiti}/file``: a JSON list (an inspection plan, or rapporti di prova with
  protocollo, data and funzionario, as for ``curit-docs batch``) → a job of avvisi or lettere di esito.
- ``POST /stampe/esiti/archivio``: lettere di esito from the rapporti di prova already in the caller's
  archive (period, type, esito; ``service.stampe``).
- ``POST /stampe/moduli/{tipo}/file``: any form (Allegato A … M) for a CSV/JSON list of records.
- ``POST /distributori/importazione``: the distributors' yearly file (``curit-docs
  importa-distributore``) → new impianti "da ispezionare" in the caller's catasto, a line-by-line
  error report and, on request, a plates job of the impianti just created.

Jobs run on the in-process runner of :mod:`service.api.routes.lavori` with the same tenancy.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from datetime import date

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as ApiPath
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from archive.catasto import ImpiantoCatasto
from domain.errors import RuleViolation
from service.api.deps import CurrentUser, Principal, SessionDep, SettingsDep, StateDep, audit, richiede
from service.api.routes import lavori as api_lavori
from service.settings import Settings

router = APIRouter(tags=["stampe"])

MAX_FILE = 20 * 1024 * 1024
CODICE = re.compile(r"^[0-9]{6}[A-Z]{2}[0-9]{7}$")


def leggi_file(file: UploadFile | None, campo: str = "file") -> bytes:
    """The uploaded bytes (at most 20 MB); RuleViolation naming ``campo`` when missing or too big."""
    if file is None or not file.filename:
        raise RuleViolation("Scegliere il file da caricare.", path=(campo,))
    data = file.file.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise RuleViolation("Il file supera la dimensione massima consentita (20 MB).", path=(campo,))
    if not data.strip():
        raise RuleViolation("Il file caricato è vuoto.", path=(campo,))
    return data


def _testo(data: bytes, campo: str = "file") -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleViolation("Il file non è un testo UTF-8.", path=(campo,)) from None


def codici_da_file(data: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    """Codici impianto of a text/CSV file (first field of each line, ``;`` ``,`` or tab separated;
    a first line without a codice is a header) and the refused lines ``{riga, valore, motivo}``."""
    codici: list[str] = []
    scarti: list[dict[str, Any]] = []
    for n, linea in enumerate(_testo(data).splitlines(), start=1):
        valore = re.split(r"[;,\t]", linea, maxsplit=1)[0].strip().strip('"').upper()
        if not valore:
            continue
        if CODICE.match(valore):
            if valore not in codici:
                codici.append(valore)
            continue
        if n == 1 and not any(c.isdigit() for c in valore):
            continue  # header
        scarti.append({"riga": n, "valore": valore[:40], "motivo": "Codice impianto non valido: servono 6 cifre "
                       "del comune, 2 lettere e 7 cifre (es. 020066IN0000001)."})
    return codici, scarti


def nel_catasto(session: Session, user: Principal, codici: list[str]) -> tuple[list[str], list[str]]:
    """``codici`` split into those in the caller's catasto (admin: any) and the others."""
    q = select(ImpiantoCatasto.codice_impianto).where(ImpiantoCatasto.codice_impianto.in_(set(codici)))
    if user.ruolo != "admin":
        q = q.where(ImpiantoCatasto.ente_id == user.ente_id)
    trovati = set(session.scalars(q))
    return [c for c in codici if c in trovati], [c for c in codici if c not in trovati]


def targhe_da_file(data: bytes, user: Principal, session: Session, settings: Settings, engine: Engine,
                   request: Request, dividi_ogni: int | None = None, **foglio: Any) -> dict[str, Any]:
    """A plates job from an uploaded list of codici; the refused lines in ``righe_scartate``."""
    codici, scarti = codici_da_file(data)
    if not codici and not scarti:
        raise RuleViolation("Il file non contiene codici impianto.", path=("file",))
    presenti, assenti = nel_catasto(session, user, codici)
    righe = {c: n for n, c in enumerate(codici)}
    scarti += [{"riga": None, "valore": c, "motivo": "Impianto non presente nel catasto dell'Ente."} for c in assenti]
    if not presenti:
        raise RuleViolation(f"Nessun impianto del file è nel catasto dell'Ente ({len(scarti)} righe scartate).",
                            path=("file",))
    presenti.sort(key=righe.__getitem__)
    body = api_lavori.NuovoLavoro(tipo="targhe", codici=presenti, dividi_ogni=dividi_ogni,
                                  **{k: v for k, v in foglio.items() if v is not None})
    creato = api_lavori.crea(body, user, session, settings, engine, request.app, request)
    return {**creato, "righe_scartate": scarti}


def lavoro_da_json(tipo: Literal["avvisi", "esiti"], data: bytes, user: Principal, session: Session,
                   settings: Settings, engine: Engine, request: Request, *, per_record: bool = False,
                   dividi_ogni: int | None = None, dividi_per: Literal["cap", "comune"] | None = None) -> dict[str, Any]:
    """A job of avvisi (from an inspection plan) or lettere di esito (from rapporti) from a JSON list."""
    try:
        dati = json.loads(_testo(data))
    except ValueError as exc:
        raise RuleViolation(f"Il file non è un JSON valido (riga {getattr(exc, 'lineno', '?')}).", path=("file",)) from None
    if not isinstance(dati, list) or not all(isinstance(d, dict) for d in dati):
        raise RuleViolation("Il file deve contenere un elenco JSON di record ([{...}, ...]).", path=("file",))
    if len(dati) > api_lavori.MAX_RECORD:
        raise RuleViolation(f"Il file ha {len(dati)} record: al massimo {api_lavori.MAX_RECORD} per lavoro "
                            "(per elenchi più lunghi: curit-docs batch).", path=("file",))
    body = api_lavori.NuovoLavoro(tipo=tipo, dati=dati, per_record=per_record, dividi_ogni=dividi_ogni,
                                  dividi_per=dividi_per)
    return api_lavori.crea(body, user, session, settings, engine, request.app, request)


def importa(data: bytes, nome: str, user: Principal, session: Session, settings: Settings, engine: Engine,
            request: Request, *, tipologia: str = "IN") -> dict[str, Any]:
    """Import the distributors' file into the caller's catasto (admin: ``ente_id`` required)."""
    from service.batch.import_distributori import importa_distributore

    if not user.ente_id:
        raise RuleViolation("L'importazione riguarda il catasto di un Ente: accedere come utente dell'Ente.",
                            path=("ente",))
    _testo(data)
    session.commit()  # SQLite: the import writes in its own transaction
    with tempfile.TemporaryDirectory(prefix="curit-distr-") as d:
        percorso = Path(d) / (Path(nome or "distributore.csv").name or "distributore.csv")
        percorso.write_bytes(data)
        esito = importa_distributore(percorso, engine=engine, ente_id=user.ente_id, tipologia=tipologia)
    out = esito.as_dict()
    audit(session, request, user, "distributore.importa", oggetto=nome[:120], creati=len(esito.creati),
          gia_presenti=len(esito.gia_presenti), errori=len(esito.errori))
    session.commit()
    return out


def targhe_importati(esito: dict[str, Any], user: Principal, session: Session, settings: Settings, engine: Engine,
                     request: Request) -> dict[str, Any]:
    codici = [c["codice_impianto"] for c in esito["creati"]]
    if not codici:
        raise RuleViolation("Nessun nuovo impianto da ispezionare: nessuna targa da stampare.", path=("targhe",))
    body = api_lavori.NuovoLavoro(tipo="targhe", codici=codici)
    return api_lavori.crea(body, user, session, settings, engine, request.app, request)


def esiti_archivio(sel: Any, user: Principal, session: Session, settings: Settings, engine: Engine, request: Request,
                   *, protocollo: str, funzionario: str, data_lettera: Any, per_record: bool = False,
                   dividi_ogni: int | None = None, dividi_per: Literal["cap", "comune"] | None = None) -> dict[str, Any]:
    """A job of lettere di esito from the caller's archived rapporti di prova (``service.stampe``)."""
    from service.api.archivio_dep import archivio_per, limita_al_tenant
    from service.stampe import esiti_da_archivio

    archivio = archivio_per(request.app, settings)
    trovati = esiti_da_archivio(limita_al_tenant(session, user), lambda i: archivio.recupera(i).dati, sel,
                                protocollo=protocollo, funzionario=funzionario, data_lettera=data_lettera)
    if not trovati.dati:
        motivo = (f"{trovati.esclusi} con un altro esito" if trovati.esclusi else "") + \
            (f"{', ' if trovati.esclusi else ''}{len(trovati.scartati)} non leggibili" if trovati.scartati else "")
        raise RuleViolation(f"Nessun rapporto da cui stampare lettere ({trovati.letti} letti: {motivo or 'nessuno'}).",
                            path=("esito",))
    body = api_lavori.NuovoLavoro(tipo="esiti", dati=trovati.dati, per_record=per_record, dividi_ogni=dividi_ogni,
                                  dividi_per=dividi_per)
    creato = api_lavori.crea(body, user, session, settings, engine, request.app, request)
    scarti = trovati.scartati + [{"riga": s["riga"], "valore": s["chiave"], "motivo": s["motivo"]}
                                 for s in creato.get("scartati", [])]
    return {**creato, "rapporti": len(trovati.dati), "esclusi_per_esito": trovati.esclusi, "righe_scartate": scarti}


def moduli_file(tipo: str, data: bytes, nome: str, user: Principal, session: Session, settings: Settings,
                engine: Engine, request: Request, *, per_record: bool = False,
                dividi_ogni: int | None = None) -> dict[str, Any]:
    """A ``moduli:<tipo>`` job from an uploaded CSV/JSON list; refused lines, naming the field, in
    ``righe_scartate`` (CSV: the file's line number)."""
    from service.stampe import record_da_file

    tipo_modulo(tipo)
    dati, primo = record_da_file(data, nome)
    body = api_lavori.NuovoLavoro(tipo=f"moduli:{tipo}", dati=dati, per_record=per_record, dividi_ogni=dividi_ogni)
    sposta = primo - 1 if primo else 0
    try:
        creato = api_lavori.crea(body, user, session, settings, engine, request.app, request)
    except RuleViolation as exc:
        if exc.path[:1] == ("dati",) and len(exc.path) > 1 and isinstance(exc.path[1], int):
            riga = exc.path[1] + (sposta or 1)
            raise RuleViolation(f"Riga {riga}: {exc.message}", path=("file",)) from None
        if exc.path == ("sorgente",):  # no valid record: say why, line by line
            from service.batch.tipi import tipo_lotto

            _, scarti = tipo_lotto(f"moduli:{tipo}").records(dati, {})
            altre = f" (e altre {len(scarti) - 10} righe)" if len(scarti) > 10 else ""
            raise RuleViolation("Nessun record valido da stampare. " + " · ".join(
                f"Riga {s.riga + sposta}: {s.motivo}" for s in scarti[:10]) + altre, path=("file",)) from None
        raise
    scarti = [{"riga": s["riga"] + sposta, "valore": s["chiave"], "motivo": s["motivo"]} for s in creato["scartati"]]
    return {**creato, "righe_scartate": scarti}


def tipi_modulo() -> list[tuple[str, str]]:
    """The form types a list of records can be printed as (code, title)."""
    from service.registry import _entries

    return [(t.code, t.title) for t in _entries() if t.code.startswith("allegato-")]


def tipo_modulo(tipo: str) -> str:
    if tipo not in dict(tipi_modulo()):
        raise RuleViolation("Modulo: scegliere uno dei modelli elencati.", path=("tipo",))
    return tipo


class RichiestaEsitiArchivio(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dal: date | None = None
    al: date | None = None
    tipi: list[Literal["allegato-a", "allegato-b"]] = Field(default_factory=lambda: ["allegato-a", "allegato-b"],
                                                            min_length=1)
    esito: Literal["", "9.a", "9.b"] = ""
    protocollo: str = Field(max_length=30, description="protocollo della prima lettera; i seguenti crescono di uno")
    funzionario: str = Field(max_length=60)
    data_lettera: date
    per_record: bool = False
    dividi_ogni: int | None = Field(default=None, ge=1, le=10_000)
    dividi_per: Literal["cap", "comune"] | None = None


Upload = Annotated[UploadFile, File(description="Il file da caricare")]


@router.post("/stampe/esiti/archivio", status_code=202, dependencies=[richiede("ente")])
def esiti_da_archivio(body: RichiestaEsitiArchivio, user: CurrentUser, session: SessionDep, settings: SettingsDep,
                      state: StateDep, request: Request) -> dict[str, Any]:
    """Lavoro di stampa delle lettere di esito dai rapporti di prova (Allegati A e B) già nell'archivio
    dell'Ente, scelti per periodo, tipo ed esito; i rapporti non leggibili, con il motivo, in
    ``righe_scartate``."""
    from service.stampe import Selezione

    sel = Selezione(dal=body.dal, al=body.al, tipi=tuple(body.tipi), esito=body.esito)
    return esiti_archivio(sel, user, session, settings, state.engine, request, protocollo=body.protocollo,
                          funzionario=body.funzionario, data_lettera=body.data_lettera, per_record=body.per_record,
                          dividi_ogni=body.dividi_ogni, dividi_per=body.dividi_per)


@router.post("/stampe/moduli/{tipo}/file", status_code=202, dependencies=[richiede("ente")])
def moduli(tipo: Annotated[str, ApiPath(max_length=40, pattern=r"^[a-z0-9-]+$")], file: Upload, user: CurrentUser,
           session: SessionDep, settings: SettingsDep, state: StateDep, request: Request,
           per_record: Annotated[bool, Form()] = False,
           dividi_ogni: Annotated[int | None, Form(ge=1, le=10_000)] = None) -> dict[str, Any]:
    """Lavoro di stampa di un modulo (Allegato A … M) per un elenco di record: CSV con «;» e una prima
    riga dei nomi dei campi (``a.b`` per i campi annidati) oppure elenco JSON; le righe rifiutate, con
    la riga e il campo, in ``righe_scartate``."""
    return moduli_file(tipo, leggi_file(file), file.filename or "", user, session, settings, state.engine, request,
                       per_record=per_record, dividi_ogni=dividi_ogni)


@router.post("/stampe/targhe/file", status_code=202, dependencies=[richiede("ente")])
def targhe_file(file: Upload, user: CurrentUser, session: SessionDep, settings: SettingsDep, state: StateDep,
                request: Request, dividi_ogni: Annotated[int | None, Form(ge=1, le=10_000)] = None,
                foglio: Annotated[str | None, Form(max_length=20)] = None,
                inizio: Annotated[int, Form(ge=1, le=99)] = 1,
                offset_x: Annotated[float, Form(ge=-10, le=10)] = 0.0,
                offset_y: Annotated[float, Form(ge=-10, le=10)] = 0.0) -> dict[str, Any]:
    """Lavoro di stampa delle targhe da un file di codici impianto (testo o CSV, un codice per riga),
    con foglio, posizione iniziale e calibrazione della stampante (mm); le righe scartate, con il
    motivo, in ``righe_scartate``."""
    return targhe_da_file(leggi_file(file), user, session, settings, state.engine, request, dividi_ogni,
                          foglio=foglio, inizio=inizio, offset_x=offset_x, offset_y=offset_y)


@router.post("/stampe/{tipo}/file", status_code=202, dependencies=[richiede("ente")])
def lettere_file(tipo: Literal["avvisi", "esiti"], file: Upload, user: CurrentUser, session: SessionDep,
                 settings: SettingsDep, state: StateDep, request: Request,
                 per_record: Annotated[bool, Form()] = False,
                 dividi_ogni: Annotated[int | None, Form(ge=1, le=10_000)] = None,
                 dividi_per: Annotated[Literal["cap", "comune"] | None, Form()] = None) -> dict[str, Any]:
    """Lavoro di stampa degli avvisi di ispezione (dal piano delle ispezioni) o delle lettere di esito
    (dai rapporti di prova), da un elenco JSON; i record scartati, con il motivo, in ``scartati``."""
    return lavoro_da_json(tipo, leggi_file(file), user, session, settings, state.engine, request,
                          per_record=per_record, dividi_ogni=dividi_ogni, dividi_per=dividi_per)


@router.post("/distributori/importazione", dependencies=[richiede("ente")])
def distributori(file: Upload, user: CurrentUser, session: SessionDep, settings: SettingsDep, state: StateDep,
                 request: Request, targhe: Annotated[bool, Form()] = False,
                 tipologia: Annotated[Literal["IN", "CT", "TR"], Form()] = "IN") -> dict[str, Any]:
    """Importa il file annuale di un distributore di combustibile: nuovi impianti «da ispezionare» e
    errori riga per riga; con ``targhe=true`` avvia anche la stampa delle targhe dei nuovi impianti."""
    esito = importa(leggi_file(file), file.filename or "", user, session, settings, state.engine, request,
                    tipologia=tipologia)
    if targhe and esito["creati"]:
        esito["lavoro"] = targhe_importati(esito, user, session, settings, state.engine, request)
    return esito
