"""Allegato G issued through the compile-once engine (``service.motore``) vs its full WeasyPrint
render: same text, every slot box the same, same PDF/A-3b markers, XMP and dati.json; long values
are stamped smaller, wrapped or laid out in full, never clipped."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from service import motore
from service.produce import render_document
from service.registry import get_document_type
from service.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from motore_confronto import estrai_testo, pagine, pdfa, slot_diversi  # noqa: E402

pytestmark = pytest.mark.slow

TIPO = "allegato-g"
DOC = get_document_type(TIPO)


def _variante() -> dict:
    """The other branches: type B on oil, measurement not made, no etichetta, notes."""
    g = copy.deepcopy(DOC.example())
    g.update(combustibile="Gasolio", tipo_caldaia="B", tiraggio_tipo="naturale", rendimento_controllo="Non effettuato",
             misura={}, numero_etichetta=None, locale="Esterno", interno_testo=None, c_esterno=True,
             esame_locale={}, responsabile_qualita="proprietario", uso=["riscaldamento"],
             raccomandazioni="Sostituire entro la prossima stagione il vaso di espansione.")
    return g


RECORDS = {"esempio": DOC.example(), "variante": _variante()}


@pytest.fixture(scope="module")
def impostazioni(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("motore-g")
    return Settings(var_dir=var)  # compiled layouts: the run's one folder (tests/conftest.py)


@pytest.fixture(scope="module")
def coppie(impostazioni: Settings) -> dict[str, tuple[bytes, bytes]]:
    """(engine, full render) of each record, rendered once for the module."""
    prima = motore.CONTEGGI["motore"]
    out = {k: (render_document(TIPO, r, modo="normalizzato", settings=impostazioni),
               render_document(TIPO, r, modo="normalizzato", settings=impostazioni, completo=True))
           for k, r in RECORDS.items()}
    assert motore.CONTEGGI["motore"] == prima + len(RECORDS)  # no fallback for these records
    return out


@pytest.fixture(scope="module")
def compilato(impostazioni: Settings):
    return motore.modello(DOC, "normalizzato", DOC.copies, impostazioni).stamper.compiled


@pytest.fixture(scope="module")
def raster(coppie) -> dict[str, tuple[list, list]]:
    return {k: (pagine(a), pagine(b)) for k, (a, b) in coppie.items()}


@pytest.mark.parametrize("nome", RECORDS)
def test_same_text_as_full_render(coppie, nome: str) -> None:
    a, b = coppie[nome]
    assert estrai_testo(a) == estrai_testo(b)
    assert RECORDS[nome]["numero_rapporto"] in estrai_testo(a)


@pytest.mark.parametrize("nome", RECORDS)
def test_every_slot_box_as_full_render(compilato, raster, nome: str) -> None:
    a, b = raster[nome]
    assert len(a) == 6
    assert slot_diversi(compilato, a, b) == []


@pytest.mark.parametrize("nome", RECORDS)
def test_same_pdfa_markers_xmp_and_dati(coppie, nome: str) -> None:
    a, b = coppie[nome]
    pa, pb = pdfa(a), pdfa(b)
    assert pa["pdfa"] == "3B" and pa["intents"] and pa["af"] == ["/Data" + "dati.json"]
    assert pa == pb


def test_slot_check_catches_one_wrong_date(compilato, raster, impostazioni: Settings) -> None:
    """Proof the comparison can fail: the full render of the record with another date differs from
    the engine's in the date's boxes, and only there (a page-wide threshold would let it pass)."""
    altro = copy.deepcopy(RECORDS["esempio"])
    altro["data_controllo"] = "2025-10-19"
    b = pagine(render_document(TIPO, altro, modo="normalizzato", settings=impostazioni, completo=True))
    diversi = slot_diversi(compilato, raster["esempio"][0], b)
    assert {c for _, c, _ in diversi} == {"data_controllo"} and len(diversi) >= 3  # one per copy
    area = b[0].size[0] * b[0].size[1]
    assert max(n for _, _, n in diversi) < 0.002 * area


def test_one_copy(impostazioni: Settings) -> None:
    """One copy chosen: its two pages, the full layout's text. (The blank form, all copies, facsimile: the
    same text, PDF/A and pages as its full layout in test_motore_vuoti, which rendered it here again.)"""
    ente = render_document(TIPO, RECORDS["esempio"], modo="normalizzato", copie=["ente"], settings=impostazioni)
    pieno = render_document(TIPO, RECORDS["esempio"], modo="normalizzato", copie=["ente"], settings=impostazioni,
                            completo=True)
    assert len(pagine(ente)) == 2 and estrai_testo(ente) == estrai_testo(pieno)


_MASSIMO = {"responsabile_nome": 60, "indirizzo": 80}
"""Each field's maximum length (``Controllo``, domain/forms/rapporto_controllo.py): longer ones are refused, not drawn."""

_PAROLE = st.lists(st.text(alphabet="abcdefghilmnopqrstuvzàèéìòù", min_size=2, max_size=14), min_size=4, max_size=12)


@hsettings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(campo=st.sampled_from(["responsabile_nome", "indirizzo"]), parole=_PAROLE)
def test_long_values_never_clip(impostazioni: Settings, campo: str, parole: list[str]) -> None:
    """Up to the field's max length (80): stamped smaller or wrapped, or laid out in full and counted;
    in every case the whole value is in the document."""
    valore = " ".join(parole)[:_MASSIMO[campo]].strip().title()
    rec = copy.deepcopy(RECORDS["esempio"])
    rec[campo] = valore
    prima = motore.CONTEGGI["motore"] + motore.CONTEGGI["completo"]
    pdf = render_document(TIPO, rec, modo="normalizzato", settings=impostazioni)
    assert motore.CONTEGGI["motore"] + motore.CONTEGGI["completo"] == prima + 1
    # Every word is drawn, in order. A value wrapped inside its slot reads back with the text beside its
    # first line (e.g. "tel.: …") between its lines, so the words are found in order, not contiguously.
    testo, da = "".join(estrai_testo(pdf).split()), 0
    for parola in valore.split():
        da = testo.find(parola, da)
        assert da >= 0, f"{campo}: «{parola}» di «{valore}» non è nel documento"
        da += len(parola)
