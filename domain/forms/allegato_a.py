"""Allegato A — Rapporto di prova per impianti termici inferiori a 35 kW (FORMS.md §2).

Keys are those of FORMS.md. The sections shared with Allegato B (the heading, section 1,
section 2 a)–c), the installation date of 3.d and sections 6–12) are defined here and imported
by ``allegato_b``: B's generator sheet repeats A's sections 6–12 as printed (§3.8). Their field
declaration, sub-blocks (``SoggettoRdP``, ``Ubicazione`` …) and the rules reading them are in
``rapporto_prova``.

What the inspector measures is input; what the regional rules compute (η min, CO
corretto, medie, "+2", verdicts, esito, failed points, the fields a failed test
strikes) comes from ``domain.esito.valuta_rapporto`` through :meth:`AllegatoA.ingresso_esito`.

The "never leave blank" principle (FORMS.md §0.4) is :func:`completezza_a`, a rule run after
validation: every field must be filled or ``"BARRATO"``, except the ones marked *facoltativo*
and those a rule strikes by itself (:meth:`AllegatoA.barrati`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from domain.codice import CodiceImpiantoStr
from domain.combustione.combustibili import combustibile_tecnico
from domain.combustione.rendimento import FasciaInstallazione, fascia_da_dichiarazione, fascia_installazione
from domain.errors import ValidationFailed
from domain.esito_dati import EsitoRapporto, IngressoEsito
from domain.forms.comuni import BARRATO, Barrabile, Modello, SiNo
from domain.forms.rapporto_prova import (
    Codice,
    Consumi,
    Correzione,
    Corto,
    Delegato,
    Kw,
    Misura,
    Nome,
    Nota,
    Osservazione,
    Prove,
    SoggettoRdP,
    StrumentoRdP,
    Ubicazione,
    barrati_dati_generali,
    barrati_foglio,
    campi_vuoti,
    ingresso_generatore,
    richiede_altro,
    valuta,
    voce,
)

__all__ = [
    "AllegatoA",
    "completezza_a",
    "Intestazione",
    "DatiGenerali",
    "Destinazione",
    "DatiInstallazione",
    "MisureEsito",
]

CodiceNcA = Literal["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10", "A11", "A12",
                    "A13", "A14", "A15", "A16", "A17", "A18"]
Effettuata = Literal["Effettuata", "Non effettuata"]


class Intestazione(Modello):
    biennio_da: int = voce("", "Biennio (primo anno)", ..., )
    biennio_a: int = voce("", "Biennio (secondo anno)", ...)
    biennio_libero: bool = voce("", "Biennio non consecutivo", False, facoltativo=True)  # AMB-05

    @model_validator(mode="after")
    def _biennio(self) -> Any:
        for anno in (self.biennio_da, self.biennio_a):
            if not 2000 <= anno <= 2999:
                raise ValueError("Il biennio si scrive con quattro cifre che iniziano per 2 (2___).")
        if not self.biennio_libero and self.biennio_a != self.biennio_da + 1:
            raise ValueError("Il biennio deve essere di due anni consecutivi (es. 2025 - 2026).")
        return self


class DatiGenerali(Modello):
    """Section 1 (identical fields on A and B; B prints other letters, AMB-18)."""

    codice_catasto: CodiceImpiantoStr = voce("1.a", "Catasto impianti/codice", ...)
    data_ispezione: date = voce("1.b", "Data ispezione", ...)
    numero_ispezione: Codice = voce("1.b", "N° ispezione", ...)
    ispettore: Annotated[str, Field(max_length=100)] = voce("1.c", "Ispettore/estremi qualifica", ...)
    dichiarato: SiNo = voce("1.d", "Dichiarato", ...)
    n_dichiarazione: Barrabile[Corto] = voce("1.e", "N° dichiarazione")
    data_dichiarazione: Barrabile[date] = voce("1.f", "Data dichiarazione")
    ubicazione: Ubicazione = voce("1.g", "Ubicazione", ...)
    delegato: Delegato | None = voce("1.h", "Delegato")
    responsabile_ruolo: Literal["Occupante", "Proprietario/i", "Amministratore",
                                "Terzo responsabile (manutentore)"] = voce("1.i", "Responsabile impianto", ...)
    occupante: SoggettoRdP | None = voce("1.l", "Occupante")
    proprietario: SoggettoRdP | None = voce("1.m", "Proprietario")
    terzo_resp_manutentore: SoggettoRdP | None = voce("1.n", "T.R./Manutentore")
    amministratore: SoggettoRdP | None = voce("1.o", "Amministratore")
    volumetria_m3: Barrabile[Misura] = voce("1.p", "Volumetria riscaldata (m3)")
    consumi: Consumi | None = voce("1.q", "Consumi")

    @model_validator(mode="after")
    def _dichiarazione(self) -> Any:
        if self.dichiarato == "No":
            for key in ("n_dichiarazione", "data_dichiarazione"):
                if getattr(self, key) not in (None, BARRATO):
                    raise ValueError("Con «Dichiarato: No» numero e data della dichiarazione non vanno "
                                     "indicati (i campi 1.e e 1.f vengono barrati).")
        return self


class Destinazione(Modello):
    """Section 2 a)–c); the fuel (d) differs between A and B."""

    destinazione_prevalente: Literal["Residenziale", "Terziario/Artigianale/Industriale",
                                     "Edificio pubblico od a uso pubblico", "Altro"] = voce(
        "2.a", "Destinazione prevalente dell'immobile", ...)
    destinazione_prevalente_altro: Corto | None = voce("2.a", "Altro (specificare)", facoltativo=True)
    servizio: Literal["Singola unità Immobiliare", "Più unità immobiliari"] = voce("2.b", "Impianto a servizio di", ...)
    destinazione_uso: list[Literal["Riscaldamento ambienti", "Produzione di acqua calda sanitaria"]] = Field(
        ..., min_length=1, max_length=2, title="2.c Destinazione d'uso dell'impianto")

    @model_validator(mode="after")
    def _altro_destinazione(self) -> Any:
        richiede_altro(self.destinazione_prevalente, self.destinazione_prevalente_altro, "2.a")
        return self


class DatiInstallazione(Modello):
    """3.d / 5.b with the AMB-26 choice: bracket or manual η min when only 'dopo il 29/10/1993' is known."""

    data_installazione_gen: date | Literal["dopo il 29/10/1993"] = voce("3.d", "Data installazione gen.", ...)
    fascia_installazione: FasciaInstallazione | None = voce(
        "3.d", "Fascia di installazione", facoltativo=True)  # AMB-26
    eta_min_manuale: Annotated[Decimal, Field(gt=0, le=100, decimal_places=1)] | None = voce(
        "8.d", "Rendimento minimo indicato dall'ispettore o dal costruttore", facoltativo=True)

    @model_validator(mode="after")
    def _fascia(self) -> Any:
        data = self.data_installazione_gen
        if isinstance(data, date):
            if self.fascia_installazione is not None and self.fascia_installazione != fascia_installazione(data):
                raise ValueError(f"La fascia «{self.fascia_installazione}» non corrisponde alla data di "
                                 f"installazione {data:%d/%m/%Y}.")
        elif self.fascia_installazione == "prima del 29/10/1993":
            raise ValueError("Con «dopo il 29/10/1993» la fascia non può essere «prima del 29/10/1993».")
        elif self.fascia_installazione is None and self.eta_min_manuale is None and self.fluido_richiede_fascia():
            raise ValueError("Con «dopo il 29/10/1993» indicare la fascia di installazione "
                             "(fascia_installazione) oppure il rendimento minimo (eta_min_manuale).")
        return self

    def fluido_richiede_fascia(self) -> bool:
        """Water generators need the bracket; air ones only need 'after 1993'; others use η min manual."""
        return str(getattr(self, "fluido", "acqua")).lower() == "acqua"

    def fascia(self) -> FasciaInstallazione | None:
        """The η min bracket: from the date, or the inspector's choice for "dopo il 29/10/1993"
        (air generators: every bracket after 1993 has the same formula, 80 + 2 Log Pn)."""
        da_data = fascia_da_dichiarazione(self.data_installazione_gen)
        if da_data is not None or self.fascia_installazione is not None:
            return da_data or self.fascia_installazione
        return None if self.fluido_richiede_fascia() else "dal 29/10/1993 al 31/12/1997"


class MisureEsito(Modello):
    """Sections 6–12 as printed on A (and on every B generator sheet, §3.8)."""

    data_ultima_manutenzione: Barrabile[date] = voce("6.a", "Data ultima manutenzione")
    analisi_combustione: Effettuata = voce("6.b", "Analisi di combustione", ...)
    rct_presente: SiNo = voce("6.c", "Rapporto di controllo tecnico presente", ...)
    rct_con_prescrizioni: Barrabile[SiNo] = voce("6.c", "Rapporto di controllo tecnico con prescrizioni")
    note_prescrizioni: Barrabile[Nota] = voce("6.d", "Note")

    strumento_combustione: StrumentoRdP | None = voce("7", "Strumento (marca, modello, matricola)")
    bacharach: Barrabile[Prove] = voce("7.a", "Bacharach")
    t_mandata: Barrabile[Prove] = voce("7.b", "Temperatura fluido di mandata")
    t_aria: Barrabile[Prove] = voce("7.b", "Temperatura aria comburente")
    t_fumi: Barrabile[Prove] = voce("7.b", "Temperatura fumi")
    co_misurato: Barrabile[Prove] = voce("7.b", "CO misurato")
    cella: Literal["O2", "CO2"] | Literal["BARRATO"] | None = voce("7.b", "Cella O2 / CO2")
    o2_co2: Barrabile[Prove] = voce("7.b", "O2 / CO2")
    strumento_tiraggio: StrumentoRdP | None = voce("7.c", "Strumento del tiraggio")
    tiraggio_pa: Barrabile[Misura] = voce("7.c", "Misura del tiraggio (Pa)")
    manut_corrente: Effettuata = voce("8.a", "Manutenzione anno/biennio in corso", ...)
    manut_precedenti: Effettuata = voce("8.a", "Manutenzione anni/bienni precedenti", ...)
    precedenti_negativo: bool | None = voce(
        "9.b", "«Precedenti: Non effettuata» rende l'esito negativo (vuoto = regola regionale)",  # AMB-16
        facoltativo=True)
    prova_in_acs: bool = voce("7.b", "Prova eseguita in produzione di acqua calda sanitaria", False,
                              facoltativo=True)
    misure_impossibili: Nota | None = voce("7", "Motivo per cui le misure non sono eseguibili (R-A-01)",
                                          facoltativo=True)
    limiti_libretto_rispettati: bool | None = voce(
        "9", "Limiti di esercizio del libretto rispettati (combustibili non UNI 10389)", facoltativo=True)
    esito_note: Annotated[str, Field(max_length=50)] | None = voce("9.b", "Annotazioni", facoltativo=True)

    osservazioni: list[Osservazione] = voce("10.a", "Note", [], facoltativo=True)
    codici_nc: list[CodiceNcA] | Literal["BARRATO"] | None = voce("10.b", "Codici elenco non conformità")
    dichiarazioni_responsabile: Barrabile[Nota] = voce(
        "11", "Dichiarazioni del responsabile impianto", facoltativo=True)
    rifiuto_firma: bool = voce("12.a", "Il responsabile rifiuta di firmare", False, facoltativo=True)


CombustibileA = Literal["Gas naturale", "Gasolio", "GPL", "Altro"]


class AllegatoA(Intestazione, DatiGenerali, Destinazione, DatiInstallazione, MisureEsito):
    """Rapporto di prova per impianti termici inferiori a 35 kW (DGR 18/09/2007, Allegato A)."""

    combustibile: CombustibileA = voce("2.d", "Combustibile", ...)
    combustibile_altro: Corto | None = voce("2.d", "Altro combustibile (specificare)", facoltativo=True)

    fluido: Literal["acqua", "aria", "altro"] = voce("3.a", "Fluido termovettore", ...)
    fluido_altro: Corto | None = voce("3.a", "Altro fluido (specificare)", facoltativo=True)
    tipo_caldaia: Literal["B", "C"] = voce("3.b", "Tipo caldaia", ...)
    data_realizzazione_impianto: date = voce("3.c", "Data realizzazione impianto", ...)
    costruttore_caldaia: Barrabile[Nome] = voce("3.e", "Costruttore caldaia")
    modello_matricola_caldaia: Barrabile[Annotated[str, Field(max_length=80)]] = voce("3.f", "Modello e matricola caldaia")
    locale: Literal["Locale tecnico", "Esterno", "Interno"] = voce("3.g", "Locale d'installazione", ...)
    interno_uso: Corto | None = voce("3.g", "Interno (uso del locale)", facoltativo=True)
    classificazione: Literal["Standard", "a bassa temperatura", "a gas a condensazione"] = voce(
        "3.h", "Classificazione DPR 660/96", ...)
    pot_focolare_nom_kw: Barrabile[Kw] = voce("3.i", "Potenza termica al focolare nominale (kW)")
    pot_utile_nom_kw: Barrabile[Kw] = voce("3.i", "Potenza termica utile nominale (kW)")
    portata_m3h: Barrabile[Misura] = voce("3.l", "Portata di combustibile (m3/h)")
    portata_kgh: Barrabile[Misura] = voce("3.l", "Portata di combustibile (kg/h)")
    pot_focolare_misurata_kw: Barrabile[Kw] = voce("3.l", "Potenza termica al focolare misurata (kW)")

    pendenza_canali: Barrabile[SiNo] = voce("4.a", "Pendenza corretta dei canali da fumo")
    stato_condotti: Barrabile[SiNo] = voce("4.a", "Buono stato di conservazione condotti di evacuazione")
    foro_presente: SiNo = voce("4.a", "Foro per prelievo presente e accessibile", ...)
    foro_posizione: Barrabile[SiNo] = voce("4.a", "Foro in posizione corretta")
    foro_chiusura: Barrabile[SiNo] = voce("4.a", "Chiusura foro corretta")
    evacuazione: Literal["L'apparecchio scarica in un sistema fumario (singolo o collettivo)",
                         "L'apparecchio scarica direttamente all'esterno"] = voce(
        "4.b", "Controllo evacuazione prodotti della combustione", ...)
    idoneita_locale: Barrabile[SiNo] = voce("4.c", "Idoneità del locale")
    aperture_dimensioni: Barrabile[SiNo] = voce("4.c", "Adeguate dimensioni e posizione delle aperture di ventilazione")
    aperture_libere: Barrabile[SiNo] = voce("4.c", "Aperture di ventilazione libere da ostruzioni")
    coibentazioni: Barrabile[Literal["b", "m", "s"]] = voce("4.d", "Stato delle coibentazioni")
    disp_regolazione_presenti: Barrabile[SiNo] = voce("4.e", "Dispositivi di regolazione e controllo presenti")
    disp_regolazione_funzionanti: Barrabile[SiNo] = voce("4.e", "Dispositivi di regolazione e controllo funzionanti")
    disp_climatica_presenti: Barrabile[SiNo] = voce("4.e", "Dispositivi di regolazione climatica presenti")
    disp_climatica_funzionanti: Barrabile[SiNo] = voce("4.e", "Dispositivi di regolazione climatica funzionanti")

    libretto_impianto: Literal["Presente", "Assente"] = voce("5.a", "Libretto di impianto", ...)
    compilazione_libretto: Barrabile[Literal["Completa", "Incompleta"]] = voce("5.b", "Compilazione libretto")
    dich_conformita: SiNo = voce("5.c", "Dichiarazione di conformità", ...)
    libretto_uso: Literal["Presente", "Assente"] = voce("5.d", "Libretto d'uso e manutenzione", ...)

    correzioni: list[Correzione] = voce("10.a", "Correzioni (NO accanto al campo)", [], facoltativo=True)

    @model_validator(mode="after")
    def _altro(self) -> Any:
        richiede_altro(self.combustibile, self.combustibile_altro, "2.d")
        richiede_altro(self.fluido, self.fluido_altro, "3.a")
        if self.locale == "Interno" and not self.interno_uso:
            raise ValueError("Con locale «Interno» indicare l'uso del locale (interno_uso), es. cucina.")
        return self

    def ingresso_esito(self) -> IngressoEsito:
        """The inputs of the regional rules (``domain.esito``) for this rapporto."""
        return ingresso_generatore(
            self, allegato="A", combustibile=combustibile_tecnico(self.combustibile, self.combustibile_altro),
            tipo_caldaia=self.tipo_caldaia, foro_presente=self.foro_presente == "Si",
            generatore_esterno=self.locale == "Esterno", libretto_presente=self.libretto_impianto == "Presente",
            solo_acs=self.destinazione_uso == ["Produzione di acqua calda sanitaria"],
        )

    def esito(self) -> EsitoRapporto:
        """η min, CO corretto, verdicts and 9.a/9.b from ``domain.esito`` (errors name A's fields)."""
        return valuta(self)

    def barrati(self, esito: EsitoRapporto) -> set[str]:
        """Key paths drawn struck through although the inspector did not write "BARRATO"."""
        return barrati_dati_generali(self, esito.campi_barrati) | barrati_foglio(self, esito)


def completezza_a(m: AllegatoA) -> None:
    """Registry rule of Allegato A: every empty, non-struck field is reported at once."""
    errors = campi_vuoti(m, m.barrati(m.esito()))
    if errors:
        raise ValidationFailed(errors)
