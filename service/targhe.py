"""Targhe: impianti → plates (2 per impianto) stamped on label sheets, streamed to a PDF.

Reads settings (templates, fonts, cache, QR base URL, per-Ente customisation) and
the Enti registry, then runs the stamp engine: one compiled template per issuing
Ente (its band, logo and extra lines are static), per plate only the codice, the
address line and the two codes are drawn. A plate whose text cannot be stamped
(too long even when shrunk and wrapped, or a character the font lacks) is laid out
by WeasyPrint instead and counted in :attr:`EsitoStampa.impaginazioni_complete`.

The sheet machinery (:class:`SessioneStampa`, :func:`stampa_lavoro` on one or more
processes) is ``service/stampa_fogli.py``; the Enti registry and customisation file
are read by ``service/enti.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, BinaryIO

from pydantic import ValidationError

from domain.enti import Ente
from domain.errors import from_pydantic
from domain.targa import (
    COPIE_TARGA,
    ElencoImpiantiTarga,
    ImpiantoTarga,
    PersonalizzazioneTarga,
    riga_ente,
    riga_indirizzo,
)
from renderers import barcode
from renderers.impose import get_profile
from renderers.stamp import CodeOptions, Item
from service.enti import enti_da_settings, personalizzazioni
from service.settings import Settings, get_settings
from service.stampa_fogli import EsitoStampa, LavoroStampa, OpzioniFoglio, SessioneStampa, stampa_lavoro

__all__ = [
    "render_targhe",
    "LavoroTarghe",
    "payload_qr",
    "pers_targa",
    "contesto_targa",
    "valori_targa",
]

TEMPLATE = "targa/documento.html.j2"


def payload_qr(codice_impianto: str, url_verifica: str | None) -> str:
    """QR content: the bare codice (readable offline by any scanner) or ``<base URL><codice>``."""
    return f"{url_verifica}{codice_impianto}" if url_verifica else codice_impianto


def pers_targa(raw: Mapping[str, Any], ente_id: str) -> PersonalizzazioneTarga:
    """The validated ``targa`` customisation of ``ente_id`` in ``raw`` (defaults when it has none)."""
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


class LavoroTarghe(LavoroStampa):
    """Plates of validated impianti: one compiled template per issuing Ente."""

    template = TEMPLATE
    title = "Targhe impianti termici"

    def __init__(self, impianti: list[ImpiantoTarga], settings: Settings, opzioni: OpzioniFoglio) -> None:
        url = settings.targhe_url_verifica
        longest = max((i.codice_impianto for i in impianti), key=len, default="")
        version = barcode.qr_version_for(payload_qr(longest, url)) if longest else None
        super().__init__(settings, opzioni, CodeOptions(qr_error="M", qr_version=version))
        self.impianti = impianti
        self._enti: dict[str | None, tuple[Ente, PersonalizzazioneTarga]] = {}

    def __len__(self) -> int:
        return len(self.impianti)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_enti": {}}

    def _ente(self, imp: ImpiantoTarga) -> tuple[Ente, PersonalizzazioneTarga]:
        key = imp.ente_id or imp.istat
        found = self._enti.get(key)
        if found is None:
            if not self._enti:
                self._registro = enti_da_settings(self.settings)
                self._pers = personalizzazioni(self.settings, "targa")
            ente = self._registro.get(imp.ente_id) if imp.ente_id else self._registro.competente(imp.istat)
            found = self._enti[key] = (ente, pers_targa(self._pers, ente.id))
        return found

    def items(self, sessione: SessioneStampa, indice: int) -> list[Item]:
        imp = self.impianti[indice]
        ente, pers = self._ente(imp)
        valori = valori_targa(imp, self.settings.targhe_url_verifica)
        return sessione.items(ente.id, lambda: _contesto(ente, pers, None), valori,
                              lambda: _contesto(ente, pers, valori), imp.codice_impianto)


def render_targhe(impianti: Iterable[ImpiantoTarga] | list[dict[str, Any]], out: BinaryIO, *,
                  opzioni: OpzioniFoglio = OpzioniFoglio(), settings: Settings | None = None,
                  registra: bool = False, processi: int = 1, file_id: bytes | None = None) -> EsitoStampa:
    """Write the plates of ``impianti`` (2 each) on sheets of ``opzioni.foglio`` to ``out``.

    ``processi`` > 1 stamps on that many worker processes (same bytes); ``file_id``: the PDF ``/ID``."""
    settings = settings or get_settings()
    elenco = _valida(impianti)
    get_profile(opzioni.foglio)
    lavoro = LavoroTarghe(elenco, settings, opzioni)
    return stampa_lavoro(lavoro, out, processi=processi, registra=registra, file_id=file_id)


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
