"""The ``curit-docs`` command (Typer).

Each module in ``service/cli/commands/`` defines ``register(app)`` and adds its
verbs; a run imports only the module of the verb it was asked for (:data:`MODULO_DEL_VERBO`:
``curit-docs batch`` does not import the API, the console or the archive commands), every module
for ``--help`` or an unknown word. This module maps the product's errors to Italian messages and
exit codes:
1 = invalid input or refused operation, 2 = rendering or signing failure, 3 = archive (S3)
unavailable, 4 = database unreachable, 5 = database schema not matching this program,
6 = internal error (a defect: the traceback goes to ``<CURIT_VAR_DIR>/log/errori.log``).
"""

from __future__ import annotations

import atexit
import gc
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


@app.callback()
def _gruppo() -> None:
    """Keeps ``curit-docs`` a group of verbs when only one verb's module is loaded (Typer runs a
    lone command without its name)."""


MODULO_DEL_VERBO: dict[str, str] = {
    **dict.fromkeys(("archivia", "cerca", "recupera", "scadute", "smaltisci", "blocco-legale", "coda", "originali"),
                    "archivio"),
    "archivio": "archivio_integrita",
    **dict.fromkeys(("batch", "importa-distributore", "worker"), "batch"),
    **dict.fromkeys(("trasmissione", "rendiconto", "precompila", "distinta", "ricevuta", "cait"), "cait"),
    **dict.fromkeys(("stagione", "codice", "ente"), "catasto"),
    "esito": "esito", "etichette": "etichette",
    **dict.fromkeys(("firma", "verifica", "identita"), "firma"),
    **dict.fromkeys(("render", "schema", "esempio", "estrai"), "render"),
    "serve": "serve", "targhe": "targhe", "utenti": "utenti", "verifica-stampa": "verifica_stampa",
}
"""First word of the command line → the module of ``service/cli/commands/`` that registers it
(``tests/service/test_cli_startup.py`` checks it against what each module registers)."""


def _load_commands(verbo: str | None = None) -> None:
    """Register the verb's module only (``verbo`` known), else every module (help, unknown word)."""
    from service.cli import commands

    if verbo in MODULO_DEL_VERBO:
        nomi = [MODULO_DEL_VERBO[verbo]]
    else:
        nomi = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
    for nome in nomi:
        importlib.import_module(f"{commands.__name__}.{nome}").register(app)


_USCITA_RAPIDA = False


def _uscita_rapida() -> None:
    """At exit, skip the interpreter's last full garbage collection over every object the run
    imported (~0.5 s of a batch job's CPU): files and connections are closed by their owners."""
    gc.freeze()


ESCI_INTERNO = 6
"""Exit code of an internal error (a defect of the program, never of the input)."""


def exit_code_for(exc: AppError) -> int:
    """Walk the error's MRO: the first class with a code wins (same idea as the API)."""
    from archive.errors import DatabaseNonDisponibile, ErroreDatabase, SchemaNonAggiornato, StorageError
    from renderers.errors import RenderError

    codici = {DatabaseNonDisponibile: 4, SchemaNonAggiornato: 5, ErroreDatabase: ESCI_INTERNO,
              StorageError: 3, RenderError: 2}
    for cls in type(exc).__mro__:
        if cls in codici:
            return codici[cls]
    return 1


def _registra(exc: BaseException) -> str:
    """Append the traceback of ``exc`` to ``<CURIT_VAR_DIR>/log/errori.log``; the Italian hint that
    points there ("" and the traceback on stderr when the log cannot be written)."""
    import traceback
    from datetime import datetime, timezone

    try:
        from service.settings import get_settings

        log = get_settings().var_dir / "log" / "errori.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now(timezone.utc).isoformat()} curit-docs {' '.join(sys.argv[1:])}\n")
            fh.write("".join(traceback.format_exception(exc)))
        return f" Dettagli tecnici in {log}."
    except Exception:  # the log cannot be written: the details go to stderr instead
        traceback.print_exception(exc, file=sys.stderr)
        return ""


def _errore_interno(exc: BaseException) -> None:
    """An unexpected exception: one Italian line on stderr, the traceback in the log file."""
    dove = _registra(exc)
    print(f"Errore interno del programma ({type(exc).__name__}): segnalarlo all'assistenza.{dove}",
          file=sys.stderr)


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
    global _USCITA_RAPIDA
    if not _USCITA_RAPIDA:
        _USCITA_RAPIDA = True
        atexit.register(_uscita_rapida)
    _load_commands(sys.argv[1] if len(sys.argv) > 1 else None)
    try:
        app(standalone_mode=False)
    except typer.Abort:
        print("Interrotto.", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # the product's errors, click usage errors, defects
        from archive.errors import riclassifica

        # click's usage errors, also those of the click Typer vendors (``typer._click``), which
        # are not click's classes: an unknown verb or none at all is a usage message, not a defect
        if any(c.__name__ == "ClickException" for c in type(exc).__mro__):
            exc.show()
            sys.exit(exc.exit_code)
        errore = riclassifica(exc)
        if errore is None:
            _errore_interno(exc)
            sys.exit(ESCI_INTERNO)
        codice = exit_code_for(errore)
        print_error(errore)
        if codice in (5, ESCI_INTERNO):  # schema or defect: whoever fixes it needs the details
            print(_registra(errore.__cause__ or errore).strip(), file=sys.stderr)
        sys.exit(codice)
