"""Archive: search, record, verified download, verification of an upload, archiving an upload,
legal hold, disposal, expired report; paper originals (where, register, request, sent/received,
overdue, notifications).

Tenancy lives in the queries (:mod:`service.api.archivio_dep`): a document outside the caller's
scope answers 404 exactly like an unknown one. Writes admit only the roles named on each route;
the archivista writes only the custody of its Ente's paper originals. Every retrieval, archiving, legal hold and disposal is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select

from archive import indice as idx
from archive import originali as orig
from archive.objectstore import sha256_hex
from domain.errors import RuleViolation
from service.api.archivio_dep import (
    ArchivioDep,
    ScopedSession,
    ciclo_archivio,
    documento_visibile,
    puo_scrivere_ente,
    rilascia,
    titolare_scrittura,
)
from service.api.deps import CurrentUser, Principal, SettingsDep, audit, richiede

router = APIRouter(prefix="/archivio", tags=["archivio"], lifespan=ciclo_archivio)

DocId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
                            description="Identificativo del documento")]
MAX_PDF = 20_000_000
RichiestaId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Numero della richiesta")]


class Corpo(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ricerca(BaseModel):
    codice_impianto: str | None = Field(default=None, max_length=20)
    etichetta: str | None = Field(default=None, max_length=40)
    responsabile_cf: str | None = Field(default=None, max_length=16)
    ente: str | None = Field(default=None, max_length=80)
    cait: str | None = Field(default=None, max_length=80)
    tipo: str | None = Field(default=None, max_length=40)
    dal: date | None = None
    al: date | None = None
    stagione: str | None = Field(default=None, pattern=r"^\d{4}/\d{4}$")
    limite: int = Field(default=50, ge=1, le=200)
    dopo: str | None = Field(default=None, max_length=200)


def cerca_documenti(session: ScopedSession, r: Ricerca) -> dict[str, Any]:
    """One page of the caller's documents (shared with the console)."""
    filtro = idx.FiltroRicerca(**r.model_dump(exclude={"limite", "dopo"}))
    pagina = idx.cerca(session, filtro, limite=r.limite, dopo=r.dopo)
    return {"documenti": [idx.as_dict(d) for d in pagina.documenti], "prossima": pagina.prossima}


@router.get("/documenti")
def cerca(user: CurrentUser, session: ScopedSession, r: Annotated[Ricerca, Query()]) -> dict[str, Any]:
    """Search the index within the caller's scope, newest first; ``prossima`` is the next page cursor."""
    return cerca_documenti(session, r)


@router.get("/documenti/{documento_id}")
def record(documento_id: DocId, user: CurrentUser, session: ScopedSession) -> dict[str, Any]:
    """The index record with the AgID metadata."""
    return documento_visibile(session, documento_id)


def scarica(documento_id: str, user: Principal, session: ScopedSession, archivio: ArchivioDep,
            request: Request) -> Response:
    """Verified bytes (hash and signature re-checked) as a PDF download (shared with the console)."""
    documento_visibile(session, documento_id)
    rilascia(session)
    doc = archivio.recupera(documento_id)
    audit(session, request, user, "archivio.recupera", oggetto=documento_id, sha256=doc.record["sha256"])
    if doc.anomalia:
        audit(session, request, user, "archivio.anomalia", oggetto=documento_id, anomalia=doc.anomalia)
    return Response(doc.dati, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{documento_id}.pdf"',
        "X-Curit-Sha256": doc.record["sha256"],
        "X-Curit-Firma": "assente" if not doc.firma.get("firmato") else ("valida" if doc.firma.get("valida") else "non valida"),
    })


@router.get("/documenti/{documento_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def recupera(documento_id: DocId, user: CurrentUser, session: ScopedSession, archivio: ArchivioDep,
             request: Request) -> Response:
    """Download a document after checking its SHA-256 and its signature (409 if either fails)."""
    return scarica(documento_id, user, session, archivio, request)


def leggi_pdf(file: UploadFile) -> bytes:
    """The uploaded bytes (sync: the routes that verify signatures run in the thread pool,
    because pyHanko's validator starts its own event loop)."""
    data = file.file.read(MAX_PDF + 1)
    if len(data) > MAX_PDF:
        raise RuleViolation("Il file supera la dimensione massima consentita (20 MB).", path=("file",))
    if not data.startswith(b"%PDF-"):
        raise RuleViolation("Il file caricato non è un PDF.", path=("file",))
    return data


def verifica_pdf(data: bytes, session: ScopedSession, settings: SettingsDep) -> dict[str, Any]:
    """Signature verdict of uploaded bytes and the archived documents with the same SHA-256."""
    from service.firma import verifica_documento

    impronta = sha256_hex(data)
    verdetto = verifica_documento(data, settings=settings).as_dict()
    uguali = session.scalars(select(idx.Documento).where(idx.Documento.sha256 == impronta).limit(20))
    archiviati = [{"id": d.id, "tipo": d.tipo, "codice_impianto": d.codice_impianto,
                   "data_documento": d.data_documento.isoformat()} for d in uguali]
    return {"sha256": impronta, "firma": verdetto, "archiviato": bool(archiviati), "documenti": archiviati}


@router.post("/verifica")
def verifica(file: Annotated[UploadFile, File(description="PDF da verificare")], user: CurrentUser,
             session: ScopedSession, settings: SettingsDep) -> dict[str, Any]:
    """Verify an uploaded PDF: signature verdict, and whether the same bytes are archived (in scope)."""
    return verifica_pdf(leggi_pdf(file), session, settings)


@router.post("/documenti", status_code=201, dependencies=[richiede("ente", "cait")])
def archivia(
    file: Annotated[UploadFile, File(description="PDF da archiviare")],
    user: CurrentUser, session: ScopedSession, archivio: ArchivioDep, request: Request,
    tipo: Annotated[str | None, Form(max_length=40)] = None,
    codice_impianto: Annotated[str | None, Form(max_length=20)] = None,
    data_documento: Annotated[date | None, Form()] = None,
    etichetta: Annotated[str | None, Form(max_length=40)] = None,
    responsabile_cf: Annotated[str | None, Form(max_length=16)] = None,
    manutentore: Annotated[str | None, Form(max_length=200)] = None,
    ente: Annotated[str | None, Form(max_length=80)] = None,
    cait: Annotated[str | None, Form(max_length=80)] = None,
) -> dict[str, Any]:
    """Archive an uploaded PDF for the caller's Ente or CAIT (metadata from its dati.json + form)."""
    from service.archivio_metadati import metadati_da_pdf

    data = leggi_pdf(file)
    ente, cait = titolare_scrittura(session, user, ente, cait)
    meta = metadati_da_pdf(data, tipo=tipo, codice_impianto=codice_impianto, data_documento=data_documento,
                           etichetta=etichetta, responsabile_cf=responsabile_cf, manutentore=manutentore,
                           ente=ente, cait=cait)
    rilascia(session)
    out = archivio.archivia(data, meta)
    audit(session, request, user, "archivio.archivia", oggetto=out["id"], stato=out["stato"], tipo=meta.tipo)
    return out


def coda_visibile(session: ScopedSession, user: Principal) -> dict[str, list[dict[str, Any]]]:
    """The caller's documents waiting in the outbox and its dead letters (S3 refused them for
    good), with the reason; shared with the console. An Ente (archivista) sees its own, a CAIT
    its own, admin all."""
    from archive.outbox import SCARTATA, VoceOutbox

    q = select(VoceOutbox).order_by(VoceOutbox.id.desc()).limit(200)
    if user.ruolo in ("ente", "archivista") and user.ente_id:
        q = q.where(VoceOutbox.titolare.like(f"{user.ente_id}|%"))
    elif user.ruolo == "cait" and user.cait_id:
        q = q.where(VoceOutbox.titolare.like(f"%|{user.cait_id}"))
    elif user.ruolo != "admin":
        raise HTTPException(403)
    out: dict[str, list[dict[str, Any]]] = {"in_coda": [], "scartati": []}
    for v in session.scalars(q):
        dati = v.indice or {}
        voce = {"id": v.documento_id, "tipo": dati.get("tipo"), "codice_impianto": dati.get("codice_impianto"),
                "data_documento": dati.get("data_documento"), "ente": dati.get("ente"), "cait": dati.get("cait"),
                "motivo": v.ultimo_errore, "tentativi": v.tentativi,
                "prossimo_tentativo": v.prossimo_tentativo.isoformat() if v.stato != SCARTATA else None,
                "scartato_il": v.scartata_il.isoformat() if v.scartata_il else None}
        out["scartati" if v.stato == SCARTATA else "in_coda"].append(voce)
    return out


def coda_console(session: ScopedSession, user: Principal) -> dict[str, list[dict[str, Any]]] | None:
    """:func:`coda_visibile` for the console's archive page; None for roles that have no outbox."""
    if user.ruolo not in ("admin", "ente", "archivista", "cait"):
        return None
    return coda_visibile(session, user)


@router.get("/coda", dependencies=[richiede("ente", "archivista", "cait")])
def coda(user: CurrentUser, session: ScopedSession) -> dict[str, Any]:
    """Documents of the caller waiting for the archive (retried automatically) and those the
    archive refused for good (``scartati``, with the reason)."""
    return coda_visibile(session, user)


class BloccoLegale(Corpo):
    attivo: bool
    motivo: str = Field(min_length=3, max_length=500)
    """E.g. the reference of the sanction procedure."""


@router.put("/documenti/{documento_id}/blocco-legale", dependencies=[richiede("ente")])
def blocco_legale(documento_id: DocId, body: BloccoLegale, user: CurrentUser, session: ScopedSession,
                  archivio: ArchivioDep, request: Request) -> dict[str, Any]:
    """Set or release the legal hold (Ente of the document, admin): no deletion while it is set."""
    documento_visibile(session, documento_id)
    rilascia(session)
    out = archivio.blocco_legale(documento_id, body.attivo, da=user.username)
    audit(session, request, user, "archivio.blocco_legale", oggetto=documento_id, attivo=body.attivo,
          motivo=body.motivo)
    return out


class Smaltimento(Corpo):
    motivo: str = Field(min_length=3, max_length=500)
    """Reason and reference of the authorisation to dispose (scarto)."""
    conferma: bool
    """Must be true: disposal deletes every stored version for good."""


@router.post("/documenti/{documento_id}/smaltimento", dependencies=[richiede("ente")])
def smaltisci(documento_id: DocId, body: Smaltimento, user: CurrentUser, session: ScopedSession,
              archivio: ArchivioDep, request: Request) -> dict[str, Any]:
    """Dispose of an expired document (Ente of the document, admin): explicit, confirmed, audited."""
    if not body.conferma:
        raise RuleViolation("Lo smaltimento è definitivo: confermare con conferma=true.", path=("conferma",))
    documento_visibile(session, documento_id)
    rilascia(session)
    out = archivio.smaltisci(documento_id, da=user.username, motivo=body.motivo, oggi=date.today())
    audit(session, request, user, "archivio.smaltisci", oggetto=documento_id, motivo=body.motivo)
    return out


@router.get("/scaduti", dependencies=[richiede("ente", "archivista")])
def scaduti(user: CurrentUser, session: ScopedSession, oggi: date | None = None) -> list[dict[str, Any]]:
    """Documents of the caller's Ente whose retention has ended (nothing is deleted)."""
    return [idx.as_dict(d) for d in idx.scaduti(session, oggi or date.today())]


# -- paper originals -------------------------------------------------------------------------


def _detentore(user: Principal) -> tuple[str, str]:
    """Who the caller is as a keeper of paper: its CAIT or its Ente."""
    if user.ruolo == "cait" and user.cait_id:
        return "cait", user.cait_id
    if user.ruolo in ("ente", "archivista") and user.ente_id:  # the archivista keeps its Ente's paper
        return "ente", user.ente_id
    raise HTTPException(403)


@router.get("/documenti/{documento_id}/originale")
def dove(documento_id: DocId, user: CurrentUser, session: ScopedSession) -> dict[str, Any]:
    """Who keeps the paper original, where (faldone / scatola / posizione), since and until when."""
    documento_visibile(session, documento_id)
    return orig.dove(session, documento_id)


class RegistraOriginale(Corpo):
    ricevuto_il: date
    faldone: str | None = Field(default=None, max_length=40)
    scatola: str | None = Field(default=None, max_length=40)
    posizione: str | None = Field(default=None, max_length=40)


@router.post("/documenti/{documento_id}/originale", status_code=201,
             dependencies=[richiede("cait", "ente", "archivista")])
def registra_originale(documento_id: DocId, body: RegistraOriginale, user: CurrentUser, session: ScopedSession,
                       request: Request) -> dict[str, Any]:
    """The caller (CAIT or Ente) records that it keeps the paper original, and where."""
    documento_visibile(session, documento_id)
    tipo, chi = _detentore(user)
    orig.registra_originale(session, documento_id, detentore_tipo=tipo, detentore=chi,  # type: ignore[arg-type]
                            ricevuto_il=body.ricevuto_il,
                            collocazione=orig.Collocazione(body.faldone, body.scatola, body.posizione))
    audit(session, request, user, "originale.registra", oggetto=documento_id)
    return orig.dove(session, documento_id)


class NuovaRichiesta(Corpo):
    ente: str | None = Field(default=None, max_length=80)
    """Only for admin: the requesting Ente."""


def richiesta_json(r: orig.Richiesta) -> dict[str, Any]:
    return {"id": r.id, "ente_richiedente": r.ente_richiedente, "detentore_tipo": r.detentore_tipo,
            "detentore": r.detentore, "richiesta_il": r.richiesta_il.isoformat(), "scadenza": r.scadenza.isoformat(),
            "stato": r.stato, "inviato_il": r.inviato_il.isoformat() if r.inviato_il else None,
            "ricevuto_il": r.ricevuto_il.isoformat() if r.ricevuto_il else None, "richiesto_da": r.richiesto_da}


def richiedi_originale(documento_id: str, ente: str | None, user: Principal, session: ScopedSession,
                       request: Request) -> dict[str, Any]:
    """An Ente asks for the paper original of one of its documents (shared with the console)."""
    richiedente = puo_scrivere_ente(user, ente)
    documento_visibile(session, documento_id)
    r = orig.richiedi(session, documento_id, ente=richiedente, oggi=date.today(), richiesto_da=user.username)
    audit(session, request, user, "originale.richiedi", oggetto=documento_id, richiesta=r.id)
    return richiesta_json(r)


@router.post("/documenti/{documento_id}/originale/richieste", status_code=201, dependencies=[richiede("ente")])
def richiedi(documento_id: DocId, body: NuovaRichiesta, user: CurrentUser, session: ScopedSession,
             request: Request) -> dict[str, Any]:
    """The Ente asks for the paper original; the keeper is notified and has 5 working days."""
    return richiedi_originale(documento_id, body.ente, user, session, request)


def _richieste_visibili(user: Principal):
    q = select(orig.Richiesta)
    if user.ruolo == "admin":
        return q
    if user.ruolo == "cait" and user.cait_id:
        return q.where(orig.Richiesta.detentore_tipo == "cait", orig.Richiesta.detentore == user.cait_id)
    if user.ruolo in ("ente", "archivista") and user.ente_id:
        return q.where(or_(orig.Richiesta.ente_richiedente == user.ente_id,
                           (orig.Richiesta.detentore_tipo == "ente") & (orig.Richiesta.detentore == user.ente_id)))
    raise HTTPException(403)


@router.get("/richieste")
def richieste(user: CurrentUser, session: ScopedSession,
              stato: Annotated[str | None, Query(pattern="^(richiesto|inviato|ricevuto)$")] = None,
              in_ritardo: bool = False, oggi: date | None = None) -> list[dict[str, Any]]:
    """Requests for originals the caller made or must answer; ``in_ritardo`` = overdue (not sent
    after 5 working days)."""
    q = _richieste_visibili(user)
    if stato:
        q = q.where(orig.Richiesta.stato == stato)
    if in_ritardo:
        q = q.where(orig.Richiesta.stato == "richiesto", orig.Richiesta.scadenza < (oggi or date.today()))
    q = q.order_by(orig.Richiesta.detentore, orig.Richiesta.scadenza, orig.Richiesta.id).limit(1000)
    return [richiesta_json(r) for r in session.scalars(q)]


class Passaggio(Corpo):
    il: date


def _richiesta_di(session: ScopedSession, richiesta_id: int, user: Principal, *, come: str) -> orig.Richiesta:
    """The request if the caller is its keeper (``come='detentore'``) or its requester; else 404."""
    q = select(orig.Richiesta).where(orig.Richiesta.id == richiesta_id)
    if user.ruolo != "admin":
        if come == "detentore":
            tipo, chi = _detentore(user)
            q = q.where(orig.Richiesta.detentore_tipo == tipo, orig.Richiesta.detentore == chi)
        elif user.ruolo == "archivista" and user.ente_id:
            q = q.where(orig.Richiesta.ente_richiedente == user.ente_id)
        else:
            q = q.where(orig.Richiesta.ente_richiedente == puo_scrivere_ente(user, None))
    r = session.scalar(q)
    if r is None:
        from domain.errors import NotFound

        raise NotFound(f"Richiesta {richiesta_id} inesistente.", path=("richiesta_id",))
    return r


@router.post("/richieste/{richiesta_id}/invio", dependencies=[richiede("cait", "ente", "archivista")])
def inviato(richiesta_id: RichiestaId, body: Passaggio, user: CurrentUser, session: ScopedSession,
            request: Request) -> dict[str, Any]:
    """The keeper has sent the paper (richiesto → inviato)."""
    r = _richiesta_di(session, richiesta_id, user, come="detentore")
    orig.segna_inviato(session, r.id, il=body.il)
    audit(session, request, user, "originale.inviato", oggetto=str(r.id))
    return richiesta_json(r)


@router.post("/richieste/{richiesta_id}/ricezione", dependencies=[richiede("ente", "archivista")])
def ricevuto(richiesta_id: RichiestaId, body: Passaggio, user: CurrentUser, session: ScopedSession,
             request: Request) -> dict[str, Any]:
    """The requesting Ente received the paper (inviato → ricevuto); custody passes to it."""
    r = _richiesta_di(session, richiesta_id, user, come="richiedente")
    orig.segna_ricevuto(session, r.id, il=body.il, eseguito_da=user.username)
    audit(session, request, user, "originale.ricevuto", oggetto=str(r.id))
    return richiesta_json(r)


class Trasferimento(Corpo):
    a_tipo: str = Field(pattern="^(cait|ente)$")
    """``cait`` or ``ente``: who receives the paper."""
    a: str = Field(min_length=1, max_length=80)
    il: date
    faldone: str | None = Field(default=None, max_length=40)
    scatola: str | None = Field(default=None, max_length=40)
    posizione: str | None = Field(default=None, max_length=40)


def trasferisci_originale(documento_id: str, body: Trasferimento, user: Principal, session: ScopedSession,
                          request: Request) -> dict[str, Any]:
    """The current keeper (its CAIT, its Ente or the Ente's archivista; admin) hands the paper to
    another CAIT or Ente (shared with the console)."""
    documento_visibile(session, documento_id)
    attuale = orig.dove(session, documento_id)
    if user.ruolo != "admin" and (attuale["detentore_tipo"], attuale["detentore"]) != _detentore(user):
        raise HTTPException(403, detail="Solo chi custodisce l'originale può trasferirlo.")
    nuova = orig.Collocazione(body.faldone, body.scatola, body.posizione) \
        if (body.faldone or body.scatola or body.posizione) else None
    orig.trasferisci(session, documento_id, a_tipo=body.a_tipo, a=body.a, il=body.il,  # type: ignore[arg-type]
                     eseguito_da=user.username, collocazione=nuova)
    audit(session, request, user, "originale.trasferisci", oggetto=documento_id, a=f"{body.a_tipo}:{body.a}")
    return orig.dove(session, documento_id)


@router.post("/documenti/{documento_id}/originale/trasferimenti",
             dependencies=[richiede("cait", "ente", "archivista")])
def trasferimento(documento_id: DocId, body: Trasferimento, user: CurrentUser, session: ScopedSession,
                  request: Request) -> dict[str, Any]:
    """Custody transfer of the paper original to another CAIT or Ente (by its current keeper)."""
    return trasferisci_originale(documento_id, body, user, session, request)


@router.get("/notifiche", dependencies=[richiede("cait", "ente")])
def notifiche(user: CurrentUser, session: ScopedSession) -> list[dict[str, Any]]:
    """Messages for the caller's CAIT or Ente (requests for originals)."""
    tipo, chi = _detentore(user) if user.ruolo != "admin" else ("ente", "")
    return [{"id": n.id, "testo": n.testo, "richiesta_id": n.richiesta_id, "creata_il": n.creata_il.isoformat()}
            for n in orig.notifiche(session, tipo, chi)]
