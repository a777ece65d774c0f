"""The manutentore's area: its impianti, etichette and Portafoglio; an Allegato G or F filled
online, checked field by field, then issued (signed by its CAIT, archived) with its etichetta bound.

The console (``console_manutentore.py``) calls the same functions.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import etichette as stock
from archive.anagrafiche import Manutentore, ManutenzioneImpianto
from archive.cait_ricevute import saldo_portafoglio
from archive.cait_tabelle import MovimentoPortafoglio, Ricevuta
from archive.catasto import ImpiantoCatasto
from archive.errors import StorageError
from domain.errors import AppError
from service import modulo_online as mo
from service import servizi_cait as sv
from service.api.archivio_dep import rilascia
from service.api.deps import Principal, SessionDep, SettingsDep, audit, richiede
from service.api.routes.cait import _attore
from service.api.routes.documenti import emissione_per
from service.archivio import MetadatiDocumento
from service.emissione import Emesso
from service.produce import produci
from service.settings import Settings

router = APIRouter(tags=["manutentore"])

ManutentoreUser = Annotated[Principal, richiede("manutentore")]
Codice = Annotated[str, Path(min_length=15, max_length=15, pattern="^[0-9A-Za-z]+$")]
Valori = Annotated[dict[str, str | None], Body(description="Campi del modulo per chiave puntata (es. misura.o2)")]


def impianti(session: Session, user: Principal) -> list[dict[str, Any]]:
    codici = session.scalars(select(ManutenzioneImpianto.codice_impianto)
                             .where(ManutenzioneImpianto.manutentore_id == user.manutentore_id))
    out = []
    for codice in sorted(codici):
        imp = session.get(ImpiantoCatasto, codice)
        potenza = imp.potenza_focolare_totale_kw if imp else None
        out.append({"codice_impianto": codice, "potenza_focolare_kw": str(potenza) if potenza is not None else "",
                    "modello": "" if potenza is None else ("F" if potenza >= 35 else "G"),
                    "indirizzo": f"{imp.indirizzo} {imp.civico or ''}, {imp.comune or ''}".replace(" ,", ",") if imp else "",
                    "responsabile": (imp.responsabile_cognome_nome or "") if imp else ""})
    return out


def etichette(session: Session, user: Principal) -> list[dict[str, Any]]:
    return stock.elenco(session, ambito=stock.Ambito(manutentore_id=user.manutentore_id), limite=500)["etichette"]


def portafoglio(session: Session, user: Principal) -> dict[str, Any]:
    mp = MovimentoPortafoglio
    righe = session.execute(select(mp, Ricevuta.numero).outerjoin(Ricevuta, Ricevuta.id == mp.ricevuta_id)
                            .where(mp.manutentore_id == user.manutentore_id).order_by(mp.istante.desc()).limit(200))
    return {"saldo": str(saldo_portafoglio(session, user.manutentore_id)), "istruzioni": sv.ISTRUZIONI_RICARICA,
            "movimenti": [{"istante": m.istante.isoformat(), "causale": m.causale, "importo": str(m.importo),
                           "ricevuta": numero or ""} for m, numero in righe]}


def emetti_online(request: Request, settings: Settings, session: Session, user: Principal, codice: str,
                  valori: dict[str, str]) -> Emesso:
    """Check, render and sign as the CAIT; then bind the etichetta and commit; then archive (after
    the request's transaction: SQLite has one writer). Nothing is bound when signing fails; when
    archiving fails (an error, or S3 refusing the document for good) the binding is undone and the
    issue refused. A document the archive queues (S3 down for now) keeps its binding: it is archived
    from the durable queue."""
    attore = _attore(user)
    tipo, dati = mo.verifica(session, codice, attore, valori, oggi=date.today())
    emittente = mo.emittente(session, attore)
    code = f"allegato-{tipo.lower()}"
    impianto = session.get(ImpiantoCatasto, dati["codice_catasto"])
    ditta = session.get(Manutentore, user.manutentore_id)
    meta = MetadatiDocumento(tipo=code, data_documento=date.fromisoformat(str(dati["data_controllo"])),
                             codice_impianto=dati["codice_catasto"], ente=impianto.ente_id if impianto else None,
                             cait=emittente, manutentore=ditta.ragione_sociale, etichetta=dati["numero_etichetta"],
                             responsabile_cf=impianto.responsabile_cf if impianto else None,
                             oggetto=f"Allegato {tipo} dell'impianto {dati['codice_catasto']}",
                             autore=ditta.ragione_sociale)
    rilascia(session)  # opening the app's archive migrates its index
    emissione = emissione_per(request.app, settings)
    reso = produci(code, dati, settings=settings)
    firmato = emissione.firma_pdf(reso.pdf, emittente=emittente, metadati=meta, carta=reso.carta)
    mo.vincola(session, tipo, dati, attore)
    audit(session, request, user, "manutentore.etichetta.vincola", oggetto=dati["numero_etichetta"],
          codice_impianto=dati["codice_catasto"])
    rilascia(session)
    try:
        emesso = emissione.archivia(firmato)
        record = emesso.record or {}
        if record.get("stato") == "scartato":
            raise StorageError(
                f"L'archivio ha rifiutato l'Allegato {tipo} ({record.get('motivo') or 'rifiuto definitivo'}): "
                f"la dichiarazione non è emessa e l'etichetta {dati['numero_etichetta']} resta disponibile. "
                "Il documento rifiutato resta nella coda dell'archivio per l'operatore.")
    except BaseException as exc:
        session.rollback()
        if mo.svincola(session, tipo, dati, attore, motivo=f"archiviazione non riuscita: {exc}"[:500]):
            audit(session, request, user, "manutentore.etichetta.svincola", oggetto=dati["numero_etichetta"],
                  codice_impianto=dati["codice_catasto"], motivo="archiviazione non riuscita")
        rilascia(session)
        raise
    audit(session, request, user, "documento.emetti", oggetto=str(record.get("id", "")), tipo=code,
          emittente=emittente, sha256=record.get("sha256", ""), codice_impianto=dati["codice_catasto"])
    return emesso


@router.get("/manutentore/impianti")
def elenco_impianti(user: ManutentoreUser, session: SessionDep) -> list[dict[str, Any]]:
    """The impianti the firm maintains, with the model (G/F) their potenza calls for."""
    return impianti(session, user)


@router.get("/manutentore/etichette")
def elenco_etichette(user: ManutentoreUser, session: SessionDep) -> list[dict[str, Any]]:
    return etichette(session, user)


@router.get("/manutentore/portafoglio")
def saldo(user: ManutentoreUser, session: SessionDep) -> dict[str, Any]:
    return portafoglio(session, user)


@router.get("/manutentore/impianti/{codice}/modulo")
def modulo(codice: Codice, user: ManutentoreUser, session: SessionDep) -> dict[str, Any]:
    """The online form: model, pre-filled values, strumenti and etichette to choose from."""
    info = mo.modulo(session, codice, _attore(user), oggi=date.today())
    return {"tipo": info["tipo"], "codice_impianto": info["codice"], "valori": info["valori"],
            "opzioni": info["opzioni"], "campi": [{"chiave": c.chiave, "etichetta": c.etichetta, "tipo": c.tipo}
                                                  for c in info["campi"]]}


@router.post("/manutentore/impianti/{codice}/dichiarazione/verifica")
def verifica(codice: Codice, valori: Valori, user: ManutentoreUser, session: SessionDep) -> JSONResponse:
    """Check the typed values without writing anything: ``{"errori": {campo: messaggio}}`` (422 when any)."""
    try:
        mo.verifica(session, codice, _attore(user), {k: v or "" for k, v in valori.items()}, oggi=date.today())
    except AppError as exc:
        return JSONResponse({"errori": mo.errori_per_campo(exc)}, status_code=422)
    return JSONResponse({"errori": {}})


@router.post("/manutentore/impianti/{codice}/dichiarazione", status_code=201, response_class=Response)
def emetti(codice: Codice, valori: Valori, user: ManutentoreUser, session: SessionDep, settings: SettingsDep,
           request: Request) -> Response:
    """Issue the G/F: the etichetta is bound, the PDF (three copies) signed by the CAIT and archived."""
    emesso = emetti_online(request, settings, session, user, codice, {k: v or "" for k, v in valori.items()})
    record = emesso.record or {}
    return Response(emesso.pdf, status_code=201, media_type="application/pdf",
                    headers={"X-Curit-Documento": str(record.get("id", "")),
                             "Content-Disposition": f'attachment; filename="{codice}.pdf"'})
