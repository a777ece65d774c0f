"""``utenti crea|elenco|disattiva|revoca-accessi|permesso``: accounts of the API and console.

A production start creates no users: the first administrator comes from here.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

__all__ = ["register"]


def _password(da_stdin: bool) -> str:
    if da_stdin:
        riga = sys.stdin.readline()
        return riga.rstrip("\r\n")
    from domain.errors import RuleViolation

    prima = typer.prompt("Password", hide_input=True)
    if typer.prompt("Ripetere la password", hide_input=True) != prima:
        raise RuleViolation("Le due password non coincidono: nessun utente creato.", path=("password",))
    return prima


def register(app: typer.Typer) -> None:
    utenti_app = typer.Typer(help="Utenti di API e console: il primo amministratore, ruoli, permessi, revoche.\n\n"
                                  "Esempio: curit-docs utenti crea admin --ruolo admin",
                             no_args_is_help=True)
    app.add_typer(utenti_app, name="utenti")

    @utenti_app.command("crea")
    def crea(
        username: Annotated[str, typer.Argument(help="Nome utente (senza spazi)")],
        ruolo: Annotated[str, typer.Option(help="ente, cait, manutentore, archivista, ispettore o admin")],
        ente: Annotated[str | None, typer.Option(help="Ente di un utente ente/archivista/ispettore")] = None,
        cait: Annotated[str | None, typer.Option(help="CAIT di un utente cait")] = None,
        manutentore: Annotated[int | None, typer.Option(help="Id del manutentore di un utente manutentore")] = None,
        permesso: Annotated[list[str] | None, typer.Option(help="Permesso aggiuntivo (firma_pdf); ripetibile")] = None,
        nome: Annotated[str, typer.Option(help="Nome e cognome")] = "",
        password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                     help="Legge la password dalla prima riga dello standard input")] = False,
    ) -> None:
        """Crea un utente; la password è chiesta due volte (o letta con --password-stdin).

        Esempio: curit-docs utenti crea admin --ruolo admin
        Esempio: echo 'una-password-lunga' | curit-docs utenti crea ente.bergamo --ruolo ente --ente provincia-bergamo --password-stdin
        """
        from service.settings import get_settings
        from service.utenti import crea as crea_utente

        r = crea_utente(get_settings(), username, _password(password_stdin), ruolo, ente_id=ente, cait_id=cait,
                        manutentore_id=manutentore, permessi=tuple(permesso or ()), nome=nome)
        typer.echo(f"Utente {r.username} creato (ruolo {r.ruolo}).")

    @utenti_app.command("elenco")
    def elenco() -> None:
        """Gli utenti, uno per riga in JSON (nessuna password).

        Esempio: curit-docs utenti elenco
        """
        from service.settings import get_settings
        from service.utenti import elenco as elenca

        for r in elenca(get_settings()):
            typer.echo(json.dumps(r.__dict__, ensure_ascii=False))

    @utenti_app.command("disattiva")
    def disattiva(username: Annotated[str, typer.Argument(help="Nome utente")]) -> None:
        """Disattiva un utente: sessioni e chiavi API cessano subito.

        Esempio: curit-docs utenti disattiva cait.mantova
        """
        from service.settings import get_settings
        from service.utenti import disattiva as disattiva_utente

        disattiva_utente(get_settings(), username)
        typer.echo(f"Utente {username} disattivato: sessioni e chiavi API revocate.")

    @utenti_app.command("revoca-accessi")
    def revoca_accessi(username: Annotated[str, typer.Argument(help="Nome utente")]) -> None:
        """Chiude tutte le sessioni e revoca tutte le chiavi API di un utente che resta attivo.

        Esempio: curit-docs utenti revoca-accessi cait.mantova
        """
        from service.settings import get_settings
        from service.utenti import revoca_accessi as revoca

        n = revoca(get_settings(), username)
        typer.echo(f"Utente {username}: {n} tra sessioni e chiavi API revocate.")

    @utenti_app.command("permesso")
    def permesso(
        username: Annotated[str, typer.Argument(help="Nome utente")],
        nome: Annotated[str, typer.Argument(help="Permesso: firma_pdf (firmare PDF caricati)")],
        togli: Annotated[bool, typer.Option("--togli", help="Toglie il permesso invece di concederlo")] = False,
    ) -> None:
        """Concede (o toglie) un permesso oltre al ruolo.

        Esempio: curit-docs utenti permesso ente.mantova firma_pdf
        """
        from service.settings import get_settings
        from service.utenti import concedi

        r = concedi(get_settings(), username, nome, togli=togli)
        typer.echo(f"Utente {r.username}: permessi {', '.join(r.permessi) or 'nessuno'}.")
