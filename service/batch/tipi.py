"""Batch kinds: input file → validated records (the manifest), and one record → stamped items.

One :class:`TipoLotto` per kind, looked up by :func:`tipo_lotto`; the job engine never branches
on a kind's name. Records are plain JSON objects (what the manifest stores); every kind
validates them with its domain model when the manifest is built, so a chunk only meets records
that passed. Kinds with a stamp template (targhe, etichette, avvisi, esiti) draw each record
into a compiled layout. ``moduli:<tipo>`` stamps the forms whose blank layout is their stamp
template (``service.batch.moduli.STAMPABILI``, Allegato G); any other form is laid out per record by
WeasyPrint (``service.produce.render_document``) and its pages are copied into the chunk.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from abc import ABC, abstractmethod
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pikepdf
from pydantic import BaseModel, ValidationError

from domain.avvisi import ENTI_PER_ANOMALIA, AvvisoIspezione, Destinatario, LetteraEsito, lettere_esito, riepilogo_da_rapporto
from domain.errors import AppError, RuleViolation, from_pydantic
from domain.etichetta import parse_numero_etichetta, prefisso_ente
from domain.targa import COPIE_TARGA, ImpiantoTarga
from renderers import barcode
from renderers.stamp import Item
from service.settings import Settings

__all__ = ["TipoLotto", "Moduli", "ModuloStampato", "Scarto", "tipo_lotto", "TIPI", "leggi_sorgente", "Contesto", "mappa_anomalie"]


@dataclass(frozen=True)
class Scarto:
    """An input record refused before printing: 1-based position (or file line) and Italian reason."""

    riga: int
    chiave: str
    motivo: str


def _motivo(exc: AppError) -> str:
    from domain.errors import ValidationFailed, format_path

    errs = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return "; ".join(f"{format_path(e.path)}: {e.message}" if e.path else e.message for e in errs)


def _valida(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_pydantic(exc) from None


def _sicuro(testo: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", testo).strip("_")[:80] or "record"


class Contesto:
    """What a kind needs while stamping one chunk: settings, the Enti registry, job options."""

    def __init__(self, settings: Settings, opzioni: Mapping[str, Any]) -> None:
        from service.targhe import enti_da_settings

        self.settings = settings
        self.opzioni = dict(opzioni)
        self.enti = enti_da_settings(settings)

    def ente(self, ente_id: str | None, codice_impianto: str):
        return self.enti.get(ente_id) if ente_id else self.enti.competente(codice_impianto[:6])

    def ente_id(self, ente_id: str | None, codice_impianto: str) -> str | None:
        """Id of the named Ente, else of the Ente competente; None when neither is known."""
        try:
            return self.ente(ente_id, codice_impianto).id
        except AppError:
            return None


class TipoLotto(ABC):
    """Base of the batch kinds; subclasses set the class attributes and override the hooks."""

    codice: str = ""
    template: str | None = None
    """Template folder/page of the stamp layout (None: full WeasyPrint render per record)."""
    titolo: str = ""
    foglio: str | None = None
    """Sheet profile for label kinds; None = one page per document (letters, forms)."""
    gruppi: tuple[str, ...] = ()
    """Keys the output can be split by for mailing (``cap``, ``comune``)."""
    pagine_per_record: int = 1
    """Labels per record on sheets (a chunk holds whole sheets)."""
    archivio_completo: bool = False
    """Per-record archive PDFs are full renders (forms: PDF/A-3b with ``dati.json``), not pages cut
    from the chunk."""
    documento: str = ""
    """Document type of the output for the issuing policy and the archive index
    (``service.emissione.EMITTENTI``): who may sign it, how it is filed."""

    def records(self, dati: Any, opzioni: Mapping[str, Any], processi: int = 1,
                validatori: Validatori | None = None, *, settings: Settings | None = None
                ) -> tuple[RecordCompatti, list[Scarto]]:
        """Validated records (a sequence of JSON objects, held as their canonical manifest lines)
        and the refused ones, in input order.

        With ``processi`` > 1 and a long input the items are validated by that many forked
        processes, each a contiguous slice (validating a rapporto di prova and building its
        letters costs ~15 ms: it was most of a 10,000-letter job). ``validatori``: processes
        already running that inherited the input (a local job's printers,
        ``service.batch.stampatori``) validate it instead, whatever its length. ``settings``
        given, each record's issuer is named as it is validated (``RecordCompatti.emittenti``:
        the signer check does not validate a form again for it)."""
        dati, opzioni = self.da_validare(dati, opzioni)
        parti = validatori(self, dati, opzioni) if validatori is not None and len(dati) else None
        if parti is not None:
            return self._unite(parti)
        if processi <= 1 or len(dati) < _MIN_PARALLELO:
            return self._valida_parte(dati, opzioni, 0, Contesto(settings, opzioni) if settings is not None else None)
        global _IN_VALIDAZIONE
        passo = -(-len(dati) // processi)
        _IN_VALIDAZIONE = (self, dati, opzioni, settings)
        try:
            with ProcessPoolExecutor(processi, mp_context=get_context("fork")) as pool:
                parti = list(pool.map(_valida_fetta, range(0, len(dati), passo), [passo] * processi))
        finally:
            _IN_VALIDAZIONE = None
        return self._unite(parti)

    def da_validare(self, dati: Any, opzioni: Mapping[str, Any]) -> tuple[Sequence[Any], dict[str, Any]]:
        """The items :meth:`records` validates one by one, and the options it validates them with
        (an input of another shape: ``RuleViolation``)."""
        if not isinstance(dati, (list, ElencoCompatto)):
            raise RuleViolation("Il file deve contenere un elenco JSON ([{...}, ...]).", path=("sorgente",))
        return dati, dict(opzioni)

    def opzioni_iniziali(self, opzioni: Mapping[str, Any] | None, settings: Settings) -> dict[str, Any]:
        """The job's options before its records are known: the caller's, and what validating needs."""
        return dict(opzioni or {})

    @staticmethod
    def _unite(parti: list[tuple[RecordCompatti, list[Scarto]]]) -> tuple[RecordCompatti, list[Scarto]]:
        """The slices' results, validated elsewhere, as one."""
        emittenti = [b.emittenti for b, _ in parti]
        return (RecordCompatti([r for b, _ in parti for r in b.righe],
                               None if None in emittenti else frozenset().union(*emittenti)),
                [s for _, sc in parti for s in sc])

    def _valida_parte(self, dati: Iterable[Any], opzioni: Mapping[str, Any], inizio: int,
                      ctx: Contesto | None = None) -> tuple[RecordCompatti, list[Scarto]]:
        """``ctx`` given: each valid record's issuer is named too, while its model is at hand
        (``RecordCompatti.emittenti``; None if naming one failed: the caller names them)."""
        buoni: list[str] = []
        scarti = []
        emittenti: set[str | None] | None = set() if ctx is not None else None
        for i, grezzo in enumerate(dati, start=inizio + 1):
            try:
                validi = self.valida(grezzo, opzioni)
            except AppError as exc:
                scarti.append(Scarto(i, self._chiave_grezza(grezzo), _motivo(exc)))
                continue
            buoni.extend(canonico(r) for r in validi)
            if emittenti is not None:
                try:
                    emittenti.update(self.emittente(r, ctx) for r in validi)
                except Exception:  # noqa: BLE001 - named again, and reported, by the caller
                    emittenti = None
        return RecordCompatti(buoni, None if emittenti is None else frozenset(emittenti)), scarti

    def _chiave_grezza(self, grezzo: Any) -> str:
        return str(grezzo.get("codice_impianto", "")) if isinstance(grezzo, dict) else ""

    @abstractmethod
    def valida(self, grezzo: Any, opzioni: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One input item → its manifest records (JSON objects); AppError when refused."""

    def opzioni_lotto(self, records: list[dict[str, Any]], opzioni: Mapping[str, Any],
                      settings: Settings) -> dict[str, Any]:
        """Options fixed for the whole job from its records (e.g. one QR version)."""
        return dict(opzioni)

    def chiave(self, rec: Mapping[str, Any]) -> str:
        return str(rec.get("codice_impianto", ""))

    def gruppo(self, rec: Mapping[str, Any], per: str) -> str:
        raise RuleViolation(f"Il lotto {self.codice} non si può dividere per {per}.", path=("dividi_per",))

    def emittente(self, rec: Mapping[str, Any], ctx: Contesto) -> str | None:
        """The organisation that issues this record's document when nobody names one (the Ente
        the record names, else the Ente competente for its impianto); None when unknown."""
        return ctx.ente_id(rec.get("ente_id"), str(rec.get("codice_impianto") or ""))

    def metadati(self, rec: Mapping[str, Any]) -> dict[str, Any]:
        """Index metadata of the record's archival PDF (``service.archivio.MetadatiDocumento`` fields)."""
        return {"codice_impianto": rec.get("codice_impianto")}

    @abstractmethod
    def items(self, sessione: Any, rec: Mapping[str, Any], ctx: Contesto) -> list[Item]:
        """The pages (or labels) of one record, drawn through ``sessione`` (a ``SessioneLotto``)."""


def canonico(rec: Any) -> str:
    """A record's manifest line (without the newline): canonical JSON."""
    return json.dumps(rec, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class RecordCompatti(Sequence):
    """Validated records held as their manifest lines, parsed on access: a 50,000-letter job
    kept as dicts was most of its peak memory; as lines it is the size of the manifest."""

    def __init__(self, righe: list[str], emittenti: frozenset[str | None] | None = None) -> None:
        self.righe = righe
        self.emittenti = emittenti
        """The records' issuers (``TipoLotto.emittente``; None among them: a record names none),
        when the validators named them; None: not named."""

    def __len__(self) -> int:
        return len(self.righe)

    def __getitem__(self, i):  # noqa: ANN001 - Sequence protocol
        if isinstance(i, slice):
            return [json.loads(r) for r in self.righe[i]]
        return json.loads(self.righe[i])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (json.loads(r) for r in self.righe)

    def sort(self, *, key) -> None:  # noqa: ANN001 - like list.sort: stable
        self.righe.sort(key=lambda r: key(json.loads(r)))


Validatori = Callable[["TipoLotto", Sequence[Any], Mapping[str, Any]],
                      "list[tuple[RecordCompatti, list[Scarto]]] | None"]
"""Validates an input in processes that inherited it: its slices' results in order, or None when
the input is not the one they hold (``service.batch.stampatori.Stampatori.valida``)."""


def valida_fetta(tipo: TipoLotto, dati: Sequence[Any], inizio: int, passo: int, opzioni: Mapping[str, Any],
                 settings: Settings | None) -> tuple[RecordCompatti, list[Scarto]]:
    """Items ``inizio`` … ``inizio + passo - 1`` of ``dati`` validated, their issuers named when
    ``settings`` is given."""
    ctx = Contesto(settings, opzioni) if settings is not None else None
    # one item at a time: a compact input is parsed as it is validated, never a whole slice
    return tipo._valida_parte((dati[i] for i in range(inizio, min(inizio + passo, len(dati)))), opzioni, inizio, ctx)


_MIN_PARALLELO = 400
"""Inputs shorter than this are validated in the calling process (a fork costs more)."""
_IN_VALIDAZIONE: tuple[TipoLotto, list[Any], Mapping[str, Any], Settings | None] | None = None
"""What the forked validators read (inherited with the fork: nothing is pickled on the way in)."""


def _valida_fetta(inizio: int, passo: int) -> tuple[RecordCompatti, list[Scarto]]:
    assert _IN_VALIDAZIONE is not None
    tipo, dati, opzioni, settings = _IN_VALIDAZIONE
    return valida_fetta(tipo, dati, inizio, passo, opzioni, settings)


class Targhe(TipoLotto):
    codice, template, titolo, foglio = "targhe", "targa/documento.html.j2", "Targhe impianti termici", "A4-2x5"
    documento = "targhe"
    pagine_per_record = len(COPIE_TARGA)

    def valida(self, grezzo: Any, opzioni: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [_valida(ImpiantoTarga, grezzo).model_dump(mode="json")]

    def opzioni_lotto(self, records, opzioni, settings):
        from service.targhe import payload_qr

        lungo = max((r["codice_impianto"] for r in records), key=len, default="000000CT0000000")
        return {**opzioni, "qr_version": barcode.qr_version_for(payload_qr(lungo, settings.targhe_url_verifica))}

    def items(self, sessione, rec, ctx):
        from service.targhe import contesto_targa, pers_targa, personalizzazioni, valori_targa

        imp = ImpiantoTarga.model_validate(rec)
        ente = ctx.ente(imp.ente_id, imp.codice_impianto)
        # once per Ente and chunk, not per plate (the file read and the colour contrast checked again)
        scelte = ctx.__dict__.setdefault("_pers_targa", {})
        pers = scelte.get(ente.id)
        if pers is None:
            pers = scelte[ente.id] = pers_targa(personalizzazioni(ctx.settings, "targa"), ente.id)
        valori = valori_targa(imp, ctx.settings.targhe_url_verifica)

        def contesto(v):
            return {"calcoli": {"targhe": [contesto_targa(ente, pers, v)]}, "copie": COPIE_TARGA}

        return sessione.items(ente.id, lambda: contesto(None), valori, lambda: contesto(valori), imp.codice_impianto)


class Etichette(TipoLotto):
    codice, template, titolo, foglio = "etichette", "etichetta/documento.html.j2", "Etichette di validazione", "A4-1x7"
    documento = "etichette"

    def emittente(self, rec, ctx):
        return str(ctx.opzioni.get("ente_id") or "") or None

    def da_validare(self, dati, opzioni):
        if not isinstance(dati, dict) or not isinstance(dati.get("numeri"), list):
            raise RuleViolation('Il file deve contenere {"ente_id": ..., "tipo": "G"|"F", "numeri": [...]}.',
                                path=("sorgente",))
        return dati["numeri"], {**opzioni, "ente_id": dati.get("ente_id"), "tipo": dati.get("tipo")}

    def _chiave_grezza(self, grezzo):
        return str(grezzo)

    def valida(self, grezzo, opzioni):
        numero = parse_numero_etichetta(str(grezzo))
        if numero.tipo != opzioni.get("tipo"):
            raise RuleViolation(f"L'etichetta {numero} è di tipo {numero.tipo}, non {opzioni.get('tipo')}.",
                                path=("numeri",))
        return [{"numero": numero.compatto}]

    def opzioni_lotto(self, records, opzioni, settings):
        from service.targhe import enti_da_settings

        ente = enti_da_settings(settings).get(str(opzioni.get("ente_id") or ""))
        atteso = prefisso_ente(ente.tipo, ente.sigla, ente.istat)
        for r in records:
            if not r["numero"].startswith(atteso):
                raise RuleViolation(f"L'etichetta {r['numero']} non è dell'Ente {ente.denominazione}.", path=("numeri",))
        primo = records[0]["numero"] if records else "X"
        return {**opzioni, "qr_version": barcode.qr_version_for(primo)}

    def chiave(self, rec):
        return rec["numero"]

    def items(self, sessione, rec, ctx):
        from service.etichette_stampa import contesto_etichetta, pers_etichetta

        numero = parse_numero_etichetta(rec["numero"])
        ente = ctx.enti.get(ctx.opzioni["ente_id"])
        pers = pers_etichetta(ctx.settings, ente.id)
        valori = {"numero": numero.leggibile, "qr": numero.compatto, "barre": numero.compatto}

        def contesto(v):
            return {"calcoli": {"etichette": [contesto_etichetta(ente, pers, numero, v)]}, "copie": ("",)}

        return sessione.items(f"{numero.stagione}-{numero.fascia}", lambda: contesto(None), valori,
                              lambda: contesto(valori), numero.compatto)


class Avvisi(TipoLotto):
    codice, template, titolo = "avvisi", "avviso_ispezione/documento.html.j2", "Avvisi di ispezione"
    gruppi = ("cap", "comune")
    documento = "avviso-ispezione"

    def metadati(self, rec):
        return {"codice_impianto": rec["codice_impianto"], "data_documento": rec["data_avviso"],
                "destinatario": rec["responsabile"]["nominativo"],
                "oggetto": f"Avviso di ispezione, protocollo {rec['protocollo']}"}

    def valida(self, grezzo, opzioni):
        return [_valida(AvvisoIspezione, grezzo).model_dump(mode="json")]

    def chiave(self, rec):
        return f"{rec['codice_impianto']}-{rec['protocollo']}"

    def gruppo(self, rec, per):
        dest = rec["responsabile"]
        return str(dest.get(per) or "senza-" + per)

    def items(self, sessione, rec, ctx):
        from service.documents.batch import contesto_avviso, valori_avviso, variante_avviso_ente

        a = AvvisoIspezione.model_validate(rec)
        ente = ctx.ente(a.ente_id, a.codice_impianto)
        valori = valori_avviso(a)

        def contesto(v):
            return {"calcoli": contesto_avviso(a, ente, v), "copie": ("",)}

        return sessione.items(variante_avviso_ente(a, ente), lambda: contesto(None), valori,
                              lambda: contesto(valori), self.chiave(rec))


class Esiti(TipoLotto):
    """Rapporti di prova → letters: each input item gives the responsabile's letter plus one per
    other competent body (the manifest holds the letters)."""

    codice, template, titolo = "esiti", "lettera_esito/documento.html.j2", "Lettere di esito delle ispezioni"
    gruppi = ("cap", "comune")
    documento = "lettera-esito"

    def opzioni_iniziali(self, opzioni, settings):
        return {**super().opzioni_iniziali(opzioni, settings), "mappa_anomalie": mappa_anomalie(settings)}

    def emittente(self, rec, ctx):
        return ctx.ente_id(rec.get("ente_id"), rec["riepilogo"]["codice_impianto"])

    def metadati(self, rec):
        return {"codice_impianto": rec["riepilogo"]["codice_impianto"], "data_documento": rec["data_lettera"],
                "destinatario": rec["destinatario"]["nominativo"],
                "oggetto": f"Lettera di esito dell'ispezione, protocollo {rec['protocollo']}"}

    def _chiave_grezza(self, grezzo):
        return str(grezzo.get("protocollo", "")) if isinstance(grezzo, dict) else ""

    def valida(self, grezzo, opzioni):
        from service.registry import get_document_type

        if not isinstance(grezzo, dict) or grezzo.get("tipo") not in ("allegato-a", "allegato-b"):
            raise RuleViolation('Ogni elemento deve avere "tipo" ("allegato-a" o "allegato-b") e "dati".', path=("tipo",))
        for campo in ("protocollo", "data_lettera", "funzionario"):
            if not grezzo.get(campo):
                raise RuleViolation(f"Manca il campo {campo}.", path=(campo,))
        rapporto = get_document_type(grezzo["tipo"]).valida(grezzo.get("dati"))
        dest = _valida(Destinatario, grezzo["destinatario"]) if grezzo.get("destinatario") else None
        r = riepilogo_da_rapporto("A" if grezzo["tipo"] == "allegato-a" else "B", rapporto, dest)
        lettere = lettere_esito(
            r, protocollo=str(grezzo["protocollo"]), data_lettera=date.fromisoformat(str(grezzo["data_lettera"])),
            funzionario=str(grezzo["funzionario"]), ente_id=grezzo.get("ente_id"),
            termine_giorni=int(grezzo.get("termine_giorni") or 60), mappa=opzioni.get("mappa_anomalie"),
            provincia=str(grezzo.get("provincia") or ""))
        return [lettera.model_dump(mode="json") for lettera in lettere]

    def chiave(self, rec):
        return rec["protocollo"]

    def gruppo(self, rec, per):
        return str(rec["destinatario"].get(per) or "senza-" + per)

    def items(self, sessione, rec, ctx):
        from service.documents.batch import contesto_lettera, lettera_trabocca, valori_lettera, variante_lettera

        lettera = LetteraEsito.model_validate(rec)
        ente = ctx.ente(lettera.ente_id, lettera.riepilogo.codice_impianto)
        valori = valori_lettera(lettera)
        args = (variante_lettera(lettera, ente), lambda: {"calcoli": contesto_lettera(lettera, ente, None), "copie": ("",)},
                valori, lambda: {"calcoli": contesto_lettera(lettera, ente, valori, completa=True), "copie": ("",)},
                lettera.protocollo)
        return sessione.items_completi(*args) if lettera_trabocca(lettera) else sessione.items(*args)


class Moduli(TipoLotto):
    """Any registered form, one WeasyPrint render per record (no stamp template)."""

    template = None
    archivio_completo = True

    def __init__(self, tipo: str) -> None:
        from service.registry import get_document_type

        self.doc = get_document_type(tipo)
        self.codice = f"moduli:{tipo}"
        self.titolo = self.doc.title
        self.documento = self.doc.code
        self._ultimo: tuple[Any, Any] | None = None
        """(item, model) of the last item validated: :meth:`emittente`, asked for that item next
        (``TipoLotto._valida_parte``), takes its model instead of validating the form again."""

    def valida(self, grezzo, opzioni):
        model = self.doc.valida(grezzo)
        self._ultimo = (grezzo, model)
        return [grezzo]

    def chiave(self, rec):
        return str(rec.get("codice_impianto") or rec.get("codice_catasto") or rec.get("protocollo") or "")

    def emittente(self, rec, ctx):
        from service.politica import emittente_predefinito

        ultimo, self._ultimo = self._ultimo, None
        model = ultimo[1] if ultimo is not None and ultimo[0] is rec else self.doc.valida(rec)
        return emittente_predefinito(self.doc, model, ctx.enti)

    def metadati(self, rec):
        return {}  # the full render carries dati.json: service.archivio reads the keys from it

    def render(self, rec: Mapping[str, Any], ctx: Contesto) -> bytes:
        return self.prodotto(rec, ctx).pdf

    def prodotto(self, rec: Mapping[str, Any], ctx: Contesto, ora: str | None = None) -> Any:
        """The record's PDF/A render (``service.produce.Prodotto``: with the engine's page kinds);
        ``ora`` (ISO): its creation time."""
        from datetime import datetime

        from service.produce import produci

        return produci(self.doc.code, rec, settings=ctx.settings, ora=datetime.fromisoformat(ora) if ora else None)

    def items(self, sessione, rec, ctx):
        pdf = pikepdf.open(io.BytesIO(self.render(rec, ctx)))
        with pdf:
            out = []
            for i, page in enumerate(pdf.pages):
                w, h = (float(v) for v in page.mediabox[2:4])
                name = sessione.writer.import_page(pdf, i, f"M{sessione.writer.page_count}p{i}")
                out.append(Item(w, h, name, b"", frozenset(), full_render=True))
            return out


class ModuloStampato(Moduli):
    """A form whose blank layout is its stamp template (``service.batch.moduli``): each record is
    stamped on it; a record whose values do not fit is laid out in full and counted."""

    def __init__(self, tipo: str) -> None:
        super().__init__(tipo)
        self.template = self.doc.template_path

    def items(self, sessione, rec, ctx):
        from renderers.stamp import NeedsFullRender
        from service.batch.moduli import StampaModulo

        model = self.doc.valida(rec)
        modo = str(ctx.opzioni.get("modo") or ctx.settings.modo_default)
        cache = sessione.__dict__.setdefault("_moduli", {})
        if modo not in cache:
            stampa = StampaModulo(self.doc, modo, ctx.settings)
            cache[modo] = (stampa, *stampa.stamper(sessione.writer, sessione.fonts, sessione.codes))
        stampa, stamper, forme = cache[modo]
        try:
            return stampa.items(stamper, forme, model)
        except NeedsFullRender:
            sessione.complete.append(self.chiave(rec))
            return super().items(sessione, rec, ctx)


TIPI: dict[str, TipoLotto] = {t.codice: t for t in (Targhe(), Etichette(), Avvisi(), Esiti())}


def tipo_lotto(codice: str) -> TipoLotto:
    if codice.startswith("moduli:"):
        from service.batch.moduli import STAMPABILI

        tipo = codice.split(":", 1)[1]
        return ModuloStampato(tipo) if tipo in STAMPABILI else Moduli(tipo)
    try:
        return TIPI[codice]
    except KeyError:
        raise RuleViolation(f"Tipo di lotto sconosciuto: {codice}. Disponibili: {', '.join(TIPI)}, moduli:<tipo>.",
                            path=("tipo",)) from None


def leggi_sorgente(percorso: Path) -> Any:
    """JSON (list or object), or a ``;``-delimited UTF-8 CSV with a header (avvisi: nested keys as
    ``responsabile_nominativo``, ``responsabile_cap``…)."""
    try:
        testo = percorso.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleViolation(f"File {percorso.name} non leggibile (serve UTF-8).", path=("sorgente",)) from exc
    if percorso.suffix.lower() == ".csv":
        righe = list(csv.DictReader(io.StringIO(testo), delimiter=";"))
        return [_annida({k.strip(): (v.strip() if v and v.strip() else None) for k, v in r.items() if k}) for r in righe]
    try:
        if testo.lstrip().startswith("["):
            return ElencoCompatto.da_testo(testo)
        return json.loads(testo)
    except json.JSONDecodeError as exc:
        raise RuleViolation(f"JSON non valido alla riga {exc.lineno}: {exc.msg}.", path=("sorgente",)) from exc


class ElencoCompatto(Sequence):
    """A JSON array read from a file, each item kept as its own JSON text and parsed on access:
    25,000 rapporti di prova (125 MB of JSON) took 454 MB as Python objects, most of the peak of
    a 50,000-letter job; as text they take their size."""

    def __init__(self, voci: list[str]) -> None:
        self.voci = voci

    @classmethod
    def da_testo(cls, testo: str) -> ElencoCompatto:
        """Split a JSON array into its items' texts (each item parsed once to find its end, and
        dropped). JSONDecodeError as ``json.loads`` would raise it."""
        decoder = json.JSONDecoder()
        ws = re.compile(r"[ \t\n\r]*")
        i = ws.match(testo, 0).end() + 1  # past "["
        voci: list[str] = []
        i = ws.match(testo, i).end()
        if testo[i:i + 1] == "]":
            return cls(voci)
        while True:
            _, fine = decoder.raw_decode(testo, i)
            voci.append(testo[i:fine])
            i = ws.match(testo, fine).end()
            c = testo[i:i + 1]
            if c == "]":
                if testo[ws.match(testo, i + 1).end():]:
                    raise json.JSONDecodeError("Extra data", testo, i + 1)
                return cls(voci)
            if c != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter", testo, i)
            i = ws.match(testo, i + 1).end()

    def __len__(self) -> int:
        return len(self.voci)

    def __getitem__(self, i):  # noqa: ANN001 - Sequence protocol
        if isinstance(i, slice):
            return [json.loads(v) for v in self.voci[i]]
        return json.loads(self.voci[i])


def _annida(riga: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in riga.items():
        if k.startswith("responsabile_"):
            out.setdefault("responsabile", {})[k.removeprefix("responsabile_")] = v
        else:
            out[k] = v
    return out


def mappa_anomalie(settings: Settings) -> dict[str, tuple[str, ...]]:
    """The anomaly → competent bodies table: the configured file, or the project default."""
    if settings.batch_enti_anomalie_file is None:
        return dict(ENTI_PER_ANOMALIA)
    try:
        data = json.loads(settings.batch_enti_anomalie_file.read_text(encoding="utf-8"))
        return {str(k): tuple(v) for k, v in data.items()}
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise RuleViolation("Tabella degli Enti competenti per anomalia non leggibile.",
                            path=("enti_anomalie",)) from exc
