"""Etichette di validazione: numbers → sheets of 3-matrici etichette (stamp engine + imposition).

Rendering only: which numbers exist, who holds them and their state belong to the
numbered-stock database (``curit-docs etichette genera`` builds on :func:`render_etichette`).
Every etichetta of one call belongs to one Ente and one tipo; one template is compiled
per (stagione, fascia) and each matrice gets the number as text, Code128 and QR.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from domain.enti import Ente
from domain.errors import RuleViolation, from_pydantic
from domain.etichetta import (
    MATRICI,
    NumeroEtichetta,
    PersonalizzazioneEtichetta,
    TipoEtichetta,
    parse_numero_etichetta,
    prefisso_ente,
)
from renderers import barcode
from renderers.impose import get_profile
from renderers.stamp import CodeOptions, Item
from service.enti import enti_da_settings, personalizzazioni
from service.settings import Settings, get_settings
from service.stampa_fogli import EsitoStampa, LavoroStampa, OpzioniFoglio, SessioneStampa, stampa_lavoro

__all__ = ["render_etichette", "stampa_etichette", "contesto_etichetta", "pers_etichetta", "FOGLIO_ETICHETTE",
           "LavoroEtichette"]

TEMPLATE = "etichetta/documento.html.j2"
FOGLIO_ETICHETTE = "A4-1x7"


def pers_etichetta(settings: Settings, ente_id: str) -> PersonalizzazioneEtichetta:
    raw = personalizzazioni(settings, "etichetta").get(ente_id, {})
    try:
        return PersonalizzazioneEtichetta.model_validate(raw)
    except ValidationError as exc:
        raise from_pydantic(exc, prefix=("personalizzazioni", ente_id, "etichetta")) from None


def _fascia_stampata(numero: NumeroEtichetta) -> str:
    from domain.contributo import FASCE

    return next(f.etichetta for f in FASCE if f.codice == numero.fascia)


def contesto_etichetta(ente: Ente, pers: PersonalizzazioneEtichetta, numero: NumeroEtichetta,
                       valori: Mapping[str, Any] | None, svg: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One entry of ``calcoli.etichette`` for the template."""
    return {
        "denominazione": ente.denominazione,
        "logo": pers.logo or ente.logo,
        "colore": pers.colore(numero.tipo),
        "tipo": numero.tipo,
        "allegato": f"Allegato {numero.tipo}",
        "fascia": _fascia_stampata(numero),
        "multiplo": pers.multiplo(numero),
        "stagione": numero.stagione_label,
        "righe_extra": list(pers.righe_extra),
        "matrici": list(MATRICI),
        "v": dict(valori) if valori is not None else None,
        "svg": dict(svg) if svg is not None else None,
    }


def _numeri(numeri: Iterable[str | NumeroEtichetta], ente: Ente, tipo: TipoEtichetta) -> list[NumeroEtichetta]:
    out = []
    atteso = prefisso_ente(ente.tipo, ente.sigla, ente.istat)
    for i, n in enumerate(numeri):
        try:
            numero = n if isinstance(n, NumeroEtichetta) else parse_numero_etichetta(n)
        except RuleViolation as exc:
            raise RuleViolation(exc.message, path=("numeri", i)) from None
        if numero.prefisso != atteso:
            raise RuleViolation(f"L'etichetta {numero} non è dell'Ente {ente.denominazione} (prefisso {atteso}).",
                                path=("numeri", i))
        if numero.tipo != tipo:
            raise RuleViolation(f"L'etichetta {numero} è di tipo {numero.tipo}, non {tipo}.", path=("numeri", i))
        out.append(numero)
    if not out:
        raise RuleViolation("Nessuna etichetta da stampare.", path=("numeri",))
    return out


class LavoroEtichette(LavoroStampa):
    """Etichette of one Ente and tipo: one compiled template per (stagione, fascia)."""

    template = TEMPLATE
    title = "Etichette di validazione"

    def __init__(self, numeri: list[NumeroEtichetta], ente: Ente, pers: PersonalizzazioneEtichetta,
                 settings: Settings, opzioni: OpzioniFoglio) -> None:
        longest = max((n.compatto for n in numeri), key=len)
        super().__init__(settings, opzioni, CodeOptions(qr_error="M", qr_version=barcode.qr_version_for(longest)))
        self.numeri = numeri
        self.ente = ente
        self.pers = pers

    def __len__(self) -> int:
        return len(self.numeri)

    def items(self, sessione: SessioneStampa, indice: int) -> list[Item]:
        numero, ente, pers = self.numeri[indice], self.ente, self.pers
        valori = {"numero": numero.leggibile, "qr": numero.compatto, "barre": numero.compatto}
        return sessione.items(
            f"{numero.stagione}-{numero.fascia}", lambda: _ctx(ente, pers, numero, None), valori,
            lambda: _ctx(ente, pers, numero, valori), numero.compatto)


def stampa_etichette(numeri: Iterable[str | NumeroEtichetta], ente_id: str, tipo: TipoEtichetta, out: Any, *,
                     opzioni: OpzioniFoglio = OpzioniFoglio(foglio=FOGLIO_ETICHETTE),
                     settings: Settings | None = None, registra: bool = False, processi: int = 1,
                     file_id: bytes | None = None) -> EsitoStampa:
    """Stream the etichette of ``numeri`` (one Ente, one tipo) on sheets to the binary file ``out``.

    ``processi`` > 1 stamps on that many worker processes (same bytes); ``file_id``: the PDF ``/ID``."""
    settings = settings or get_settings()
    ente = enti_da_settings(settings).get(ente_id)
    elenco = _numeri(numeri, ente, tipo)
    get_profile(opzioni.foglio)
    lavoro = LavoroEtichette(elenco, ente, pers_etichetta(settings, ente.id), settings, opzioni)
    return stampa_lavoro(lavoro, out, processi=processi, registra=registra, file_id=file_id)


def render_etichette(numeri: Iterable[str | NumeroEtichetta], ente_id: str, tipo: TipoEtichetta, *,
                     opzioni: OpzioniFoglio = OpzioniFoglio(foglio=FOGLIO_ETICHETTE),
                     settings: Settings | None = None) -> bytes:
    """The print-ready PDF of ``numeri`` as bytes (see :func:`stampa_etichette` to stream to a file)."""
    buf = io.BytesIO()
    stampa_etichette(numeri, ente_id, tipo, buf, opzioni=opzioni, settings=settings)
    return buf.getvalue()


def _ctx(ente: Ente, pers: PersonalizzazioneEtichetta, numero: NumeroEtichetta,
         valori: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"calcoli": {"etichette": [contesto_etichetta(ente, pers, numero, valori)]}, "copie": ("",)}
