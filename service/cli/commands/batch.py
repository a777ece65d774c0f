"""``batch``, ``importa-distributore``, ``worker``: bulk printing jobs (service/batch)."""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from domain.errors import RuleViolation


def _engine():
    from archive.db import make_engine
    from service.settings import get_settings

    return make_engine(get_settings().db_url)


def _sorgente(tipo: str, sorgente: str, comune: str | None, ente: str | None) -> Any:
    """The job input: a JSON/CSV file, or ``catasto`` (plates of a comune's / an Ente's impianti)."""
    from service.batch.sorgente import leggi_sorgente

    if sorgente != "catasto":
        return leggi_sorgente(Path(sorgente))
    if tipo != "targhe" or not (comune or ente):
        raise RuleViolation("Con 'catasto' usare il lotto targhe e indicare --comune o --ente.", path=("sorgente",))
    from sqlalchemy import select

    from archive.catasto import ImpiantoCatasto
    from archive.db import session_scope

    q = select(ImpiantoCatasto).order_by(ImpiantoCatasto.codice_impianto)
    q = q.where(ImpiantoCatasto.istat == comune) if comune else q.where(ImpiantoCatasto.ente_id == ente)
    with session_scope(_engine()) as s:
        return [{"codice_impianto": i.codice_impianto, "indirizzo": i.indirizzo, "civico": i.civico,
                 "comune": i.comune, "ente_id": i.ente_id} for i in s.scalars(q)]


def _esegui(lavoro_id: str, processi: int, distribuito: bool, stampatori: Any = None,
            firmatore: Any = None) -> dict[str, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from service.batch.lavoro import esegui_lavoro
    from service.settings import get_settings

    engine = _engine()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[velocita]}"), TimeRemainingColumn(), transient=False,
                  console=Console(stderr=True)) as bar:  # stdout carries the JSON summary
        task = bar.add_task(f"Lavoro {lavoro_id}", total=None, velocita="")

        def avanza(totali: Any, fatti: Any, pagine_al_secondo: Any) -> None:
            v = f"{pagine_al_secondo:.1f} pagine/s" if pagine_al_secondo else ""
            bar.update(task, total=totali, completed=fatti, velocita=v)

        if distribuito:
            return _esegui_distribuito(lavoro_id, engine, avanza)
        return esegui_lavoro(lavoro_id, settings=get_settings(), engine=engine, processi=processi,
                             stampatori=stampatori, firmatore=firmatore,
                             avanzamento=lambda a: avanza(a.record_totali, a.record_fatti, a.pagine_al_secondo))


def _esegui_distribuito(lavoro_id: str, engine: Any, avanza: Any) -> dict[str, Any]:
    """Queue the job on the Celery workers; the bar follows the job's row, which every worker
    updates as its chunks finish; then fetch the outputs (S3 deposit)."""
    from celery.exceptions import TimeoutError as InAttesa

    from archive.lavori import get_lavoro
    from service.batch.blocchi import leggi_lavoro
    from service.batch.celery_app import avvia_distribuito, scarica_esito
    from service.batch.lavoro import _cartella, blocchi_totali

    cartella = _cartella(engine, lavoro_id)
    risultato = avvia_distribuito(lavoro_id, cartella, blocchi_totali(leggi_lavoro(cartella)))
    while True:
        row = get_lavoro(engine, lavoro_id)
        avanza(row.record_totali, row.record_fatti, row.pagine_al_secondo)
        try:
            esito = risultato.get(timeout=0.5)
        except InAttesa:
            continue
        return scarica_esito(cartella, esito)


def register(app: typer.Typer) -> None:
    @app.command("batch")
    def batch(
        tipo: Annotated[str, typer.Argument(help="targhe | etichette | avvisi | esiti | moduli:<tipo> | stato")] = "",
        sorgente: Annotated[str, typer.Argument(help="File JSON/CSV dei record, 'catasto' (targhe) o, con stato, l'id")] = "",
        output: Annotated[Path | None, typer.Option("-o", "--output", help="Cartella dove copiare stampa e rapporto")] = None,
        processi: Annotated[int, typer.Option(help="Processi di stampa (default: i core della macchina)")] = 0,
        riprendi: Annotated[str | None, typer.Option(help="Riprende il lavoro interrotto con questo id")] = None,
        per_record: Annotated[bool, typer.Option("--per-record", help="Anche un PDF per record (archiviazione)")] = False,
        dividi_ogni: Annotated[int | None, typer.Option(help="Divide la stampa ogni N pagine")] = None,
        dividi_per: Annotated[str | None, typer.Option(help="Divide la stampa per 'cap' o 'comune' (lettere)")] = None,
        comune: Annotated[str | None, typer.Option(help="Con 'catasto': codice ISTAT del comune")] = None,
        ente: Annotated[str | None, typer.Option(help="Con 'catasto': id dell'Ente")] = None,
        distribuito: Annotated[bool, typer.Option("--distribuito", help="Esegue i blocchi sui worker Celery")] = False,
        firma: Annotated[bool | None, typer.Option("--firma/--no-firma",
                                                   help="Firma le stampe (una volta) e i PDF per record (default: CURIT_FIRMA_OUTPUT)")] = None,
        emittente: Annotated[str | None, typer.Option(help="Chi firma: id dell'Ente, del CAIT o regione (default: l'Ente dei record)")] = None,
        archivia: Annotated[bool | None, typer.Option("--archivia/--no-archivia",
                                                      help="Archivia i PDF per record firmati (con --per-record; default: CURIT_ARCHIVIA_OUTPUT)")] = None,
    ) -> None:
        """Stampa massiva su modelli impaginati una volta sola; 'batch stato <id>' mostra l'avanzamento.

        Esempio: curit-docs batch targhe impianti.json -o out/

        Altri esempi: curit-docs batch targhe impianti.json -o out/ --processi 2 ·
        curit-docs batch esiti rapporti.json -o out/ --dividi-per cap --per-record ·
        curit-docs batch esiti rapporti.json -o out/ --per-record --archivia --emittente provincia-mantova ·
        curit-docs batch avvisi piano.csv -o out/ --riprendi 20261122-101500-1a2b3c4d ·
        curit-docs batch stato 20261122-101500-1a2b3c4d
        """
        if tipo == "stato":
            from service.batch.lavoro import stato_lavoro

            if not sorgente:
                raise RuleViolation("Indicare l'id del lavoro: curit-docs batch stato <id>.", path=("lavoro",))
            typer.echo(json.dumps(stato_lavoro(_engine(), sorgente), ensure_ascii=False, indent=1, default=str))
            return
        _avvia(tipo, sorgente, output, processi, riprendi, per_record, dividi_ogni, dividi_per, comune, ente, distribuito,
               firma=firma, emittente=emittente, archivia=archivia)

    @app.command("importa-distributore")
    def importa_distributore(
        file: Annotated[Path, typer.Argument(help="File del distributore (UTF-8, campi separati da ';')")],
        ente: Annotated[str, typer.Option(help="Ente competente (es. provincia-cremona)")],
        tipologia: Annotated[str, typer.Option(help="Tipologia dei nuovi impianti: CT, IN o TR")] = "IN",
        prefisso_istat: Annotated[str, typer.Option(help="Prefisso del codice ISTAT a 8 cifre")] = "30",
        targhe: Annotated[Path | None, typer.Option(help="Cartella: stampa subito le targhe dei nuovi impianti")] = None,
    ) -> None:
        """Importa l'elenco annuale di un distributore di combustibile: crea gli impianti 'da ispezionare'.

        Esempio: curit-docs importa-distributore utenze-2026.csv --ente provincia-cremona --targhe out/
        """
        from service.batch.import_distributori import importa_distributore as importa

        esito = importa(file, engine=_engine(), ente_id=ente, tipologia=tipologia, prefisso_istat=prefisso_istat)
        risultato = esito.as_dict()
        if targhe is not None and esito.creati:
            risultato["targhe"] = _avvia("targhe", esito.creati, targhe, 0, None, False, None, None, None, None, False)
        typer.echo(json.dumps(risultato, ensure_ascii=False, indent=1, default=str))
        if esito.errori:
            sys.exit(1)

    @app.command("worker")
    def worker(
        concorrenza: Annotated[int, typer.Option(help="Processi del worker")] = 1,
        coda: Annotated[str, typer.Option(help="Coda Celery")] = "curit-batch",
    ) -> None:
        """Avvia un worker Celery per i lavori di stampa distribuiti (broker: CURIT_CELERY_BROKER).

        Esempio: CURIT_CELERY_BROKER=redis://10.0.0.5:6379/0 curit-docs worker --concorrenza 2
        """
        from service.batch.celery_app import app as celery

        celery.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concorrenza}", "-Q", coda, "--pool=prefork"])


def _avvia(tipo: str, sorgente: Any, output: Path | None, processi: int, riprendi: str | None, per_record: bool,
           dividi_ogni: int | None, dividi_per: str | None, comune: str | None, ente: str | None,
           distribuito: bool, *, firma: bool | None = None, emittente: str | None = None,
           archivia: bool | None = None) -> dict[str, Any]:
    from service.settings import get_settings

    processi = processi or os.cpu_count() or 1
    lavoro_id = riprendi
    if lavoro_id is not None and (firma is not None or emittente or archivia is not None):
        raise RuleViolation("Firma, emittente e archiviazione sono fissati alla creazione del lavoro: "
                            "non si cambiano con --riprendi.", path=("riprendi",))
    stampatori = firmatore = None
    if processi > 1 and not distribuito and lavoro_id is None and (get_settings().firma_output if firma is None else firma):
        # forked before the engine is imported: it loads the signing stack on the other core meanwhile
        from service.batch.firmatore import Firmatore

        firmatore = Firmatore(get_settings())
    try:
        if lavoro_id is None:
            if not tipo or sorgente in ("", None):
                raise RuleViolation("Indicare il tipo di lotto e il file dei record.", path=("tipo",))
            dati = sorgente if isinstance(sorgente, list) else _sorgente(tipo, sorgente, comune, ente)
            if processi > 1 and not distribuito:
                # printing processes forked now validate the input, then print as soon as the job's
                # folder is written, while this one loads the jobs table and registers the job
                from service.batch.stampatori import Stampatori

                stampatori = Stampatori(processi, tipo, dati, get_settings())
            from service.batch.lavoro import OpzioniUscita, prepara_lavoro, registra

            gc.freeze()  # the engine's modules, loaded: validating the input does not walk them (see below)
            preparato = prepara_lavoro(tipo, dati, settings=get_settings(),
                                       uscita=OpzioniUscita(per_record, dividi_ogni, dividi_per),
                                       firma=firma, emittente=emittente, archivia=archivia,
                                       validatori=stampatori.valida if stampatori is not None else None)
            del dati, sorgente  # the manifest holds the records now: the run does not carry the input
            if stampatori is not None:
                stampatori.stampa(preparato.cartella, preparato.blocchi)
            if firmatore is not None:
                from service.batch.cartelle import leggi_lavoro

                firma_lavoro = leggi_lavoro(preparato.cartella).get("firma") or {}
                if firma_lavoro.get("stampa"):
                    firmatore.prepara(firma_lavoro["stampa"])
            try:
                lavoro_id = registra(_engine(), preparato)
            except BaseException:  # not registered: nothing of it is kept (its printers stop first)
                if stampatori is not None:
                    stampatori.abbandona()
                    stampatori = None
                import shutil

                shutil.rmtree(preparato.cartella, ignore_errors=True)
                raise
            scarti = preparato.scarti
            typer.echo(f"Lavoro {lavoro_id}: {len(scarti)} record scartati" if scarti else f"Lavoro {lavoro_id}",
                       err=True)
        # what this process has loaded (the engine, the job's setup) is kept to its end: the run's
        # collections need not walk it again (~0.2 s of a 300-form job printed in this process)
        gc.freeze()
        esito = _esegui(lavoro_id, processi, distribuito, stampatori, firmatore)
        stampatori = None  # closed by the run
    except BaseException:
        if firmatore is not None:  # refused input, signer: not waited for (it may still be loading)
            firmatore.abbandona()
            firmatore = None
        raise
    finally:
        if stampatori is not None:
            stampatori.abbandona()
        if firmatore is not None:
            firmatore.chiudi()
    if output is not None:
        _copia(lavoro_id, esito, output)
    typer.echo(json.dumps(esito, ensure_ascii=False, indent=1), err=output is None)
    return esito


def _copia(lavoro_id: str, esito: dict[str, Any], output: Path) -> None:
    import shutil

    from service.batch.lavoro import _cartella

    cartella = _cartella(_engine(), lavoro_id)
    output.mkdir(parents=True, exist_ok=True)
    for nome in [*esito["file"], *esito.get("firmati", []), "rapporto.json", "rapporto.csv"]:
        shutil.copyfile(cartella / nome, output / nome)
    if (cartella / "documenti").is_dir():
        shutil.copytree(cartella / "documenti", output / "documenti", dirs_exist_ok=True)
