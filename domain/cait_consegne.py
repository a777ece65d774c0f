"""Desk documents of the CAIT paper: the distinta-ricevuta cumulativa that closes the dichiarazioni a
manutentore handed in (Disposizioni regionali, Allegato 1), and the lettera di trasmissione that takes
them to the competent Ente (punto 10.3), one per Ente (:func:`raggruppa_per_ente`).

A typed count (``numero_dichiarazioni``, ``numero_allegati``) is REJECTED when it differs from the rows
(:func:`domain.cait.coerente`). Pure functions only: no clock, no database (FORMS.md conventions).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from domain.cait import EnteDestinatario, Soggetto, Testo, Tipo, Ufficio, coerente
from domain.codice import CodiceImpiantoStr
from domain.forms.comuni import Modello
from domain.forms.rapporto_controllo import Breve

__all__ = ["RigaDistinta", "DistintaRicevuta", "riepilogo_distinta", "RigaTrasmissione", "LetteraTrasmissione",
           "raggruppa_per_ente"]


# --------------------------------------------------------------------------- distinta-ricevuta


class RigaDistinta(Modello):
    """One dichiarazione handed in (Disposizioni regionali, Allegato 1)."""  # FORMS.md §18.3 item 1

    codice_impianto: CodiceImpiantoStr
    responsabile: Breve | None = None
    indirizzo: Annotated[str, Field(max_length=200)] | None = None
    tipo: Tipo
    data_controllo: date
    numero_etichetta: Annotated[str, Field(max_length=40)] | None = None
    anomalie: Annotated[str, Field(max_length=500)] | None = None
    pregiudica_sicurezza: bool = False
    ente: Breve | None = None


class DistintaRicevuta(Modello):
    """Distinta-ricevuta cumulativa di consegna (copy for the manutentore and for the CAIT)."""

    numero: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,32}/\d{4}/\d{6}$")]
    """``<CAIT>/<anno>/<progressivo>``, unique per CAIT per year."""
    cait: Ufficio
    manutentore: Soggetto
    operatore: Testo
    emessa_il: datetime
    luogo: Breve
    righe: Annotated[list[RigaDistinta], Field(min_length=1, max_length=500)]
    numero_dichiarazioni: int | None = None
    """Optional typed count: refused when it differs from the rows."""

    @model_validator(mode="after")
    def _totali(self) -> DistintaRicevuta:
        coerente("numero di dichiarazioni", self.numero_dichiarazioni, len(self.righe))
        visti = set()
        for r in self.righe:
            chiave = (r.codice_impianto, r.tipo, r.data_controllo)
            if chiave in visti:
                raise ValueError(f"La dichiarazione dell'impianto {r.codice_impianto} del "
                                 f"{r.data_controllo:%d/%m/%Y} compare due volte.")
            visti.add(chiave)
        return self


def riepilogo_distinta(righe: Sequence[RigaDistinta]) -> dict[str, Any]:
    """Totals printed under the list: per model, with anomalies, without etichetta, per Ente."""
    per_ente: dict[str, int] = defaultdict(int)
    for r in righe:
        per_ente[r.ente or "—"] += 1
    return {
        "totale": len(righe),
        "allegati_g": sum(r.tipo == "G" for r in righe),
        "allegati_f": sum(r.tipo == "F" for r in righe),
        "con_anomalie": sum(bool(r.anomalie) for r in righe),
        "sicurezza": sum(r.pregiudica_sicurezza for r in righe),
        "senza_etichetta": sum(not r.numero_etichetta for r in righe),
        "per_ente": sorted(per_ente.items()),
    }


# --------------------------------------------------------------------------- lettera di trasmissione


class RigaTrasmissione(Modello):
    """One attached rapporto: its responsabile and address (Disposizioni regionali, punto 10.3)."""

    codice_impianto: CodiceImpiantoStr
    responsabile: Breve
    indirizzo: Annotated[str, Field(max_length=200)]
    tipo: Tipo
    data_controllo: date
    numero_etichetta: Annotated[str, Field(max_length=40)] | None = None


class LetteraTrasmissione(Modello):
    """Lettera di trasmissione to the competent Ente, in duplicate (one copy comes back stamped)."""

    protocollo: Annotated[str, Field(min_length=1, max_length=80)]
    data: date
    luogo: Breve
    mittente: Soggetto
    """The manutentore transmitting its dichiarazioni."""
    tramite: Ufficio | None = None
    """The CAIT desk that collected them, when any."""
    ente: EnteDestinatario
    distinta: Annotated[str, Field(max_length=60)] | None = None
    righe: Annotated[list[RigaTrasmissione], Field(min_length=1, max_length=500)]
    numero_allegati: int | None = None
    """Optional typed count of attached rapporti: refused when it differs from the rows."""

    @model_validator(mode="after")
    def _totali(self) -> LetteraTrasmissione:
        coerente("numero di rapporti allegati", self.numero_allegati, len(self.righe))
        return self


def raggruppa_per_ente(righe: Iterable[Any], ente_di: Any = lambda r: r["ente_id"]) -> dict[str, list[Any]]:
    """Rows by competent Ente, in first-seen Ente order: one lettera di trasmissione per Ente."""
    gruppi: dict[str, list[Any]] = {}
    for r in righe:
        gruppi.setdefault(ente_di(r), []).append(r)
    return gruppi
