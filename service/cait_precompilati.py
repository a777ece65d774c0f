"""Pre-filled Allegati G/F of the impianti a manutentore maintains: data from the catasto and from the
last keyed-in dichiarazione of the impianto (G below 35 kW, F from 35 kW; measurements left blank), one
at a time (:func:`precompilato`) or a day's route merged into ONE PDF (:func:`giro`). Print output:
signed (:func:`emittente_precompilati`), never archived.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import pikepdf
from sqlalchemy.orm import Session

from archive.anagrafiche import Manutentore, ManutenzioneImpianto
from archive.cait_dichiarazioni import ultima_dichiarazione
from archive.cait_tabelle import Attore
from archive.catasto import ImpiantoCatasto
from domain.cait_precompilati import precompila_f, precompila_g
from domain.errors import NotFound, RuleViolation
from renderers.pdf import DATI_JSON
from service.archivio import MetadatiDocumento
from service.cait import Prodotto, firma_prodotto, impianto_catasto, produci_documento
from service.emissione import Emissione
from service.settings import Settings

__all__ = ["dati_precompilati", "emittente_precompilati", "precompilato", "giro"]


def _verifica_manutentore(session: Session, codice: str, attore: Attore) -> None:
    if attore.pieni_poteri:
        return
    if attore.ruolo == "manutentore" and session.get(ManutenzioneImpianto, (codice, attore.manutentore_id)):
        return
    raise NotFound(f"L'impianto {codice} non è tra quelli mantenuti da questa ditta.", path=("codice_impianto",))


def dati_precompilati(session: Session, codice: str, attore: Attore, *, oggi: date,
                      data_controllo: date | None) -> tuple[str, dict[str, Any]]:
    """(document code, data) of the pre-filled form for one impianto, G below 35 kW, F from 35 kW."""
    _verifica_manutentore(session, codice, attore)
    imp = impianto_catasto(session, codice)
    ultima = ultima_dichiarazione(session, codice)
    precedente = ultima.dati if ultima is not None else None
    record = {c.name: getattr(imp, c.name) for c in ImpiantoCatasto.__table__.columns}
    tecnico = None
    if attore.manutentore_id is not None:
        m = session.get(Manutentore, attore.manutentore_id)
        tecnico = {"ragione_sociale": m.ragione_sociale,
                   "indirizzo": ", ".join(p for p in (m.indirizzo, m.comune) if p) or None}
    potenza = imp.potenza_focolare_totale_kw
    f = (potenza is not None and potenza >= 35) or (potenza is None and ultima is not None and ultima.tipo == "F")
    if potenza is None and ultima is None:
        raise RuleViolation(f"Impianto {codice}: potenza al focolare sconosciuta, impossibile scegliere tra "
                            "Allegato G e Allegato F.", path=("codice_impianto",))
    if f:
        return "allegato-f-precompilato", precompila_f(record, precedente, oggi=oggi, data_controllo=data_controllo,
                                                          tecnico=tecnico)
    return "allegato-g-precompilato", precompila_g(record, precedente, oggi=oggi, data_controllo=data_controllo,
                                                      tecnico=tecnico)


def emittente_precompilati(session: Session, attore: Attore) -> str:
    """Who signs pre-filled forms: the CAIT of the manutentore asking for them; the Regione (the
    platform that fills them from the catasto) for a manutentore with no CAIT or the command line."""
    m = session.get(Manutentore, attore.manutentore_id) if attore.manutentore_id is not None else None
    return m.cait_id if m is not None and m.cait_id else "regione"


def precompilato(session: Session, codice_impianto: str, attore: Attore, *, oggi: date,
                 data_controllo: date | None = None, settings: Settings | None = None,
                 emissione: Emissione | None = None, emittente: str | None = None) -> Prodotto:
    """The pre-filled G or F of one impianto the manutentore maintains (measurements left blank):
    print output, signed (:func:`emittente_precompilati`) but not archived."""
    code, dati = dati_precompilati(session, codice_impianto.strip().upper(), attore, oggi=oggi,
                                    data_controllo=data_controllo)
    chi = emittente or emittente_precompilati(session, attore)
    meta = MetadatiDocumento(tipo=code, data_documento=data_controllo or oggi, codice_impianto=dati["codice_catasto"],
                             cait=chi if chi != "regione" else None)
    return produci_documento(code, dati, meta, f"{code}-{dati['codice_catasto']}.pdf", settings=settings,
                    emissione=emissione, emittente=chi, registro=False)


def giro(session: Session, codici: Sequence[str], attore: Attore, *, oggi: date, data_controllo: date | None = None,
         settings: Settings | None = None, emissione: Emissione | None = None,
         emittente: str | None = None) -> Prodotto:
    """A day's route: the pre-filled forms of ``codici`` merged, in order, into ONE PDF, signed once
    (the single forms are merged unsigned: a signature would not survive the merge).

    The merged file keeps every record: its ``dati.json`` is ``{"tipo": "giro-precompilati",
    "data_controllo", "documenti": [{"codice_impianto", "tipo", "pagina_iniziale", "pagine",
    "dati"}…]}`` (each ``dati`` exactly as embedded in the single document).
    """
    if not codici:
        raise RuleViolation("Indicare almeno un impianto del giro.", path=("codici",))
    chi = emittente or emittente_precompilati(session, attore)
    cait = chi if chi != "regione" else None
    if emissione is not None:
        emissione.verifica_emittente("giro-precompilati", chi, cait=cait)
    singoli = [precompilato(session, c, attore, oggi=oggi, data_controllo=data_controllo, settings=settings)
               for c in dict.fromkeys(c.strip().upper() for c in codici)]
    pdf = _unisci([p.pdf for p in singoli], data_controllo or oggi)
    giorno = data_controllo or oggi
    meta = MetadatiDocumento(tipo="giro-precompilati", data_documento=giorno, cait=cait,
                             oggetto=f"Giro del {giorno:%d/%m/%Y}: {len(singoli)} rapporti precompilati")
    return firma_prodotto(Prodotto(pdf, f"giro-{giorno:%Y-%m-%d}.pdf", meta), emissione, chi)


def _unisci(pdfs: Sequence[bytes], giorno: date) -> bytes:
    """Concatenate PDF/A-3b documents; one ``dati.json`` listing each record and its pages."""
    documenti, pagina = [], 1
    out = pikepdf.open(io.BytesIO(pdfs[0]))
    for i, data in enumerate(pdfs):
        src = out if i == 0 else pikepdf.open(io.BytesIO(data))
        record = json.loads(src.attachments[DATI_JSON].get_file().read_bytes())
        n = len(src.pages)
        documenti.append({"codice_impianto": record["dati"]["codice_catasto"], "tipo": record["tipo"],
                          "pagina_iniziale": pagina, "pagine": n, "dati": record["dati"]})
        pagina += n
        if i:
            out.pages.extend(src.pages)
    payload = json.dumps({"tipo": "giro-precompilati", "data_controllo": giorno.isoformat(), "documenti": documenti},
                         ensure_ascii=False, indent=2, sort_keys=True).encode()
    del out.attachments[DATI_JSON]
    spec = pikepdf.AttachedFileSpec(out, payload, description="Dati dei documenti del giro (JSON)",
                                    filename=DATI_JSON, mime_type="application/json",
                                    relationship=pikepdf.Name.Data)
    out.attachments[DATI_JSON] = spec
    out.Root.AF = pikepdf.Array([out.Root.Names.EmbeddedFiles.Names[1]])
    with out.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp["dc:title"] = f"Giro del {giorno:%d/%m/%Y}: {len(documenti)} rapporti di controllo tecnico precompilati"
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()
