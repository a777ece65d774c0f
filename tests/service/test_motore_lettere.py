"""Avviso di ispezione, lettera di esito, targhe and etichette issued one at a time through the
compile-once engine (``service.motore_lotti``) vs their full WeasyPrint render: same text, every
slot box the same, same PDF/A-3b markers, XMP and dati.json; the same pages as a batch of one;
long values stamped smaller or laid out in full and counted, never cut."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings, strategies as st

from renderers.pdfstream import PageCollector
from renderers.stamp import CompiledTemplate
from service import motore, motore_lotti
from service.batch.base import Contesto
from service.batch.tipi import tipo_lotto
from service.produce import render_document, validate
from service.registry import get_document_type
from service.settings import Settings
from service.stampa_fogli import SessioneStampa

sys.path.insert(0, str(Path(__file__).parent))
from motore_confronto import estrai_testo, pagine, pdfa, slot_diversi  # noqa: E402

pytestmark = pytest.mark.slow

TIPI = ("avviso-ispezione", "lettera-esito", "targhe", "etichette")
LOTTO = {"avviso-ispezione": "avvisi", "lettera-esito": "esiti", "targhe": "targhe"}
MODO = "normalizzato"


@pytest.fixture(scope="module")
def impostazioni(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("motore-lettere")
    return Settings(var_dir=var)  # compiled layouts: the run's one folder (tests/conftest.py)


@pytest.fixture(scope="module")
def coppie(impostazioni: Settings) -> dict[str, tuple[bytes, bytes]]:
    """(engine, full render) of each type's example, rendered once for the module."""
    out = {}
    for tipo in TIPI:
        prima = motore_lotti.CONTEGGI.get(tipo, 0)
        dati = get_document_type(tipo).example()
        out[tipo] = (render_document(tipo, dati, modo=MODO, settings=impostazioni),
                     render_document(tipo, dati, modo=MODO, settings=impostazioni, completo=True))
        assert motore_lotti.CONTEGGI[tipo] == prima + 1  # stamped, no fallback
    return out


@pytest.fixture(scope="module")
def raster(coppie) -> dict[str, tuple[list, list]]:
    return {k: (pagine(a), pagine(b)) for k, (a, b) in coppie.items()}


def _sagome(tipo: str, dati: dict, impostazioni: Settings) -> CompiledTemplate:
    doc = get_document_type(tipo)
    return CompiledTemplate("", tuple(motore_lotti.sagome(doc, validate(doc, dati), MODO, impostazioni)), b"")


def _testo(tipo: str, pdf: bytes) -> str:
    """pdftotext, whitespace normalised; the etichette preview without its diagonal FAC-SIMILE mark
    (pdftotext interleaves a rotated word with the numbers it crosses in drawing order)."""
    if tipo != "etichette":
        return estrai_testo(pdf)
    out = subprocess.run(["pdftotext", "-nodiag", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


@pytest.mark.parametrize("tipo", TIPI)
def test_same_text_as_full_render(coppie, tipo: str) -> None:
    a, b = coppie[tipo]
    assert _testo(tipo, a) == _testo(tipo, b)
    assert len(_testo(tipo, a)) > 300


@pytest.mark.parametrize("tipo", TIPI)
def test_every_slot_box_as_full_render(raster, impostazioni: Settings, tipo: str) -> None:
    a, b = raster[tipo]
    sagome = _sagome(tipo, get_document_type(tipo).example(), impostazioni)
    assert len(a) == len(b) == len(sagome.pages)
    assert sum(len(p.slots) for p in sagome.pages) >= 12
    assert slot_diversi(sagome, a, b) == []


@pytest.mark.parametrize("tipo", TIPI)
def test_same_pdfa_markers_xmp_and_dati(coppie, tipo: str) -> None:
    a, b = coppie[tipo]
    pa, pb = pdfa(a), pdfa(b)
    assert pa["pdfa"] == "3B" and pa["intents"] and pa["af"] == ["/Data" + "dati.json"]
    assert pa == pb


def test_slot_check_catches_one_wrong_protocol(raster, impostazioni: Settings) -> None:
    """Proof the comparison can fail: another protocol number differs in its box, and only there."""
    dati = get_document_type("avviso-ispezione").example()
    altro = {**dati, "protocollo": dati["protocollo"][:-1] + ("7" if dati["protocollo"][-1] != "7" else "8")}
    b = pagine(render_document("avviso-ispezione", altro, modo=MODO, settings=impostazioni, completo=True))
    diversi = slot_diversi(_sagome("avviso-ispezione", dati, impostazioni), raster["avviso-ispezione"][0], b)
    assert {c for _, c, _ in diversi} == {"protocollo"}


@pytest.mark.parametrize("tipo", sorted(LOTTO))
def test_same_pages_as_a_batch_of_one(impostazioni: Settings, tipo: str) -> None:
    """The batch kind stamps each record on the same compiled layout with the same operators."""
    doc = get_document_type(tipo)
    model = validate(doc, doc.example())
    lotto = tipo_lotto(LOTTO[tipo])
    sessione = SessioneStampa(None, settings=impostazioni, template=str(lotto.template), title=lotto.titolo,
                              writer=PageCollector())
    records = [i.model_dump(mode="json") for i in model.impianti] if tipo == "targhe" else [model.model_dump(mode="json")]
    gruppi = [lotto.items(sessione, rec, Contesto(impostazioni, {})) for rec in records]
    if tipo == "targhe":  # the document prints copy by copy, as its full layout does
        batch = [g[c] for c in range(len(gruppi[0])) for g in gruppi]
    else:
        batch = [item for g in gruppi for item in g]
    nostre = motore_lotti.pagine(doc, model, MODO, impostazioni)
    assert [(i.placement_xobject, i.ops) for i in batch] == [(p.posti[0][0].placement_xobject, p.posti[0][0].ops)
                                                             for p in nostre]
    assert all(len(p.posti) == 1 for p in nostre)


def test_warm_compiled_layouts_are_reused(impostazioni: Settings, coppie) -> None:
    """A second document of the same variants compiles nothing: only its pages are written."""
    dati = get_document_type("avviso-ispezione").example()
    n = len(motore_lotti._COMPILATI), len(motore_lotti._PREFISSI)
    for protocollo in ("AV-1", "AV-2"):
        pdf = render_document("avviso-ispezione", {**dati, "protocollo": protocollo}, modo=MODO, settings=impostazioni)
        assert protocollo in estrai_testo(pdf)
    assert (len(motore_lotti._COMPILATI), len(motore_lotti._PREFISSI)) == n


def test_letter_with_more_rows_than_slots_is_laid_out_in_full_and_counted(impostazioni: Settings) -> None:
    dati = copy.deepcopy(get_document_type("lettera-esito").example())
    dati["obblighi"] = [f"Obbligo numero {i}: adeguare l'impianto entro il termine." for i in range(1, 9)]
    prima = motore.CONTEGGI["completo:lettera-esito:elenco"]
    pdf = render_document("lettera-esito", dati, modo=MODO, settings=impostazioni)
    assert motore.CONTEGGI["completo:lettera-esito:elenco"] == prima + 1
    testo = estrai_testo(pdf)
    assert all(f"Obbligo numero {i}:" in testo for i in range(1, 9))


_PAROLE = st.lists(st.text(alphabet="abcdefghilmnopqrstuvzàèéìòùMW", min_size=2, max_size=14), min_size=6, max_size=14)
_CAMPI = {"impianto_indirizzo": 80, "ispettore": 60, "recapito": 80, "funzionario": 60, "responsabile.nominativo": 80,
          "responsabile.presso": 80}
"""Each field's maximum length (domain/avvisi.py): longer values are refused, not drawn."""


@hsettings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(campo=st.sampled_from(sorted(_CAMPI)), parole=_PAROLE)
@example(campo="responsabile.nominativo", parole=["Condominio", "Residenza", "Parco", "delle", "Rimembranze", "Scala",
                                                  "B", "Amministrazione", "Straordinaria", "Mmmm"])
def test_long_values_never_clip(impostazioni: Settings, campo: str, parole: list[str]) -> None:
    """Up to the field's maximum: stamped (smaller or wrapped) or laid out in full and counted; the
    whole value is in the document and inside the page, not cut by its box."""
    valore = " ".join(parole)[:_CAMPI[campo]].strip()
    rec = copy.deepcopy(get_document_type("avviso-ispezione").example())
    *padre, foglia = campo.split(".")
    (rec[padre[0]] if padre else rec)[foglia] = valore
    prima = motore.CONTEGGI["motore"] + motore.CONTEGGI["completo"]
    pdf = render_document("avviso-ispezione", rec, modo=MODO, settings=impostazioni)
    assert motore.CONTEGGI["motore"] + motore.CONTEGGI["completo"] == prima + 1
    testo, da = "".join(_visibile(pdf).split()), 0
    for parola in valore.split():
        da = testo.find(parola, da)
        assert da >= 0, f"{campo}: «{parola}» di «{valore}» non è visibile nel documento"
        da += len(parola)


def _visibile(pdf: bytes) -> str:
    """The words drawn inside the page as a reader sees them: ``pdftotext -bbox`` words whose box
    has ink on the page image (pdftotext also reads text that a box clips away, which leaves no
    ink where pdftotext places it)."""
    import html
    import re

    xml = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    immagini = pagine(pdf)
    k = 100 / 72  # motore_confronto.DPI
    parole = []
    for n, pagina in enumerate(re.findall(r"<page .*?</page>", xml, re.S)):
        im = immagini[n].point(lambda v: 255 if v < 128 else 0)
        for x0, y0, x1, y1, parola in re.findall(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', pagina):
            box = (int(float(x0) * k), int(float(y0) * k), int(float(x1) * k) + 1, int(float(y1) * k) + 1)
            if sum(im.crop(box).histogram()[1:]) >= 3:
                parole.append(html.unescape(parola))
    return " ".join(parole)
