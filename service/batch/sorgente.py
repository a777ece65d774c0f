"""A job's input file → the items its kind validates: a JSON list or object, or a ``;`` CSV.

Receives the path named on the command line (``curit-docs batch``); hands on the parsed input to
the kind's ``TipoLotto.records`` (``service.batch.base``): a JSON array as an
:class:`ElencoCompatto` (each item kept as its own text and parsed as it is validated), a JSON
object as it is, a CSV as a list of dicts (avvisi: ``responsabile_*`` columns nested). A file
that cannot be read or parsed is an Italian ``RuleViolation`` naming the line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from domain.errors import RuleViolation

__all__ = ["leggi_sorgente", "ElencoCompatto"]


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
