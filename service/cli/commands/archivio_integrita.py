"""``archivio controlla``: the bucket's versions against the archive's ledger;
``archivio rinnova-marche``: new archive timestamps before the last one expires (service/marche.py).

The ``archivio`` sub-app (:data:`archivio_app`) is shared: other command modules add their
verbs to it (``from service.cli.commands.archivio_integrita import archivio_app``).
"""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

__all__ = ["register", "archivio_app"]

archivio_app = typer.Typer(
    name="archivio",
    help="Manutenzione dell'archivio documentale: controllo di integrità delle versioni conservate, "
         "rinnovo delle marche temporali d'archivio.\n\n"
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
    from service.archivio_apertura import apri_archivio
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


@archivio_app.command("rinnova-marche")
def rinnova_marche(
    giorni: Annotated[Optional[int], typer.Option(
        "--giorni", help="Rinnova i documenti la cui ultima marca temporale scade entro questi giorni "
                         "(predefinito: CURIT_RINNOVO_MARCHE_GIORNI, 90)")] = None,
    solo_elenco: Annotated[bool, typer.Option(
        "--solo-elenco", help="Elenca i documenti da rinnovare senza scrivere nulla")] = False,
) -> None:
    """Nuova marca temporale d'archivio (PAdES B-LTA) ai documenti la cui ultima marca scade entro N giorni.

    Con dati di validazione aggiornati, come nuova versione dello stesso oggetto con la stessa
    conservazione obbligatoria, registrata nell'indice. Una riga JSON per documento; codice
    d'uscita 1 se un documento non è stato rinnovato per errore, 3 se l'archivio S3 non era
    disponibile.

    Esempio: curit-docs archivio rinnova-marche --giorni 60
    """
    from service.archivio_apertura import apri_archivio
    from service.marche import rinnova_marche as _rinnova
    from service.settings import get_settings

    conteggio: dict[str, int] = {}
    archivio_assente = False
    settings = get_settings()
    with apri_archivio(settings) as archivio:
        for esito in _rinnova(archivio, settings, giorni=giorni, solo_elenco=solo_elenco):
            conteggio[esito.esito] = conteggio.get(esito.esito, 0) + 1
            archivio_assente |= esito.errore_archivio
            typer.echo(json.dumps(esito.as_dict(), ensure_ascii=False))
    riepilogo = ", ".join(f"{n} {e.replace('_', ' ')}" for e, n in sorted(conteggio.items())) or "nessun documento"
    typer.echo(f"Rinnovo delle marche temporali: {riepilogo}.", err=True)
    if conteggio.get("errore"):
        raise SystemExit(3 if archivio_assente else 1)


def register(app: typer.Typer) -> None:
    app.add_typer(archivio_app, name="archivio")
