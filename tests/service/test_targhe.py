"""service/targhe.py + etichette_stampa on service/stampa_fogli.py: every printed code scans, fallbacks
counted, stamped = full render."""

from __future__ import annotations

import collections
import io
import json
import subprocess
from pathlib import Path

import pikepdf
import pytest
import zxingcpp
from PIL import Image, ImageChops

from domain.errors import ValidationFailed
from domain.etichetta import MATRICE, numero_etichetta
from domain.istat import comuni_della_regione
from service.documents.targhe import esempio_impianti
from service.etichette_stampa import stampa_etichette
from service.produce import render_document
from service.settings import Settings
from service.stampa_fogli import OpzioniFoglio
from service.targhe import render_targhe


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(stampa_cache_dir=tmp_path / "cache")


def _impianti(n: int) -> list[dict]:
    comuni = sorted(comuni_della_regione("Lombardia"), key=lambda c: c.istat)[::17][:n]
    return [{"codice_impianto": f"{c.istat}{('CT', 'IN', 'TR')[i % 3]}{i + 1:07d}", "indirizzo": "Via Roma",
             "civico": str(i + 1), "comune": c.nome} for i, c in enumerate(comuni)]


def _pages(pdf: bytes, tmp_path: Path, dpi: int, name: str) -> list[Path]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(path), str(tmp_path / name)], check=True)
    return sorted(tmp_path.glob(f"{name}-*.pgm"))


def _zbar(*images: Path) -> list[tuple[str, str]]:
    out = subprocess.run(["zbarimg", "-q", *map(str, images)], capture_output=True, text=True).stdout
    return [tuple(line.split(":", 1)) for line in out.splitlines() if line]  # type: ignore[misc]


def _cells(page: Path, profile: str = "A4-2x5", dpi: int = 300) -> list[Path]:
    """One image per label cell: zbar reports identical symbols of one image once, and the two
    plates of an impianto sit side by side, so every label is decoded on its own."""
    from renderers.impose import get_profile

    p = get_profile(profile)
    image = Image.open(page)
    out = []
    for cell in range(p.per_sheet):
        x, y = p.cell(cell)
        box = [round(v / 25.4 * dpi) for v in (x, y, x + p.label_width, y + p.label_height)]
        path = page.with_name(f"{page.stem}-c{cell}.pgm")
        image.crop(box).save(path)
        out.append(path)
    return out


def _matrici(page: Path, dpi: int = 300) -> list[Path]:
    """Each matrice of each etichetta as its own image (same number three times per etichetta)."""
    out = []
    for cell_path in _cells(page, "A4-1x7", dpi):
        image = Image.open(cell_path)
        for k in range(3):
            path = cell_path.with_name(f"{cell_path.stem}-m{k}.pgm")
            image.crop((round(k * MATRICE.larghezza / 25.4 * dpi), 0, round((k + 1) * MATRICE.larghezza / 25.4 * dpi),
                        image.size[1])).save(path)
            out.append(path)
    return out


@pytest.mark.slow
def test_ten_sheets_every_code_decodes_with_zbar_and_zxing(settings: Settings, tmp_path: Path) -> None:
    impianti = _impianti(50)
    buf = io.BytesIO()
    esito = render_targhe(impianti, buf, settings=settings)
    assert (esito.etichette, esito.fogli, esito.impaginazioni_complete) == (100, 10, [])
    expected = collections.Counter()
    for imp in impianti:
        expected[("QR-Code", imp["codice_impianto"])] += 2
        expected[("CODE-128", imp["codice_impianto"])] += 2
    zbar, zxing = collections.Counter(), collections.Counter()
    for page in _pages(buf.getvalue(), tmp_path, 300, "t"):
        zbar.update(_zbar(*_cells(page)))
        for r in zxingcpp.read_barcodes(Image.open(page)):
            zxing[("QR-Code" if r.format == zxingcpp.BarcodeFormat.QRCode else "CODE-128", r.text)] += 1
    assert zbar == expected
    assert zxing == expected


def test_qr_payload_with_verification_url(tmp_path: Path) -> None:
    settings = Settings(stampa_cache_dir=tmp_path / "c", targhe_url_verifica="https://curit.example.it/targa/")
    buf = io.BytesIO()
    render_targhe(esempio_impianti()[:1], buf, settings=settings, opzioni=OpzioniFoglio(foglio="ROTOLO-84x55"))
    found = set(_zbar(_pages(buf.getvalue(), tmp_path, 300, "u")[0]))
    assert found == {("QR-Code", "https://curit.example.it/targa/019036IN0000123"), ("CODE-128", "019036IN0000123")}


def test_text_in_pdf_and_page_boxes(settings: Settings, tmp_path: Path) -> None:
    buf = io.BytesIO()
    esito = render_targhe(esempio_impianti(), buf, settings=settings, opzioni=OpzioniFoglio(inizio=9), registra=True)
    assert esito.fogli == 3 and [(p.sheet, p.cell) for p in esito.posizioni[:3]] == [(1, 8), (1, 9), (2, 0)]
    path = tmp_path / "t.pdf"
    path.write_bytes(buf.getvalue())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Regione Lombardia - Comune di Cremona" in text and "Regione Lombardia - Provincia di Cremona" in text
    assert "Regione Lombardia - Provincia di Mantova" in text  # ente_id given explicitly for Viadana
    assert "Impianto Termico N." in text and "019036IN0000123" in text
    assert "Via Giuseppe Garibaldi, 10 Comune di Cremona" in text
    assert text.count("IMPIANTO") == 8 and text.count("LIBRETTO") == 8
    with pikepdf.open(path) as pdf:
        assert [round(float(v) / 72 * 25.4, 1) for v in pdf.pages[0].MediaBox] == [0, 0, 210.0, 297.0]
        # the static plate is one shared XObject per Ente and copy, not repeated per page
        xobjects = {str(o.objgen) for page in pdf.pages for o in page.Resources.XObject.values()}
        assert len(xobjects) == 2 * 8  # 8 distinct Enti in the example, 2 copies each


def test_unstampable_address_falls_back_to_full_render_and_is_counted(settings: Settings, tmp_path: Path) -> None:
    # "Ł" is not in the stamped fonts' repertoire: WeasyPrint lays the plate out with its font fallback
    imp = dict(esempio_impianti()[0], indirizzo="Via Ignacy Łukasiewicz")
    buf = io.BytesIO()
    esito = render_targhe([imp, esempio_impianti()[1]], buf, settings=settings)
    assert esito.impaginazioni_complete == ["019036IN0000123"] and esito.etichette == 4
    found = collections.Counter(_zbar(*_cells(_pages(buf.getvalue(), tmp_path, 300, "o")[0])))
    assert found[("QR-Code", "019036IN0000123")] == 2 and found[("CODE-128", "019036IN0000123")] == 2


def test_invalid_input_reports_italian_errors(settings: Settings) -> None:
    with pytest.raises(ValidationFailed) as exc:
        render_targhe([{"codice_impianto": "019036IN0000123", "indirizzo": "Via Roma", "comune": "Crema"}],
                      io.BytesIO(), settings=settings)
    assert exc.value.errors[0].path[:2] == ("impianti", 0)


def test_stamped_plate_equals_weasyprint_plate(settings: Settings, tmp_path: Path) -> None:
    imp = esempio_impianti()[3]
    buf = io.BytesIO()
    render_targhe([imp], buf, settings=settings, opzioni=OpzioniFoglio(foglio="ROTOLO-84x55"))
    full = render_document("targhe", [imp], settings=settings)
    stamped = [Image.open(p) for p in _pages(buf.getvalue(), tmp_path, 100, "s")]
    reference = [Image.open(p) for p in _pages(full, tmp_path, 100, "f")]
    assert len(stamped) == len(reference) == 2
    for a, b in zip(stamped, reference, strict=True):
        diff = ImageChops.difference(a, b).point(lambda v: 255 if v > 85 else 0)
        assert diff.histogram()[255] / (a.size[0] * a.size[1]) < 0.003


def test_esempio_targhe_is_valid_json_for_the_cli(tmp_path: Path) -> None:
    cli = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "curit-docs"
    done = subprocess.run([str(cli), "esempio", "targhe"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    (tmp_path / "i.json").write_text(out)
    assert len(json.loads(out)) == 8
    env = {"CURIT_STAMPA_CACHE_DIR": str(tmp_path / "c"), "CURIT_FIRMA_OUTPUT": "0", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([str(cli), "targhe", str(tmp_path / "i.json"), "-o", str(tmp_path / "t.pdf"), "--prova",
                           "--offset-x", "0.5"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "16 targhe su 2 fogli" in done.stdout
    info = subprocess.run(["pdfinfo", str(tmp_path / "t.pdf")], capture_output=True, text=True).stdout
    assert "Pages:           2" in info


def test_etichette_sheet_codes_and_matrici(settings: Settings, tmp_path: Path) -> None:
    numeri = [numero_etichetta("CR000", 2026, "F", i, "F3") for i in range(1, 9)]
    buf = io.BytesIO()
    esito = stampa_etichette(numeri, "provincia-cremona", "F", buf, settings=settings)
    assert (esito.etichette, esito.fogli) == (8, 2)
    found = collections.Counter()
    for page in _pages(buf.getvalue(), tmp_path, 300, "e"):
        found.update(_zbar(*_matrici(page)))
    assert found == collections.Counter({(k, n.compatto): 3 for n in numeri for k in ("QR-Code", "CODE-128")})
    path = tmp_path / "e.pdf"
    path.write_bytes(buf.getvalue())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    for label in ("COPIA UTENTE", "COPIA ENTE (CONVALIDA)", "COPIA MANUTENTORE", "ALLEGATO F", "Potenza 50,1-116,3 kW"):
        assert text.count(label) == 8 * (1 if label.startswith("COPIA") else 3), label
    assert text.count("CR000-26F3-000001-") == 3


def test_etichette_of_another_ente_refused(settings: Settings) -> None:
    from domain.errors import RuleViolation

    with pytest.raises(RuleViolation, match="non è dell'Ente"):
        stampa_etichette([numero_etichetta("MI146", 2026, "G", 1)], "provincia-cremona", "G", io.BytesIO(),
                         settings=settings)


def test_one_or_two_processes_write_the_same_bytes(settings: Settings, tmp_path: Path) -> None:
    """Blocks of one sheet, first sheet started at label 4 (a plate pair straddles every sheet
    edge) and an unstampable plate in the second block: two workers give the very same file."""
    from service.stampa_fogli import stampa_lavoro
    from service.targhe import LavoroTarghe, _valida

    impianti = _impianti(23)
    impianti[7] = dict(impianti[7], indirizzo="Via Ignacy Łukasiewicz")
    opzioni = OpzioniFoglio(inizio=4)
    outputs, esiti = [], []
    for processi in (1, 2):
        buf = io.BytesIO()
        lavoro = LavoroTarghe(_valida(impianti), settings, opzioni)
        esiti.append(stampa_lavoro(lavoro, buf, processi=processi, registra=True, file_id=b"lavoro-0001-abcd",
                                   fogli_per_blocco=1))
        outputs.append(buf.getvalue())
    assert outputs[0] == outputs[1]
    one, two = esiti
    assert (two.etichette, two.fogli, two.impaginazioni_complete) == (46, 5, [impianti[7]["codice_impianto"]])
    assert two.posizioni == one.posizioni and [(p.sheet, p.cell) for p in two.posizioni[5:9]] == [
        (1, 8), (1, 9), (2, 0), (2, 1)]
    with pikepdf.open(io.BytesIO(outputs[1])) as pdf:
        assert bytes(pdf.trailer.ID[0]) == b"lavoro-0001-abcd" and len(pdf.pages) == 5
    found = collections.Counter()
    for page in _pages(outputs[1], tmp_path, 300, "p"):
        found.update(_zbar(*_cells(page)))
    assert found == collections.Counter({(k, imp["codice_impianto"]): 2 for imp in impianti
                                         for k in ("QR-Code", "CODE-128")})


def test_etichette_on_two_processes_same_bytes(settings: Settings) -> None:
    from service.stampa_fogli import stampa_lavoro
    from service.etichette_stampa import LavoroEtichette, pers_etichetta
    from service.enti import enti_da_settings

    ente = enti_da_settings(settings).get("provincia-cremona")
    numeri = [numero_etichetta("CR000", 2026, "G", i) for i in range(1, 20)]
    outputs = []
    for processi in (1, 2):
        buf = io.BytesIO()
        lavoro = LavoroEtichette(numeri, ente, pers_etichetta(settings, ente.id), settings,
                                 OpzioniFoglio(foglio="A4-1x7", inizio=3))
        esito = stampa_lavoro(lavoro, buf, processi=processi, fogli_per_blocco=1)
        outputs.append(buf.getvalue())
        assert (esito.etichette, esito.fogli) == (19, 3)
    assert outputs[0] == outputs[1]
