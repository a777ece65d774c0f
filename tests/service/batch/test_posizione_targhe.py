"""A queued plates job honours the sheet options (issue 16): the first plate at the chosen start
position of the first sheet, every label moved by the x/y calibration, both copies of a plate on
one sheet, later sheets from position 1; the same options on the on-demand test sheet. Positions
are read back from the PDF (pdfplumber: the codice impianto's text on each plate)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pdfplumber
import pytest

from domain.errors import RuleViolation
from renderers.impose import get_profile
from service.batch.lavoro import crea_lavoro, esegui_lavoro

MM = 72 / 25.4


def _codici_per_pagina(pdf: bytes) -> list[list[tuple[str, float, float]]]:
    """For each page, (codice, x0 mm, top mm) of each plate's heading «Impianto Termico N. <codice>»."""
    out = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            parole = page.extract_words()
            targhe = []
            for w, dopo in zip(parole, parole[1:]):
                if w["text"] == "Impianto" and dopo["text"] == "Termico":
                    # the plate below its heading (the codice is drawn large in its middle)
                    box = (w["x0"] - 2 * MM, w["top"] - 2 * MM, w["x0"] + 78 * MM, w["top"] + 36 * MM)
                    targa = page.crop(tuple(max(0, min(v, lim)) for v, lim in zip(box, (page.width, page.height) * 2)))
                    cifre = [c for c in targa.chars if c["text"].isdigit()]
                    corpo = max((c["size"] for c in cifre), default=0)  # the codice: the largest digits
                    testo = "".join(c["text"] for c in sorted(targa.chars, key=lambda c: c["x0"])
                                    if abs(c["size"] - corpo) < 0.05 and c["text"].strip())
                    trovato = re.search(r"[0-9]{6}[A-Z]{2}[0-9]{7}", testo)
                    targhe.append((trovato.group(0) if trovato else "", w["x0"] / MM, w["top"] / MM))
            out.append(sorted(targhe, key=lambda v: (round(v[2]), v[1])))
    return out


@pytest.fixture
def records(impianti):
    return [r for r in impianti(30) if r["comune"] == "Viadana"][:8]


def _stampa(settings, engine, records, **opzioni) -> bytes:
    lavoro_id, scarti = crea_lavoro("targhe", records, settings=settings, engine=engine, opzioni=opzioni,
                                    record_per_blocco=5, firma=False)
    assert scarti == []
    esegui_lavoro(lavoro_id, settings=settings, engine=engine)
    return (settings.batch_dir / lavoro_id / "stampa.pdf").read_bytes()


def test_lavoro_in_coda_con_posizione_iniziale_e_calibrazione(settings, engine, records) -> None:
    profilo = get_profile("A4-2x5")
    rif = _codici_per_pagina(_stampa(settings, engine, records))
    # reference: the plates fill the sheets from position 1, two copies each
    assert [len(p) for p in rif] == [10, 6]
    cx0, cy0 = profilo.cell(0)
    dx, dy = rif[0][0][1] - cx0, rif[0][0][2] - cy0  # where the codice sits inside its label

    pdf = _stampa(settings, engine, records, inizio=4, offset_x=3, offset_y=-2)
    pagine = _codici_per_pagina(pdf)
    # start at position 4 (cell 3): positions 4..9 hold three plates, position 10 stays empty (a
    # plate's two copies on one sheet); the next sheets start from position 1
    assert [len(p) for p in pagine] == [6, 10]
    attesi = [records[i]["codice_impianto"] for i in range(8) for _ in range(2)]
    assert [c for p in pagine for c, _, _ in p] == attesi
    for (codice, x, y), cella in zip(pagine[0], range(3, 9)):
        ex, ey = profilo.cell(cella)
        assert (x, y) == pytest.approx((ex + dx + 3, ey + dy - 2), abs=0.3), (codice, cella)
    for (codice, x, y), cella in zip(pagine[1], range(10)):
        ex, ey = profilo.cell(cella)
        assert (x, y) == pytest.approx((ex + dx + 3, ey + dy - 2), abs=0.3), (codice, cella)

    # an even count of used positions: no empty position, the plates continue on the next sheet
    pagine = _codici_per_pagina(_stampa(settings, engine, records, inizio=3))
    assert [len(p) for p in pagine] == [8, 8]
    assert (pagine[0][0][1], pagine[0][0][2]) == pytest.approx((profilo.cell(2)[0] + dx, profilo.cell(2)[1] + dy),
                                                                abs=0.3)


def test_opzioni_del_foglio_rifiutate_con_il_campo(settings, engine, records) -> None:
    for opzioni, campo in (({"inizio": 11}, "inizio"), ({"inizio": 10}, "inizio"), ({"offset_x": 12}, "offset_x"),
                           ({"foglio": "A4-1x7"}, "foglio")):
        with pytest.raises(RuleViolation) as exc:
            crea_lavoro("targhe", records, settings=settings, engine=engine, opzioni=opzioni, firma=False)
        assert exc.value.path == (campo,), opzioni
    assert not list(Path(settings.batch_dir).glob("*/lavoro.json"))  # nothing half-written


def test_foglio_di_prova_e_lavoro_in_coda_coincidono(settings, engine, records) -> None:
    """The test sheet (outlines of every label, moved by the calibration) and the queued job put the
    plates in the same places for the same options: calibrating with one holds for the other."""
    from service.stampa_fogli import OpzioniFoglio
    from service.targhe import render_targhe

    profilo = get_profile("A4-2x5")
    buf = io.BytesIO()
    render_targhe(records[:3], buf, opzioni=OpzioniFoglio(inizio=4, offset_x=3, offset_y=-2, prova=True),
                  settings=settings)
    prova = buf.getvalue()
    with pdfplumber.open(io.BytesIO(prova)) as doc:
        assert len(doc.pages) == 1
        contorni = sorted((round(r["x0"] / MM, 1), round(r["top"] / MM, 1)) for r in doc.pages[0].rects
                          if abs(r["width"] / MM - 84) < 0.2 and abs(r["height"] / MM - 55) < 0.2)
    attesi = {(round(x + 3, 1), round(y - 2, 1)) for x, y in (profilo.cell(c) for c in range(10))}
    assert attesi <= set(contorni), contorni  # every label's outline, the free ones too, moved by the calibration
    assert not set(contorni) - attesi  # the plates' own borders sit on their labels
    lavoro = _codici_per_pagina(_stampa(settings, engine, records, inizio=4, offset_x=3, offset_y=-2))[0]
    assert _codici_per_pagina(prova)[0] == lavoro
