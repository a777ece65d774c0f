"""Every document type, declared once: model + template + rules + example.

A new document type is one entry in ``_ENTRIES``, one folder under templates/
and its tests; no code outside this module branches on a document code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from domain.errors import NotFound

__all__ = ["DocumentType", "DOCUMENT_TYPES", "get_document_type"]

Rule = Callable[[Any], None]
"""Raises ``RuleViolation``/``ValidationFailed`` when the validated model breaks a rule."""
Derive = Callable[[Any], Mapping[str, Any]]
"""Computes values the template prints but the user does not type (esito, η min…)."""


@dataclass(frozen=True)
class DocumentType:
    code: str
    """CLI/API name, e.g. ``allegato-g``."""
    title: str
    """Caption as printed on the model."""
    model: type[BaseModel]
    """Validated input (lives in ``domain/``)."""
    template: str
    """Folder under templates/; the page is ``<folder>/documento.html.j2``."""
    example: Callable[[], dict[str, Any]]
    """A complete, realistic input (``curit-docs esempio <code>``)."""
    rules: tuple[Rule, ...] = ()
    derive: Derive | None = None
    copies: tuple[str, ...] = ()
    """Holder of each printed copy (A/B: ispettore, responsabile, Ente); empty = one copy."""
    codice_impianto: Callable[[Any], str | None] = field(default=lambda m: getattr(m, "codice_impianto", None))
    data_documento: Callable[[Any], Any] = field(default=lambda m: None)
    contesto: Mapping[str, Any] = field(default_factory=dict)
    """Constant template variables, also for the blank form (e.g. the rows of a check grid)."""
    metadati: Callable[[Any], Mapping[str, str]] = field(default=lambda m: {})
    """More XMP ``curit:`` properties from the validated model (e.g. ``numeroEtichetta``)."""
    modulo_in_bianco: bool = True
    """False for office paper issued from records only (letters, receipts, registers): there is no
    model to fill in by hand, and asking for it blank is refused in Italian."""
    stampa: bool = False
    """The template keeps every field's box whether blank or filled (``stampabile``): documents
    are stamped on its compiled blank layout (``service.motore``) instead of laid out per record."""
    variante_stampa: Callable[[Any], Mapping[str, Any]] | None = None
    """For a ``stampa`` type whose blank layout has a record-dependent number of printed rows (L: the
    generator rows): the template variables of the blank layout this record is stamped on (e.g.
    ``{"righe_generatori": 6}``), each variant compiled once per process; None or {} = the blank form's."""
    motore: Any = None
    """The engine of a type laid out from layout variants (letters, targhe, etichette, CAIT paper):
    a ``service.motore_lotti.MotoreTipo``; None = ``service.motore`` or the full layout."""

    @property
    def template_path(self) -> str:
        return f"{self.template}/documento.html.j2"

    def valida(self, data: Any) -> BaseModel:
        """Input dict → validated model, then the type's rules; Italian errors with field paths.
        Here, not in ``service.produce``, so that validating does not import the renderers
        (a batch job's parent validates its input and never lays a page out)."""
        from pydantic import ValidationError

        from domain.errors import from_pydantic

        try:
            model = self.model.model_validate(data)
        except ValidationError as exc:
            raise from_pydantic(exc) from None
        for rule in self.rules:
            rule(model)
        return model


def _entries() -> tuple[DocumentType, ...]:
    """Imported lazily so that importing the registry stays cheap for the CLI."""
    from service.documents import ALL

    return ALL


class _Registry(Mapping[str, DocumentType]):
    def __init__(self) -> None:
        self._types: dict[str, DocumentType] | None = None
        self._singoli: dict[str, DocumentType] = {}
        """Types looked up one by one before anything needed them all (``per_codice``)."""

    def _load(self) -> dict[str, DocumentType]:
        if self._types is None:
            self._types = {dt.code: dt for dt in _entries()}
        return self._types

    def __getitem__(self, code: str) -> DocumentType:
        if self._types is None and isinstance(code, str):
            if code not in self._singoli:
                from service.documents import per_codice

                trovato = per_codice(code)
                if trovato is None:
                    return self._load()[code]
                self._singoli[code] = trovato
            return self._singoli[code]
        return self._load()[code]

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


DOCUMENT_TYPES: Mapping[str, DocumentType] = _Registry()


def get_document_type(code: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[code]
    except KeyError:
        known = ", ".join(sorted(DOCUMENT_TYPES))
        raise NotFound(f"Tipo di documento sconosciuto: {code}. Tipi disponibili: {known}.", path=("tipo",)) from None
