"""The Ente's mass printing from what it already holds: lettere di esito from the rapporti di
prova in its archive, and any form for a list of records (an uploaded CSV/JSON file).

- :func:`esiti_da_archivio`: the archived rapporti (Allegato A/B) of the Ente's territory chosen by
  date range, type and esito → the input of an ``esiti`` job (the same engine as uploaded rapporti:
  ``service.batch.tipi.Esiti``), each letter addressed with the catasto's CAP and numbered from a
  first protocol; rapporti that cannot be read are reported with the reason, never printed.
- :func:`moduli_da_file`: a CSV (``;``, header of field names, ``a.b`` for nested fields) or JSON
  list → the records of a ``moduli:<tipo>`` job; per-line errors name the line and the field.

No HTTP here: ``service.api.routes.stampe`` calls these and queues the jobs.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.catasto import ImpiantoCatasto
from archive.indice import Documento
from domain.errors import AppError, RuleViolation

TIPI_RAPPORTO = {"allegato-a": "Allegato A (sotto 35 kW)", "allegato-b": "Allegato B (da 35 kW)"}
ESITI = {"": "Tutti gli esiti", "9.a": "9.a: impianto conforme", "9.b": "9.b: impianto non conforme"}
MAX_RAPPORTI = 1000
"""Rapporti read from the archive for one job (each is fetched and its signature verified)."""


@dataclass
class Selezione:
    """The rapporti of the archive to turn into letters (filters of the Ente's mass-printing page)."""

    dal: date | None = None
    al: date | None = None
    tipi: tuple[str, ...] = tuple(TIPI_RAPPORTO)
    esito: str = ""

    def __post_init__(self) -> None:
        if self.dal and self.al and self.dal > self.al:
            raise RuleViolation("Dalla data: deve precedere «Alla data».", path=("dal",))
        if not self.tipi or any(t not in TIPI_RAPPORTO for t in self.tipi):
            raise RuleViolation("Tipo di rapporto: scegliere Allegato A, Allegato B o entrambi.", path=("tipi",))
        if self.esito not in ESITI:
            raise RuleViolation("Esito: scegliere 9.a, 9.b o tutti.", path=("esito",))


@dataclass
class Esiti:
    """What :func:`esiti_da_archivio` found: the job's input items and the rapporti left out."""

    dati: list[dict[str, Any]] = field(default_factory=list)
    scartati: list[dict[str, Any]] = field(default_factory=list)
    """``{riga, valore, motivo}``: rapporti that could not be read (never the ones the esito filter skips)."""
    esclusi: int = 0
    """Rapporti read whose esito differs from the one chosen."""
    letti: int = 0


def rapporti_archiviati(session: Session, sel: Selezione, limite: int = MAX_RAPPORTI + 1) -> list[Documento]:
    """The archived rapporti matching ``sel`` (``session`` carries the caller's tenant scope)."""
    q = select(Documento).where(Documento.tipo.in_(sel.tipi), Documento.smaltito_il.is_(None))
    if sel.dal:
        q = q.where(Documento.data_documento >= sel.dal)
    if sel.al:
        q = q.where(Documento.data_documento <= sel.al)
    return list(session.scalars(q.order_by(Documento.data_documento, Documento.id).limit(limite)))


def numeratore(primo: str):
    """Protocol numbers from ``primo`` on: its last run of digits grows by one per letter, keeping
    its width (``MN-2026/0150`` → ``MN-2026/0151`` …)."""
    primo = (primo or "").strip()
    trovato = re.search(r"(\d+)(\D*)$", primo)
    if not primo or not trovato or len(primo) > 30:
        raise RuleViolation("Primo protocollo: indicare il protocollo della prima lettera, con un numero finale "
                            "(es. MN-2026/0150), al massimo 30 caratteri.", path=("protocollo",))
    testa, cifre, coda = primo[:trovato.start(1)], trovato.group(1), trovato.group(2)

    def numero(n: int) -> str:
        return f"{testa}{int(cifre) + n:0{len(cifre)}d}{coda}"
    return numero


def esito_complessivo(tipo: str, dati: dict[str, Any]) -> str:
    """9.b when any generator of the rapporto is not compliant, else 9.a (the domain's computation)."""
    from service.produce import validate
    from service.registry import get_document_type

    rapporto = validate(get_document_type(tipo), dati)
    esiti = [rapporto.esito()] if tipo == "allegato-a" else list(rapporto.esiti())
    return "9.b" if any(e.esito == "9.b" for e in esiti) else "9.a"


def _destinatario(imp: ImpiantoCatasto | None) -> dict[str, Any] | None:
    """The letter's addressee from the catasto (name, address, CAP for the mailing split)."""
    if imp is None or not (imp.responsabile_ragione_sociale or imp.responsabile_cognome_nome):
        return None
    return {"nominativo": (imp.responsabile_ragione_sociale or imp.responsabile_cognome_nome)[:80],
            "indirizzo": imp.responsabile_indirizzo or None, "cap": imp.cap or None,
            "comune": imp.responsabile_comune or imp.comune or None,
            "provincia": imp.provincia if imp.provincia and len(imp.provincia) == 2 else None}


def esiti_da_archivio(session: Session, recupera: Any, sel: Selezione, *, protocollo: str, funzionario: str,
                      data_lettera: date) -> Esiti:
    """The input items of an ``esiti`` job from the archived rapporti matching ``sel``.

    ``recupera(documento_id) -> bytes``: the archive's verified bytes; ``session`` is scoped to the
    caller's tenant (its catasto gives each letter's address)."""
    from service.rapporto_ispettore import dati_archiviati

    if not (funzionario or "").strip():
        raise RuleViolation("Funzionario: indicare chi firma le lettere.", path=("funzionario",))
    numero = numeratore(protocollo)
    documenti = rapporti_archiviati(session, sel)
    if not documenti:
        raise RuleViolation("Nessun rapporto di prova nell'archivio dell'Ente con questi criteri.", path=("dal",))
    if len(documenti) > MAX_RAPPORTI:
        raise RuleViolation(f"Più di {MAX_RAPPORTI} rapporti con questi criteri: restringere il periodo.", path=("dal",))
    righe = [(d.id, d.tipo, d.codice_impianto, d.data_documento, d.ente) for d in documenti]
    codici = {r[2] for r in righe if r[2]}
    catasto = {i.codice_impianto: i for i in session.scalars(
        select(ImpiantoCatasto).where(ImpiantoCatasto.codice_impianto.in_(codici)))} if codici else {}
    session.commit()  # the archive reads in its own sessions (SQLite write lock)
    out = Esiti()
    for n, (doc_id, tipo, codice, quando, ente) in enumerate(righe, start=1):
        valore = f"{codice or doc_id} ({quando.strftime('%d/%m/%Y')})"
        try:
            dati = dati_archiviati(recupera(doc_id))
            esito = esito_complessivo(tipo, dati)
        except (AppError, ValueError, KeyError, TypeError) as exc:
            motivo = exc.message if isinstance(exc, AppError) else "dati del rapporto non leggibili dal PDF archiviato"
            out.scartati.append({"riga": n, "valore": valore, "motivo": f"Rapporto {doc_id}: {motivo}"})
            continue
        out.letti += 1
        if sel.esito and esito != sel.esito:
            out.esclusi += 1
            continue
        imp = catasto.get(codice or "")
        voce = {"tipo": tipo, "dati": dati, "protocollo": numero(len(out.dati)), "funzionario": funzionario.strip()[:60],
                "data_lettera": data_lettera.isoformat(), "ente_id": ente or (imp.ente_id if imp else None),
                "documento_rapporto": doc_id}
        if imp is not None and imp.provincia:
            voce["provincia"] = imp.provincia
        dest = _destinatario(imp)
        if dest is not None:
            voce["destinatario"] = {k: v for k, v in dest.items() if v is not None}
        out.dati.append(voce)
    return out


# -- any form for a list of records ----------------------------------------------------------------

MAX_RIGHE = 5000


def _annida(riga: dict[str, str]) -> dict[str, Any]:
    """A CSV row → a record: ``a.b`` headers become nested objects, a cell ``[...]`` is a list (its
    JSON), empty cells are left out."""
    out: dict[str, Any] = {}
    for chiave, valore in riga.items():
        if not chiave or valore is None or not str(valore).strip():
            continue
        nodo = out
        *testa, ultima = [p.strip() for p in chiave.strip().split(".")]
        for parte in testa:
            nodo = nodo.setdefault(parte, {})
            if not isinstance(nodo, dict):
                raise RuleViolation(f"Intestazione «{chiave}»: il campo {parte} non è un gruppo di campi.",
                                    path=("file",))
        testo = valore.strip()
        if testo.startswith("[") and testo.endswith("]"):  # a list field: its JSON, e.g. ["a", "c"]
            try:
                nodo[ultima] = json.loads(testo)
                continue
            except ValueError:
                pass
        nodo[ultima] = testo
    return out


def record_da_file(data: bytes, nome: str) -> tuple[list[dict[str, Any]], int]:
    """The records of an uploaded list and the file line of the first record (JSON: 0, the items
    are numbered by position; CSV: 2, after the header)."""
    try:
        testo = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleViolation("Il file non è un testo UTF-8.", path=("file",)) from None
    if nome.lower().endswith(".json") or testo.lstrip().startswith(("[", "{")):
        try:
            dati = json.loads(testo)
        except ValueError as exc:
            raise RuleViolation(f"Il file non è un JSON valido (riga {getattr(exc, 'lineno', '?')}).",
                                path=("file",)) from None
        if not isinstance(dati, list) or not all(isinstance(d, dict) for d in dati):
            raise RuleViolation("Il file JSON deve contenere un elenco di record ([{...}, ...]).", path=("file",))
        righe, primo = dati, 0
    else:
        lettore = csv.DictReader(io.StringIO(testo), delimiter=";")
        if not lettore.fieldnames or len(lettore.fieldnames) < 2:
            raise RuleViolation("Il file CSV deve avere una prima riga con i nomi dei campi separati da «;».",
                                path=("file",))
        righe, primo = [_annida(r) for r in lettore], 2
    if not righe:
        raise RuleViolation("Il file non contiene record.", path=("file",))
    if len(righe) > MAX_RIGHE:
        raise RuleViolation(f"Il file ha {len(righe)} record: al massimo {MAX_RIGHE} per lavoro.", path=("file",))
    return righe, primo
