"""Merged print files + per-record PDFs of a finished job → signed copies (and archived records).

Issue 7, batch signing: a merged print PDF of N pages is signed **once**; per-record archival
PDFs are signed **each**; everything goes through one :class:`service.emissione.Emissione`
opened once for the job, so key, chain, TSA client and signature spec are loaded once.

- ``stampa.pdf`` (and the split ``stampa-*.pdf``) stay the deterministic, unsigned print files,
  byte-identical across resume, process pool and Celery; each gets a signed twin
  ``stampa*.firmato.pdf`` next to it, signed as the job's issuing organisation
  (``lavoro.json`` → ``firma.stampa``: ``--emittente``, else the one Ente of the records, else
  the Regione, which may seal any document).
- ``documenti/<n>-<chiave>.pdf`` (``--per-record``) get ``documenti/<n>-<chiave>.firmato.pdf``,
  signed as ``--emittente`` or, when none was named, as the record's own Ente; with
  ``--archivia`` the signed PDF is archived and indexed (S3 Object Lock) as the record's document
  type. ``documenti/firme.jsonl`` journals each record done, so a merge run again (a resumed
  job, a retried Celery task) neither signs nor archives a record twice.

Policy refusals (a CAIT signing plates, an Ente signing another Ente's letters) and a missing
identity in production are Italian errors of ``service.emissione``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from domain.errors import RuleViolation
from service.batch.base import Contesto, TipoLotto
from service.batch.cartelle import nome_firmato, scrivi_atomico
from service.batch.firmatore import firma_stampa
from service.batch.tipi import tipo_lotto
from service.settings import Settings

__all__ = ["ConfigFirma", "configura_firma", "firma_stampa", "firma_uscite", "nome_firmato"]

GIORNALE = "firme.jsonl"
"""Journal of the per-record PDFs already signed (and archived), under ``documenti/``."""

ConfigFirma = dict[str, Any]
"""``{"attiva": bool, "emittente": str | None (named), "stampa": str (signs the print files),
"archivia": bool}``, fixed in ``lavoro.json`` when the job is created."""


def configura_firma(tipo: TipoLotto, records: list[dict[str, Any]], opzioni: Mapping[str, Any], *,
                    settings: Settings, firma: bool, emittente: str | None, archivia: bool,
                    per_record: bool) -> tuple[ConfigFirma, set[str]]:
    """Who signs the job's outputs, checked before anything is printed: the issuing policy
    (``service.emissione``: an Ente signs its own acts, never another Ente's; the Regione may seal
    anything) and the signing identities (production without one fails here, not after the run).

    The print files: ``emittente``, else the one Ente (or CAIT) of the records, else the Regione
    (``emittente_di_stampa``). Per-record PDFs: ``emittente``, else each record's own issuer. Returns
    the configuration and the records' own issuers (empty when nothing is signed)."""
    if not firma:
        return {"attiva": False, "emittente": None, "stampa": None, "archivia": archivia}, set()
    from service.identita import richiedi_identita
    from service.politica import emittente_di_stampa, verifica_emittente

    ctx = Contesto(settings, opzioni)
    nominati = getattr(records, "emittenti", None)  # named by the processes that validated them
    propri = set(nominati) if nominati is not None else {tipo.emittente(r, ctx) for r in records}
    if None in propri and not emittente:
        raise RuleViolation(f"{tipo.titolo}: alcuni record non indicano chi emette il documento; indicare "
                            "--emittente (un Ente, es. provincia-mantova, un CAIT oppure regione) o --no-firma.",
                            path=("emittente",))
    propri.discard(None)
    enti = {p for p in propri if _ente(p)}
    stampa = emittente_di_stampa(propri, emittente) if propri else emittente
    firmanti = [verifica_emittente(tipo.documento, stampa, ctx.enti, ente=next(iter(enti)) if len(enti) == 1 else None)]
    if per_record and tipo.foglio is None:  # per-record PDFs (labels have none): each record's issuer
        for proprio in sorted(propri):
            firmanti.append(verifica_emittente(tipo.documento, emittente or proprio, ctx.enti,
                                               ente=proprio if _ente(proprio) else None))
    for org in {o.identita: o for o in firmanti}.values():  # installed (or, demo, made) now; loaded when it signs
        richiedi_identita(org.identita, org.denominazione, settings)
    org = firmanti[0]
    return {"attiva": True, "emittente": emittente and org.id, "stampa": org.id, "archivia": archivia}, propri


def _ente(org_id: str | None) -> bool:
    """Whether an issuer id names an Ente (not a CAIT, not the Regione)."""
    return bool(org_id) and org_id != "regione" and not str(org_id).upper().startswith("CAIT-")


def firma_uscite(cartella: Path, lavoro: Mapping[str, Any], file: list[str], righe: list[dict[str, Any]], *,
                 settings: Settings, firmatore: Any = None) -> list[str]:
    """Sign the print files once each and the per-record PDFs each (archiving them when asked);
    fills ``documento_firmato``/``archivio`` of the report rows. Returns the signed print files.
    ``firmatore`` (a :class:`service.batch.firmatore.Firmatore`, loaded while the job started)
    signs the print files of a job that has nothing else to sign."""
    conf: ConfigFirma = lavoro.get("firma") or {}
    per_record = lavoro.get("per_record") and any(r.get("documento") for r in righe)
    archivia = bool(conf.get("archivia") and per_record)
    if not conf.get("attiva") and not archivia:
        return []
    tipo = tipo_lotto(lavoro["tipo"])
    if firmatore is not None and conf.get("attiva") and not per_record:
        return [firmatore.firma(cartella, nome, tipo.documento, conf["stampa"]) for nome in file]
    from service.emissione import Emissione

    with Emissione.aperta(settings, firma=bool(conf.get("attiva")), archivia=archivia) as emissione:
        firmati = []
        if conf.get("attiva"):
            for nome in file:
                firmati.append(firma_stampa(emissione, cartella, nome, tipo.documento, conf["stampa"]))
        if per_record:
            _firma_documenti(emissione, cartella, lavoro, tipo, righe, conf, archivia)
    return firmati


def _firma_documenti(emissione: Any, cartella: Path, lavoro: Mapping[str, Any], tipo: TipoLotto,
                     righe: list[dict[str, Any]], conf: ConfigFirma, archivia: bool) -> None:
    """Sign (and archive) the per-record PDFs not in the journal yet, through ``service.ingest``:
    signing in worker processes for a long job, S3 writes concurrent, index rows per block. Each
    record is journaled as soon as its block is archived."""
    from service.archivio_metadati import metadati_da_pdf
    from service.ingest import DaEmettere, emetti_lotto

    dest = cartella / "documenti"
    fatti = _giornale(dest)
    ctx = Contesto(emissione.settings, lavoro["opzioni"])
    da_fare = [r for r in righe if r.get("documento") and r["stato"] == "prodotto"
               and not (r["documento"] in fatti and (dest / fatti[r["documento"]]["firmato"]).exists())]

    def documenti() -> Iterator[DaEmettere]:
        with _records(cartella) as records:
            for riga in da_fare:
                rec = records(riga["n"] - 1)
                pdf = (dest / riga["documento"]).read_bytes()
                meta = metadati_da_pdf(pdf, tipo=tipo.documento, ente=_ente_record(tipo, rec, ctx),
                                       documento_id=riga.get("documento_id"), **tipo.metadati(rec))
                yield DaEmettere(pdf, conf.get("emittente") or tipo.emittente(rec, ctx), meta, chiave=riga["documento"])

    processi = len(os.sched_getaffinity(0)) if len(da_fare) >= PROCESSI_OLTRE else 1
    with (dest / GIORNALE).open("a", encoding="utf-8") as giornale:
        for d, emesso in emetti_lotto(emissione, documenti(), processi=processi, archivia=archivia):
            nome = d.chiave
            voce = {"documento": nome, "firmato": nome_firmato(nome) if emesso.firmato else nome,
                    "archivio": emesso.record["id"] if emesso.record else None}
            if emesso.firmato:
                scrivi_atomico(dest / voce["firmato"], emesso.pdf)
            giornale.write(json.dumps(voce, ensure_ascii=False) + "\n")
            giornale.flush()
            os.fsync(giornale.fileno())
            fatti[nome] = voce
    for riga in righe:
        voce = fatti.get(riga.get("documento") or "")
        if voce is None or riga["stato"] != "prodotto":
            continue
        if voce["firmato"] != riga["documento"]:
            riga["documento_firmato"] = voce["firmato"]
        if voce.get("archivio"):
            riga["archivio"] = voce["archivio"]


PROCESSI_OLTRE = 64
"""Per-record PDFs from which signing runs in worker processes (below, starting them costs more)."""


def _ente_record(tipo: TipoLotto, rec: Mapping[str, Any], ctx: Contesto) -> str | None:
    """The Ente a record belongs to (index metadata and the policy's "whose document" check)."""
    org = tipo.emittente(rec, ctx)
    return org if _ente(org) else None


def _giornale(dest: Path) -> dict[str, dict[str, Any]]:
    try:
        righe = (dest / GIORNALE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    fatti = {}
    for riga in righe:
        try:
            voce = json.loads(riga)
        except ValueError:  # a line cut by a crash: that record is signed again
            continue
        fatti[voce["documento"]] = voce
    return fatti


@contextmanager
def _records(cartella: Path) -> Iterator[Any]:
    """``records(n)`` → manifest record ``n`` (0-based), reading the manifest forward once."""
    f = (cartella / "manifest.jsonl").open(encoding="utf-8")
    stato = {"pos": -1, "rec": None}

    def leggi(n: int) -> dict[str, Any]:
        if n < stato["pos"]:
            f.seek(0)
            stato["pos"] = -1
        while stato["pos"] < n:
            stato["rec"] = f.readline()
            stato["pos"] += 1
        return json.loads(stato["rec"])

    try:
        yield leggi
    finally:
        f.close()
