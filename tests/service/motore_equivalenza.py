"""The engine-vs-full-render checks of one stampable document type, as a base class.

A ``test_motore_*.py`` module subclasses :class:`Equivalenza` once per type (``TestAllegatoE1`` …)
with its records; every check runs on renders made once per class:

- the engine is used (no fallback) and ``pdftotext`` reads the same as the full WeasyPrint layout;
- each ``data-campo`` box of the compiled layout, rasterised on its own, is the same in both;
- PDF/A-3b markers, XMP and ``dati.json`` are the same;
- the slot comparison fails when one date differs (proof that it can fail);
- values up to each field's maximum length (hypothesis) are stamped whole, or laid out in full and
  counted; when stamped, the text and every slot box are still those of the full layout.

Not a test module itself (imported by them). The checks are those of ``motore_confronto``.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from service import motore
from service.produce import render_document
from service.registry import get_document_type
from service.settings import Settings
from tests.service.motore_confronto import estrai_testo, pagine, pdfa, slot_diversi

__all__ = ["Equivalenza"]

_PAROLA = st.text(alphabet="abcdefghilmnopqrstuvzàèéìòù0123456789.,", min_size=1, max_size=12)
"""Words of letters, digits and the punctuation of names and addresses."""


def _lungo(parole: list[str], massimo: int) -> str:
    """Words joined up to ``massimo`` characters (cut at the maximum, then stripped)."""
    testo = " ".join(parole)
    return testo[:massimo].strip().title() or "X"


def _imposta(record: dict[str, Any], campo: str, valore: Any) -> None:
    """Set a dotted key path (``mittente.indirizzo``) in ``record``."""
    *su, chiave = campo.split(".")
    for parte in su:
        record = record[parte]
    record[chiave] = valore


class Equivalenza:
    """Engine vs full layout for :attr:`tipo`; a subclass named ``Test…`` sets the attributes."""

    tipo: ClassVar[str]
    varianti: ClassVar[dict[str, tuple[str, dict[str, Any]]]]
    """name → (mode, changes to the type's example): the records compared (the example itself is
    always one of them, in normalised mode)."""
    data: ClassVar[tuple[str, str]]
    """A date field of the record and another valid date for it (the test proving that the slot
    check can fail)."""
    lunghi: ClassVar[dict[str, int]]
    """Text fields (key paths) and their maximum length, filled by hypothesis up to it."""

    @classmethod
    def records(cls) -> dict[str, tuple[str, dict[str, Any]]]:
        esempio = get_document_type(cls.tipo).example()
        out = {"esempio": ("normalizzato", esempio)}
        for nome, (modo, modifiche) in cls.varianti.items():
            record = copy.deepcopy(esempio)
            for campo, valore in modifiche.items():
                _imposta(record, campo, valore)
            out[nome] = (modo, record)
        return out

    @pytest.fixture(scope="class")
    @classmethod
    def impostazioni(cls, tmp_path_factory: pytest.TempPathFactory) -> Settings:
        var = tmp_path_factory.mktemp("motore-" + cls.tipo)
        return Settings(var_dir=var)  # compiled layouts: the run's one folder (tests/conftest.py)

    @pytest.fixture(scope="class")
    @classmethod
    def coppie(cls, impostazioni: Settings) -> dict[str, tuple[str, bytes, bytes]]:
        """(mode, engine, full render) of each record, rendered once for the class."""
        out = {}
        for nome, (modo, record) in cls.records().items():
            prima = motore.CONTEGGI["motore"]
            a = render_document(cls.tipo, record, modo=modo, settings=impostazioni)
            assert motore.CONTEGGI["motore"] == prima + 1, f"{nome}: laid out in full, not stamped"
            out[nome] = (modo, a, render_document(cls.tipo, record, modo=modo, settings=impostazioni, completo=True))
        return out

    @pytest.fixture(scope="class")
    @classmethod
    def raster(cls, coppie) -> dict[str, tuple[list, list]]:
        return {k: (pagine(a), pagine(b)) for k, (_, a, b) in coppie.items()}

    def compilato(self, impostazioni: Settings, modo: str):
        doc = get_document_type(self.tipo)
        return motore.modello(doc, modo, doc.copies or ("",), impostazioni).stamper.compiled

    def test_same_text_as_full_render(self, coppie) -> None:
        for nome, (_, a, b) in coppie.items():
            assert estrai_testo(a) == estrai_testo(b), nome

    def test_every_slot_box_as_full_render(self, impostazioni: Settings, coppie, raster) -> None:
        for nome, (modo, _, _) in coppie.items():
            a, b = raster[nome]
            assert len(a) == 1, nome
            assert slot_diversi(self.compilato(impostazioni, modo), a, b) == [], nome

    def test_same_pdfa_markers_xmp_and_dati(self, coppie) -> None:
        for nome, (_, a, b) in coppie.items():
            pa, pb = pdfa(a), pdfa(b)
            assert pa["pdfa"] == "3B" and pa["intents"] and pa["af"] == ["/Data" + "dati.json"], nome
            assert pa == pb, nome

    def test_slot_check_catches_one_wrong_date(self, impostazioni: Settings, raster) -> None:
        """The full render of the example with another date differs from the engine's in that
        date's box, and only there (a page-wide threshold would let it pass)."""
        altro = copy.deepcopy(get_document_type(self.tipo).example())
        _imposta(altro, *self.data)
        b = pagine(render_document(self.tipo, altro, modo="normalizzato", settings=impostazioni, completo=True))
        diversi = slot_diversi(self.compilato(impostazioni, "normalizzato"), raster["esempio"][0], b)
        assert {c for _, c, _ in diversi} == {self.data[0]}
        assert max(n for _, _, n in diversi) < 0.002 * b[0].size[0] * b[0].size[1]

    def test_long_values_never_clip(self, impostazioni: Settings) -> None:
        """A value up to its field's maximum is stamped whole (the same text and boxes as the full
        layout) or laid out in full and counted; in every case each word is in the document, in order."""

        @hsettings(max_examples=3, deadline=None)
        @given(dati=st.data())
        def prova(dati: st.DataObject) -> None:  # one hypothesis test per type (class), not shared
            self._valore_lungo(impostazioni, dati)

        prova()

    def _valore_lungo(self, impostazioni: Settings, dati: st.DataObject) -> None:
        campo = dati.draw(st.sampled_from(sorted(self.lunghi)), label="campo")
        valore = _lungo(dati.draw(st.lists(_PAROLA, min_size=3, max_size=40), label="parole"), self.lunghi[campo])
        record = copy.deepcopy(get_document_type(self.tipo).example())
        _imposta(record, campo, valore)
        stampati, completi = motore.CONTEGGI["motore"], motore.CONTEGGI["completo"]
        pdf = render_document(self.tipo, record, modo="normalizzato", settings=impostazioni)
        stampato = motore.CONTEGGI["motore"] == stampati + 1
        assert stampato or motore.CONTEGGI["completo"] == completi + 1
        testo, da = "".join(estrai_testo(pdf).split()), 0
        for parola in valore.split():
            da = testo.find(parola, da)
            assert da >= 0, f"{campo}: «{parola}» di «{valore}» non è nel documento"
            da += len(parola)
        if stampato:
            pieno = render_document(self.tipo, record, modo="normalizzato", settings=impostazioni, completo=True)
            assert estrai_testo(pdf) == estrai_testo(pieno)
            assert slot_diversi(self.compilato(impostazioni, "normalizzato"), pagine(pdf), pagine(pieno)) == []
