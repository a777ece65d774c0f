"""Form helpers of the console pages: a refused operation becomes ``{field: Italian message}``
for the ``_moduli.html.j2`` macros, so the page shows each error under its field and keeps what
the user typed."""

from __future__ import annotations

from typing import Any

from domain.errors import AppError, ValidationFailed

__all__ = ["errori_di", "euro"]


def errori_di(exc: AppError, *, alias: dict[str, str] | None = None) -> dict[str, str]:
    """Field name (the last name in the error's path, renamed by ``alias``) → message; ``"_"``
    for an error that names no field. The first message of a field wins."""
    voci: list[Any] = exc.errors if isinstance(exc, ValidationFailed) and exc.errors else [exc]
    out: dict[str, str] = {}
    for e in voci:
        campo = next((str(p) for p in reversed(tuple(getattr(e, "path", ()) or ())) if isinstance(p, str)), "_")
        campo = (alias or {}).get(campo, campo)
        out.setdefault(campo, e.message)
    return out


def euro(valore: Any) -> str:
    """``1234.5`` → ``1.234,50 €`` (Italian grouping), as on the printed paper."""
    from decimal import Decimal, InvalidOperation

    try:
        d = Decimal(str(valore)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(valore)
    testo = f"{abs(d):,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{'-' if d < 0 else ''}{testo} €"
