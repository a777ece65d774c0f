"""Allegato G — Rapporto di controllo tecnico per impianti < 35 kW (FORMS.md §8).

Keys are those of FORMS.md §8.2–§8.6. Where the spec gives labels but no keys (the check grid
B–G, the measurement row of H) the keys are the printed labels in snake_case, grouped by
section. The parts Allegato F shares (responsabile, consumi, technician, measurement row,
notes) are in ``rapporto_controllo``, which ``allegato_f`` imports too.

Values are real, or ``None`` (left blank: printed as a dotted line / empty box). The
cross-field rules of §8.8 that the seed states as rules are validators (Italian ``ValueError``);
the ones it states as advice are *avvisi* (:func:`avvisi`), which never block a render.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from domain.forms.comuni import Modello
from domain.forms.rapporto_controllo import (FACOLTATIVI, POTENZA_LIMITE_KW, Anno, Controllo, Kw,
                                             MisuraCombustione, Note, avviso_prescrizioni, avviso_telefono,
                                             campi_vuoti, riga, verifica_misura, verifica_potenze)

__all__ = [
    "AllegatoG",
    "DocumentazioneG",
    "EsameLocaleG",
    "CanaliFumoG",
    "EvacuazioneG",
    "ApparecchioG",
    "ControlloImpiantoG",
    "RIGHE_G",
    "SENZA_NC",
    "DESCRITTIVE",
    "avvisi",
    "verifica_altro",
]

RigaSiNo = Literal["SI", "NO", "BARRATO"]
RigaSiNoNC = Literal["SI", "NO", "N.C.", "BARRATO"]
RigaPNNA = Literal["P", "N", "N.A.", "BARRATO"]
"""Grid rows: an answer, or BARRATO (row struck: not applicable to this appliance), or None (blank)."""


class DocumentazioneG(Modello):
    """B. DOCUMENTAZIONE TECNICA DI CORREDO."""

    dichiarazione_conformita: RigaSiNo | None = None
    libretto_impianto: RigaSiNo | None = None
    libretto_uso_manutenzione: RigaSiNo | None = None


class EsameLocaleG(Modello):
    """C. ESAME VISIVO DEL LOCALE DI INSTALLAZIONE (with the printed "ES" marker: ``c_esterno``)."""

    idoneita_locale: RigaSiNo | None = None
    aperture_dimensioni: RigaSiNo | None = None
    aperture_libere: RigaSiNo | None = None


class CanaliFumoG(Modello):
    """D. ESAME VISIVO DEI CANALI DA FUMO."""

    pendenza: RigaSiNo | None = None
    sezioni: RigaSiNo | None = None
    curve: RigaSiNo | None = None
    lunghezza: RigaSiNo | None = None
    stato_conservazione: RigaSiNo | None = None


class EvacuazioneG(Modello):
    """E. CONTROLLO EVACUAZIONE PRODOTTI DI COMBUSTIONE."""

    camino_singolo: RigaSiNo | None = None
    canna_collettiva_ramificata: RigaSiNo | None = None
    scarico_parete: RigaSiNo | None = None
    riflussi_tiraggio_naturale: RigaSiNo | None = None
    perdite_tiraggio_forzato: RigaSiNo | None = None


class ApparecchioG(Modello):
    """F. CONTROLLO DELL'APPARECCHIO (SI / NO / N.C.)."""

    ugelli_puliti: RigaSiNoNC | None = None
    rompitiraggio: RigaSiNoNC | None = None
    scambiatore_pulito: RigaSiNoNC | None = None
    accensione_regolare: RigaSiNoNC | None = None
    dispositivi_comando: RigaSiNoNC | None = None
    assenza_perdite: RigaSiNoNC | None = None
    valvola_sicurezza: RigaSiNoNC | None = None
    vaso_espansione: RigaSiNoNC | None = None
    dispositivi_sicurezza: RigaSiNoNC | None = None
    organi_integri: RigaSiNoNC | None = None
    circuito_aria: RigaSiNoNC | None = None
    guarnizione: RigaSiNoNC | None = None


class ControlloImpiantoG(Modello):
    """G. CONTROLLO DELL'IMPIANTO (P / N / N.A.)."""

    fughe_gas: RigaPNNA | None = None
    coibentazioni: RigaPNNA | None = None
    evacuazione_fumi: RigaPNNA | None = None


RIGHE_G: dict[str, tuple[tuple[str, str], ...]] = {
    "documentazione": (
        ("dichiarazione_conformita", "Dichiarazione di conformità dell'impianto"),
        ("libretto_impianto", "Libretto di impianto"),
        ("libretto_uso_manutenzione", "Libretto d'uso e manutenzione"),
    ),
    "esame_locale": (
        ("idoneita_locale", "Idoneità del locale di installazione"),
        ("aperture_dimensioni", "Adeguate dimensioni aperture ventilazione"),
        ("aperture_libere", "Aperture di ventilazione libere da ostruzioni"),
    ),
    "canali_fumo": (
        ("pendenza", "Pendenza corretta"),
        ("sezioni", "Sezioni corrette"),
        ("curve", "Curve corrette"),
        ("lunghezza", "Lunghezza corretta"),
        ("stato_conservazione", "Buono stato di conservazione"),
    ),
    "evacuazione": (
        ("camino_singolo", "Scarico in camino singolo"),
        ("canna_collettiva_ramificata", "Scarico in canna fumaria collettiva ramificata"),
        ("scarico_parete", "Scarico a parete"),
        ("riflussi_tiraggio_naturale",
         "Per apparecchio a tiraggio naturale: non esistono riflussi dei fumi nel locale"),
        ("perdite_tiraggio_forzato",
         "Per apparecchi a tiraggio forzato: assenza di perdite dai condotti di scarico"),
    ),
    "apparecchio": (
        ("ugelli_puliti", "Ugelli del bruciatore principale e del bruciatore pilota (se esiste) puliti"),
        ("rompitiraggio", "Dispositivo rompitiraggio-antivento privo di evidenti tracce di deterioramento, "
                          "ossidazione e/o corrosione"),
        ("scambiatore_pulito", "Scambiatore lato fumi pulito"),
        ("accensione_regolare", "Accensione e funzionamento regolari"),
        ("dispositivi_comando", "Dispositivi di comando e regolazione funzionanti correttamente"),
        ("assenza_perdite", "Assenza di perdite e ossidazioni dai/sui raccordi"),
        ("valvola_sicurezza", "Valvola di sicurezza contro la sovrapressione a scarico libero"),
        ("vaso_espansione", "Vaso di espansione carico"),
        ("dispositivi_sicurezza", "Dispositivi di sicurezza non manomessi e/o cortocircuitati"),
        ("organi_integri", "Organi soggetti a sollecitazioni termiche integri e senza segni di usura "
                           "e/o deformazione"),
        ("circuito_aria", "Circuito aria pulito e libero da qualsiasi impedimento"),
        ("guarnizione", "Guarnizione di accoppiamento al generatore integra"),
    ),
    "controllo_impianto": (
        ("fughe_gas", "Controllo assenza fughe di gas"),
        ("coibentazioni", "Ispezione visiva coibentazioni"),
        ("evacuazione_fumi", "Ispezione efficienza evacuazione fumi"),
    ),
}
"""Rows of sections B–G: (key, label exactly as printed), in printed order."""

SENZA_NC: frozenset[str] = frozenset({"accensione_regolare"})
"""F rows printed without an N.C. box (AMB-34: the one row the extraction lets us place)."""

_NEGATIVI = {"NO", "N"}
DESCRITTIVE: frozenset[str] = frozenset(
    {"evacuazione.camino_singolo", "evacuazione.canna_collettiva_ramificata", "evacuazione.scarico_parete"}
)
"""Rows that describe (where the flue gas goes) rather than judge: a NO there is not a defect."""
_GAS = {"gas naturale", "Gpl"}


class AllegatoG(Note, Controllo):
    TIPO_ETICHETTA: ClassVar[str | None] = "G"
    """RAPPORTO DI CONTROLLO TECNICO (Allegato G), potenza al focolare < 35 kW."""

    data_controllo: date
    # Issue 17: the 8–10 mm slots (one line at ≥ 5 pt) and the notes' single ruled line (186 mm, one
    # line shrunk down to the engine's 5.3 pt floor): all at their maximum, a copy keeps two pages.
    civico: Annotated[str, Field(max_length=9)] | None = None
    piano: Annotated[str, Field(max_length=7)] | None = None
    interno: Annotated[str, Field(max_length=7)] | None = None
    osservazioni: Annotated[str, Field(max_length=160)] | None = None
    raccomandazioni: Annotated[str, Field(max_length=160)] | None = None
    prescrizioni: Annotated[str, Field(max_length=160)] | None = None
    # A. IDENTIFICAZIONE DELL'IMPIANTO
    costruttore: riga(40) | None = None
    modello: riga(40) | None = None
    matricola: riga(30) | None = None
    pot_utile_kw: Kw | None = None
    pot_focolare_kw: Kw
    anno_costruzione: Anno | None = None
    data_installazione: date | None = None
    marcatura_efficienza: riga(45) | None = None
    uso: list[Literal["riscaldamento", "acqua calda sanitaria"]] = Field(default_factory=list, max_length=2)
    tipo_caldaia: Literal["B", "C"] | None = None
    combustibile: Literal["gas naturale", "Gpl", "Gasolio", "Kerosene", "Altro"] | None = None
    altro_testo: riga(24) | None = None
    tiraggio_tipo: Literal["naturale", "forzato"] | None = None
    locale: Literal["Locale tecnico", "Esterno", "Interno"] | None = None
    interno_testo: riga(35) | None = None
    # B–G
    documentazione: DocumentazioneG = Field(default_factory=DocumentazioneG)
    esame_locale: EsameLocaleG = Field(default_factory=EsameLocaleG)
    c_esterno: bool = False
    """Outdoor installation: only the printed "ES" is struck in section C (avvertenza 7)."""
    canali_fumo: CanaliFumoG = Field(default_factory=CanaliFumoG)
    evacuazione: EvacuazioneG = Field(default_factory=EvacuazioneG)
    apparecchio: ApparecchioG = Field(default_factory=ApparecchioG)
    controllo_impianto: ControlloImpiantoG = Field(default_factory=ControlloImpiantoG)
    # H. CONTROLLO DEL RENDIMENTO DI COMBUSTIONE
    rendimento_controllo: Literal["Effettuato", "Non effettuato"] | None = None
    misura: MisuraCombustione = Field(default_factory=MisuraCombustione)

    @field_validator("pot_focolare_kw")
    @classmethod
    def _sotto_35(cls, v: Decimal) -> Decimal:
        if v >= POTENZA_LIMITE_KW:
            raise ValueError(
                "L'Allegato G è per impianti con potenza al focolare inferiore a 35 kW: usare l'Allegato F."
            )
        return v

    @field_validator("uso")
    @classmethod
    def _uso_distinto(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("Ogni uso va indicato una sola volta.")
        return v

    @model_validator(mode="after")
    def _regole_g(self) -> "AllegatoG":
        verifica_potenze(self.pot_utile_kw, self.pot_focolare_kw)
        _date(self.anno_costruzione, self.data_installazione, self.data_controllo)
        verifica_altro(self.combustibile, self.altro_testo)
        if self.interno_testo and self.locale != "Interno":
            raise ValueError("La descrizione del locale interno si indica solo se il locale è «Interno».")
        if self.locale == "Esterno" and not self.c_esterno:
            raise ValueError("Installazione all'esterno: al punto C va barrata la scritta ES (avvertenza 7).")
        if self.c_esterno:
            if self.locale not in (None, "Esterno"):
                raise ValueError("La scritta ES del punto C si barra solo per installazione all'esterno (avvertenza 7).")
            if any(v is not None for v in self.esame_locale.model_dump().values()):
                raise ValueError("Installazione all'esterno: al punto C va barrata solo la scritta ES, "
                                 "senza rispondere alle tre voci (avvertenza 7).")
        for key in SENZA_NC:
            if getattr(self.apparecchio, key) == "N.C.":
                raise ValueError("«Accensione e funzionamento regolari» non prevede la risposta N.C.")
        verifica_misura(self.misura, self.rendimento_controllo, self.tipo_caldaia, self.combustibile in _GAS)
        if _ha_negativi(self) and not self.osservazioni:
            raise ValueError("Ogni dato negativo (NO / N) va motivato nello spazio OSSERVAZIONI (avvertenza 9).")
        return self


def _date(anno: int | None, installazione: date | None, controllo: date) -> None:
    if installazione and installazione > controllo:
        raise ValueError("La data di installazione non può essere successiva alla data del controllo.")
    if anno and installazione and anno > installazione.year:
        raise ValueError("L'anno di costruzione non può essere successivo all'installazione.")


def verifica_altro(combustibile: str | None, altro_testo: str | None) -> None:
    if combustibile == "Altro" and not altro_testo:
        raise ValueError("Combustibile «Altro»: specificare quale combustibile.")
    if altro_testo and combustibile not in ("Altro", None):
        raise ValueError("Il testo «Altro» del combustibile si indica solo scegliendo «Altro».")


def _ha_negativi(g: AllegatoG) -> bool:
    return any(
        value in _NEGATIVI and f"{section}.{key}" not in DESCRITTIVE
        for section in RIGHE_G
        for key, value in getattr(g, section).model_dump().items()
    )


def avvisi(model: AllegatoG) -> list[str]:
    """Advice the seed gives without making it a rule (FORMS.md §7.11, §8.8, §19): never blocking."""
    out = [a for a in (avviso_prescrizioni(model), avviso_telefono(model)) if a]
    esenti = set()
    if model.c_esterno:
        esenti |= {f"esame_locale.{k}" for k, _ in RIGHE_G["esame_locale"]}
    if model.rendimento_controllo == "Non effettuato":
        esenti |= {f"misura.{k}" for k in MisuraCombustione.model_fields}
    if model.tipo_caldaia == "C":
        esenti.add("misura.tiraggio_pa")
    if model.combustibile in _GAS:
        esenti.add("misura.bacharach")
    vuoti = [c for c in campi_vuoti(model) if c.split(".")[0] not in FACOLTATIVI and c not in esenti]
    if vuoti:
        out.append("Per valere come dichiarazione il rapporto va compilato in ogni sua parte; campi vuoti: "
                   + ", ".join(vuoti) + ".")
    return out
