"""The contrassegno a stampa of a batch job's records: each archived record sealed, its print pages the sealed ones.

A job whose per-record PDFs are signed and archived (``--per-record --archivia``, signing on,
``CURIT_CONTRASSEGNO`` on) seals every record while its chunk is printed, the same way
``service.emissione`` seals a document issued one at a time (docs/parts/contrassegno.md):

1. the record's **content** PDF (a letter: its pages cut from the chunk; a form: its PDF/A render
   with ``dati.json``), with its document id;
2. the **seal** drawn on every page as an incremental update (``service.contrassegno.sigilla``),
   placed from the engine's page kinds where the record was stamped (nothing rasterised);
3. the chunk, the print file's pages, rebuilt from the sealed records: what goes on paper is what
   is archived. The PAdES signature (``service.batch.firme``) comes last, over the sealed file, and
   the record is archived under the id its seal carries.

A chunk stays a function of the manifest and the job: the ids are derived from a random value
fixed when the job is created (time-ordered like ``archive.indice.nuovo_id``), the sealing time is
the job's, and ECDSA is deterministic (RFC 6979). A chunk printed again after a crash, or by
another Celery worker, carries the same seals, byte for byte, provided the worker holds the same
seal keys: the job records each key's fingerprint and a worker whose key differs refuses to print.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import pikepdf

from domain.contrassegno import STAMPATI
from domain.errors import RuleViolation
from renderers.carta import CartaPagina, Fondo
from service.batch.base import Contesto, TipoLotto
from service.settings import Settings

__all__ = ["configura_sigillo", "prepara_chiavi", "documento_id", "carte", "sigilla_record", "ricomponi"]


def configura_sigillo(tipo: TipoLotto, conf_firma: Mapping[str, Any], *, per_record: bool,
                      settings: Settings) -> dict[str, Any] | None:
    """``lavoro.json`` → ``sigillo``: the sealing time and the ids' random part, or None when the
    job's records are not sealed (not archived, not signed, print stock, or the contrassegno off)."""
    if not (settings.contrassegno and conf_firma.get("attiva") and conf_firma.get("archivia") and per_record
            and tipo.foglio is None and tipo.documento not in STAMPATI):
        return None
    ora = datetime.now(timezone.utc).replace(microsecond=0)
    return {"ora": ora.isoformat(), "base": secrets.token_hex(16), "chiavi": {}}


def documento_id(sigillo: Mapping[str, Any], n: int) -> str:
    """The archive id of manifest record ``n``: 12 hex digits of the job's milliseconds, then 20 hex
    digits from the job's random value and ``n`` (the shape of ``archive.indice.nuovo_id``)."""
    ms = int(datetime.fromisoformat(sigillo["ora"]).timestamp() * 1000)
    return f"{ms:012x}" + hashlib.sha256(f"{sigillo['base']}:{n}".encode()).hexdigest()[:20]


def carte(sessione: Any) -> dict[str, CartaPagina]:
    """Background resource name → page kind, for every layout the chunk's session compiled."""
    out: dict[str, CartaPagina] = {}
    for stamper in sessione.stampers:
        compiled = stamper.compiled
        for i, p in enumerate(compiled.pages):
            out[stamper.background_name(i)] = CartaPagina(
                p.width, p.height, (Fondo(compiled.key, i, pdf=compiled.background),),
                tuple((s.x, s.y, s.width, s.height) for s in p.slots))
    return out


def _impronta(identita: str, settings: Settings, attesa: str | None = None) -> str:
    """The fingerprint of ``identita``'s seal key (made on first use); an Italian error when the job
    fixed another one (a worker elsewhere must hold the job's key)."""
    from service.contrassegno import chiave_sigillo, kid_di

    kid = kid_di(chiave_sigillo(identita, settings).public_key()).hex()
    if attesa is not None and attesa != kid:
        raise RuleViolation(f"La chiave di sigillo di {identita} in {settings.identita_dir} non è quella con cui il "
                            f"lavoro è stato creato: copiare la chiave {identita}.sigillo.pem del lavoro.",
                            path=("sigillo",))
    return kid


def prepara_chiavi(sigillo: dict[str, Any], emittenti: set[str], settings: Settings) -> None:
    """At job creation: each issuer's seal key made (or loaded) and its fingerprint fixed in the job."""
    from service.contrassegno import identita_di

    for emittente in sorted(emittenti):
        identita = identita_di(emittente)
        sigillo["chiavi"][identita] = _impronta(identita, settings)


def sigilla_record(contenuto: bytes, rec: Mapping[str, Any], n: int, tipo: TipoLotto, ctx: Contesto,
                   lavoro: Mapping[str, Any], carta: Sequence[CartaPagina] | None) -> tuple[str, bytes]:
    """(document id, the record's content PDF + its contrassegno on every page)."""
    from service.archivio_metadati import metadati_da_pdf
    from service.contrassegno import identita_di, sigilla

    sigillo = lavoro["sigillo"]
    emittente = (lavoro.get("firma") or {}).get("emittente") or tipo.emittente(rec, ctx)
    if not emittente:
        raise RuleViolation(f"{tipo.titolo}: il record non indica chi emette il documento.", path=("emittente",))
    identita = identita_di(emittente)
    _impronta(identita, ctx.settings, (sigillo.get("chiavi") or {}).get(identita))
    meta = metadati_da_pdf(contenuto, tipo=tipo.documento, **tipo.metadati(rec))
    doc_id = documento_id(sigillo, n)
    ora = datetime.fromisoformat(sigillo["ora"])
    return doc_id, sigilla(contenuto, documento_id=doc_id, tipo=tipo.documento, codice_impianto=meta.codice_impianto,
                           data_documento=meta.data_documento, emittente=emittente, identita=identita,
                           settings=ctx.settings, ora=ora, carta=carta)


def ricomponi(sigillati: Sequence[bytes], titolo: str) -> tuple[bytes, list[tuple[int, int]]]:
    """The chunk made of the sealed records' pages, in order: its bytes and each record's (first page, pages)."""
    out = pikepdf.new()
    out.docinfo["/Title"] = titolo
    posti, aperti = [], []
    try:
        for dati in sigillati:
            src = pikepdf.open(io.BytesIO(dati))
            aperti.append(src)
            posti.append((len(out.pages), len(src.pages)))
            out.pages.extend(src.pages)
        buf = io.BytesIO()
        out.save(buf, deterministic_id=True)
    finally:
        for src in aperti:
            src.close()
    return buf.getvalue(), posti
