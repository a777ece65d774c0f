"""Signing benchmark: 1-page documents in a batch, and one 1,000-page print PDF.

    python bench/bench_firma.py            # print the table
    python bench/bench_firma.py --salva    # also append it to bench/RESULTS.md

Fixed inputs: a one-page PDF/A-3b from ``renderers.pdf.html_to_pdf`` (with dati.json) and that
page repeated 1,000 times with pikepdf; a demo RSA-2048 identity loaded through
``service.identita``; B-T against the in-process RFC 3161 server of the tests (loopback).
"""

from __future__ import annotations

import io
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pikepdf  # noqa: E402
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper  # noqa: E402

from renderers.sign import FirmaSpec, Firmatario  # noqa: E402
from renderers.sign_chiavi import carica_pem  # noqa: E402
from renderers.verify import Verificatore  # noqa: E402
from service.firma import firma_lotto, spec_per_tipo  # noqa: E402
from service.identita import carica_identita, crea_identita_demo  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.pki import pdf_di_prova, tsa_locale  # noqa: E402

N_BATCH = 300
N_FREDDO = 30
N_BT = 100
PAGINE_STAMPA = 1000


def _misura(fn: Callable[[], object], n: int) -> float:
    """Seconds per call, over ``n`` calls."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def _stampa_mille_pagine(pagina: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pagina)) as src, pikepdf.open(io.BytesIO(pagina)) as out:
        for _ in range(PAGINE_STAMPA - 1):
            out.pages.append(src.pages[0])
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue()


def main(argv: list[str]) -> int:
    pdf = pdf_di_prova()
    with tempfile.TemporaryDirectory() as tmp:
        demo = crea_identita_demo("bench", Path(tmp))
        settings = Settings(identita_dir=Path(tmp), trust_roots=(demo.ca,))
        firmatario = carica_identita("bench", settings)
        spec = FirmaSpec()
        firmatario.firma(pdf, spec)  # warm-up: measures the CMS size once (bytes_reserved)
        chiave_pem, catena_pem = demo.chiave.read_bytes(), demo.catena.read_bytes()
        verificatore = Verificatore([demo.ca.read_bytes()])

        righe: list[tuple[str, str]] = []
        t_caldo = _misura(lambda: firmatario.firma(pdf, spec), N_BATCH)
        righe.append((f"B-B, 1 pagina, chiave caricata una volta ({N_BATCH} doc)",
                      f"{1 / t_caldo:.1f} firme/s ({t_caldo * 1000:.1f} ms/doc)"))
        t_freddo = _misura(lambda: Firmatario.da_dispositivo(carica_pem(chiave_pem, catena_pem)).firma(pdf), N_FREDDO)
        righe.append((f"B-B, 1 pagina, chiave riletta a ogni documento ({N_FREDDO} doc)",
                      f"{1 / t_freddo:.1f} firme/s ({t_freddo * 1000:.1f} ms/doc)"))
        visibile = spec_per_tipo("x", visibile=True, settings=settings)
        t_vis = _misura(lambda: firmatario.firma(pdf, visibile), N_FREDDO)
        righe.append(("B-B, 1 pagina, firma visibile", f"{1 / t_vis:.1f} firme/s ({t_vis * 1000:.1f} ms/doc)"))
        start = time.perf_counter()
        firmati = list(firma_lotto([pdf] * N_BATCH, "bench", settings=settings))
        t_lotto = (time.perf_counter() - start) / N_BATCH
        righe.append((f"service.firma.firma_lotto ({N_BATCH} doc)", f"{1 / t_lotto:.1f} firme/s"))

        with tsa_locale() as url:
            con_tsa = Firmatario.da_dispositivo(carica_pem(chiave_pem, catena_pem),
                                                timestamper=RequestsHTTPTimeStamper(url))
            con_tsa.firma(pdf)
            t_bt = _misura(lambda: con_tsa.firma(pdf), N_BT)
        righe.append((f"B-T con TSA in processo su 127.0.0.1 ({N_BT} doc)",
                      f"{1 / t_bt:.1f} firme/s ({t_bt * 1000:.1f} ms/doc)"))

        t_ver = _misura(lambda: verificatore.verifica(firmati[0]), N_FREDDO)
        righe.append(("verifica 1 pagina (integrità, catena, modifiche)", f"{t_ver * 1000:.1f} ms/doc"))

        stampa = _stampa_mille_pagine(pdf)
        start = time.perf_counter()
        stampa_firmata = firmatario.firma(stampa, spec)
        t_mille = time.perf_counter() - start
        righe.append((f"firma di un PDF di stampa da {PAGINE_STAMPA} pagine ({len(stampa) // 1024} KiB)",
                      f"{t_mille * 1000:.0f} ms"))
        start = time.perf_counter()
        ok = verificatore.verifica(stampa_firmata).valida
        righe.append((f"verifica del PDF da {PAGINE_STAMPA} pagine", f"{(time.perf_counter() - start) * 1000:.0f} ms"
                      + ("" if ok else " (NON VALIDA!)")))

    tabella = _tabella(righe)
    print(tabella)
    if "--salva" in argv:
        results = ROOT / "bench" / "RESULTS.md"
        if not results.exists():
            results.write_text("# Benchmark results\n\nCompare numbers only between runs on the same machine.\n",
                               encoding="utf-8")
        with results.open("a", encoding="utf-8") as fh:  # append: other sections stay as they are
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
    macchina = (f"{platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, "
                f"load average at the end {carico}")
    head = [
        f"### bench_firma — {quando}, commit {commit}",
        "",
        f"Machine: {macchina}; pyHanko 0.38, RSA-2048, SHA-256, 1 process.",
        "",
        "| misura | risultato |",
        "|---|---|",
    ]
    return "\n".join(head + [f"| {a} | {b} |" for a, b in righe])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
