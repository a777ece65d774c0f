"""Archive outbox and retrieval benchmark (issue 12), against an embedded SeaweedFS and SQLite.

    python bench/bench_coda.py            # print the table
    python bench/bench_coda.py --salva    # also append it to bench/RESULTS.md

- retrieval: ``Archivio.recupera`` (hash + signature check + the LIST of the key's versions that
  reports unrecorded ones) against the naive baseline in the same run (GET of the pinned version
  and its hash only);
- ingest: ``Archivio.archivia`` document by document, against draining the same number of
  documents from the outbox (``svuota``: lease, write with no transaction open, record).
"""

from __future__ import annotations

import io
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pikepdf  # noqa: E402

from archive.db import make_engine, upgrade  # noqa: E402
from archive.objectstore import ObjectStore, S3Config, sha256_hex  # noqa: E402
from archive.outbox import accoda, in_coda  # noqa: E402
from archive.seaweed import EmbeddedSeaweed  # noqa: E402
from domain.conservazione import PoliticaConservazione  # noqa: E402
from service.archivio import Archivio, MetadatiDocumento  # noqa: E402
from tests.pki import pdf_di_prova  # noqa: E402

N = 100
KEY, SECRET = "benchcoda", "bench-coda-secret-0123456789"
META = MetadatiDocumento(tipo="allegato-g", data_documento=date(2025, 10, 3), codice_impianto="020066IN0000001",
                         ente="provincia-mantova", cait="CAIT-MN-01")


class _SenzaFirma:
    valida = False

    def as_dict(self):
        return {"firme": [], "valida": False}


def _pdf(n: int) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_di_prova())) as p:
        p.docinfo["/Title"] = f"Documento {n}"
        p.save(out)
    return out.getvalue()


def main(argv: list[str]) -> int:
    righe: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp, EmbeddedSeaweed(Path(tmp) / "weed", KEY, SECRET) as weed:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        store = ObjectStore(S3Config(weed.endpoint, KEY, SECRET, "bench-coda"))
        store.ensure_bucket()
        archivio = Archivio(engine, store, PoliticaConservazione(), verifica=lambda _pdf: _SenzaFirma())
        pdfs = [_pdf(n) for n in range(2 * N)]

        start = time.perf_counter()
        record = [archivio.archivia(p, META) for p in pdfs[:N]]
        t_diretto = (time.perf_counter() - start) / N
        righe.append((f"archivia, documento per documento ({N} doc)", f"{t_diretto * 1000:.1f} ms/doc"))

        ora = datetime.now(timezone.utc)
        for p in pdfs[N:]:
            accoda(engine, archivio.prepara_voce(p, META, ora=ora), errore="bench", ora=ora)
        start = time.perf_counter()
        archivio.svuota_coda()
        t_coda = (time.perf_counter() - start) / N
        assert in_coda(engine) == 0
        righe.append((f"svuotamento della coda ({N} doc in attesa)", f"{t_coda * 1000:.1f} ms/doc"))

        start = time.perf_counter()
        for r in record:
            assert sha256_hex(store.get(r["s3_key"], r["version_id"])) == r["sha256"]
        t_ingenuo = (time.perf_counter() - start) / N
        righe.append((f"recupero ingenuo: GET della versione + impronta ({N} doc)", f"{t_ingenuo * 1000:.1f} ms/doc"))
        start = time.perf_counter()
        for r in record:
            assert archivio.recupera(r["id"]).anomalia is None
        t_recupera = (time.perf_counter() - start) / N
        righe.append((f"Archivio.recupera: + HEAD, elenco versioni, indice ({N} doc)",
                      f"{t_recupera * 1000:.1f} ms/doc ({t_recupera / t_ingenuo:.1f}× il recupero ingenuo)"))
        engine.dispose()

    tabella = _tabella(righe)
    print(tabella)
    if "--salva" in argv:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as fh:
            fh.write("\n" + tabella + "\n")
    return 0


def _tabella(righe: list[tuple[str, str]]) -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = "?"
    quando = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    carico = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    head = [
        f"### bench_coda — {quando}, commit {commit}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, load average at "
        f"the end {carico}; embedded SeaweedFS on 127.0.0.1, SQLite index, unsigned 1-page PDF (no signature check).",
        "",
        "| misura | risultato |",
        "|---|---|",
    ]
    return "\n".join(head + [f"| {a} | {b} |" for a, b in righe])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
