"""``etichette genera|ristampa|assegna|vendi|vincola|annulla|elenco|rendiconto|verifica``: the etichette stock
on the command line.

The command line acts with full powers (no tenant): every move is recorded with the
operator ``cli:<login>`` (or ``--utente``). Each verb migrates the database first
(``archive.db.upgrade``), so a fresh machine works.

``genera`` allocates the numbers and writes the PDF inside one database transaction:
the sheets are rendered to a temporary sibling of ``-o`` and signed, the transaction commits,
then the file is renamed into place. If rendering or signing fails nothing was allocated and
no file appears; if the commit fails the temporary file is removed.

The sheets (``genera``, ``ristampa``) are print output: signed once by the Ente that owns the
numbers (``--firma/--no-firma``, default ``CURIT_FIRMA_OUTPUT``), never archived. The Ente and
its signing identity are checked before any number is allocated.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from service.cli.sessione import sessione as _sessione
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.errors import NotFound

__all__ = ["register"]

T = TypeVar("T")

_FOGLIO = typer.Option(help="Foglio di etichette (default A4-1x7)")
_INIZIO = typer.Option(help="Prima posizione libera sul primo foglio (1 = in alto)")
_OFFSET_X = typer.Option("--offset-x", help="Calibrazione stampante, mm verso destra")
_OFFSET_Y = typer.Option("--offset-y", help="Calibrazione stampante, mm verso il basso")
_PROVA = typer.Option("--prova", help="Disegna i contorni e i segni di taglio")
_UTENTE = typer.Option("--utente", help="Chi esegue l'operazione (registrato nello storico); default cli:<login>")
_FIRMA = typer.Option("--firma/--no-firma", help="Firma PAdES dell'Ente (predefinito: CURIT_FIRMA_OUTPUT, sì); "
                                                 "--no-firma per un'anteprima")


def _autore(utente: str | None):
    from archive.etichette import Autore

    return Autore(utente or f"cli:{getpass.getuser()}", "cli")




def _esegui(azione: Callable[[Session], T]) -> T:
    with _sessione() as session:
        return azione(session)


def _stampa(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _data(value: str, campo: str) -> date:
    from service.cli.commands.catasto import _data as leggi_data

    return leggi_data(value, campo)


def _manutentore(session: Session, chi: str) -> int:
    """A manutentore by id or by username (``MA023456``)."""
    from archive.anagrafiche import Manutentore

    chi = chi.strip()
    trovato = session.scalar(select(Manutentore.id).where(Manutentore.username == chi))
    if trovato is None and chi.isdigit():
        trovato = session.scalar(select(Manutentore.id).where(Manutentore.id == int(chi)))
    if trovato is None:
        raise NotFound(f"Manutentore {chi} non registrato.", path=("manutentore",))
    return trovato


def _stagione(label: str | None):
    from domain.stagione import stagione_da_label, stagione_termica

    return stagione_da_label(label) if label else stagione_termica(date.today())


def _emissione(firma: bool | None, ente_id: str):
    """The emission of a sheet run, the Ente's right to sign and its identity checked up front."""
    from service.emissione import Emissione
    from service.settings import get_settings

    settings = get_settings()
    emissione = Emissione(settings, firma=settings.firma_output if firma is None else firma)
    emissione.verifica_emittente("etichette", ente_id, ente=ente_id)
    return emissione


def _stampa_firmata(tmp: Path, numeri: list[str], ente_id: str, tipo: str, opzioni: Any, emissione: Any) -> Any:
    """Stamp the sheets of ``numeri`` into ``tmp``, then sign the file once as the Ente (in place)."""
    from service.etichette_stampa import stampa_etichette

    with tmp.open("wb") as out:
        esito = stampa_etichette(numeri, ente_id, tipo, out, opzioni=opzioni, settings=emissione.settings)
    emesso = emissione.firma_stampa(tmp.read_bytes(), tipo="etichette", emittente=ente_id, ente=ente_id)
    if emesso.firmato:
        tmp.write_bytes(emesso.pdf)
    return esito


def _genera(ente_id: str, tipo: str, quantita: int, fascia: str | None, stagione: str | None, output: Path,
            opzioni: Any, utente: str | None, firma: bool | None) -> dict[str, Any]:
    from archive.etichette import Etichetta, genera_lotto, leggibile
    from service.settings import get_settings
    from service.enti import enti_da_settings

    ente = enti_da_settings(get_settings()).get(ente_id.strip())
    emissione = _emissione(firma, ente.id)
    st = _stagione(stagione)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        with _sessione() as session:
            numeri = genera_lotto(session, ente, tipo, quantita, stagione=st, fascia=fascia, autore=_autore(utente))
            lotto_id = session.scalar(select(Etichetta.lotto_id).where(Etichetta.numero == numeri[0]))
            esito = _stampa_firmata(tmp, numeri, ente.id, tipo.strip().upper(), opzioni, emissione)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return {"lotto_id": lotto_id, "ente_id": ente.id, "tipo": tipo.strip().upper(), "stagione": st.label,
            "quantita": len(numeri), "dal": leggibile(numeri[0]), "al": leggibile(numeri[-1]),
            "file": str(output), "fogli": esito.fogli, "firmato": emissione.firma}


def _ristampa(lotto_id: int, output: Path, opzioni: Any, firma: bool | None) -> dict[str, Any]:
    from archive.etichette import LottoEtichette, numeri_del_lotto

    with _sessione() as session:
        numeri = numeri_del_lotto(session, lotto_id)
        lotto = session.get(LottoEtichette, lotto_id)
        ente_id, tipo = lotto.ente_id, lotto.tipo
    emissione = _emissione(firma, ente_id)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        esito = _stampa_firmata(tmp, numeri, ente_id, tipo, opzioni, emissione)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return {"lotto_id": lotto_id, "quantita": len(numeri), "file": str(output), "fogli": esito.fogli,
            "firmato": emissione.firma}


def _opzioni(foglio: str | None, inizio: int, offset_x: float, offset_y: float, prova: bool):
    from service.etichette_stampa import FOGLIO_ETICHETTE
    from service.stampa_fogli import OpzioniFoglio

    return OpzioniFoglio(foglio=foglio or FOGLIO_ETICHETTE, inizio=inizio, offset_x=offset_x, offset_y=offset_y,
                         prova=prova)


def register(app: typer.Typer) -> None:
    et = typer.Typer(help="Etichette di validazione (bollini): generazione, stock dei CAIT, vendita, vincolo "
                          "alla dichiarazione, annullamento, verifica.\n\n"
                          "Esempio: curit-docs etichette verifica MN000-26G1-000001-4", no_args_is_help=True)
    app.add_typer(et, name="etichette")

    @et.command("genera")
    def genera(
        ente: Annotated[str, typer.Option(help="Id dell'Ente (es. provincia-mantova; vedi: curit-docs ente elenco)")],
        tipo: Annotated[str, typer.Option(help="G (Allegato G, < 35 kW) | F (Allegato F, ≥ 35 kW)")],
        quantita: Annotated[int, typer.Option(help="Quante etichette generare")],
        output: Annotated[Path, typer.Option("-o", "--output", help="PDF da scrivere")] = Path("etichette.pdf"),
        fascia: Annotated[Optional[str], typer.Option(help="Solo per F: F2 35-50 kW | F3 50,1-116,3 | F4 116,4-350 | F5 > 350")] = None,
        stagione: Annotated[Optional[str], typer.Option(help="Stagione termica, es. 2026/2027 (default: quella in corso)")] = None,
        foglio: Annotated[Optional[str], _FOGLIO] = None,
        inizio: Annotated[int, _INIZIO] = 1,
        offset_x: Annotated[float, _OFFSET_X] = 0.0,
        offset_y: Annotated[float, _OFFSET_Y] = 0.0,
        prova: Annotated[bool, _PROVA] = False,
        utente: Annotated[Optional[str], _UTENTE] = None,
        firma: Annotated[Optional[bool], _FIRMA] = None,
    ) -> None:
        """Genera un intervallo numerato di etichette dell'Ente e ne stampa i fogli (3 matrici per numero),
        firmati dall'Ente.

        Esempio: curit-docs etichette genera --ente provincia-mantova --tipo G --quantita 70 -o etichette.pdf
        Esempio F: curit-docs etichette genera --ente comune-brescia --tipo F --fascia F3 --quantita 14 -o f3.pdf
        """
        _stampa(_genera(ente, tipo, quantita, fascia, stagione, output,
                        _opzioni(foglio, inizio, offset_x, offset_y, prova), utente, firma))

    @et.command("ristampa")
    def ristampa(
        lotto: Annotated[int, typer.Option(help="Id del lotto (riportato da 'genera' e da 'verifica')")],
        output: Annotated[Path, typer.Option("-o", "--output", help="PDF da scrivere")] = Path("etichette.pdf"),
        foglio: Annotated[Optional[str], _FOGLIO] = None,
        inizio: Annotated[int, _INIZIO] = 1,
        offset_x: Annotated[float, _OFFSET_X] = 0.0,
        offset_y: Annotated[float, _OFFSET_Y] = 0.0,
        prova: Annotated[bool, _PROVA] = False,
        firma: Annotated[Optional[bool], _FIRMA] = None,
    ) -> None:
        """Ristampa i fogli di un lotto già generato (stessi numeri; nessun movimento), firmati dall'Ente.

        Esempio: curit-docs etichette ristampa --lotto 12 -o lotto12.pdf --inizio 4
        """
        _stampa(_ristampa(lotto, output, _opzioni(foglio, inizio, offset_x, offset_y, prova), firma))

    @et.command("assegna")
    def assegna(
        cait: Annotated[str, typer.Option(help="Id del CAIT convenzionato (es. CAIT-MN-01)")],
        ente: Annotated[str, typer.Option(help="Id dell'Ente proprietario delle etichette")],
        numeri: Annotated[Optional[list[str]], typer.Argument(help="Numeri da assegnare (in alternativa a --dal/--al)")] = None,
        dal: Annotated[Optional[str], typer.Option(help="Primo numero dell'intervallo")] = None,
        al: Annotated[Optional[str], typer.Option(help="Ultimo numero dell'intervallo")] = None,
        utente: Annotated[Optional[str], _UTENTE] = None,
    ) -> None:
        """Consegna etichette dell'Ente a un CAIT in conto vendita (un intervallo o un elenco).

        Esempio: curit-docs etichette assegna --cait CAIT-MN-01 --ente provincia-mantova --dal MN000-26G1-000001-4 --al MN000-26G1-000050-N
        """
        from archive.etichette import assegna_a_cait, leggibile

        fatti = _esegui(lambda s: assegna_a_cait(s, cait.strip(), numeri or None, dal=dal, al=al,
                                                 ente_id=ente.strip(), autore=_autore(utente)))
        _stampa({"cait_id": cait.strip(), "assegnate": len(fatti), "dal": leggibile(fatti[0]),
                 "al": leggibile(fatti[-1])})

    @et.command("vendi")
    def vendi(
        numero: Annotated[str, typer.Argument(help="Numero dell'etichetta (trattini facoltativi)")],
        cait: Annotated[str, typer.Option(help="CAIT che vende (deve averla in stock)")],
        manutentore: Annotated[str, typer.Option(help="Manutentore acquirente: nome utente (es. MA023456) o id")],
        utente: Annotated[Optional[str], _UTENTE] = None,
    ) -> None:
        """Vende un'etichetta dello stock del CAIT a un manutentore; stampa l'importo (contributo regionale + quota Ente).

        Esempio: curit-docs etichette vendi MN000-26G1-000001-4 --cait CAIT-MN-01 --manutentore MA023456
        """
        from archive.etichette import leggibile, vendi as vendi_etichetta
        from service.quote_enti import quote_configurate

        quote = quote_configurate()
        v = _esegui(lambda s: vendi_etichetta(s, numero, cait.strip(), _manutentore(s, manutentore),
                                              autore=_autore(utente), quote=quote))
        _stampa({"numero": leggibile(v.numero), "cait_id": v.cait_id, "manutentore_id": v.manutentore_id,
                 "fascia": v.fascia, "contributo_regionale": str(v.contributo_regionale),
                 "quota_ente": str(v.quota_ente), "totale": str(v.totale), "venduta_il": v.venduta_il.isoformat()})

    @et.command("vincola")
    def vincola(
        numero: Annotated[str, typer.Argument(help="Numero dell'etichetta venduta")],
        impianto: Annotated[str, typer.Option(help="Codice impianto della dichiarazione (es. 020066CT0000001)")],
        tipo: Annotated[str, typer.Option(help="Allegato della dichiarazione: G | F")],
        data_controllo: Annotated[str, typer.Option("--data-controllo", help="Data del controllo (aaaa-mm-gg o gg/mm/aaaa)")],
        potenza: Annotated[Optional[str], typer.Option(help="Potenza al focolare dell'impianto, kW (controlla la fascia)")] = None,
        utente: Annotated[Optional[str], _UTENTE] = None,
    ) -> None:
        """Vincola un'etichetta venduta a una sola dichiarazione G/F.

        Esempio: curit-docs etichette vincola MN000-26G1-000001-4 --impianto 020066CT0000001 --tipo G --data-controllo 2026-10-14
        """
        from archive.etichette import vincola as vincola_etichetta
        from domain.contributo import potenza_kw

        p: Decimal | None = potenza_kw(potenza) if potenza is not None else None
        giorno = _data(data_controllo, "data_controllo")
        _stampa(_esegui(lambda s: vincola_etichetta(s, numero, impianto, tipo, giorno, autore=_autore(utente),
                                                    potenza_focolare_kw=p)))

    @et.command("annulla")
    def annulla(
        numero: Annotated[str, typer.Argument(help="Numero dell'etichetta")],
        motivo: Annotated[str, typer.Option(help="Motivo dell'annullamento (registrato nello storico)")],
        utente: Annotated[Optional[str], _UTENTE] = None,
    ) -> None:
        """Annulla un'etichetta non ancora vincolata (smarrita, deteriorata, errore di stampa…).

        Esempio: curit-docs etichette annulla MN000-26G1-000003-0 --motivo "Matrice danneggiata"
        """
        from archive.etichette import annulla as annulla_etichetta

        _stampa(_esegui(lambda s: annulla_etichetta(s, numero, motivo, autore=_autore(utente))))

    @et.command("elenco")
    def elenco(
        cait: Annotated[Optional[str], typer.Option(help="Solo lo stock di questo CAIT")] = None,
        ente: Annotated[Optional[str], typer.Option(help="Solo le etichette di questo Ente")] = None,
        stato: Annotated[Optional[str], typer.Option(help="generata | assegnata | venduta | vincolata | annullata")] = None,
        lotto: Annotated[Optional[int], typer.Option(help="Solo questo lotto")] = None,
        limite: Annotated[int, typer.Option(help="Quante righe (al massimo 1000)")] = 100,
        dopo: Annotated[Optional[str], typer.Option(help="Continua dopo questo numero (pagina successiva)")] = None,
    ) -> None:
        """Elenco delle etichette con i totali per stato (JSON), una pagina alla volta.

        Esempio: curit-docs etichette elenco --cait CAIT-MN-01 --stato assegnata
        """
        from archive.etichette import Ambito, elenco as elenco_etichette

        ambito = Ambito(ente_id=ente, cait_id=cait)
        _stampa(_esegui(lambda s: elenco_etichette(s, ambito=ambito, stato=stato, lotto_id=lotto, limite=limite,
                                                   dopo=dopo)))

    @et.command("rendiconto")
    def rendiconto(
        periodo: Annotated[str, typer.Option(help="Mese (2026-10: versamento mensile del CAIT) o trimestre (2026-T4)")],
        cait: Annotated[Optional[str], typer.Option(help="CAIT venditore")] = None,
        ente: Annotated[Optional[str], typer.Option(help="Solo le etichette di questo Ente")] = None,
    ) -> None:
        """Etichette vendute nel periodo e importi dovuti: contributo regionale a Punti Energia, quota a ciascun Ente.

        Esempio: curit-docs etichette rendiconto --cait CAIT-MN-01 --periodo 2026-10
        """
        from archive.etichette import Ambito, rendiconto as rendiconto_vendite
        from domain.tariffe import periodo_versamento

        dal, al = periodo_versamento(periodo)
        ambito = Ambito(ente_id=ente, cait_id=cait)
        _stampa({"periodo": periodo.strip().upper(),
                 **_esegui(lambda s: rendiconto_vendite(s, dal=dal, al=al, ambito=ambito))})

    @et.command("verifica")
    def verifica(numero: Annotated[str, typer.Argument(help="Numero dell'etichetta (trattini facoltativi)")]) -> None:
        """Stato dell'etichetta in JSON (fascia, prezzo, detentore, dichiarazione, storico); uscita 1 se sconosciuta o errata.

        Esempio: curit-docs etichette verifica MN000-26G1-000001-4
        """
        from archive.etichette import stato
        from service.quote_enti import quote_configurate

        quote = quote_configurate()
        _stampa(_esegui(lambda s: stato(s, numero, quote=quote)))
