"""``archivia``, ``cerca``, ``recupera``, ``originali``, ``scadute``, ``smaltisci``, ``blocco-legale``, ``coda``.

Without ``CURIT_S3_ENDPOINT`` each command starts the embedded SeaweedFS under ``var/`` for
its own duration (``service.archivio_apertura.apri_archivio``).
"""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from service.cli.sessione import sessione as _sessione

from domain.errors import RuleViolation

__all__ = ["register", "ESCI_ACCODATO"]

ESCI_ACCODATO = 7
"""Exit code of ``archivia`` when the document was queued (S3 or its bucket unavailable): it is
kept in the durable outbox and archived later (``serve``/``worker`` in the background, or ``coda``)."""


def _data(value: str | None, campo: str) -> date | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise RuleViolation(f"Data non valida: {value!r} (usare aaaa-mm-gg oppure gg/mm/aaaa).", path=(campo,))


def _json(data: Any, *, indent: int | None = 2) -> str:
    return json.dumps(data, ensure_ascii=False, indent=indent, default=str)


def _archivio():
    from service.archivio_apertura import apri_archivio
    from service.settings import get_settings

    return apri_archivio(get_settings())




def _operatore(valore: str | None) -> str:
    return valore or getpass.getuser()


def register(app: typer.Typer) -> None:
    @app.command()
    def archivia(
        pdf: Annotated[Path, typer.Argument(help="PDF da archiviare (firmato o no)")],
        tipo: Annotated[Optional[str], typer.Option(help="Tipo di documento, es. allegato-g")] = None,
        codice: Annotated[Optional[str], typer.Option(help="Codice impianto")] = None,
        cait: Annotated[Optional[str], typer.Option(help="CAIT che ha ricevuto il documento")] = None,
        ente: Annotated[Optional[str], typer.Option(help="Ente competente")] = None,
        data: Annotated[Optional[str], typer.Option(help="Data del documento (aaaa-mm-gg)")] = None,
        etichetta: Annotated[Optional[str], typer.Option(help="Numero dell'etichetta di validazione")] = None,
        cf: Annotated[Optional[str], typer.Option(help="Codice fiscale del responsabile")] = None,
        manutentore: Annotated[Optional[str], typer.Option()] = None,
        id: Annotated[Optional[str], typer.Option("--id", help="Identificativo del documento")] = None,
    ) -> None:
        """Archivia un PDF (S3 con conservazione obbligatoria + indice) e stampa il record.

        Se l'archivio S3 non è raggiungibile (o il controllo del bucket non riesce) il documento
        resta nella coda di archiviazione ("stato": "in_coda") e il comando esce con codice 7:
        sarà archiviato in seguito (serve e worker svuotano la coda da soli; oppure curit-docs coda).
        Un documento rifiutato definitivamente dall'archivio ("stato": "scartato") esce con codice 1.

        Esempio: curit-docs archivia g.pdf --tipo allegato-g --codice 020066CT0000001 --cait CAIT-MN-01
        """
        from service.archivio_metadati import metadati_da_pdf
        from service.archivio_coda import archivia_o_accoda
        from service.settings import get_settings

        try:
            contenuto = pdf.read_bytes()
        except OSError:
            raise RuleViolation(f"Impossibile leggere il file {pdf}.", path=("file",)) from None
        meta = metadati_da_pdf(
            contenuto, tipo=tipo, codice_impianto=codice, cait=cait, ente=ente, data_documento=_data(data, "data"),
            etichetta=etichetta, responsabile_cf=cf, manutentore=manutentore, documento_id=id,
        )
        esito = archivia_o_accoda(get_settings(), contenuto, meta)
        typer.echo(_json(esito))
        if esito["stato"] == "in_coda":
            typer.echo(f"Archivio non disponibile: il documento {esito['id']} è in coda e sarà archiviato appena "
                       f"possibile ({esito.get('motivo') or 'motivo non indicato'}).", err=True)
            raise SystemExit(ESCI_ACCODATO)  # not typer.Exit: main() runs click with standalone_mode=False
        if esito["stato"] == "scartato":
            typer.echo(f"L'archivio ha rifiutato il documento {esito['id']}: {esito.get('motivo')}", err=True)
            raise SystemExit(1)

    @app.command()
    def cerca(
        codice: Annotated[Optional[str], typer.Option(help="Codice impianto")] = None,
        etichetta: Annotated[Optional[str], typer.Option(help="Numero etichetta")] = None,
        cf: Annotated[Optional[str], typer.Option(help="Codice fiscale del responsabile")] = None,
        ente: Annotated[Optional[str], typer.Option()] = None,
        cait: Annotated[Optional[str], typer.Option()] = None,
        tipo: Annotated[Optional[str], typer.Option()] = None,
        dal: Annotated[Optional[str], typer.Option(help="Dalla data del documento")] = None,
        al: Annotated[Optional[str], typer.Option(help="Alla data del documento")] = None,
        stagione: Annotated[Optional[str], typer.Option(help="Stagione termica, es. 2025/2026")] = None,
        limite: Annotated[int, typer.Option(help="Risultati per pagina")] = 50,
        dopo: Annotated[Optional[str], typer.Option(help="Cursore della pagina successiva")] = None,
    ) -> None:
        """Cerca nell'indice: una riga JSON per documento; in fondo il cursore della pagina successiva.

        Esempio: curit-docs cerca --codice 020066CT0000001
        """
        from archive.indice import FiltroRicerca

        filtro = FiltroRicerca(
            codice_impianto=codice, etichetta=etichetta, responsabile_cf=cf, ente=ente, cait=cait, tipo=tipo,
            dal=_data(dal, "dal"), al=_data(al, "al"), stagione=stagione,
        )
        with _archivio() as archivio:
            righe, prossima = archivio.cerca(filtro, limite=limite, dopo=dopo)
        for riga in righe:
            typer.echo(_json(riga, indent=None))
        if prossima:
            typer.echo(_json({"pagina_successiva": prossima}, indent=None))

    @app.command()
    def recupera(
        id: Annotated[str, typer.Argument(help="Identificativo del documento")],
        output: Annotated[Path, typer.Option("-o", "--output", help="PDF da scrivere")] = Path("out.pdf"),
    ) -> None:
        """Recupera un documento verificandone impronta e firma prima di scriverlo.

        Esempio: curit-docs recupera <id del documento> -o copia.pdf
        """
        from service.cli.commands.render import write_atomically

        with _archivio() as archivio:
            doc = archivio.recupera(id)
        write_atomically(output, doc.dati)
        typer.echo(_json({"file": str(output), "sha256": doc.record["sha256"], "firma": doc.firma}))

    @app.command()
    def scadute(
        oggi: Annotated[Optional[str], typer.Option(help="Data di riferimento (default: oggi)")] = None,
    ) -> None:
        """Documenti la cui conservazione è terminata (righe JSON). Nulla viene eliminato.

        Esempio: curit-docs scadute
        """
        giorno = _data(oggi, "oggi") or date.today()
        with _archivio() as archivio:
            for riga in archivio.scaduti(giorno):
                typer.echo(_json(riga, indent=None))

    @app.command()
    def smaltisci(
        id: Annotated[str, typer.Argument(help="Identificativo del documento scaduto")],
        motivo: Annotated[str, typer.Option(help="Motivo e riferimento dell'autorizzazione allo scarto")],
        operatore: Annotated[Optional[str], typer.Option(help="Chi esegue lo smaltimento")] = None,
        conferma: Annotated[bool, typer.Option("--conferma", help="Conferma l'eliminazione definitiva")] = False,
    ) -> None:
        """Elimina definitivamente un documento scaduto (solo con --conferma; registrato nel log).

        Esempio: curit-docs smaltisci <id del documento> --motivo "Scarto autorizzato, prot. 123/2037" --conferma
        """
        if not conferma:
            raise RuleViolation("Lo smaltimento è definitivo: ripetere il comando con --conferma.", path=("conferma",))
        with _archivio() as archivio:
            typer.echo(_json(archivio.smaltisci(id, da=_operatore(operatore), motivo=motivo, oggi=date.today())))

    @app.command("blocco-legale")
    def blocco_legale(
        id: Annotated[str, typer.Argument(help="Identificativo del documento")],
        rimuovi: Annotated[bool, typer.Option("--rimuovi", help="Rimuove il blocco invece di impostarlo")] = False,
        operatore: Annotated[Optional[str], typer.Option()] = None,
    ) -> None:
        """Imposta (o con --rimuovi toglie) il blocco legale: il documento non può essere eliminato.

        Esempio: curit-docs blocco-legale <id del documento>
        """
        with _archivio() as archivio:
            typer.echo(_json(archivio.blocco_legale(id, not rimuovi, da=_operatore(operatore))))

    @app.command()
    def coda(
        elenco: Annotated[bool, typer.Option("--elenco", help="Mostra soltanto la coda, senza ritentare")] = False,
    ) -> None:
        """Ritenta ora l'archiviazione dei documenti in coda e mostra quelli ancora in attesa e
        quelli scartati (rifiutati in modo definitivo dall'archivio, con il motivo).

        Esempio: curit-docs coda
        """
        with _archivio() as archivio:
            esito = None if elenco else archivio.svuota_coda()
            stato = archivio.coda()
        campi = ("id", "tipo", "ente", "cait", "codice_impianto", "data_documento", "motivo", "tentativi",
                 "prossimo_tentativo", "scartato_il")
        out: dict[str, Any] = {}
        if esito is not None:
            out |= {"archiviati": esito.archiviati, "falliti": esito.falliti, "scartati_ora": esito.scartati}
        out |= {"in_coda": len(stato["in_coda"]), "scartati": len(stato["scartati"]),
                "documenti_in_coda": [{k: v.get(k) for k in campi} for v in stato["in_coda"]],
                "documenti_scartati": [{k: v.get(k) for k in campi} for v in stato["scartati"]]}
        typer.echo(_json(out))

    originali = typer.Typer(help="Originali cartacei: dove sono, richieste degli Enti.\n\n"
                                 "Esempio: curit-docs originali dove <id del documento>", no_args_is_help=True)
    app.add_typer(originali, name="originali")

    @originali.command("dove")
    def originali_dove(id: Annotated[str, typer.Argument(help="Identificativo del documento")]) -> None:
        """Chi custodisce l'originale cartaceo, dove (faldone/scatola/posizione), da quando, fino a quando.

        Esempio: curit-docs originali dove <id del documento>
        """
        from archive.originali import dove

        with _sessione() as session:
            typer.echo(_json(dove(session, id)))

    @originali.command("registra")
    def originali_registra(
        id: Annotated[str, typer.Argument(help="Identificativo del documento")],
        cait: Annotated[Optional[str], typer.Option(help="CAIT che custodisce l'originale")] = None,
        ente: Annotated[Optional[str], typer.Option(help="Ente che custodisce l'originale")] = None,
        ricevuto: Annotated[Optional[str], typer.Option(help="Data di ricezione del cartaceo")] = None,
        faldone: Annotated[Optional[str], typer.Option()] = None,
        scatola: Annotated[Optional[str], typer.Option()] = None,
        posizione: Annotated[Optional[str], typer.Option()] = None,
    ) -> None:
        """Registra chi custodisce l'originale cartaceo e dove (conservazione per due stagioni termiche).

        Esempio: curit-docs originali registra <id del documento> --cait CAIT-MN-01 --faldone 12 --scatola 3
        """
        from archive.originali import Collocazione, dove, registra_originale

        if bool(cait) == bool(ente):
            raise RuleViolation("Indicare il CAIT oppure l'Ente che custodisce l'originale.", path=("cait",))
        with _sessione() as session:
            registra_originale(
                session, id, detentore_tipo="cait" if cait else "ente", detentore=cait or ente or "",
                ricevuto_il=_data(ricevuto, "ricevuto") or date.today(),
                collocazione=Collocazione(faldone=faldone, scatola=scatola, posizione=posizione),
            )
            typer.echo(_json(dove(session, id)))

    @originali.command("richiedi")
    def originali_richiedi(
        id: Annotated[str, typer.Argument(help="Identificativo del documento")],
        ente: Annotated[str, typer.Option(help="Ente che richiede l'originale")],
        operatore: Annotated[Optional[str], typer.Option()] = None,
    ) -> None:
        """Un Ente richiede l'originale: il custode è avvisato, consegna entro 5 giorni lavorativi.

        Esempio: curit-docs originali richiedi <id del documento> --ente provincia-mantova
        """
        from archive.originali import richiedi

        with _sessione() as session:
            req = richiedi(session, id, ente=ente, oggi=date.today(), richiesto_da=_operatore(operatore))
            typer.echo(_json({
                "richiesta": req.id, "documento_id": id, "ente": req.ente_richiedente,
                "detentore": f"{req.detentore_tipo}:{req.detentore}", "scadenza": req.scadenza, "stato": req.stato,
            }))

    @originali.command("ritardi")
    def originali_ritardi(cait: Annotated[Optional[str], typer.Option(help="Solo questo CAIT")] = None) -> None:
        """Richieste non evase oltre i 5 giorni lavorativi (righe JSON, per CAIT).

        Esempio: curit-docs originali ritardi --cait CAIT-MN-01
        """
        from archive.originali import in_ritardo

        with _sessione() as session:
            for r in in_ritardo(session, date.today(), detentore=cait):
                typer.echo(_json({
                    "richiesta": r.id, "detentore": r.detentore, "ente": r.ente_richiedente,
                    "richiesta_il": r.richiesta_il, "scadenza": r.scadenza,
                }, indent=None))
