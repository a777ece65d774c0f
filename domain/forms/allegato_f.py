"""Allegato F — Rapporto di controllo tecnico per impianti ≥ 35 kW (FORMS.md §7).

Foglio 1 holds the impianto (A), its documentation (B) and the visual check (C); one further
sheet per generator (AMB-29) holds D, E, F, the notes, the declarations and the signatures.
Keys are those of FORMS.md §7.2–§7.11. Two choices where the spec is silent or clashes:

- §7.3 names both extra texts of Destinazione and Combustibile ``altro_testo``: the fuel's is
  ``altro_testo`` (as on G), the destination's is ``destinazione_altro``;
- §7.10–§7.11 are printed on every generator sheet, so the notes and the safety verdict are per
  generator (``generatori[i].osservazioni`` …); the technician and the times are per visit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from domain.forms.comuni import Modello
from domain.forms.rapporto_controllo import (FACOLTATIVI, POTENZA_LIMITE_KW, Anno, Breve, Controllo, Kw,
                                             MisuraCombustione, Note, avviso_prescrizioni, avviso_telefono,
                                             campi_vuoti, verifica_misura, verifica_potenze)

__all__ = [
    "AllegatoF",
    "GeneratoreF",
    "DatiGeneratore",
    "Bruciatore",
    "DocumentoF",
    "DocumentazioneF",
    "DOCUMENTI_F",
    "ESAME_IMPIANTO_F",
    "ESAME_GENERATORE_F",
    "fogli_totali",
    "avvisi",
]

SiNoF = Literal["si", "no"]
Giudizio = Literal["soddisfacente", "non soddisfacente"]
_GAS = {"gas naturale", "gpl"}
_NEGATIVI = {"no", "non soddisfacente"}


class DocumentoF(Modello):
    """One row of B: Presente | Assente | Note."""

    stato: Literal["Presente", "Assente"] | None = None
    note: Annotated[str, Field(max_length=60)] | None = None


class DocumentazioneF(Modello):
    """B. DOCUMENTAZIONE TECNICA A CORREDO: the 10 rows are always printed."""

    libretto_centrale: DocumentoF = Field(default_factory=DocumentoF)
    rapporto_uni_10435: DocumentoF = Field(default_factory=DocumentoF)
    certificazione_uni_8364: DocumentoF = Field(default_factory=DocumentoF)
    dichiarazione_conformita: DocumentoF = Field(default_factory=DocumentoF)
    libretti_caldaie: DocumentoF = Field(default_factory=DocumentoF)
    libretti_bruciatori: DocumentoF = Field(default_factory=DocumentoF)
    schemi_idraulici: DocumentoF = Field(default_factory=DocumentoF)
    schemi_elettrici: DocumentoF = Field(default_factory=DocumentoF)
    pratica_ispesl: DocumentoF = Field(default_factory=DocumentoF)
    prevenzione_incendi: DocumentoF = Field(default_factory=DocumentoF)


DOCUMENTI_F: tuple[tuple[str, str], ...] = (
    ("libretto_centrale", "Libretto di centrale"),
    ("rapporto_uni_10435", "Rapporto di controllo ex UNI 10435 (imp. a gas)"),
    ("certificazione_uni_8364", "Certificazione ex UNI 8364"),
    ("dichiarazione_conformita", "Dichiarazione di conformità"),
    ("libretti_caldaie", "Libretto/i uso/manutenzione caldaia/e"),
    ("libretti_bruciatori", "Libretto/i uso/manutenzione bruciatore/i"),
    ("schemi_idraulici", "Schemi funzionali idraulici"),
    ("schemi_elettrici", "Schemi funzionali elettrici"),
    ("pratica_ispesl", "Pratica ISPESL"),
    ("prevenzione_incendi", "Certificato prevenzione incendi"),
)
"""B rows: (key, label exactly as printed), in printed order (FORMS.md §7.4)."""

ESAME_IMPIANTO_F: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("1. Centrale termica", "idoneita_locale", "idoneità del locale di installazione", ("si", "no")),
    ("", "aperture_dimensioni", "adeguate dimensioni aperture di ventilazione", ("si", "no")),
    ("", "aperture_libere", "aperture di ventilazione libere da ostruzioni", ("si", "no")),
    ("2.", "linee_elettriche", "Esame visivo linee elettriche", ("soddisfacente", "non soddisfacente")),
    ("3.", "assenza_fughe_gas", "Controllo assenza fughe di gas", ("si", "no")),
    ("4.", "coibentazioni", "Esame visivo delle coibentazioni", ("soddisfacente", "non soddisfacente")),
    ("5.", "camino_canale", "Esame visivo camino e canale da fumo", ("soddisfacente", "non soddisfacente")),
)
"""C rows: (number as printed, key, label as printed, options as printed) (FORMS.md §7.5)."""

ESAME_GENERATORE_F: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Bruciatore", (
        ("ugelli_puliti", "ugelli puliti"),
        ("bruciatore_funzionamento", "funzionamento corretto"),
    )),
    ("Generatore di calore", (
        ("scambiatore_lato_fumi", "scambiatore lato fumi"),
        ("accensione_regolare", "accensione e funzionamento regolari"),
        ("dispositivi_comando", "dispositivi di com. e regol. funzionanti correttamente"),
        ("assenza_perdite", "assenza di perdite e ossidazioni dai/sui raccordi"),
        ("dispositivi_sicurezza", "dispos. di sicurezza non manomessi e/o cortocircuitati"),
        ("vaso_espansione", "vaso di espansione carico e/o in ordine per il funzionamento"),
        ("organi_integri", "Organi soggetti a sollecitazioni termiche integri e senza • segni di usura e/o deformazione"),
    )),
)
"""E rows by group: (key, label as printed); "•" marks the printed second bullet line [sic]."""


class DatiGeneratore(Modello):
    """D. "Generatore di calore: Costruttore … Fluido termovettore"."""

    # issue 17: sized to the slots of the generator sheet (two lines at ≥ 5 pt)
    costruttore: Annotated[str, Field(max_length=50)] | None = None
    modello: Annotated[str, Field(max_length=55)] | None = None
    matricola: Annotated[str, Field(max_length=40)] | None = None
    anno_costruzione: Anno | None = None
    tipologia: Annotated[str, Field(max_length=60)] | None = None
    marcatura_efficienza: Annotated[str, Field(max_length=40)] | None = None
    pot_utile_kw: Kw | None = None
    pot_focolare_kw: Kw
    fluido: Annotated[str, Field(max_length=25)] | None = None


class Bruciatore(Modello):
    """D. "Bruciatore abbinato: Costruttore … Campo di funzionamento (kW)"."""

    costruttore: Annotated[str, Field(max_length=50)] | None = None
    modello: Annotated[str, Field(max_length=55)] | None = None
    matricola: Annotated[str, Field(max_length=40)] | None = None
    anno_costruzione: Anno | None = None
    tipologia: Annotated[str, Field(max_length=60)] | None = None
    campo_funzionamento_kw: Annotated[str, Field(max_length=30)] | None = None
    """As printed on the plate, e.g. ``"60–190"``."""


class GeneratoreF(Note):
    """One generator sheet: D, E, F and the notes of that sheet."""

    generatore: DatiGeneratore
    bruciatore: Bruciatore = Field(default_factory=Bruciatore)
    data_installazione: date | None = None
    ugelli_puliti: SiNoF | None = None
    bruciatore_funzionamento: SiNoF | None = None
    scambiatore_lato_fumi: SiNoF | None = None
    accensione_regolare: SiNoF | None = None
    dispositivi_comando: SiNoF | None = None
    assenza_perdite: SiNoF | None = None
    dispositivi_sicurezza: SiNoF | None = None
    vaso_espansione: SiNoF | None = None
    organi_integri: SiNoF | None = None
    rendimento_controllo: Literal["Effettuato", "Non effettuato"] | None = None
    misure: Annotated[list[MisuraCombustione], Field(max_length=6)] = Field(
        default_factory=lambda: [MisuraCombustione()]
    )
    """One printed row by default (AMB-32); more rows for several firing stages."""

    @model_validator(mode="after")
    def _regole_generatore(self) -> "GeneratoreF":
        verifica_potenze(self.generatore.pot_utile_kw, self.generatore.pot_focolare_kw)
        negativi = [k for _, righe in ESAME_GENERATORE_F for k, _ in righe if getattr(self, k) == "no"]
        if negativi and not self.osservazioni:
            raise ValueError("Ogni dato negativo della sezione E va motivato nello spazio OSSERVAZIONI "
                             "di questo foglio (avvertenza 1).")
        return self


class AllegatoF(Controllo):
    TIPO_ETICHETTA: ClassVar[str | None] = "F"
    """RAPPORTO DI CONTROLLO TECNICO (Allegato F), potenza al focolare ≥ 35 kW."""

    fogli_totali: int | None = None
    """Printed "Foglio n° X di N"; computed (1 + generators). If given it must agree."""
    data: date
    destinazione: list[Literal["riscaldamento", "acqua calda sanitaria"]] = Field(default_factory=list, max_length=2)
    destinazione_altro: Breve | None = None
    combustibile: Literal["gas naturale", "gpl", "gasolio", "olio comb."] | None = None
    altro_testo: Breve | None = None
    """A fuel not among the printed ones, written on the dotted line after them."""
    documentazione: DocumentazioneF = Field(default_factory=DocumentazioneF)
    idoneita_locale: SiNoF | None = None
    aperture_dimensioni: SiNoF | None = None
    aperture_libere: SiNoF | None = None
    linee_elettriche: Giudizio | None = None
    assenza_fughe_gas: SiNoF | None = None
    coibentazioni: Giudizio | None = None
    camino_canale: Giudizio | None = None
    generatori: Annotated[list[GeneratoreF], Field(min_length=1, max_length=30)]

    @field_validator("destinazione")
    @classmethod
    def _destinazione_distinta(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("Ogni destinazione va indicata una sola volta.")
        return v

    @model_validator(mode="after")
    def _regole_f(self) -> "AllegatoF":
        totale = sum((g.generatore.pot_focolare_kw for g in self.generatori), Decimal(0))
        if totale < POTENZA_LIMITE_KW:
            raise ValueError("L'Allegato F è per impianti con potenza al focolare di almeno 35 kW "
                             "(somma dei generatori): usare l'Allegato G.")
        if self.fogli_totali is not None and self.fogli_totali != fogli_totali(self):
            raise ValueError(f"Il rapporto ha {fogli_totali(self)} fogli (1 + un foglio per generatore), "
                             f"non {self.fogli_totali}.")
        if self.combustibile and self.altro_testo:
            raise ValueError("Indicare un solo combustibile: una voce stampata oppure un altro combustibile.")
        for i, g in enumerate(self.generatori):
            if g.data_installazione and g.data_installazione > self.data:
                raise ValueError(f"Generatore {i + 1}: la data di installazione non può seguire la data del controllo.")
            for m in g.misure:
                verifica_misura(m, g.rendimento_controllo, None, self.combustibile in _GAS)
        negativi = [k for _, k, _, _ in ESAME_IMPIANTO_F if getattr(self, k) in _NEGATIVI]
        if negativi and not any(g.osservazioni for g in self.generatori):
            raise ValueError("Ogni dato negativo della sezione C va motivato nello spazio OSSERVAZIONI (avvertenza 1).")
        return self


def fogli_totali(model: AllegatoF) -> int:
    """Foglio 1 + one sheet per generator (AMB-29); the Avvertenze page is not numbered."""
    return 1 + len(model.generatori)


def avvisi(model: AllegatoF) -> list[str]:
    """Warnings that never block a render (FORMS.md §7.11, §8.8, §19)."""
    out = [a for a in (avviso_telefono(model),) if a]
    for i, g in enumerate(model.generatori):
        if testo := avviso_prescrizioni(g):
            out.append(f"Generatore {i + 1}: {testo}")
    esenti = {"fogli_totali", "destinazione_altro", "altro_testo"} | FACOLTATIVI
    vuoti = [c for c in campi_vuoti(model) if c.split(".")[0] not in esenti and not _esente(model, c)]
    if vuoti:
        out.append("Per valere come dichiarazione il rapporto va compilato in ogni sua parte; campi vuoti: "
                   + ", ".join(vuoti) + ".")
    return out


def _esente(model: AllegatoF, path: str) -> bool:
    """Blank fields that are blank on purpose (notes, note column of B, struck measurements)."""
    last = path.rsplit(".", 1)[-1]
    if last in {"osservazioni", "raccomandazioni", "prescrizioni", "note"}:
        return True
    if path.startswith("generatori[") and ".misure[" in path:
        i = int(path.split("[", 1)[1].split("]", 1)[0])
        g = model.generatori[i]
        gas = model.combustibile in _GAS
        return g.rendimento_controllo == "Non effettuato" or (gas and last == "bacharach")
    return False
