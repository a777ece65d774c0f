"""Public verification page of a printed document: ``GET /verifica/<id>`` (no login).

The page a phone opens from the legend under the contrassegno a stampa. It says whether the
document exists in the archive, whether the archived bytes are intact (SHA-256 of the stored
object against the index), whether it is still kept and its signature was valid at archiving,
and shows non-personal metadata only (type, date, issuing organisation, codice impianto). A
logged-in console user gets a link to the document page, where the usual tenant rights decide.
Rate-limited per client address; a GET never changes anything.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Annotated

from pathlib import Path as FsPath

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import Response

from domain.errors import AppError, NotFound, RuleViolation
from service.api.archivio_dep import ArchivioDep, rilascia
from service.api.deps import SessionDep, SettingsDep, StateDep
from service.api.routes.console import ConsoleUser, Csrf, _errore
from service.console import pagina, utente_da_cookie

router = APIRouter(include_in_schema=False)

RICHIESTE_PER_MINUTO = 30
"""Anonymous look-ups per client address per minute (ids are random: this stops enumeration)."""

_lock = threading.Lock()
_finestre: dict[str, list[float]] = {}


def _limita(request: Request) -> bool:
    """True when this address is within its allowance (sliding window of 60 s)."""
    chi = request.client.host if request.client else "?"
    ora = time.monotonic()
    with _lock:
        if len(_finestre) > 10_000:
            _finestre.clear()
        recenti = [t for t in _finestre.get(chi, []) if ora - t < 60]
        if len(recenti) >= RICHIESTE_PER_MINUTO:
            _finestre[chi] = recenti
            return False
        recenti.append(ora)
        _finestre[chi] = recenti
        return True


def _titolo(tipo: str) -> str:
    from service.registry import DOCUMENT_TYPES

    return DOCUMENT_TYPES[tipo].title if tipo in DOCUMENT_TYPES else tipo


@router.get("/verifica/{documento_id}")
def verifica_pubblica(request: Request, documento_id: Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{8,64}$")],
                      state: StateDep, session: SessionDep, archivio: ArchivioDep) -> Response:
    utente = utente_da_cookie(request, state, session)
    if not _limita(request):
        return pagina(request, "errore", utente=utente, titolo="Troppe richieste", status=429, codice=429,
                      messaggio=f"Troppe verifiche da questo indirizzo: al massimo {RICHIESTE_PER_MINUTO} al minuto. "
                                "Riprovare tra un minuto.")
    esito: dict[str, object] = {"id": documento_id}
    try:
        record = archivio.record(documento_id)
    except NotFound:
        return pagina(request, "pubblico/verifica", utente=utente, titolo="Verifica di un documento", status=404,
                      esito={**esito, "esiste": False})
    esito.update(esiste=True, tipo=_titolo(record["tipo"]), data=record["data_documento"],
                 codice_impianto=record.get("codice_impianto"), emittente=record.get("ente") or record.get("cait"),
                 firma_valida=record.get("firma_valida"), smaltito=record.get("smaltito_il"),
                 conservato_fino=record.get("conservare_fino") or record.get("scadenza_conservazione"))
    if not record.get("smaltito_il") and record.get("s3_key"):
        try:
            dati = archivio.store.get(record["s3_key"], record["version_id"])
            esito["integro"] = hashlib.sha256(dati).hexdigest() == record["sha256"]
        except AppError:
            esito["integro"] = None  # storage unreachable: said on the page, nothing assumed
    return pagina(request, "pubblico/verifica", utente=utente, titolo="Verifica di un documento", esito=esito)


@router.get("/verifica/impianto/{codice}")
def verifica_impianto(request: Request, codice: Annotated[str, Path(max_length=40)],
                      state: StateDep, session: SessionDep) -> Response:
    """The page a phone opens from the QR of a targa: whether the impianto is in the catasto and
    whether its last dichiarazione (Allegato G or F in the archive) is within validity
    (DGR 18/09/2007: two stagioni termiche, ``domain.stagione.validita_dichiarazione``).
    No personal data (no address, no responsabile); rate-limited like ``/verifica/<id>``; read-only."""
    from archive.catasto import get_impianto
    from archive.indice import FiltroRicerca, cerca
    from domain.stagione import validita_dichiarazione
    from datetime import datetime
    from zoneinfo import ZoneInfo

    utente = utente_da_cookie(request, state, session)
    if not _limita(request):
        return pagina(request, "errore", utente=utente, titolo="Troppe richieste", status=429, codice=429,
                      messaggio=f"Troppe verifiche da questo indirizzo: al massimo {RICHIESTE_PER_MINUTO} al minuto. "
                                "Riprovare tra un minuto.")
    titolo = "Verifica di un impianto termico"
    try:
        impianto = get_impianto(session, codice.strip().upper())
    except RuleViolation as exc:
        return pagina(request, "pubblico/impianto", utente=utente, titolo=titolo, status=400,
                      esito={"codice": codice, "errore": str(exc)})
    except NotFound:
        return pagina(request, "pubblico/impianto", utente=utente, titolo=titolo, status=404,
                      esito={"codice": codice, "registrato": False})
    esito: dict[str, object] = {"codice": impianto.codice_impianto, "registrato": True, "stato": impianto.stato,
                                "comune": impianto.comune, "provincia": impianto.provincia, "ente": impianto.ente_id}
    ultime = [d for tipo in ("allegato-g", "allegato-f")
              for d in cerca(session, FiltroRicerca(codice_impianto=impianto.codice_impianto, tipo=tipo), limite=1).documenti]
    if ultime:
        ultima = max(ultime, key=lambda d: d.data_documento)
        dal, al = validita_dichiarazione(ultima.data_documento)
        oggi = datetime.now(ZoneInfo("Europe/Rome")).date()
        esito.update(dichiarazione=_titolo(ultima.tipo), data=ultima.data_documento.isoformat(), valida_dal=dal.isoformat(),
                     valida_al=al.isoformat(),
                     valida=dal <= oggi <= al, futura=oggi < dal)
    return pagina(request, "pubblico/impianto", utente=utente, titolo=titolo, esito=esito)


_MAX_SCANSIONE = 20_000_000


@router.post("/console/verifica-stampa", dependencies=[Csrf])
def verifica_scansione_console(request: Request, utente: ConsoleUser, session: SessionDep, archivio: ArchivioDep,
                               settings: SettingsDep,
                               file: Annotated[UploadFile, File()]) -> Response:
    """The console's Verifica page with a photo or scan of a printed page: the contrassegno checked
    like ``curit-docs verifica-stampa`` (seal, then archive)."""
    from service.contrassegno import verifica_bytes_stampa

    rilascia(session)  # the archive reads through its own connection (SQLite: one writer)
    dati = file.file.read(_MAX_SCANSIONE + 1)
    try:
        if len(dati) > _MAX_SCANSIONE:
            raise RuleViolation("La scansione supera i 20 MB.", path=("file",))
        suffisso = FsPath(file.filename or "scansione.png").suffix.lower() or ".png"
        esiti = verifica_bytes_stampa(dati, suffisso if suffisso in (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf")
                                      else ".png", settings, archivio)
    except AppError as exc:
        return _errore(request, utente, exc)
    return pagina(request, "verifica", utente=utente, titolo="Verifica un PDF", esito=None, esiti_stampa=esiti,
                  nome_file=file.filename)
