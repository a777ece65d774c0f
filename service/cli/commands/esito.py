"""``esito``: the computed results of a rapporto di prova (Allegato A or B) as JSON.

Input: the same JSON that ``curit-docs render allegato-a|allegato-b`` takes, or the
``dati.json`` printed by ``curit-docs estrai`` (``{"tipo": "allegato-b", "dati": {...}}``).
Which Allegato: the ``tipo`` of a dati.json wrapper; otherwise the key ``generatori`` (one
sheet per generator) marks a B, its absence an A.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from domain.errors import RuleViolation
from service.cli.commands.render import _read_json

__all__ = ["register", "esito_rapporto", "tipo_rapporto"]

_CAMPI = ("eta_min", "eta_rilevato", "eta_rilevato_piu_2", "co_corretto_ppm", "co_regolare", "bacharach_ok",
          "rendimento_sufficiente", "esito", "punti_non_conformi", "campi_barrati", "motivazioni")


def tipo_rapporto(data: Any) -> tuple[str, Any]:
    """(registry code, form data) of a rapporto di prova JSON; RuleViolation for anything else."""
    if not isinstance(data, dict):
        raise RuleViolation("Il file deve contenere un oggetto JSON con i dati del rapporto di prova.", path=("file",))
    if "tipo" in data and "dati" in data:
        if data["tipo"] not in ("allegato-a", "allegato-b"):
            raise RuleViolation(f"Il documento è un {data['tipo']}, non un rapporto di prova (Allegato A o B).",
                                path=("tipo",))
        return data["tipo"], data["dati"]
    return ("allegato-b" if "generatori" in data else "allegato-a"), data


def _sintesi(esito: dict[str, Any]) -> dict[str, Any]:
    return {k: esito[k] for k in _CAMPI}


def esito_rapporto(data: Any) -> dict[str, Any]:
    """Validate (never-blank rule included) and return the computed results."""
    from domain.forms.allegato_b import esito_complessivo
    from service.produce import validate
    from service.registry import get_document_type

    tipo, dati = tipo_rapporto(data)
    doc = get_document_type(tipo)
    model: Any = validate(doc, dati)
    if tipo == "allegato-a":
        return {"tipo": tipo, **_sintesi(model.esito().as_dict())}
    esiti = model.esiti()
    generatori = [{"generatore": n, **_sintesi(e.as_dict())} for n, e in enumerate(esiti, start=1)]
    return {"tipo": tipo, "esito": esito_complessivo(esiti), "fogli_totali": model.fogli_totali,
            "generatori": generatori}


def register(app: typer.Typer) -> None:
    @app.command()
    def esito(
        rapporto: Annotated[Path, typer.Argument(help="JSON di un Allegato A o B ('-' = stdin)")],
    ) -> None:
        """Calcola η min, CO corretto, rendimento, Bacharach ed esito (9.a/9.b) di un rapporto di prova.

        Esempio: curit-docs esempio allegato-a | curit-docs esito -
        """
        typer.echo(json.dumps(esito_rapporto(_read_json(rapporto)), ensure_ascii=False, indent=2))
