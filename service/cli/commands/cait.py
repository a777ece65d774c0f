"""``distinta``, ``trasmissione``, ``ricevuta``, ``rendiconto``, ``precompila``, ``cait elenco|scollega``:
the CAIT desk and the manutentore paper on the command line (FORMS.md §17–§19, §21).

The command line acts with full powers (no tenant) as ``cli:<login>``. Every verb migrates
the database first (``archive.db.upgrade``). Every PDF goes through ``service.emissione``: signed
by its issuer (the CAIT of the record; ``--firma/--no-firma``, default ``CURIT_FIRMA_OUTPUT``);
the records (distinte, lettere, ricevute, rendiconti) are also archived with ``--archivia``
(default ``CURIT_ARCHIVIA_OUTPUT``: S3 + index, after the database transaction has committed) and
their index record is printed. Files are written only when every step has succeeded.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from service.cli.sessione import sessione as _sessione
from sqlalchemy.orm import Session

__all__ = ["register"]

_CAIT = typer.Option("--cait", help="Codice del CAIT, es. CAIT-MN-01")
_MANUTENTORE = typer.Option("--manutentore", help="Manutentore: id o nome utente CURIT (es. MA023456)")
_ARCHIVIA = typer.Option("--archivia/--no-archivia", help="Archivia i documenti emessi (S3 + indice) e ne stampa il "
                                                          "record (predefinito: CURIT_ARCHIVIA_OUTPUT, no)")
_FIRMA = typer.Option("--firma/--no-firma", help="Firma PAdES dell'emittente (predefinito: CURIT_FIRMA_OUTPUT, sì); "
                                                 "--no-firma per un'anteprima")
_OUT_DIR = typer.Option("--cartella", "-d", help="Cartella dove scrivere i PDF")


def _utente() -> str:
    return f"cli:{getpass.getuser()}"


def _attore():
    from archive.cait_tabelle import Attore

    return Attore(_utente(), "cli")




@contextmanager
def _emissione(firma: bool | None, archivia: bool | None) -> Iterator[Any]:
    """The emission of one command: settings' defaults for what the options leave unsaid."""
    from service.emissione import Emissione
    from service.settings import get_settings

    settings = get_settings()
    with Emissione.aperta(settings, firma=settings.firma_output if firma is None else firma,
                          archivia=bool(settings.archivia_output if archivia is None else archivia)) as emissione:
        yield emissione


def _scrivi(prodotti: list[Any], cartella: Path | None = None, output: Path | None = None) -> None:
    from service.cli.commands.render import write_atomically

    out = []
    for p in prodotti:
        path = output if (output and len(prodotti) == 1) else (cartella or Path(".")) / p.nome_file
        write_atomically(path, p.pdf)
        voce = {"file": str(path), "tipo": p.meta.tipo, "oggetto": p.meta.oggetto,
                "firmato": bool(p.firmato and p.firmato.firmato)}
        if p.firmato is not None and p.firmato.firmato:
            voce["emittente"] = p.firmato.emittente.id
        if p.archiviato is not None:
            voce["archivio"] = p.archiviato
        out.append(voce)
    typer.echo(json.dumps(out if len(out) != 1 else out[0], ensure_ascii=False, indent=2, default=str))


def _data(value: str | None, campo: str) -> date | None:
    from service.cli.commands.catasto import _data as leggi

    return leggi(value, campo) if value else None


def _manutentore(session: Session, chi: str) -> int:
    from service.cli.commands.etichette import _manutentore as trova

    return trova(session, chi)


def _esegui(azione: Callable[[Session, Any], list[Any]], *, firma: bool | None, archivia: bool | None = False,
            cartella: Path | None = None, output: Path | None = None) -> None:
    """Run ``azione(session, emissione)`` (records + rendered, signed PDFs) in one transaction; archive
    the records once it has committed (SQLite has one writer); then write the files."""
    from service.cait import archivia as archivia_prodotti

    with _emissione(firma, archivia) as emissione:
        with _sessione() as session:
            prodotti = azione(session, emissione)
        prodotti = archivia_prodotti(prodotti, emissione)
    _scrivi(prodotti, cartella, output)


def _registra_distinta(app: typer.Typer) -> None:
    dist = typer.Typer(help="Dichiarazioni consegnate allo sportello del CAIT e distinta-ricevuta di consegna "
                            "(Disposizioni regionali, Allegato 1).\n\n"
                            "Esempio: curit-docs distinta chiudi --cait CAIT-MN-01 --manutentore MA023456 -o distinta.pdf",
                       no_args_is_help=True)
    app.add_typer(dist, name="distinta")

    @dist.command("registra")
    def registra(
        cait: Annotated[str, _CAIT], manutentore: Annotated[str, _MANUTENTORE],
        impianto: Annotated[str, typer.Option("--impianto", help="Codice impianto del catasto")],
        tipo: Annotated[str, typer.Option("--tipo", help="Modello: G (< 35 kW) o F (≥ 35 kW)")],
        data_controllo: Annotated[str, typer.Option("--data-controllo", help="Data del controllo (aaaa-mm-gg)")],
        etichetta: Annotated[Optional[str], typer.Option("--etichetta", help="Numero dell'etichetta applicata")] = None,
        anomalie: Annotated[Optional[str], typer.Option("--anomalie", help="Anomalie segnalate dall'operatore")] = None,
        sicurezza: Annotated[bool, typer.Option("--sicurezza", help="Le anomalie pregiudicano la sicurezza")] = False,
        dati: Annotated[Optional[Path], typer.Option("--dati", help="JSON del rapporto inserito (stessi campi di 'curit-docs esempio allegato-g')")] = None,
    ) -> None:
        """Registra un rapporto G/F consegnato allo sportello (stato «aperta").

        Esempio: curit-docs distinta registra --cait CAIT-MN-01 --manutentore MA023456
        --impianto 020066IN0000001 --tipo G --data-controllo 2026-10-05 --etichetta MN000-26G1-000001-X
        """
        from archive.cait_dichiarazioni import registra_dichiarazione

        with _sessione() as s:
            d = registra_dichiarazione(
                s, cait_id=cait, manutentore_id=_manutentore(s, manutentore), codice_impianto=impianto, tipo=tipo,
                data_controllo=_data(data_controllo, "data_controllo"), numero_etichetta=etichetta, anomalie=anomalie,
                pregiudica_sicurezza=sicurezza, dati=json.loads(dati.read_text(encoding="utf-8")) if dati else None,
                oggi=date.today())
            typer.echo(json.dumps({"dichiarazione": d.id, "stato": d.stato, "ente_id": d.ente_id}, ensure_ascii=False))

    @dist.command("chiudi")
    def chiudi(
        cait: Annotated[str, _CAIT], manutentore: Annotated[str, _MANUTENTORE],
        operatore: Annotated[str, typer.Option("--operatore", help="Operatore del CAIT (id o nome utente)")],
        dichiarazione: Annotated[Optional[list[int]], typer.Option("--dichiarazione", help="Solo queste (ripetibile)")] = None,
        output: Annotated[Optional[Path], typer.Option("-o", "--output", help="PDF della distinta")] = None,
        firma: Annotated[Optional[bool], _FIRMA] = None,
        archivia: Annotated[Optional[bool], _ARCHIVIA] = None,
    ) -> None:
        """Chiude le dichiarazioni aperte del manutentore con una nuova distinta e ne stampa le due copie.

        Esempio: curit-docs distinta chiudi --cait CAIT-MN-01 --manutentore MA023456 --operatore op.ferrari -o distinta.pdf
        """
        from archive.cait_dichiarazioni import chiudi_distinta
        from service.cait_consegne import stampa_distinta

        def _azione(s: Session, emissione: Any) -> list[Any]:
            d = chiudi_distinta(s, cait_id=cait, manutentore_id=_manutentore(s, manutentore), operatore=operatore,
                                dichiarazioni=dichiarazione, utente=_utente())
            return [stampa_distinta(s, d.id, _attore(), emissione=emissione)]

        _esegui(_azione, firma=firma, archivia=archivia, output=output)

    @dist.command("stampa")
    def stampa(numero: Annotated[str, typer.Argument(help="Numero della distinta, es. CAIT-MN-01/2026/000001")],
               output: Annotated[Optional[Path], typer.Option("-o", "--output")] = None,
               firma: Annotated[Optional[bool], _FIRMA] = None,
               archivia: Annotated[Optional[bool], _ARCHIVIA] = None) -> None:
        """Ristampa una distinta-ricevuta. Esempio: curit-docs distinta stampa CAIT-MN-01/2026/000001 -o d.pdf"""
        from service.cait_consegne import stampa_distinta

        _esegui(lambda s, e: [stampa_distinta(s, numero, _attore(), emissione=e)], firma=firma, archivia=archivia,
                output=output)


def _registra_ricevuta(app: typer.Typer) -> None:
    ric = typer.Typer(help="Ricevute del CAIT: vendita di etichette, ricarica del Portafoglio.\n\n"
                           "Esempio: curit-docs ricevuta stampa CAIT-MN-01/RIC/2026/000001 -o r.pdf",
                      no_args_is_help=True)
    app.add_typer(ric, name="ricevuta")

    @ric.command("vendita")
    def vendita(
        cait: Annotated[str, _CAIT], manutentore: Annotated[str, _MANUTENTORE],
        etichetta: Annotated[list[str], typer.Option("--etichetta", help="Numero di etichetta venduta (ripetibile)")],
        operatore: Annotated[str, typer.Option("--operatore", help="Nome dell'operatore stampato sulla ricevuta")],
        pagamento: Annotated[str, typer.Option("--pagamento", help="contanti | POS | bonifico | portafoglio")] = "contanti",
        output: Annotated[Optional[Path], typer.Option("-o", "--output")] = None,
        firma: Annotated[Optional[bool], _FIRMA] = None,
        archivia: Annotated[Optional[bool], _ARCHIVIA] = None,
    ) -> None:
        """Vende etichette dello stock del CAIT ed emette UNA ricevuta numerata (senza salti).

        Esempio: curit-docs ricevuta vendita --cait CAIT-MN-01 --manutentore MA023456
        --etichetta MN00026G1000001X --etichetta MN00026G1000002V --operatore "Ferrari Giulia" --pagamento POS
        """
        from archive.cait_ricevute import vendi_etichette
        from archive.etichette import Autore
        from service.cait_cassa import stampa_ricevuta
        from service.quote_enti import quote_configurate

        quote = quote_configurate()

        def _azione(s: Session, emissione: Any) -> list[Any]:
            r = vendi_etichette(s, cait_id=cait, manutentore_id=_manutentore(s, manutentore), numeri=etichetta,
                                operatore=operatore, pagamento=pagamento, autore=Autore(_utente(), "cli"),
                                quote=quote)
            return [stampa_ricevuta(s, r.id, _attore(), emissione=emissione)]

        _esegui(_azione, firma=firma, archivia=archivia, output=output)

    @ric.command("ricarica")
    def ricarica(
        cait: Annotated[str, _CAIT], manutentore: Annotated[str, _MANUTENTORE],
        importo: Annotated[str, typer.Option("--importo", help="Importo in euro, es. 50,00")],
        operatore: Annotated[str, typer.Option("--operatore", help="Nome dell'operatore")],
        pagamento: Annotated[str, typer.Option("--pagamento", help="contanti | POS | bonifico")] = "contanti",
        output: Annotated[Optional[Path], typer.Option("-o", "--output")] = None,
        firma: Annotated[Optional[bool], _FIRMA] = None,
        archivia: Annotated[Optional[bool], _ARCHIVIA] = None,
    ) -> None:
        """Ricarica il Portafoglio del manutentore ed emette la ricevuta.

        Esempio: curit-docs ricevuta ricarica --cait CAIT-MN-01 --manutentore MA023456 --importo 50,00 --operatore "Ferrari Giulia"
        """
        from archive.cait_ricevute import ricarica_portafoglio
        from service.cait_cassa import stampa_ricevuta

        def _azione(s: Session, emissione: Any) -> list[Any]:
            r = ricarica_portafoglio(s, cait_id=cait, manutentore_id=_manutentore(s, manutentore), importo=importo,
                                     operatore=operatore, pagamento=pagamento, utente=_utente())
            return [stampa_ricevuta(s, r.id, _attore(), emissione=emissione)]

        _esegui(_azione, firma=firma, archivia=archivia, output=output)

    @ric.command("stampa")
    def stampa(numero: Annotated[str, typer.Argument(help="Numero della ricevuta, es. CAIT-MN-01/RIC/2026/000001")],
               output: Annotated[Optional[Path], typer.Option("-o", "--output")] = None,
               firma: Annotated[Optional[bool], _FIRMA] = None,
               archivia: Annotated[Optional[bool], _ARCHIVIA] = None) -> None:
        """Ristampa una ricevuta. Esempio: curit-docs ricevuta stampa CAIT-MN-01/RIC/2026/000001 -o r.pdf"""
        from service.cait_cassa import stampa_ricevuta

        _esegui(lambda s, e: [stampa_ricevuta(s, numero, _attore(), emissione=e)], firma=firma, archivia=archivia,
                output=output)


def _registra_cait(app: typer.Typer) -> None:
    grp = typer.Typer(help="Servizi per i CAIT: elenchi stampabili e scollegamento dei manutentori.\n\n"
                           "Esempio: curit-docs cait elenco strumenti --cait CAIT-MN-01 -o strumenti.pdf",
                      no_args_is_help=True)
    app.add_typer(grp, name="cait")

    @grp.command("elenco")
    def elenco_cmd(
        tipo: Annotated[str, typer.Argument(help="manutentori | operatori | strumenti")],
        cait: Annotated[str, _CAIT],
        output: Annotated[Optional[Path], typer.Option("-o", "--output")] = None,
        firma: Annotated[Optional[bool], _FIRMA] = None,
    ) -> None:
        """Stampa l'elenco dei manutentori associati, degli operatori o degli strumenti del CAIT (firmato dal
        CAIT; è una stampa, non un documento da archiviare).

        Esempio: curit-docs cait elenco strumenti --cait CAIT-MN-01 -o strumenti.pdf
        """
        from service.cait_elenchi import elenco

        _esegui(lambda s, e: [elenco(s, cait, tipo, _attore(), oggi=date.today(), emissione=e)], firma=firma,
                output=output)

    @grp.command("scollega")
    def scollega(
        manutentore: Annotated[str, typer.Argument(help="Manutentore: id o nome utente CURIT")],
        cait: Annotated[str, _CAIT],
        email: Annotated[str, typer.Option("--email", help="E-mail valida della ditta, non già in uso")],
    ) -> None:
        """Scollega un manutentore che opera in autonomia (solo il CAIT può farlo).

        Esempio: curit-docs cait scollega MA023456 --cait CAIT-MN-01 --email ufficio@rossitermo.it
        """
        from archive.anagrafiche import scollega_manutentore

        with _sessione() as s:
            m = scollega_manutentore(s, _manutentore(s, manutentore), cait_id=cait, email=email)
            typer.echo(json.dumps({"manutentore": m.id, "username": m.username, "email": m.email, "cait_id": None},
                                  ensure_ascii=False))


def register(app: typer.Typer) -> None:
    _registra_distinta(app)
    _registra_ricevuta(app)
    _registra_cait(app)

    @app.command("trasmissione")
    def trasmissione(
        distinta: Annotated[str, typer.Argument(help="Numero della distinta, es. CAIT-MN-01/2026/000001")],
        data: Annotated[Optional[str], typer.Option("--data", help="Data della lettera (default oggi)")] = None,
        cartella: Annotated[Optional[Path], _OUT_DIR] = None,
        firma: Annotated[Optional[bool], _FIRMA] = None,
        archivia: Annotated[Optional[bool], _ARCHIVIA] = None,
    ) -> None:
        """Lettere di trasmissione all'Ente competente (una per Ente) dei rapporti di una distinta.

        Esempio: curit-docs trasmissione CAIT-MN-01/2026/000001 -d lettere/
        """
        from service.cait_consegne import lettere_trasmissione

        oggi = _data(data, "data") or date.today()
        _esegui(lambda s, e: lettere_trasmissione(s, distinta, _attore(), oggi=oggi, emissione=e), firma=firma,
                archivia=archivia, cartella=cartella)

    @app.command("rendiconto")
    def rendiconto(
        cait: Annotated[Optional[str], typer.Option("--cait", help="CAIT: rendiconto mensile")] = None,
        mese: Annotated[Optional[str], typer.Option("--mese", help="Mese del rendiconto CAIT, aaaa-mm")] = None,
        ente: Annotated[Optional[str], typer.Option("--ente", help="Ente che vende direttamente: rendiconto trimestrale")] = None,
        trimestre: Annotated[Optional[str], typer.Option("--trimestre", help="Trimestre, aaaa-T (es. 2026-4)")] = None,
        sportello: Annotated[Optional[str], typer.Option("--sportello", help="Codice dello sportello di vendita dell'Ente")] = None,
        output: Annotated[Optional[Path], typer.Option("-o", "--output")] = None,
        firma: Annotated[Optional[bool], _FIRMA] = None,
        archivia: Annotated[Optional[bool], _ARCHIVIA] = None,
    ) -> None:
        """Rendiconto mensile del CAIT o trimestrale dell'Ente, calcolato dalle ricevute del periodo.

        Esempio: curit-docs rendiconto --cait CAIT-MN-01 --mese 2026-10 -o ottobre.pdf ;
        curit-docs rendiconto --ente comune-mantova --trimestre 2026-4 --sportello SPORTELLO-MN
        """
        from domain.errors import RuleViolation
        from service.cait_cassa import rendiconto_cait, rendiconto_ente

        if cait and mese and not (ente or trimestre):
            azione = lambda s, e: [rendiconto_cait(s, cait, mese, _attore(), oggi=date.today(), emissione=e)]  # noqa: E731
        elif ente and trimestre and sportello and not (cait or mese):
            azione = lambda s, e: [rendiconto_ente(s, ente, trimestre, sportello, _attore(),  # noqa: E731
                                                   oggi=date.today(), emissione=e)]
        else:
            raise RuleViolation("Indicare --cait e --mese (rendiconto mensile) oppure --ente, --trimestre e "
                                "--sportello (rendiconto trimestrale dell'Ente).", path=("rendiconto",))
        _esegui(azione, firma=firma, archivia=archivia, output=output)

    @app.command("precompila")
    def precompila(
        codici: Annotated[list[str], typer.Argument(help="Codici impianto del giro, nell'ordine di visita")],
        data: Annotated[Optional[str], typer.Option("--data", help="Data del controllo prestampata (aaaa-mm-gg)")] = None,
        manutentore: Annotated[Optional[str], typer.Option("--manutentore", help="Solo impianti di questa ditta; "
                                                           "ne stampa i dati nel riquadro del tecnico")] = None,
        output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Un solo PDF per tutto il giro")] = None,
        cartella: Annotated[Optional[Path], _OUT_DIR] = None,
        firma: Annotated[Optional[bool], _FIRMA] = None,
        emittente: Annotated[Optional[str], typer.Option(
            help="Chi firma: id del CAIT (CAIT-MN-01) o regione; predefinito: il CAIT del --manutentore, "
                 "altrimenti regione")] = None,
    ) -> None:
        """Allegati G/F precompilati dal catasto (misure in bianco): uno per impianto, o un unico PDF con -o.
        Sono stampe firmate, non documenti da archiviare.

        Esempio: curit-docs precompila 020066IN0000001 020066CT0000002 --data 2026-10-21 -o giro.pdf
        """
        from archive.cait_tabelle import Attore
        from service.cait_precompilati import giro, precompilato

        giorno = _data(data, "data")

        def _azione(s: Session, emissione: Any) -> list[Any]:
            attore = (Attore(_utente(), "manutentore", manutentore_id=_manutentore(s, manutentore)) if manutentore
                      else _attore())
            if output:
                return [giro(s, codici, attore, oggi=date.today(), data_controllo=giorno, emissione=emissione,
                             emittente=emittente)]
            return [precompilato(s, c, attore, oggi=date.today(), data_controllo=giorno, emissione=emissione,
                                 emittente=emittente) for c in codici]

        _esegui(_azione, firma=firma, cartella=cartella, output=output)
