"""What every batch kind shares: the :class:`TipoLotto` contract, the :class:`Contesto` a kind
stamps with, and an input validated into the manifest's records.

Receives a job's parsed input (``service.batch.sorgente``, or a list built by the caller) and its
kind (``service.batch.tipi``); hands on to the job (``service.batch.lavoro``) the validated
records as their canonical manifest lines (:class:`RecordCompatti`) and the refused items with
their Italian reasons (:class:`Scarto`), in input order. A long input is validated by forked
processes, a contiguous slice each (:func:`valida_fetta`, which a local job's printers run too,
``service.batch.stampatori``); the chunk printer (``service.batch.blocchi``) calls each kind's
hooks with a :class:`Contesto`.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

from domain.errors import AppError, RuleViolation
from service.batch.sorgente import ElencoCompatto

if TYPE_CHECKING:
    from renderers.stamp import Item
    from service.settings import Settings

__all__ = ["TipoLotto", "Contesto", "Scarto", "RecordCompatti", "Validatori", "canonico", "valida_fetta"]


@dataclass(frozen=True)
class Scarto:
    """An input record refused before printing: 1-based position (or file line) and Italian reason."""

    riga: int
    chiave: str
    motivo: str


def motivo_scarto(exc: AppError) -> str:
    """An item's refusal in one line: each error with the field it names."""
    from domain.errors import ValidationFailed, format_path

    errs = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return "; ".join(f"{format_path(e.path)}: {e.message}" if e.path else e.message for e in errs)


def nome_sicuro(testo: str) -> str:
    """A record's key made safe for a file name (at most 80 characters)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", testo).strip("_")[:80] or "record"


class Contesto:
    """What a kind needs while stamping one chunk: settings, the Enti registry, job options."""

    def __init__(self, settings: Settings, opzioni: Mapping[str, Any]) -> None:
        from service.enti import enti_da_settings

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
                scarti.append(Scarto(i, self._chiave_grezza(grezzo), motivo_scarto(exc)))
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
