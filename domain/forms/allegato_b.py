"""Allegato B — Rapporto di prova per impianti termici uguali o superiori a 35 kW (FORMS.md §3).

Foglio 1 (sections 1–4, data of the centrale termica) are the top-level keys; ``generatori``
holds one "secondo foglio" per generator (sections 5–12, with its own esito, osservazioni,
dichiarazioni and signatures; S1 L3069–3075). ``fogli_totali = 1 + len(generatori)``.

Sections 1, 2 and 6–12 reuse the blocks of ``allegato_a`` (same fields, §3.3 and §3.8) and, as A
does, the sub-blocks and machinery of ``rapporto_prova`` (esito inputs, struck fields, never-blank
rule, print values). Fields
B does not print but its rules need are kept on the generator sheet and documented: the fuel in
use when foglio 1 marks two (2.d), the appliance type for the tiraggio (AMB-21) and the
presence of the sampling hole (R-A-09, printed on A only).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from domain.combustione.combustibili import combustibile_tecnico
from domain.errors import RuleViolation, ValidationFailed
from domain.esito_dati import EsitoRapporto, IngressoEsito
from domain.forms.allegato_a import DatiGenerali, DatiInstallazione, Destinazione, Intestazione, MisureEsito
from domain.forms.comuni import Barrabile, SiNo
from domain.forms.rapporto_prova import (
    Correzione,
    Corto,
    Kw,
    Misura,
    Nome,
    barrati_dati_generali,
    barrati_foglio,
    calcoli_foglio,
    campi_vuoti,
    ingresso_generatore,
    richiede_altro,
    valori_stampa,
    valuta,
    voce,
)

__all__ = ["AllegatoB", "GeneratoreB", "CombustibileB", "completezza_b", "esito_complessivo"]

CombustibileB = Literal["Gas naturale", "GPL", "Gasolio", "Olio combustibile", "Altro"]
CodiceNcB = Literal["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "C11", "C12", "C13", "C14"]
SiNoNonSegn = Literal["Si", "No", "Non segn."]
SiNoIncompleta = Literal["Si", "No", "Incompleta"]


class GeneratoreB(DatiInstallazione, MisureEsito):
    """One generator sheet: sections 5 (GENERATORE) to 12."""

    data_installazione_gen: date | Literal["dopo il 29/10/1993"] = voce("5.b", "Data installazione gen.", ...)
    data_realizzazione_impianto: date = voce("5.c", "Data realizzazione impianto", ...)
    fluido: Literal["Acqua", "Aria", "Altro"] = voce("5.d", "Fluido termovettore", ...)
    fluido_altro: Corto | None = voce("5.d", "Altro fluido (specificare)", facoltativo=True)
    costruttore_caldaia: Barrabile[Nome] = voce("5.e", "Costruttore caldaia")
    modello_caldaia: Corto | None = voce("5.f", "Modello caldaia", facoltativo=True)  # AMB-20
    matricola_caldaia: Barrabile[Corto] = voce("5.f", "Matricola caldaia")
    costruttore_bruciatore: Barrabile[Annotated[str, Field(max_length=50)]] = voce("5.g", "Costruttore bruciatore")
    modello_bruciatore: Corto | None = voce("5.h", "Modello bruciatore", facoltativo=True)  # AMB-20
    matricola_bruciatore: Barrabile[Corto] = voce("5.h", "Matricola bruciatore")
    classificazione: Literal["Standard", "a bassa temperatura", "a gas a condensazione"] = voce(
        "5.i", "Classificazione DPR 660/96", ...)
    pot_focolare_nom_kw: Barrabile[Kw] = voce("5.l", "Potenza termica al focolare nominale (kW)")
    pot_utile_nom_kw: Barrabile[Kw] = voce("5.l", "Potenza termica utile nominale (kW)")
    bruciatore_da_kw: Barrabile[Kw] = voce("5.l", "Campo di lavoro bruciatore da (kW)")
    bruciatore_a_kw: Barrabile[Kw] = voce("5.l", "Campo di lavoro bruciatore a (kW)")
    portata_m3h: Barrabile[Misura] = voce("5.m", "Portata di combustibile (m3/h)")
    portata_kgh: Barrabile[Misura] = voce("5.m", "Portata di combustibile (kg/h)")
    pot_focolare_misurata_kw: Barrabile[Kw] = voce("5.m", "Potenza termica al focolare misurata (kW)")

    codici_nc: list[CodiceNcB] | Literal["BARRATO"] | None = voce("10.b", "Codici elenco non conformità")

    combustibile: CombustibileB | None = voce(
        "2.d", "Combustibile in uso al momento della prova (se il foglio 1 ne indica due)", facoltativo=True)
    tipo_caldaia: Literal["B", "C"] | None = voce(
        "7.c", "Tipo di apparecchio per il tiraggio (non stampato)", facoltativo=True)  # AMB-21
    foro_presente: SiNo = voce("7", "Foro per prelievo presente e accessibile (non stampato su B)", "Si",
                               facoltativo=True)

    @model_validator(mode="after")
    def _altro(self) -> Any:
        richiede_altro(self.fluido, self.fluido_altro, "5.d")
        return self

    def esito_per(self, foglio: AllegatoB, indice: int) -> EsitoRapporto:
        """This sheet's esito; fuel, libretto and ACS-only come from foglio 1."""
        return valuta(_Foglio(self, foglio), ("generatori", indice))

    def barrati(self, esito: EsitoRapporto) -> set[str]:
        return barrati_foglio(self, esito)


class _Foglio:
    """A generator sheet seen together with foglio 1, as ``valuta`` expects (``ingresso_esito``)."""

    def __init__(self, gen: GeneratoreB, foglio: AllegatoB) -> None:
        self.gen, self.foglio = gen, foglio

    def ingresso_esito(self) -> IngressoEsito:
        f, g = self.foglio, self.gen
        scelta = g.combustibile or f.combustibile[0]
        return ingresso_generatore(
            g, allegato="B", combustibile=combustibile_tecnico(scelta, f.combustibile_altro),
            tipo_caldaia=g.tipo_caldaia, foro_presente=g.foro_presente == "Si",
            libretto_presente=f.libretto_centrale == "Si",
            solo_acs=f.destinazione_uso == ["Produzione di acqua calda sanitaria"],
        )


class AllegatoB(Intestazione, DatiGenerali, Destinazione):
    """Rapporto di prova per impianti termici uguali o superiori a 35 kW (DGR 18/09/2007, Allegato B)."""

    combustibile: list[CombustibileB] = Field(..., min_length=1, max_length=2, title="2.d Combustibile")
    combustibile_altro: Corto | None = voce("2.d", "Altro combustibile (specificare)", facoltativo=True)

    ubicazione_conforme: Barrabile[SiNo] = voce("3.a", "Ubicazione locale conforme alle prescrizioni di legge")
    areazione_sufficiente: Barrabile[SiNo] = voce("3.b", "Sistema di areazione del locale sufficiente")
    accesso_conforme: Barrabile[SiNo] = voce("3.c", "Accesso alla centrale conforme alle prescrizioni di legge")
    rubinetto_esterno: Barrabile[SiNoNonSegn] = voce("3.d", "Rubinetto di intercettazione manuale esterno presente")
    interruttore_esterno: Barrabile[SiNoNonSegn] = voce("3.e", "Interruttore generale esterno presente")
    assenza_materiali: Barrabile[SiNo] = voce("3.f", "Assenza di materiali estranei alla centrale")
    estintori: SiNo = voce("3.g", "Mezzi di estinzione degli incendi presenti", ...)
    estintori_revisione: Barrabile[date] = voce("3.g", "Data ultima revisione dei mezzi di estinzione")
    cartellonistica: SiNoIncompleta = voce("3.h", "Cartellonistica prevista presente", ...)

    libretto_centrale: SiNo = voce("4.a", "Libretto della centrale termica presente", ...)
    libretto_completo: Barrabile[SiNo] = voce("4.b", "Compilazione libretto di centrale completa")
    libretti_caldaie: SiNoIncompleta = voce("4.c", "Libretto/i di uso e manutenzione caldaia/e presente/i", ...)
    libretti_bruciatori: SiNoIncompleta = voce("4.d", "Libretto/i di uso e manutenzione bruciatore/i presente/i", ...)
    dich_conf_termico: SiNo = voce("4.e", "Dichiarazione di conformità impianto termico presente", ...)
    dich_conf_elettrico: SiNo = voce("4.f", "Dichiarazione di conformità impianto elettrico presente", ...)
    denuncia_ispesl: Barrabile[SiNo] = voce("4.g", "Denuncia all'ISPESL per generatori in pressione")
    cpi: Barrabile[SiNo] = voce("4.h", "Certificato prevenzione incendi per impianti > 116, 3 kW")

    autocertificazioni_2_anni: bool | None = voce(
        "10.a", "Olio combustibile: autocertificazioni degli ultimi due anni presenti", facoltativo=True)
    analisi_chimico_2_anni: bool | None = voce(
        "10.a", "Olio combustibile: analisi degli ultimi due anni firmate da un chimico presenti", facoltativo=True)

    generatori: list[GeneratoreB] = Field(..., min_length=1, title="Fogli dei generatori (sezioni 5–12)")
    correzioni: list[Correzione] = voce("10.a", "Correzioni (NO accanto al campo)", [], facoltativo=True)

    @model_validator(mode="after")
    def _combustibili(self) -> Any:
        richiede_altro(self.combustibile, self.combustibile_altro, "2.d")
        if self.estintori == "No" and self.estintori_revisione not in (None, "BARRATO"):
            raise ValueError("Senza mezzi di estinzione (3.g No) la data di revisione non va indicata.")
        for i, g in enumerate(self.generatori):
            if len(self.combustibile) > 1 and g.combustibile is None:
                raise ValueError(f"Il foglio 1 indica due combustibili: per il generatore {i + 1} indicare "
                                 "quello in uso al momento della prova (generatori[].combustibile).")
            if g.combustibile is not None and g.combustibile not in self.combustibile:
                raise ValueError(f"Il combustibile del generatore {i + 1} ({g.combustibile}) non è tra quelli "
                                 "segnati al punto 2.d.")
        return self

    @property
    def fogli_totali(self) -> int:
        return 1 + len(self.generatori)

    def esiti(self) -> list[EsitoRapporto]:
        """One esito per generator (``domain.esito``), errors on ``generatori[i].<key>``."""
        return [g.esito_per(self, i) for i, g in enumerate(self.generatori)]

    def barrati(self, esiti: list[EsitoRapporto]) -> set[str]:
        """Struck fields of foglio 1 (1.p and 4.b come from the generators' esiti)."""
        punti = {p for e in esiti for p in e.campi_barrati if p in ("1.p", "4.b")}
        out = barrati_dati_generali(self, punti)
        if self.estintori == "No":
            out.add("estintori_revisione")
        return out

    def _note_olio(self, g: GeneratoreB) -> tuple[str, ...]:
        """§3.9: for olio combustibile, missing self-certifications/analyses are noted in 10 only."""
        fuel = g.combustibile or self.combustibile[0]
        if fuel != "Olio combustibile":
            return ()
        note = []
        if self.autocertificazioni_2_anni is False:
            note.append("Mancano le autocertificazioni degli ultimi due anni (D.G.R. 27 giugno 2006 n. 2839) (10)")
        if self.analisi_chimico_2_anni is False:
            note.append("Mancano le analisi degli ultimi due anni firmate da un chimico iscritto all'albo "
                        "(D.G.R. 27 giugno 2006 n. 2839) (10)")
        return tuple(note)

    def calcoli(self) -> dict[str, Any]:
        """What the template prints: foglio 1 values, then one sheet per generator."""
        esiti = self.esiti()
        generali = [c for c in self.correzioni if not c.campo.startswith("generatori")]
        fogli = []
        for i, (g, e) in enumerate(zip(self.generatori, esiti)):
            prefix = f"generatori[{i}]."
            proprie = [c for c in self.correzioni if c.campo.startswith(prefix)] + (generali if i == 0 else [])
            fogli.append({**calcoli_foglio(g, e, proprie, prefix, self._note_olio(g)),
                          "numero": i + 2, "n_generatore": i + 1})
        return {
            "foglio1": {"campi": valori_stampa(self, self.barrati(esiti), None, generali)},
            "generatori": fogli,
            "fogli_totali": self.fogli_totali,
            "esito_complessivo": esito_complessivo(esiti),
        }


def esito_complessivo(esiti: list[EsitoRapporto]) -> str:
    """Overall esito of a B: "9.b" if any generator fails, "9.a" if any passes, else "BARRATO"."""
    valori = {e.esito for e in esiti}
    return "9.b" if "9.b" in valori else "9.a" if "9.a" in valori else "BARRATO"


def completezza_b(m: AllegatoB) -> None:
    """Registry rule of Allegato B: foglio 1 and every generator sheet, never blank (§0.4)."""
    esiti = m.esiti()
    errors: list[RuleViolation] = campi_vuoti(m, m.barrati(esiti))
    for i, (g, e) in enumerate(zip(m.generatori, esiti)):
        errors += campi_vuoti(g, g.barrati(e), ("generatori", i))
    if errors:
        raise ValidationFailed(errors)


def esempio() -> dict[str, Any]:
    """Condominio in Brescia, via Solferino 32: two gasolio generators (Bacharach readings).

    Generator 1 (2004, bassa temperatura, 180 kW utili) passes; generator 2 (1991, standard,
    115 kW utili) has two Bacharach readings above 2: 8.c fails and the rest of 7, 8.b and 8.d
    are struck, so the rapporto "non rientra" (9.b) for that generator.
    """
    amministratore = {"ragione_sociale": "Studio Amministrazioni Lombarde S.r.l.", "cognome_nome": "Gatti Paola",
                      "indirizzo": "Corso Zanardelli 18", "comune": "Brescia (BS)", "cf_piva": "02418600173",
                      "telefono": "030 3756120", "fax": "030 3756121"}
    comuni = {
        "data_realizzazione_impianto": "1991-09-30", "fluido": "Acqua",
        "analisi_combustione": "Effettuata", "rct_presente": "Si", "rct_con_prescrizioni": "No",
        "strumento_combustione": {"marca": "Seitron", "modello": "Chemist 400", "matricola": "C4-071538"},
        "cella": "O2", "tipo_caldaia": "B",
        "strumento_tiraggio": {"marca": "Seitron", "modello": "Chemist 400", "matricola": "C4-071538"},
        "manut_corrente": "Effettuata", "manut_precedenti": "Effettuata", "codici_nc": [],
        "portata_m3h": "BARRATO",
    }
    return {
        "biennio_da": 2025, "biennio_a": 2026,
        "codice_catasto": "017029CT0000311",
        "data_ispezione": "2026-01-22", "numero_ispezione": "BS-2026/0087",
        "ispettore": "Zanardi Marco - ispettore Comune di Brescia n. 14",
        "dichiarato": "Si", "n_dichiarazione": "F-2025-004512", "data_dichiarazione": "2025-10-28",
        "ubicazione": {"comune": "Brescia (BS)", "localita": "BARRATO", "indirizzo": "Via Solferino 32",
                       "scala": "BARRATO", "piano": "S1"},
        "delegato": {"cognome_nome": "Rinaldi Stefano", "indirizzo": "Via Triumplina 118, Brescia"},
        "responsabile_ruolo": "Amministratore",
        "occupante": {"ragione_sociale": "BARRATO", "cognome_nome": "BARRATO", "indirizzo": "Via Solferino 32",
                      "comune": "Brescia (BS)", "cf_piva": "BARRATO", "telefono": "BARRATO", "fax": "BARRATO"},
        "proprietario": "BARRATO",
        "terzo_resp_manutentore": {"ragione_sociale": "Termoservizi Bresciani S.r.l.", "cognome_nome": "Ferrari Luca",
                                   "indirizzo": "Via Triumplina 118", "comune": "Brescia (BS)",
                                   "cf_piva": "03187650175", "telefono": "030 2091456", "fax": "BARRATO"},
        "amministratore": amministratore,
        "volumetria_m3": "9850",
        "consumi": {"l_anno": "38500"},
        "destinazione_prevalente": "Residenziale",
        "servizio": "Più unità immobiliari",
        "destinazione_uso": ["Riscaldamento ambienti", "Produzione di acqua calda sanitaria"],
        "combustibile": ["Gasolio"],
        "ubicazione_conforme": "Si", "areazione_sufficiente": "Si", "accesso_conforme": "Si",
        "rubinetto_esterno": "Si", "interruttore_esterno": "Non segn.", "assenza_materiali": "No",
        "estintori": "Si", "estintori_revisione": "2025-09-15", "cartellonistica": "Incompleta",
        "libretto_centrale": "Si", "libretto_completo": "Si", "libretti_caldaie": "Si",
        "libretti_bruciatori": "Incompleta", "dich_conf_termico": "Si", "dich_conf_elettrico": "No",
        "denuncia_ispesl": "Si", "cpi": "Si",
        "generatori": [
            {**comuni,
             "data_installazione_gen": "2004-10-12", "data_realizzazione_impianto": "1991-09-30",
             "costruttore_caldaia": "Riello", "modello_caldaia": "RTQ 200", "matricola_caldaia": "0412RT18830",
             "costruttore_bruciatore": "Riello", "modello_bruciatore": "Gulliver RG3",
             "matricola_bruciatore": "17650043", "classificazione": "a bassa temperatura",
             "pot_focolare_nom_kw": "196", "pot_utile_nom_kw": "180", "bruciatore_da_kw": "95",
             "bruciatore_a_kw": "220", "portata_kgh": "16.2", "pot_focolare_misurata_kw": "192.3",
             "data_ultima_manutenzione": "2025-10-03",
             "bacharach": ["1", "1", "2"], "t_mandata": ["71", "72", "72"], "t_aria": ["18", "18.5", "18.5"],
             "t_fumi": ["176", "179", "178"], "co_misurato": ["18", "22", "20"], "o2_co2": ["4.1", "4.3", "4.2"],
             "tiraggio_pa": "6.5"},
            {**comuni,
             "data_installazione_gen": "1991-09-30",
             "costruttore_caldaia": "Ferroli", "modello_caldaia": "Prextherm 130", "matricola_caldaia": "FR91-220714",
             "costruttore_bruciatore": "Baltur", "modello_bruciatore": "BTL 14", "matricola_bruciatore": "BA-5521809",
             "classificazione": "Standard",
             "pot_focolare_nom_kw": "128", "pot_utile_nom_kw": "115", "bruciatore_da_kw": "70",
             "bruciatore_a_kw": "140", "portata_kgh": "10.6", "pot_focolare_misurata_kw": "125.8",
             "data_ultima_manutenzione": "2025-10-03",
             "bacharach": ["3", "4", "2"], "t_mandata": "BARRATO", "t_aria": "BARRATO", "t_fumi": "BARRATO",
             "co_misurato": "BARRATO", "o2_co2": "BARRATO",
             "osservazioni": [{"testo": "Fumosità elevata: consigliata la pulizia del focolare e la "
                                        "regolazione del bruciatore", "campo": "7.a"}],
             "codici_nc": ["C8"],
             "dichiarazioni_responsabile": "Il delegato dichiara che la manutenzione straordinaria del "
                                           "bruciatore è programmata entro 30 giorni."},
        ],
    }
