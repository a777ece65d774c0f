"""``verifica-stampa``: check the contrassegno of a printed copy from its scan or photo."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("verifica-stampa")
    def verifica_stampa(
        scansione: Annotated[Path, typer.Argument(help="Scansione o foto della copia stampata (PNG, JPEG, TIFF o PDF)")],
        archivio: Annotated[bool, typer.Option("--archivio/--solo-sigillo",
                                               help="Confronta anche con l'archivio, se raggiungibile")] = True,
    ) -> None:
        """Verifica il contrassegno a stampa (CAD art. 23-ter c.5) di una copia cartacea.

        Trova il codice QR nella scansione (150-300 dpi, anche leggermente ruotata), controlla il sigillo
        con l'elenco delle chiavi di fiducia e ne stampa i dati; senza archivio la verifica resta valida.
        Codice d'uscita 0 solo se ogni contrassegno è valido.

        Esempio: curit-docs verifica-stampa scansione.png
        """
        from service.contrassegno import verifica_scansione
        from service.settings import get_settings

        settings = get_settings()
        if not archivio:
            esiti = verifica_scansione(scansione, settings)
            nota = "Archivio non consultato (--solo-sigillo): verificato il solo sigillo."
        else:
            esiti, nota = _con_archivio(scansione, settings)
        for esito in esiti:
            typer.echo("\n".join(esito.righe()))
        if nota:
            typer.echo(nota)
        if not all(e.valido for e in esiti):
            raise SystemExit(1)


def _con_archivio(scansione: Path, settings):  # type: ignore[no-untyped-def]
    """Check against the archive; if it cannot be reached, the seal alone (offline) with a note."""
    from domain.errors import AppError
    from service.archivio_apertura import apri_archivio
    from service.contrassegno import verifica_scansione

    esiti = verifica_scansione(scansione, settings)  # offline first: a bad scan fails before any connection
    if not any(e.valido for e in esiti):
        return esiti, None
    try:
        with apri_archivio(settings, anche_senza_s3=False) as arch:
            from service.contrassegno import confronta_archivio

            return [confronta_archivio(e, arch) for e in esiti], None
    except (AppError, OSError) as exc:
        logging.getLogger("curit.contrassegno").info("archivio non raggiungibile: %s", exc)
        return esiti, "Archivio non raggiungibile: verificato il solo sigillo (nessun controllo di versione)."
