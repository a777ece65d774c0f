"""Targhe: impianti → plates (2 per impianto) stamped on label sheets, streamed to a PDF.

Reads settings (templates, fonts, cache, QR base URL, per-Ente customisation) and
the Enti registry, then runs the stamp engine: one compiled template per issuing
Ente (its band, logo and extra lines are static), per plate only the codice, the
address line and the two codes are drawn. A plate whose text cannot be stamped
(too long even when shrunk and wrapped, or a character the font lacks) is laid out
by WeasyPrint instead and counted in :attr:`EsitoStampa.impaginazioni_complete`.

:class:`SessioneStampa` is the reusable part (fonts, compile cache, fallback) that
``service/etichette_stampa.py`` and the batch jobs share.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from domain.enti import Ente, RegistroEnti, registro_enti
from domain.errors import RuleViolation, from_pydantic
from domain.targa import (
    COPIE_TARGA,
    ElencoImpiantiTarga,
    ImpiantoTarga,
    PersonalizzazioneTarga,
    riga_ente,
    riga_indirizzo,
)
from renderers import barcode
from renderers.html import render_html
from renderers.impose import CellPosition, Imposer, get_profile
from renderers.pdfstream import PdfStreamWriter
from renderers.stamp import CodeOptions, FontSet, Item, NeedsFullRender, Stamper, compile_template, parse_font_faces
from service.settings import Settings, get_settings

__all__ = [
    "EsitoStampa",
    "SessioneStampa",
    "OpzioniFoglio",
    "render_targhe",
    "payload_qr",
    "enti_da_settings",
    "personalizzazioni",
    "valori_targa",
]

TEMPLATE = "targa/documento.html.j2"


@dataclass(frozen=True)
class OpzioniFoglio:
    """How labels go on the stock (CLI ``--foglio --inizio --offset-x --offset-y --prova``)."""

    foglio: str = "A4-2x5"
    inizio: int = 1
    """First label position used on the first sheet (1 = top-left)."""
    offset_x: float = 0.0
    """Printer calibration, mm (positive: right)."""
    offset_y: float = 0.0
    """Printer calibration, mm (positive: down)."""
    prova: bool = False
    """Draw label outlines and crop marks."""


@dataclass
class EsitoStampa:
    """What a run produced: counts, fallbacks and (on request) every label position."""

    etichette: int = 0
    fogli: int = 0
    impaginazioni_complete: list[str] = field(default_factory=list)
    """Records laid out by WeasyPrint because their text could not be stamped."""
    posizioni: list[CellPosition] | None = None


@lru_cache(maxsize=4)
def _font_set(templates_dir: str, fonts_dir: str) -> FontSet:
    css_path = Path(templates_dir) / "_base" / "fonts.css"
    return FontSet(parse_font_faces(css_path.read_text(encoding="utf-8"), css_path.parent))


class SessioneStampa:
    """One output file: writer + a stamper per compiled variant (Ente customisation…)."""

    def __init__(self, out: BinaryIO, *, settings: Settings, template: str, title: str,
                 codes: CodeOptions = CodeOptions()) -> None:
        self.settings = settings
        self.template = template
        self.title = title
        self.writer = PdfStreamWriter(out, title=title)
        self.fonts = _font_set(str(settings.templates_dir), str(settings.fonts_dir))
        self.codes = codes
        self._stampers: dict[str, Stamper] = {}
        self.complete: list[str] = []

    def _html(self, context: Mapping[str, Any]) -> str:
        base = {"d": None, "modo": "normalizzato", "vuoto": False, "titolo": self.title}
        return render_html(self.settings.templates_dir, self.template, {**base, **context})

    @property
    def _assets(self) -> tuple[Path, Path]:
        return (self.settings.templates_dir, self.settings.fonts_dir)

    def stamper(self, variante: str, context: Callable[[], Mapping[str, Any]]) -> Stamper:
        """The stamper of ``variante``, compiling (or loading from cache) its template once."""
        if variante not in self._stampers:
            compiled = compile_template(
                self._html(context()), base_dir=self.settings.templates_dir / Path(self.template).parent,
                asset_roots=self._assets, cache_dir=self.settings.stampa_cache_dir)
            self._stampers[variante] = Stamper(compiled, self.fonts, self.writer, codes=self.codes)
        return self._stampers[variante]

    def items(self, variante: str, context: Callable[[], Mapping[str, Any]], valori: Mapping[str, Any],
              full_context: Callable[[], Mapping[str, Any]], chiave: str) -> list[Item]:
        """Every page of one record: stamped, or laid out in full when a value does not fit."""
        stamper = self.stamper(variante, context)
        try:
            return stamper.stamp_all(valori)
        except NeedsFullRender:
            self.complete.append(chiave)
            return stamper.full_items(
                self._html(full_context()), base_dir=self.settings.templates_dir / Path(self.template).parent,
                asset_roots=self._assets, values=valori)

    def close(self) -> None:
        for s in self._stampers.values():
            s.close()
        self.writer.close()


def payload_qr(codice_impianto: str, url_verifica: str | None) -> str:
    """QR content: the bare codice (readable offline by any scanner) or ``<base URL><codice>``."""
    return f"{url_verifica}{codice_impianto}" if url_verifica else codice_impianto


def enti_da_settings(settings: Settings) -> RegistroEnti:
    if settings.enti_file is not None:
        return RegistroEnti.da_json(settings.enti_file.read_text(encoding="utf-8"))
    return registro_enti()


def personalizzazioni(settings: Settings, sezione: str) -> dict[str, Any]:
    """The ``sezione`` (``targa``/``etichetta``) of each Ente in ``personalizzazioni_file``."""
    if settings.personalizzazioni_file is None:
        return {}
    try:
        data = json.loads(settings.personalizzazioni_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuleViolation("File delle personalizzazioni degli Enti non leggibile.",
                            path=("personalizzazioni",)) from exc
    return {ente: conf.get(sezione, {}) for ente, conf in data.items() if isinstance(conf, dict)}


def pers_targa(raw: Mapping[str, Any], ente_id: str) -> PersonalizzazioneTarga:
    try:
        return PersonalizzazioneTarga.model_validate(raw.get(ente_id, {}))
    except ValidationError as exc:
        raise from_pydantic(exc, prefix=("personalizzazioni", ente_id, "targa")) from None


def contesto_targa(ente: Ente, pers: PersonalizzazioneTarga, valori: Mapping[str, Any] | None,
                   svg: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One entry of ``calcoli.targhe`` for the template (``svg``: codes for the WeasyPrint-only path)."""
    return {
        "riga_ente": riga_ente(ente.denominazione),
        "colore_fascia": pers.colore_fascia,
        "colore_testo": pers.colore_testo,
        "logo": pers.logo or ente.logo,
        "righe_extra": list(pers.righe_extra),
        "v": dict(valori) if valori is not None else None,
        "svg": dict(svg) if svg is not None else None,
    }


def valori_targa(imp: ImpiantoTarga, url_verifica: str | None) -> dict[str, str]:
    """Slot values of one impianto's plates."""
    return {
        "codice_impianto": imp.codice_impianto,
        "indirizzo": riga_indirizzo(imp),
        "qr": payload_qr(imp.codice_impianto, url_verifica),
        "barre": imp.codice_impianto,
    }


def render_targhe(impianti: Iterable[ImpiantoTarga] | list[dict[str, Any]], out: BinaryIO, *,
                  opzioni: OpzioniFoglio = OpzioniFoglio(), settings: Settings | None = None,
                  registra: bool = False) -> EsitoStampa:
    """Write the plates of ``impianti`` (2 each) on sheets of ``opzioni.foglio`` to ``out``."""
    settings = settings or get_settings()
    elenco = _valida(impianti)
    enti = enti_da_settings(settings)
    pers_raw = personalizzazioni(settings, "targa")
    profile = get_profile(opzioni.foglio)
    url = settings.targhe_url_verifica
    version = barcode.qr_version_for(payload_qr(elenco[0].codice_impianto, url))
    sessione = SessioneStampa(out, settings=settings, template=TEMPLATE, title="Targhe impianti termici",
                              codes=CodeOptions(qr_error="M", qr_version=version))
    imposer = Imposer(sessione.writer, profile, inizio=opzioni.inizio, offset_x=opzioni.offset_x,
                      offset_y=opzioni.offset_y, prova=opzioni.prova, registra=registra)
    esito = EsitoStampa()
    for imp in elenco:
        ente = enti.get(imp.ente_id) if imp.ente_id else enti.competente(imp.istat)
        pers = pers_targa(pers_raw, ente.id)
        valori = valori_targa(imp, url)
        items = sessione.items(
            ente.id, lambda: _contesto(ente, pers, None), valori,
            lambda: _contesto(ente, pers, valori), imp.codice_impianto)
        imposer.place_all(items)
        esito.etichette += len(items)
    imposer.finish()
    sessione.close()
    esito.fogli = sessione.writer.page_count
    esito.impaginazioni_complete = sessione.complete
    esito.posizioni = imposer.positions
    return esito


def _contesto(ente: Ente, pers: PersonalizzazioneTarga, valori: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"calcoli": {"targhe": [contesto_targa(ente, pers, valori)]}, "copie": COPIE_TARGA}


def _valida(impianti: Iterable[ImpiantoTarga] | list[dict[str, Any]]) -> list[ImpiantoTarga]:
    righe = list(impianti)
    if righe and all(isinstance(r, ImpiantoTarga) for r in righe):
        return righe  # type: ignore[return-value]
    try:
        return ElencoImpiantiTarga.model_validate(righe).impianti
    except ValidationError as exc:
        raise from_pydantic(exc) from None
