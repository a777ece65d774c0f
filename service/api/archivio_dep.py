"""The archive behind the API: one ``Archivio`` per app, and the caller's tenant as query criteria.

- :func:`archivio_per` opens the configured archive lazily on first use (``service.archivio_apertura.
  apri_archivio``: migrated index, Object Lock bucket ready) and keeps it on ``app.state``,
  with the background drain of its outbox (``service.archivio_coda.Svuotatore``);
  :func:`ciclo_archivio` (a router lifespan) closes it when the app stops.
- :func:`limita_al_tenant` installs the caller's scope on the request's database session as
  ``with_loader_criteria`` on every ORM query of :class:`archive.indice.Documento`: a document
  outside the scope does not exist for that caller (search skips it, a lookup answers 404).
  The scope per role, from issue 9:

  ============  ======================================================================
  admin         everything
  ente          documents of its Ente (its territory)
  archivista    documents of its Ente, read-only (the write routes never admit it)
  ispettore     rapporti (allegati F, G, A, B) of its Ente
  cait          documents received or issued by that CAIT
  manutentore   documents whose manutentore is that company (ragione sociale, P.IVA or user)
  ============  ======================================================================

With SQLite every transaction takes the write lock at BEGIN, so a route releases its own
transaction (:func:`rilascia`) before the archive opens a session of its own.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from sqlalchemy import ColumnElement, event, false, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from archive.anagrafiche import Manutentore
from archive.indice import Documento
from service.api.deps import CurrentUser, Principal, SessionDep, SettingsDep
from service.archivio import Archivio
from service.archivio_apertura import apri_archivio
from service.settings import Settings

__all__ = [
    "ArchivioDep",
    "ScopedSession",
    "TIPI_RAPPORTO",
    "archivio_per",
    "ciclo_archivio",
    "condizione_tenant",
    "limita_al_tenant",
    "rilascia",
    "puo_scrivere_ente",
    "titolare_scrittura",
]

TIPI_RAPPORTO = ("allegato-g", "allegato-f", "allegato-a", "allegato-b")
TIPI_ISPETTORE = (*TIPI_RAPPORTO, "lettera-esito", "avviso-ispezione")
"""What an inspector sees of its Ente's archive: the rapporti, and the letters and avvisi of its inspections."""
"""Rapporti di controllo tecnico (G, F) and rapporti di prova (A, B): what an ispettore reads."""

_lock = threading.Lock()


@dataclass
class _Aperto:
    archivio: Archivio
    stack: ExitStack


def archivio_per(app: FastAPI, settings: Settings) -> Archivio:
    """The app's archive, opened on first use (an embedded SeaweedFS when no S3 is configured)."""
    aperto: _Aperto | None = getattr(app.state, "curit_archivio", None)
    if aperto is not None:
        return aperto.archivio
    with _lock:
        aperto = getattr(app.state, "curit_archivio", None)
        if aperto is None:
            stack = ExitStack()
            try:
                archivio = stack.enter_context(apri_archivio(settings))
            except BaseException:
                stack.close()
                raise
            from service.firma import verifica_documento

            archivio = replace(archivio, verifica=partial(verifica_documento, settings=settings))
            from service.archivio_coda import avvia_svuotatore

            svuotatore = avvia_svuotatore(archivio, settings, nome="curit-coda-api")
            if svuotatore is not None:  # stopped first when the app stops (ExitStack: last in, first out)
                stack.callback(svuotatore.ferma)
            aperto = _Aperto(archivio, stack)
            app.state.curit_archivio = aperto
    return aperto.archivio


@asynccontextmanager
async def ciclo_archivio(app: FastAPI) -> AsyncIterator[None]:
    """Router lifespan: with an S3 endpoint configured (``curit-docs serve`` always sets one) open
    the archive before the first request; close it (engine, embedded S3) when the app stops."""
    from service.api.deps import get_settings_dep

    settings = app.dependency_overrides.get(get_settings_dep, get_settings_dep)()
    if settings.s3_endpoint:
        archivio_per(app, settings)
    yield
    aperto: _Aperto | None = getattr(app.state, "curit_archivio", None)
    if aperto is not None:
        app.state.curit_archivio = None
        aperto.stack.close()


def _archivio(request: Request, settings: SettingsDep, session: SessionDep) -> Archivio:
    if getattr(request.app.state, "curit_archivio", None) is None:
        rilascia(session)  # opening migrates the index: SQLite needs the write lock this request holds
    return archivio_per(request.app, settings)


ArchivioDep = Annotated[Archivio, Depends(_archivio)]


def _identita_manutentore(session: Session, manutentore_id: int) -> list[str]:
    m = session.get(Manutentore, manutentore_id)
    if m is None:
        return []
    return [v for v in (m.ragione_sociale, m.partita_iva, m.username) if v]


def condizione_tenant(session: Session, user: Principal) -> ColumnElement[bool] | None:
    """The caller's scope on ``Documento`` (None = unrestricted, admin only)."""
    if user.ruolo == "admin":
        return None
    if user.ruolo in ("ente", "archivista") and user.ente_id:
        return Documento.ente == user.ente_id
    if user.ruolo == "ispettore" and user.ente_id:
        return (Documento.ente == user.ente_id) & Documento.tipo.in_(TIPI_ISPETTORE)
    if user.ruolo == "cait" and user.cait_id:
        return Documento.cait == user.cait_id
    if user.ruolo == "manutentore" and user.manutentore_id is not None:
        nomi = _identita_manutentore(session, user.manutentore_id)
        return Documento.manutentore.in_(nomi) if nomi else false()
    return false()


def limita_al_tenant(session: Session, user: Principal) -> Session:
    """Restrict every later ORM query of ``Documento`` on ``session`` to the caller's scope."""
    condizione = condizione_tenant(session, user)
    if condizione is None:
        return session

    def _criterio(state: ORMExecuteState) -> None:
        if state.is_select and not state.is_column_load and not state.is_relationship_load:
            state.statement = state.statement.options(
                with_loader_criteria(Documento, condizione, include_aliases=True))

    event.listen(session, "do_orm_execute", _criterio)
    return session


def _scoped(session: SessionDep, user: CurrentUser) -> Session:
    return limita_al_tenant(session, user)


ScopedSession = Annotated[Session, Depends(_scoped)]
"""The request's session with the caller's archive scope installed."""


def rilascia(session: Session) -> None:
    """End the request's transaction before the archive opens its own (SQLite write lock)."""
    session.commit()


def puo_scrivere_ente(user: Principal, ente: str | None) -> str:
    """The Ente a write acts for: an Ente user's own; admin names one. 403 for anyone else."""
    if user.ruolo == "admin":
        if not ente:
            from domain.errors import RuleViolation

            raise RuleViolation("Indicare l'Ente per cui operare.", path=("ente",))
        return ente
    if user.ruolo != "ente" or not user.ente_id or (ente and ente != user.ente_id):
        raise HTTPException(403)
    return user.ente_id


def _vietato(campo: str, testo: str) -> HTTPException:
    return HTTPException(403, detail=f"Campo «{campo}»: {testo}")


def titolare_scrittura(session: Session, user: Principal, ente: str | None,
                       cait: str | None) -> tuple[str | None, str | None]:
    """Who owns a document the caller archives (issue 12), from the caller, never from the form:

    * an Ente archives only for itself (``ente`` empty or its own; no ``cait``);
    * a CAIT only as itself (``cait`` empty or its own), for itself or an Ente it serves
      (a convenzione in ``cait_enti``);
    * admin names what it acts for.

    Anything else is 403 with the field at fault."""
    from archive.anagrafiche import CaitEnte

    ente = (ente or "").strip() or None
    cait = (cait or "").strip() or None
    if user.ruolo == "admin":
        return ente, cait
    if user.ruolo == "ente" and user.ente_id:
        if ente and ente != user.ente_id:
            raise _vietato("ente", f"un Ente archivia solo per sé stesso ({user.ente_id}), non per {ente}.")
        if cait:
            raise _vietato("cait", "un Ente non può archiviare a nome di un CAIT.")
        return user.ente_id, None
    if user.ruolo == "cait" and user.cait_id:
        if cait and cait != user.cait_id:
            raise _vietato("cait", f"un CAIT archivia solo a proprio nome ({user.cait_id}), non per {cait}.")
        if ente and session.get(CaitEnte, (user.cait_id, ente)) is None:
            raise _vietato("ente", f"il CAIT {user.cait_id} non ha una convenzione con l'Ente {ente}: "
                                   "non può archiviare documenti a suo nome.")
        return ente, user.cait_id
    raise HTTPException(403)


def documento_visibile(session: Session, documento_id: str) -> dict[str, Any]:
    """The index record if the (scoped) session may see it; NotFound otherwise."""
    from archive import indice as idx

    return idx.as_dict(idx.documento(session, documento_id))
