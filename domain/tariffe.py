"""Price of an etichetta di validazione: contributo regionale + quota dell'Ente (FORMS.md §15, §17).

"Gli importi così individuati saranno richiesti contestualmente in unico pagamento
insieme al contributo dovuto all'Ente locale competente" (S1 L1663–1666): the buyer
pays one amount, which the CAIT later splits between Punti Energia (the regional
part, monthly) and the Ente (its quota). Both parts depend on the band of the
potenza al focolare, and the band is derivable from the etichetta itself.

* the regional part is the printed table of :mod:`domain.contributo` (AMB-51);
* the Ente part is set by each Ente ("equa ripartizione", S1 L746–756). It is
  configuration data: the file ``CURIT_QUOTE_ENTI_FILE`` (read by ``service.quote_enti``),
  shaped as ``domain/data/quote_enti.json``. ``predefinita``, when present, applies to every
  Ente without an entry; an entry in ``enti`` replaces only the bands it lists. An Ente with
  neither has no quota: selling its etichette is refused. The shipped file holds EXAMPLE values
  (``"esempio": true``), usable only in demo mode.

Money is ``Decimal`` with two places; nothing here reads the clock or the database.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from domain.contributo import FASCE, Fascia
from domain.errors import NotFound, RuleViolation, from_pydantic
from domain.etichetta import Prezzo

__all__ = [
    "DATA_FILE",
    "CENTESIMO",
    "TabellaQuote",
    "fascia_per_codice",
    "tabella_quote",
    "prezzo_per_fascia",
    "FUSO_ORARIO",
    "periodo_versamento",
]

DATA_FILE = Path(__file__).resolve().parent / "data" / "quote_enti.json"

CENTESIMO = Decimal("0.01")

_CODICI_FASCE = tuple(f.codice for f in FASCE)


def _quote(quote: dict[str, Decimal]) -> dict[str, Decimal]:
    """Known band codes and euro amounts (>= 0, at most cents); the message names the band."""
    ignote = sorted(set(quote) - set(_CODICI_FASCE))
    if ignote:
        raise ValueError(f"Fascia sconosciuta {ignote[0]}: usare {', '.join(_CODICI_FASCE)}.")
    for codice, importo in quote.items():
        if not importo.is_finite() or importo < 0:
            raise ValueError(f"Fascia {codice}: l'importo deve essere un numero non negativo (euro).")
        if importo != importo.quantize(CENTESIMO):
            raise ValueError(f"Fascia {codice}: l'importo può avere al massimo due decimali (centesimi di euro).")
    return {codice: importo.quantize(CENTESIMO) for codice, importo in quote.items()}


class TabellaQuote(BaseModel):
    """The Ente quota of each band, for every Ente (shape of ``quote_enti.json``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    predefinita: dict[str, Decimal] | None = None
    """Quota per band code (``F1`` … ``F5``) for Enti without their own entry (all five bands);
    None → an Ente without an entry has no quota."""
    enti: dict[str, dict[str, Decimal]] = {}
    """Per-Ente quotas, keyed by Ente id; each lists only the bands it sets."""
    esempio: bool = False
    """True for example values (the shipped table): never charged outside demo mode."""

    @field_validator("predefinita")
    @classmethod
    def _completa(cls, quote: dict[str, Decimal] | None) -> dict[str, Decimal] | None:
        if quote is None:
            return None
        quote = _quote(quote)
        mancanti = [c for c in _CODICI_FASCE if c not in quote]
        if mancanti:
            raise ValueError(f"Quota predefinita mancante per la fascia {mancanti[0]}.")
        return quote

    @field_validator("enti")
    @classmethod
    def _solo_fasce_note(cls, enti: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, Decimal]]:
        return {ente: _quote(quote) for ente, quote in enti.items()}

    @classmethod
    def da_dati(cls, data: Any) -> TabellaQuote:
        """Validate already-parsed data; Italian errors under ``quote_enti``."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise from_pydantic(exc, prefix=("quote_enti",)) from None

    @classmethod
    def da_json(cls, text: str) -> TabellaQuote:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise RuleViolation("Tabella delle quote degli Enti: JSON non valido.", path=("quote_enti",)) from None
        return cls.da_dati(data)

    def con_quote(self, ente_id: str, quote: Mapping[str, Decimal]) -> TabellaQuote:
        """A copy in which the bands listed in ``quote`` replace ``ente_id``'s current ones
        (e.g. ``quote_ente`` of the Ente's etichetta customisation)."""
        if not quote:
            return self
        enti = {k: dict(v) for k, v in self.enti.items()}
        enti[ente_id] = {**enti.get(ente_id, {}), **quote}
        return TabellaQuote.da_dati({"predefinita": dict(self.predefinita) if self.predefinita is not None else None,
                                     "enti": enti, "esempio": self.esempio})

    def quota(self, ente_id: str, fascia: str) -> Decimal:
        """The Ente's quota (euro) for band ``fascia`` (``F1`` … ``F5``); RuleViolation naming the
        Ente and the band when none is configured."""
        f = fascia_per_codice(fascia)
        propria = self.enti.get(ente_id, {})
        if fascia in propria:
            return propria[fascia]
        if self.predefinita is not None:
            return self.predefinita[fascia]
        raise RuleViolation(
            f"L'Ente {ente_id} non ha configurato la propria quota per la fascia {f.codice} ({f.etichetta}): "
            "l'etichetta non può essere venduta finché la quota non è indicata nel file delle quote degli Enti "
            "(CURIT_QUOTE_ENTI_FILE).",
            path=("quote_enti", ente_id, fascia),
        )


def fascia_per_codice(codice: str) -> Fascia:
    """``"F3"`` → the 50,1–116,3 kW band; NotFound for an unknown code."""
    for f in FASCE:
        if f.codice == codice:
            return f
    raise NotFound(f"Fascia di potenza sconosciuta: usare {', '.join(_CODICI_FASCE)}.", path=("fascia",))


@lru_cache(maxsize=1)
def tabella_quote() -> TabellaQuote:
    """The shipped table of EXAMPLE quotas (``domain/data/quote_enti.json``, ``esempio`` true): the
    examples, the tests and demo mode use it; production reads ``CURIT_QUOTE_ENTI_FILE``."""
    return TabellaQuote.da_json(DATA_FILE.read_text(encoding="utf-8"))


def prezzo_per_fascia(ente_id: str, fascia: str | Fascia, *, quote: TabellaQuote | None = None) -> Prezzo:
    """Price of one etichetta of ``ente_id`` valid for ``fascia`` (code or :class:`Fascia`), as the
    :class:`domain.etichetta.Prezzo` the etichetta stands for (the band is in its number).

    ``prezzo_per_fascia("provincia-mantova", "F1").totale == Decimal("9.00")`` with the shipped
    table: € 1,00 regional (S1 L1651–1662) + € 8,00 of the Provincia.
    """
    f = fascia if isinstance(fascia, Fascia) else fascia_per_codice(fascia)
    tabella = quote if quote is not None else tabella_quote()
    return Prezzo(fascia=f, contributo_regionale=f.importo, quota_ente=tabella.quota(ente_id, f.codice))


FUSO_ORARIO = ZoneInfo("Europe/Rome")
"""Months and quarters of the remittances are Italian calendar periods."""


def periodo_versamento(periodo: str) -> tuple[datetime, datetime]:
    """``"2026-10"`` (month: CAIT, monthly) or ``"2026-T4"`` (quarter: an Ente selling itself,
    quarterly; S1 L1666–1674) → ``[inizio, fine)`` as aware datetimes at Italian midnight."""
    m = re.fullmatch(r"(\d{4})-(?:(0[1-9]|1[0-2])|T([1-4]))", (periodo or "").strip().upper())
    if not m:
        raise RuleViolation("Periodo non valido: un mese (es. 2026-10) o un trimestre (es. 2026-T4).",
                            path=("periodo",))
    anno = int(m.group(1))
    primo, mesi = (int(m.group(2)), 1) if m.group(2) else (3 * int(m.group(3)) - 2, 3)
    fine_anno, fine_mese = divmod(primo - 1 + mesi, 12)
    return (datetime(anno, primo, 1, tzinfo=FUSO_ORARIO),
            datetime(anno + fine_anno, fine_mese + 1, 1, tzinfo=FUSO_ORARIO))
