"""Allegato L issued through the compile-once engine (``service.motore``) vs its full WeasyPrint render:
up to the four printed generator rows (unused rows struck) it is stamped on the blank layout; with more
generators, on a blank layout with as many rows (compiled once per row count); the two alternatives
(assunzione / cessazione) have a box each. Same text, every slot box the same, same PDF/A-3b markers, XMP
and dati.json; values longer than their line are laid out in full and counted, never clipped."""

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
from motore_confronto import coppie as _coppie, estrai_testo, pagine, parole_in_ordine, pdfa, slot_diversi  # noqa: E402

pytestmark = pytest.mark.slow

TIPO = "allegato-l"
DOC = get_document_type(TIPO)


def _cessazione() -> dict:
    """The other alternative, a Provincia as Ente, four generators (no row struck)."""
    l_ = copy.deepcopy(DOC.example())
    l_.update(tipo="cessazione", tipo_impianto=["riscaldamento"], generatori_altri=None,
              ente={"tipo_ente": "Provincia", "denominazione": "Mantova", "via": "Via Principe Amedeo 32",
                    "citta": "46100 Mantova (MN)"},
              generatori=[{"potenza_kw": str(60 + 5 * i), "combustibile": "Gasolio"} for i in range(4)])
    return l_


def _sei() -> dict:
    l_ = _cessazione()
    l_["generatori"] += [{"potenza_kw": "71", "combustibile": "Gasolio"}, {"potenza_kw": "72", "combustibile": "GPL"}]
    return l_


RECORDS = {"esempio": DOC.example(), "cessazione": _cessazione(), "sei": _sei()}


@pytest.fixture(scope="module")
def impostazioni(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("motore-l")
    return Settings(var_dir=var)  # compiled layouts: the run's one folder (tests/conftest.py)


@pytest.fixture(scope="module")
def coppie(impostazioni: Settings) -> dict[str, tuple[bytes, bytes]]:
    try:
        return _coppie(TIPO, RECORDS, impostazioni)
    except Exception as exc:  # noqa: BLE001 - say which record is not equivalent
        pytest.fail(f"allegato-l: {exc}")


@pytest.fixture(scope="module")
def compilato(impostazioni: Settings):
    return motore.modello(DOC, "normalizzato", DOC.copies or ("",), impostazioni).stamper.compiled


def _compilato_di(nome: str, impostazioni: Settings):
    n = len(RECORDS[nome]["generatori"])
    variante = (("righe_generatori", n),) if n > 4 else ()
    return motore.modello(DOC, "normalizzato", ("",), impostazioni, variante=variante).stamper.compiled


@pytest.fixture(scope="module")
def raster(coppie) -> dict[str, tuple[list, list]]:
    return {k: (pagine(a), pagine(b)) for k, (a, b) in coppie.items()}


@pytest.mark.parametrize("nome", RECORDS)
def test_same_text_pdfa_and_every_slot_box_as_full_render(coppie, raster, impostazioni: Settings, nome: str) -> None:
    a, b = coppie[nome]
    assert estrai_testo(a) == estrai_testo(b)
    pa, pb = pdfa(a), pdfa(b)
    assert pa["pdfa"] == "3B" and pa["af"] == ["/Datadati.json"] and pa == pb
    assert slot_diversi(_compilato_di(nome, impostazioni), *raster[nome]) == []


def test_slot_check_catches_one_wrong_date(compilato, raster, impostazioni: Settings) -> None:
    altro = copy.deepcopy(RECORDS["esempio"])
    altro["data"] = "2026-06-19"
    b = pagine(render_document(TIPO, altro, modo="normalizzato", settings=impostazioni, completo=True))
    assert {c for _, c, _ in slot_diversi(compilato, raster["esempio"][0], b)} == {"data"}


def test_more_generators_than_printed_rows_stamped_on_their_own_blank_layout(coppie, impostazioni: Settings) -> None:
    """Six generators: a blank layout with six rows, not the four of the blank form; the blank form keeps four."""
    testo = estrai_testo(coppie["sei"][0])
    assert "G6" in testo and "GPL" in testo and "G7" not in testo
    sei = {s.campo for p in _compilato_di("sei", impostazioni).pages for s in p.slots}
    quattro = {s.campo for p in _compilato_di("esempio", impostazioni).pages for s in p.slots}
    assert "generatori[5].potenza_kw" in sei and "generatori[4].potenza_kw" not in quattro


def test_blank_form(impostazioni: Settings) -> None:
    vuoto = render_document(TIPO, None, modo="facsimile", settings=impostazioni)
    assert estrai_testo(vuoto) == estrai_testo(render_document(TIPO, None, modo="facsimile", settings=impostazioni,
                                                               completo=True))


_PAROLE = st.lists(st.text(alphabet="abcdefghilmnopqrstuvzàèéìòù", min_size=2, max_size=14), min_size=4, max_size=25)


@hsettings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(campo=st.sampled_from(["condominio", "proprietario"]), parole=_PAROLE)
def test_long_values_never_clip(impostazioni: Settings, campo: str, parole: list[str]) -> None:
    valore = " ".join(parole)[:300].strip().title()
    rec = copy.deepcopy(RECORDS["esempio"])
    rec[campo] = valore
    prima = motore.CONTEGGI["motore"] + motore.CONTEGGI["completo"]
    pdf = render_document(TIPO, rec, modo="normalizzato", settings=impostazioni)
    assert motore.CONTEGGI["motore"] + motore.CONTEGGI["completo"] == prima + 1
    parole_in_ordine(pdf, valore, campo)
