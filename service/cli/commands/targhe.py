"""``targhe``: plates of a list of impianti on label sheets (stamp engine, streamed PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from domain.errors import RuleViolation



def register(app: typer.Typer) -> None:
    @app.command()
    def targhe(
        impianti: Annotated[Path, typer.Argument(help="File JSON con l'elenco degli impianti ('-' = stdin)")],
        output: Annotated[Path, typer.Option("-o", "--output", help="PDF da scrivere")] = Path("targhe.pdf"),
        foglio: Annotated[str, typer.Option(help="Foglio di etichette: A4-2x5 (predefinito), A4-2x4, A4-1x7, ROTOLO-84x55")] = "A4-2x5",
        inizio: Annotated[int, typer.Option(help="Prima posizione libera sul primo foglio (1 = in alto a sinistra)")] = 1,
        offset_x: Annotated[float, typer.Option("--offset-x", help="Calibrazione stampante, mm verso destra")] = 0.0,
        offset_y: Annotated[float, typer.Option("--offset-y", help="Calibrazione stampante, mm verso il basso")] = 0.0,
        prova: Annotated[bool, typer.Option("--prova", help="Disegna i contorni delle etichette e i segni di taglio")] = False,
    ) -> None:
        """Stampa 2 targhe per impianto (impianto, libretto) su fogli di etichette.

        Esempio: curit-docs esempio targhe > impianti.json && curit-docs targhe impianti.json -o targhe.pdf --inizio 3
        """
        from service.cli.commands.render import _read_json
        from service.targhe import OpzioniFoglio, render_targhe

        data = _read_json(impianti)
        if not isinstance(data, list):
            raise RuleViolation("Il file deve contenere un elenco JSON di impianti ([{...}, ...]).", path=("impianti",))
        opzioni = OpzioniFoglio(foglio=foglio, inizio=inizio, offset_x=offset_x, offset_y=offset_y, prova=prova)
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(f".{output.name}.tmp")
        try:
            with tmp.open("wb") as out:
                esito = render_targhe(data, out, opzioni=opzioni)
            tmp.replace(output)
        finally:
            tmp.unlink(missing_ok=True)
        typer.echo(f"{output}: {esito.etichette} targhe su {esito.fogli} fogli"
                   + (f", {len(esito.impaginazioni_complete)} impaginate per intero" if esito.impaginazioni_complete else ""))
