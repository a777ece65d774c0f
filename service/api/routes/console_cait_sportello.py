"""Console of the CAIT counter (the paper of the Disposizioni): sell etichette and issue the ricevuta,
Portafoglio top-ups, the list of ricevute, dichiarazioni received, closing a distinta with its
distinta-ricevuta, lettere di trasmissione per Ente, the monthly rendiconto, paper originals held
and the Ente requests to fulfil.

Every record is issued once, by the POST that creates it (signed by the CAIT and archived); the
lists link to the archived copy (``/console/documento/{id}``), so a GET never issues anything.
The same operations are API routes of ``service/api/routes/cait.py``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from archive.anagrafiche import ManutenzioneImpianto
from archive.cait_dichiarazioni import chiudi_distinta, operatore_del_cait, registra_dichiarazione
from archive.cait_ricevute import ricarica_portafoglio, vendi_etichette
from archive.etichette import Ambito, Autore
from archive.etichette import elenco as stock
from domain.errors import AppError, NotFound, RuleViolation
from service import servizi_cait as sv
from service import sportello as sp
from service.api.deps import Principal, SessionDep, SettingsDep, audit
from service.api.routes.cait import _attore, _registro
from service.api.routes.console import ConsoleUser, Csrf, _errore, _scoped
from service.api.routes.console_cait import _cait, _dopo, _pagina
from service.cait import Prodotto, enti_configurati
from service.cait_cassa import rendiconto_cait, stampa_ricevuta
from service.cait_consegne import enti_della_distinta, lettere_trasmissione, stampa_distinta
from service.console.moduli import errori_di
from service.quote_enti import quote_configurate

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
PAGAMENTI = [("contanti", "Contanti"), ("POS", "POS"), ("bonifico", "Bonifico"), ("portafoglio", "Portafoglio CURIT")]


def _operatore_predefinito(session: SessionDep, user: Principal) -> str:
    return next((o["username"] for o in sv.operatori(session, _cait(user)) if o["username"] == user.username), "")


def _opzioni(session: SessionDep, user: Principal) -> dict[str, Any]:
    cait_id = _cait(user)
    manutentori = sv.manutentori(session, cait_id)
    etichette = stock(session, ambito=Ambito(cait_id=cait_id), stato="assegnata", limite=200)["etichette"]
    return {"manutentori": manutentori,
            "opzioni_manutentori": [(m["id"], f"{m['ragione_sociale']} (P.IVA {m['partita_iva']})") for m in manutentori],
            "opzioni_operatori": [(o["username"], o["cognome_nome"]) for o in sv.operatori(session, cait_id) if o["attivo"]],
            "etichette": [(e["numero"], f"{e['numero_leggibile']} · Allegato {'G' if e['fascia'] == 'F1' else 'F'}"
                           f"{' · fascia ' + e['fascia'] if e['fascia'] else ''}") for e in etichette],
            "pagamenti": PAGAMENTI}


def _nome_ente(enti: Any, ente_id: str) -> str:
    try:
        return enti.get(ente_id).denominazione
    except NotFound:
        return ente_id


# --------------------------------------------------------------------------- sale, top-up


def _sportello(request: Request, user: Principal, session: SessionDep, status: int = 200, **ctx: Any) -> Response:
    ctx.setdefault("valori", {"operatore": _operatore_predefinito(session, user), "pagamento": "contanti"})
    return _pagina(request, user, "sportello", "Vendita etichette", status=status, **_opzioni(session, user), **ctx)


@router.get("/console/cait/sportello")
def sportello(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    try:
        return _sportello(request, user, session)
    except AppError as exc:
        return _errore(request, user, exc)


def _emetti_ricevuta(request: Request, settings: SettingsDep, session: SessionDep, user: Principal,
                     ricevuta_id: int) -> Prodotto:
    [p] = _registro(request, settings, session, user, lambda e: [stampa_ricevuta(
        session, ricevuta_id, _attore(user), settings=settings, emissione=e, emittente=_cait(user))])
    return p


def _intero(testo: str, campo: str, messaggio: str) -> int:
    if not testo.isdigit() or not 0 < int(testo) < 2**31:
        raise RuleViolation(messaggio, path=(campo,))
    return int(testo)


@router.post("/console/cait/sportello/vendita", dependencies=[Csrf])
def vendita(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep,
            manutentore_id: Annotated[str, Form()] = "", numeri: Annotated[list[str], Form()] = [],  # noqa: B006
            pagamento: Annotated[str, Form()] = "", operatore: Annotated[str, Form()] = "") -> Response:
    valori = {"manutentore_id": manutentore_id, "numeri": numeri, "pagamento": pagamento, "operatore": operatore}
    try:
        mid = _intero(manutentore_id, "manutentore_id", "Scegliere il manutentore.")
        sv._manutentore(session, _cait(user), mid)
        op = operatore_del_cait(session, _cait(user), operatore) if operatore else None
        if op is None:
            raise RuleViolation("Scegliere l'operatore che effettua la vendita.", path=("operatore",))
        r = vendi_etichette(session, cait_id=_cait(user), manutentore_id=mid, numeri=numeri,
                            operatore=op.cognome_nome, pagamento=pagamento,
                            autore=Autore(user.username, user.ruolo), quote=quote_configurate(settings))
    except AppError as exc:
        session.rollback()
        return _sportello(request, user, session, status=422, valori=valori, errori=errori_di(exc))
    audit(session, request, user, "cait.vendita", oggetto=r.numero, totale=r.totale)
    numero, ricevuta_id = r.numero, r.id
    try:
        _emetti_ricevuta(request, settings, session, user, ricevuta_id)
    except AppError as exc:
        return _errore(request, user, exc)
    return _dopo("/console/cait/ricevute", f"Vendita registrata: ricevuta n. {numero} firmata e archiviata.")


@router.post("/console/cait/sportello/ricarica", dependencies=[Csrf])
def ricarica(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep,
             manutentore_id: Annotated[str, Form(alias="ricarica_manutentore_id")] = "",
             importo: Annotated[str, Form()] = "", pagamento: Annotated[str, Form(alias="ricarica_pagamento")] = "",
             operatore: Annotated[str, Form(alias="ricarica_operatore")] = "") -> Response:
    valori = {"ricarica_manutentore_id": manutentore_id, "importo": importo, "ricarica_pagamento": pagamento,
              "ricarica_operatore": operatore}
    alias = {"manutentore_id": "ricarica_manutentore_id", "pagamento": "ricarica_pagamento",
             "operatore": "ricarica_operatore"}
    try:
        mid = _intero(manutentore_id, "manutentore_id", "Scegliere il manutentore.")
        sv._manutentore(session, _cait(user), mid)
        if not operatore:
            raise RuleViolation("Scegliere l'operatore che riceve la ricarica.", path=("operatore",))
        op = operatore_del_cait(session, _cait(user), operatore)
        r = ricarica_portafoglio(session, cait_id=_cait(user), manutentore_id=mid, importo=importo,
                                 operatore=op.cognome_nome, pagamento=pagamento, utente=user.username)
    except AppError as exc:
        session.rollback()
        return _sportello(request, user, session, status=422, valori_ricarica=valori,
                          errori=errori_di(exc, alias=alias))
    audit(session, request, user, "cait.ricarica", oggetto=r.numero, totale=r.totale)
    numero, ricevuta_id = r.numero, r.id
    try:
        _emetti_ricevuta(request, settings, session, user, ricevuta_id)
    except AppError as exc:
        return _errore(request, user, exc)
    return _dopo("/console/cait/ricevute", f"Ricarica registrata: ricevuta n. {numero} firmata e archiviata.")


@router.get("/console/cait/ricevute")
def ricevute(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    try:
        elenco = sp.elenco_ricevute(session, _cait(user))
    except AppError as exc:
        return _errore(request, user, exc)
    for r in elenco:
        r["documento"] = sp.documento_ricevuta(r)
    return _pagina(request, user, "ricevute", "Ricevute", ricevute=elenco)


# --------------------------------------------------------------------------- dichiarazioni, distinte


def _impianti(session: SessionDep, manutentori: list[dict[str, Any]]) -> list[tuple[str, str]]:
    nomi = {m["id"]: m["ragione_sociale"] for m in manutentori}
    righe = session.execute(select(ManutenzioneImpianto.codice_impianto, ManutenzioneImpianto.manutentore_id)
                            .where(ManutenzioneImpianto.manutentore_id.in_(list(nomi)))
                            .order_by(ManutenzioneImpianto.codice_impianto))
    return [(c, f"{c} · {nomi[m]}") for c, m in righe]


def _dichiarazioni(request: Request, user: Principal, session: SessionDep, status: int = 200, **ctx: Any) -> Response:
    opzioni = _opzioni(session, user)
    ctx.setdefault("valori", {"data_controllo": date.today().isoformat()})
    ctx.setdefault("valori_distinta", {"operatore": _operatore_predefinito(session, user)})
    return _pagina(request, user, "dichiarazioni", "Dichiarazioni e distinte", status=status,
                   aperte=sp.elenco_dichiarazioni(session, _cait(user), stato="aperta"),
                   impianti=_impianti(session, opzioni["manutentori"]), **opzioni, **ctx)


@router.get("/console/cait/dichiarazioni")
def dichiarazioni(request: Request, user: ConsoleUser, session: SessionDep) -> Response:
    try:
        return _dichiarazioni(request, user, session)
    except AppError as exc:
        return _errore(request, user, exc)


@router.post("/console/cait/dichiarazioni", dependencies=[Csrf])
def registra(request: Request, user: ConsoleUser, session: SessionDep,
             manutentore_id: Annotated[str, Form()] = "", codice_impianto: Annotated[str, Form()] = "",
             tipo: Annotated[str, Form()] = "", data_controllo: Annotated[str, Form()] = "",
             numero_etichetta: Annotated[str, Form()] = "") -> Response:
    valori = {"manutentore_id": manutentore_id, "codice_impianto": codice_impianto, "tipo": tipo,
              "data_controllo": data_controllo, "numero_etichetta": numero_etichetta}
    try:
        mid = _intero(manutentore_id, "manutentore_id", "Scegliere il manutentore che consegna.")
        sv._manutentore(session, _cait(user), mid)
        try:
            giorno = date.fromisoformat(data_controllo)
        except ValueError:
            raise RuleViolation("Data del controllo non valida.", path=("data_controllo",)) from None
        if tipo not in ("G", "F"):
            raise RuleViolation("Scegliere il modello consegnato: Allegato G o Allegato F.", path=("tipo",))
        d = registra_dichiarazione(session, cait_id=_cait(user), manutentore_id=mid,
                                   codice_impianto=codice_impianto, tipo=tipo, data_controllo=giorno,
                                   numero_etichetta=numero_etichetta or None, oggi=date.today())
    except AppError as exc:
        session.rollback()
        return _dichiarazioni(request, user, session, status=422, valori=valori, errori=errori_di(exc))
    audit(session, request, user, "cait.dichiarazione", oggetto=str(d.id), codice_impianto=d.codice_impianto)
    return _dopo("/console/cait/dichiarazioni", f"Allegato {d.tipo} dell'impianto {d.codice_impianto} registrato.")


@router.post("/console/cait/distinte", dependencies=[Csrf])
def chiudi(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep,
           manutentore_id: Annotated[str, Form(alias="distinta_manutentore_id")] = "",
           operatore: Annotated[str, Form()] = "") -> Response:
    valori = {"distinta_manutentore_id": manutentore_id, "operatore": operatore}
    try:
        mid = _intero(manutentore_id, "manutentore_id", "Scegliere il manutentore della distinta.")
        sv._manutentore(session, _cait(user), mid)
        if not operatore:
            raise RuleViolation("Scegliere l'operatore che chiude la distinta.", path=("operatore",))
        d = chiudi_distinta(session, cait_id=_cait(user), manutentore_id=mid, operatore=operatore,
                            utente=user.username)
    except AppError as exc:
        session.rollback()
        return _dichiarazioni(request, user, session, status=422, valori_distinta=valori,
                              errori=errori_di(exc, alias={"manutentore_id": "distinta_manutentore_id"}))
    audit(session, request, user, "cait.distinta", oggetto=d.numero)
    numero, distinta_id = d.numero, d.id
    try:
        [p] = _registro(request, settings, session, user, lambda e: [stampa_distinta(
            session, distinta_id, _attore(user), settings=settings, emissione=e, emittente=_cait(user))])
    except AppError as exc:
        return _errore(request, user, exc)
    return RedirectResponse(f"/console/documento/{p.archiviato['id']}?esito=distinta", status_code=303) \
        if p.archiviato else _dopo("/console/cait/distinte", f"Distinta n. {numero} chiusa.")


@router.get("/console/cait/distinte")
def distinte(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        elenco = sp.elenco_distinte(session, _attore(user))
    except AppError as exc:
        return _errore(request, user, exc)
    enti = enti_configurati(settings)
    for d in elenco:
        d["documento"] = sp.documento_distinta(d)
        d["enti"] = [(e, _nome_ente(enti, e)) for e in d["enti"]]
    return _pagina(request, user, "distinte", "Distinte e lettere di trasmissione", distinte=elenco)


@router.post("/console/cait/distinte/{distinta_id}/trasmissione", dependencies=[Csrf])
def trasmissione(request: Request, distinta_id: Id, user: ConsoleUser, session: SessionDep, settings: SettingsDep,
                 ente: Annotated[str, Form()] = "") -> Response:
    try:
        enti = enti_della_distinta(session, distinta_id, _attore(user))
        if ente not in enti:
            raise NotFound("Ente non presente nella distinta.", path=("ente",))
        prodotti = _registro(request, settings, session, user, lambda e: lettere_trasmissione(
            session, distinta_id, _attore(user), oggi=date.today(), settings=settings, emissione=e,
            emittente=_cait(user), ente=ente))
    except AppError as exc:
        return _errore(request, user, exc)
    return RedirectResponse(f"/console/documento/{prodotti[0].archiviato['id']}?esito=trasmissione", status_code=303)


# --------------------------------------------------------------------------- rendiconti, originali


@router.get("/console/cait/rendiconti")
def rendiconti(request: Request, user: ConsoleUser) -> Response:
    try:
        _cait(user)
    except AppError as exc:
        return _errore(request, user, exc)
    return _pagina(request, user, "rendiconti", "Rendiconto mensile", mesi=sp.mesi_conclusi(date.today()))


@router.post("/console/cait/rendiconti", dependencies=[Csrf])
def emetti_rendiconto(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep,
                      mese: Annotated[str, Form()] = "") -> Response:
    try:
        sp.verifica_mese_concluso(mese[:7], date.today())
        [p] = _registro(request, settings, session, user, lambda e: [rendiconto_cait(
            session, _cait(user), mese[:7], _attore(user), oggi=date.today(), settings=settings, emissione=e)])
    except AppError as exc:
        return _pagina(request, user, "rendiconti", "Rendiconto mensile", status=422,
                       mesi=sp.mesi_conclusi(date.today()), errori=errori_di(exc))
    return RedirectResponse(f"/console/documento/{p.archiviato['id']}?esito=rendiconto", status_code=303)


@router.get("/console/cait/originali")
def originali(request: Request, user: ConsoleUser, session: SessionDep, settings: SettingsDep) -> Response:
    from service.api.routes import archivio as api_archivio

    try:
        cait_id = _cait(user)
        scoped = _scoped(session, user)
        richieste = api_archivio.richieste(user, scoped)
        custoditi = sp.originali_custoditi(scoped, cait_id)
    except AppError as exc:
        return _errore(request, user, exc)
    enti = enti_configurati(settings)
    for r in richieste:  # names, not ids
        r["ente_richiedente"] = _nome_ente(enti, r["ente_richiedente"])
    oggi = date.today().isoformat()
    da_evadere = sorted((r for r in richieste if r["stato"] == "richiesto"),
                        key=lambda r: (r["scadenza"] >= oggi, r["scadenza"], r["id"]))
    return _pagina(request, user, "originali", "Originali cartacei", richieste=da_evadere, oggi=oggi,
                   evase=[r for r in richieste if r["stato"] != "richiesto"], custoditi=custoditi)


@router.post("/console/cait/originali/{richiesta_id}/inviato", dependencies=[Csrf])
def segna_inviato(request: Request, richiesta_id: Id, user: ConsoleUser, session: SessionDep,
                  il: Annotated[str, Form()] = "") -> Response:
    from service.api.routes import archivio as api_archivio

    try:
        giorno = date.fromisoformat(il) if il else date.today()
        api_archivio.inviato(richiesta_id, api_archivio.Passaggio(il=giorno), user, _scoped(session, user), request)
    except ValueError:
        return _errore(request, user, RuleViolation("Data di invio non valida.", path=("il",)))
    except AppError as exc:
        return _errore(request, user, exc)
    return _dopo("/console/cait/originali", f"Richiesta n. {richiesta_id}: originale segnato come inviato.")
