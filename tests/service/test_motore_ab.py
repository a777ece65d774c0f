"""Allegati A and B (rapporti di prova) issued through the compile-once engine (``service.motore``).

A: two pages per copy, stamped on its compiled blank layout. B: foglio 1 and one generator sheet per copy
compiled once; a record's generator sheets (1, 3…) are stamped on the blank generator sheet. Against the
full WeasyPrint render of the same record: same text, every slot box the same on every page, same
PDF/A-3b markers, XMP and dati.json; what the blank form has no box for (a correction's NO) and long
values are laid out in full and counted, never clipped."""

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

A, B = get_document_type("allegato-a"), get_document_type("allegato-b")


def _b_uno() -> dict:
    b = copy.deepcopy(B.example())
    b["generatori"] = b["generatori"][:1]
    return b


def _b_tre() -> dict:
    """Three generators of the example's first kind (the second's struck draught instrument is left out:
    its strike, at the same coordinates in both PDFs, rasterises one pixel row apart at 100 dpi)."""
    b = copy.deepcopy(B.example())
    primo = b["generatori"][0]
    b["generatori"] = [primo] + [dict(copy.deepcopy(primo), matricola_caldaia=m, costruttore_caldaia=c)
                                 for m, c in (("ZX-77015", "Ferroli"), ("ZX-77016", "Riello"))]
    return b


CASI = {  # name → (type, record, copies)
    "a": (A, A.example(), A.copies[2:]),  # its three copies: tests/forms/test_allegato_a.py
    "b-uno": (B, _b_uno(), B.copies[2:]),
    "b-tre": (B, _b_tre(), B.copies),
}


@pytest.fixture(scope="module")
def impostazioni(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("motore-ab")
    return Settings(var_dir=var)  # compiled layouts: the run's one folder (tests/conftest.py)


@pytest.fixture(scope="module")
def coppie(impostazioni: Settings) -> dict[str, tuple[bytes, bytes]]:
    """(engine, full render) of each case, rendered once for the module; no fallback."""
    prima = motore.CONTEGGI["motore"]
    out = {k: tuple(render_document(doc.code, r, modo="normalizzato", copie=c, settings=impostazioni, completo=x)
                    for x in (False, True)) for k, (doc, r, c) in CASI.items()}
    assert motore.CONTEGGI["motore"] == prima + len(CASI)
    return out


@pytest.fixture(scope="module")
def raster(coppie) -> dict[str, tuple[list, list]]:
    return {k: (pagine(a), pagine(b)) for k, (a, b) in coppie.items()}


def _pagine_del_record(impostazioni: Settings, doc, copie, generatori: int):
    """The compiled blank pages a record's pages are stamped on, in order."""
    m = motore.modello(doc, "normalizzato", tuple(copie), impostazioni)
    if m.stampa.fogli is None:
        return m.stamper.compiled
    pagine_ = m.stamper.compiled.pages
    sequenza = ["primo"] + ["generatore"] * generatori
    return SimpleNamespace(pages=[pagine_[n] for copia in m.stampa.fogli for tipo in sequenza
                                  for n in copia[tipo].pagine])


def test_b_one_blank_sheet_per_kind_and_copy(impostazioni: Settings) -> None:
    m = motore.modello(B, "normalizzato", B.copies, impostazioni)
    assert [sorted(c) for c in m.stampa.fogli] == [["generatore", "primo"]] * 3
    assert len(m.stamper.compiled.pages) == 6
    assert {c["generatore"].prefisso for c in m.stampa.fogli} == {"generatori[0]."}


@pytest.mark.parametrize("nome", CASI)
def test_same_text_as_full_render(coppie, nome: str) -> None:
    a, b = coppie[nome]
    assert estrai_testo(a) == estrai_testo(b)
    doc, record, copie = CASI[nome]
    for g in record.get("generatori", ()):
        assert estrai_testo(a).count(g["matricola_caldaia"]) == len(copie)  # its sheet, in every copy


@pytest.mark.parametrize("nome", CASI)
def test_every_slot_box_as_full_render(impostazioni: Settings, raster, nome: str) -> None:
    doc, record, copie = CASI[nome]
    a, b = raster[nome]
    n = len(record.get("generatori", ()))
    assert len(a) == len(b) == len(copie) * (n + 1 if n else 2)
    assert slot_diversi(_pagine_del_record(impostazioni, doc, copie, n), a, b) == []


@pytest.mark.parametrize("nome", CASI)
def test_same_pdfa_markers_xmp_and_dati(coppie, nome: str) -> None:
    pa, pb = (pdfa(x) for x in coppie[nome])
    assert (pa["pdfa"], pa["af"], pa == pb) == ("3B", ["/Datadati.json"], True) and pa["intents"]


def test_slot_check_catches_one_wrong_value(impostazioni: Settings, raster) -> None:
    """Proof the comparison can fail: another inspection number differs in that box of page 1 of A, and
    another matricola of B's third generator in that box of the third generator sheet, nowhere else."""
    kw = dict(modo="normalizzato", copie=["ente"], settings=impostazioni)
    altro = copy.deepcopy(CASI["a"][1])
    altro["numero_ispezione"] = "MN-2025/7931"
    a = raster["a"][0]
    b = pagine(render_document("allegato-a", altro, completo=True, **kw))
    diversi = slot_diversi(_pagine_del_record(impostazioni, A, A.copies[2:], 0), a, b)
    assert {(p, c) for p, c, _ in diversi} == {(0, "numero_ispezione")}
    altro = copy.deepcopy(CASI["b-tre"][1])
    altro["generatori"][2]["matricola_caldaia"] = "0412RT18839"
    a = pagine(render_document("allegato-b", CASI["b-tre"][1], **kw))
    b = pagine(render_document("allegato-b", altro, completo=True, **kw))
    diversi = slot_diversi(_pagine_del_record(impostazioni, B, B.copies[2:], 3), a, b)
    assert {(p, c) for p, c, _ in diversi} == {(3, "generatori[0].matricola_caldaia")}


def test_blank_forms_and_a_correction_laid_out_in_full(impostazioni: Settings) -> None:
    """The blank form is the compiled blank layout; a correction's NO (no box on the blank form) is laid
    out in full and counted."""
    kw = dict(modo="facsimile", copie=["ente"], settings=impostazioni)
    for doc in (A, B):
        assert estrai_testo(render_document(doc.code, None, **kw)) == estrai_testo(
            render_document(doc.code, None, completo=True, **kw))
    rec = copy.deepcopy(CASI["a"][1])
    rec["correzioni"] = [{"campo": "ubicazione.piano", "nota": "il piano corretto è il 3"}]
    prima = motore.CONTEGGI["completo:allegato-a:ubicazione.piano!correzione"]
    testo = estrai_testo(render_document("allegato-a", rec, modo="normalizzato", copie=["ente"], settings=impostazioni))
    assert motore.CONTEGGI["completo:allegato-a:ubicazione.piano!correzione"] == prima + 1
    assert "NO: il piano corretto è il 3" in testo


_MASSIMO = {("allegato-a", "ubicazione.indirizzo"): 80, ("allegato-a", "occupante.ragione_sociale"): 60,
            ("allegato-b", "generatori.0.costruttore_caldaia"): 40}

_PAROLE = st.lists(st.text(alphabet="abcdefghilmnopqrstuvzàèéìòù", min_size=2, max_size=14), min_size=4, max_size=30)


@hsettings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chiave=st.sampled_from(sorted(_MASSIMO)), parole=_PAROLE)
def test_long_values_never_clip(impostazioni: Settings, chiave: tuple[str, str], parole: list[str]) -> None:
    """Stamped smaller, or laid out in full and counted; in every case the whole value is in the
    document, word by word in order; when stamped, its text and every slot box are the full layout's."""
    tipo, campo = chiave
    valore = " ".join(parole)[:_MASSIMO[chiave]].strip().title()
    rec = copy.deepcopy(CASI["a"][1] if tipo == "allegato-a" else CASI["b-uno"][1])
    *su, ultimo = campo.split(".")
    dove = rec
    for parte in su:
        dove = dove[int(parte)] if parte.isdigit() else dove[parte]
    dove[ultimo] = valore
    kw = dict(modo="normalizzato", copie=["ente"], settings=impostazioni)
    stampati, completi = motore.CONTEGGI["motore"], motore.CONTEGGI["completo"]
    pdf = render_document(tipo, rec, **kw)
    stampato = motore.CONTEGGI["motore"] == stampati + 1
    assert stampato or motore.CONTEGGI["completo"] == completi + 1
    parole_in_ordine(pdf, valore, campo)
    if stampato:
        pieno = render_document(tipo, rec, completo=True, **kw)
        assert estrai_testo(pdf) == estrai_testo(pieno)
        doc = A if tipo == "allegato-a" else B
        compilato = _pagine_del_record(impostazioni, doc, doc.copies[2:], len(rec.get("generatori", ())))
        assert slot_diversi(compilato, pagine(pdf), pagine(pieno)) == []
