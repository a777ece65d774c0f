"""The ispettore completes and issues the rapporto di prova of an impianto of the catasto
(DGR 18/09/2007, Allegato A), then the lettera di esito from it in one step.

* the data: the catasto record (codice, ubicazione, responsabile), the three combustion trials of
  the console's prova (``console_ispettore``: the same names as ``ProvaCombustione``) and the
  remaining required fields of :data:`CAMPI`; the fields the esito strikes (7.a, 7.c, 4.c, 5.b) are
  written ``BARRATO`` when left empty;
* :func:`verifica` validates with the document type itself (``service.produce.validate``, the very
  check of ``curit-docs render allegato-a``): Italian errors keyed by the form's field names;
* issuing goes through ``Emissione.emetti`` (the one of ``POST /documenti/{tipo}/pdf``), signed by
  the inspector's Ente and archived; :func:`lettere` builds the letters of the archived rapporto with
  ``domain.avvisi.riepilogo_da_rapporto`` / ``lettere_esito`` (as the Ente's batch of esiti does),
  the responsabile's postal address coming from the catasto.

The Allegato B (35 kW and over, one sheet per generator) is composed by ``rapporto_ispettore_b`` on
the same section 1 (:func:`generali`) and instruments (:func:`strumento`); :func:`strumenti` lists the
instruments registered by the CAIT in convention with the inspector's Ente, offered as choices.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from archive.anagrafiche import Cait, CaitEnte, Strumento
from archive.catasto import ImpiantoCatasto
from domain.avvisi import Destinatario, LetteraEsito, lettere_esito, riepilogo_da_rapporto
from domain.errors import NotFound, RuleViolation, ValidationFailed
from service.produce import validate
from service.registry import get_document_type

__all__ = ["Campo", "CAMPI", "CAMPI_BARRABILI", "impianto", "modulo", "verifica", "lettere", "dati_archiviati",
           "errori_per_campo", "generali", "strumento", "strumenti", "scegli_strumenti"]

SI_NO = (("Si", "Sì"), ("No", "No"))
EVACUAZIONE = ("L'apparecchio scarica in un sistema fumario (singolo o collettivo)",
               "L'apparecchio scarica direttamente all'esterno")
USI = {"riscaldamento": ["Riscaldamento ambienti"],
       "riscaldamento+acs": ["Riscaldamento ambienti", "Produzione di acqua calda sanitaria"],
       "acs": ["Produzione di acqua calda sanitaria"]}
COMBUSTIBILE_A = {"gas naturale": "Gas naturale", "gpl": "GPL", "gasolio": "Gasolio"}
RIGHE = ("bacharach", "t_mandata", "t_aria", "t_fumi", "co_misurato", "o2_co2")


@dataclass(frozen=True)
class Campo:
    chiave: str
    etichetta: str
    tipo: str = "text"
    opzioni: tuple[tuple[str, str], ...] = ()
    obbligatorio: bool = False
    aiuto: str = ""


def _s(*valori: str) -> tuple[tuple[str, str], ...]:
    return tuple((v, v) for v in valori)


CAMPI: list[Campo] = [
    Campo("data_ispezione", "1.b Data dell'ispezione", "date", obbligatorio=True),
    Campo("numero_ispezione", "1.b Numero dell'ispezione", obbligatorio=True),
    Campo("ispettore", "1.c Ispettore ed estremi della qualifica", obbligatorio=True),
    Campo("biennio_da", "Biennio: primo anno", obbligatorio=True),
    Campo("biennio_a", "Biennio: secondo anno", obbligatorio=True),
    Campo("dichiarato", "1.d Impianto dichiarato", "select", SI_NO, True),
    Campo("responsabile_ruolo", "1.i Il responsabile è", "select",
          _s("Occupante", "Proprietario/i", "Amministratore", "Terzo responsabile (manutentore)"), True),
    Campo("responsabile_nome", "Responsabile: cognome e nome o ragione sociale", obbligatorio=True),
    Campo("responsabile_cf", "Responsabile: codice fiscale o partita IVA"),
    Campo("destinazione_prevalente", "2.a Destinazione prevalente", "select",
          _s("Residenziale", "Terziario/Artigianale/Industriale", "Altro"), True),
    Campo("servizio", "2.b Impianto a servizio di", "select",
          _s("Singola unità Immobiliare", "Più unità immobiliari"), True),
    Campo("destinazione_uso", "2.c Destinazione d'uso", "select",
          (("riscaldamento", "Riscaldamento ambienti"),
           ("riscaldamento+acs", "Riscaldamento ambienti e acqua calda sanitaria"),
           ("acs", "Produzione di acqua calda sanitaria")), True),
    Campo("data_realizzazione_impianto", "3.c Data di realizzazione dell'impianto", "date", obbligatorio=True),
    Campo("costruttore_caldaia", "3.e Costruttore della caldaia"),
    Campo("modello_matricola_caldaia", "3.f Modello e matricola della caldaia"),
    Campo("locale", "3.g Locale d'installazione", "select", _s("Interno", "Locale tecnico", "Esterno"), True),
    Campo("interno_uso", "3.g Uso del locale interno (es. cucina)"),
    Campo("evacuazione", "4.b Evacuazione dei prodotti della combustione", "select", _s(*EVACUAZIONE), True),
    Campo("dich_conformita", "5.c Dichiarazione di conformità", "select", SI_NO, True),
    Campo("libretto_uso", "5.d Libretto d'uso e manutenzione", "select", _s("Presente", "Assente"), True),
    Campo("analisi_combustione", "6.b Analisi di combustione del manutentore", "select",
          _s("Effettuata", "Non effettuata"), True),
    Campo("rct_presente", "6.c Rapporto di controllo tecnico presente", "select", SI_NO, True),
]
"""The required fields of the rapporto the trials and the catasto do not give."""

SI_NO_BARRATO = (("", "— barrato (non pertinente) —"), *SI_NO)
CAMPI_BARRABILI: list[Campo] = [
    Campo("n_dichiarazione", "1.e Numero della dichiarazione"),
    Campo("data_dichiarazione", "1.f Data della dichiarazione", "date"),
    Campo("volumetria_m3", "1.p Volumetria riscaldata (m³)", "number"),
    Campo("consumi_m3_anno", "1.q Consumi (m³/anno)", "number"),
    Campo("portata_m3h", "3.l Portata di combustibile (m³/h)", "number"),
    Campo("pot_focolare_misurata_kw", "3.l Potenza al focolare misurata (kW)", "number"),
    Campo("pendenza_canali", "4.a Pendenza corretta dei canali da fumo", "select", SI_NO_BARRATO),
    Campo("stato_condotti", "4.a Buono stato dei condotti di evacuazione", "select", SI_NO_BARRATO),
    Campo("foro_posizione", "4.a Foro in posizione corretta", "select", SI_NO_BARRATO),
    Campo("foro_chiusura", "4.a Chiusura del foro corretta", "select", SI_NO_BARRATO),
    Campo("idoneita_locale", "4.c Idoneità del locale", "select", SI_NO_BARRATO),
    Campo("aperture_dimensioni", "4.c Aperture di ventilazione adeguate", "select", SI_NO_BARRATO),
    Campo("aperture_libere", "4.c Aperture di ventilazione libere", "select", SI_NO_BARRATO),
    Campo("coibentazioni", "4.d Stato delle coibentazioni", "select",
          (("", "— barrato (non pertinente) —"), ("b", "Buono"), ("m", "Medio"), ("s", "Scarso"))),
    Campo("disp_regolazione_presenti", "4.e Dispositivi di regolazione presenti", "select", SI_NO_BARRATO),
    Campo("disp_regolazione_funzionanti", "4.e Dispositivi di regolazione funzionanti", "select", SI_NO_BARRATO),
    Campo("disp_climatica_presenti", "4.e Regolazione climatica presente", "select", SI_NO_BARRATO),
    Campo("disp_climatica_funzionanti", "4.e Regolazione climatica funzionante", "select", SI_NO_BARRATO),
    Campo("compilazione_libretto", "5.b Compilazione del libretto", "select",
          (("", "— barrato (non pertinente) —"), ("Completa", "Completa"), ("Incompleta", "Incompleta"))),
    Campo("data_ultima_manutenzione", "6.a Data dell'ultima manutenzione", "date"),
    Campo("rct_con_prescrizioni", "6.c Rapporto di controllo tecnico con prescrizioni", "select", SI_NO_BARRATO),
    Campo("strumento_marca", "7 Analizzatore: marca"),
    Campo("strumento_modello", "7 Analizzatore: modello"),
    Campo("strumento_matricola", "7 Analizzatore: matricola"),
    Campo("strumento_tiraggio_marca", "7.c Strumento del tiraggio: marca (vuoto = l'analizzatore)"),
    Campo("strumento_tiraggio_modello", "7.c Strumento del tiraggio: modello"),
    Campo("strumento_tiraggio_matricola", "7.c Strumento del tiraggio: matricola"),
]
"""Fields of the rapporto that may be struck: left empty, they are printed BARRATO (never blank)."""
CHIAVI = {c.chiave for c in CAMPI}
ETICHETTE = {c.chiave: c.etichetta for c in (*CAMPI, *CAMPI_BARRABILI)}
BARRABILI = {c.chiave for c in CAMPI_BARRABILI if not c.chiave.startswith("strumento_")} - {"consumi_m3_anno"}

# The model's field → the console field it comes from (errors are shown there).
ORIGINE = {"data_installazione_gen": "data_installazione", "pot_utile_nom_kw": "pn_utile_kw",
           "libretto_impianto": "libretto_presente", "occupante": "responsabile_nome",
           "proprietario": "responsabile_nome", "amministratore": "responsabile_nome",
           "terzo_resp_manutentore": "responsabile_nome", "ubicazione": "codice", "codice_catasto": "codice",
           "destinazione_uso": "destinazione_uso", "combustibile_altro": "combustibile",
           "consumi": "consumi_m3_anno", "strumento_combustione": "strumento_marca", "delegato": "codice",
           "strumento_tiraggio": "strumento_tiraggio_marca"}
RUOLO_BLOCCO = {"Occupante": "occupante", "Proprietario/i": "proprietario", "Amministratore": "amministratore",
                "Terzo responsabile (manutentore)": "terzo_resp_manutentore"}


def impianto(session: Session, ente_id: str | None, codice: str) -> ImpiantoCatasto:
    """The impianto of the catasto, within the caller's Ente (``ente_id`` None: admin, any)."""
    q = select(ImpiantoCatasto).where(ImpiantoCatasto.codice_impianto == (codice or "").strip().upper())
    if ente_id is not None:
        q = q.where(ImpiantoCatasto.ente_id == ente_id)
    imp = session.scalar(q)
    if imp is None:
        raise NotFound(f"Impianto {codice} non trovato nel catasto dell'Ente.", path=("codice",))
    return imp


def strumenti(session: Session, ente_id: str | None, cait_id: str | None = None) -> list[dict[str, str]]:
    """The instruments an inspector may choose: those the CAIT in convention with its Ente (and its own
    CAIT, if any) registered as theirs (not a manutentore's); admin (no Ente, no CAIT): every CAIT's."""
    q = (select(Strumento, Cait.denominazione).join(Cait, Cait.id == Strumento.cait_id)
         .where(Strumento.manutentore_id.is_(None)).order_by(Strumento.marca, Strumento.modello, Strumento.matricola))
    if ente_id is not None or cait_id is not None:
        cond = Strumento.cait_id.in_(select(CaitEnte.cait_id).where(CaitEnte.ente_id == ente_id))
        q = q.where(or_(cond, Strumento.cait_id == cait_id) if cait_id else cond)
    return [{"id": str(s.id), "marca": s.marca, "modello": s.modello, "matricola": s.matricola, "cait": nome,
             "etichetta": f"{s.marca} {s.modello} · matricola {s.matricola} ({nome})"}
            for s, nome in session.execute(q.limit(500))]


def scegli_strumenti(valori: dict[str, str], registrati: list[dict[str, str]]) -> dict[str, str]:
    """The instrument chosen in a select (``strumento_scelto`` / ``strumento_tiraggio_scelto``: a
    registered id) fills its marca, modello and matricola where nothing was typed (the page's script
    does it while choosing; this is the same without JavaScript)."""
    per_id = {s["id"]: s for s in registrati}
    out = dict(valori)
    for prefisso in ("strumento_", "strumento_tiraggio_"):
        scelto = per_id.get((valori.get(f"{prefisso}scelto") or "").strip())
        if scelto and not any((valori.get(f"{prefisso}{k}") or "").strip() for k in ("marca", "modello", "matricola")):
            out.update({f"{prefisso}{k}": scelto[k] for k in ("marca", "modello", "matricola")})
    return out


def allegato_di(imp: ImpiantoCatasto) -> str:
    """A below 35 kW al focolare, B from 35 kW (DGR 18/09/2007, Allegati A e B)."""
    p = imp.potenza_focolare_totale_kw
    return "B" if p is not None and p >= Decimal(35) else "A"


def modulo(imp: ImpiantoCatasto, ispettore: str, *, oggi: date) -> dict[str, str]:
    """The pre-filled values of :data:`CAMPI` (from the catasto and today's date)."""
    biennio = oggi.year if oggi.month >= 8 else oggi.year - 1  # the biennio starts with the heating season
    return {"data_ispezione": oggi.isoformat(), "numero_ispezione": "", "ispettore": ispettore,
            "biennio_da": str(biennio), "biennio_a": str(biennio + 1), "dichiarato": "Si",
            "responsabile_ruolo": "Occupante",
            "responsabile_nome": imp.responsabile_ragione_sociale or imp.responsabile_cognome_nome or "",
            "responsabile_cf": imp.responsabile_cf or "", "destinazione_prevalente": "Residenziale",
            "servizio": "Singola unità Immobiliare", "destinazione_uso": "riscaldamento",
            "data_realizzazione_impianto": "", "costruttore_caldaia": "", "modello_matricola_caldaia": "",
            "locale": "Interno", "interno_uso": "", "evacuazione": EVACUAZIONE[0], "dich_conformita": "Si",
            "libretto_uso": "Presente", "analisi_combustione": "Effettuata", "rct_presente": "Si",
            **{c.chiave: "" for c in CAMPI_BARRABILI}}


def _num(v: str | None) -> str | None:
    v = (v or "").strip().replace(",", ".")
    return v or None


def generali(imp: ImpiantoCatasto, t: dict[str, str]) -> dict[str, Any]:
    """Section 1 (catasto, ubicazione, responsabile) and 2.c of a rapporto A or B, from the catasto
    and the typed values ``t`` (already stripped)."""
    ruolo = t.get("responsabile_ruolo") or "Occupante"
    soggetto = {"ragione_sociale": "BARRATO", "cognome_nome": t.get("responsabile_nome") or None,
                "cf_piva": t.get("responsabile_cf") or "BARRATO",
                "indirizzo": imp.responsabile_indirizzo or "BARRATO", "comune": imp.responsabile_comune or "BARRATO",
                "telefono": imp.responsabile_telefono or "BARRATO", "fax": "BARRATO"}
    dati: dict[str, Any] = {
        "codice_catasto": imp.codice_impianto,
        "ubicazione": {"comune": f"{imp.comune} ({imp.provincia})" if imp.provincia else imp.comune,
                       "indirizzo": " ".join(p for p in (imp.indirizzo, imp.civico) if p),
                       "localita": imp.localita or "BARRATO", "scala": imp.scala or "BARRATO",
                       "piano": imp.piano or "BARRATO"},
        "delegato": "BARRATO", **{blocco: "BARRATO" for blocco in RUOLO_BLOCCO.values()},
        "responsabile_ruolo": ruolo,
        "destinazione_uso": USI.get(t.get("destinazione_uso", ""), t.get("destinazione_uso") or None),
        "consumi": {"m3_anno": _num(t["consumi_m3_anno"])} if t.get("consumi_m3_anno") else "BARRATO",
    }
    dati[RUOLO_BLOCCO.get(ruolo, "occupante")] = soggetto
    for campo in ("biennio_da", "biennio_a"):
        valore = t.get(campo) or None
        dati[campo] = int(valore) if (valore or "").isdigit() else valore
    return dati


def strumento(t: dict[str, str], prefisso: str = "strumento_") -> dict[str, Any] | str:
    """The instrument block (marca, modello, matricola) typed or chosen; empty: BARRATO."""
    valori = {k: t.get(f"{prefisso}{k}") or None for k in ("marca", "modello", "matricola")}
    return valori if any(valori.values()) else "BARRATO"


def _componi(imp: ImpiantoCatasto, v: dict[str, str], barrati: set[str]) -> dict[str, Any]:
    t = {k: (v.get(k) or "").strip() for k in v}
    comb = t.get("combustibile") or "gas naturale"
    dati: dict[str, Any] = {
        **generali(imp, t), "portata_kgh": "BARRATO",
        "combustibile": COMBUSTIBILE_A.get(comb, "Altro"),
        "combustibile_altro": None if comb in COMBUSTIBILE_A else comb,
        "fluido": t.get("fluido") or "acqua", "tipo_caldaia": t.get("tipo_caldaia") or None,
        "data_installazione_gen": t.get("data_installazione") or "dopo il 29/10/1993",
        "classificazione": t.get("classificazione") or None,
        "pot_focolare_nom_kw": str(imp.potenza_focolare_totale_kw) if imp.potenza_focolare_totale_kw else None,
        "pot_utile_nom_kw": _num(t.get("pn_utile_kw")), "eta_min_manuale": _num(t.get("eta_min_manuale")),
        "foro_presente": "No" if t.get("foro_presente") == "NO" else "Si",
        "libretto_impianto": "Assente" if t.get("libretto_presente") == "NO" else "Presente",
        "manut_corrente": t.get("manut_corrente") or "Effettuata",
        "manut_precedenti": t.get("manut_precedenti") or "Effettuata",
        "cella": t.get("cella") or "O2", "tiraggio_pa": _num(t.get("tiraggio_pa")),
    }
    for k in RIGHE:
        prove = [_num(t.get(f"{k}_{n}")) for n in (1, 2, 3)]
        dati[k] = prove if any(prove) else None
    for k in CHIAVI - {"costruttore_caldaia", "modello_matricola_caldaia", "destinazione_uso", "responsabile_ruolo",
                       "responsabile_nome", "responsabile_cf", "biennio_da", "biennio_a"}:
        dati[k] = t.get(k) or None
    for k in (*BARRABILI, "costruttore_caldaia", "modello_matricola_caldaia"):
        dati[k] = _num(t.get(k)) if k in ("volumetria_m3", "portata_m3h", "pot_focolare_misurata_kw") \
            else (t.get(k) or None)
        dati[k] = dati[k] or "BARRATO"
    dati["strumento_combustione"] = strumento(t)
    dati["strumento_tiraggio"] = strumento(t, "strumento_tiraggio_")
    if dati["strumento_tiraggio"] == "BARRATO" and dati.get("tiraggio_pa"):
        dati["strumento_tiraggio"] = dati["strumento_combustione"]  # the analyser measured the draught too
    # the points the esito strikes: an empty field there is written BARRATO (FORMS.md §1.8)
    for punto, campi in (("7.a", ("bacharach",)), ("7.c", ("tiraggio_pa",)), ("5.b", ("compilazione_libretto",)),
                         ("4.c", ("idoneita_locale", "aperture_dimensioni", "aperture_libere"))):
        if punto in barrati:
            for c in campi:
                if dati.get(c) is None:
                    dati[c] = "BARRATO"
    return {k: val for k, val in dati.items() if val is not None}


def errori_per_campo(exc: Exception) -> dict[str, str]:
    voci = exc.errors if isinstance(exc, ValidationFailed) and exc.errors else [exc]
    out: dict[str, str] = {}
    for e in voci:
        path = tuple(str(p) for p in getattr(e, "path", ()) or ())
        chiave = ORIGINE.get(path[0], path[0]) if path else "_"
        messaggio = getattr(e, "message", str(e))
        etichetta = ETICHETTE.get(chiave)
        if etichetta and etichetta.lower() not in messaggio.lower():
            messaggio = f"{etichetta}: {messaggio}"
        out.setdefault(chiave, messaggio)
    return out


def verifica(imp: ImpiantoCatasto, valori: dict[str, str], barrati: set[str]) -> tuple[str, dict[str, Any]]:
    """(document type, validated data) or ValidationFailed with Italian errors; nothing is written."""
    if allegato_di(imp) == "B":
        raise RuleViolation(f"L'impianto {imp.codice_impianto} ha 35 kW o più al focolare: il suo rapporto di prova "
                            "è l'Allegato B.", path=("allegato",))
    dati = _componi(imp, valori, barrati)
    validate(get_document_type("allegato-a"), dati)
    return "allegato-a", dati


def dati_archiviati(pdf: bytes) -> dict[str, Any]:
    """The data of an issued rapporto, from its embedded ``dati.json``."""
    from renderers.pdf import read_attachment

    record = json.loads(read_attachment(pdf))
    return record.get("dati", record) if isinstance(record, dict) else record


def lettere(tipo: str, dati: dict[str, Any], imp: ImpiantoCatasto | None, *, protocollo: str, funzionario: str,
            data_lettera: date) -> list[LetteraEsito]:
    """The letters of one rapporto (the responsabile's first), addressed with the catasto's CAP."""
    errori = [RuleViolation(f"Indicare {nome}.", path=(campo,)) for campo, nome, val in (
        ("protocollo", "il protocollo della lettera", protocollo), ("funzionario", "il funzionario che firma",
                                                                     funzionario)) if not (val or "").strip()]
    if errori:
        raise ValidationFailed(errori)
    rapporto = validate(get_document_type(tipo), dati)
    dest = None
    if imp is not None and (imp.responsabile_ragione_sociale or imp.responsabile_cognome_nome):
        dest = Destinatario(nominativo=(imp.responsabile_ragione_sociale or imp.responsabile_cognome_nome)[:80],
                            indirizzo=imp.responsabile_indirizzo or None, cap=imp.cap or None,
                            comune=imp.responsabile_comune or imp.comune or None,
                            provincia=imp.provincia if imp.provincia and len(imp.provincia) == 2 else None)
    r = riepilogo_da_rapporto("A" if tipo == "allegato-a" else "B", rapporto, dest)
    return lettere_esito(r, protocollo=protocollo.strip()[:30], data_lettera=data_lettera,
                         funzionario=funzionario.strip()[:60], ente_id=imp.ente_id if imp is not None else None,
                         provincia=imp.provincia if imp is not None and imp.provincia else "")
