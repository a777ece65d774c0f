"""One chunk of a job: manifest records [i·n, (i+1)·n) → ``blocchi/blocco-<i>.pdf`` + its report.

A chunk is the unit of work of the process pool and of the Celery workers, and the unit of
resume: it is written to a temporary file and renamed into place, then its report
(``blocco-<i>.json``, carrying the PDF's SHA-256 and the manifest hash) is renamed into place
last. A chunk counts as done only when its report exists and matches the PDF, so a process
killed at any instant leaves either a whole chunk or nothing (a stray temporary file).

Chunk bytes depend only on the manifest and the job options: fonts get their resource names
from a fresh font set per chunk, never from what a long-lived worker printed before.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pikepdf

from domain.errors import AppError, RuleViolation
from renderers.impose import Imposer, get_profile, write_one_up
from renderers.stamp import CodeOptions, FontSet, Item, parse_font_faces
from renderers.stamp_fonts import cartella_sottoinsiemi
from service.batch.base import Contesto, TipoLotto, motivo_scarto, nome_sicuro
from service.batch.cartelle import leggi_lavoro, percorso_blocco, scrivi_atomico  # noqa: F401 - also theirs
from service.batch.tipi import tipo_lotto
from service.settings import Settings
from service.stampa_fogli import SessioneStampa

__all__ = ["SessioneLotto", "esegui_blocco", "blocco_fatto", "percorso_blocco", "leggi_lavoro", "records_blocco",
           "opzioni_foglio", "scrivi_atomico"]


class SessioneLotto(SessioneStampa):
    """:class:`SessioneStampa` for one chunk: own font set, and a forced full layout on request."""

    def __init__(self, out: Any, *, settings: Settings, template: str, title: str, codes: CodeOptions) -> None:
        super().__init__(out, settings=settings, template=template, title=title, codes=codes)
        cartella_sottoinsiemi(settings.stampa_cache_dir)  # the subset fonts, made once for every process
        css = settings.templates_dir / "_base" / "fonts.css"
        self.fonts = FontSet(parse_font_faces(css.read_text(encoding="utf-8"), css.parent))

    def items_completi(self, variante: str, context: Callable[[], Mapping[str, Any]], valori: Mapping[str, Any],
                       full_context: Callable[[], Mapping[str, Any]], chiave: str) -> list[Item]:
        """The record laid out in full by WeasyPrint (its content needs more room than the slots)."""
        stamper = self.stamper(variante, context)
        self.complete.append(chiave)
        return stamper.full_items(self._html(full_context()), base_dir=self.settings.templates_dir / Path(self.template).parent,
                                  asset_roots=self._assets, values=valori)


def blocco_fatto(cartella: Path, indice: int, manifest_sha256: str) -> dict[str, Any] | None:
    """The chunk's report if the chunk is complete and belongs to this manifest, else None."""
    pdf = percorso_blocco(cartella, indice)
    try:
        rapporto = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
        if rapporto["manifest_sha256"] != manifest_sha256:
            return None
        if hashlib.sha256(pdf.read_bytes()).hexdigest() != rapporto["pdf_sha256"]:
            return None
        return rapporto
    except (OSError, ValueError, KeyError):
        return None


def records_blocco(cartella: Path, indice: int, dimensione: int, spostamento: int = 0
                   ) -> Iterable[tuple[int, dict[str, Any]]]:
    """(position in the manifest, record) of the chunk's records, read line by line. ``spostamento``:
    records the first chunk leaves to the used positions of a partly used first sheet."""
    inizio, fine = max(0, indice * dimensione - spostamento), (indice + 1) * dimensione - spostamento
    with (cartella / "manifest.jsonl").open(encoding="utf-8") as f:
        for n, riga in enumerate(f):
            if n >= fine:
                break
            if n >= inizio:
                yield n, json.loads(riga)


def esegui_blocco(cartella: Path, indice: int, settings: Settings) -> dict[str, Any]:
    """Print chunk ``indice`` of the job in ``cartella`` (skipped if already done); its report."""
    lavoro = leggi_lavoro(cartella)
    fatto = blocco_fatto(cartella, indice, lavoro["manifest_sha256"])
    if fatto is not None:
        return fatto
    # fontTools stamps subset fonts with the time they were made: pin it so that a template laid
    # out again (another process, an emptied cache) gives the same background bytes.
    os.environ["SOURCE_DATE_EPOCH"] = "0"
    tipo = tipo_lotto(lavoro["tipo"])
    ctx = Contesto(settings, lavoro["opzioni"])
    buf = io.BytesIO()
    fondi: dict[int, list[str]] = {}
    voci, pagine, carte = _stampa(tipo, ctx, records_blocco(cartella, indice, lavoro["record_per_blocco"],
                                                    lavoro.get("spostamento", 0)), buf, lavoro, primo=indice == 0,
                                  fondi=fondi if lavoro.get("sigillo") else None)
    pdf = percorso_blocco(cartella, indice)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    dati = buf.getvalue()
    if lavoro.get("per_record") and tipo.foglio is None and lavoro.get("sigillo"):
        dati, pagine = _documenti_sigillati(cartella, dati, voci, fondi, carte, tipo, ctx, lavoro)
    elif lavoro.get("per_record") and tipo.foglio is None:
        _documenti(cartella, dati, voci, tipo, ctx, lavoro)
    scrivi_atomico(pdf, dati)
    rapporto = {"indice": indice, "manifest_sha256": lavoro["manifest_sha256"],
                "pdf_sha256": hashlib.sha256(dati).hexdigest(), "pagine": pagine, "record": voci}
    scrivi_atomico(pdf.with_suffix(".json"), json.dumps(rapporto, ensure_ascii=False, sort_keys=True).encode())
    return rapporto


def _stampa(tipo: TipoLotto, ctx: Contesto, records: Iterable[tuple[int, dict[str, Any]]], out: io.BytesIO,
            lavoro: Mapping[str, Any], primo: bool = False, fondi: dict[int, list[str]] | None = None
            ) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
    """Stamp the records into ``out``: their report entries, the chunk's pages (sheets) and, when
    ``fondi`` is given (a sealed job), each record's page backgrounds in it and the session's page
    kinds (``service.batch.sigilli.carte``)."""
    codes = CodeOptions(qr_error="M", qr_version=ctx.opzioni.get("qr_version"))
    sessione = SessioneLotto(out, settings=ctx.settings, template=tipo.template or "_base/pagina.html.j2",
                             title=lavoro["titolo"], codes=codes)
    imposer = _imposer(tipo, ctx.opzioni, sessione, primo)
    voci: list[dict[str, Any]] = []
    for n, rec in records:
        voce = {"n": n, "chiave": tipo.chiave(rec), "stato": "prodotto", "pagina": sessione.writer.page_count,
                "pagine": 0, "impaginazione_completa": False, "motivo": ""}
        try:
            items = tipo.items(sessione, rec, ctx)
        except AppError as exc:
            voce.update(stato="fallito", motivo=motivo_scarto(exc))
            voci.append(voce)
            continue
        if imposer is not None:
            if primo and imposer.non_entra(len(items)):
                imposer.nuovo_foglio()  # a plate's copies stay on one sheet (see opzioni_foglio)
            imposer.place_all(items)
        else:
            for item in items:
                write_one_up(sessione.writer, item)
        voce["pagine"] = len(items)
        if fondi is not None:
            fondi[n] = [i.placement_xobject for i in items]
        voce["impaginazione_completa"] = tipo.template is not None and any(i.full_render for i in items)
        voci.append(voce)
    if imposer is not None:
        imposer.finish()
    sessione.close()
    carte = {}
    if fondi is not None:
        from service.batch.sigilli import carte as carte_di

        carte = carte_di(sessione)
    return voci, sessione.writer.page_count, carte  # pages counted as written, not by parsing the chunk again


def opzioni_foglio(tipo: Any, opz: dict[str, Any]) -> int:
    """Check (and normalise in ``opz``) the sheet options of a label kind: ``foglio`` (profile),
    ``inizio`` (first free position of the first sheet, 1-based), ``offset_x``/``offset_y`` (printer
    calibration, mm). Returns the job's ``spostamento``: the records the first chunk leaves to the
    used positions of the first sheet, so that every chunk still ends on a whole sheet."""
    if tipo.foglio is None:
        for campo in ("foglio", "inizio", "offset_x", "offset_y"):
            if opz.get(campo) not in (None, "", 0, 1 if campo == "inizio" else 0):
                raise RuleViolation(f"Il lotto {tipo.codice} non si stampa su fogli di etichette: "
                                    f"opzione {campo} non ammessa.", path=(campo,))
        return 0
    profilo = get_profile(str(opz.get("foglio") or tipo.foglio))
    if profilo.code == "A4-1x7" and tipo.foglio != "A4-1x7" or tipo.foglio == "A4-1x7" and profilo.code != "A4-1x7":
        raise RuleViolation(f"Foglio {profilo.code}: non adatto alle etichette di questo lotto.", path=("foglio",))
    try:
        inizio = int(opz.get("inizio") or 1)
        offset = {c: float(opz.get(c) or 0) for c in ("offset_x", "offset_y")}
    except (TypeError, ValueError):
        raise RuleViolation("Posizione iniziale e spostamenti devono essere numeri.", path=("inizio",)) from None
    if not 1 <= inizio <= profilo.per_sheet:
        raise RuleViolation(f"Posizione iniziale: indicare un numero intero tra 1 e {profilo.per_sheet}.",
                            path=("inizio",))
    ppr = tipo.pagine_per_record
    if profilo.per_sheet % ppr == 0 and profilo.per_sheet - inizio + 1 < ppr:
        raise RuleViolation(f"Posizione iniziale: da {inizio} il foglio non ha i {ppr} posti di un record "
                            f"(le copie di una targa stanno sullo stesso foglio): indicare al massimo "
                            f"{profilo.per_sheet - ppr + 1}.", path=("inizio",))
    for campo, valore in offset.items():
        if not -10 <= valore <= 10:
            raise RuleViolation(f"Spostamento {'orizzontale' if campo == 'offset_x' else 'verticale'} (mm): "
                                "indicare un numero tra -10 e 10.", path=(campo,))
    if profilo.code != tipo.foglio:
        opz["foglio"] = profilo.code
    if inizio != 1:
        opz["inizio"] = inizio
    opz.update({c: v for c, v in offset.items() if v})
    for c in ("inizio", "offset_x", "offset_y"):
        if not opz.get(c) or (c == "inizio" and opz[c] == 1):
            opz.pop(c, None)
    return -(-(inizio - 1) // tipo.pagine_per_record)


class _ImposerLotto(Imposer):
    """The chunk's imposer: the first chunk starts at the job's start position; the first sheet
    is closed early when a record's labels would not all fit on it."""

    def non_entra(self, etichette: int) -> bool:
        return 0 < self._cell and self._cell + etichette > self.profile.per_sheet \
            and self.profile.per_sheet % etichette == 0

    def nuovo_foglio(self) -> None:
        self._flush()


def _imposer(tipo: TipoLotto, opzioni: Mapping[str, Any], sessione: SessioneLotto, primo: bool) -> Imposer | None:
    """Sheet kinds: the job's sheet profile and calibration; the start position on the first chunk only."""
    if not tipo.foglio:
        return None
    return _ImposerLotto(sessione.writer, get_profile(str(opzioni.get("foglio") or tipo.foglio)),
                         inizio=int(opzioni.get("inizio") or 1) if primo else 1,
                         offset_x=float(opzioni.get("offset_x") or 0), offset_y=float(opzioni.get("offset_y") or 0))


def _documenti(cartella: Path, dati: bytes, voci: list[dict[str, Any]], tipo: TipoLotto, ctx: Contesto,
               lavoro: Mapping[str, Any]) -> None:
    """One PDF per record for the archive (pages cut from the chunk; forms: the full PDF/A render)."""
    dest = cartella / "documenti"
    dest.mkdir(exist_ok=True)
    records = dict(records_blocco(cartella, voci[0]["n"] // lavoro["record_per_blocco"], lavoro["record_per_blocco"])) \
        if voci else {}
    with pikepdf.open(io.BytesIO(dati)) as src:
        for v in voci:
            if v["stato"] != "prodotto":
                continue
            nome = dest / f"{v['n'] + 1:06d}-{nome_sicuro(v['chiave'])}.pdf"
            v["documento"] = nome.name
            if tipo.archivio_completo:
                scrivi_atomico(nome, tipo.render(records[v["n"]], ctx))  # type: ignore[attr-defined]
                continue
            scrivi_atomico(nome, _taglia(src, v, lavoro))


def _taglia(src: pikepdf.Pdf, v: Mapping[str, Any], lavoro: Mapping[str, Any]) -> bytes:
    """A letter's own PDF: its pages cut from the chunk."""
    one = pikepdf.new()
    one.pages.extend(src.pages[v["pagina"]:v["pagina"] + v["pagine"]])
    one.docinfo["/Title"] = f"{lavoro['titolo']} - {v['chiave']}"
    b = io.BytesIO()
    one.save(b, deterministic_id=True)
    return b.getvalue()


def _documenti_sigillati(cartella: Path, dati: bytes, voci: list[dict[str, Any]], fondi: Mapping[int, list[str]],
                         carte: Mapping[str, Any], tipo: TipoLotto, ctx: Contesto, lavoro: Mapping[str, Any]
                         ) -> tuple[bytes, int]:
    """A sealed job's chunk (``service.batch.sigilli``): each record's content PDF sealed and written
    under ``documenti/``, then the chunk rebuilt from the sealed records. The new chunk and its pages."""
    from service.batch.sigilli import ricomponi, sigilla_record

    dest = cartella / "documenti"
    dest.mkdir(exist_ok=True)
    records = dict(records_blocco(cartella, voci[0]["n"] // lavoro["record_per_blocco"], lavoro["record_per_blocco"])) \
        if voci else {}
    ora = lavoro["sigillo"]["ora"]
    sigillati = []
    with pikepdf.open(io.BytesIO(dati)) as src:
        for v in voci:
            if v["stato"] != "prodotto":
                continue
            rec = records[v["n"]]
            if tipo.archivio_completo:
                prodotto = tipo.prodotto(rec, ctx, ora=ora)  # type: ignore[attr-defined]
                contenuto, carta = prodotto.pdf, prodotto.carta
            else:
                contenuto = _taglia(src, v, lavoro)
                kinds = [carte.get(nome) for nome in fondi.get(v["n"], ())]
                carta = kinds if kinds and all(kinds) else None  # a record laid out in full: its pages are read
            v["documento_id"], sigillato = sigilla_record(contenuto, rec, v["n"], tipo, ctx, lavoro, carta)
            nome = dest / f"{v['n'] + 1:06d}-{nome_sicuro(v['chiave'])}.pdf"
            v["documento"] = nome.name
            scrivi_atomico(nome, sigillato)
            sigillati.append((v, sigillato))
    nuovo, posti = ricomponi([s for _, s in sigillati], lavoro["titolo"])
    for (v, _), (inizio, pagine) in zip(sigillati, posti):
        v["pagina"], v["pagine"] = inizio, pagine
    fine = 0
    for v in voci:  # a failed record keeps no pages: its place is where the next one starts
        if v["stato"] != "prodotto":
            v["pagina"] = fine
        fine = v["pagina"] + v["pagine"]
    return nuovo, sum(p for _, p in posti)
