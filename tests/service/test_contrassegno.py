"""Contrassegno a stampa end to end: issue (real render, real seal key, PAdES, SeaweedFS archive) →
print → raster with pdftoppm at 150 dpi rotated 2° and at 300 dpi rotated -2° (every type) →
``curit-docs verifica-stampa``;
the four attacks (untrusted key, hash not in the archive, reprinted old version, code pasted
onto another document's page) are each reported as such."""

from __future__ import annotations

import io
import subprocess
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import pikepdf
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from PIL import Image

from archive.db import upgrade
from archive.seaweed import EmbeddedSeaweed
from domain.contrassegno import Sigillo, codifica, preparazione
from service.contrassegno import STAMPATI, elenco_fiducia, kid_di, leggi_scansione, verifica_testo
from service.emissione import EMITTENTI, Emissione
from service.registry import DOCUMENT_TYPES, get_document_type
from service.settings import Settings

KEY, SECRET = "curitsigillo", "curit-contrassegno-secret-0123"
TIPI = sorted(t for t in DOCUMENT_TYPES if t in EMITTENTI and t not in STAMPATI)  # issued records (print files are signed only)

pytestmark = pytest.mark.slow  # one render per registered type (about 3 min on one core)


@pytest.fixture(scope="module")
def ambiente(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("contrassegno")
    db = f"sqlite:///{base / 'curit.db'}"
    upgrade(db)
    with EmbeddedSeaweed(base / "weed", KEY, SECRET) as weed:
        settings = Settings(var_dir=base / "var", identita_dir=base / "identita", demo=True, db_url=db,
                            s3_endpoint=weed.endpoint, s3_access_key=KEY, s3_secret_key=SECRET,
                            s3_bucket=f"sig-{uuid.uuid4().hex[:10]}", url_verifica="https://curit.example.it", contrassegno=True)
        env = {"CURIT_VAR_DIR": str(base / "var"), "CURIT_IDENTITA_DIR": str(base / "identita"), "CURIT_DB_URL": db,
               "CURIT_S3_ENDPOINT": weed.endpoint, "CURIT_S3_ACCESS_KEY": KEY, "CURIT_S3_SECRET_KEY": SECRET,
               "CURIT_S3_BUCKET": settings.s3_bucket}
        yield base, settings, env


class _Emessi(dict):
    """type → (sealed PDF file, Emesso), issued on first use and kept for the module."""

    def __init__(self, base: Path, settings: Settings) -> None:
        super().__init__()
        self.base, self.settings = base, settings

    def __missing__(self, tipo: str):
        with Emissione.aperta(self.settings) as emissione:
            emesso = emissione.emetti(tipo, get_document_type(tipo).example(), emittente=None)
        pdf = self.base / f"{tipo}.pdf"
        pdf.write_bytes(emesso.pdf)
        self[tipo] = (pdf, emesso)
        return self[tipo]


@pytest.fixture(scope="module")
def emessi(ambiente) -> _Emessi:
    base, settings, _env = ambiente
    return _Emessi(base, settings)


def scansione(pdf: Path, dpi: int, angolo: float, dest: Path, pagina: int = 1) -> Path:
    """Page ``pagina`` of ``pdf`` as a grey scan at ``dpi``, rotated by ``angolo`` degrees, as PNG.
    ``pdftoppm`` writes the page as PGM (the same grey levels; its RGB PNG cost 0.4 s of CPU a page at
    150 dpi, 1.1 s at 300, PGM 0.06 and 0.1) and the rotated scan is saved with fast compression."""
    radice = dest / f"{pdf.stem}-{dpi}-{pagina}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-singlefile", "-f", str(pagina), "-l", str(pagina),
                    str(pdf), str(radice)], check=True)
    out = dest / f"{pdf.stem}-{dpi}-{pagina}-{angolo}.png"
    with Image.open(f"{radice}.pgm") as im:
        im.rotate(angolo, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR).save(out, compress_level=1)
    return out


@pytest.mark.parametrize("tipo", TIPI)
def test_every_type_round_trips_print_scan_verify(tipo, emessi, ambiente, cli_locale, tmp_path) -> None:
    _base, _settings, env = ambiente
    pdf, emesso = emessi[tipo]
    with pikepdf.open(pdf) as doc:  # the code is drawn on every page
        assert all(b"/CuritContrassegno" in b"".join(
            c.read_bytes() for c in (p.obj.Contents if isinstance(p.obj.Contents, pikepdf.Array) else [p.obj.Contents]))
            for p in doc.pages)
    for dpi, angolo in ((150, 2.0), (300, -2.0)):
        r = cli_locale("verifica-stampa", str(scansione(pdf, dpi, angolo, tmp_path)), env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.startswith("VALIDO: sigillo autentico")
        assert f"Documento: {emesso.record['id']}" in r.stdout and f"Tipo: {tipo}" in r.stdout
        assert "Archivio: documento presente e integro" in r.stdout


@pytest.mark.parametrize("dpi,angolo", [(150, 2.0), (300, -2.0)])
def test_smaller_code_of_a_back_page_round_trips(dpi, angolo, emessi, ambiente, cli_locale, tmp_path) -> None:
    """The back of an Allegato A copy carries the smaller code (no room for the usual one): read too."""
    _base, _settings, env = ambiente
    pdf, emesso = emessi["allegato-a"]
    r = cli_locale("verifica-stampa", str(scansione(pdf, dpi, angolo, tmp_path, pagina=2)), env=env)
    assert r.returncode == 0 and r.stdout.startswith("VALIDO: sigillo autentico"), r.stdout + r.stderr
    assert f"Documento: {emesso.record['id']}" in r.stdout and "Archivio: documento presente e integro" in r.stdout


@pytest.mark.parametrize("tipo,pagina", [("allegato-g", 1), ("allegato-b", 2)])
def test_g_front_and_b_generator_sheet_sealed_unscaled(tipo, pagina, ambiente, cli_locale, tmp_path, caplog) -> None:
    """The front of each G copy and B's generator sheets keep a blank corner in their header band: every
    page gets the code unscaled (no fallback logged), and the smaller code at the top reads at 150 dpi, 2°."""
    base, settings, env = ambiente
    with caplog.at_level("WARNING"), Emissione.aperta(settings) as emissione:
        emesso = emissione.emetti(tipo, get_document_type(tipo).example(), emittente=None)
    assert not [r for r in caplog.records if "nessuno spazio libero" in r.getMessage()]
    pdf = tmp_path / f"{tipo}-angolo.pdf"
    pdf.write_bytes(emesso.pdf)
    r = cli_locale("verifica-stampa", str(scansione(pdf, 150, 2.0, tmp_path, pagina=pagina)), env=env)
    assert r.returncode == 0 and r.stdout.startswith("VALIDO: sigillo autentico"), r.stdout + r.stderr
    assert f"Documento: {emesso.record['id']}" in r.stdout and "Archivio: documento presente e integro" in r.stdout


@pytest.mark.parametrize("tipo", sorted(STAMPATI))
def test_print_stock_is_signed_not_sealed(tipo, emessi) -> None:
    """Etichette and targhe keep their own codes: no contrassegno, nothing scaled, still signed."""
    pdf, emesso = emessi[tipo]
    with pikepdf.open(pdf) as doc:
        assert not any(b"/CuritContrassegno" in c.read_bytes() for p in doc.pages
                       for c in (p.obj.Contents if isinstance(p.obj.Contents, pikepdf.Array) else [p.obj.Contents]))
        assert "/AcroForm" in doc.Root and emesso.firmato


def test_seal_is_checked_offline_with_the_archive_unreachable(emessi, ambiente, cli_locale, tmp_path) -> None:
    _base, _settings, env = ambiente
    pdf, emesso = emessi["allegato-g"]
    scan = scansione(pdf, 150, 2.0, tmp_path)
    giu = {**env, "CURIT_S3_ENDPOINT": "127.0.0.1:9", "CURIT_DB_URL": f"sqlite:///{tmp_path}/nessuno/x.db"}
    r = cli_locale("verifica-stampa", str(scan), env=giu)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Archivio non raggiungibile: verificato il solo sigillo" in r.stdout
    assert "Codice impianto: 020066IN0000347" in r.stdout and "Emittente: provincia-mantova" in r.stdout
    r = cli_locale("verifica-stampa", "--solo-sigillo", str(scan), env={"CURIT_IDENTITA_DIR": env["CURIT_IDENTITA_DIR"]})
    assert r.returncode == 0 and "Archivio non consultato" in r.stdout


def _png_con_codice(testo: str, dest: Path) -> Path:
    import zint

    sym = zint.Symbol()
    sym.symbology = zint.Symbology.QRCODE
    sym.scale = 4
    sym.encode(testo)
    sym.outfile = str(dest)
    sym.print()
    return dest


def test_seal_from_an_untrusted_key_is_refused(emessi, ambiente, cli_locale, tmp_path) -> None:
    _base, settings, env = ambiente
    _pdf, emesso = emessi["allegato-g"]
    estranea = ec.generate_private_key(ec.SECP256R1())
    sig = Sigillo(emesso.record["id"], "allegato-g", "020066IN0000347", date(2025, 10, 14), "provincia-mantova",
                  b"\0" * 32, 1000, datetime.now(timezone.utc))
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    protetto, payload, tbs = preparazione(sig, kid_di(estranea.public_key()))
    r_, s_ = decode_dss_signature(estranea.sign(tbs, ec.ECDSA(hashes.SHA256())))
    testo = codifica(protetto, payload, r_.to_bytes(32, "big") + s_.to_bytes(32, "big"))
    r = cli_locale("verifica-stampa", str(_png_con_codice(testo, tmp_path / "falso.png")), env=env)
    assert r.returncode == 1
    assert "NON VALIDO: il sigillo è firmato con una chiave non presente nell'elenco di fiducia" in r.stdout
    # the trusted key's kid on a payload it never signed: the signature does not match
    vera = next(k for k, (n, _p) in elenco_fiducia(settings).items() if n == "ente-provincia-mantova")
    protetto, payload, _tbs = preparazione(sig, vera)
    assert "contrassegno alterato" in verifica_testo(codifica(protetto, payload, b"\1" * 64), settings).motivo


def test_hash_not_matching_the_archive_is_reported(emessi, ambiente, cli_locale, tmp_path) -> None:
    """A genuine seal, but the archive holds other content under that id (sealed here by the real key,
    as an insider re-sealing edited content would): the archive check refuses it."""
    _base, settings, env = ambiente
    _pdf, emesso = emessi["allegato-a"]
    from service.contrassegno import chiave_sigillo

    chiave = chiave_sigillo(emesso.emittente.identita, settings)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    sig = Sigillo(emesso.record["id"], "allegato-a", None, date(2025, 1, 1), emesso.emittente.id,
                  b"\7" * 32, 5000, datetime.now(timezone.utc))
    protetto, payload, tbs = preparazione(sig, kid_di(chiave.public_key()))
    r_, s_ = decode_dss_signature(chiave.sign(tbs, ec.ECDSA(hashes.SHA256())))
    testo = codifica(protetto, payload, r_.to_bytes(32, "big") + s_.to_bytes(32, "big"))
    r = cli_locale("verifica-stampa", str(_png_con_codice(testo, tmp_path / "diverso.png")), env=env)
    assert r.returncode == 1, r.stdout
    assert "NON VALIDO: l'impronta del sigillo non corrisponde al documento archiviato" in r.stdout
    sig = Sigillo("0" * 32, "allegato-a", None, date(2025, 1, 1), emesso.emittente.id, b"\7" * 32, 5000,
                  datetime.now(timezone.utc))
    protetto, payload, tbs = preparazione(sig, kid_di(chiave.public_key()))
    r_, s_ = decode_dss_signature(chiave.sign(tbs, ec.ECDSA(hashes.SHA256())))
    testo = codifica(protetto, payload, r_.to_bytes(32, "big") + s_.to_bytes(32, "big"))
    r = cli_locale("verifica-stampa", str(_png_con_codice(testo, tmp_path / "ignoto.png")), env=env)
    assert r.returncode == 1 and "documento sconosciuto all'archivio" in r.stdout


def test_reprint_of_a_superseded_version_is_reported(ambiente, cli_locale, tmp_path) -> None:
    """The same record issued twice (a new version of the same id, as the CAIT desk issues a ricevuta
    again): ``emetti_pdf`` seals a PDF produced elsewhere with the record's own id, and the first print
    is then superseded."""
    base, settings, env = ambiente
    from service.archivio import MetadatiDocumento
    from tests.pki import pdf_di_prova

    ident = f"{uuid.uuid4().hex}"
    meta = MetadatiDocumento(tipo="ricevuta", data_documento=date(2026, 10, 12), cait="CAIT-MN-01", documento_id=ident)
    with Emissione.aperta(settings) as emissione:
        primo = emissione.emetti_pdf(pdf_di_prova(), emittente="CAIT-MN-01", metadati=meta)
        secondo = emissione.emetti_pdf(pdf_di_prova(2), emittente="CAIT-MN-01", metadati=meta)
    assert primo.record["id"] == secondo.record["id"] == ident
    (base / "v1.pdf").write_bytes(primo.pdf)
    (base / "v2.pdf").write_bytes(secondo.pdf)
    r = cli_locale("verifica-stampa", str(scansione(base / "v1.pdf", 200, 2.0, tmp_path)), env=env)
    assert r.returncode == 1, r.stdout
    assert "NON VALIDO: ristampa di una versione superata" in r.stdout
    r = cli_locale("verifica-stampa", str(scansione(base / "v2.pdf", 200, 2.0, tmp_path)), env=env)
    assert r.returncode == 0 and "versione archiviata corrente" in r.stdout
    assert f"Documento: {ident}" in r.stdout


def test_print_files_not_archived_are_signed_not_sealed(ambiente) -> None:
    """A job's print file (``firma_stampa``: signed once, never archived) has no archived document a
    seal could point to: it is signed and left without a contrassegno."""
    _base, settings, _env = ambiente
    from tests.pki import pdf_di_prova

    with Emissione.aperta(settings) as emissione:
        emesso = emissione.firma_stampa(pdf_di_prova(), tipo="lettera-esito", emittente="provincia-mantova",
                                        ente="provincia-mantova")
    assert emesso.firmato and emesso.record is None
    with pikepdf.open(io.BytesIO(emesso.pdf)) as doc:
        assert not any(b"/CuritContrassegno" in c.read_bytes() for p in doc.pages
                       for c in (p.obj.Contents if isinstance(p.obj.Contents, pikepdf.Array) else [p.obj.Contents]))


def test_code_cut_and_pasted_onto_another_documents_page_is_reported(emessi, ambiente, cli_locale, tmp_path) -> None:
    _base, _settings, env = ambiente
    pdf_g, _ = emessi["allegato-g"]
    pdf_a, _ = emessi["allegato-a"]
    with Image.open(scansione(pdf_g, 300, 0.0, tmp_path, pagina=2)) as g, Image.open(scansione(pdf_a, 300, 0.0, tmp_path)) as a:
        w, h = g.size
        riquadro = (int(w * 0.74), int(h * 0.84), w, h)  # the corner G's code sits in on the back (28 mm, 5 mm from the edge)
        incollata = a.copy()
        incollata.paste(g.crop(riquadro), (int(w * 0.74), int(h * 0.62)))  # G's code pasted above A's own
        out = tmp_path / "incollata.png"
        incollata.rotate(1.5, expand=True, fillcolor=255).save(out)
    assert len({c.testo for c in leggi_scansione(out)}) == 2
    r = cli_locale("verifica-stampa", str(out), env=env)
    assert r.returncode == 1, r.stdout
    assert "porta i contrassegni di 2 documenti diversi: codice ritagliato e incollato" in r.stdout


def test_a_scan_without_a_code_is_an_italian_error(cli_locale, tmp_path) -> None:
    vuota = tmp_path / "vuota.png"
    Image.new("L", (400, 400), 255).save(vuota)
    r = cli_locale("verifica-stampa", str(vuota))
    assert r.returncode == 1 and "Nessun contrassegno CURIT trovato nella scansione" in r.stderr
