"""Archive benchmark: ingest (sign + store on S3 Object Lock + index) and search at 1M rows.

    python bench/bench_archivio.py                  # print the table
    python bench/bench_archivio.py --salva          # also append it to bench/RESULTS.md
    python bench/bench_archivio.py --righe 200000   # smaller index (default 1,000,000)
    python bench/bench_archivio.py --solo-ingest    # signing and ingest rows only, no search
    python bench/bench_archivio.py --blocco [--salva]  # cost of the lock read-back per write (SeaweedFS, RGW)

Fixed inputs: the one-page PDF/A-3b of the tests (with dati.json), signed PAdES B-B with a
demo identity (``service.identita``); an embedded SeaweedFS (``weed mini``) on loopback; the
index on SQLite and on the PostgreSQL at ``CURIT_TEST_PG`` (default 127.0.0.1:5432). Search
runs on PostgreSQL after bulk-loading synthetic rows with COPY; each query is the first page
(50 rows) and a keyset second page, median of 15 runs after one warm-up.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from archive.db import make_engine, session_scope, upgrade  # noqa: E402
from archive.indice import Documento, FiltroRicerca, cerca  # noqa: E402
from archive.objectstore import ObjectStore, S3Config  # noqa: E402
from archive.seaweed import EmbeddedSeaweed  # noqa: E402
from service.archivio import Archivio, MetadatiDocumento  # noqa: E402
from service.firma import firma_lotto, verifica_documento  # noqa: E402
from service.identita import carica_identita, crea_identita_demo  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.pki import pdf_di_prova  # noqa: E402

N_INGEST = 200
N_LOTTO = 1000
RIGHE = 1_000_000
PG_ADMIN = os.environ.get("CURIT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KEY, SECRET = "curitbench", "curit-bench-secret-0123456789"


def _pg_url(name: str) -> str:
    return PG_ADMIN.rpartition("/")[0] + "/" + name


def _ingest(tmp: Path, db_url: str, pdfs: list[bytes], settings: Settings, weed: EmbeddedSeaweed) -> float:
    """Documents per second through ``Archivio.archivia`` (verdict + S3 + hash check + index)."""
    upgrade(db_url)
    engine = make_engine(db_url)
    store = ObjectStore(S3Config(weed.endpoint, KEY, SECRET, f"bench-{uuid.uuid4().hex[:8]}"))
    store.ensure_bucket()
    archivio = Archivio(engine, store, verifica=lambda pdf: verifica_documento(pdf, settings=settings))
    meta = MetadatiDocumento(tipo="allegato-g", data_documento=date(2025, 10, 3), ente="provincia-cremona",
                             cait="cait-cremona", codice_impianto="019036IN0000001")
    start = time.perf_counter()
    for n, pdf in enumerate(pdfs):
        record = archivio.archivia(pdf, replace(meta, documento_id=f"bench-{n:05d}"))
        assert record["stato"] == "archiviato"
    elapsed = time.perf_counter() - start
    engine.dispose()
    return len(pdfs) / elapsed


def _ingest_lotto(db_url: str, pdfs: list[bytes], settings: Settings, weed: EmbeddedSeaweed, processi: int) -> float:
    """Documents per second through ``service.ingest.emetti_lotto``: sign (``processi`` worker
    processes, started inside the timing) + verdict by hash + concurrent S3 + index per block."""
    from service.emissione import Emissione
    from service.ingest import DaEmettere, emetti_lotto

    upgrade(db_url)
    engine = make_engine(db_url)
    store = ObjectStore(S3Config(weed.endpoint, KEY, SECRET, f"bench-{uuid.uuid4().hex[:8]}"))
    store.ensure_bucket()
    archivio = Archivio(engine, store, verifica=lambda pdf: verifica_documento(pdf, settings=settings))
    emissione = Emissione(settings, archivio=archivio)
    meta = MetadatiDocumento(tipo="allegato-g", data_documento=date(2025, 10, 3), ente="provincia-cremona",
                             codice_impianto="019036IN0000001")
    documenti = (DaEmettere(pdf, "regione", replace(meta, documento_id=f"lotto-{n:05d}")) for n, pdf in enumerate(pdfs))
    start = time.perf_counter()
    n = sum(1 for _, e in emetti_lotto(emissione, documenti, processi=processi) if e.record["stato"] == "archiviato")
    elapsed = time.perf_counter() - start
    assert n == len(pdfs)
    engine.dispose()
    return len(pdfs) / elapsed


def _firma(pdfs: list[bytes], tmp: Path) -> tuple[list[bytes], Settings, float]:
    demo = crea_identita_demo("bench-archivio", tmp)
    settings = Settings(identita_dir=tmp, trust_roots=(demo.ca,))
    firmatario = carica_identita("bench-archivio", settings)
    start = time.perf_counter()
    signed = list(firma_lotto(pdfs, firmatario, settings=settings))
    return signed, settings, len(pdfs) / (time.perf_counter() - start)


def _regione(base: Path) -> Settings:
    """Settings whose demo Regione identity signs (created once; its CA trusted)."""
    from service.emissione import Emissione

    Emissione(Settings(identita_dir=base, demo=True)).firmatario("regione")
    return Settings(identita_dir=base, demo=True, trust_roots=(base / "regione" / "ca-demo.pem",))


def _carica_righe(engine, righe: int) -> float:
    """Bulk-load synthetic index rows with COPY (indexes dropped and rebuilt); seconds."""
    rnd = random.Random(20261122)
    cols = ["id", "tipo", "codice_impianto", "ente", "cait", "manutentore", "etichetta", "responsabile_cf",
            "data_documento", "stagione", "s3_key", "version_id", "sha256", "dimensione", "firma_valida",
            "firma_esito", "conserva_fino_al", "blocco_legale", "riferimento_temporale", "oggetto", "autore",
            "destinatario", "archiviato_il"]
    tipi = ["allegato-g"] * 6 + ["allegato-f"] * 2 + ["allegato-a", "allegato-b", "allegato-h", "allegato-e1"]
    enti = [f"ente-{i:02d}" for i in range(24)]
    start = time.perf_counter()
    with engine.begin() as conn:
        for index in Documento.__table__.indexes:
            index.drop(conn)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY archivio_documenti ({', '.join(cols)}) FROM STDIN") as copy:
            for n in range(righe):
                giorno = date(2008, 1, 1) + timedelta(days=rnd.randrange(6500))
                s = giorno.year if giorno.month >= 8 else giorno.year - 1
                ente = enti[n % 24]
                codice = f"{rnd.randrange(1, 200):03d}{rnd.randrange(1, 300):03d}IN{rnd.randrange(1, 3000):07d}"
                copy.write_row((
                    f"d{n:09d}", tipi[n % len(tipi)], codice, ente, f"cait-{n % 60:02d}", f"Ditta {n % 5000}",
                    f"G{n:08d}", f"CF{rnd.randrange(200_000):014d}", giorno, f"{s}/{s + 1}",
                    f"{ente}/{s}-{s + 1}/x/{codice}/d{n:09d}.pdf", "v1", f"{n:064x}", 50_000, True, "{}",
                    giorno + timedelta(days=3650), False, datetime(2026, 1, 1, tzinfo=timezone.utc),
                    f"Documento {n}", "Ditta", ente, datetime(2026, 1, 1, tzinfo=timezone.utc),
                ))
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        for index in Documento.__table__.indexes:
            index.create(conn)
        conn.execute(text("ANALYZE archivio_documenti"))
    return time.perf_counter() - start


def _latenze(engine, righe: int) -> list[tuple[str, float, float | None]]:
    rnd = random.Random(7)
    with engine.connect() as conn:
        campione = conn.execute(text(
            "SELECT codice_impianto, etichetta, responsabile_cf FROM archivio_documenti "
            f"WHERE id = 'd{rnd.randrange(righe):09d}'"
        )).one()
    filtri = {
        "codice impianto": FiltroRicerca(codice_impianto=campione[0]),
        "etichetta": FiltroRicerca(etichetta=campione[1]),
        "codice fiscale": FiltroRicerca(responsabile_cf=campione[2]),
        "Ente (1/24 delle righe)": FiltroRicerca(ente="ente-07"),
        "CAIT + intervallo date": FiltroRicerca(cait="cait-13", dal=date(2015, 1, 1), al=date(2016, 12, 31)),
        "stagione + tipo": FiltroRicerca(stagione="2019/2020", tipo="allegato-f"),
        "Ente + tipo + stagione": FiltroRicerca(ente="ente-03", tipo="allegato-g", stagione="2012/2013"),
        "nessun filtro": FiltroRicerca(),
    }
    out = []
    for nome, filtro in filtri.items():
        prima, seconda = [], []
        for run in range(16):
            with session_scope(engine) as session:
                t0 = time.perf_counter()
                pagina = cerca(session, filtro, limite=50)
                t1 = time.perf_counter()
                if pagina.prossima:
                    cerca(session, filtro, limite=50, dopo=pagina.prossima)
                t2 = time.perf_counter()
            if run:  # the first run warms the cache
                prima.append((t1 - t0) * 1000)
                if pagina.prossima:
                    seconda.append((t2 - t1) * 1000)
        out.append((nome, statistics.median(prima), statistics.median(seconda) if seconda else None))
    return out


# -- cost of the verified lock ---------------------------------------------------------------------

N_BLOCCO = {"piccolo": 200, "grande": 20}
"""Writes per case: the one-page test PDF (~40 KiB), and a 6 MiB document (multipart)."""


class _SenzaRilettura(ObjectStore):
    """The same write (adopt by hash, PUT, bytes re-hashed) without reading the retention back."""

    def _lock(self, key, version_id, asked, *, new):  # type: ignore[override]
        return asked


def _scritture(stores: dict[str, ObjectStore], pdfs: list[bytes]) -> dict[str, float]:
    """Median milliseconds per write of each mode, the modes interleaved document by document (so
    that load drifting on a shared machine hits all three alike): ``sdk`` = minio put_object with
    retention headers only (the naive baseline), ``senza`` = ObjectStore.put without the read-back,
    ``verificato`` = ObjectStore.put as shipped."""
    import io

    from minio.commonconfig import COMPLIANCE
    from minio.retention import Retention

    fino = date(2033, 7, 31)
    tempi: dict[str, list[float]] = {modo: [] for modo in stores}
    for n, pdf in enumerate(pdfs):
        for modo, store in stores.items():
            key = f"bench/{modo}/{n:05d}.pdf"
            t0 = time.perf_counter()
            if modo == "sdk":
                store.client.put_object(store.bucket, key, io.BytesIO(pdf), len(pdf), retention=Retention(
                    COMPLIANCE, datetime(2033, 7, 31, 23, 59, 59, tzinfo=timezone.utc)))
            else:
                store.put(key, pdf, retain_until=fino)
            tempi[modo].append((time.perf_counter() - t0) * 1000)
    return {modo: statistics.median(t) for modo, t in tempi.items()}


def blocco(argv: list[str]) -> int:
    from archive.ceph_dev import CephDev

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    quando = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    base = pdf_di_prova()
    casi = {
        "piccolo": [base + f"%{n}\n".encode() for n in range(N_BLOCCO["piccolo"])],
        "grande": [os.urandom(6 * 1024 * 1024) for _ in range(N_BLOCCO["grande"])],
    }
    righe: list[str] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for nome_server, avvia in (("SeaweedFS", lambda: EmbeddedSeaweed(tmp / "weed", KEY, SECRET)),
                                   ("Ceph RGW", lambda: CephDev(tmp / "ceph", KEY, SECRET))):
            with avvia() as server:
                for caso, pdfs in casi.items():
                    bucket = f"bench-{uuid.uuid4().hex[:8]}"
                    config = S3Config(server.endpoint, KEY, SECRET, bucket)
                    ObjectStore(config).ensure_bucket()
                    ms = _scritture({"sdk": ObjectStore(config), "senza": _SenzaRilettura(config),
                                     "verificato": ObjectStore(config)}, pdfs)
                    extra = ms["verificato"] - ms["senza"]
                    righe.append(
                        f"| {nome_server} | {caso} ({len(pdfs[0]) // 1024} KiB × {len(pdfs)}) | {ms['sdk']:.1f} | "
                        f"{ms['senza']:.1f} | {ms['verificato']:.1f} | {extra:+.1f} ms "
                        f"({100 * extra / ms['senza']:+.0f} %) |")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    testo = [
        f"### bench_archivio --blocco: cost of the lock read-back — {quando}, commit {commit}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, load average at "
        f"the end {load}; SeaweedFS `weed mini` and a one-node memstore Ceph RGW (archive/ceph_dev.py) on loopback; "
        "median milliseconds per write, one client thread, the three modes interleaved document by document. *SDK*: minio `put_object` with the retention headers "
        "(the naive baseline, nothing checked); *senza rilettura*: `ObjectStore.put` (versions listed for "
        "adoption, PUT, bytes read back and hashed) without reading the retention; *verificato*: `ObjectStore.put` "
        "as shipped (GET ?retention of the version, compared exactly; on RGW a multipart version also gets "
        "PutObjectRetention and a second read).",
        "",
        "| server | documento | SDK (ms) | senza rilettura (ms) | verificato (ms) | costo della rilettura |",
        "|---|---|---|---|---|---|",
        *righe,
        "",
    ]
    print("\n".join(testo))
    if "--salva" in argv:
        results = ROOT / "bench" / "RESULTS.md"
        prima = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
        results.write_text(prima.rstrip("\n") + "\n\n" + "\n".join(testo), encoding="utf-8")
    return 0


def main(argv: list[str]) -> int:
    if "--blocco" in argv:
        return blocco(argv)
    righe = int(argv[argv.index("--righe") + 1]) if "--righe" in argv else RIGHE
    carico_inizio = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    quando = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    righe_tabella: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        pdfs = [pdf_di_prova() + f"%{n}\n".encode() for n in range(N_INGEST)]
        lotto = [pdf_di_prova() + f"%lotto {n}\n".encode() for n in range(N_LOTTO)]
        signed, settings, firme_s = _firma(pdfs, tmp / "id")
        righe_tabella.append((f"firma B-B (firma_lotto, {N_INGEST} doc)", f"{firme_s:.1f} doc/s"))
        with EmbeddedSeaweed(tmp / "weed", KEY, SECRET) as weed:
            sqlite = _ingest(tmp, f"sqlite:///{tmp / 'ingest.db'}", signed, settings, weed)
            righe_tabella.append((f"archivia firmati: verifica + S3 + hash + indice SQLite ({N_INGEST} doc)",
                                  f"{sqlite:.1f} doc/s"))
            name = f"curit_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                pg = _ingest(tmp, _pg_url(name), signed, settings, weed)
                righe_tabella.append((f"archivia firmati: verifica + S3 + hash + indice PostgreSQL ({N_INGEST} doc)",
                                      f"{pg:.1f} doc/s"))
                firma_e_archivia = 1 / (1 / firme_s + 1 / pg)
                righe_tabella.append(("firma + archivia (PostgreSQL), per documento (ingenuo)", f"{firma_e_archivia:.1f} doc/s"))
                regione = _regione(tmp / "id")
                for processi in (1, 2):
                    admin_db = f"curit_bench_{uuid.uuid4().hex[:8]}"
                    with admin.connect() as c:
                        c.execute(text(f'CREATE DATABASE "{admin_db}"'))
                    try:
                        v = _ingest_lotto(_pg_url(admin_db), lotto, regione, weed, processi)
                    finally:
                        with admin.connect() as c:
                            c.execute(text(f'DROP DATABASE IF EXISTS "{admin_db}" WITH (FORCE)'))
                    righe_tabella.append((f"ingest service.ingest, firma + S3 + indice PostgreSQL, {processi} processi "
                                          f"di firma ({len(lotto)} doc, avvio processi incluso)", f"{v:.1f} doc/s"))
                v = _ingest_lotto(f"sqlite:///{tmp / 'lotto.db'}", lotto, regione, weed, 2)
                righe_tabella.append((f"ingest service.ingest, firma + S3 + indice SQLite, 2 processi di firma "
                                      f"({len(lotto)} doc)", f"{v:.1f} doc/s"))
                engine = make_engine(_pg_url(name))
                if "--solo-ingest" not in argv:  # search at 1M rows
                    with engine.begin() as conn:
                        conn.execute(text("DELETE FROM archivio_versioni"))
                        conn.execute(text("DELETE FROM archivio_documenti"))
                    carico = _carica_righe(engine, righe)
                    righe_tabella.append((f"caricamento {righe:,} righe (COPY + indici + ANALYZE)", f"{carico:.0f} s"))
                    for nome, p1, p2 in _latenze(engine, righe):
                        pagina2 = f"{p2:.1f} ms" if p2 is not None else "una sola pagina"
                        righe_tabella.append((f"cerca a {righe:,} righe: {nome}", f"{p1:.1f} ms (pagina 2: {pagina2})"))
                engine.dispose()
            finally:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    testo = [
        f"### bench_archivio — {quando}, commit {commit}",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}, "
        f"load average at the start {carico_inizio}, at the end {load}; SeaweedFS `weed mini` on loopback, PostgreSQL "
        f"{_pg_versione()}, 1 process, one-page PDF/A-3b ({len(signed[0]) // 1024} KiB signed).",
        "",
        "| misura | risultato |",
        "|---|---|",
        *(f"| {a} | {b} |" for a, b in righe_tabella),
        "",
    ]
    print("\n".join(testo))
    if "--salva" in argv:
        results = ROOT / "bench" / "RESULTS.md"
        prima = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
        results.write_text(prima.rstrip("\n") + "\n\n" + "\n".join(testo), encoding="utf-8")
    return 0


def _pg_versione() -> str:
    engine = create_engine(PG_ADMIN)
    try:
        with engine.connect() as c:
            return c.execute(text("SHOW server_version")).scalar_one().split()[0]
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
