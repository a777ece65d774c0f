"""Who may issue what: the issuing policy of every document type, checked before any work.

Pure rules over the organisations' registry (``domain.enti``): no key, no signature, no archive.
``service.emissione`` signs and archives with them; a batch job checks its signer with them
before printing, without loading the signing stack (``service.batch.firme``).

Who issues what (``EMITTENTI``; see docs/parts/emissione.md):

- documents the Ente writes (rapporti di prova A/B, avvisi, lettere di esito, rendiconto,
  targhe) are signed by the Ente competente for the impianto;
- documents the CAIT writes (distinte, ricevute, rendiconti, elenchi, precompilati) by that CAIT;
- declarations written by someone else (G, F, E1, E2, H, I, L, M, lettera di trasmissione) are
  sealed by the organisation that receives and registers them: an Ente or a CAIT. The seal
  says "acquisito da", not "emesso da": it proves integrity and provenance, not authorship.
- ``regione`` (the CURIT operator) may seal any document.

Print files that are not registered document types have their own entries (``FILE_DI_STAMPA``:
etichette sheets are the Ente's, a day's route of pre-filled forms the CAIT's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from domain.enti import RegistroEnti, registro_enti
from domain.errors import NotFound, RuleViolation
from service.registry import DOCUMENT_TYPES, DocumentType

__all__ = [
    "EMITTENTI",
    "FILE_DI_STAMPA",
    "Emittente",
    "Organizzazione",
    "TipoOrganizzazione",
    "emittente_di_stampa",
    "emittente_predefinito",
    "nota",
    "organizzazione",
    "verifica_emittente",
]

TipoOrganizzazione = Literal["ente", "cait", "regione"]


@dataclass(frozen=True)
class Emittente:
    """Which kind of organisation signs a document type."""

    tipo: Literal["ente", "cait"]
    """The organisation the document belongs to (and that signs it by default)."""
    acquisito: bool = False
    """True for a declaration written by someone else (responsabile, manutentore, amministratore):
    it is sealed by whoever receives and registers it, an Ente or a CAIT, not by its author."""
    destinatario: str | None = None
    """Who receives it when the data names no Ente (Allegato M is addressed to the Regione)."""


_ENTE = Emittente("ente")
_CAIT = Emittente("cait")
_ACQUISITO = Emittente("ente", acquisito=True)

EMITTENTI: Mapping[str, Emittente] = {
    # written and issued by the Ente competente
    "allegato-a": _ENTE, "allegato-b": _ENTE, "avviso-ispezione": _ENTE, "lettera-esito": _ENTE,
    "rendiconto-ente-trimestrale": _ENTE, "targhe": _ENTE, "etichette": _ENTE,
    # written and issued by a CAIT
    "distinta-ricevuta": _CAIT, "ricevuta": _CAIT, "rendiconto-cait": _CAIT, "elenco-manutentori": _CAIT,
    "elenco-operatori": _CAIT, "elenco-strumenti": _CAIT, "allegato-g-precompilato": _CAIT,
    "allegato-f-precompilato": _CAIT,
    # declarations of responsabili, manutentori, amministratori: sealed on receipt
    "allegato-g": _ACQUISITO, "allegato-f": _ACQUISITO, "allegato-e1": _ACQUISITO, "allegato-e2": _ACQUISITO,
    "allegato-h": _ACQUISITO, "allegato-i": _ACQUISITO, "allegato-l": _ACQUISITO,
    "allegato-m": Emittente("ente", acquisito=True, destinatario="regione"),
    "lettera-trasmissione": _ACQUISITO,
}
"""Issuing policy per document type (tests check that every registered type has one)."""

FILE_DI_STAMPA: Mapping[str, tuple[str, Emittente]] = {
    "etichette": ("Fogli di etichette di validazione", _ENTE),
    "giro-precompilati": ("Giro di rapporti di controllo precompilati", _CAIT),
}
"""Print files that are not registered document types: (Italian title, issuing policy). Signed
once by their issuer with :meth:`Emissione.firma_stampa`, never archived. (``targhe`` is a
registered type: its stamped sheets use its ``EMITTENTI`` entry.)"""

_NON_REGISTRATO = _ACQUISITO
"""Policy of a PDF whose type is not in the registry (e.g. a merged print file of a batch)."""

_CAIT_ID = re.compile(r"^CAIT-[A-Z0-9][A-Z0-9-]{0,26}$", re.IGNORECASE)


@dataclass(frozen=True)
class Organizzazione:
    """An organisation that can sign: an Ente, a CAIT or the Regione."""

    tipo: TipoOrganizzazione
    id: str
    """Ente id (``provincia-mantova``), CAIT id (``CAIT-MN-01``) or ``regione``."""
    denominazione: str

    @property
    def identita(self) -> str:
        """Name of its signing identity in ``CURIT_IDENTITA_DIR`` (``ente-<id>``, ``cait-<id>``, ``regione``)."""
        from service.identita import nome_identita

        return nome_identita(self.tipo, None if self.tipo == "regione" else self.id)


def organizzazione(emittente: str, registro: RegistroEnti | None = None) -> Organizzazione:
    """``provincia-mantova`` | ``CAIT-MN-01`` | ``regione`` → the organisation (Italian error otherwise)."""
    valore = (emittente or "").strip()
    if valore.lower() == "regione":
        return Organizzazione("regione", "regione", "Regione Lombardia")
    if _CAIT_ID.match(valore):
        return Organizzazione("cait", valore.upper(), f"CAIT {valore.upper()}")
    try:
        ente = (registro or registro_enti()).get(valore)
    except NotFound:
        raise RuleViolation(
            f"Emittente sconosciuto: {valore or '(vuoto)'}. Indicare l'id di un Ente (es. provincia-mantova), "
            "di un CAIT (es. CAIT-MN-01) oppure regione.",
            path=("emittente",),
        ) from None
    return Organizzazione("ente", ente.id, ente.denominazione)


def _politica(tipo: str) -> Emittente:
    if tipo in FILE_DI_STAMPA:
        return FILE_DI_STAMPA[tipo][1]
    return EMITTENTI.get(tipo, _NON_REGISTRATO)


def _titolo(tipo: str) -> str:
    # as in _politica, a print file's own entry wins over a document type of the same code
    # (the FAC-SIMILE preview "etichette" is also a registered type)
    if tipo in FILE_DI_STAMPA:
        return FILE_DI_STAMPA[tipo][0]
    return DOCUMENT_TYPES[tipo].title if tipo in DOCUMENT_TYPES else tipo


def emittente_di_stampa(enti: Iterable[str], richiesto: str | None = None) -> str:
    """Who signs a print file covering the labels of ``enti``: ``richiesto``, else that Ente when
    there is one, else the Regione (which may seal anything). An Ente never signs a file that
    holds another Ente's labels."""
    distinti = sorted(set(enti))
    if not distinti:
        raise RuleViolation("Il file di stampa non contiene nessuna etichetta.", path=("impianti",))
    if richiesto is None:
        return distinti[0] if len(distinti) == 1 else "regione"
    if len(distinti) > 1 and organizzazione(richiesto).tipo != "regione":
        raise RuleViolation(
            f"Il file di stampa riguarda più Enti ({', '.join(distinti)}): lo firma la Regione "
            "(--emittente regione) oppure stampare un file per ciascun Ente.",
            path=("emittente",),
        )
    return richiesto


def _ente_dei_dati(model: BaseModel, doc: DocumentType, registro: RegistroEnti) -> str | None:
    """The Ente the data names (``ente_id``, ``ente.id``), else the Ente competente of the impianto."""
    for valore in (getattr(model, "ente_id", None), getattr(getattr(model, "ente", None), "id", None)):
        if isinstance(valore, str) and valore:
            return valore
    impianti = getattr(model, "impianti", None)
    if isinstance(impianti, list) and len(impianti) > 1:  # targhe of many impianti: one Ente, else the Regione
        enti = [getattr(i, "ente_id", None) or _ente_competente(getattr(i, "codice_impianto", None), registro)
                for i in impianti]
        return emittente_di_stampa(enti) if all(enti) else None
    return _ente_competente(doc.codice_impianto(model), registro)


def _ente_competente(codice_impianto: str | None, registro: RegistroEnti) -> str | None:
    if not codice_impianto or not codice_impianto[:6].isdigit():
        return None
    try:
        return registro.competente(codice_impianto[:6]).id
    except (NotFound, RuleViolation):
        return None


def _cait_dei_dati(model: BaseModel) -> str | None:
    """The CAIT the data names (``cait.codice``, ``emittente.codice``)."""
    for parte in ("cait", "emittente"):
        codice = getattr(getattr(model, parte, None), "codice", None)
        if isinstance(codice, str) and _CAIT_ID.match(codice):
            return codice.upper()
    return None


def emittente_predefinito(doc: DocumentType, model: BaseModel, registro: RegistroEnti | None = None) -> str | None:
    """The organisation that issues this document when nobody names one (CLI, batch, admin):
    the CAIT or Ente the data names, else the Ente competente for its impianto; None if unknown."""
    registro = registro or registro_enti()
    politica = _politica(doc.code)
    if politica.tipo == "cait":
        return _cait_dei_dati(model)
    return _ente_dei_dati(model, doc, registro) or politica.destinatario


def _controlla(politica: Emittente, titolo: str | Callable[[], str], org: Organizzazione,
               atteso: Organizzazione | None) -> None:
    """Refuse an organisation that may not sign this document (the Regione may sign anything).
    ``titolo`` may be a function: the title is only looked up for a refusal (a document type's
    title loads every type's models, 0.4 s of a plate job that is allowed)."""
    if org.tipo == "regione":
        return
    nome = titolo if callable(titolo) else lambda: titolo
    if not politica.acquisito and org.tipo != politica.tipo:
        chi = "dall'Ente competente" if politica.tipo == "ente" else "dal CAIT"
        raise RuleViolation(f"{nome()}: il documento è emesso {chi}, non da {org.denominazione}.", path=("emittente",))
    if atteso is not None and atteso.tipo == org.tipo and atteso.id != org.id:
        raise RuleViolation(
            f"{nome()}: il documento è di competenza di {atteso.denominazione}, non di {org.denominazione}.",
            path=("emittente",),
        )


def verifica_emittente(tipo: str, emittente: str, registro: RegistroEnti | None = None, *,
                       ente: str | None = None, cait: str | None = None) -> Organizzazione:
    """``emittente`` may issue ``tipo`` (for the Ente or CAIT named): the organisation, else an
    Italian error naming ``emittente``. Policy only: whether its identity loads is the signer's."""
    registro = registro or registro_enti()
    org = organizzazione(emittente, registro)
    politica = _politica(tipo)
    _controlla(politica, lambda: _titolo(tipo), org, nota(cait if politica.tipo == "cait" else ente, registro))
    return org


def nota(org_id: str | None, registro: RegistroEnti | None = None) -> Organizzazione | None:
    """The organisation named by the data, when it is one we know (else None, no error)."""
    try:
        return organizzazione(org_id, registro) if org_id else None
    except RuleViolation:
        return None
