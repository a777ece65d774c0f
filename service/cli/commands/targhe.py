"""``targhe``: plates of a list of impianti on label sheets (stamp engine, streamed PDF), signed once.

The file is print output, not a record: it is signed by the Ente the plates belong to (the
Regione when they belong to several; ``--emittente``) and never archived. Signing defaults to
``CURIT_FIRMA_OUTPUT``; ``--no-firma`` gives an unsigned preview. The issuer and its identity are
checked before the sheets are stamped, and ``-o`` appears only when every step succeeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

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
        firma: Annotated[Optional[bool], typer.Option(
            "--firma/--no-firma", help="Firma PAdES dell'Ente (predefinito: CURIT_FIRMA_OUTPUT, sì); "
                                       "--no-firma per un'anteprima")] = None,
        emittente: Annotated[Optional[str], typer.Option(
            help="Chi firma: l'Ente delle targhe (predefinito) o regione (obbligatoria se le targhe sono di più Enti)"
        )] = None,
    ) -> None:
        """Stampa 2 targhe per impianto (impianto, libretto) su fogli di etichette, firmate dall'Ente.

        Esempio: curit-docs esempio targhe > impianti.json && curit-docs targhe impianti.json -o targhe.pdf --inizio 3
        """
        from pydantic import ValidationError

        from domain.errors import from_pydantic
        from domain.targa import ElencoImpiantiTarga
        from service.cli.commands.render import _read_json, write_atomically
        from service.emissione import Emissione, emittente_di_stampa
        from service.enti import enti_da_settings
        from service.settings import get_settings
        from service.stampa_fogli import OpzioniFoglio
        from service.targhe import render_targhe

        settings = get_settings()
        data = _read_json(impianti)
        if not isinstance(data, list):
            raise RuleViolation("Il file deve contenere un elenco JSON di impianti ([{...}, ...]).", path=("impianti",))
        try:
            elenco = ElencoImpiantiTarga.model_validate(data).impianti
        except ValidationError as exc:
            raise from_pydantic(exc) from None
        registro = enti_da_settings(settings)
        enti = {imp.ente_id or registro.competente(imp.istat).id for imp in elenco}
        chi = emittente_di_stampa(enti, emittente)
        emissione = Emissione(settings, firma=settings.firma_output if firma is None else firma)
        ente = next(iter(enti)) if len(enti) == 1 else None
        emissione.verifica_emittente("targhe", chi, ente=ente)
        opzioni = OpzioniFoglio(foglio=foglio, inizio=inizio, offset_x=offset_x, offset_y=offset_y, prova=prova)
        output.parent.mkdir(parents=True, exist_ok=True)
        stampato = output.with_name(f".{output.name}.stampa.tmp")
        try:
            with stampato.open("wb") as out:
                esito = render_targhe(elenco, out, opzioni=opzioni, settings=settings)
            emesso = emissione.firma_stampa(stampato.read_bytes(), tipo="targhe", emittente=chi, ente=ente)
            write_atomically(output, emesso.pdf)
        finally:
            stampato.unlink(missing_ok=True)
        typer.echo(f"{output}: {esito.etichette} targhe su {esito.fogli} fogli"
                   + (f", {len(esito.impaginazioni_complete)} impaginate per intero" if esito.impaginazioni_complete else "")
                   + (f", firmato da {emesso.emittente.denominazione}" if emesso.firmato else ", non firmato"))
