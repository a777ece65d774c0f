"""Errors shared by every layer; the message is Italian, for the end user.

    AppError                 .message (Italian), .path (field path, pydantic ``loc`` shape)
    ├── RuleViolation        a domain rule is broken                  → 422 / exit 1
    │   └── ValidationFailed several violations at once (.errors)   → 422 / exit 1
    ├── NotFound             unknown document, codice, etichetta      → 404 / exit 1
    ├── Conflict             state does not allow the operation       → 409 / exit 1
    ├── RenderError          template, PDF, barcode, impose (renderers/) → 500 / exit 2
    │   └── SigningError     (renderers/sign.py)
    ├── StorageError         S3 archive unavailable (archive/)        → 503 / exit 3
    │   ├── StorageTransient  no answer, 5xx: the outbox retries
    │   ├── StorageRefused    a refusal retrying cannot change: dead letter
    │   │   └── LockNotHeld   the store does not hold the retention asked
    │   └── DatabaseNonDisponibile  database unreachable or busy       → 503 / exit 4
    ├── SchemaNonAggiornato  tables do not match this program version  → 500 / exit 5
    └── ErroreDatabase       a query refused by a program defect       → 500 / exit 6

Technical detail belongs in ``__cause__`` and in logs, never in ``.message``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import re
from typing import Any

Path = tuple[str | int, ...]

__all__ = [
    "AppError",
    "RuleViolation",
    "ValidationFailed",
    "NotFound",
    "Conflict",
    "Path",
    "from_pydantic",
    "format_path",
]


class AppError(Exception):
    """Base of every error the product reports to a user."""

    default_message = "Errore interno."

    def __init__(self, message: str | None = None, *, path: Sequence[str | int] = ()) -> None:
        self.message = message or self.default_message
        self.path: Path = tuple(path)
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        """The one error shape shared by the CLI and the API."""
        return {"campo": format_path(self.path), "loc": list(self.path), "messaggio": self.message}

    def __str__(self) -> str:
        where = format_path(self.path)
        return f"{where}: {self.message}" if where else self.message


class RuleViolation(AppError):
    """A regional rule or a field constraint is broken by the input."""

    default_message = "Dato non valido."


class ValidationFailed(RuleViolation):
    """Several rule violations found at once; ``errors`` lists each of them."""

    default_message = "I dati non sono validi."

    def __init__(self, errors: Iterable[RuleViolation]) -> None:
        self.errors: list[RuleViolation] = list(errors)
        first = self.errors[0] if self.errors else None
        super().__init__(
            f"{len(self.errors)} errori nei dati." if len(self.errors) != 1 else first.message,  # type: ignore[union-attr]
            path=first.path if first and len(self.errors) == 1 else (),
        )

    def as_list(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.errors]


class NotFound(AppError):
    """The requested object does not exist."""

    default_message = "Elemento non trovato."


class Conflict(AppError):
    """The object exists but its state forbids the operation (e.g. etichetta già usata)."""

    default_message = "Operazione non consentita nello stato attuale."


def format_path(path: Sequence[str | int]) -> str:
    """``("generatori", 0, "potenza_kw")`` → ``generatori[0].potenza_kw``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# pydantic error type → Italian message. {placeholders} come from the error's ctx.
_PYDANTIC_IT: dict[str, str] = {
    "missing": "Campo obbligatorio mancante.",
    "extra_forbidden": "Campo non previsto.",
    "string_type": "Deve essere un testo.",
    "string_too_short": "Testo troppo corto (almeno {min_length} caratteri).",
    "string_too_long": "Testo troppo lungo (al massimo {max_length} caratteri).",
    "string_pattern_mismatch": "Formato non valido.",
    "int_type": "Deve essere un numero intero.",
    "int_parsing": "Deve essere un numero intero.",
    "int_from_float": "Deve essere un numero intero.",
    "float_type": "Deve essere un numero.",
    "float_parsing": "Deve essere un numero.",
    "decimal_type": "Deve essere un numero.",
    "decimal_parsing": "Deve essere un numero.",
    "decimal_max_digits": "Troppe cifre (al massimo {max_digits}).",
    "decimal_max_places": "Troppi decimali (al massimo {decimal_places}).",
    "decimal_whole_digits": "Troppe cifre intere (al massimo {whole_digits}).",
    "greater_than": "Deve essere maggiore di {gt}.",
    "greater_than_equal": "Deve essere maggiore o uguale a {ge}.",
    "less_than": "Deve essere minore di {lt}.",
    "less_than_equal": "Deve essere minore o uguale a {le}.",
    "bool_type": "Deve essere vero o falso.",
    "bool_parsing": "Deve essere vero o falso.",
    "date_type": "Deve essere una data (aaaa-mm-gg).",
    "date_parsing": "Data non valida (formato aaaa-mm-gg).",
    "date_from_datetime_parsing": "Data non valida (formato aaaa-mm-gg).",
    "time_type": "Deve essere un orario (hh:mm).",
    "time_parsing": "Orario non valido (formato hh:mm).",
    "datetime_type": "Deve essere una data e ora.",
    "datetime_parsing": "Data e ora non valide.",
    "literal_error": "Valore non ammesso: scegliere tra {expected}.",
    "enum": "Valore non ammesso: scegliere tra {expected}.",
    "list_type": "Deve essere un elenco.",
    "dict_type": "Deve essere un oggetto.",
    "model_type": "Deve essere un oggetto.",
    "model_attributes_type": "Deve essere un oggetto.",
    "too_short": "Elenco troppo corto (almeno {min_length} elementi).",
    "too_long": "Elenco troppo lungo (al massimo {max_length} elementi).",
    "set_type": "Deve essere un elenco di valori distinti.",
    "json_invalid": "JSON non valido.",
    "union_tag_invalid": "Tipo non riconosciuto.",
}


def from_pydantic(exc: Any, *, prefix: Sequence[str | int] = ()) -> ValidationFailed:
    """Translate a ``pydantic.ValidationError`` into Italian ``RuleViolation``s.

    A validator that raises ``ValueError`` with an Italian text keeps that text
    (pydantic reports it as ``value_error``); known error types are translated;
    anything else gets a generic Italian message, never pydantic's English.
    """
    out: list[RuleViolation] = []
    seen: set[tuple[Path, str]] = set()
    raw = _drop_barrato_branch(exc.errors(include_url=False), prefix)
    for err in raw:
        loc = tuple(prefix) + tuple(p for p in err.get("loc", ()) if not _is_union_branch(p))
        etype = err.get("type", "")
        ctx = err.get("ctx") or {}
        if etype in ("value_error", "assertion_error"):
            original = ctx.get("error")
            msg = str(original) if original is not None else err.get("msg", "")
            msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        elif etype in _PYDANTIC_IT:
            try:
                msg = _PYDANTIC_IT[etype].format(**{k: _it(v) for k, v in ctx.items()})
            except (KeyError, IndexError):
                msg = _PYDANTIC_IT[etype].split(":")[0] + "."
        else:
            msg = "Valore non valido."
        key = (loc, msg)
        if key not in seen:  # unions repeat the same error per branch
            seen.add(key)
            out.append(RuleViolation(msg, path=loc))
    return ValidationFailed(out)


def _drop_barrato_branch(errors: list[dict], prefix: Sequence[str | int]) -> list[dict]:
    """A bad ``Barrabile[T]`` value fails both union branches; report the T branch only,
    not an extra "scegliere tra BARRATO" (the BARRATO option is implied by the form)."""

    def loc(err: dict) -> Path:
        return tuple(p for p in err.get("loc", ()) if not _is_union_branch(p))

    def only_barrato(err: dict) -> bool:
        return err.get("type") == "literal_error" and str((err.get("ctx") or {}).get("expected", "")) == "'BARRATO'"

    other_locs = [loc(e) for e in errors if not only_barrato(e)]

    def explained(path: Path) -> bool:  # another error at this field or inside it
        return any(o[: len(path)] == path for o in other_locs)

    return [e for e in errors if not (only_barrato(e) and explained(loc(e)))]


def _is_union_branch(part: Any) -> bool:
    # pydantic inserts the branch type name (e.g. "literal['BARRATO']", "decimal") in loc for unions
    # and the model class name (CamelCase) when a branch is a model; form keys are snake_case
    return isinstance(part, str) and (
        "[" in part
        or part in {"str", "int", "float", "decimal", "date", "bool", "none", "function-after", "function-plain"}
        or bool(_CLASS_NAME.fullmatch(part))
    )


_CLASS_NAME = re.compile(r"_?[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*")
"""CamelCase with at least one lowercase letter: ``SoggettoRdP`` is a class, ``F1``/``C14`` are data keys."""


def _it(value: Any) -> str:
    text = str(value)
    return text.replace(" or ", " o ").replace("'", "")
