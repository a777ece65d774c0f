"""CAIT paper with tables issued through the compile-once engine (``service.motore_tabella.MotoreTabella``)
vs the full WeasyPrint render of the same record: same text, every slot box the same, same PDF/A-3b
markers, XMP and dati.json, for tables stamped whole (up to four rows), drawn from bands (more rows,
one page) and run onto more pages from the continuation bands (ricevuta, distinta, lettera, elenchi,
rendiconti: the same page breaks, compared page by page)."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest

from renderers.stamp import CompiledTemplate
from service import motore_lotti
from service.documents import cait
from service.produce import render_document, select_copies, validate
from service.registry import get_document_type
from service.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from motore_confronto import estrai_testo, pagine, pdfa, slot_diversi  # noqa: E402

pytestmark = pytest.mark.slow

MODO = "normalizzato"
DOC = get_document_type("ricevuta")


def _vendita(n: int) -> dict:
    dati = copy.deepcopy(DOC.example())
    dati["righe"] = [cait._riga_etichetta(cait._etichetta("020066", "G", 18000 + i, "F1"), "provincia-mantova", "F1")
                     for i in range(n)]
    return dati


RECORDS = {
    "esempio": DOC.example(),  # four rows: drawn from bands
    "due-righe": _vendita(2),  # stamped whole
    "quindici-righe": _vendita(15),
    "ricarica": {**copy.deepcopy(DOC.example()), "causale": "ricarica", "pagamento": "contanti", "saldo_portafoglio": "150.00",
                 "righe": [{"descrizione": "Ricarica del Portafoglio CURIT", "importo": "100.00"}]},
}


ELENCHI = ("elenco-manutentori", "elenco-operatori", "elenco-strumenti")


def _operatori(n: int) -> dict:
    return {**get_document_type("elenco-operatori").example(),
            "righe": [{"cognome_nome": f"Operatore Numero {i}", "username": f"op.{i}", "attivo": i % 3 > 0}
                      for i in range(n)]}


@pytest.fixture(scope="module")
def impostazioni(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("motore-cait")
    return Settings(var_dir=var)  # compiled layouts: the run's one folder (tests/conftest.py)


@pytest.fixture(scope="module")
def coppie(impostazioni: Settings) -> dict[str, tuple[bytes, bytes]]:
    out = {}
    for nome, dati in RECORDS.items():
        prima = motore_lotti.CONTEGGI.get("ricevuta", 0)
        out[nome] = (render_document("ricevuta", dati, modo=MODO, settings=impostazioni),
                     render_document("ricevuta", dati, modo=MODO, settings=impostazioni, completo=True))
        assert motore_lotti.CONTEGGI["ricevuta"] == prima + 1  # stamped, no fallback
    return out


def _layout(pdf: bytes) -> str:
    """``pdftotext -layout``, whitespace normalised: table cells read row by row (the raw reading
    order groups a table's stamped cells by font, apart from the printed labels beside them)."""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def _per_pagina(pdf: bytes) -> list[str]:
    """``pdftotext -layout`` page by page, whitespace normalised (the page breaks compared too)."""
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return [" ".join(p.decode().split()) for p in out.split(b"\f")[:-1]]


def _numerazione(pdf: bytes) -> list[tuple[int, int]]:
    """Each page's foot "Pag. N di M" as (N, M), page by page (one foot a page)."""
    out = []
    for testo in _per_pagina(pdf):
        piedi = re.findall(r"Pag\. (\d+) di (\d+)", testo)
        assert len(piedi) == 1, testo
        out.append((int(piedi[0][0]), int(piedi[0][1])))
    return out


def _per_copia(pagine: int, copie: int) -> list[tuple[int, int]]:
    """The feet of ``copie`` copies of ``pagine`` pages each: every copy counted on its own."""
    return [(i, pagine) for i in range(1, pagine + 1)] * copie


@pytest.mark.parametrize("nome", RECORDS)
def test_same_text_as_full_render(coppie, nome: str) -> None:
    a, b = coppie[nome]
    assert _layout(a) == _layout(b)
    assert "CAIT-MN-01/RIC/2026/000458" in _layout(a)


def test_bands_draw_each_text_once(coppie) -> None:
    """Every band is compiled with only its part visible: no text of the page is drawn twice
    (pdftotext reads hidden-by-clipping text too), so the plain reading is the full render's."""
    for nome in ("esempio", "quindici-righe"):
        a, b = coppie[nome]
        assert estrai_testo(a) == estrai_testo(b)
        assert estrai_testo(a).count("Via Luzio 7") == 1


@pytest.mark.parametrize("nome", RECORDS)
def test_every_slot_box_as_full_render(coppie, impostazioni: Settings, nome: str) -> None:
    a, b = coppie[nome]
    sagome = CompiledTemplate("", tuple(motore_lotti.sagome(DOC, validate(DOC, RECORDS[nome]), MODO, impostazioni)), b"")
    ra, rb = pagine(a), pagine(b)
    assert len(ra) == len(rb) == len(sagome.pages) == 1
    assert slot_diversi(sagome, ra, rb) == []


@pytest.mark.parametrize("nome", RECORDS)
def test_same_pdfa_markers_xmp_and_dati(coppie, nome: str) -> None:
    a, b = coppie[nome]
    pa, pb = pdfa(a), pdfa(b)
    assert pa["pdfa"] == "3B" and pa["af"] == ["/Data" + "dati.json"]
    assert pa == pb


def test_slot_check_catches_one_wrong_row(coppie, impostazioni: Settings) -> None:
    """Proof the comparison can fail: a different amount in the 9th row differs in its boxes only."""
    altro = _vendita(15)
    altro["righe"][8] = cait._riga_etichetta(cait._etichetta("020066", "F", 415, "F4"), "provincia-mantova", "F4")
    b = pagine(render_document("ricevuta", altro, modo=MODO, settings=impostazioni, completo=True))
    sagome = CompiledTemplate("", tuple(motore_lotti.sagome(DOC, validate(DOC, RECORDS["quindici-righe"]), MODO,
                                                             impostazioni)), b"")
    diversi = {c for _, c, _ in slot_diversi(sagome, pagine(coppie["quindici-righe"][0]), b)}
    assert {"r2_etichetta", "r2_importo", "totale"} <= diversi
    assert not any(c.startswith(("r1_", "r4_")) for c in diversi)


def test_ricevuta_of_sixty_rows_runs_onto_a_second_page_as_the_full_render(impostazioni: Settings) -> None:
    """60 etichette: the rows go on under the table head repeated on page 2, the totals stay with
    the signatures; text page by page, every slot box, PDF/A as the full render."""
    dati = _vendita(60)
    prima = motore_lotti.CONTEGGI["ricevuta"]
    a = render_document("ricevuta", dati, modo=MODO, settings=impostazioni)
    assert motore_lotti.CONTEGGI["ricevuta"] == prima + 1
    b = render_document("ricevuta", dati, modo=MODO, settings=impostazioni, completo=True)
    ta = _per_pagina(a)
    assert len(ta) == 2 and ta == _per_pagina(b) and "Pag. 2 di 2" in ta[1] and "Totale (60 etichette)" in ta[1]
    sagome = CompiledTemplate("", tuple(motore_lotti.sagome(DOC, validate(DOC, dati), MODO, impostazioni)), b"")
    assert slot_diversi(sagome, pagine(a), pagine(b)) == []
    assert pdfa(a) == pdfa(b)


LISTE = {**{t: (t, get_document_type(t).example()) for t in ELENCHI},
         "operatori-vuoto": ("elenco-operatori", _operatori(0)), "operatori-12": ("elenco-operatori", _operatori(12)),
         "operatori-80": ("elenco-operatori", _operatori(80))}  # two pages


@pytest.mark.parametrize("nome", LISTE)
def test_lists_as_full_render(impostazioni: Settings, nome: str) -> None:
    """CAIT lists (every kind, empty, 12 rows drawn from bands, 80 rows onto a second page): text page
    by page, slot boxes, PDF/A as the full render."""
    tipo, dati = LISTE[nome]
    doc = get_document_type(tipo)
    prima = motore_lotti.CONTEGGI.get(tipo, 0)
    a = render_document(tipo, dati, modo=MODO, settings=impostazioni)
    assert motore_lotti.CONTEGGI[tipo] == prima + 1
    b = render_document(tipo, dati, modo=MODO, settings=impostazioni, completo=True)
    assert estrai_testo(a) == estrai_testo(b) and _per_pagina(a) == _per_pagina(b)
    assert len(_per_pagina(a)) == (2 if len(dati["righe"]) == 80 else 1)
    sagome = CompiledTemplate("", tuple(motore_lotti.sagome(doc, validate(doc, dati), MODO, impostazioni)), b"")
    assert slot_diversi(sagome, pagine(a), pagine(b)) == []
    assert pdfa(a) == pdfa(b)


def _lettera(n: int) -> dict:
    dati = copy.deepcopy(get_document_type("lettera-trasmissione").example())
    riga = dati["righe"][0]
    dati["righe"] = [{**riga, "codice_impianto": f"020066IN{1000 + i:07d}", "responsabile": f"Responsabile {i}"}
                     for i in range(n)]
    return dati


LETTERE = {"esempio": (get_document_type("lettera-trasmissione").example(), None), "dodici-righe": (_lettera(12), None),
           "copia-ente": (_lettera(12), ["ente"]), "venti-righe": (_lettera(20), None)}  # two pages per copy


@pytest.mark.parametrize("nome", LETTERE)
def test_lettera_trasmissione_as_full_render(impostazioni: Settings, nome: str) -> None:
    """Two copies (each its own page of the layout), rows from bands, one copy chosen, a table
    running onto a second page of each copy (the closing block with it)."""
    dati, copie = LETTERE[nome]
    doc = get_document_type("lettera-trasmissione")
    prima = motore_lotti.CONTEGGI.get(doc.code, 0)
    a = render_document(doc.code, dati, modo=MODO, copie=copie, settings=impostazioni)
    assert motore_lotti.CONTEGGI[doc.code] == prima + 1
    b = render_document(doc.code, dati, modo=MODO, copie=copie, settings=impostazioni, completo=True)
    assert _per_pagina(a) == _per_pagina(b) and len(_per_pagina(a)) == (1 if copie else 2) * (2 if nome == "venti-righe" else 1)
    assert _layout(a).count("Totale rapporti allegati") == (1 if copie else 2)
    sagome = motore_lotti.sagome(doc, validate(doc, dati), MODO, impostazioni)
    if copie:  # sagome() gives every copy: keep the chosen one's page
        sagome = sagome[:1]
    ra, rb = pagine(a), pagine(b)
    assert len(ra) == len(rb) == len(sagome)
    assert slot_diversi(CompiledTemplate("", tuple(sagome), b""), ra, rb) == []
    assert pdfa(a) == pdfa(b)


def _distinta(n: int) -> dict:
    dati = copy.deepcopy(get_document_type("distinta-ricevuta").example())
    dati["righe"] = [{**dati["righe"][i % 5], "codice_impianto": f"020066IN{2000 + i:07d}"} for i in range(n)]
    return dati


DISTINTE = {"esempio": get_document_type("distinta-ricevuta").example(), "due-righe": _distinta(2)}


@pytest.mark.parametrize("nome", DISTINTE)
def test_distinta_as_full_render(impostazioni: Settings, nome: str) -> None:
    """Two copies; cells of two and three lines; the QR code; a summary line per Ente."""
    dati = DISTINTE[nome]
    doc = get_document_type("distinta-ricevuta")
    prima = motore_lotti.CONTEGGI.get(doc.code, 0)
    a = render_document(doc.code, dati, modo=MODO, settings=impostazioni)
    assert motore_lotti.CONTEGGI[doc.code] == prima + 1
    b = render_document(doc.code, dati, modo=MODO, settings=impostazioni, completo=True)
    assert _layout(a) == _layout(b) and estrai_testo(a) == estrai_testo(b)
    sagome = CompiledTemplate("", tuple(motore_lotti.sagome(doc, validate(doc, dati), MODO, impostazioni)), b"")
    ra, rb = pagine(a), pagine(b)
    # five rows and the closing block no longer fit above the contrassegno's band: two pages a copy
    assert len(ra) == len(rb) == (4 if nome == "esempio" else 2)
    assert slot_diversi(sagome, ra, rb) == []
    assert pdfa(a) == pdfa(b)


@pytest.fixture(scope="module")
def distinta_lunga(impostazioni: Settings) -> tuple[dict, bytes, bytes]:
    """60 rows: four pages per copy (two copies), the closing block after the last rows."""
    dati = _distinta(60)
    prima = motore_lotti.CONTEGGI.get("distinta-ricevuta", 0)
    a = render_document("distinta-ricevuta", dati, modo=MODO, settings=impostazioni)
    assert motore_lotti.CONTEGGI["distinta-ricevuta"] == prima + 1  # stamped, no fallback
    return dati, a, render_document("distinta-ricevuta", dati, modo=MODO, settings=impostazioni, completo=True)


def test_distinta_of_many_rows_runs_onto_more_pages_as_the_full_render(distinta_lunga, impostazioni: Settings) -> None:
    """Same page breaks (text page by page), table head, "Pag. N di M", copy holder and foot on every
    page, every slot box on every page, PDF/A as the full render."""
    dati, a, b = distinta_lunga
    ta, tb = _per_pagina(a), _per_pagina(b)
    assert len(ta) == 8 and ta == tb
    assert _numerazione(a) == _per_copia(4, 2)  # each copy is a document on its own
    assert all("Codice impianto" in t and "Distinta n. CAIT" in t for t in ta)
    assert [t.count("Copia per il manutentore") for t in ta] == [1, 1, 1, 1, 0, 0, 0, 0]
    assert "020066IN0002059" in ta[3] and "Totale dichiarazioni consegnate" in ta[3] and estrai_testo(a) == estrai_testo(b)
    doc = get_document_type("distinta-ricevuta")
    sagome = CompiledTemplate("", tuple(motore_lotti.sagome(doc, validate(doc, dati), MODO, impostazioni)), b"")
    assert slot_diversi(sagome, pagine(a), pagine(b)) == []
    assert pdfa(a) == pdfa(b)


def test_slot_check_catches_a_wrong_row_on_a_following_page(distinta_lunga, impostazioni: Settings) -> None:
    """Proof the page-by-page comparison can fail: another codice in row 40 (third page of each
    copy) differs in that row's boxes on those pages only."""
    dati, a, _ = distinta_lunga
    altro = copy.deepcopy(dati)
    altro["righe"][39]["codice_impianto"] = "020066IN0009999"
    doc = get_document_type("distinta-ricevuta")
    b = render_document(doc.code, altro, modo=MODO, settings=impostazioni)  # the engine's own pages
    sagome = CompiledTemplate("", tuple(motore_lotti.sagome(doc, validate(doc, dati), MODO, impostazioni)), b"")
    diversi = {(p, c) for p, c, _ in slot_diversi(sagome, pagine(a), pagine(b))}
    assert diversi and {p for p, _ in diversi} == {2, 6} and {c for _, c in diversi} == {"r2_codice"}


NUMERATE = {  # name → (type, data, copies chosen, pages a copy, copies printed)
    "distinta-una-pagina": ("distinta-ricevuta", _distinta(2), None, 1, 2),
    "distinta-due-pagine": ("distinta-ricevuta", get_document_type("distinta-ricevuta").example(), None, 2, 2),
    "lettera-una-pagina": ("lettera-trasmissione", _lettera(12), None, 1, 2),
    "lettera-due-pagine": ("lettera-trasmissione", _lettera(20), None, 2, 2),
    "lettera-copia-ente": ("lettera-trasmissione", _lettera(20), ["ente"], 2, 1),
}


@pytest.mark.parametrize("nome", NUMERATE)
def test_each_copy_numbers_its_own_pages(impostazioni: Settings, nome: str) -> None:
    """A document printed in two copies is two documents on paper: each copy's pages read "Pag. 1 di M"
    to "Pag. M di M", M the copy's own pages (not the PDF's), stamped as laid out in full; the copy
    holder heads every page of its copy."""
    tipo, dati, copie, fogli, n = NUMERATE[nome]
    doc = get_document_type(tipo)
    prima = motore_lotti.CONTEGGI.get(tipo, 0)
    a = render_document(tipo, dati, modo=MODO, copie=copie, settings=impostazioni)
    assert motore_lotti.CONTEGGI[tipo] == prima + 1  # stamped, no fallback
    b = render_document(tipo, dati, modo=MODO, copie=copie, settings=impostazioni, completo=True)
    assert _numerazione(a) == _numerazione(b) == _per_copia(fogli, n)
    titolari = select_copies(doc, copie)
    assert len(titolari) == n
    for i, testo in enumerate(_per_pagina(a)):
        assert [h for h in doc.copies if h in testo] == [titolari[i // fogli]], testo


@pytest.mark.parametrize("tipo,fogli", [("rendiconto-ente-trimestrale", 1), ("rendiconto-cait", 2)])
def test_rendiconto_as_full_render(impostazioni: Settings, tipo: str, fogli: int) -> None:
    """Summary tables fixed by the Enti and bands sold, the list of etichette as the repeated rows;
    the monthly CAIT example takes two pages (the signatures on the second): stamped with the same
    page breaks, slots and PDF/A as the full render."""
    doc = get_document_type(tipo)
    dati = doc.example()
    prima = motore_lotti.CONTEGGI.get(doc.code, 0)
    a = render_document(doc.code, dati, modo=MODO, settings=impostazioni)
    assert motore_lotti.CONTEGGI[doc.code] == prima + 1
    b = render_document(doc.code, dati, modo=MODO, settings=impostazioni, completo=True)
    ta = _per_pagina(a)
    assert len(ta) == fogli and ta == _per_pagina(b)
    numeri = [r["numero_etichetta"] for r in dati["righe"]]
    assert f"Pag. {fogli} di {fogli}" in ta[-1] and all(n in " ".join(ta) for n in numeri)
    if fogli == 2:  # above the CAIT's band for the contrassegno: nine rows on the first page, the tenth on the second
        assert "Il responsabile del CAIT" in ta[1] and "Elenco delle etichette" not in ta[1]
        assert sum(n in ta[0] for n in numeri) == 9 and sum(n in ta[1] for n in numeri) == 1
    else:
        assert all(n in ta[0] for n in numeri)
    sagome = CompiledTemplate("", tuple(motore_lotti.sagome(doc, validate(doc, dati), MODO, impostazioni)), b"")
    assert slot_diversi(sagome, pagine(a), pagine(b)) == []
    assert pdfa(a) == pdfa(b)


@pytest.mark.parametrize("righe,fogli", [(3, 1), (4, 2), (48, 3), (104, 4)])
def test_rendiconto_cait_with_its_band_as_full_render(impostazioni: Settings, righe: int, fogli: int) -> None:
    """The CAIT rendiconto keeps a 37 mm band at the bottom of every page for the contrassegno, so its
    four-row layout has no room for the closing block after the rows: it opens the second page. Still
    stamped, never laid out in full: three rows on one page; four rows, the signatures on the second; 48
    rows, the closing block opening the third page; 104, rows on four pages and the closing block after
    the last (same text page by page, every slot box, PDF/A as the full render)."""
    doc = get_document_type("rendiconto-cait")
    dati = cait.esempio_rendiconto_cait_lungo(righe)
    prima = motore_lotti.CONTEGGI.get(doc.code, 0)
    a = render_document(doc.code, dati, modo=MODO, settings=impostazioni)
    assert motore_lotti.CONTEGGI[doc.code] == prima + 1  # stamped, no fallback
    b = render_document(doc.code, dati, modo=MODO, settings=impostazioni, completo=True)
    ta = _per_pagina(a)
    assert len(ta) == fogli and ta == _per_pagina(b)
    assert all(f"Pag. {i} di {fogli}" in t for i, t in enumerate(ta, 1)) and "Il responsabile del CAIT" in ta[-1]
    if righe == 48:
        assert "Il responsabile del CAIT" not in ta[1] and not any(x["numero_etichetta"] in ta[2] for x in dati["righe"])
    sagome = CompiledTemplate("", tuple(motore_lotti.sagome(doc, validate(doc, dati), MODO, impostazioni)), b"")
    assert slot_diversi(sagome, pagine(a), pagine(b)) == []
    assert pdfa(a) == pdfa(b)
