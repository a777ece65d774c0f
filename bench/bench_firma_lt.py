"""Per-document cost of long-term signatures: B-B, B-T, B-LT and B-LTA, and one archive renewal.

    python bench/bench_firma_lt.py

Fixed inputs: the one-page PDF/A-3b of the tests (``tests.pki.pdf_di_prova``) signed by one loaded
RSA-2048 identity of the long-term test PKI (``tests.pki.pki_lt``), whose OCSP responder, CRL and
RFC 3161 TSAs answer over HTTP on loopback: the network cost of a real TSA/OCSP is not in these
numbers (add the round trips of the production services: one TSA request for B-T, one more TSA
request for B-LTA; the OCSP requests of B-LT/B-LTA, one per certificate, are made once per batch).
Each level signs N documents in a row with one ``Firmatario`` (a batch: its ``CacheRevoche`` keeps
the OCSP responses until their nextUpdate); B-LT and B-LTA are also measured "per documento",
with a cache that never holds (every document fetches its OCSP responses, as before the cache).
Also reported: bytes added per document, full verification time, OCSP requests per document, and
the archive timestamp renewal of 10 documents in one run (``renderers.lta.aggiungi_marca_archivio``,
one cache as ``archivio rinnova-marche`` uses). Prints a table; does not write bench/RESULTS.md.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper  # noqa: E402

from renderers.lta import CacheRevoche, aggiungi_marca_archivio, contesto_validazione, livello_pades  # noqa: E402
from renderers.sign import FirmaSpec, Firmatario  # noqa: E402
from renderers.sign_chiavi import ChiaveSoftware  # noqa: E402
from renderers.verify import Verificatore  # noqa: E402
from tests.pki import asn1_cert, pdf_di_prova, pki_lt  # noqa: E402

N = 30
LIVELLI = ("B-B", "B-T", "B-LT", "B-LTA")
MAI = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=365 * 1000)
"""The clock of a cache whose entries are always past their nextUpdate (one fetch per document)."""


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else N
    pki = pki_lt()
    pdf = pdf_di_prova()
    chiave = ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert])
    lotto = Firmatario.da_dispositivo(chiave, timestamper=RequestsHTTPTimeStamper(pki.url_tsa, timeout=10))
    singolo = Firmatario.da_dispositivo(chiave, timestamper=RequestsHTTPTimeStamper(pki.url_tsa, timeout=10),
                                        revoche=CacheRevoche(ora=lambda: MAI))
    verificatore = Verificatore([pki.ca.cert])
    righe = []
    for livello in LIVELLI:
        spec = FirmaSpec(livello=livello)
        # "per documento" (B-LT, B-LTA): the same documents signed without the cache, alternating with
        # the batch one document at a time, so both see the same machine load
        modi = {livello: lotto} | ({f"{livello} per documento": singolo} if livello in ("B-LT", "B-LTA") else {})
        tempi: dict[str, list[float]] = {nome: [] for nome in modi}
        ocsp: dict[str, int] = dict.fromkeys(modi, 0)
        firmati: dict[str, list[bytes]] = {nome: [] for nome in modi}
        for firmatario in modi.values():
            firmatario.firma(pdf, spec)  # warm-up: reserved size measured, connections opened, OCSP cached
        for _ in range(n):
            for nome, firmatario in modi.items():
                richieste = len(pki.richieste_ocsp)
                start = time.perf_counter()
                firmati[nome].append(firmatario.firma(pdf, spec))
                tempi[nome].append(time.perf_counter() - start)
                ocsp[nome] += len(pki.richieste_ocsp) - richieste
        for nome in modi:
            assert all(livello_pades(f).livello == livello for f in firmati[nome])
            start = time.perf_counter()
            assert all(verificatore.verifica(f).valida for f in firmati[nome][:10])
            verifica_s = (time.perf_counter() - start) / 10
            righe.append((nome, statistics.median(tempi[nome]), len(firmati[nome][0]) - len(pdf), verifica_s,
                          ocsp[nome] / n))
    base = righe[0][1]
    print(f"# bench_firma_lt — {platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}, {n} documents per level (loopback TSA/OCSP), "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'livello':20} {'firma ms/doc (mediana)':>22} {'× B-B':>7} {'byte aggiunti':>14} {'verifica ms':>12} {'OCSP/doc':>9}")
    for nome, firma_s, byte, verifica_s, ocsp in righe:
        print(f"{nome:20} {firma_s * 1000:22.1f} {firma_s / base:7.2f} {byte:14d} {verifica_s * 1000:12.1f} {ocsp:9.1f}")
    lta = lotto.firma(pdf, FirmaSpec(livello="B-LTA"))
    tsa = RequestsHTTPTimeStamper(pki.url_tsa, timeout=10)
    revoche = CacheRevoche()
    richieste = len(pki.richieste_ocsp)
    start = time.perf_counter()
    for _ in range(10):
        aggiungi_marca_archivio(lta, tsa, contesto_validazione([asn1_cert(pki.ca.cert)], revoche=revoche))
    print(f"rinnovo marca d'archivio: {(time.perf_counter() - start) / 10 * 1000:.1f} ms/doc (10 documents, "
          f"{(len(pki.richieste_ocsp) - richieste) / 10:.1f} OCSP/doc)")
    print(f"# load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
