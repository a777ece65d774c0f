"""The contrassegno's place from the engine's page kinds (``renderers.carta``): a document stamped on a
compiled layout is sealed without rasterising its pages (its page kinds' blank paper, backgrounds plus
every slot box, is known once per process), every block still stands on blank paper of the page as
rendered, and the long rendiconto-cait (four pages, three full) gets the usual code in its bottom band
on every page, read by zxing at 150 dpi rotated 2°. A page kind with no room is read from the page itself."""

from __future__ import annotations

import subprocess
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from domain.contrassegno import Sigillo, codifica, preparazione
from renderers import carta
from renderers.carta import CartaPagina
from renderers.contrassegno import DISTACCO, disegna_contrassegno
from service.documents import cait
from service.produce import produci
from service.registry import get_document_type

pytestmark = pytest.mark.slow

FONT = (Path(__file__).resolve().parents[2] / "fonts" / "dejavu" / "DejaVuSans.ttf").read_bytes()
ID = "019ae5b2c3d4" + "ab" * 10
LEGENDA = f"Contrassegno elettronico (CAD art. 23-ter c.5) – verifica: https://curit.example.it/verifica/{ID}"


def _testo(tipo: str, lunghezza: int) -> str:
    s = Sigillo(ID, tipo, None, date(2026, 11, 3), "CAIT-MN-01", bytes(range(32)), lunghezza,
                datetime(2026, 11, 3, 10, tzinfo=timezone.utc))
    protetto, payload, _ = preparazione(s, b"\x01" * 8)
    return codifica(protetto, payload, b"\x02" * 64)


TIPI = ("allegato-g", "allegato-b", "allegato-f", "ricevuta", "distinta-ricevuta", "lettera-trasmissione",
        "avviso-ispezione", "elenco-operatori", "rendiconto-cait-lungo")


@pytest.fixture(scope="module")
def prodotti() -> dict:
    out = {}
    for tipo in TIPI:
        if tipo == "rendiconto-cait-lungo":
            out[tipo] = produci("rendiconto-cait", cait.esempio_rendiconto_cait_lungo(104))
        else:
            out[tipo] = produci(tipo, get_document_type(tipo).example())
    return out


def _pagine(pdf: bytes, dpi: int) -> list[Image.Image]:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "d.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", f"{tmp}/d.pdf", f"{tmp}/p"], check=True)
        return [Image.open(p).convert("L").copy() for p in sorted(Path(tmp).glob("p-*.png"),
                                                                  key=lambda q: int(q.stem.split("-")[-1]))]


@pytest.mark.parametrize("tipo", TIPI)
def test_engine_pages_sealed_without_reading_them_on_blank_paper(prodotti, tipo: str) -> None:
    prodotto = prodotti[tipo]
    pagine = _pagine(prodotto.pdf, 72)
    assert prodotto.carta is not None and len(prodotto.carta) == len(pagine)  # stamped by an engine
    letti = carta.CONTEGGI["raster"]
    esito = disegna_contrassegno(prodotto.pdf, _testo(tipo, len(prodotto.pdf)), LEGENDA, FONT, carta=prodotto.carta)
    assert carta.CONTEGGI["raster"] == letti  # no page rasterised
    assert esito.ridotte == [] and len(esito.posti) == len(pagine)
    for n, (posto, im) in enumerate(zip(esito.posti, pagine), 1):  # the block and its clearance: blank as rendered
        h = im.height
        riquadro = (int(posto.x - DISTACCO) + 1, int(h - posto.y - posto.altezza - DISTACCO) + 1,
                    int(posto.x + posto.larghezza + DISTACCO) - 1, int(h - posto.y + DISTACCO) - 1)
        assert im.crop(riquadro).getextrema()[0] >= 250, (tipo, n, posto)


def test_long_rendiconto_cait_gets_the_usual_code_in_its_band_on_every_page(prodotti) -> None:
    prodotto = prodotti["rendiconto-cait-lungo"]
    testo = _testo("rendiconto-cait", len(prodotto.pdf))
    esito = disegna_contrassegno(prodotto.pdf, testo, LEGENDA, FONT, carta=prodotto.carta)
    assert len(esito.posti) == 4 and esito.ridotte == []
    assert all(p.lato == "basso" and not p.piccolo for p in esito.posti)
    assert all(p.y + p.altezza < 37 * 72 / 25.4 for p in esito.posti[:3])  # the full pages: in the band
    for n, im in enumerate(_pagine(esito.pdf, 150), 1):
        scansione = im.rotate(2.0, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR)
        assert testo in [r.text for r in zxingcpp.read_barcodes(scansione)], n


def test_a_page_kind_without_room_is_read_from_the_page(prodotti) -> None:
    """Every slot box taken as ink leaves a page kind no room (here: a box over the whole page); the
    document's own page, read with pdftoppm, still has it."""
    prodotto = prodotti["ricevuta"]
    piena = [CartaPagina(c.larghezza, c.altezza, c.fondi, ((0.0, 0.0, c.larghezza, c.altezza),)) for c in prodotto.carta]
    letti = carta.CONTEGGI["raster"]
    esito = disegna_contrassegno(prodotto.pdf, _testo("ricevuta", len(prodotto.pdf)), LEGENDA, FONT, carta=piena)
    assert carta.CONTEGGI["raster"] == letti + len(piena) and esito.ridotte == []
    assert esito.posti == disegna_contrassegno(prodotto.pdf, _testo("ricevuta", len(prodotto.pdf)), LEGENDA, FONT).posti


def test_legend_font_subset_once_serves_every_id(prodotti) -> None:
    """The legend's font is subset once per process: two documents with other ids still carry their own
    legend, whole in the text layer, in an embedded font."""
    prodotto = prodotti["ricevuta"]
    for ident in ("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"):
        legenda = LEGENDA.replace(ID, ident)
        pdf = disegna_contrassegno(prodotto.pdf, _testo("ricevuta", len(prodotto.pdf)), legenda, FONT, carta=prodotto.carta).pdf
        testo = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert ident in "".join(testo.split())
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(pdf)
            f.flush()
            fonts = subprocess.run(["pdffonts", f.name], capture_output=True, check=True).stdout.decode().splitlines()[2:]
        assert any("DejaVuSans" in r for r in fonts) and all(r.split()[-5] == "yes" for r in fonts)  # embedded


@pytest.mark.parametrize("angolo", [2.0, -2.0])
def test_allegato_a_back_takes_the_smaller_code_of_a_longer_seal(angolo: float) -> None:
    """A seal one QR version larger (an Allegato A of 200 KB: its length no longer fits two bytes) still
    fits the blank strip under the 12.a/12.b boxes of each back: the smaller code drawn no larger than a
    version 10 one (0.300 mm modules, tried after 0.318 mm), read by zxing from a 150 dpi scan rotated 2°."""
    from renderers.barcode import qr_matrix

    prodotto = produci("allegato-a", get_document_type("allegato-a").example())
    s = Sigillo(ID, "allegato-a", "020066IN0000347", date(2026, 11, 3), "provincia-mantova", bytes(range(32)),
                len(prodotto.pdf), datetime(2026, 11, 3, 10, tzinfo=timezone.utc))
    protetto, payload, _ = preparazione(s, b"\x01" * 8)
    testo = codifica(protetto, payload, b"\x02" * 64)
    assert len(prodotto.pdf) > 65535 and qr_matrix(testo, error="M").size == 61  # version 11
    esito = disegna_contrassegno(prodotto.pdf, testo, LEGENDA, FONT, carta=prodotto.carta)
    assert esito.ridotte == [] and [p.piccolo for p in esito.posti] == [False, True] * 3
    assert all(p.estremo for p in esito.posti[1::2])  # no room at 0.318 mm: the third try
    retro = _pagine(esito.pdf, 150)[1].rotate(angolo, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR)
    assert testo in [r.text for r in zxingcpp.read_barcodes(retro)]


def test_a_document_not_archived_is_signed_not_sealed(tmp_path: Path) -> None:
    """``render`` without ``--archivia`` (no archive open): signed, and no contrassegno, whose id would point
    to no archived original; the same emission archived is sealed (tests/service/test_contrassegno.py)."""
    import io

    import pikepdf

    from service.emissione import Emissione
    from service.settings import Settings

    settings = Settings(var_dir=tmp_path / "var", identita_dir=tmp_path / "identita", demo=True, contrassegno=True)
    with Emissione.aperta(settings, archivia=False) as emissione:
        emesso = emissione.emetti("allegato-g", get_document_type("allegato-g").example(), emittente=None)
    assert emesso.firmato and emesso.record is None
    with pikepdf.open(io.BytesIO(emesso.pdf)) as doc:
        assert not any(b"/CuritContrassegno" in c.read_bytes() for p in doc.pages
                       for c in (p.obj.Contents if isinstance(p.obj.Contents, pikepdf.Array) else [p.obj.Contents]))


def test_firma_pdf_places_the_code_from_the_engines_page_kinds(tmp_path: Path) -> None:
    """The CAIT desk and the manutentore's online forms seal through ``firma_pdf`` with the engine's page
    kinds: no page is rasterised to find the code's place, and the code is on every page."""
    import io

    import pikepdf

    from service.archivio import MetadatiDocumento
    from service.emissione import Emissione
    from service.settings import Settings

    settings = Settings(var_dir=tmp_path / "var", identita_dir=tmp_path / "identita", demo=True, contrassegno=True)
    reso = produci("ricevuta", get_document_type("ricevuta").example(), settings=settings)
    assert reso.carta
    meta = MetadatiDocumento(tipo="ricevuta", data_documento=date(2026, 1, 12), cait="CAIT-MN-01")
    with Emissione.aperta(settings, archivia=False) as emissione:
        letti = carta.CONTEGGI["raster"]
        firmato = emissione.firma_pdf(reso.pdf, emittente="CAIT-MN-01", metadati=meta, carta=reso.carta)
        assert carta.CONTEGGI["raster"] == letti
    with pikepdf.open(io.BytesIO(firmato.pdf)) as doc:
        assert all(b"/CuritContrassegno" in b"".join(
            c.read_bytes() for c in (p.obj.Contents if isinstance(p.obj.Contents, pikepdf.Array) else [p.obj.Contents]))
            for p in doc.pages)
