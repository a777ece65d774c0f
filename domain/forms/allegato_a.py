"""Allegato A — Rapporto di prova per impianti termici inferiori a 35 kW (FORMS.md §2).

Keys are those of FORMS.md. The blocks shared with Allegato B (section 1, section 2,
sections 6–12 and the ``SoggettoRdP`` subject) are defined here and imported by
``allegato_b``: B's generator sheet repeats A's sections 6–12 as printed (§3.8).

What the inspector measures is input; what the regional rules compute (η min, CO
corretto, medie, "+2", verdicts, esito, failed points, the fields a failed test
strikes) comes from ``domain.esito.valuta_rapporto`` through :meth:`ingresso_esito`.

The "never leave blank" principle (FORMS.md §0.4) is :func:`verifica_completezza`,
a rule run after validation: every field must be filled or ``"BARRATO"``, except
the ones marked *facoltativo* and those a rule strikes by itself (:func:`barrati_impliciti`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from domain.codice import CodiceImpiantoStr
from domain.combustione.combustibili import combustibile_tecnico
from domain.combustione.rendimento import FasciaInstallazione, fascia_da_dichiarazione, fascia_installazione
from domain.errors import RuleViolation, ValidationFailed
from domain.esito import valuta_rapporto
from domain.esito_dati import EsitoRapporto, IngressoEsito
from domain.forms.comuni import BARRATO, Barrabile, Modello, SiNo, Strumento
from domain.identificativi import valida_cf_o_piva

__all__ = [
    "AllegatoA",
    "SoggettoRdP",
    "StrumentoRdP",
    "Ubicazione",
    "Delegato",
    "Consumi",
    "Osservazione",
    "Correzione",
    "voce",
    "barrati_dati_generali",
    "barrati_foglio",
    "ingresso_generatore",
    "valuta",
    "campi_vuoti",
    "calcoli_foglio",
    "completezza_a",
    "BloccoRdP",
    "Intestazione",
    "DatiGenerali",
    "Destinazione",
    "DatiInstallazione",
    "MisureEsito",
    "richiede_altro",
    "Kw",
    "Nome",
    "Corto",
    "Misura",
    "valori_stampa",
    "osservazioni_stampa",
]

Kw = Annotated[Decimal, Field(gt=0, max_digits=9, decimal_places=3)]
Misura = Annotated[Decimal, Field(max_digits=9, decimal_places=3)]
Prove = tuple[Misura, Misura, Misura]
"""Prova 1, Prova 2, Prova 3 (the Media is computed)."""
CodiceNcA = Literal["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10", "A11", "A12",
                    "A13", "A14", "A15", "A16", "A17", "A18"]
Effettuata = Literal["Effettuata", "Non effettuata"]
# Issue 17: maximum lengths sized to the printed slots of A and B (the narrowest one, two lines at
# ≥ 5 pt; see templates/_base/campi.html.j2), refused in Italian naming the field and its maximum.
Nome = Annotated[str, Field(max_length=60)]
"""Names, ragioni sociali, comuni, indirizzi of a subject, costruttori (43–44 mm slots)."""
Indirizzo = Annotated[str, Field(max_length=80)]
"""Indirizzo of the ubicazione and of the delegato (62–78 mm)."""
Telefono = Annotated[str, Field(max_length=25)]
Codice = Annotated[str, Field(max_length=30)]
"""N° ispezione (24 mm), scala and piano are shorter still (:data:`Minimo`)."""
Minimo = Annotated[str, Field(max_length=10)]
Corto = Annotated[str, Field(max_length=40)]
"""'Altro (specificare)' texts, n° dichiarazione, modello / matricola (30–52 mm)."""
Nota = Annotated[str, Field(max_length=230)]
"""Texts printed on the two ruled lines of 6.d and 11 (185 mm at 7.4 pt), and the reason of 7."""


def voce(punto: str, etichetta: str, default: Any = None, *, facoltativo: bool = False) -> Any:
    """A form field: ``punto`` is the manual's number ("7.a"), used in error messages and to
    apply the points a failed test strikes; ``facoltativo`` exempts it from the never-blank rule."""
    extra: dict[str, Any] = {"punto": punto}
    if facoltativo:
        extra["facoltativo"] = True
    return Field(default, title=f"{punto} {etichetta}", json_schema_extra=extra)


class BloccoRdP(Modello):
    """A group of fields that the inspector may strike as a whole: ``"BARRATO"`` for the block
    stands for every one of its fields struck (e.g. B 1.m "deve essere barrato l'intero campo")."""

    @model_validator(mode="before")
    @classmethod
    def _barrato_intero(cls, data: Any) -> Any:
        if data == BARRATO:
            return {name: BARRATO for name in cls.model_fields}
        return data


def _cf_o_barrato(value: str) -> str:
    return value if value == BARRATO else valida_cf_o_piva(value)


class SoggettoRdP(BloccoRdP):
    """Subject block printed four times in section 1."""  # FORMS.md §0.5

    ragione_sociale: Barrabile[Nome] = voce("", "Ragione sociale")
    cognome_nome: Barrabile[Nome] = voce("", "Cognome e nome")
    indirizzo: Barrabile[Nome] = voce("", "Indirizzo")
    comune: Barrabile[Nome] = voce("", "Comune")
    cf_piva: Annotated[str, AfterValidator(_cf_o_barrato)] | None = voce("", "Cod. Fiscale / P. IVA")
    telefono: Barrabile[Telefono] = voce("", "Telefono")
    fax: Barrabile[Telefono] = voce("", "Fax")


class Ubicazione(Modello):
    comune: Nome = voce("1.g", "Comune", ...)
    localita: Barrabile[Nome] = voce("1.g", "Località")
    indirizzo: Indirizzo = voce("1.g", "Indirizzo", ...)
    scala: Barrabile[Minimo] = voce("1.g", "Scala")
    piano: Barrabile[Minimo] = voce("1.g", "Piano")


class Delegato(BloccoRdP):
    cognome_nome: Barrabile[Nome] = voce("1.h", "Cognome e nome")
    indirizzo: Barrabile[Indirizzo] = voce("1.h", "Indirizzo")


class Consumi(BloccoRdP):
    """Normally one unit is filled; the other two are then struck by themselves."""

    m3_anno: Barrabile[Misura] = voce("1.q", "Consumi (m3/anno)")
    kg_anno: Barrabile[Misura] = voce("1.q", "Consumi (kg/anno)")
    l_anno: Barrabile[Misura] = voce("1.q", "Consumi (l/anno)")


class StrumentoRdP(Strumento, BloccoRdP):
    """Instrument of section 7 / 7.c (marca, modello, matricola), strikable as a whole."""


class Osservazione(Modello):
    """One numbered annotation of 10.a, printed "(n) testo (campo)"."""

    testo: str = Field(min_length=1)
    campo: str | None = None
    """The field it refers to, e.g. "7.b" (R-A-40)."""


class Correzione(Modello):
    """An erroneous entry: "NO" is printed beside the field, the note is repeated in 10.a."""

    campo: str = Field(min_length=1)
    """Key path of the field, e.g. ``ubicazione.piano`` or ``generatori[0].t_fumi``."""
    nota: str = Field(min_length=1)
    """The corrected value / explanation."""




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


def richiede_altro(scelta: str | list[str], testo: str | None, punto: str) -> None:
    scelte = scelta if isinstance(scelta, list) else [scelta]
    if any(s.lower() == "altro" for s in scelte) and not testo:
        raise ValueError(f"Con «Altro» al punto {punto} specificare quale.")
    if testo and not any(s.lower() == "altro" for s in scelte):
        raise ValueError(f"Il testo «Altro» del punto {punto} va indicato solo scegliendo «Altro».")


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


# --- shared with Allegato B: esito inputs, never-blank rule, struck fields, print values ---------

_PATH_ESITO = {"fascia": "fascia_installazione", "pn_utile_kw": "pot_utile_nom_kw", "altro_testo": "combustibile_altro"}
"""domain.esito names → form keys, so that its errors point at the form's fields."""


def ingresso_generatore(m: Any, *, allegato: Literal["A", "B"], combustibile: str, tipo_caldaia: str | None,
                        foro_presente: bool, libretto_presente: bool, generatore_esterno: bool = False,
                        solo_acs: bool = False) -> IngressoEsito:
    """``IngressoEsito`` from one sheet's fields (A: the whole rapporto; B: one generator sheet)."""
    extra = {} if m.precedenti_negativo is None else {"precedenti_negativo": m.precedenti_negativo}
    return IngressoEsito(
        allegato=allegato, combustibile=combustibile, fluido=m.fluido.lower(), fascia=m.fascia(),
        classificazione=m.classificazione, pn_utile_kw=_numero(m.pot_utile_nom_kw),
        eta_min_manuale=m.eta_min_manuale, tipo_caldaia=tipo_caldaia, foro_presente=foro_presente,
        generatore_esterno=generatore_esterno, manut_corrente=m.manut_corrente,
        manut_precedenti=m.manut_precedenti, libretto_presente=libretto_presente,
        limiti_libretto_rispettati=m.limiti_libretto_rispettati,
        allegato_gf_presente=m.rct_presente == "Si",
        bacharach=_terna(m.bacharach), t_mandata=_terna(m.t_mandata), t_aria=_terna(m.t_aria),
        t_fumi=_terna(m.t_fumi), co_misurato=_terna(m.co_misurato), o2_co2=_terna(m.o2_co2),
        cella=m.cella if m.cella in ("O2", "CO2") else "O2", tiraggio_pa=_numero(m.tiraggio_pa),
        solo_acs=solo_acs, prova_in_acs=m.prova_in_acs, misure_impossibili=m.misure_impossibili,
        codici_nc=tuple(m.codici_nc) if isinstance(m.codici_nc, list) else (), **extra,
    )


def valuta(m: Any, prefix: tuple[str | int, ...] = ()) -> EsitoRapporto:
    """Run ``domain.esito`` on a sheet; its RuleViolations are re-raised on the form's key paths."""
    try:
        return valuta_rapporto(m.ingresso_esito())
    except RuleViolation as exc:
        path = tuple(_PATH_ESITO.get(p, p) if isinstance(p, str) else p for p in exc.path)
        raise RuleViolation(exc.message, path=prefix + path) from None


def _numero(value: Any) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def _terna(value: Any) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    return tuple(value) if isinstance(value, tuple) else (None, None, None)  # type: ignore[return-value]


def _punto(field: Any) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return str(extra.get("punto", ""))


_BLOCCHI = (BloccoRdP, Ubicazione)


def _walk(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(key path, field info, value) of every field; sub-models are entered after their own row."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        yield path, field, value
        if isinstance(value, _BLOCCHI):
            yield from _walk(value, f"{path}.")


def _colpito(punto: str, barrati: frozenset[str] | set[str]) -> bool:
    return bool(punto) and (punto in barrati or punto.split(".")[0] in barrati)


def barrati_dati_generali(m: Any, punti: frozenset[str] | set[str]) -> set[str]:
    """Struck fields of sections 1–4 (A) / foglio 1 (B): the points of ``campi_barrati`` (1.p,
    4.c, 5.b on A, 4.b on B), 1.e/1.f when nothing was declared, 1.l for several units (R-A-04)
    and the unused consumption units."""
    out = {path for path, field, _ in _walk(m) if _colpito(_punto(field), punti)}
    if m.dichiarato == "No":
        out |= {"n_dichiarazione", "data_dichiarazione"}
    if m.servizio == "Più unità immobiliari":
        out |= {f"occupante.{k}" for k in ("ragione_sociale", "cognome_nome", "telefono", "fax")}
    if isinstance(m.consumi, Consumi) and any(v is not None for _, v in m.consumi):
        out |= {f"consumi.{k}" for k, v in m.consumi if v is None}
    return out


def barrati_foglio(m: Any, esito: EsitoRapporto) -> set[str]:
    """Struck fields of one generator's sections (A 3, 6–12; B 5–12): the points of
    ``campi_barrati`` (7.x, 8.x, 9, 10.b), the unused fuel-flow unit, 6.c/6.d without an
    allegato G/F and 11 without declarations."""
    out = {path for path, field, _ in _walk(m) if _colpito(_punto(field), esito.campi_barrati)}
    portate = [k for k in ("portata_m3h", "portata_kgh") if getattr(m, k) is not None]
    out |= {k for k in ("portata_m3h", "portata_kgh") if k not in portate} if portate else set()
    if m.rct_presente == "No":
        out |= {"rct_con_prescrizioni", "note_prescrizioni"}
    elif m.rct_con_prescrizioni != "Si":
        out.add("note_prescrizioni")
    if m.dichiarazioni_responsabile is None:
        out.add("dichiarazioni_responsabile")
    return out


def _blocco(annotation: Any) -> type[BaseModel] | None:
    """The sub-model class a field may hold (``SoggettoRdP | "BARRATO" | None`` → SoggettoRdP)."""
    for arg in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(arg, type) and issubclass(arg, _BLOCCHI):
            return arg
    return None


def campi_vuoti(m: Any, barrati: set[str], prefix: tuple[str | int, ...] = ()) -> list[RuleViolation]:
    """Never leave blank (FORMS.md §0.4): one Italian error per empty field that no rule strikes."""
    errors: list[RuleViolation] = []
    for path, field, value in _walk(m):
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        parent = path.rsplit(".", 1)[0] if "." in path else None
        if value is not None or extra.get("facoltativo") or path in barrati or (parent and parent in barrati):
            continue
        errors.append(RuleViolation(
            f"Campo vuoto ({(field.title or path).strip()}): sul rapporto di prova nessun campo può restare "
            "in bianco; compilarlo oppure annullarlo con \"BARRATO\".",
            path=prefix + tuple(path.split(".")),
        ))
    return errors


def completezza_a(m: AllegatoA) -> None:
    """Registry rule of Allegato A: every empty, non-struck field is reported at once."""
    errors = campi_vuoti(m, m.barrati(m.esito()))
    if errors:
        raise ValidationFailed(errors)


_PROVE = ("bacharach", "t_mandata", "t_aria", "t_fumi", "co_misurato", "o2_co2")


def valori_stampa(m: Any, barrati: set[str], esito: EsitoRapporto | None,
                  correzioni: list[Correzione], prefix: str = "") -> dict[str, Any]:
    """Key path → what the template prints: the value, or "BARRATO" (typed by the inspector or
    struck by a rule). A block struck as a whole strikes its sub-fields; the three prove are
    ``<key>.1``..``.3`` and ``<key>.media`` (the Media comes from the esito). ``_no`` lists the
    fields corrected with a "NO" (§0.4)."""
    out: dict[str, Any] = {}
    for path, _field, value in _walk(m):
        parent = path.rsplit(".", 1)[0] if "." in path else None
        struck = value == BARRATO or path in barrati or (parent is not None and out.get(parent) == BARRATO)
        out[path] = BARRATO if struck else value
        if path in _PROVE:
            for i in (1, 2, 3):
                out[f"{path}.{i}"] = BARRATO if struck else (value[i - 1] if isinstance(value, tuple) else None)
            out[f"{path}.media"] = BARRATO if struck else (esito.medie.get(path) if esito else None)
    for path, field, value in list(_walk(m)):  # blocks struck or left empty as a whole
        cls = _blocco(field.annotation)
        if cls is not None and not isinstance(value, BaseModel):
            for k in cls.model_fields:
                out[f"{path}.{k}"] = BARRATO if out[path] == BARRATO else None
    out["_no"] = [c.campo.removeprefix(prefix) for c in correzioni if c.campo.startswith(prefix)]
    return out


def osservazioni_stampa(m: Any, esito: EsitoRapporto, correzioni: list[Correzione],
                        altre: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """10.a as printed, numbered from 1: the inspector's notes, the notes the rules require
    (``esito.motivazioni``, with the NC codes beyond the 8 slots, AMB-11), one note per
    correction (§0.4) and the refusal to sign (R-A-51)."""
    righe = [{"testo": o.testo, "campo": o.campo} for o in m.osservazioni]
    scritte = {o.testo.strip().lower() for o in m.osservazioni}
    for nota in (*esito.motivazioni, *altre):
        testo, _, campo = nota.rpartition(" (")
        if nota.strip().lower() not in scritte and testo.strip().lower() not in scritte:
            righe.append({"testo": testo or nota, "campo": campo.rstrip(")") if testo else None})
    righe += [{"testo": f"NO: {c.nota}", "campo": c.campo} for c in correzioni]
    if m.rifiuto_firma:
        righe.append({"testo": "Il responsabile dell'impianto o il suo delegato ha rifiutato di firmare "
                               "il rapporto di prova", "campo": "12.a"})
    return [{"n": i, **r} for i, r in enumerate(righe, start=1)]


def calcoli_foglio(m: Any, esito: EsitoRapporto, correzioni: list[Correzione], prefix: str = "",
                   altre: tuple[str, ...] = ()) -> dict[str, Any]:
    """Everything one sheet's template needs: print values, esito, numbered 10.a, 8 printed codes."""
    return {
        "campi": valori_stampa(m, m.barrati(esito), esito, correzioni, prefix),
        "esito": {f.name: getattr(esito, f.name) for f in fields(esito)},
        "osservazioni": osservazioni_stampa(m, esito, correzioni, altre),
        "codici": list(esito.codici_nc),
    }
