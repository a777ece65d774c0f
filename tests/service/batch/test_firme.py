"""Batch signing (issue 7): the merged print file is signed once as the job's Ente and stays
readable (pyHanko, pdfsig, zbarimg), the unsigned print file keeps its bytes; per-record letters
are signed each and archived in a real SeaweedFS, once even when the merge runs again."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from archive.indice import FiltroRicerca
from archive.seaweed import EmbeddedSeaweed
from domain.avvisi import esempio_avviso
from domain.errors import RuleViolation
from renderers.errors import SigningError
from service.archivio_apertura import apri_archivio
from service.batch.lavoro import OpzioniUscita, concludi, crea_lavoro, esegui_lavoro, stato_lavoro
from service.firma import verifica_documento
from tests.pki import nss_db
from service.settings import ROOT
from tests.service.batch.conftest import S3_KEY as KEY, S3_SECRET as SECRET, VENV_BIN

MANTOVA = "ente-provincia-mantova"

pytestmark = pytest.mark.xdist_group("s3")


@pytest.fixture
def firmanti(settings, tmp_path: Path):
    """The batch settings with signing identities of their own (demo, Mantova's CA trusted)."""
    identita = tmp_path / "identita"
    return settings.model_copy(update={"identita_dir": identita, "trust_roots": (identita / MANTOVA / "ca-demo.pem",),
                                       "demo": True, "var_dir": tmp_path / "var"})


def _viadana(impianti, n: int) -> list[dict]:
    """``n`` plates in Viadana: all of the Provincia di Mantova (a comune under 40,000 inhabitants)."""
    return [r for r in impianti(3 * n) if r["comune"] == "Viadana"][:n]


def _etichette(pdf: Path, tmp: Path) -> list[set[str]]:
    """What zbarimg reads on each plate of the sheets (each label cropped from a 200 dpi raster)."""
    from PIL import Image

    from renderers.impose import get_profile

    profilo, dpi = get_profile("A4-2x5"), 200
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(tmp / pdf.stem)], check=True)
    letti = []
    for pagina in sorted(tmp.glob(f"{pdf.stem}-*.png")):
        with Image.open(pagina) as img:
            for i in range(profilo.per_sheet):
                x, y = (v * dpi / 25.4 for v in profilo.cell(i))
                w, h = profilo.label_width * dpi / 25.4, profilo.label_height * dpi / 25.4
                ritaglio = tmp / f"{pdf.stem}-etichetta.png"
                img.crop((int(x), int(y), int(x + w), int(y + h))).save(ritaglio)
                out = subprocess.run(["zbarimg", "-q", str(ritaglio)], capture_output=True, text=True).stdout
                letti.append(set(out.split()))
    return letti


def test_print_file_is_signed_once_and_the_unsigned_one_keeps_its_bytes(settings, firmanti, engine, impianti,
                                                                        tmp_path: Path) -> None:
    records = _viadana(impianti, 6)
    rif_id, _ = crea_lavoro("targhe", records, settings=settings, engine=engine, record_per_blocco=2, firma=False)
    rif = esegui_lavoro(rif_id, settings=settings, engine=engine)
    assert rif["firmati"] == [] and rif["emittente"] is None

    lavoro_id, _ = crea_lavoro("targhe", records, settings=firmanti, engine=engine, record_per_blocco=2, firma=True)
    esito = esegui_lavoro(lavoro_id, settings=firmanti, engine=engine, processi=2)
    cartella = firmanti.batch_dir / lavoro_id
    assert (esito["file"], esito["firmati"], esito["emittente"]) == (["stampa.pdf"], ["stampa.firmato.pdf"],
                                                                      "provincia-mantova")
    stampa = (cartella / "stampa.pdf").read_bytes()
    assert stampa == (settings.batch_dir / rif_id / "stampa.pdf").read_bytes()
    firmato = (cartella / "stampa.firmato.pdf").read_bytes()
    assert firmato.startswith(stampa) and len(firmato) > len(stampa)  # one incremental update: the signature

    verdetto = verifica_documento(firmato, settings=firmanti)
    assert verdetto.valida and verdetto.catena_attendibile and not verdetto.modificato_dopo_firma, verdetto.motivo
    assert verdetto.firmatario.nome == "Firmatario demo ente-provincia-mantova"
    nss = nss_db(tmp_path / "nss", SimpleNamespace(cert_pem=firmanti.trust_roots[0].read_bytes()))
    pdfsig = subprocess.run(["pdfsig", "-nssdir", nss, str(cartella / "stampa.firmato.pdf")],
                            capture_output=True, text=True).stdout
    assert pdfsig.count("Signature #") == 1 and "Signature is Valid" in pdfsig

    (tmp_path / "raster").mkdir()
    letti = _etichette(cartella / "stampa.firmato.pdf", tmp_path / "raster")
    for i, r in enumerate(records):  # both copies of every plate: its QR code and its Code 128
        attesi = {f"QR-Code:{r['codice_impianto']}", f"CODE-128:{r['codice_impianto']}"}
        assert letti[2 * i] == letti[2 * i + 1] == attesi, (i, letti)

    stato = stato_lavoro(engine, lavoro_id)
    assert stato["emittente"] == "provincia-mantova" and stato["uscite"] == ["stampa.pdf", "stampa.firmato.pdf"]


def test_signer_is_checked_before_printing(settings, firmanti, engine, impianti) -> None:
    records = _viadana(impianti, 2)
    with pytest.raises(RuleViolation, match="Emittente sconosciuto"):
        crea_lavoro("targhe", records, settings=firmanti, engine=engine, firma=True, emittente="provincia-atlantide")
    with pytest.raises(SigningError, match="Nessuna identità di firma configurata per Provincia di Mantova"):
        crea_lavoro("targhe", records, settings=firmanti.model_copy(update={"demo": False}), engine=engine, firma=True)
    with pytest.raises(RuleViolation, match="di competenza di Provincia di Mantova, non di Comune di Milano"):
        crea_lavoro("targhe", records, settings=firmanti, engine=engine, firma=True, emittente="comune-milano")
    with pytest.raises(RuleViolation, match="non da CAIT CAIT-MN-01"):
        crea_lavoro("targhe", records, settings=firmanti, engine=engine, firma=True, emittente="CAIT-MN-01")
    with pytest.raises(RuleViolation, match="--per-record"):
        crea_lavoro("targhe", records, settings=firmanti, engine=engine, firma=True, archivia=True)
    assert not firmanti.batch_dir.exists() or not any(firmanti.batch_dir.iterdir())


def test_per_record_letters_are_signed_each_and_archived_once(firmanti, engine, weed: EmbeddedSeaweed) -> None:
    settings = firmanti.model_copy(update={"s3_endpoint": weed.endpoint, "s3_access_key": KEY, "s3_secret_key": SECRET,
                                           "s3_bucket": f"batch-{uuid.uuid4().hex[:10]}"})
    avvisi = []
    for i in range(3):
        a = esempio_avviso()
        a.update(protocollo=f"MN-ISP-2026/{4127 + i:06d}", codice_impianto=f"020066IN{1873 + i:07d}")
        avvisi.append(a)
    lavoro_id, _ = crea_lavoro("avvisi", avvisi, settings=settings, engine=engine, uscita=OpzioniUscita(per_record=True),
                               record_per_blocco=2, firma=True, archivia=True)
    esito = esegui_lavoro(lavoro_id, settings=settings, engine=engine)
    cartella = settings.batch_dir / lavoro_id
    assert esito["firmati"] == ["stampa.firmato.pdf"] and esito["archiviati"] == 3
    righe = json.loads((cartella / "rapporto.json").read_text())["record"]
    for riga in righe:
        unsigned = (cartella / "documenti" / riga["documento"]).read_bytes()
        signed = (cartella / "documenti" / riga["documento_firmato"]).read_bytes()
        assert signed.startswith(unsigned) and verifica_documento(signed, settings=settings).valida

    with apri_archivio(settings) as archivio:
        trovati, _ = archivio.cerca(FiltroRicerca(tipo="avviso-ispezione"))
        assert sorted(t["codice_impianto"] for t in trovati) == [a["codice_impianto"] for a in avvisi]
        assert {t["id"] for t in trovati} == {r["archivio"] for r in righe}
        assert all(t["ente"] == "provincia-mantova" and t["firma_valida"] for t in trovati)

        concludi(cartella, settings=settings, engine=engine)  # the merge again (a retried task): nothing twice
        assert len(archivio.cerca(FiltroRicerca(tipo="avviso-ispezione"))[0]) == 3
    assert json.loads((cartella / "rapporto.json").read_text())["archiviati"] == 3


def test_cli_signs_letters_as_the_named_ente_and_refuses_a_wrong_one(ambiente, firmanti, cli_locale,
                                                                     tmp_path: Path) -> None:
    env = {k: v for k, v in ambiente.items() if k.startswith("CURIT_")}
    env.update(CURIT_IDENTITA_DIR=str(firmanti.identita_dir), CURIT_DEMO="1", CURIT_VAR_DIR=str(firmanti.var_dir),
               CURIT_FIRMA_OUTPUT="1")
    piano = tmp_path / "piano.json"
    piano.write_text(json.dumps([esempio_avviso()]))
    rifiuto = cli_locale("batch", "avvisi", str(piano), "--emittente", "comune-milano", env=env)
    assert rifiuto.returncode == 1 and "di competenza di Provincia di Mantova" in rifiuto.stderr
    fatto = cli_locale("batch", "avvisi", str(piano), "-o", str(tmp_path / "out"), "--per-record", "--processi", "1",
                       "--emittente", "provincia-mantova", env=env)
    assert fatto.returncode == 0, fatto.stderr
    esito = json.loads(fatto.stdout)
    assert esito["firmati"] == ["stampa.firmato.pdf"] and esito["emittente"] == "provincia-mantova"
    (documento,) = (tmp_path / "out" / "documenti").glob("*.firmato.pdf")
    for pdf in (tmp_path / "out" / "stampa.firmato.pdf", documento):
        assert verifica_documento(pdf.read_bytes(), settings=firmanti).valida
    lavoro_id = json.loads((tmp_path / "out" / "rapporto.json").read_text())["lavoro"]
    ripresa = cli_locale("batch", "--riprendi", lavoro_id, "--no-firma", env=env)
    assert ripresa.returncode == 1 and "fissati alla creazione del lavoro" in ripresa.stderr


def _env_firma(ambiente: dict[str, str], firmanti) -> dict[str, str]:
    return {**ambiente, "CURIT_IDENTITA_DIR": str(firmanti.identita_dir), "CURIT_DEMO": "1",
            "CURIT_VAR_DIR": str(firmanti.var_dir), "CURIT_FIRMA_OUTPUT": "1"}


def test_a_two_process_job_signs_its_print_file_in_its_signer_process(ambiente, firmanti, impianti,
                                                                      tmp_path: Path) -> None:
    """The print file of a 2-process job is signed by the process forked when the command starts
    (service.batch.firmatore): a valid signature, the unsigned file unchanged inside it, and the job's
    own process never imports the signing stack (it would, to sign at the end, without the signer)."""
    import sys

    src = tmp_path / "impianti.json"
    src.write_text(json.dumps(_viadana(impianti, 20)))
    out = tmp_path / "out"
    script = ("import sys\nfrom service.cli import main\n"
              f"sys.argv = ['curit-docs', 'batch', 'targhe', {str(src)!r}, '-o', {str(out)!r}, '--processi', '2']\n"
              "try:\n    main()\nfinally:\n    print('PYHANKO', 'pyhanko' in sys.modules, file=sys.stderr)\n")
    r = subprocess.run([sys.executable, "-c", script], env=_env_firma(ambiente, firmanti), capture_output=True,
                       text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "PYHANKO False" in r.stderr
    firmato, stampa = (out / "stampa.firmato.pdf").read_bytes(), (out / "stampa.pdf").read_bytes()
    assert firmato.startswith(stampa)  # one incremental update over the deterministic print file
    verdetto = verifica_documento(firmato, settings=firmanti)
    assert verdetto.valida and verdetto.firmatario.nome == f"Firmatario demo {MANTOVA}"


def test_a_key_that_does_not_load_fails_the_job_at_its_end_in_italian(ambiente, firmanti, impianti,
                                                                      tmp_path: Path) -> None:
    """The signer is checked before printing by its files; a key file that does not parse (a wrong
    password, a damaged file) is met when signing: the job fails in Italian, its chunks kept for
    --riprendi, no signed file."""
    from service.identita import crea_identita_demo

    crea_identita_demo(MANTOVA, firmanti.identita_dir)
    (firmanti.identita_dir / MANTOVA / "chiave.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nrotta\n")
    src = tmp_path / "impianti.json"
    src.write_text(json.dumps(_viadana(impianti, 20)))
    cli = VENV_BIN / "curit-docs"
    for processi in ("1", "2"):
        out = tmp_path / f"out-{processi}"
        r = subprocess.run([str(cli), "batch", "targhe", str(src), "-o", str(out), "--processi", processi],
                           env=_env_firma(ambiente, firmanti), capture_output=True, text=True, timeout=600)
        assert r.returncode != 0 and "Impossibile leggere la chiave privata PEM" in r.stderr, r.stderr[-2000:]
        assert not out.exists()
        lavoro_id = r.stderr.split("Lavoro ", 1)[1].split()[0]
        cartella = Path(ambiente["CURIT_BATCH_DIR"]) / lavoro_id
        assert sorted(p.name for p in (cartella / "blocchi").glob("*.pdf")) and not list(cartella.glob("*.firmato.pdf"))
