"""The ``curit-docs`` command (Typer).

Each module in ``service/cli/commands/`` defines ``register(app)`` and adds its
verbs; this module maps the product's errors to Italian messages and exit codes:
1 = invalid input or refused operation, 2 = rendering failure, 3 = storage unavailable.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys

import typer

from domain.errors import AppError, ValidationFailed

__all__ = ["app", "main", "exit_code_for"]

app = typer.Typer(
    name="curit-docs",
    help="Documenti del Catasto Unico Regionale Impianti Termici (CURIT) - Regione Lombardia.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _load_commands() -> None:
    from service.cli import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(app)


def exit_code_for(exc: AppError) -> int:
    """Walk the error's MRO: the first class with a code wins (same idea as the API)."""
    from archive.errors import StorageError
    from renderers.errors import RenderError

    for cls in type(exc).__mro__:
        if cls is StorageError:
            return 3
        if cls is RenderError:
            return 2
    return 1


def print_error(exc: AppError) -> None:
    """Errors go to stderr as a readable Italian list; ``CURIT_ERRORI_JSON=1`` prints JSON."""
    errors = exc.as_list() if isinstance(exc, ValidationFailed) else [exc.as_dict()]
    import os

    if os.environ.get("CURIT_ERRORI_JSON") == "1":
        print(json.dumps({"errori": errors}, ensure_ascii=False), file=sys.stderr)
        return
    print("Errore:" if len(errors) == 1 else f"Errori ({len(errors)}):", file=sys.stderr)
    for e in errors:
        where = f"{e['campo']}: " if e["campo"] else ""
        print(f"  - {where}{e['messaggio']}", file=sys.stderr)


def main() -> None:
    _load_commands()
    try:
        app(standalone_mode=False)
    except AppError as exc:
        print_error(exc)
        sys.exit(exit_code_for(exc))
    except typer.Abort:
        print("Interrotto.", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
