"""``serve``: the API and web console with embedded defaults (SQLite, SeaweedFS, in-process jobs)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Indirizzo di ascolto")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Porta HTTP")] = 8000,
        processi: Annotated[int | None, typer.Option(
            min=0, help="Processi che compilano e firmano i documenti (predefinito: i core disponibili; 0: nel "
                        "processo del server)")] = None,
        demo: Annotated[bool, typer.Option("--demo", help="Modalità dimostrativa: utenti demo (password curit-demo), "
                                                          "identità di firma autofirmate, documenti di esempio")] = False,
    ) -> None:
        """Avvia API e console web. Senza CURIT_S3_ENDPOINT avvia un SeaweedFS incorporato sotto var/.

        I documenti sono compilati e firmati in processi di lavoro, uno per core (--processi), avviati
        subito; archivio e indice restano nel processo del server.

        Senza --demo non crea utenti, identità né documenti: il primo amministratore si crea con
        curit-docs utenti crea admin --ruolo admin.

        Esempio: curit-docs serve --demo --port 8000, poi aprire http://127.0.0.1:8000/ (utente
        ente.mantova, password curit-demo).
        """
        import uvicorn

        from service.api import create_app
        from service.archivio_apertura import s3_config
        from service.lavoratori import chiudi_tutti, lavoratori_per, processi_predefiniti
        from service.settings import get_settings

        settings = get_settings()
        if demo:
            settings = settings.model_copy(update={"demo": True})
            typer.echo("Modalità DEMO: utenti demo con password curit-demo, identità di firma autofirmate.")
        from service.utenti import avvisi_avvio

        for avviso in avvisi_avvio(settings):
            typer.echo(f"Attenzione: {avviso}", err=True)
        with s3_config(settings, pubblica=True) as s3:  # CLI commands attach to this SeaweedFS
            from archive.objectstore import verifica_avvio

            verifica_avvio(s3)  # write, read back the lock, a refused delete: else no start (exit 3)
            if settings.s3_endpoint is None:
                typer.echo(f"Archivio S3 incorporato (SeaweedFS) su {s3.endpoint}, dati in {settings.var_dir}")
            n = processi if processi is not None else (
                settings.processi_emissione if "processi_emissione" in settings.model_fields_set
                else processi_predefiniti())
            settings = settings.model_copy(update={
                "s3_endpoint": s3.endpoint, "s3_access_key": s3.access_key, "s3_secret_key": s3.secret_key,
                "processi_emissione": n,
            })
            try:
                if n > 0:  # started now; they warm their templates while uvicorn starts
                    lavoratori_per(settings).avvia(attendi=False)
                    typer.echo(f"Emissione in {n} processi di lavoro")
                typer.echo(f"curit-docs su http://{host}:{port}/  (API: /docs)")
                uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
            finally:
                chiudi_tutti()
