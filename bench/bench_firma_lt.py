"""Per-document cost of long-term signatures: B-B, B-T, B-LT and B-LTA, and one archive renewal.

    python bench/bench_firma_lt.py

Fixed inputs: the one-page PDF/A-3b of the tests (``tests.pki.pdf_di_prova``) signed by one loaded
RSA-2048 identity of the long-term test PKI (``tests.pki.pki_lt``), whose OCSP responder, CRL and
RFC 3161 TSAs answer over HTTP on loopback: the network cost of a real TSA/OCSP is not in these
numbers (add the round trips of the production services: one TSA request for B-T, one more TSA
request plus one OCSP request per certificate for B-LT/B-LTA). Each level signs N documents in
a row with one ``Firmatario`` (a batch); also reported: bytes added per document, full
verification time, and one archive timestamp renewal (``renderers.lta.aggiungi_marca_archivio``).
Prints a table; does not write bench/RESULTS.md.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper  # noqa: E402

from renderers.lta import aggiungi_marca_archivio, contesto_validazione, livello_pades  # noqa: E402
from renderers.sign import ChiaveSoftware, FirmaSpec, Firmatario  # noqa: E402
from renderers.verify import Verificatore  # noqa: E402
from tests.pki import asn1_cert, pdf_di_prova, pki_lt  # noqa: E402

N = 30
LIVELLI = ("B-B", "B-T", "B-LT", "B-LTA")


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else N
    pki = pki_lt()
    pdf = pdf_di_prova()
    firmatario = Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]),
                                           timestamper=RequestsHTTPTimeStamper(pki.url_tsa, timeout=10))
    verificatore = Verificatore([pki.ca.cert])
    righe = []
    for livello in LIVELLI:
        spec = FirmaSpec(livello=livello)
        firmatario.firma(pdf, spec)  # warm-up: reserved size measured, connections opened
        richieste = len(pki.richieste_ocsp)
        start = time.perf_counter()
        firmati = [firmatario.firma(pdf, spec) for _ in range(n)]
        firma_s = (time.perf_counter() - start) / n
        assert all(livello_pades(f).livello == livello for f in firmati)
        start = time.perf_counter()
        assert all(verificatore.verifica(f).valida for f in firmati[:10])
        verifica_s = (time.perf_counter() - start) / 10
        ocsp = (len(pki.richieste_ocsp) - richieste) / n
        righe.append((livello, firma_s, len(firmati[0]) - len(pdf), verifica_s, ocsp))
    base = righe[0][1]
    print(f"# bench_firma_lt — {platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}, {n} documents per level (loopback TSA/OCSP)")
    print(f"{'livello':8} {'firma ms/doc':>13} {'× B-B':>7} {'byte aggiunti':>14} {'verifica ms':>12} {'OCSP/doc':>9}")
    for livello, firma_s, byte, verifica_s, ocsp in righe:
        print(f"{livello:8} {firma_s * 1000:13.1f} {firma_s / base:7.2f} {byte:14d} {verifica_s * 1000:12.1f} {ocsp:9.1f}")
    lta = firmatario.firma(pdf, FirmaSpec(livello="B-LTA"))
    tsa = RequestsHTTPTimeStamper(pki.url_tsa, timeout=10)
    start = time.perf_counter()
    for _ in range(10):
        aggiungi_marca_archivio(lta, tsa, contesto_validazione([asn1_cert(pki.ca.cert)]))
    print(f"rinnovo marca d'archivio: {(time.perf_counter() - start) / 10 * 1000:.1f} ms/doc (10 documents)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
