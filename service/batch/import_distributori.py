"""Distributor file → impianti "da ispezionare" in the catasto → a plates job (S1 §15.2, L1314–1316).

Lines are validated by ``domain.distributori`` (format documented there). Each valid line becomes
an impianto with a new codice (``archive.catasto.crea_impianto``, one transaction for the whole
file: either every valid line is stored or none). The record has no tipologia: the caller chooses
it (``IN``, impianto individuale, by default). Re-importing a file does not duplicate impianti:
a line whose punto di riconsegna (PDR) is already in the catasto as ``chiave_esterna`` is
reported as already present. A line without an ISTAT code is placed by the comune name when the
name is unique in Lombardia.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from archive.catasto import ImpiantoCatasto, crea_impianto
from archive.db import session_scope
from domain.codice import valida_istat_lombardo
from domain.distributori import ErroreRiga, RecordDistributore, leggi_file_distributore
from domain.errors import RuleViolation
from domain.identificativi import PREFISSO_ISTAT_DISTRIBUTORI
from domain.istat import comuni_della_regione

__all__ = ["EsitoImportazione", "importa_distributore"]


@dataclass
class EsitoImportazione:
    creati: list[dict[str, Any]] = field(default_factory=list)
    """New impianti as plate records (``codice_impianto``, ``indirizzo``, ``civico``, ``comune``, ``ente_id``)."""
    gia_presenti: list[dict[str, Any]] = field(default_factory=list)
    errori: list[ErroreRiga] = field(default_factory=list)
    righe_lette: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"righe_valide": self.righe_lette, "creati": self.creati, "gia_presenti": self.gia_presenti,
                "errori": [{"riga": e.riga, "campo": e.campo, "messaggio": e.messaggio} for e in self.errori]}


def _istat_per_nome(nome: str) -> str | None:
    trovati = [c.istat for c in comuni_della_regione("Lombardia") if c.nome.casefold() == nome.casefold()]
    return trovati[0] if len(trovati) == 1 else None


def importa_distributore(percorso: Path, *, engine: Engine, ente_id: str, tipologia: str = "IN",
                         prefisso_istat: str = PREFISSO_ISTAT_DISTRIBUTORI) -> EsitoImportazione:
    """Validate the file, create the new impianti; bad lines are reported, never stored."""
    try:
        testo = percorso.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleViolation(f"File {percorso.name} non leggibile: serve un file di testo UTF-8.", path=("file",)) from exc
    lettura = leggi_file_distributore(testo, prefisso_istat=prefisso_istat)
    esito = EsitoImportazione(errori=list(lettura.errori), righe_lette=len(lettura.validi))
    with session_scope(engine) as s:
        for r in lettura.validi:
            istat = r.istat or _istat_per_nome(r.comune)
            if istat is None:
                esito.errori.append(ErroreRiga(r.riga, "istat", f"Comune «{r.comune}» non individuato in Lombardia: "
                                                                 "indicare il codice ISTAT."))
                continue
            try:  # the CURIT codes Lombard comuni only: a line of another regione is reported, not imported
                valida_istat_lombardo(istat)
            except RuleViolation as exc:
                esito.errori.append(ErroreRiga(r.riga, "istat", exc.message))
                continue
            chiave = f"PDR:{r.codice_pdr}" if r.codice_pdr else None
            if chiave and (esistente := s.scalars(select(ImpiantoCatasto.codice_impianto)
                                                  .where(ImpiantoCatasto.chiave_esterna == chiave)).first()):
                esito.gia_presenti.append({"riga": r.riga, "codice_impianto": esistente})
                continue
            codice = _crea(s, r, istat, ente_id, tipologia, chiave)
            esito.creati.append({"codice_impianto": codice, "indirizzo": r.indirizzo, "civico": r.civico,
                                 "comune": r.comune, "ente_id": ente_id})
    esito.errori.sort(key=lambda e: (e.riga, e.campo))
    return esito


def _crea(s: Any, r: RecordDistributore, istat: str, ente_id: str, tipologia: str, chiave: str | None) -> str:
    return crea_impianto(
        s, istat=istat, tipologia=tipologia, indirizzo=r.indirizzo, ente_id=ente_id, civico=r.civico, cap=r.cap,
        comune=r.comune, stato="da ispezionare", chiave_esterna=chiave, responsabile_ragione_sociale=r.ragione_sociale,
        responsabile_cf=r.codice_fiscale, responsabile_indirizzo=f"{r.indirizzo} {r.civico or ''}".strip(),
        responsabile_comune=r.comune, responsabile_telefono=r.telefono)
