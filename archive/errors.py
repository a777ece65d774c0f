"""Storage failures: the S3 archive, and the database (unreachable, schema behind the code,
or a programming error), each with its own Italian message and exit code."""

from domain.errors import AppError

__all__ = ["StorageError", "DatabaseNonDisponibile", "SchemaNonAggiornato", "ErroreDatabase", "errore_database",
           "riclassifica"]


class StorageError(AppError):
    """The archive or the index cannot be reached; nothing was lost, retry later."""

    default_message = "Archivio non disponibile, riprovare più tardi."
    permanent = False
    """True when retrying cannot help (see :class:`StorageRefused`)."""


class DatabaseNonDisponibile(StorageError):
    """The database server (or the SQLite file) cannot be reached or is busy: transient, retry.

    A StorageError so that every caller that queues or retries on an unreachable store keeps
    doing so; the CLI and the API still report it with its own message and code."""

    default_message = ("Database non raggiungibile (impostazione CURIT_DB_URL): verificare che sia "
                       "avviato e accessibile, poi riprovare.")


class SchemaNonAggiornato(AppError):
    """The database's tables do not match this version of the program (a table or column is
    missing, or the database was migrated by a newer version): not transient."""

    default_message = ("Lo schema del database non corrisponde a questa versione di curit-docs: "
                       "aggiornare il database o il programma.")


class ErroreDatabase(AppError):
    """A query the database refused for a reason that is a defect of the program."""

    default_message = "Errore interno nell'accesso al database: segnalarlo all'assistenza."


_SCHEMA_SQLITE = ("no such table", "no such column", "has no column named")
_SCHEMA_PG = {"42P01", "42703"}  # undefined_table, undefined_column


def errore_database(exc: BaseException) -> AppError:
    """The product's error for a SQLAlchemy/DBAPI failure (``exc`` becomes its ``__cause__``).

    Unreachable or busy database → :class:`DatabaseNonDisponibile`; missing table or column →
    :class:`SchemaNonAggiornato`; anything else (bad SQL, wrong types) → :class:`ErroreDatabase`.
    """
    from sqlalchemy import exc as sa

    orig = getattr(exc, "orig", None)
    testo = str(orig if orig is not None else exc).lower()
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _SCHEMA_PG or any(s in testo for s in _SCHEMA_SQLITE):
        errore: AppError = SchemaNonAggiornato()
    elif "syntax error" in testo:
        errore = ErroreDatabase()
    elif isinstance(exc, (sa.InterfaceError, sa.DisconnectionError, sa.TimeoutError)) or (
            isinstance(exc, sa.OperationalError) and not (sqlstate or "").startswith("42")):
        errore = DatabaseNonDisponibile()
    else:
        errore = ErroreDatabase()
    errore.__cause__ = exc
    return errore


def riclassifica(exc: BaseException) -> AppError | None:
    """At the CLI/API boundary: the error to report for ``exc``, or None when it is not the
    product's. A raw SQLAlchemy error, or a generic :class:`StorageError` raised for one
    (``raise StorageError() from exc`` in the repositories), becomes the precise database error,
    so that no database failure is ever reported as an unavailable archive."""
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        return errore_database(exc)
    if type(exc) is StorageError and isinstance(exc.__cause__, SQLAlchemyError):
        return errore_database(exc.__cause__)
    return exc if isinstance(exc, AppError) else None


class StorageTransient(StorageError):
    """S3 did not answer, or answered a temporary failure (connection refused, timeout, 5xx):
    the same write may succeed later. The outbox retries it with back-off."""

    permanent = False
    default_message = "Archivio documentale non raggiungibile, riprovare più tardi."


class StorageRefused(StorageError):
    """S3 answered and refused for a reason that retrying will not change (a 4xx on the
    write, a retention date it does not accept, a bucket that cannot lock). The outbox moves
    the document to its dead-letter state with this message as the reason."""

    permanent = True
    default_message = "L'archivio documentale ha rifiutato il documento."


class LockNotHeld(StorageRefused):
    """The version was written but the store does not hold the COMPLIANCE retention asked
    (missing, shorter, or another date read back): the document is not archived."""

    default_message = "L'archivio documentale non conserva il documento con il blocco richiesto."


__all__ += ["StorageTransient", "StorageRefused", "LockNotHeld"]
