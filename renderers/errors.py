"""Rendering failures (template, PDF, barcode, imposition, signing)."""

from domain.errors import AppError

__all__ = ["RenderError", "SigningError"]


class RenderError(AppError):
    """A document could not be produced; the cause holds the technical detail."""

    default_message = "Impossibile generare il documento."


class SigningError(RenderError):
    """A document could not be signed or its signature could not be checked."""

    default_message = "Impossibile firmare il documento."
