"""Allegato G — Rapporto di controllo tecnico per impianti < 35 kW (FORMS.md §8).

Keys are those of FORMS.md §8.2–§8.6. Where the spec gives labels but no keys (the check grid
B–G, the measurement row of H) the keys are the printed labels in snake_case, grouped by
section. The parts Allegato F shares (responsabile, consumi, technician, measurement row,
notes) are defined here and imported by ``allegato_f``.

Values are real, or ``None`` (left blank: printed as a dotted line / empty box). The
cross-field rules of §8.8 that the seed states as rules are validators (Italian ``ValueError``);
the ones it states as advice are *avvisi* (:func:`avvisi`), which never block a render.
"""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from domain.codice import CodiceImpiantoStr
from domain.errors import RuleViolation
from domain.etichetta import parse_numero_etichetta
from domain.forms.comuni import BARRATO, Barrabile, Modello
from domain.identificativi import Cap

__all__ = [
    "AllegatoG",
    "Controllo",
    "Note",
    "Qualita",
    "Consumo",
    "Tecnico",
    "MisuraCombustione",
    "DocumentazioneG",
    "EsameLocaleG",
    "CanaliFumoG",
    "EvacuazioneG",
    "ApparecchioG",
    "ControlloImpiantoG",
    "RIGHE_G",
    "SENZA_NC",
    "DESCRITTIVE",
    "POTENZA_LIMITE_KW",
    "avvisi",
    "avviso_prescrizioni",
    "avviso_telefono",
    "campi_vuoti",
    "verifica_misura",
    "verifica_potenze",
    "verifica_altro",
    "FACOLTATIVI",
    "Anno",
    "Breve",
    "Kw",
    "Testo",
]

POTENZA_LIMITE_KW = Decimal("35")
"""G below, F at or above (FORMS.md §13.1 selection rule)."""

Qualita = Literal["proprietario", "occupante", "terzo responsabile", "amministratore"]
SiNoG = Literal["SI", "NO"]
RigaSiNo = Literal["SI", "NO", "BARRATO"]
RigaSiNoNC = Literal["SI", "NO", "N.C.", "BARRATO"]
RigaPNNA = Literal["P", "N", "N.A.", "BARRATO"]
"""Grid rows: an answer, or BARRATO (row struck: not applicable to this appliance), or None (blank)."""
Kw = Annotated[Decimal, Field(gt=0, max_digits=9, decimal_places=2)]
Valore = Annotated[Decimal, Field(max_digits=9, decimal_places=2)]
Testo = Annotated[str, Field(max_length=400)]
Breve = Annotated[str, Field(max_length=80)]
# Issue 17: narrower slots take fewer characters (two lines at ≥ 5 pt in the slot, G and F).
Medio = Annotated[str, Field(max_length=60)]
Corto = Annotated[str, Field(max_length=40)]
Telefono = Annotated[str, Field(max_length=20)]
# Issue 17: on G every row is full; a value on two lines raises its row, and a G whose every field is
# at its maximum must keep two pages per copy. The fields below fit ONE line at ≥ 5 pt in their G slot
# (width in mm × 0.94 characters); only indirizzo and responsabile_nome may take two lines.
def _riga(n: int) -> Any:
    return Annotated[str, Field(max_length=n)]
Anno = Annotated[int, Field(ge=1900, le=2100)]


class Consumo(Modello):
    """One row of "Consumi di combustibile: stagione di riscaldamento ……/…… Consumi ……(m3/kg)"."""

    stagione: Annotated[str, Field(pattern=r"^\d{4}/\d{2}(\d{2})?$")]
    """``aaaa/aa`` as printed (``2023/24``); ``aaaa/aaaa`` is accepted."""
    valore: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
    unita: Literal["m3", "kg"]

    @field_validator("stagione")
    @classmethod
    def _anni_consecutivi(cls, v: str) -> str:
        primo, secondo = v.split("/")
        if int(secondo) % 100 != (int(primo) + 1) % 100:
            raise ValueError("La stagione di riscaldamento va indicata come due anni consecutivi (es. 2023/24).")
        return v


class Tecnico(Modello):
    """TECNICO CHE HA EFFETTUATO IL CONTROLLO."""  # FORMS.md F §7.11, G §8.6

    nome_cognome: _riga(35) | None = None
    ragione_sociale: _riga(45) | None = None
    telefono: Telefono | None = None
    indirizzo: _riga(50) | None = None
    estremi_qualifica: _riga(55) | None = None


class MisuraCombustione(Modello):
    """One measurement row of G section H / F section F (columns as printed)."""

    temp_fumi: Valore | None = None
    temp_aria: Valore | None = None
    o2: Annotated[Decimal, Field(ge=0, le=21, max_digits=5, decimal_places=2)] | None = None
    co2: Annotated[Decimal, Field(ge=0, le=21, max_digits=5, decimal_places=2)] | None = None
    bacharach: Barrabile[Annotated[Decimal, Field(ge=0, le=9, max_digits=3, decimal_places=1)]] = None
    """Meaningful only for liquid fuels; struck for gas (AMB-35)."""
    co_ppm: Annotated[Decimal, Field(ge=0, max_digits=7, decimal_places=0)] | None = None
    rendimento: Annotated[Decimal, Field(gt=0, le=120, max_digits=5, decimal_places=1)] | None = None
    tiraggio_pa: Barrabile[Valore] = None
    """Only for type-B generators (G avvertenza 8)."""


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


class Note(Modello):
    """OSSERVAZIONI / RACCOMANDAZIONI / PRESCRIZIONI and the safety verdict (G once, F per generator sheet)."""

    osservazioni: Testo | None = None
    raccomandazioni: Testo | None = None
    prescrizioni: Testo | None = None
    puo_funzionare: SiNoG | None = None
    """"Ai fini della sicurezza l’impianto può funzionare SI ☐ NO ☐"."""


class Controllo(Modello):
    """Fields F and G share: where, who, consumptions, technician, etichetta."""

    numero_rapporto: _riga(28) | None = None
    comune: _riga(45)
    provincia_sigla: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    indirizzo: Breve
    cap: Cap | None = None
    responsabile_nome: Medio
    responsabile_tel: Telefono | None = None
    responsabile_indirizzo: Breve | None = None  # two lines allowed (62 mm)
    responsabile_qualita: Qualita | None = None
    proprietario_nome: _riga(45) | None = None
    proprietario_tel: Telefono | None = None
    proprietario_indirizzo: _riga(70) | None = None
    codice_catasto: CodiceImpiantoStr
    volumetria_m3: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)]
    """Required for validity as a dichiarazione (S1 L789–792)."""
    consumi: Annotated[list[Consumo], Field(min_length=2, max_length=2)]
    """The two heating seasons before the check, both required (S1 L789–792)."""
    tecnico: Tecnico = Field(default_factory=Tecnico)
    orario_arrivo: time | None = None
    orario_partenza: time | None = None
    numero_etichetta: Annotated[str, Field(max_length=40)] | None = None
    """Number of the etichetta di validazione bound to this rapporto (FORMS.md §15), if any;
    checked (format and check character, ``domain.etichetta``) and printed in its readable form."""

    TIPO_ETICHETTA: ClassVar[str | None] = None
    """``G`` or ``F``: the kind of etichetta that validates this form as a dichiarazione."""

    @field_validator("numero_etichetta")
    @classmethod
    def _etichetta_valida(cls, v: str | None) -> str | None:
        if v is None:
            return None
        try:
            numero = parse_numero_etichetta(v)
        except RuleViolation as exc:
            raise ValueError(exc.message) from None
        if cls.TIPO_ETICHETTA and numero.tipo != cls.TIPO_ETICHETTA:
            raise ValueError(f"Etichetta di tipo {numero.tipo}: questo modulo si convalida con un'etichetta "
                             f"{cls.TIPO_ETICHETTA}.")
        return numero.leggibile

    @field_validator("provincia_sigla", mode="before")
    @classmethod
    def _sigla_maiuscola(cls, v: object) -> object:
        return v.strip().upper() if isinstance(v, str) else v

    @model_validator(mode="after")
    def _regole_comuni(self) -> "Controllo":
        if self.orario_arrivo and self.orario_partenza and self.orario_partenza < self.orario_arrivo:
            raise ValueError("L'orario di partenza dall'impianto non può precedere l'orario di arrivo.")
        if self.consumi[0].stagione == self.consumi[1].stagione:
            raise ValueError("I consumi vanno indicati per due stagioni di riscaldamento distinte.")
        return self


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
    costruttore: _riga(40) | None = None
    modello: _riga(40) | None = None
    matricola: _riga(30) | None = None
    pot_utile_kw: Kw | None = None
    pot_focolare_kw: Kw
    anno_costruzione: Anno | None = None
    data_installazione: date | None = None
    marcatura_efficienza: _riga(45) | None = None
    uso: list[Literal["riscaldamento", "acqua calda sanitaria"]] = Field(default_factory=list, max_length=2)
    tipo_caldaia: Literal["B", "C"] | None = None
    combustibile: Literal["gas naturale", "Gpl", "Gasolio", "Kerosene", "Altro"] | None = None
    altro_testo: _riga(24) | None = None
    tiraggio_tipo: Literal["naturale", "forzato"] | None = None
    locale: Literal["Locale tecnico", "Esterno", "Interno"] | None = None
    interno_testo: _riga(35) | None = None
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


def avviso_prescrizioni(note: Note) -> str | None:
    """FORMS.md §7.11: prescrizioni with "può funzionare: SI" is a warning, not an error."""
    if note.prescrizioni and note.puo_funzionare == "SI":
        return ("Sono indicate PRESCRIZIONI ma l'impianto risulta idoneo a funzionare (SI): "
                "con prescrizioni l'apparecchio va messo fuori servizio (avvertenza 3/11).")
    return None


_MARGINE_CONDENSAZIONE = Decimal("1.10")
"""Useful power above the heat input happens only with condensing boilers (PCI basis, 50/30 °C),
and by a few per cent: more than 10 % is a typing error (e.g. kcal/h entered as kW)."""


def verifica_potenze(utile: Decimal | None, focolare: Decimal) -> None:
    if utile is not None and utile > focolare * _MARGINE_CONDENSAZIONE:
        raise ValueError("La potenza utile non può superare la potenza al focolare "
                         "(oltre il 10% in più neppure per le caldaie a condensazione).")


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


def verifica_misura(m: MisuraCombustione, controllo: str | None, tipo: str | None, gas: bool) -> None:
    """Rules of the measurement row (G avvertenza 8, AMB-35)."""
    valori = {k: v for k, v in m.model_dump().items() if v not in (None, BARRATO)}
    if controllo == "Non effettuato" and valori:
        raise ValueError("Controllo del rendimento «Non effettuato»: la riga delle misure resta vuota.")
    if tipo == "C" and m.tiraggio_pa not in (None, BARRATO):
        raise ValueError("Il tiraggio si indica solo per generatori di tipo B (avvertenza 8).")
    if tipo == "B" and controllo == "Effettuato" and m.tiraggio_pa is None:
        raise ValueError("Generatore di tipo B: indicare il tiraggio in Pa (avvertenza 8).")
    if gas and m.bacharach not in (None, BARRATO):
        raise ValueError("L'indice di Bacharach si rileva solo per combustibili liquidi: per il gas va barrato.")


def _ha_negativi(g: AllegatoG) -> bool:
    return any(
        value in _NEGATIVI and f"{section}.{key}" not in DESCRITTIVE
        for section in RIGHE_G
        for key, value in getattr(g, section).model_dump().items()
    )


def campi_vuoti(model: Modello, prefix: str = "") -> list[str]:
    """Key paths left blank (``None``): a dichiarazione must be 'compilata in ogni sua parte'."""
    out: list[str] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, Modello):
            out.extend(campi_vuoti(value, path + "."))
        elif isinstance(value, list) and value and isinstance(value[0], Modello):
            for i, item in enumerate(value):
                out.extend(campi_vuoti(item, f"{path}[{i}]."))
        elif value is None:
            out.append(path)
    return out


FACOLTATIVI = {
    "proprietario_nome", "proprietario_tel", "proprietario_indirizzo", "altro_testo", "interno_testo",
    "numero_etichetta", "osservazioni", "raccomandazioni", "prescrizioni", "civico", "piano", "interno",
}


def avviso_telefono(model: Controllo) -> str | None:
    """S2 (§19): operators must always record the responsabile's phone number."""
    if not model.responsabile_tel:
        return "Indicare sempre il numero di telefono del responsabile dell'impianto (CURIT, servizi per i CAIT)."
    return None


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
