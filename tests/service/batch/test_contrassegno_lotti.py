"""Batch jobs seal their archived records (issue 18): the print file's pages carry the same contrassegno
as the archived record, read back from a 150 dpi scan rotated 2° by ``curit-docs verifica-stampa``
against a real SeaweedFS archive; a chunk printed again is the same bytes; a worker holding another
seal key refuses to print; a job that archives nothing is not sealed."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from archive.seaweed import EmbeddedSeaweed
from domain.avvisi import esempio_avviso
from domain.errors import RuleViolation
from service.batch.blocchi import esegui_blocco, percorso_blocco
from service.batch.lavoro import OpzioniUscita, crea_lavoro, esegui_lavoro
from service.registry import get_document_type
from tests.service.batch.conftest import S3_KEY as KEY, S3_SECRET as SECRET

pytestmark = pytest.mark.xdist_group("s3")


@pytest.fixture
def sigillanti(settings, weed: EmbeddedSeaweed, tmp_path: Path):
    """Batch settings that sign (demo identities), archive in a real SeaweedFS and seal (the default)."""
    return settings.model_copy(update={
        "identita_dir": tmp_path / "identita", "demo": True, "var_dir": tmp_path / "var",
        "s3_endpoint": weed.endpoint, "s3_access_key": KEY, "s3_secret_key": SECRET,
        "s3_bucket": f"sigilli-{uuid.uuid4().hex[:10]}", "url_verifica": "https://curit.example.it"})


def _env(s) -> dict[str, str]:
    return {"CURIT_IDENTITA_DIR": str(s.identita_dir), "CURIT_DB_URL": s.db_url, "CURIT_VAR_DIR": str(s.var_dir),
            "CURIT_S3_ENDPOINT": s.s3_endpoint, "CURIT_S3_ACCESS_KEY": KEY, "CURIT_S3_SECRET_KEY": SECRET,
            "CURIT_S3_BUCKET": s.s3_bucket}


def _avvisi(n: int) -> list[dict]:
    out = []
    for i in range(n):
        a = esempio_avviso()
        a.update(protocollo=f"MN-ISP-2026/{5127 + i:06d}", codice_impianto=f"020066IN{2873 + i:07d}")
        out.append(a)
    return out


def _sigillate(pdf: Path) -> list[bool]:
    """Per page: whether its content draws the contrassegno."""
    with pikepdf.open(pdf) as doc:
        return [b"/CuritContrassegno" in b"".join(
            c.read_bytes() for c in (p.obj.Contents if isinstance(p.obj.Contents, pikepdf.Array) else [p.obj.Contents]))
            for p in doc.pages]


def _scansione(pdf: Path, pagina: int, dest: Path) -> Path:
    """Page ``pagina`` of ``pdf`` as a grey 150 dpi scan rotated 2°."""
    radice = dest / f"{pdf.stem}-{pagina}"
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", "-f", str(pagina), "-l", str(pagina),
                    str(pdf), str(radice)], check=True)
    with Image.open(f"{radice}.png") as im:
        im.rotate(2.0, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR).save(f"{radice}-2.png")
    return Path(f"{radice}-2.png")


def test_archived_letters_are_sealed_on_the_print_file(sigillanti, engine, cli_locale, tmp_path: Path) -> None:
    lavoro_id, _ = crea_lavoro("avvisi", _avvisi(3), settings=sigillanti, engine=engine,
                               uscita=OpzioniUscita(per_record=True), record_per_blocco=2, firma=True, archivia=True)
    cartella = sigillanti.batch_dir / lavoro_id
    lavoro = json.loads((cartella / "lavoro.json").read_text())
    assert set(lavoro["sigillo"]["chiavi"]) == {"ente-provincia-mantova"}
    esito = esegui_lavoro(lavoro_id, settings=sigillanti, engine=engine)
    assert esito["archiviati"] == 3 and esito["sigillati"] == 3
    righe = json.loads((cartella / "rapporto.json").read_text())["record"]
    assert all(r["documento_id"] == r["archivio"] for r in righe)  # the id the seal carries is the archive's
    stampa = cartella / "stampa.pdf"
    assert _sigillate(stampa) == [True, True, True]

    # the second letter, as it comes out of the printer: its seal points to its archived record, intact
    r = cli_locale("verifica-stampa", str(_scansione(stampa, 2, tmp_path)), env=_env(sigillanti))
    assert r.returncode == 0 and r.stdout.startswith("VALIDO: sigillo autentico"), r.stdout + r.stderr
    assert f"Documento: {righe[1]['archivio']}" in r.stdout and "Tipo: avviso-ispezione" in r.stdout
    assert "Codice impianto: 020066IN0002874" in r.stdout and "Archivio: documento presente e integro" in r.stdout

    # a chunk printed again (a crash, another Celery worker) carries the same seals: the same bytes
    prima = {p: p.read_bytes() for p in (percorso_blocco(cartella, 1), cartella / "documenti" / righe[2]["documento"])}
    for p in prima:
        p.unlink()
    percorso_blocco(cartella, 1).with_suffix(".json").unlink()
    esegui_blocco(cartella, 1, sigillanti)
    assert {p: p.read_bytes() for p in prima} == prima


def test_archived_forms_print_the_sealed_record(sigillanti, engine, cli_locale, tmp_path: Path) -> None:
    """A form job (stamped G): the print file's pages are the archived record's, sealed; the front of a
    copy (the smaller code in the header's corner) reads from the print file."""
    lavoro_id, _ = crea_lavoro("moduli:allegato-g", [get_document_type("allegato-g").example()], settings=sigillanti,
                               engine=engine, uscita=OpzioniUscita(per_record=True), firma=True, archivia=True)
    esito = esegui_lavoro(lavoro_id, settings=sigillanti, engine=engine)
    cartella = sigillanti.batch_dir / lavoro_id
    assert esito["sigillati"] == 1 and esito["impaginazioni_complete"] == 0
    (riga,) = json.loads((cartella / "rapporto.json").read_text())["record"]
    stampa = cartella / "stampa.pdf"
    assert _sigillate(stampa) == [True] * 6
    with pikepdf.open(cartella / "documenti" / riga["documento_firmato"]) as archiviato:
        assert "/EmbeddedFiles" in archiviato.Root.Names  # the archived record is the PDF/A with dati.json
    r = cli_locale("verifica-stampa", str(_scansione(stampa, 1, tmp_path)), env=_env(sigillanti))
    assert r.returncode == 0 and r.stdout.startswith("VALIDO: sigillo autentico"), r.stdout + r.stderr
    assert f"Documento: {riga['archivio']}" in r.stdout and "Archivio: documento presente e integro" in r.stdout


def test_a_worker_with_another_seal_key_refuses_to_print(sigillanti, engine) -> None:
    lavoro_id, _ = crea_lavoro("avvisi", _avvisi(1), settings=sigillanti, engine=engine,
                               uscita=OpzioniUscita(per_record=True), firma=True, archivia=True)
    altrove = sigillanti.model_copy(update={"identita_dir": sigillanti.identita_dir.parent / "altrove"})
    shutil.copytree(sigillanti.identita_dir, altrove.identita_dir,
                    ignore=shutil.ignore_patterns("*.sigillo.pem"))  # signing identities, not the seal key
    with pytest.raises(RuleViolation, match="non è quella con cui il lavoro è stato creato"):
        esegui_blocco(sigillanti.batch_dir / lavoro_id, 0, altrove)
    assert not percorso_blocco(sigillanti.batch_dir / lavoro_id, 0).exists()


def test_a_job_that_archives_nothing_is_not_sealed(sigillanti, engine) -> None:
    """No archived record a seal could point to: the letters are signed, not sealed."""
    lavoro_id, _ = crea_lavoro("avvisi", _avvisi(1), settings=sigillanti, engine=engine,
                               uscita=OpzioniUscita(per_record=True), firma=True, archivia=False)
    cartella = sigillanti.batch_dir / lavoro_id
    assert "sigillo" not in json.loads((cartella / "lavoro.json").read_text())
    esito = esegui_lavoro(lavoro_id, settings=sigillanti, engine=engine)
    assert esito["sigillati"] == 0 and _sigillate(cartella / "stampa.pdf") == [False]
