"""Allegato F issued through the compile-once engine (``service.motore``): one blank sheet per kind
(first sheet, generator sheet, Avvertenze) compiled once; a record's generator sheets (1, 3…) are
stamped on the blank generator sheet. Against the full WeasyPrint render of the same record: same
text, every slot box the same on every page, same PDF/A-3b markers, XMP and dati.json; long values
are stamped smaller, wrapped or laid out in full, never clipped."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from service import motore
from service.produce import render_document
from service.registry import get_document_type
from service.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from motore_confronto import estrai_testo, pagine, parole_in_ordine, pdfa, slot_diversi  # noqa: E402

pytestmark = pytest.mark.slow

TIPO = "allegato-f"
DOC = get_document_type(TIPO)


def _tre_generatori() -> dict:
    """The example's two generators and a third: measurement not made (struck cells), notes on two lines."""
    f = copy.deepcopy(DOC.example())
    terzo = copy.deepcopy(f["generatori"][1])
    terzo["generatore"]["matricola"] = "RTQ185-0931-0999"
    terzo.update(rendimento_controllo="Non effettuato", misure=[], osservazioni=None, puo_funzionare="NO",
                 raccomandazioni="Sostituire entro la prossima stagione il vaso di espansione e verificare la "
                                 "tenuta della valvola di sicurezza del circuito primario.")
    f["generatori"].append(terzo)
    return f


def _un_generatore() -> dict:
    f = copy.deepcopy(DOC.example())
    f["generatori"] = f["generatori"][:1]
    f.update(combustibile="gasolio", numero_etichetta=None, destinazione=["riscaldamento"])
    return f


RECORDS = {"uno": _un_generatore(), "tre": _tre_generatori()}
COPIE = {"uno": DOC.copies[1:2], "tre": DOC.copies}
"""One generator in the Ente's copy alone, three generators in every copy (sheets copy after copy)."""


@pytest.fixture(scope="module")
def impostazioni(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("motore-f")
    return Settings(var_dir=var)  # compiled layouts: the run's one folder (tests/conftest.py)


@pytest.fixture(scope="module")
def coppie(impostazioni: Settings) -> dict[str, tuple[bytes, bytes]]:
    """(engine, full render) of each record, rendered once for the module; no fallback."""
    prima = motore.CONTEGGI["motore"]
    out = {k: tuple(render_document(TIPO, r, modo="normalizzato", copie=COPIE[k], settings=impostazioni, completo=c)
                    for c in (False, True)) for k, r in RECORDS.items()}
    assert motore.CONTEGGI["motore"] == prima + len(RECORDS)
    return out


@pytest.fixture(scope="module")
def modello(impostazioni: Settings):
    return motore.modello(DOC, "normalizzato", DOC.copies, impostazioni)


def _pagine_del_record(modello, generatori: int):
    """The compiled blank pages a record's pages are stamped on, in order (its 'compiled layout')."""
    pagine_ = modello.stamper.compiled.pages
    sequenza = ["primo"] + ["generatore"] * generatori + ["avvertenze"]
    return SimpleNamespace(pages=[pagine_[n] for copia in modello.stampa.fogli for tipo in sequenza
                                  for n in copia[tipo].pagine])


@pytest.fixture(scope="module")
def raster(coppie) -> dict[str, tuple[list, list]]:
    return {k: (pagine(a), pagine(b)) for k, (a, b) in coppie.items()}


def test_one_blank_sheet_per_kind_and_copy(modello) -> None:
    """The blank layout has one generator sheet per copy, whatever the records have."""
    assert [sorted(c) for c in modello.stampa.fogli] == [["avvertenze", "generatore", "primo"]] * 3
    assert len(modello.stamper.compiled.pages) == 9
    assert {c["generatore"].prefisso for c in modello.stampa.fogli} == {"generatori[0]."}


@pytest.mark.parametrize("nome", RECORDS)
def test_same_text_as_full_render(coppie, nome: str) -> None:
    a, b = coppie[nome]
    assert estrai_testo(a) == estrai_testo(b)
    testo = estrai_testo(a)
    for g in RECORDS[nome]["generatori"]:
        assert testo.count(g["generatore"]["matricola"]) == len(COPIE[nome])  # its sheet, in every copy


@pytest.mark.parametrize("nome", RECORDS)
def test_every_slot_box_as_full_render(impostazioni: Settings, raster, nome: str) -> None:
    a, b = raster[nome]
    n = len(RECORDS[nome]["generatori"])
    assert len(a) == len(b) == len(COPIE[nome]) * (n + 2)
    m = motore.modello(DOC, "normalizzato", COPIE[nome], impostazioni)
    assert slot_diversi(_pagine_del_record(m, n), a, b) == []


@pytest.mark.parametrize("nome", RECORDS)
def test_same_pdfa_markers_xmp_and_dati(coppie, nome: str) -> None:
    pa, pb = (pdfa(x) for x in coppie[nome])
    assert (pa["pdfa"], pa["af"], pa == pb) == ("3B", ["/Datadati.json"], True) and pa["intents"]


def test_slot_check_catches_one_wrong_value_on_the_third_sheet(impostazioni: Settings) -> None:
    """Proof the comparison can fail: another matricola of the third generator differs in that slot of the
    third generator sheet, and nowhere else (one copy: the Ente's)."""
    altro = copy.deepcopy(RECORDS["tre"])
    altro["generatori"][2]["generatore"]["matricola"] = "WXM740-2266-4411"
    kw = dict(modo="normalizzato", copie=["ente"], settings=impostazioni)
    a = pagine(render_document(TIPO, RECORDS["tre"], **kw))
    b = pagine(render_document(TIPO, altro, completo=True, **kw))
    m = motore.modello(DOC, "normalizzato", COPIE["uno"], impostazioni)
    diversi = slot_diversi(_pagine_del_record(m, 3), a, b)
    assert {(p, c) for p, c, _ in diversi} == {(3, "generatori[0].generatore.matricola")}


def test_blank_form_and_a_second_measurement_row(impostazioni: Settings) -> None:
    """The blank form is the compiled blank layout; a layout the blank sheet does not have (two rows of
    measurements) is laid out in full and counted."""
    kw = dict(modo="facsimile", copie=["utente"], settings=impostazioni)
    assert estrai_testo(render_document(TIPO, None, **kw)) == estrai_testo(render_document(TIPO, None, completo=True,
                                                                                           **kw))
    rec = copy.deepcopy(RECORDS["uno"])
    rec["generatori"][0]["misure"].append(dict(rec["generatori"][0]["misure"][0], temp_fumi="63.0"))
    prima = motore.CONTEGGI["completo:allegato-f:generatori[0].misure[1].temp_fumi"]
    pdf = render_document(TIPO, rec, modo="normalizzato", copie=["ente"], settings=impostazioni)
    assert motore.CONTEGGI["completo:allegato-f:generatori[0].misure[1].temp_fumi"] == prima + 1
    assert "63,0" in estrai_testo(pdf)


_MASSIMO = {"responsabile_nome": 60, "generatori[0].raccomandazioni": 400}

_PAROLE = st.lists(st.text(alphabet="abcdefghilmnopqrstuvzàèéìòù", min_size=2, max_size=14), min_size=4, max_size=30)


@hsettings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(campo=st.sampled_from(sorted(_MASSIMO)), parole=_PAROLE)
def test_long_values_never_clip(impostazioni: Settings, campo: str, parole: list[str]) -> None:
    """Stamped smaller or wrapped, or laid out in full and counted; in every case the whole value is in
    the document, word by word in order."""
    valore = " ".join(parole)[:_MASSIMO[campo]].strip().title()
    rec = copy.deepcopy(RECORDS["uno"])
    if campo.startswith("generatori[0]."):
        rec["generatori"][0][campo.split(".", 1)[1]] = valore
    else:
        rec[campo] = valore
    prima = motore.CONTEGGI["motore"] + motore.CONTEGGI["completo"]
    pdf = render_document(TIPO, rec, modo="normalizzato", copie=["ente"], settings=impostazioni)
    assert motore.CONTEGGI["motore"] + motore.CONTEGGI["completo"] == prima + 1
    parole_in_ordine(pdf, valore, campo)
