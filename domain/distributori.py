"""Yearly record of the fuel distributors (S1 §15.2, FORMS.md §16): file format and validation.

File format (AMB-49: the seed prescribes no format; project decision): UTF-8 text (a BOM is
accepted), one record per line, fields separated by ``;`` in the printed order below, no quoting
(``;`` cannot occur inside a field); an optional first line with the field names (recognised by
its first field ``ragione_sociale``); empty lines are ignored. Decimals use a comma or a point.

 1 ragione_sociale (≤100, obbligatorio)     9 combustibile (enum, obbligatorio)
 2 tipo_toponimo (enum, obbligatorio)      10 codice_pdr (≤30)
 3 nome_toponimo (≤50, obbligatorio)       11 consumo_annuo (≤9 integer digits + 2 decimals)
 4 civico (≤8, "ND" if none, obbl.)        12 unita_misura (MC | KG)
 5 cap (5 digits, obbligatorio)            13 tipo_contratto (A | E | R | X | 0)
 6 comune (≤40, obbligatorio)              14 volumetria (like 11)
 7 istat (8 digits: prefix + comune)       15 codice_fiscale (≤16, obbligatorio, checked)
 8 telefono (≤15)                          16 partita_iva (11 digits, checked)

Decisions: AMB-47, ``LUNGOLAGO`` and ``LOCALITA'`` (9 characters) are accepted although the field
is 8 long (widened, never truncated: truncation would create non-listed toponyms); AMB-45, the
8-digit ISTAT code is ``prefisso`` + the 6-digit comune code, prefix ``30`` by default
(``domain.identificativi``); AMB-46, "9 con 2 decimali" read as up to 9 integer digits and 2
decimals; AMB-48, METANO and GPL take MC, every other fuel KG (the literal "gassoso" rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.identificativi import PREFISSO_ISTAT_DISTRIBUTORI, istat_da_distributore, valida_cf, valida_piva
from domain.istat import comune_by_istat

__all__ = ["CAMPI", "TOPONIMI", "COMBUSTIBILI", "COMBUSTIBILI_GASSOSI", "TIPI_CONTRATTO", "RecordDistributore",
           "ErroreRiga", "EsitoLettura", "leggi_file_distributore"]

CAMPI: tuple[tuple[str, int], ...] = (
    ("ragione_sociale", 100), ("tipo_toponimo", 9), ("nome_toponimo", 50), ("civico", 8), ("cap", 5),
    ("comune", 40), ("istat", 8), ("telefono", 15), ("combustibile", 35), ("codice_pdr", 30),
    ("consumo_annuo", 13), ("unita_misura", 2), ("tipo_contratto", 2), ("volumetria", 13),
    ("codice_fiscale", 16), ("partita_iva", 11),
)
OBBLIGATORI = frozenset({"ragione_sociale", "tipo_toponimo", "nome_toponimo", "civico", "cap", "comune",
                         "combustibile", "codice_fiscale"})
TOPONIMI = ("BORGO", "CONTRADA", "CORSO", "CORTE", "GALLERIA", "GIARDINI", "LARGO", "LUNGOLAGO", "LOCALITA'", "PARCO",
            "PASS.", "PIAZZA", "PIAZZALE", "PORTICI", "P.ZTA", "SOTTOPOR", "STATALE", "STRADA", "VIA", "VIALE", "VICOLO")
COMBUSTIBILI = ("GASOLIO", "METANO", "GPL", "OLIO", "COMBUSTIBILE SOLIDO", "LEGNA")
COMBUSTIBILI_GASSOSI = frozenset({"METANO", "GPL"})
TIPI_CONTRATTO = {"A": "produzione acqua calda", "E": "Riscaldamento+produzione acqua calda", "R": "Riscaldamento",
                  "X": "altro", "0": "non noto"}
ETICHETTE = {"ragione_sociale": "Ragione sociale", "tipo_toponimo": "Tipo toponimo", "nome_toponimo": "Nome toponimo",
             "civico": "Civico", "cap": "CAP", "comune": "Comune", "istat": "Codice ISTAT", "telefono": "Telefono",
             "combustibile": "Combustibile", "codice_pdr": "Codice punto di riconsegna", "consumo_annuo": "Consumo annuo",
             "unita_misura": "Unità di misura", "tipo_contratto": "Tipo contratto", "volumetria": "Volumetria riscaldata",
             "codice_fiscale": "Codice fiscale", "partita_iva": "Partita IVA"}


@dataclass(frozen=True)
class RecordDistributore:
    """One valid line: an active customer at 31 December."""

    riga: int
    ragione_sociale: str
    tipo_toponimo: str
    nome_toponimo: str
    civico: str | None
    """None when the file says ``ND``."""
    cap: str
    comune: str
    istat: str | None
    """6-digit comune code (from field 7), None when absent."""
    telefono: str | None
    combustibile: str
    codice_pdr: str | None
    consumo_annuo: Decimal | None
    unita_misura: str | None
    tipo_contratto: str | None
    volumetria: Decimal | None
    codice_fiscale: str
    partita_iva: str | None

    @property
    def indirizzo(self) -> str:
        """``Via Giuseppe Verdi`` (toponym in title case, as the catasto stores streets)."""
        return f"{self.tipo_toponimo.capitalize()} {self.nome_toponimo}"


@dataclass(frozen=True)
class ErroreRiga:
    riga: int
    campo: str
    messaggio: str


@dataclass
class EsitoLettura:
    validi: list[RecordDistributore]
    errori: list[ErroreRiga]


def _decimale(v: str, campo: str) -> Decimal:
    try:
        d = Decimal(v.replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{ETICHETTE[campo]}: numero non valido «{v}».") from None
    if d < 0 or d.as_tuple().exponent < -2 or abs(d) >= Decimal(10) ** 9:
        raise ValueError(f"{ETICHETTE[campo]}: al massimo 9 cifre intere e 2 decimali.")
    return d


def _riga(numero: int, valori: dict[str, str], prefisso: str) -> tuple[RecordDistributore | None, list[ErroreRiga]]:
    errori: list[ErroreRiga] = []

    def errore(campo: str, messaggio: str) -> None:
        errori.append(ErroreRiga(numero, campo, messaggio))

    for campo, lunghezza in CAMPI:
        v = valori[campo]
        if not v and campo in OBBLIGATORI:
            errore(campo, f"{ETICHETTE[campo]}: dato obbligatorio mancante.")
        elif len(v) > lunghezza:
            errore(campo, f"{ETICHETTE[campo]}: al massimo {lunghezza} caratteri (sono {len(v)}).")
    v = valori
    if v["tipo_toponimo"] and v["tipo_toponimo"].upper() not in TOPONIMI:
        errore("tipo_toponimo", f"Tipo toponimo «{v['tipo_toponimo']}» non ammesso: usare uno di {', '.join(TOPONIMI)}.")
    if v["cap"] and not re.fullmatch(r"\d{5}", v["cap"]):
        errore("cap", "CAP non valido: servono 5 cifre.")
    if v["combustibile"] and v["combustibile"].upper() not in COMBUSTIBILI:
        errore("combustibile", f"Combustibile «{v['combustibile']}» non ammesso: usare uno di {', '.join(COMBUSTIBILI)}.")
    istat = None
    if v["istat"]:
        try:
            istat = istat_da_distributore(v["istat"], prefisso)
        except ValueError as exc:
            errore("istat", str(exc))
    if istat and v["comune"]:
        comune = comune_by_istat(istat)
        if comune is not None and comune.nome.casefold() != v["comune"].casefold():
            errore("comune", f"Il comune «{v['comune']}» non corrisponde al codice ISTAT, che è di {comune.nome}.")
    numeri: dict[str, Decimal | None] = {}
    for campo in ("consumo_annuo", "volumetria"):
        try:
            numeri[campo] = _decimale(v[campo], campo) if v[campo] else None
        except ValueError as exc:
            errore(campo, str(exc))
    unita, fuel = v["unita_misura"].upper(), v["combustibile"].upper()
    if unita:
        atteso = "MC" if fuel in COMBUSTIBILI_GASSOSI else "KG"
        if unita not in ("MC", "KG"):
            errore("unita_misura", "Unità di misura non ammessa: MC o KG.")
        elif fuel in COMBUSTIBILI and unita != atteso:
            errore("unita_misura", f"Per il combustibile {fuel} l'unità di misura è {atteso} (MC per i gassosi, KG per gli altri).")
    if v["tipo_contratto"] and v["tipo_contratto"].upper() not in TIPI_CONTRATTO:
        errore("tipo_contratto", "Tipo contratto non ammesso: A, E, R, X o 0.")
    cf = v["codice_fiscale"]
    if cf:
        try:
            cf = valida_cf(cf)
        except ValueError as exc:
            errore("codice_fiscale", str(exc))
    piva = v["partita_iva"]
    if piva:
        try:
            piva = valida_piva(piva)
        except ValueError as exc:
            errore("partita_iva", str(exc))
    if errori:
        return None, errori
    return RecordDistributore(
        riga=numero, ragione_sociale=v["ragione_sociale"], tipo_toponimo=v["tipo_toponimo"].upper(),
        nome_toponimo=v["nome_toponimo"], civico=None if v["civico"].upper() == "ND" else v["civico"], cap=v["cap"],
        comune=v["comune"], istat=istat, telefono=v["telefono"] or None, combustibile=fuel,
        codice_pdr=v["codice_pdr"] or None, consumo_annuo=numeri["consumo_annuo"], unita_misura=unita or None,
        tipo_contratto=v["tipo_contratto"].upper() or None, volumetria=numeri["volumetria"], codice_fiscale=cf,
        partita_iva=piva or None), []


def leggi_file_distributore(testo: str, *, prefisso_istat: str = PREFISSO_ISTAT_DISTRIBUTORI) -> EsitoLettura:
    """Parse and validate a whole file; every bad line is reported with its number and reasons."""
    esito = EsitoLettura([], [])
    for numero, linea in enumerate(testo.lstrip("\ufeff").splitlines(), start=1):
        if not linea.strip():
            continue
        campi = [c.strip() for c in linea.split(";")]
        if numero == 1 and campi[0].lower() == "ragione_sociale":
            continue
        if len(campi) != len(CAMPI):
            esito.errori.append(ErroreRiga(numero, "", f"La riga ha {len(campi)} campi: ne servono {len(CAMPI)} "
                                                      "separati da ';'."))
            continue
        record, errori = _riga(numero, dict(zip((c for c, _ in CAMPI), campi)), prefisso_istat)
        if record is not None:
            esito.validi.append(record)
        esito.errori.extend(errori)
    return esito
