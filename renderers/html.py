"""Template name + context → HTML string (Jinja2, autoescape, StrictUndefined)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

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
    """Walk ``path`` (attributes, keys, indexes) from ``obj``; ``None`` where anything is missing.

    Templates render the blank form with ``d = None``: ``dato(d, "consumi", 0, "valore")`` is then
    ``None`` (a dotted line) instead of an undefined-variable error.
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
            obj = obj.get(part)
        else:
            obj = getattr(obj, part, None)
    return obj


@lru_cache(maxsize=8)
def _environment(templates_dir: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(data=formato_data, ora=formato_ora, numero=formato_numero, euro=formato_euro)
    env.globals.update(dato=dato)
    return env


def render_html(templates_dir: Path, template: str, context: dict[str, Any]) -> str:
    """Render ``templates_dir/template`` with ``context``; any Jinja error → RenderError."""
    try:
        return _environment(str(templates_dir)).get_template(template).render(**context)
    except TemplateError as exc:
        raise RenderError(f"Modello di stampa non utilizzabile ({template}).") from exc
