"""``firma``, ``verifica``, ``identita demo|elenco``: PAdES signatures from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from domain.errors import RuleViolation
from service.cli.commands.render import write_atomically


def _leggi_pdf(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        raise RuleViolation(f"Impossibile leggere il file {path}.", path=("file",)) from None


def register(app: typer.Typer) -> None:
    identita_app = typer.Typer(help="Identità di firma delle organizzazioni (Regione, Enti, CAIT).\n\n"
                                    "Esempio: curit-docs identita elenco",
                               no_args_is_help=True)
    app.add_typer(identita_app, name="identita")

    @app.command()
    def firma(
        pdf: Annotated[Path, typer.Argument(help="PDF da firmare")],
        output: Annotated[Path, typer.Option("-o", "--output", help="PDF firmato da scrivere")],
        identita: Annotated[str, typer.Option("--identita", help="Nome dell'identità (es. ente-bergamo)")],
        tipo: Annotated[Optional[str], typer.Option(help="Tipo di documento: decide la firma visibile")] = None,
        visibile: Annotated[Optional[bool], typer.Option("--visibile/--invisibile",
                                                         help="Riquadro visibile sull'ultima pagina")] = None,
        motivo: Annotated[Optional[str], typer.Option(help="Motivo della firma")] = None,
        luogo: Annotated[Optional[str], typer.Option(help="Luogo della firma")] = None,
        livello: Annotated[str, typer.Option(
            help="auto | B-B | B-T | B-LT | B-LTA (B-T e oltre richiedono CURIT_TSA_URL; auto segue "
                 "CURIT_FIRMA_LIVELLO)")] = "auto",
    ) -> None:
        """Firma un PDF (PAdES). Esempio: curit-docs firma g.pdf -o g-firmato.pdf --identita ente-bergamo"""
        from service.firma import firma_documento, spec_per_tipo

        from renderers.sign import LIVELLI

        if livello not in LIVELLI:
            raise RuleViolation("Livello non valido: usare auto, B-B, B-T, B-LT o B-LTA.", path=("livello",))
        spec = spec_per_tipo(tipo, visibile=visibile, motivo=motivo, luogo=luogo, livello=livello)  # type: ignore[arg-type]
        signed = firma_documento(_leggi_pdf(pdf), identita, spec=spec)
        write_atomically(output, signed)
        typer.echo(str(output))
        from renderers.lta import livello_pades

        stato = livello_pades(signed)
        if stato is not None:  # the level reached, and until when its evidence holds
            print(f"Firma apposta. {stato.descrizione()}", file=sys.stderr)

    @app.command()
    def verifica(pdf: Annotated[Path, typer.Argument(help="PDF firmato da verificare")]) -> None:
        """Verifica le firme di un PDF: esito JSON con il livello PAdES raggiunto (B-B, B-T, B-LT,
        B-LTA) e fino a quando la prova regge; codice d'uscita 0 se valida, 1 se no.

        Esempio: curit-docs verifica g-firmato.pdf
        """
        from service.firma import verifica_documento

        verdetto = verifica_documento(_leggi_pdf(pdf))
        typer.echo(json.dumps(verdetto.as_dict(), ensure_ascii=False, indent=2))
        if verdetto.conservazione:
            print(verdetto.conservazione, file=sys.stderr)
        if not verdetto.valida:
            print(f"Firma non valida: {verdetto.motivo}", file=sys.stderr)
            raise SystemExit(1)

    @identita_app.command("demo")
    def identita_demo(
        nome: Annotated[str, typer.Argument(help="Nome della nuova identità (es. ente-prova)")],
    ) -> None:
        """Crea un'identità di prova autofirmata, SOLO DEMO - NON PER PRODUZIONE.

        Esempio: curit-docs identita demo ente-prova
        """
        from service.identita import DEMO_OU, crea_identita_demo
        from service.settings import get_settings

        demo = crea_identita_demo(nome, get_settings().identita_dir)
        typer.echo(f"ATTENZIONE: {DEMO_OU}. Identità di prova, da non usare per documenti reali.")
        typer.echo(f"Identità {demo.nome} creata in {demo.cartella}")
        typer.echo(f"Firmare:   curit-docs firma documento.pdf -o firmato.pdf --identita {demo.nome}")
        typer.echo(f"Verificare: CURIT_TRUST_ROOTS='[\"{demo.ca}\"]' curit-docs verifica firmato.pdf")

    @identita_app.command("elenco")
    def identita_elenco() -> None:
        """Elenca le identità di firma configurate (solo i nomi, mai le chiavi).

        Esempio: CURIT_IDENTITA_DIR=/etc/curit/identita curit-docs identita elenco
        """
        from service.identita import elenca_identita

        for nome in elenca_identita():
            typer.echo(nome)
