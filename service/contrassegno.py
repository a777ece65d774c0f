"""Contrassegno a stampa: seal keys, sealing issued PDFs, verifying a printed copy.

* Each issuing organisation has an ES256 seal key next to its signing identity
  (``identita_dir/<identità>.sigillo.pem``), created on first use (mode 0600).
* The trust list is the public half of every seal key of this installation plus the public keys
  in ``CURIT_SIGILLI_FIDATI`` (``<identità>.pem``): a copy of that folder is all an offline verifier needs.
* :func:`sigilla` adds the overlay revision to a rendered PDF (before the PAdES signature).
* :func:`verifica_testo` checks one QR text offline; :func:`confronta_archivio` adds what the
  archive knows (exists, intact, current version); :func:`leggi_scansione` finds the codes in a scan.

See docs/parts/contrassegno.md.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from domain.contrassegno import STAMPATI, Contrassegno, Sigillo, codifica, decodifica, preparazione
from domain.errors import NotFound, RuleViolation
from renderers.carta import CartaPagina
from renderers.contrassegno import disegna_contrassegno
from service.identita import nome_identita
from service.settings import Settings, get_settings

__all__ = [
    "EsitoStampa",
    "chiave_sigillo",
    "elenco_fiducia",
    "sigilla",
    "verifica_testo",
    "confronta_archivio",
    "leggi_scansione",
    "identita_di",
    "kid_di",
    "STAMPATI",
]

_SUFFISSO = ".sigillo.pem"
_log = logging.getLogger(__name__)


def kid_di(pub: ec.EllipticCurvePublicKey) -> bytes:
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).digest()[:8]


def chiave_sigillo(identita: str, settings: Settings | None = None) -> ec.EllipticCurvePrivateKey:
    """The seal key of ``identita`` (created once, written atomically, mode 0600)."""
    settings = settings or get_settings()
    percorso = settings.identita_dir / f"{identita}{_SUFFISSO}"
    if not percorso.is_file():
        percorso.parent.mkdir(parents=True, exist_ok=True)
        chiave = ec.generate_private_key(ec.SECP256R1())
        pem = chiave.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
        fd, tmp = tempfile.mkstemp(prefix=f".{identita}-", dir=percorso.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        try:
            os.link(tmp, percorso)  # first writer wins: concurrent workers never use two keys
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    chiave = serialization.load_pem_private_key(percorso.read_bytes(), None)
    if not isinstance(chiave, ec.EllipticCurvePrivateKey) or chiave.curve.name != "secp256r1":
        raise RuleViolation(f"La chiave di sigillo {percorso.name} non è una chiave ECDSA P-256.", path=("sigillo",))
    return chiave


def elenco_fiducia(settings: Settings | None = None) -> dict[bytes, tuple[str, ec.EllipticCurvePublicKey]]:
    """kid → (identità, public key) of every trusted seal key."""
    settings = settings or get_settings()
    out: dict[bytes, tuple[str, ec.EllipticCurvePublicKey]] = {}
    cartelle = [(settings.identita_dir, _SUFFISSO)]
    if settings.sigilli_fidati is not None:
        cartelle.append((settings.sigilli_fidati, ".pem"))
    for cartella, suffisso in cartelle:
        if not cartella.is_dir():
            continue
        for p in sorted(cartella.glob(f"*{suffisso}")):
            if suffisso == ".pem" and p.name.endswith(_SUFFISSO) and cartella != settings.identita_dir:
                nome = p.name[: -len(_SUFFISSO)]
            else:
                nome = p.name[: -len(suffisso)]
            try:
                dati = p.read_bytes()
                if b"PRIVATE KEY" in dati:
                    pub = serialization.load_pem_private_key(dati, None).public_key()
                else:
                    pub = serialization.load_pem_public_key(dati)
            except (ValueError, TypeError, OSError):
                continue
            if isinstance(pub, ec.EllipticCurvePublicKey):
                out[kid_di(pub)] = (nome, pub)
    return out


def identita_di(emittente: str) -> str:
    """Identity name of an emittente id (``provincia-mantova`` → ``ente-provincia-mantova``)."""
    if emittente.lower() == "regione":
        return "regione"
    if emittente.upper().startswith("CAIT-"):
        return nome_identita("cait", emittente)
    return nome_identita("ente", emittente)


def sigilla(pdf: bytes, *, documento_id: str, tipo: str, codice_impianto: str | None, data_documento: date,
            emittente: str, identita: str, settings: Settings | None = None,
            ora: datetime | None = None, carta: Sequence[CartaPagina] | None = None) -> bytes:
    """``pdf`` (as rendered, before the PAdES signature) + the contrassegno on every page; print stock
    (:data:`STAMPATI`) unchanged. ``carta``: the page kinds the engine stamped ``pdf`` on
    (``service.produce.Prodotto.carta``): the code's place is known without reading the pages."""
    if tipo in STAMPATI:
        return pdf
    settings = settings or get_settings()
    chiave = chiave_sigillo(identita, settings)
    ora = ora or datetime.now(timezone.utc)
    sigillo = Sigillo(documento_id, tipo, codice_impianto, data_documento, emittente,
                      hashlib.sha256(pdf).digest(), len(pdf), ora)
    protetto, payload, tbs = preparazione(sigillo, kid_di(chiave.public_key()))
    # deterministic ECDSA (RFC 6979): the same seal data give the same code (a batch chunk printed again)
    r, s = decode_dss_signature(chiave.sign(tbs, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
    testo = codifica(protetto, payload, r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    base = (settings.url_verifica or "").rstrip("/")
    verifica = f"{base}/verifica/{documento_id}" if base else f"curit-docs verifica-stampa (documento {documento_id})"
    legenda = f"Contrassegno elettronico (CAD art. 23-ter c.5) – verifica: {verifica}"
    esito = disegna_contrassegno(pdf, testo, legenda, _font_legenda(settings), carta=carta, ora=ora)
    if esito.ridotte:
        _log.warning("contrassegno: %s %s, nessuno spazio libero alle pagine %s: contenuto ridotto per far posto al codice",
                     tipo, documento_id, esito.ridotte)
    return esito.pdf


def _font_legenda(settings: Settings) -> bytes:
    """DejaVu Sans from the shipped fonts (embedded as a subset: the sealed file stays PDF/A-3b)."""
    percorso = settings.fonts_dir / "dejavu" / "DejaVuSans.ttf"
    try:
        return percorso.read_bytes()
    except OSError:
        raise RuleViolation(f"Manca il carattere del contrassegno ({percorso}).", path=("contrassegno",)) from None


@dataclass
class EsitoStampa:
    """The verdict on one contrassegno."""

    valido: bool
    motivo: str
    """Italian sentence: why it is (not) valid."""
    sigillo: Sigillo | None = None
    identita: str | None = None
    archivio: str | None = None
    """What the archive says (None: not asked or unreachable)."""
    note: list[str] = field(default_factory=list)

    def righe(self) -> list[str]:
        out = [("VALIDO: " if self.valido else "NON VALIDO: ") + self.motivo]
        s = self.sigillo
        if s is not None:
            out += [
                f"  Documento: {s.documento_id}",
                f"  Tipo: {s.tipo}",
                f"  Codice impianto: {s.codice_impianto or '-'}",
                f"  Data del documento: {s.data_documento.strftime('%d/%m/%Y')}",
                f"  Emittente: {s.emittente}" + (f" (chiave di sigillo {self.identita})" if self.identita else ""),
                f"  Impronta SHA-256 del contenuto: {s.impronta.hex()}",
                f"  Sigillato il: {s.sigillato_il.strftime('%d/%m/%Y %H:%M')} UTC",
            ]
        if self.archivio:
            out.append(f"  Archivio: {self.archivio}")
        out += [f"  Nota: {n}" for n in self.note]
        return out


def _firma_valida(c: Contrassegno, pub: ec.EllipticCurvePublicKey) -> bool:
    if len(c.firma) != 64:
        return False
    der = encode_dss_signature(int.from_bytes(c.firma[:32], "big"), int.from_bytes(c.firma[32:], "big"))
    try:
        pub.verify(der, c.da_verificare(), ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def verifica_testo(testo: str, settings: Settings | None = None,
                   fiducia: dict[bytes, tuple[str, ec.EllipticCurvePublicKey]] | None = None) -> EsitoStampa:
    """Offline check of one QR text against the trust list (no archive needed)."""
    try:
        c = decodifica(testo)
    except RuleViolation as exc:
        return EsitoStampa(False, str(exc))
    fiducia = elenco_fiducia(settings) if fiducia is None else fiducia
    voce = fiducia.get(c.kid)
    if voce is None:
        return EsitoStampa(False, "il sigillo è firmato con una chiave non presente nell'elenco di fiducia "
                                  f"(identificativo chiave {c.kid.hex()}).", c.sigillo)
    identita, pub = voce
    if not _firma_valida(c, pub):
        return EsitoStampa(False, "la firma del sigillo non corrisponde ai dati: contrassegno alterato.", c.sigillo, identita)
    if identita_di(c.sigillo.emittente) != identita:
        return EsitoStampa(False, f"il sigillo dichiara come emittente {c.sigillo.emittente} ma è firmato con la "
                                  f"chiave di {identita}.", c.sigillo, identita)
    return EsitoStampa(True, "sigillo autentico, firmato da una chiave di fiducia.", c.sigillo, identita)


def impronta_contenuto(pdf: bytes, lunghezza: int) -> bytes:
    return hashlib.sha256(pdf[:lunghezza]).digest()


def confronta_archivio(esito: EsitoStampa, archivio: Any) -> EsitoStampa:
    """Add the archive's view: the document exists, the sealed content is its current version
    (else: an older version was reprinted, or the hash matches nothing archived)."""
    from archive import indice as idx
    from archive.db import session_scope

    s = esito.sigillo
    if s is None or not esito.valido:
        return esito
    try:
        record = archivio.record(s.documento_id)
    except NotFound:
        esito.valido, esito.archivio = False, "il documento non risulta nell'archivio."
        esito.motivo = "documento sconosciuto all'archivio."
        return esito
    if record.get("smaltito_il"):
        esito.archivio = f"documento smaltito il {str(record['smaltito_il'])[:10]} (conservazione terminata)."
        return esito
    corrente = archivio.store.get(record["s3_key"], record["version_id"])
    if impronta_contenuto(corrente, s.lunghezza) == s.impronta:
        esito.archivio = "documento presente e integro: la copia stampata corrisponde alla versione archiviata corrente."
        return esito
    with session_scope(archivio.engine) as session:
        versioni = [v.version_id for v in idx.versioni(session, s.documento_id)]
    for vid in versioni:
        if vid == record["version_id"]:
            continue
        if impronta_contenuto(archivio.store.get(record["s3_key"], vid), s.lunghezza) == s.impronta:
            esito.valido = False
            esito.motivo = "ristampa di una versione superata: il documento è stato riemesso."
            esito.archivio = "la versione sigillata è stata sostituita da una successiva."
            return esito
    esito.valido = False
    esito.motivo = "l'impronta del sigillo non corrisponde al documento archiviato."
    esito.archivio = "il contenuto archiviato è diverso da quello sigillato."
    return esito


@dataclass(frozen=True)
class Codice:
    testo: str
    pagina: int
    posizione: tuple[tuple[int, int], ...]
    """Corners (top-left, top-right, bottom-right, bottom-left) in pixels of the scan."""
    immagine: Any


def leggi_scansione(percorso: Path, dpi: int = 200) -> list[Codice]:
    """Every QR code found in a scan (PNG/JPEG/TIFF image, or PDF rasterised at ``dpi``)."""
    import zxingcpp
    from PIL import Image

    if not percorso.is_file():
        raise RuleViolation(f"File non trovato: {percorso}.", path=("scansione",))
    immagini: list[Any] = []
    if percorso.read_bytes()[:5] == b"%PDF-":
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(percorso), f"{tmp}/p"],
                               capture_output=True, timeout=120)
            if r.returncode != 0:
                raise RuleViolation("Il PDF della scansione non è leggibile.", path=("scansione",))
            for p in sorted(Path(tmp).glob("p-*.png")):
                with Image.open(p) as im:
                    immagini.append(im.convert("L"))
    else:
        try:
            with Image.open(percorso) as im:
                immagini.append(im.convert("L"))
        except OSError:
            raise RuleViolation("La scansione non è un'immagine (PNG, JPEG, TIFF) né un PDF.", path=("scansione",)) from None
    out = []
    for n, im in enumerate(immagini, 1):
        for r in zxingcpp.read_barcodes(im, formats=zxingcpp.BarcodeFormat.QRCode, try_rotate=True):
            pos = r.position
            angoli = tuple((int(p.x), int(p.y)) for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left))
            out.append(Codice(r.text, n, angoli, im))
    return out


def verifica_bytes_stampa(dati: bytes, suffisso: str = ".png", settings: Settings | None = None,
                          archivio: Any = None) -> list[EsitoStampa]:
    """:func:`verifica_scansione` of an upload held in memory (the console's Verifica page)."""
    with tempfile.NamedTemporaryFile(suffix=suffisso) as f:
        f.write(dati)
        f.flush()
        return verifica_scansione(Path(f.name), settings, archivio)


def verifica_scansione(percorso: Path, settings: Settings | None = None, archivio: Any = None) -> list[EsitoStampa]:
    """Every contrassegno of a scan, checked offline and, with ``archivio``, against the archive.

    A page showing the seals of two different documents is reported as a cut-and-paste."""
    settings = settings or get_settings()
    codici = [c for c in leggi_scansione(percorso) if c.testo.startswith("CR1:")]
    if not codici:
        raise RuleViolation("Nessun contrassegno CURIT trovato nella scansione: controllare che il codice "
                            "QR in basso a destra sia intero e a fuoco (almeno 150 dpi).", path=("scansione",))
    fiducia = elenco_fiducia(settings)
    esiti: list[EsitoStampa] = []
    visti: dict[tuple[int, str], EsitoStampa] = {}
    for c in codici:
        esito = verifica_testo(c.testo, settings, fiducia)
        chiave = (c.pagina, esito.sigillo.documento_id if esito.sigillo else c.testo)
        if chiave in visti:
            continue
        gia = next((e for (_p, i), e in visti.items() if i == chiave[1]), None)
        visti[chiave] = gia or esito
        if gia is None:  # the same document on several pages: reported once
            esiti.append(esito)
    per_pagina: dict[int, set[str]] = {}
    for (pagina, ident) in visti:
        per_pagina.setdefault(pagina, set()).add(ident)
    for (pagina, _ident), esito in visti.items():
        if len(per_pagina[pagina]) > 1:
            esito.valido = False
            esito.motivo = (f"la pagina {pagina} porta i contrassegni di {len(per_pagina[pagina])} documenti diversi: "
                            "codice ritagliato e incollato da un altro documento.")
    if archivio is not None:
        for esito in esiti:
            confronta_archivio(esito, archivio)
    return esiti
