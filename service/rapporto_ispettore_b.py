"""The ispettore's rapporto di prova for impianti of 35 kW and over (DGR 18/09/2007, Allegato B):
foglio 1 (the centrale termica: sections 1–4) and one sheet per generator (sections 5–12), as the
form prescribes, from an impianto of the catasto.

* the values are flat strings, as a browser form sends them: foglio 1 under the model's names
  (:data:`CAMPI_FOGLIO`, :data:`BARRABILI_FOGLIO`), each generator's under ``g<n>_`` (``g1_t_fumi_2``),
  the trials and the esito inputs with the names of ``ProvaCombustione`` so that :func:`esiti` gives
  each generator's verdict with the same function as ``POST /ispettore/esito`` and the A page;
* :func:`verifica` validates with the document type itself (``service.produce.validate``, as
  ``curit-docs render allegato-b``), whose rules compute the esito of every sheet again
  (``AllegatoB.esiti``): the errors come back keyed by the form's field names;
* a strikable field left empty is written ``BARRATO``: nothing on the rapporto stays blank.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from archive.catasto import ImpiantoCatasto
from domain.errors import AppError, ValidationFailed
from domain.forms.allegato_b import esito_complessivo
from service import rapporto_ispettore as ri
from service.produce import validate
from service.registry import get_document_type

__all__ = ["CAMPI_FOGLIO", "BARRABILI_FOGLIO", "CAMPI_GENERATORE", "BARRABILI_GENERATORE", "MAX_GENERATORI",
           "PROVE_IT", "numero_generatori", "generatore", "completa", "modulo", "esiti", "componi", "verifica",
           "errori_per_campo"]

Campo = ri.Campo
MAX_GENERATORI = 8
SI_NO = ri.SI_NO
BARR = ("", "— barrato (non pertinente) —")
SI_NO_INCOMPLETA = (("Si", "Sì"), ("No", "No"), ("Incompleta", "Incompleta"))
COMBUSTIBILI = (("Gas naturale", "Gas naturale"), ("GPL", "GPL"), ("Gasolio", "Gasolio"),
                ("Olio combustibile", "Olio combustibile"), ("Altro", "Altro"))
_COMUNI_A = ("data_ispezione", "numero_ispezione", "ispettore", "biennio_da", "biennio_a", "dichiarato",
             "responsabile_ruolo", "responsabile_nome", "responsabile_cf", "destinazione_prevalente", "servizio",
             "destinazione_uso", "data_realizzazione_impianto")

CAMPI_FOGLIO: list[Campo] = [
    *(c for c in ri.CAMPI if c.chiave in _COMUNI_A),
    Campo("combustibile", "2.d Combustibile", "select", COMBUSTIBILI, True),
    Campo("combustibile_2", "2.d Secondo combustibile (se la centrale ne usa due)", "select",
          (("", "— nessuno —"), *COMBUSTIBILI)),
    Campo("combustibile_altro", "2.d Altro combustibile (specificare)"),
    Campo("estintori", "3.g Mezzi di estinzione degli incendi presenti", "select", SI_NO, True),
    Campo("cartellonistica", "3.h Cartellonistica prevista presente", "select", SI_NO_INCOMPLETA, True),
    Campo("libretto_centrale", "4.a Libretto della centrale termica presente", "select", SI_NO, True),
    Campo("libretti_caldaie", "4.c Libretti d'uso e manutenzione delle caldaie", "select", SI_NO_INCOMPLETA, True),
    Campo("libretti_bruciatori", "4.d Libretti d'uso e manutenzione dei bruciatori", "select", SI_NO_INCOMPLETA,
          True),
    Campo("dich_conf_termico", "4.e Dichiarazione di conformità dell'impianto termico", "select", SI_NO, True),
    Campo("dich_conf_elettrico", "4.f Dichiarazione di conformità dell'impianto elettrico", "select", SI_NO, True),
]
"""Foglio 1's required fields the catasto does not give."""

SI_NO_B = (BARR, *SI_NO)
BARRABILI_FOGLIO: list[Campo] = [
    *(c for c in ri.CAMPI_BARRABILI if c.chiave in ("n_dichiarazione", "data_dichiarazione", "volumetria_m3",
                                                    "consumi_m3_anno")),
    Campo("consumi_l_anno", "1.q Consumi (l/anno)", "number"),
    Campo("consumi_kg_anno", "1.q Consumi (kg/anno)", "number"),
    Campo("ubicazione_conforme", "3.a Ubicazione del locale conforme", "select", SI_NO_B),
    Campo("areazione_sufficiente", "3.b Areazione del locale sufficiente", "select", SI_NO_B),
    Campo("accesso_conforme", "3.c Accesso alla centrale conforme", "select", SI_NO_B),
    Campo("rubinetto_esterno", "3.d Rubinetto di intercettazione esterno", "select",
          (BARR, *SI_NO, ("Non segn.", "Non segnalato"))),
    Campo("interruttore_esterno", "3.e Interruttore generale esterno", "select",
          (BARR, *SI_NO, ("Non segn.", "Non segnalato"))),
    Campo("assenza_materiali", "3.f Assenza di materiali estranei", "select", SI_NO_B),
    Campo("estintori_revisione", "3.g Data dell'ultima revisione degli estintori", "date"),
    Campo("libretto_completo", "4.b Compilazione del libretto di centrale completa", "select", SI_NO_B),
    Campo("denuncia_ispesl", "4.g Denuncia all'ISPESL (generatori in pressione)", "select", SI_NO_B),
    Campo("cpi", "4.h Certificato prevenzione incendi (oltre 116,3 kW)", "select", SI_NO_B),
    *(c for c in ri.CAMPI_BARRABILI if c.chiave.startswith("strumento_")),
]
"""Foglio 1's strikable fields, then the instruments (the same on every generator sheet)."""

CAMPI_GENERATORE: list[Campo] = [
    Campo("data_installazione", "5.b Data di installazione", "date", aiuto="Vuota: «dopo il 29/10/1993»."),
    Campo("fluido", "5.d Fluido termovettore", "select", (("acqua", "Acqua"), ("aria", "Aria")), True),
    Campo("classificazione", "5.i Classificazione (D.P.R. 660/96)", "select",
          ri._s("Standard", "a bassa temperatura", "a gas a condensazione"), True),
    Campo("pn_utile_kw", "5.l Potenza utile nominale (kW)", "number", obbligatorio=True),
    Campo("tipo_caldaia", "7.c Tipo di apparecchio (tiraggio)", "select", (("B", "B (aperto)"), ("C", "C (stagno)")),
          True),
    Campo("foro_presente", "7 Foro di prelievo accessibile", "select", (("SI", "Sì"), ("NO", "No")),
          True),
    Campo("combustibile_in_uso", "2.d Combustibile della prova", "select",
          (("", "— quello del foglio 1 —"), *COMBUSTIBILI), aiuto="Solo se il foglio 1 ne indica due."),
    Campo("analisi_combustione", "6.b Analisi di combustione", "select",
          ri._s("Effettuata", "Non effettuata"), True),
    Campo("rct_presente", "6.c Rapporto di controllo presente", "select", SI_NO, True),
    Campo("manut_corrente", "8.a Manutenzione in corso", "select", ri._s("Effettuata", "Non effettuata"), True),
    Campo("manut_precedenti", "8.a Manutenzioni precedenti", "select",
          ri._s("Effettuata", "Non effettuata"), True),
]
BARRABILI_GENERATORE: list[Campo] = [
    Campo("costruttore_caldaia", "5.e Costruttore della caldaia"),
    Campo("modello_caldaia", "5.f Modello della caldaia"),
    Campo("matricola_caldaia", "5.f Matricola della caldaia"),
    Campo("costruttore_bruciatore", "5.g Costruttore del bruciatore"),
    Campo("modello_bruciatore", "5.h Modello del bruciatore"),
    Campo("matricola_bruciatore", "5.h Matricola del bruciatore"),
    Campo("pot_focolare_nom_kw", "5.l Potenza al focolare nominale (kW)", "number"),
    Campo("bruciatore_da_kw", "5.l Campo di lavoro del bruciatore da (kW)", "number"),
    Campo("bruciatore_a_kw", "5.l Campo di lavoro del bruciatore a (kW)", "number"),
    Campo("portata_m3h", "5.m Portata di combustibile (m³/h)", "number"),
    Campo("portata_kgh", "5.m Portata di combustibile (kg/h)", "number"),
    Campo("pot_focolare_misurata_kw", "5.m Potenza al focolare misurata (kW)", "number"),
    Campo("eta_min_manuale", "8.d η min dichiarato dal costruttore (facoltativo)", "number"),
    Campo("data_ultima_manutenzione", "6.a Data dell'ultima manutenzione", "date"),
    Campo("rct_con_prescrizioni", "6.c Rapporto di controllo con prescrizioni", "select", SI_NO_B),
    Campo("note_prescrizioni", "6.d Note alle prescrizioni"),
    Campo("codici_nc", "10.b Codici di non conformità (es. C8, C11)"),
]
RIGHE = ri.RIGHE
PROVE_IT = {"bacharach": "7.a Bacharach", "t_mandata": "7.b Temperatura del fluido di mandata",
            "t_aria": "7.b Temperatura dell'aria comburente", "t_fumi": "7.b Temperatura dei fumi",
            "co_misurato": "7.b CO misurato", "o2_co2": "7.b O2 / CO2", "tiraggio_pa": "7.c Tiraggio (Pa)"}
Verdetto = Callable[[dict[str, str]], tuple[dict[str, Any] | None, dict[str, str]]]
"""A sheet's values → (the esito as ``POST /ispettore/esito`` gives it, or None; errors by field)."""
ETICHETTE = {c.chiave: c.etichetta for c in (*CAMPI_FOGLIO, *BARRABILI_FOGLIO)}
ETICHETTE_GEN = {c.chiave: c.etichetta for c in (*CAMPI_GENERATORE, *BARRABILI_GENERATORE)}
NUMERI_GEN = {"pot_focolare_nom_kw", "bruciatore_da_kw", "bruciatore_a_kw", "portata_m3h", "portata_kgh",
              "pot_focolare_misurata_kw"}
# model field → form field (foglio 1 and generator sheets), where they differ
ORIGINE = {**ri.ORIGINE, "consumi": "consumi_m3_anno", "combustibile_altro": "combustibile"}
ORIGINE_GEN = {"data_installazione_gen": "data_installazione", "pot_utile_nom_kw": "pn_utile_kw",
               "fluido_altro": "fluido", "combustibile": "combustibile_in_uso", "fascia_installazione": "data_installazione"}
_GEN = re.compile(r"^g([1-9])_(.+)$")


def numero_generatori(valori: dict[str, str]) -> int:
    """How many generator sheets the form holds (``generatori``, 1 to :data:`MAX_GENERATORI`)."""
    n = (valori.get("generatori") or "").strip()
    return min(max(int(n), 1), MAX_GENERATORI) if n.isdigit() else 1


def generatore(valori: dict[str, str], n: int) -> dict[str, str]:
    """The values of sheet ``n`` without their ``g<n>_`` prefix."""
    pre = f"g{n}_"
    return {k[len(pre):]: v for k, v in valori.items() if k.startswith(pre)}


def modulo(imp: ImpiantoCatasto, ispettore: str, *, oggi: Any) -> dict[str, str]:
    """Pre-filled values: foglio 1 from the catasto, one generator sheet."""
    a = ri.modulo(imp, ispettore, oggi=oggi)
    valori = {k: a[k] for k in _COMUNI_A}
    valori.update({"servizio": "Più unità immobiliari", "combustibile": "Gas naturale", "estintori": "Si",
                   "cartellonistica": "Si", "libretto_centrale": "Si", "libretti_caldaie": "Si",
                   "libretti_bruciatori": "Si", "dich_conf_termico": "Si", "dich_conf_elettrico": "Si",
                   "generatori": "1", **{c.chiave: "" for c in BARRABILI_FOGLIO}})
    valori.update(_vuoto_generatore(1))
    return valori


def _vuoto_generatore(n: int) -> dict[str, str]:
    base = {"fluido": "acqua", "classificazione": "Standard", "tipo_caldaia": "B", "foro_presente": "SI",
            "analisi_combustione": "Effettuata", "rct_presente": "Si", "manut_corrente": "Effettuata",
            "manut_precedenti": "Effettuata", "cella": "O2", "tiraggio_pa": "", "data_installazione": "",
            "pn_utile_kw": "", "combustibile_in_uso": "",
            **{c.chiave: "" for c in BARRABILI_GENERATORE}, **{f"{k}_{i}": "" for k in RIGHE for i in (1, 2, 3)}}
    return {f"g{n}_{k}": v for k, v in base.items()}


def completa(valori: dict[str, str]) -> dict[str, str]:
    """Add the empty sheets up to ``generatori`` (a sheet just added keeps the form's defaults)."""
    out = dict(valori)
    for n in range(1, numero_generatori(valori) + 1):
        for k, v in _vuoto_generatore(n).items():
            out.setdefault(k, v)
    return out


def _prova_di(t: dict[str, str], g: dict[str, str]) -> dict[str, str]:
    """A sheet's values as the esito's input (``console_ispettore._prova``): its fuel and libretto
    come from foglio 1."""
    from domain.combustione.combustibili import combustibile_tecnico

    scelta = g.get("combustibile_in_uso") or t.get("combustibile") or "Gas naturale"
    try:
        tecnico = combustibile_tecnico(scelta, t.get("combustibile_altro") or None)
    except AppError:
        tecnico = "altro"
    return {**g, "allegato": "B", "combustibile": tecnico,
            "libretto_presente": "NO" if t.get("libretto_centrale") == "No" else "SI"}


def esiti(valori: dict[str, str], verdetto: Verdetto) -> dict[str, Any]:
    """Each sheet's verdict by ``verdetto`` (the function of ``POST /ispettore/esito`` over a sheet's
    values, given by the caller), and the rapporto's overall esito (9.b when one generator fails).
    Nothing is written."""
    t = {k: (v or "").strip() for k, v in valori.items()}
    fogli = []
    for n in range(1, numero_generatori(t) + 1):
        esito, errori = verdetto(_prova_di(t, generatore(t, n)))
        fogli.append({"n": n, "esito": esito, "errori": {f"g{n}_{k}": m for k, m in errori.items()}})
    calcolati = [SimpleNamespace(esito=f["esito"]["esito"]) for f in fogli if f["esito"]]
    complessivo = esito_complessivo(calcolati) if len(calcolati) == len(fogli) else None  # type: ignore[arg-type]
    return {"generatori": fogli, "esito_complessivo": complessivo}


def _num(v: str | None) -> str | None:
    return ri._num(v)


def _foglio_generatore(t: dict[str, str], g: dict[str, str], barrati: set[str]) -> dict[str, Any]:
    fluido = g.get("fluido") or "acqua"
    codici = [c.strip().upper() for c in re.split(r"[,;\s]+", g.get("codici_nc") or "") if c.strip()]
    foglio: dict[str, Any] = {
        "data_installazione_gen": g.get("data_installazione") or "dopo il 29/10/1993",
        "data_realizzazione_impianto": t.get("data_realizzazione_impianto") or None,
        "fluido": fluido.capitalize(), "classificazione": g.get("classificazione") or None,
        "pot_utile_nom_kw": _num(g.get("pn_utile_kw")),
        "tipo_caldaia": g.get("tipo_caldaia") or None, "foro_presente": "No" if g.get("foro_presente") == "NO" else "Si",
        "combustibile": g.get("combustibile_in_uso") or None,
        "analisi_combustione": g.get("analisi_combustione") or None, "rct_presente": g.get("rct_presente") or None,
        "manut_corrente": g.get("manut_corrente") or "Effettuata",
        "manut_precedenti": g.get("manut_precedenti") or "Effettuata",
        "eta_min_manuale": _num(g.get("eta_min_manuale")), "cella": g.get("cella") or "O2",
        "tiraggio_pa": _num(g.get("tiraggio_pa")), "codici_nc": codici,
        "strumento_combustione": ri.strumento(t), "strumento_tiraggio": ri.strumento(t, "strumento_tiraggio_"),
    }
    if foglio["strumento_tiraggio"] == "BARRATO" and foglio["tiraggio_pa"]:
        foglio["strumento_tiraggio"] = foglio["strumento_combustione"]
    for k in RIGHE:
        prove = [_num(g.get(f"{k}_{i}")) for i in (1, 2, 3)]
        foglio[k] = prove if any(prove) else None
    for c in BARRABILI_GENERATORE:
        if c.chiave in ("eta_min_manuale", "codici_nc"):
            continue
        valore = _num(g.get(c.chiave)) if c.chiave in NUMERI_GEN else (g.get(c.chiave) or None)
        foglio[c.chiave] = valore or ("BARRATO" if c.chiave not in ("modello_caldaia", "modello_bruciatore") else None)
    for punto, campi in (("7.a", ("bacharach",)), ("7.c", ("tiraggio_pa",))):
        if punto in barrati:
            for c in campi:
                if foglio.get(c) is None:
                    foglio[c] = "BARRATO"
    return {k: v for k, v in foglio.items() if v is not None}


def componi(imp: ImpiantoCatasto, valori: dict[str, str], verdetto: Verdetto) -> dict[str, Any]:
    """The Allegato B data of the form's values (foglio 1 + sheets, a sheet's unsent choices at the
    form's defaults); not validated yet."""
    t = completa({k: (v or "").strip() for k, v in valori.items()})
    verdetti = esiti(t, verdetto)["generatori"]
    dati: dict[str, Any] = {**ri.generali(imp, t)}
    for c in CAMPI_FOGLIO:
        if c.chiave not in ("biennio_da", "biennio_a", "destinazione_uso", "responsabile_ruolo", "responsabile_nome",
                            "responsabile_cf", "data_realizzazione_impianto", "combustibile", "combustibile_2"):
            dati[c.chiave] = t.get(c.chiave) or None
    dati["combustibile"] = [x for x in (t.get("combustibile"), t.get("combustibile_2")) if x] or None
    dati["combustibile_altro"] = t.get("combustibile_altro") or None
    for c in BARRABILI_FOGLIO:
        if c.chiave.startswith(("strumento_", "consumi_")):
            continue
        dati[c.chiave] = (_num(t.get(c.chiave)) if c.tipo == "number" else t.get(c.chiave)) or "BARRATO"
    consumi = {u: _num(t.get(f"consumi_{u}")) for u in ("m3_anno", "l_anno", "kg_anno")}
    dati["consumi"] = {k: v for k, v in consumi.items() if v} or "BARRATO"
    dati["generatori"] = [
        _foglio_generatore(t, generatore(t, f["n"]), set((f["esito"] or {}).get("campi_barrati", ())))
        for f in verdetti]
    return {k: v for k, v in dati.items() if v is not None}


def verifica(imp: ImpiantoCatasto, valori: dict[str, str], verdetto: Verdetto) -> tuple[str, dict[str, Any]]:
    """("allegato-b", validated data) or ValidationFailed with Italian errors; nothing is written."""
    dati = componi(imp, valori, verdetto)
    validate(get_document_type("allegato-b"), dati)
    return "allegato-b", dati


def errori_per_campo(exc: Exception) -> dict[str, str]:
    """Italian errors keyed by the form's field (``g2_t_fumi`` for the second sheet's flue gas)."""
    voci = exc.errors if isinstance(exc, ValidationFailed) and exc.errors else [exc]
    out: dict[str, str] = {}
    for e in voci:
        path = [str(p) for p in getattr(e, "path", ()) or ()]
        messaggio = getattr(e, "message", str(e))
        if len(path) >= 3 and path[0] == "generatori" and path[1].isdigit():
            n = int(path[1]) + 1
            campo = ORIGINE_GEN.get(path[2], path[2])
            if path[2] in ("strumento_combustione", "strumento_tiraggio", "data_realizzazione_impianto"):
                chiave = ORIGINE.get(path[2], path[2]) if path[2] != "strumento_tiraggio" else "strumento_tiraggio_marca"
                etichetta = ETICHETTE.get(chiave)
            else:
                chiave = f"g{n}_{campo}"
                etichetta = ETICHETTE_GEN.get(campo) or PROVE_IT.get(campo)
                if etichetta and etichetta.lower() not in messaggio.lower():
                    messaggio = f"{etichetta}: {messaggio}"
                etichetta, messaggio = None, f"Generatore {n}, {messaggio}"
        else:
            chiave = ORIGINE.get(path[0], path[0]) if path else "_"
            if chiave == "generatori":
                chiave = "_"
            etichetta = ETICHETTE.get(chiave)
        if etichetta and etichetta.lower() not in messaggio.lower():
            messaggio = f"{etichetta}: {messaggio}"
        out.setdefault(chiave, messaggio)
    return out

