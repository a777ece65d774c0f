"""Signed PDF → the metadata it is archived under (:func:`metadati_da_pdf`).

Read from the PDF's embedded ``dati.json`` (FORMS.md keys, first match wins) and overridden by
the caller's values; :class:`service.archivio.Archivio` stores the document under them. Kept apart
from :mod:`service.archivio` (S3, outbox, signature checks): importing it loads neither the
database nor the S3 clients, and ``renderers`` only when a PDF is read.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from archive.metadati import MetadatiDocumento
from domain.errors import RuleViolation

__all__ = ["metadati_da_pdf"]


_CHIAVI: dict[str, tuple[str, ...]] = {
    "codice_impianto": ("codice_impianto", "codice_catasto"),
    "etichetta": ("numero_etichetta", "etichetta_numero", "etichetta"),
    "responsabile_cf": ("responsabile_cf", "responsabile_codice_fiscale", "codice_fiscale_responsabile"),
    "data_documento": ("data_documento", "data_controllo", "data_ispezione", "data_presentazione", "data"),
    "manutentore": ("manutentore_ragione_sociale", "ragione_sociale_manutentore", "manutentore"),
    "ente": ("ente_id", "ente"),
    "cait": ("cait_id", "cait"),
}
"""Field names (FORMS.md keys) looked for in ``dati.json``, first match wins."""


def _cerca_chiave(dati: Any, nomi: tuple[str, ...]) -> str | None:
    """First scalar value of any of ``nomi`` in a nested dict/list (breadth-first)."""
    coda = [dati]
    while coda:
        nodo = coda.pop(0)
        if isinstance(nodo, dict):
            for nome in nomi:
                value = nodo.get(nome)
                if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                    return str(value).strip()
                if isinstance(value, dict) and isinstance(value.get("numero") or value.get("codice"), str):
                    return (value.get("numero") or value.get("codice")).strip()
            coda.extend(v for v in nodo.values() if isinstance(v, (dict, list)))
        elif isinstance(nodo, list):
            coda.extend(v for v in nodo if isinstance(v, (dict, list)))
    return None


def metadati_da_pdf(pdf: bytes, **dati_forniti: Any) -> MetadatiDocumento:
    """Metadata from the PDF's embedded ``dati.json`` (when present), overridden by the
    caller's non-empty values. RuleViolation when tipo or data_documento stay unknown."""
    from renderers.errors import RenderError
    from renderers.pdf import read_attachment

    trovati: dict[str, Any] = {}
    try:
        contenuto = json.loads(read_attachment(pdf))
    except (RenderError, ValueError):
        contenuto = None
    if isinstance(contenuto, dict):
        trovati["tipo"] = contenuto.get("tipo")
        dati = contenuto.get("dati", contenuto)
        for campo, nomi in _CHIAVI.items():
            trovati[campo] = _cerca_chiave(dati, nomi)
    trovati.update({k: v for k, v in dati_forniti.items() if v not in (None, "")})
    if not trovati.get("tipo"):
        raise RuleViolation("Indicare il tipo di documento (--tipo): il PDF non lo dichiara.", path=("tipo",))
    giorno = trovati.get("data_documento")
    if not giorno:
        raise RuleViolation("Indicare la data del documento: il PDF non la dichiara.", path=("data_documento",))
    if isinstance(giorno, str):
        try:
            trovati["data_documento"] = date.fromisoformat(giorno[:10])
        except ValueError:
            raise RuleViolation(f"Data del documento non valida: {giorno}.", path=("data_documento",)) from None
    if trovati.get("responsabile_cf"):
        trovati["responsabile_cf"] = str(trovati["responsabile_cf"]).upper()
    nomi = MetadatiDocumento.__dataclass_fields__
    return MetadatiDocumento(**{k: v for k, v in trovati.items() if k in nomi})
