"""Rapporto di prova — what Allegati A and B are built from, and the rules that read them (FORMS.md §0.4).

Every field is declared with :func:`voce`: its manual point ("7.a"), used in error messages and
to strike the points a failed test strikes, and whether it is *facoltativo*. Here too are the
slot-sized types (issue 17) and the sub-blocks both forms print the same way: the subjects of
section 1 (``SoggettoRdP``), ``Ubicazione``, ``Delegato``, ``Consumi``, the instruments of
section 7 and the notes and corrections of 10.a. The sections are in ``allegato_a`` (B's sheets
repeat them, §3.8).

The machinery A's sheet, B's foglio 1 and B's generator sheets share: the inputs of
``domain.esito`` (:func:`ingresso_generatore`, :func:`valuta`), the fields a rule strikes by
itself (:func:`barrati_dati_generali`, :func:`barrati_foglio`), the never-blank rule
(:func:`campi_vuoti`) and what the templates print (:func:`valori_stampa`,
:func:`osservazioni_stampa`, :func:`calcoli_foglio`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from domain.errors import RuleViolation
from domain.esito import valuta_rapporto
from domain.esito_dati import EsitoRapporto, IngressoEsito
from domain.forms.comuni import BARRATO, Barrabile, Modello, Strumento
from domain.identificativi import valida_cf_o_piva

__all__ = [
    "voce",
    "richiede_altro",
    "BloccoRdP",
    "SoggettoRdP",
    "Ubicazione",
    "Delegato",
    "Consumi",
    "StrumentoRdP",
    "Osservazione",
    "Correzione",
    "Kw",
    "Misura",
    "Prove",
    "Nome",
    "Codice",
    "Corto",
    "Nota",
    "ingresso_generatore",
    "valuta",
    "barrati_dati_generali",
    "barrati_foglio",
    "campi_vuoti",
    "valori_stampa",
    "osservazioni_stampa",
    "calcoli_foglio",
]

Kw = Annotated[Decimal, Field(gt=0, max_digits=9, decimal_places=3)]
Misura = Annotated[Decimal, Field(max_digits=9, decimal_places=3)]
Prove = tuple[Misura, Misura, Misura]
"""Prova 1, Prova 2, Prova 3 (the Media is computed)."""
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


def richiede_altro(scelta: str | list[str], testo: str | None, punto: str) -> None:
    """Validator of an «Altro» choice: its text is required with «Altro» and refused without it."""
    scelte = scelta if isinstance(scelta, list) else [scelta]
    if any(s.lower() == "altro" for s in scelte) and not testo:
        raise ValueError(f"Con «Altro» al punto {punto} specificare quale.")
    if testo and not any(s.lower() == "altro" for s in scelte):
        raise ValueError(f"Il testo «Altro» del punto {punto} va indicato solo scegliendo «Altro».")


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


# --- esito inputs, struck fields, never-blank rule, print values (A's sheet, B's foglio 1 and sheets) ---

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
