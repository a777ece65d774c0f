"""Validated data → signed PDF → archived, indexed document: the emission stage every issuing path uses.

``Emissione.emetti`` reads top to bottom: validate → issuing organisation (policy of the
document type, checked against the data) → signing identity → render (``service.produce``) →
PAdES signature (``service.firma``) → S3 Object Lock + index (``service.archivio``) → ``Emesso``.
``Emissione.emetti_pdf`` does the last three steps for a PDF produced elsewhere (batch
engine, CAIT documents); ``firma_pdf`` + ``archivia`` split it in two for callers that hold a
database transaction while they sign (SQLite has one writer: archive after the commit).
``firma_stampa`` signs a print file (targhe and etichette sheets, a day's route of pre-filled
forms): signed once by its issuer, never archived, since it is print output, not a record.

Build one ``Emissione`` per process or command: it keeps one loaded ``Firmatario`` per
organisation and the open ``Archivio``, so a batch reuses key, chain and spec for every record.

Who issues what is the issuing policy of ``service.politica`` (re-exported here).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from archive.metadati import MetadatiDocumento, nuovo_id
from domain.enti import RegistroEnti, registro_enti
from domain.errors import RuleViolation
from renderers.sign import FirmaSpec, Firmatario
from service.firma import FirmeProprie, firma_documento, spec_per_tipo, verifica_documento
from service.identita import carica_identita, richiedi_identita
from service.politica import (EMITTENTI, FILE_DI_STAMPA, Emittente, Organizzazione, _cait_dei_dati, _controlla,
                              _ente_dei_dati, _politica, emittente_di_stampa, emittente_predefinito, nota,
                              organizzazione, verifica_emittente)
from service.registry import DocumentType, get_document_type
from service.settings import Settings, get_settings

if TYPE_CHECKING:
    from service.archivio import Archivio

__all__ = [
    "EMITTENTI",
    "FILE_DI_STAMPA",
    "Emesso",
    "Emissione",
    "Emittente",
    "Firmato",
    "Organizzazione",
    "emittente_di_stampa",
    "emittente_predefinito",
    "organizzazione",
]

log = logging.getLogger("curit.emissione")

ROMA = ZoneInfo("Europe/Rome")


@dataclass(frozen=True)
class Emesso:
    """An issued document."""

    pdf: bytes
    """The signed PDF (unsigned only when signing was switched off)."""
    record: dict[str, Any] | None
    """The index record (``stato`` ``archiviato`` or ``in_coda``); None when not archived."""
    emittente: Organizzazione
    firmato: bool


@dataclass(frozen=True)
class Firmato:
    """A PDF signed for issue, not archived yet (:meth:`Emissione.firma_pdf`)."""

    pdf: bytes
    metadati: MetadatiDocumento
    """Complete index metadata (Ente/CAIT/autore defaulted from the emittente)."""
    emittente: Organizzazione
    firmato: bool


class Emissione:
    """Sign and archive what the product issues, with one loaded identity per organisation."""

    def __init__(self, settings: Settings | None = None, *, archivio: Archivio | None = None,
                 firma: bool = True) -> None:
        self.settings = settings or get_settings()
        self.proprie = archivio.verifica if archivio is not None and isinstance(archivio.verifica, FirmeProprie) \
            else FirmeProprie(archivio.verifica if archivio is not None else partial(verifica_documento, settings=self.settings))
        """Verdicts of what this emission signed, by hash (full verification for anything else)."""
        self.archivio = replace(archivio, verifica=self.proprie) if archivio is not None else None
        """Where issued documents are stored and indexed; None → nothing is archived."""
        self.firma = firma
        """False only for unsigned previews (``curit-docs render --no-firma``)."""
        self._firmatari: dict[str, Firmatario] = {}
        self._spec: dict[tuple[str | None, str, bool], FirmaSpec] = {}
        self._lock = threading.Lock()
        self._registro: RegistroEnti | None = None

    @classmethod
    @contextmanager
    def aperta(cls, settings: Settings | None = None, *, firma: bool = True, archivia: bool = True) -> Iterator[Emissione]:
        """An emission for one command: with the configured archive open when ``archivia``."""
        settings = settings or get_settings()
        if not archivia:
            yield cls(settings, firma=firma)
            return
        from service.archivio_apertura import apri_archivio  # S3 and the index: not for a process that only signs

        with apri_archivio(settings, anche_senza_s3=True) as archivio:  # S3 down: queued, the work is kept
            # verify against *these* settings' trust list (apri_archivio's default reads the global ones)
            archivio = replace(archivio, verifica=partial(verifica_documento, settings=settings))
            yield cls(settings, archivio=archivio, firma=firma)

    # -- issuing -------------------------------------------------------------------------------

    def emetti(
        self,
        codice_tipo: str,
        dati: Any,
        *,
        emittente: str | None,
        modo: str | None = None,
        copie: list[str] | None = None,
        archivia: bool | None = None,
    ) -> Emesso:
        """Validate, render, sign as ``emittente`` and archive one document.

        ``emittente`` None → :func:`emittente_predefinito`. ``archivia`` None → archive when this
        emission has an archive. Nothing is signed or stored when any step before fails. A document that
        is not archived is signed without a contrassegno: no archived original a seal could point to.
        """
        doc = get_document_type(codice_tipo)
        if dati is None:
            raise RuleViolation("Un modulo in bianco non è un documento emesso: indicare i dati.", path=("dati",))
        lavoratori = self._lavoratori()
        sigilla = not (archivia is False or (archivia is None and self.archivio is None))
        if lavoratori is not None:  # render + sign in a worker process; archive here
            firmato = lavoratori.prepara(codice_tipo, dati, emittente=emittente, modo=modo, copie=copie,
                                         firma=self.firma, sigilla=sigilla)
            if firmato.firmato:
                self.proprie.registra(firmato.pdf, firmato.emittente.identita)
        else:
            firmato = self.prepara(codice_tipo, dati, emittente=emittente, modo=modo, copie=copie, sigilla=sigilla)
        record = self._archivia(firmato.pdf, firmato.metadati, archivia)
        return Emesso(firmato.pdf, record, firmato.emittente, firmato.firmato)

    def prepara(
        self,
        codice_tipo: str,
        dati: Any,
        *,
        emittente: str | None,
        modo: str | None = None,
        copie: list[str] | None = None,
        sigilla: bool = True,
    ) -> Firmato:
        """The CPU part of :meth:`emetti` (validate, issuer, render, seal, sign, index metadata), without
        archiving: what a worker process does for the server (``service.lavoratori``). ``sigilla``
        False: the document will not be archived, no contrassegno."""
        # here, not at the top: a batch job checks and signs with this module, and its parent
        # process must not import WeasyPrint for that (plates are stamped without it)
        from service.produce import opzioni, produci, validate

        doc = get_document_type(codice_tipo)
        if dati is None:
            raise RuleViolation("Un modulo in bianco non è un documento emesso: indicare i dati.", path=("dati",))
        opzioni(doc, modo, copie, self.settings)
        model = validate(doc, dati)
        org = self._emittente(doc, model, emittente)
        firmatario = self.firmatario(org) if self.firma else None
        prodotto = produci(codice_tipo, dati, modo=modo, copie=copie, settings=self.settings)
        reso, documento_id = prodotto.pdf, None
        if firmatario is not None and sigilla and self.settings.contrassegno:  # seal overlay before the PAdES signature
            documento_id = nuovo_id()
            reso = self._contrassegno(reso, documento_id, doc.code, doc.codice_impianto(model),
                                      doc.data_documento(model) or datetime.now(ROMA).date(), org, prodotto.carta)
        pdf = self._firma(reso, doc.code, org, firmatario)
        meta = self._metadati(pdf, doc, model, org)
        if documento_id is not None:
            meta = replace(meta, documento_id=documento_id)
        return Firmato(pdf, meta, org, firmatario is not None)

    def _contrassegno(self, pdf: bytes, documento_id: str, tipo: str, codice_impianto: str | None, data: Any,
                      org: Organizzazione, carta: Any = None) -> bytes:
        """The contrassegno a stampa on every page (docs/parts/contrassegno.md), before the PAdES
        signature; ``carta``: the engine's page kinds (``Prodotto.carta``), the code placed without
        reading the pages."""
        from service.contrassegno import sigilla

        return sigilla(pdf, documento_id=documento_id, tipo=tipo, codice_impianto=codice_impianto,
                       data_documento=_giorno(data), emittente=org.id, identita=org.identita,
                       settings=self.settings, carta=carta)

    def _lavoratori(self) -> Any:
        """The server's worker processes (``CURIT_PROCESSI_EMISSIONE`` > 0), else None: in-process."""
        if self.settings.processi_emissione <= 0:
            return None
        from service.lavoratori import lavoratori_per

        return lavoratori_per(self.settings)

    def emetti_pdf(
        self, pdf: bytes, *, emittente: str, metadati: MetadatiDocumento, archivia: bool | None = None
    ) -> Emesso:
        """Sign a PDF produced elsewhere (batch record, CAIT document) as ``emittente`` and archive it
        with ``metadati``; the Ente/CAIT of the metadata default to the emittente's."""
        # print output that is not archived (archivia=False) has no document a seal could point to
        firmato = self.firma_pdf(pdf, emittente=emittente, metadati=metadati, contrassegno=archivia is not False)
        record = self._archivia(firmato.pdf, firmato.metadati, archivia)
        return Emesso(firmato.pdf, record, firmato.emittente, firmato.firmato)

    def verifica_emittente(self, tipo: str, emittente: str, *, ente: str | None = None,
                           cait: str | None = None) -> Organizzazione:
        """The checks of :meth:`firma_pdf` before any work: ``emittente`` may issue ``tipo`` (for the
        Ente or CAIT named) and, when signing, its identity loads. Returns the organisation."""
        org = verifica_emittente(tipo, emittente, self.registro, ente=ente, cait=cait)
        if self.firma:
            self.firmatario(org)
        return org

    def firma_pdf(self, pdf: bytes, *, emittente: str, metadati: MetadatiDocumento,
                  contrassegno: bool = True, carta: Any = None) -> Firmato:
        """Sign ``pdf`` as ``emittente`` without archiving it: archive the result with
        :meth:`archivia` once the caller's own database transaction is over. Sealed first, as
        :meth:`prepara` seals (the id chosen now unless ``metadati`` names it), unless
        ``contrassegno`` is False: output that will not be archived as this document. ``carta``: the
        engine's page kinds of ``pdf`` (``service.produce.Prodotto.carta``): the code placed without
        reading the pages."""
        org = self.verifica_emittente(metadati.tipo, emittente, ente=metadati.ente, cait=metadati.cait)
        politica = _politica(metadati.tipo)
        firmatario = self.firmatario(org) if self.firma else None
        if firmatario is not None and contrassegno and self.settings.contrassegno:
            metadati = replace(metadati, documento_id=metadati.documento_id or nuovo_id())
            pdf = self._contrassegno(pdf, metadati.documento_id, metadati.tipo, metadati.codice_impianto,
                                     metadati.data_documento, org, carta)
        firmato = self._firma(pdf, metadati.tipo, org, firmatario)
        meta = replace(
            metadati,
            ente=metadati.ente or (org.id if org.tipo == "ente" else None),
            cait=metadati.cait or (org.id if org.tipo == "cait" else None),
            autore=metadati.autore or (None if politica.acquisito else org.denominazione),
        )
        return Firmato(firmato, meta, org, firmatario is not None)

    def archivia(self, firmato: Firmato) -> Emesso:
        """Archive and index a document signed by :meth:`firma_pdf` (this emission's archive)."""
        record = self._archivia(firmato.pdf, firmato.metadati, True)
        return Emesso(firmato.pdf, record, firmato.emittente, firmato.firmato)

    def firma_stampa(self, pdf: bytes, *, tipo: str, emittente: str, ente: str | None = None,
                     cait: str | None = None) -> Emesso:
        """Sign a print file (targhe or etichette sheets, a day's route) once as ``emittente``; print
        output is not a record, so it is never archived."""
        meta = MetadatiDocumento(tipo=tipo, data_documento=datetime.now(ROMA).date(), ente=ente, cait=cait)
        return self.emetti_pdf(pdf, emittente=emittente, metadati=meta, archivia=False)

    # -- identities ----------------------------------------------------------------------------

    @property
    def registro(self) -> RegistroEnti:
        if self._registro is None:
            self._registro = registro_enti(self.settings.enti_file)
        return self._registro

    def firmatario(self, org: Organizzazione | str) -> Firmatario:
        """The loaded identity of ``org`` (once per emission). Missing: a demo identity when
        ``CURIT_DEMO`` is on, otherwise ``SigningError`` naming the organisation."""
        if isinstance(org, str):
            org = organizzazione(org, self.registro)
        with self._lock:
            if org.identita not in self._firmatari:
                self._firmatari[org.identita] = self._carica(org)
            return self._firmatari[org.identita]

    def _carica(self, org: Organizzazione) -> Firmatario:
        """Missing: made now in demo mode (``CURIT_DEMO``), else ``SigningError`` naming the organisation."""
        richiedi_identita(org.identita, org.denominazione, self.settings)
        return carica_identita(org.identita, self.settings)

    # -- steps ---------------------------------------------------------------------------------

    def _emittente(self, doc: DocumentType, model: BaseModel, emittente: str | None) -> Organizzazione:
        politica = _politica(doc.code)
        predefinito = emittente_predefinito(doc, model, self.registro)
        if not emittente and not predefinito:
            chi = "un CAIT (es. CAIT-MN-01)" if politica.tipo == "cait" else "un Ente (es. provincia-mantova)"
            raise RuleViolation(
                f"{doc.title}: i dati non indicano chi emette il documento; indicare l'emittente: {chi}.",
                path=("emittente",),
            )
        try:
            org = organizzazione(emittente or predefinito, self.registro)  # type: ignore[arg-type]
        except RuleViolation as exc:
            if emittente or not predefinito or getattr(model, "ente_id", None) != predefinito:
                raise
            # the issuer came from the data: the field at fault is the record's ``ente_id``
            raise RuleViolation(f"Ente sconosciuto (ente_id): {predefinito}.", path=("ente_id",)) from exc
        _controlla(politica, doc.title, org, nota(predefinito, self.registro))
        return org

    def _firma(self, pdf: bytes, tipo: str, org: Organizzazione, firmatario: Firmatario | None) -> bytes:
        if firmatario is None:
            return pdf
        firmato = firma_documento(pdf, firmatario, spec=self._spec_per(tipo, org), settings=self.settings)
        if self.archivio is not None:
            self.proprie.registra(firmato, org.identita)
        return firmato

    def _spec_per(self, tipo: str, org: Organizzazione) -> FirmaSpec:
        acquisito = _politica(tipo).acquisito
        key = (tipo, org.id, acquisito)
        spec = self._spec.get(key)
        if spec is None:
            verbo = "Acquisito e registrato" if acquisito else "Emesso"
            motivo = f"{verbo} da {org.denominazione} (CURIT - Regione Lombardia)"
            spec = self._spec[key] = spec_per_tipo(tipo, motivo=motivo, settings=self.settings)
        return spec

    def _metadati(self, pdf: bytes, doc: DocumentType, model: BaseModel, org: Organizzazione) -> MetadatiDocumento:
        codice = doc.codice_impianto(model)
        ente = org.id if org.tipo == "ente" else _ente_dei_dati(model, doc, self.registro)
        cait = org.id if org.tipo == "cait" else _cait_dei_dati(model)
        from service.archivio_metadati import metadati_da_pdf

        giorno = doc.data_documento(model) or datetime.now(ROMA).date()
        return metadati_da_pdf(
            pdf, tipo=doc.code, codice_impianto=codice, data_documento=_giorno(giorno), ente=ente, cait=cait,
            autore=None if _politica(doc.code).acquisito else org.denominazione,
        )

    def _archivia(self, pdf: bytes, meta: MetadatiDocumento, archivia: bool | None) -> dict[str, Any] | None:
        if archivia is False or (archivia is None and self.archivio is None):
            return None
        if self.archivio is None:
            raise RuleViolation("Archiviazione richiesta, ma nessun archivio è aperto.", path=("archivia",))
        record = self.archivio.archivia(pdf, meta)
        log.info("emesso %s %s: %s (%s)", meta.tipo, meta.codice_impianto or "", record["id"], record["stato"])
        return record


def _giorno(value: Any) -> date:
    if isinstance(value, datetime):
        return value.astimezone(ROMA).date() if value.tzinfo else value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
