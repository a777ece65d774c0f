"""``archivio controlla``: the bucket's versions against the archive's ledger.

The ``archivio`` sub-app (:data:`archivio_app`) is shared: other command modules add their
verbs to it (``from service.cli.commands.archivio_integrita import archivio_app``).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

__all__ = ["register", "archivio_app"]

archivio_app = typer.Typer(
    name="archivio",
    help="Manutenzione dell'archivio documentale: controllo di integrità delle versioni conservate.\n\n"
         "Esempio: curit-docs archivio controlla --contenuto",
    no_args_is_help=True,
)


@archivio_app.command()
def controlla(
    contenuto: Annotated[bool, typer.Option(
        "--contenuto", help="Rilegge e ricalcola l'impronta di ogni versione (lento)")] = False,
) -> None:
    """Elenca le versioni del bucket non registrate, senza conservazione obbligatoria (o con una
    data diversa da quella richiesta), con impronta diversa, o registrate ma scomparse: una riga
    JSON per anomalia. Esce con codice 1 se ne trova almeno una, 0 se l'archivio è integro.

    Esempio: curit-docs archivio controlla --contenuto
    """
    from archive.versioni import controlla as _controlla
    from service.archivio import apri_archivio
    from service.settings import get_settings

    trovate = 0
    with apri_archivio(get_settings()) as archivio:
        for anomalia in _controlla(archivio.engine, archivio.store, contenuto=contenuto):
            trovate += 1
            typer.echo(json.dumps(anomalia.as_dict(), ensure_ascii=False))
    if trovate:
        typer.echo(f"Archivio non integro: {trovate} anomalie.", err=True)
        raise SystemExit(1)  # (typer.Exit is swallowed by main(): app(standalone_mode=False) returns its code)
    typer.echo("Archivio integro: ogni versione è registrata, bloccata e con l'impronta attesa.", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(archivio_app, name="archivio")
