"""Template name + context → HTML string (Jinja2, autoescape, StrictUndefined)."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, TemplateError, UndefinedError, select_autoescape
from pydantic import BaseModel

from domain.etichetta import MATRICE
from renderers.errors import RenderError

__all__ = ["render_html", "formato_data", "formato_ora", "formato_numero", "formato_euro", "dato"]


def formato_data(value: date | datetime | str | None) -> str:
    """``date(2026, 3, 5)`` → ``05/03/2026`` (gg/mm/aaaa, as the seed prints dates)."""
    if value is None or value == "":
        return ""
    if isinstance(value, (date, datetime)):
        return value.strftime("%d/%m/%Y")
    return str(value)


def formato_ora(value: time | str | None) -> str:
    """``time(8, 5)`` → ``08:05``."""
    if value is None or value == "":
        return ""
    return value.strftime("%H:%M") if isinstance(value, time) else str(value)


def formato_numero(value: Decimal | int | float | str | None, decimali: int | None = None) -> str:
    """Italian number formatting: ``Decimal("1234.5")`` → ``1.234,5``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    d = Decimal(str(value))
    if decimali is not None:
        d = d.quantize(Decimal(1).scaleb(-decimali))
    sign, digits = ("-" if d < 0 else ""), format(abs(d), "f")
    whole, _, frac = digits.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ".".join(groups) + ("," + frac if frac else "")


def formato_euro(value: Decimal | int | str | None) -> str:
    """``Decimal("1234.5")`` → ``1.234,50 €``."""
    if value is None or value == "":
        return ""
    return f"{formato_numero(Decimal(str(value)), 2)} €"


def dato(obj: Any, *path: str | int) -> Any:
    """Walk ``path`` (attributes, keys, indexes) from ``obj``; ``None`` where a value is absent.

    Templates render the blank form with ``d = None``: ``dato(d, "consumi", 0, "valore")`` is then
    ``None`` (a dotted line) instead of an undefined-variable error. A value that is absent (``None``,
    an index past the end of a list) gives ``None``; a name the data cannot have (not a field of the
    pydantic model, not a key of the dict) is a template error, never a silent dotted line. A model
    that declares ``modello_completo`` (a partial form, such as a precompilato) may lack that
    model's fields: they print blank.
    """
    for part in path:
        if obj is None:
            return None
        if isinstance(part, int):
            try:
                obj = obj[part]
            except (IndexError, KeyError, TypeError):
                return None
        elif isinstance(obj, dict):
            if part not in obj:
                raise UndefinedError(f"dato(): la chiave {part!r} non esiste nei dati")
            obj = obj[part]
        elif isinstance(obj, BaseModel) and part not in type(obj).model_fields and not hasattr(type(obj), part):
            completo = getattr(type(obj), "modello_completo", None)
            if completo is None or part not in completo.model_fields:
                raise UndefinedError(f"dato(): il campo {part!r} non esiste in {type(obj).__name__}")
            return None  # a partial model (e.g. a precompilato): the full form's field is still blank
        elif not hasattr(obj, part):
            raise UndefinedError(f"dato(): {part!r} non esiste in {type(obj).__name__}")
        else:
            obj = getattr(obj, part)
    return obj


class _CacheBytecode(FileSystemBytecodeCache):
    """Jinja's bytecode cache; a folder that cannot be written costs the compile, nothing else."""

    def dump_bytecode(self, bucket: Any) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@lru_cache(maxsize=8)
def _environment(templates_dir: str, cache: str | None = None) -> Environment:
    bytecode = None
    if cache is not None:
        with contextlib.suppress(OSError):
            Path(cache).mkdir(parents=True, exist_ok=True)
            bytecode = _CacheBytecode(cache)
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=bytecode,
    )
    env.filters.update(data=formato_data, ora=formato_ora, numero=formato_numero, euro=formato_euro)
    env.globals.update(dato=dato, formato_etichetta=MATRICE)
    return env


def render_html(templates_dir: Path, template: str, context: dict[str, Any], *, cache: Path | None = None) -> str:
    """Render ``templates_dir/template`` with ``context``; any Jinja error → RenderError.

    ``cache``: a folder for the templates compiled to Python bytecode (Jinja's own bytecode cache:
    each entry is checked against its template's source and this Jinja and Python, and written by
    rename), so that a new process does not compile a form's templates again (~0.2 s for a G)."""
    try:
        return _environment(str(templates_dir), None if cache is None else str(cache / "jinja")).get_template(
            template).render(**context)
    except TemplateError as exc:
        raise RenderError(f"Modello di stampa non utilizzabile ({template}).") from exc
