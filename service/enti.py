"""The Enti as configured: their registry (``enti_file``, else the shipped one) and each Ente's
customisation of the printed stock (``personalizzazioni_file``: ``targa``, ``etichetta`` sections).

Read by every document kind that names an Ente (targhe, etichette, CAIT paper, letters, quotas).
"""

from __future__ import annotations

import json
from typing import Any

from domain.enti import RegistroEnti, registro_enti
from domain.errors import RuleViolation
from service.settings import Settings

__all__ = ["enti_da_settings", "personalizzazioni"]


def enti_da_settings(settings: Settings) -> RegistroEnti:
    """The Enti registry of ``settings``: its ``enti_file`` if set, else the shipped registry."""
    if settings.enti_file is not None:
        return RegistroEnti.da_json(settings.enti_file.read_text(encoding="utf-8"))
    return registro_enti()


def personalizzazioni(settings: Settings, sezione: str) -> dict[str, Any]:
    """The ``sezione`` (``targa``/``etichetta``) of each Ente in ``personalizzazioni_file``."""
    if settings.personalizzazioni_file is None:
        return {}
    try:
        data = json.loads(settings.personalizzazioni_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuleViolation("File delle personalizzazioni degli Enti non leggibile.",
                            path=("personalizzazioni",)) from exc
    return {ente: conf.get(sezione, {}) for ente, conf in data.items() if isinstance(conf, dict)}
