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
