"""Batch kinds: one validated input item → its manifest records, and one record → stamped items.

One :class:`TipoLotto` per kind, looked up by :func:`tipo_lotto`; the job engine never branches
on a kind's name. Records are plain JSON objects (what the manifest stores); every kind
validates them with its domain model when the manifest is built, so a chunk only meets records
that passed. Kinds with a stamp template (targhe, etichette, avvisi, esiti) draw each record
into a compiled layout. ``moduli:<tipo>`` stamps the forms whose blank layout is their stamp
template (``service.batch.moduli.STAMPABILI``, Allegato G); any other form is laid out per record by
WeasyPrint (``service.produce.render_document``) and its pages are copied into the chunk. What the
kinds share (the base class, its context, validating a whole input) is ``service.batch.base``;
reading the input file, ``service.batch.sorgente``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

import pikepdf
from pydantic import BaseModel, ValidationError

from domain.avvisi import ENTI_PER_ANOMALIA, AvvisoIspezione, Destinatario, LetteraEsito, lettere_esito, riepilogo_da_rapporto
from domain.errors import RuleViolation, from_pydantic
from domain.etichetta import parse_numero_etichetta, prefisso_ente
from domain.targa import COPIE_TARGA, ImpiantoTarga
from renderers import barcode
from renderers.stamp import Item
from service.batch.base import Contesto, TipoLotto
from service.settings import Settings

__all__ = ["Moduli", "ModuloStampato", "tipo_lotto", "TIPI", "mappa_anomalie"]


def _valida(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_pydantic(exc) from None


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
        from service.enti import personalizzazioni
        from service.targhe import contesto_targa, pers_targa, valori_targa

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
        from service.enti import enti_da_settings

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
