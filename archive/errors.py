"""Storage failures (S3 or database unreachable)."""

from domain.errors import AppError

__all__ = ["StorageError"]


class StorageError(AppError):
    """The archive or the index cannot be reached; nothing was lost, retry later."""

    default_message = "Archivio non disponibile, riprovare più tardi."
