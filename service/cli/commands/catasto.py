"""``codice nuovo|verifica``, ``stagione``, ``ente competente|elenco``: the catasto core on the command line."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Optional

import typer

from domain.errors import NotFound, RuleViolation

__all__ = ["register"]

_FORMATI_DATA = ("%Y-%m-%d", "%d/%m/%Y")


def _data(value: str, campo: str) -> date:
    for fmt in _FORMATI_DATA:
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise RuleViolation(f"Data non valida: {value!r} (usare aaaa-mm-gg oppure gg/mm/aaaa).", path=(campo,))


def _stampa(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _registro():
    """The Enti registry configured by ``CURIT_ENTI_FILE`` (or the shipped one)."""
    from domain.enti import registro_enti
    from service.settings import get_settings

    return registro_enti(get_settings().enti_file)


def _ente_dict(ente) -> dict[str, Any]:
    return ente.model_dump()


def _nuovo(istat: str, tipo: str, impianto: dict[str, Any] | None) -> str:
    from archive.catasto import ImpiantoCatasto, alloca_codice, registra_impianto
    from archive.db import make_engine, session_scope, upgrade
    from service.settings import get_settings

    from domain.codice import valida_istat_lombardo, valida_tipologia
    from domain.identificativi import valida_istat_comune

    try:  # refuse bad input before touching the database
        valida_istat_comune(istat)
    except ValueError as exc:
        raise RuleViolation(str(exc), path=("istat",)) from None
    valida_istat_lombardo(istat)  # the CURIT codes Lombard comuni only
    valida_tipologia(tipo)
    url = get_settings().db_url
    upgrade(url)
    engine = make_engine(url)
    try:
        if impianto is None:
            return alloca_codice(engine, istat, tipo)
        ente = _registro().competente(istat)
        with session_scope(engine) as session:
            record = ImpiantoCatasto(istat=istat, tipologia=tipo.upper(), ente_id=ente.id, **impianto)
            return registra_impianto(session, record)
    finally:
        engine.dispose()


def _verifica(codice: str) -> dict[str, Any]:
    from domain.codice import parse_codice_impianto

    parsed = parse_codice_impianto(codice)
    comune = parsed.comune
    try:
        ente: dict[str, Any] | None = _ente_dict(_registro().competente(parsed.istat))
    except NotFound:
        ente = None
    return {
        "codice_impianto": str(parsed),
        "istat": parsed.istat,
        "codice_provincia": comune.codice_provincia,
        "comune": comune.nome,
        "provincia": comune.provincia,
        "sigla_provincia": comune.sigla_provincia,
        "regione": comune.regione,
        "tipologia": parsed.tipologia,
        "tipologia_descrizione": parsed.descrizione_tipologia,
        "progressivo": parsed.progressivo,
        "ente_competente": ente,
    }


def _stagione(giorno: date) -> dict[str, Any]:
    from domain import stagione as st
    from service.settings import get_settings

    lettura = get_settings().lettura_amb01
    s = st.stagione_termica(giorno)
    inizio, fine = st.validita_dichiarazione(giorno, lettura=lettura)
    return {
        "data": giorno,
        "stagione": s.label,
        "inizio": s.inizio,
        "fine": s.fine,
        "validita_dichiarazione": {"inizio": inizio, "fine": fine, "lettura_amb01": lettura},
        "scadenze_per_evento_in_questa_data": {
            "dichiarazione_avvenuta_manutenzione": st.scadenza_dichiarazione(giorno),
            "inserimento_telematico": st.scadenza_inserimento_telematico(giorno),
            "scheda_identificativa": st.scadenza_scheda_identificativa(giorno),
            "terzo_responsabile": st.scadenza_terzo_responsabile(giorno),
            "amministratore": st.scadenza_amministratore(giorno),
            "relazione_generatore_oltre_15_anni": st.scadenza_relazione_generatore_vecchio(giorno),
            "sostituzione_generatore": st.scadenza_sostituzione_generatore(giorno),
        },
        "prossima_scadenza_dichiarazione": st.prossima_scadenza_dichiarazione(giorno, lettura=lettura),
    }


def register(app: typer.Typer) -> None:
    codice_app = typer.Typer(help="Codici impianto: assegnazione e verifica.\n\n"
                                      "Esempio: curit-docs codice nuovo --istat 020066 --tipo CT", no_args_is_help=True)
    ente_app = typer.Typer(help="Enti locali competenti.\n\nEsempio: curit-docs ente competente 020066", no_args_is_help=True)
    app.add_typer(codice_app, name="codice")
    app.add_typer(ente_app, name="ente")

    @codice_app.command("nuovo")
    def codice_nuovo(
        istat: Annotated[str, typer.Option(help="Codice ISTAT del comune, 6 cifre (es. 020066)")],
        tipo: Annotated[str, typer.Option(help="CT centralizzato | IN individuale | TR teleriscaldamento")],
        indirizzo: Annotated[Optional[str], typer.Option(help="Se indicato, registra anche l'impianto nel catasto")] = None,
        civico: Annotated[Optional[str], typer.Option()] = None,
        cap: Annotated[Optional[str], typer.Option()] = None,
        potenza: Annotated[Optional[str], typer.Option(help="Potenza al focolare complessiva, kW")] = None,
        responsabile: Annotated[Optional[str], typer.Option(help="Cognome e nome del responsabile")] = None,
        cf: Annotated[Optional[str], typer.Option(help="Codice fiscale del responsabile")] = None,
    ) -> None:
        """Assegna il prossimo codice impianto del comune e lo stampa. Esempio: curit-docs codice nuovo --istat 020066 --tipo CT"""
        impianto = None
        if indirizzo is not None:
            impianto = _campi_impianto(indirizzo, civico, cap, potenza, responsabile, cf)
        elif any(v is not None for v in (civico, cap, potenza, responsabile, cf)):
            raise RuleViolation("Per registrare l'impianto indicare anche --indirizzo.", path=("indirizzo",))
        typer.echo(_nuovo(istat.strip(), tipo, impianto))

    @codice_app.command("verifica")
    def codice_verifica(codice: str) -> None:
        """Controlla un codice impianto e ne stampa le parti in JSON. Esempio: curit-docs codice verifica 020066CT0000001"""
        _stampa(_verifica(codice))

    @app.command("stagione")
    def stagione(giorno: Annotated[str, typer.Argument(help="Data (aaaa-mm-gg o gg/mm/aaaa)")]) -> None:
        """Stagione termica di una data, validità di una dichiarazione presentata quel giorno e scadenze. Esempio: curit-docs stagione 2026-03-15"""
        _stampa(_stagione(_data(giorno, "data")))

    @ente_app.command("competente")
    def ente_competente(istat: str) -> None:
        """Ente competente per un comune: il Comune sopra i 40.000 abitanti, altrimenti la Provincia. Esempio: curit-docs ente competente 020066"""
        _stampa(_ente_dict(_registro().competente(istat.strip())))

    @ente_app.command("elenco")
    def ente_elenco() -> None:
        """Elenco degli Enti del registro configurato (JSON).

        Esempio: curit-docs ente elenco
        """
        _stampa([_ente_dict(e) for e in _registro()])


def _campi_impianto(
    indirizzo: str, civico: str | None, cap: str | None, potenza: str | None, responsabile: str | None, cf: str | None
) -> dict[str, Any]:
    from domain.contributo import potenza_kw
    from domain.identificativi import valida_cap, valida_cf

    campi: dict[str, Any] = {"indirizzo": indirizzo.strip(), "civico": civico, "responsabile_cognome_nome": responsabile}
    if not campi["indirizzo"]:
        raise RuleViolation("L'indirizzo dell'impianto non può essere vuoto.", path=("indirizzo",))
    for nome, valore, check in (("cap", cap, valida_cap), ("responsabile_cf", cf, valida_cf)):
        if valore is not None:
            try:
                campi[nome] = check(valore)
            except ValueError as exc:
                raise RuleViolation(str(exc), path=(nome,)) from None
    if potenza is not None:
        campi["potenza_focolare_totale_kw"] = potenza_kw(potenza)
    return campi

