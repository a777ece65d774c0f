"""``render``, ``schema``, ``esempio``, ``estrai``: single documents from JSON data.

``render`` issues through ``service.emissione``: validate → render → sign as the issuing
organisation (``--firma``, default ``CURIT_FIRMA_OUTPUT``) → archive (``--archivia``, default
``CURIT_ARCHIVIA_OUTPUT``). Nothing is written unless every step succeeded.
"""

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


def _render_vuoto(tipo: str, output: Path, *, modo: str | None, copia: list[str] | None, firma: bool | None,
                  archivia: bool | None, emittente: str | None) -> None:
    """A blank form is a model for handwriting, not an issued document: never signed nor archived."""
    if firma or archivia or emittente:
        raise RuleViolation(
            "Un modulo in bianco non è un documento emesso: non si firma né si archivia "
            "(togliere --firma, --archivia ed --emittente).",
            path=("vuoto",),
        )
    from service.produce import render_document

    write_atomically(output, render_document(tipo, None, modo=modo, copie=copia))
    typer.echo(str(output))


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
        firma: Annotated[
            Optional[bool],
            typer.Option("--firma/--no-firma", help="Firma PAdES dell'emittente (predefinito: CURIT_FIRMA_OUTPUT, sì)"),
        ] = None,
        archivia: Annotated[
            Optional[bool],
            typer.Option("--archivia/--no-archivia",
                         help="Archivia su S3 e nell'indice (predefinito: CURIT_ARCHIVIA_OUTPUT, no)"),
        ] = None,
        emittente: Annotated[
            Optional[str],
            typer.Option(help="Chi emette e firma: id dell'Ente (provincia-mantova), del CAIT (CAIT-MN-01) o "
                              "regione; predefinito: quello indicato dai dati o l'Ente competente"),
        ] = None,
    ) -> None:
        """Genera il PDF di un modulo, firmato dall'emittente. Esempio: curit-docs esempio allegato-g > g.json && curit-docs render allegato-g g.json -o g.pdf"""
        if vuoto:
            _render_vuoto(tipo, output, modo=modo, copia=copia, firma=firma, archivia=archivia, emittente=emittente)
            return
        if dati is None:
            raise RuleViolation("Indicare il file dei dati oppure --vuoto.", path=("dati",))
        from service.emissione import Emissione
        from service.settings import get_settings

        settings = get_settings()
        firma = settings.firma_output if firma is None else firma
        archivia = settings.archivia_output if archivia is None else archivia
        data = _read_json(dati)
        with Emissione.aperta(settings, firma=firma, archivia=archivia) as emissione:
            emesso = emissione.emetti(tipo, data, emittente=emittente, modo=modo, copie=copia)
        write_atomically(output, emesso.pdf)
        _print_avvisi(emesso.pdf)
        typer.echo(str(output))
        if emesso.record is not None:
            typer.echo(json.dumps(emesso.record, ensure_ascii=False, default=str))

    @app.command()
    def schema(tipo: str) -> None:
        """Stampa lo JSON Schema dei dati di un tipo di documento (gli stessi tipi di 'esempio').

        Esempio: curit-docs schema allegato-g > allegato-g.schema.json
        """
        from service.registry import get_document_type

        doc = get_document_type(tipo)
        typer.echo(json.dumps(doc.model.model_json_schema(), ensure_ascii=False, indent=2))

    @app.command()
    def esempio(tipo: str) -> None:
        """Stampa un esempio completo e valido dei dati (dati lombardi realistici), pronto per 'render'.

        Tipi: allegato-a, allegato-b, allegato-e1, allegato-e2, allegato-f, allegato-g, allegato-h,
        allegato-i, allegato-l, allegato-m, allegato-f-precompilato, allegato-g-precompilato, targhe,
        avviso-ispezione, lettera-esito, distinta-ricevuta, lettera-trasmissione, ricevuta,
        rendiconto-cait, rendiconto-ente-trimestrale, elenco-manutentori, elenco-operatori,
        elenco-strumenti, etichette (foglio di prova FAC-SIMILE, nessun numero assegnato).

        Esempio: curit-docs esempio allegato-g > g.json && curit-docs render allegato-g g.json -o g.pdf
        """
        from service.registry import get_document_type

        doc = get_document_type(tipo)
        typer.echo(json.dumps(doc.example(), ensure_ascii=False, indent=2, default=str))

    @app.command()
    def estrai(pdf: Path) -> None:
        """Stampa il dati.json incorporato in un PDF generato.

        Esempio: curit-docs estrai g.pdf > g.json
        """
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
