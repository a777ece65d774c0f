"""``render``, ``schema``, ``esempio``, ``estrai``: single documents from JSON data."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from domain.errors import RuleViolation


def _read_json(path: Path) -> object:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError:
        raise RuleViolation(f"Impossibile leggere il file {path}.", path=("file",)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleViolation(f"JSON non valido alla riga {exc.lineno}, colonna {exc.colno}.", path=("file",)) from None


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary sibling and rename: never a half-written output."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _print_avvisi(pdf: bytes) -> None:
    """Non-blocking warnings of the rules (e.g. a dichiarazione not 'compilata in ogni sua parte')."""
    from renderers.errors import RenderError
    from renderers.pdf import read_attachment

    try:
        record = json.loads(read_attachment(pdf))
    except RenderError:  # a blank form carries no data
        return
    for avviso in record.get("avvisi", []):
        typer.echo(f"Avviso: {avviso}", err=True)


def register(app: typer.Typer) -> None:
    @app.command()
    def render(
        tipo: Annotated[str, typer.Argument(help="allegato-a … allegato-m")],
        dati: Annotated[Optional[Path], typer.Argument(help="File JSON dei dati ('-' = stdin)")] = None,
        output: Annotated[Path, typer.Option("-o", "--output", help="PDF da scrivere")] = Path("out.pdf"),
        modo: Annotated[Optional[str], typer.Option(help="facsimile | normalizzato")] = None,
        vuoto: Annotated[bool, typer.Option("--vuoto", help="Modulo in bianco, senza dati")] = False,
        copia: Annotated[
            Optional[list[str]],
            typer.Option("--copia", help="Stampa solo questa copia (es. 'utente', 'Ente'); ripetibile"),
        ] = None,
    ) -> None:
        """Genera il PDF di un modulo. Esempio: curit-docs esempio allegato-g > g.json && curit-docs render allegato-g g.json -o g.pdf"""
        from service.produce import render_document

        if not vuoto and dati is None:
            raise RuleViolation("Indicare il file dei dati oppure --vuoto.", path=("dati",))
        data = None if vuoto else _read_json(dati)  # type: ignore[arg-type]
        pdf = render_document(tipo, data, modo=modo, copie=copia)
        write_atomically(output, pdf)
        _print_avvisi(pdf)
        typer.echo(str(output))

    @app.command()
    def schema(tipo: str) -> None:
        """Stampa lo JSON Schema dei dati di un tipo di documento."""
        from service.registry import get_document_type

        doc = get_document_type(tipo)
        typer.echo(json.dumps(doc.model.model_json_schema(), ensure_ascii=False, indent=2))

    @app.command()
    def esempio(tipo: str) -> None:
        """Stampa un esempio completo e valido dei dati (dati lombardi realistici)."""
        from service.registry import get_document_type

        doc = get_document_type(tipo)
        typer.echo(json.dumps(doc.example(), ensure_ascii=False, indent=2, default=str))

    @app.command()
    def estrai(pdf: Path) -> None:
        """Stampa il dati.json incorporato in un PDF generato."""
        from renderers.pdf import read_attachment

        try:
            data = pdf.read_bytes()
        except OSError:
            raise RuleViolation(f"Impossibile leggere il file {pdf}.", path=("file",)) from None
        from renderers.errors import RenderError

        try:
            typer.echo(read_attachment(data).decode())
        except RenderError as exc:  # a file that is not one of our PDFs is bad input, not a render failure
            raise RuleViolation(exc.message, path=("file",)) from exc
