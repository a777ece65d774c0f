"""Streaming merge: valid PDF (qpdf --check), one copy of each shared background, split outputs
that together hold every page in order, the same bytes when merged again."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf

from service.batch.lavoro import OpzioniUscita, crea_lavoro, esegui_lavoro, unisci


def test_merge_streams_valid_deduplicated_pdfs(settings, engine, impianti, tmp_path: Path) -> None:
    lavoro_id, _ = crea_lavoro("targhe", impianti(60), settings=settings, engine=engine,
                               uscita=OpzioniUscita(dividi_ogni=5), record_per_blocco=10)
    esito = esegui_lavoro(lavoro_id, settings=settings, engine=engine)
    cartella = settings.batch_dir / lavoro_id
    assert esito["file"] == ["stampa-001.pdf", "stampa-002.pdf", "stampa-003.pdf"] and esito["pagine"] == 12
    blocchi = sorted((cartella / "blocchi").glob("*.pdf"))
    assert len(blocchi) == 6
    testi = []
    for nome in esito["file"]:
        pdf = cartella / nome
        check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        with pikepdf.open(pdf) as doc:
            # every chunk brought its own background: the merged file keeps one per variant
            sfondi = {x.objgen: x.read_raw_bytes() for page in doc.pages for x in page.Resources.XObject.values()}
            assert len(set(sfondi.values())) == len(sfondi) <= 6  # 3 Enti x 2 plate copies
        testi.append(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                                    text=True, check=True).stdout)
    codici = [r["codice_impianto"] for r in impianti(60)]
    for i, codice in enumerate(codici):  # 50 plates per file (2 per impianto, 10 per sheet, 5 sheets)
        assert codice in testi[i * 2 // 50]
    primo = (cartella / "stampa-001.pdf").read_bytes()
    unisci(cartella)
    assert (cartella / "stampa-001.pdf").read_bytes() == primo


def test_merge_renumbers_references_only(tmp_path: Path) -> None:
    """Objects are copied as qpdf unparses them and only ``n g R`` tokens are renumbered: text that
    looks like a reference inside a string stays as it is, shared objects of two chunks become one."""
    from service.batch.unione import scrivi_unione

    blocchi = []
    for k in range(2):
        pdf = pikepdf.new()
        pdf.add_blank_page(page_size=(200, 100))
        font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                    BaseFont=pikepdf.Name.Helvetica))
        page = pdf.pages[0]
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.Contents = pdf.make_stream(b"BT /F1 12 Tf 10 50 Td (blocco %d) Tj ET" % k)
        page.obj.Nota = pikepdf.String("vedi 1 0 R (e 2 0 R) \\ fine")
        blocchi.append(tmp_path / f"blocco-{k}.pdf")
        pdf.save(blocchi[-1])
    out = tmp_path / "unione.pdf"
    with out.open("wb") as f:
        assert scrivi_unione(f, blocchi, [(1, 0), (0, 0)], titolo="Prova", identita=b"x") == 2
    check = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with pikepdf.open(out) as doc:
        assert [str(p.obj.Nota) for p in doc.pages] == ["vedi 1 0 R (e 2 0 R) \\ fine"] * 2
        assert [p.Contents.read_bytes() for p in doc.pages] == [b"BT /F1 12 Tf 10 50 Td (blocco %d) Tj ET" % k
                                                                 for k in (1, 0)]
        assert doc.pages[0].Resources.Font.F1.objgen == doc.pages[1].Resources.Font.F1.objgen
        assert all(p.obj.Parent.objgen == doc.Root.Pages.objgen for p in doc.pages)
