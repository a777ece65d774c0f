"""A manutentore fills an Allegato G or F online and issues it (DGR 18/09/2007, Allegati G e F).

* the model follows the impianto's potenza al focolare (G below 35 kW, F from 35 kW), exactly as
  the pre-filled paper (:func:`service.cait_precompilati.dati_precompilati` gives the catasto's data);
* :data:`CAMPI` is the online form: each entry a dotted key path of the model (``misura.o2``),
  its Italian label and its kind; the typed values are merged onto the pre-filled data and
  validated by the document type itself (:func:`verifica`), so the console's live check and the
  issue see the very same Italian errors, keyed by the dotted path of the field;
* the strumenti of the manutentore's CAIT (and those registered to the firm itself) are the choices
  for the combustion analyser (recorded in
  the osservazioni: the printed G/F has no box for it); its own bought etichette of the right
  model are the choices for the etichetta;
* ``service/api/routes/manutentore.emetti_online`` signs as the manutentore's CAIT, binds the
  etichetta (``venduta`` → ``vincolata``), commits, and archives the three copies in one PDF; when
  archiving fails (an error, or the archive refusing the document for good) the binding is undone
  (:func:`svincola`) and the issue is refused: nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from archive import etichette as stock
from archive.anagrafiche import Manutentore, Strumento
from archive.cait_tabelle import Attore
from domain.errors import AppError, RuleViolation, ValidationFailed
from service.cait_precompilati import dati_precompilati, emittente_precompilati
from service.produce import validate
from service.registry import get_document_type

__all__ = ["Campo", "CAMPI", "modulo", "verifica", "vincola", "svincola", "emittente", "errori_per_campo"]

SI_NO = [("SI", "Sì"), ("NO", "No"), ("N.C.", "Non controllabile"), ("BARRATO", "Non pertinente (barrato)")]


@dataclass(frozen=True)
class Campo:
    chiave: str
    etichetta: str
    tipo: str = "text"
    """text | number | date | time | select | textarea"""
    opzioni: tuple[tuple[str, str], ...] = ()
    solo: str = ""
    """"G" or "F" when the field exists only in that model."""
    sezione: str = ""


def _sez(nome: str, *campi: Campo) -> list[Campo]:
    return [Campo(c.chiave, c.etichetta, c.tipo, c.opzioni, c.solo, nome) for c in campi]


def _scelte(*valori: str) -> tuple[tuple[str, str], ...]:
    return tuple((v, v) for v in valori)


CAMPI: list[Campo] = [
    *_sez("Controllo",
          Campo("data_controllo", "Data del controllo", "date"),
          Campo("numero_rapporto", "Numero del rapporto"),
          Campo("orario_arrivo", "Orario di arrivo", "time"),
          Campo("orario_partenza", "Orario di partenza", "time")),
    *_sez("Responsabile e proprietario",
          Campo("responsabile_nome", "Responsabile dell'impianto"),
          Campo("responsabile_tel", "Telefono del responsabile", "tel"),
          Campo("responsabile_qualita", "Il responsabile è", "select",
                _scelte("proprietario", "occupante", "terzo responsabile", "amministratore")),
          Campo("proprietario_nome", "Proprietario")),
    *_sez("Generatore",
          Campo("costruttore", "Costruttore"), Campo("modello", "Modello"), Campo("matricola", "Matricola"),
          Campo("pot_focolare_kw", "Potenza al focolare (kW)", "number"),
          Campo("pot_utile_kw", "Potenza utile (kW)", "number"),
          Campo("anno_costruzione", "Anno di costruzione", "number"),
          Campo("tipo_caldaia", "Tipo di caldaia", "select", (("B", "B (aperta)"), ("C", "C (stagna)")), solo="G"),
          Campo("combustibile", "Combustibile", "select",
                _scelte("gas naturale", "Gpl", "Gasolio", "Kerosene", "Altro"), solo="G"),
          Campo("tiraggio_tipo", "Tiraggio", "select", _scelte("naturale", "forzato"), solo="G"),
          Campo("volumetria_m3", "Volumetria riscaldata (m³)", "number")),
    *_sez("Consumi delle due ultime stagioni",
          Campo("consumi.0.valore", "Consumo della prima stagione", "number"),
          Campo("consumi.0.unita", "Unità della prima stagione", "select", (("m3", "m³"), ("kg", "kg"))),
          Campo("consumi.1.valore", "Consumo della seconda stagione", "number"),
          Campo("consumi.1.unita", "Unità della seconda stagione", "select", (("m3", "m³"), ("kg", "kg")))),
    *_sez("Controlli",
          Campo("documentazione.libretto_impianto", "Libretto di impianto presente", "select", tuple(SI_NO), solo="G"),
          Campo("esame_locale.idoneita_locale", "Locale idoneo", "select", tuple(SI_NO), solo="G"),
          Campo("apparecchio.assenza_perdite", "Assenza di perdite", "select", tuple(SI_NO), solo="G"),
          Campo("apparecchio.dispositivi_sicurezza", "Dispositivi di sicurezza funzionanti", "select", tuple(SI_NO),
                solo="G")),
    *_sez("Analisi di combustione",
          Campo("strumento", "Strumento di misura", "select"),
          Campo("misura.temp_fumi", "Temperatura dei fumi (°C)", "number", solo="G"),
          Campo("misura.temp_aria", "Temperatura dell'aria comburente (°C)", "number", solo="G"),
          Campo("misura.o2", "O₂ (%)", "number", solo="G"),
          Campo("misura.co2", "CO₂ (%)", "number", solo="G"),
          Campo("misura.co_ppm", "CO (ppm)", "number", solo="G"),
          Campo("misura.rendimento", "Rendimento di combustione (%)", "number", solo="G")),
    *_sez("Esito",
          Campo("puo_funzionare", "L'impianto può funzionare", "select", (("SI", "Sì"), ("NO", "No"))),
          Campo("osservazioni", "Osservazioni", "textarea"),
          Campo("tecnico.nome_cognome", "Tecnico che ha eseguito il controllo"),
          Campo("tecnico.telefono", "Telefono del tecnico", "tel"),
          Campo("numero_etichetta", "Etichetta di validazione", "select")),
]


def _leggi(dati: dict[str, Any], chiave: str) -> Any:
    x: Any = dati
    for p in chiave.split("."):
        if isinstance(x, list):
            x = x[int(p)] if p.isdigit() and int(p) < len(x) else None
        elif isinstance(x, dict):
            x = x.get(p)
        else:
            return None
    return x


def _scrivi(dati: dict[str, Any], chiave: str, valore: Any) -> None:
    parti = chiave.split(".")
    x: Any = dati
    for p, dopo in zip(parti, parti[1:]):
        if isinstance(x, list):
            while len(x) <= int(p):
                x.append({})
            x = x[int(p)]
        else:
            if not isinstance(x.get(p), (dict, list)):
                x[p] = [] if dopo.isdigit() else {}
            x = x[p]
    x[parti[-1]] = valore


def campi_per(tipo: str) -> list[Campo]:
    return [c for c in CAMPI if not c.solo or c.solo == tipo]


def modulo(session: Session, codice: str, attore: Attore, *, oggi: date) -> dict[str, Any]:
    """Everything the form page needs: model, pre-filled values, choices."""
    code, dati = dati_precompilati(session, codice.strip().upper(), attore, oggi=oggi, data_controllo=oggi)
    tipo = "F" if code.startswith("allegato-f") else "G"
    campi_modello = get_document_type(f"allegato-{tipo.lower()}").model.model_fields
    dati = {k: v for k, v in dati.items() if k in campi_modello}  # the precompilato's extras (its CAIT) stay out
    m = session.get(Manutentore, attore.manutentore_id)
    cond = Strumento.manutentore_id == attore.manutentore_id
    if m is not None and m.cait_id:
        cond = or_(cond, Strumento.cait_id == m.cait_id)
    strumenti = list(session.scalars(select(Strumento).where(cond).order_by(Strumento.marca, Strumento.modello)))
    mie = stock.elenco(session, ambito=stock.Ambito(manutentore_id=attore.manutentore_id), stato="venduta",
                       limite=500)["etichette"]
    opzioni = {
        "strumento": [(str(s.id), f"{s.marca} {s.modello} matricola {s.matricola}") for s in strumenti],
        "numero_etichetta": [(e["numero_leggibile"], e["numero_leggibile"]) for e in mie if e["tipo"] == tipo],
    }
    valori = {c.chiave: "" if _leggi(dati, c.chiave) is None else str(_leggi(dati, c.chiave)) for c in campi_per(tipo)}
    return {"tipo": tipo, "codice": dati["codice_catasto"], "dati": dati, "valori": valori, "opzioni": opzioni,
            "campi": campi_per(tipo), "indirizzo": f"{dati.get('indirizzo', '')} {dati.get('civico') or ''}, "
                                                  f"{dati.get('comune', '')}".strip()}


def _componi(session: Session, codice: str, attore: Attore, valori: dict[str, str], *,
             oggi: date) -> tuple[str, dict[str, Any], list[RuleViolation]]:
    info = modulo(session, codice, attore, oggi=oggi)
    dati = info["dati"]
    for c in info["campi"]:
        if c.chiave == "strumento":
            continue
        testo = (valori.get(c.chiave) or "").strip()
        _scrivi(dati, c.chiave, testo or None)
    strumento = None
    errori: list[RuleViolation] = []
    scelto = (valori.get("strumento") or "").strip()
    if scelto:
        strumento = session.get(Strumento, int(scelto)) if scelto.isdigit() else None
        if strumento is None or str(strumento.id) not in {k for k, _ in info["opzioni"]["strumento"]}:
            errori.append(RuleViolation("Scegliere uno strumento registrato presso il CAIT.", path=("strumento",)))
            strumento = None
        else:
            nota = f"Analisi eseguita con {strumento.marca} {strumento.modello} matricola {strumento.matricola}."
            dati["osservazioni"] = " ".join(x for x in (dati.get("osservazioni"), nota) if x)
    etichetta = dati.get("numero_etichetta")
    if not etichetta:
        errori.append(RuleViolation("Scegliere l'etichetta di validazione da applicare.", path=("numero_etichetta",)))
    elif etichetta not in {k for k, _ in info["opzioni"]["numero_etichetta"]}:
        errori.append(RuleViolation("Scegliere una delle proprie etichette acquistate e non ancora usate, del modello "
                                    f"Allegato {info['tipo']}.", path=("numero_etichetta",)))
    return info["tipo"], dati, errori


def errori_per_campo(exc: AppError) -> dict[str, str]:
    voci = exc.errors if isinstance(exc, ValidationFailed) and exc.errors else [exc]
    out: dict[str, str] = {}
    for e in voci:
        out.setdefault(".".join(str(p) for p in e.path) or "_", e.message)
    return out


def verifica(session: Session, codice: str, attore: Attore, valori: dict[str, str], *,
             oggi: date) -> tuple[str, dict[str, Any]]:
    """(tipo, validated data) or an Italian error per field; nothing is written."""
    tipo, dati, errori = _componi(session, codice, attore, valori, oggi=oggi)
    try:
        validate(get_document_type(f"allegato-{tipo.lower()}"), dati)
    except ValidationFailed as exc:
        errori.extend(exc.errors or [exc])
    except RuleViolation as exc:
        errori.append(exc)
    if errori:
        raise ValidationFailed(errori)
    return tipo, dati


def vincola(session: Session, tipo: str, dati: dict[str, Any], attore: Attore) -> None:
    """Bind the etichetta to this dichiarazione, in the caller's transaction."""
    numero = dati["numero_etichetta"]
    stock.vincola(session, numero, dati["codice_catasto"], tipo, date.fromisoformat(str(dati["data_controllo"])),
                  autore=stock.Autore(attore.username, attore.ruolo),
                  ambito=stock.Ambito(manutentore_id=attore.manutentore_id),
                  potenza_focolare_kw=Decimal(str(dati["pot_focolare_kw"])) if dati.get("pot_focolare_kw") else None)


def svincola(session: Session, tipo: str, dati: dict[str, Any], attore: Attore, motivo: str) -> bool:
    """Undo :func:`vincola` when the G/F could not be archived (the etichetta is free again)."""
    return stock.svincola(session, dati["numero_etichetta"], dati["codice_catasto"], tipo,
                          date.fromisoformat(str(dati["data_controllo"])),
                          autore=stock.Autore(attore.username, attore.ruolo), motivo=motivo,
                          ambito=stock.Ambito(manutentore_id=attore.manutentore_id))


def emittente(session: Session, attore: Attore) -> str:
    """Who seals the issued G/F: the firm's CAIT; the Regione (the CURIT platform) for a firm that
    operates autonomously after its scollegamento (as for pre-filled forms)."""
    return emittente_precompilati(session, attore)


