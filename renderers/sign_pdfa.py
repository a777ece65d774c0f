"""PDF bytes → an incremental writer whose update keeps Info and XMP equivalent, as PDF/A wants.

What ``renderers.sign`` signs with and ``renderers.contrassegno`` seals with: the original bytes
(PDF/A-3b XMP with ``pdfaid``, the embedded ``dati.json``) stay untouched, and the update's
``/ID`` and modification time can be fixed so that the same update written again gives the same
bytes.
"""

from __future__ import annotations

from datetime import datetime

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata import model as xmp_model

__all__ = ["ScrittorePdfA"]


class ScrittorePdfA(IncrementalPdfFileWriter):
    """Incremental writer that leaves Info and XMP equivalent, as PDF/A (ISO 19005-3 6.6.2.3) wants.

    pyHanko 0.38 (pinned) stamps ``/ModDate`` and ``xmp:ModifyDate`` from two separate clock
    reads and writes ``pdf:Producer`` as "pyHanko" while appending to the Info ``/Producer``:
    after its update we copy the XMP values back into the Info dictionary.

    pyHanko's incremental ``write`` prepares the document twice (its own step, then the base
    writer's), re-reading and re-serialising the XMP each time: within one ``write`` the metadata
    is updated once.
    """

    _in_scrittura = False
    _meta_aggiornati = False

    def fissa_id(self, seconda: bytes) -> None:
        """This update's ``/ID``: the file's first part kept, ``seconda`` (16 bytes) instead of pyHanko's
        random second part (the same update written again gives the same bytes)."""
        self._document_id = generic.ArrayObject([generic.ByteStringObject(self.document_id[0]),
                                                 generic.ByteStringObject(seconda)])

    def fissa_ora(self, ora: datetime) -> None:
        """Write ``ora`` as this update's ``/ModDate`` and ``xmp:ModifyDate`` instead of the clock's
        (the same update written again gives the same bytes). pyHanko sets the metadata's
        ``last_modified`` to "now" right before it writes: that one assignment is redirected."""
        meta = _MetaOraFissa()
        meta.__dict__.update(vars(self._meta))
        meta.__dict__["ora_fissa"] = ora
        self._meta = meta

    def write(self, stream) -> None:  # noqa: ANN001 - a binary stream, as pyHanko's
        self._in_scrittura, self._meta_aggiornati = True, False
        try:
            super().write(stream)
        finally:
            self._in_scrittura = self._meta_aggiornati = False

    def _update_meta(self) -> None:
        if self._in_scrittura and self._meta_aggiornati:
            return
        self._meta_aggiornati = self._in_scrittura
        super()._update_meta()
        metadata = self.root["/Metadata"] if "/Metadata" in self.root else None
        if self._info is None or not hasattr(metadata, "xmp"):
            return
        fields = {k: v for struct in metadata.xmp for k, v in struct}
        info = self._info.get_object()
        moddate = fields.get(xmp_model.XMP_MODDATE)
        if moddate is not None and isinstance(moddate.value, str):
            info["/ModDate"] = generic.pdf_date(datetime.fromisoformat(moddate.value))
        producer = fields.get(xmp_model.PDF_PRODUCER)
        if producer is not None and isinstance(producer.value, str):
            info["/Producer"] = generic.TextStringObject(producer.value)
        self.mark_update(self._info)


class _MetaOraFissa(xmp_model.DocumentMetadata):
    """Document metadata whose ``last_modified`` stays at ``ora_fissa`` when pyHanko asks for "now"."""

    def __setattr__(self, name: str, value: object) -> None:
        if name == "last_modified" and value == "now" and self.__dict__.get("ora_fissa") is not None:
            value = self.__dict__["ora_fissa"]
        super().__setattr__(name, value)
