"""Signing identities per organisation (Regione, Ente, CAIT), loaded once from configuration.

An identity is a name (``regione``, ``ente-bergamo``, ``cait-12``) and key material in
``Settings.identita_dir`` (outside the repository; ``var/`` is git-ignored):

- ``<nome>.p12`` (or ``.pfx``): PKCS#12 with key, certificate and chain; or
- ``<nome>/chiave.pem`` + ``<nome>/catena.pem``: PEM key and chain, signer's certificate first.

Passwords come only from ``CURIT_IDENTITA_PASSWORD`` (a JSON object name → password, kept as a
``SecretStr``). Keys, passwords and file contents are never logged nor stored in the database:
logs and errors name the identity and the certificate subject only.

``crea_identita_demo`` makes a throw-away CA and signer for trying the product; their subjects
say ``SOLO DEMO - NON PER PRODUZIONE``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import shutil
import tempfile
from typing import TYPE_CHECKING

from domain.errors import NotFound, RuleViolation
from renderers.errors import SigningError
from service.settings import Settings, get_settings

if TYPE_CHECKING:  # the signing stack (pyHanko, cryptography) is imported when a key is loaded or made
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    from renderers.sign import Firmatario
    from renderers.sign_chiavi import ChiaveSoftware

__all__ = [
    "DEMO_OU",
    "IdentitaDemo",
    "carica_identita",
    "crea_identita_demo",
    "elenca_identita",
    "nome_identita",
    "richiedi_identita",
    "svuota_cache",
]

log = logging.getLogger(__name__)

DEMO_OU = "SOLO DEMO - NON PER PRODUZIONE"
"""Organisational unit written in every demo certificate."""

_NOME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_cache: dict[tuple[Path, str, str | None], Firmatario] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class IdentitaDemo:
    """Files written by ``crea_identita_demo``."""

    nome: str
    cartella: Path
    chiave: Path
    catena: Path
    ca: Path
    """The demo CA certificate: add it to ``CURIT_TRUST_ROOTS`` to have demo signatures verified."""


def nome_identita(organizzazione: str, codice: str | None = None) -> str:
    """Conventional identity name: ``regione``, ``ente-<codice>``, ``cait-<codice>``."""
    tipo = organizzazione.lower()
    if tipo not in ("regione", "ente", "cait"):
        raise RuleViolation("Organizzazione non valida: usare regione, ente o cait.", path=("organizzazione",))
    nome = tipo if tipo == "regione" else f"{tipo}-{str(codice or '').lower()}"
    return _valida_nome(nome)


def carica_identita(nome: str, settings: Settings | None = None) -> Firmatario:
    """The loaded ``Firmatario`` of identity ``nome`` (parsed once per process, then reused)."""
    settings = settings or get_settings()
    nome = _valida_nome(nome)
    key = (settings.identita_dir.resolve(), nome, settings.tsa_url)
    with _lock:
        if key not in _cache:
            from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

            from renderers.sign import Firmatario

            chiave = _leggi_chiave(nome, settings)
            timestamper = RequestsHTTPTimeStamper(settings.tsa_url, timeout=10) if settings.tsa_url else None
            _cache[key] = Firmatario.da_dispositivo(chiave, timestamper=timestamper)
            log.info("identità di firma %s caricata: %r", nome, chiave)
        return _cache[key]


def svuota_cache() -> None:
    """Forget loaded identities (after a key rotation)."""
    with _lock:
        _cache.clear()


def elenca_identita(settings: Settings | None = None) -> list[str]:
    """Names of the identities found in ``identita_dir``."""
    base = (settings or get_settings()).identita_dir
    if not base.is_dir():
        return []
    nomi = {p.stem for p in base.iterdir() if p.suffix in (".p12", ".pfx") and p.is_file()}
    nomi |= {p.name for p in base.iterdir() if (p / "chiave.pem").is_file() and (p / "catena.pem").is_file()}
    return sorted(n for n in nomi if _NOME.match(n))


def crea_identita_demo(nome: str, directory: Path, *, giorni: int = 365) -> IdentitaDemo:
    """Write a throw-away CA and a signer for ``nome`` below ``directory/nome`` (key file 0600)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    nome = _valida_nome(nome)
    cartella = directory / nome
    if (cartella / "chiave.pem").exists():
        raise RuleViolation(f"L'identità {nome} esiste già: sceglierne un altro nome.", path=("nome",))
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _demo_name(f"CA demo CURIT ({nome})")
    ca = (
        _builder(ca_name, ca_name, ca_key, now, now + dt.timedelta(days=giorni + 1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        _builder(_demo_name(f"Firmatario demo {nome}"), ca_name, key, now, now + dt.timedelta(days=giorni))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cartella.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    ca_path, catena, chiave = cartella / "ca-demo.pem", cartella / "catena.pem", cartella / "chiave.pem"
    ca_path.write_bytes(ca.public_bytes(pem))
    catena.write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    fd = os.open(chiave, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    log.warning("creata l'identità demo %s (%s)", nome, DEMO_OU)
    return IdentitaDemo(nome=nome, cartella=cartella, chiave=chiave, catena=catena, ca=ca_path)


def richiedi_identita(nome: str, denominazione: str, settings: Settings) -> None:
    """Identity ``nome`` (of ``denominazione``) is installed, or made now in demo mode; otherwise
    the Italian error that says where to install it. Files only: nothing is parsed, so that a
    batch job checks its signer before printing without importing the signing stack (the key is
    loaded, and a broken one refused, when it first signs)."""
    if _file(_valida_nome(nome), settings.identita_dir) is not None:
        return
    if not settings.demo:
        raise SigningError(
            f"Nessuna identità di firma configurata per {denominazione}: installare "
            f"{nome}.p12 oppure {nome}/chiave.pem e {nome}/catena.pem nella "
            f"cartella delle identità ({settings.identita_dir}). Il documento non è stato emesso. "
            "Per provare il prodotto con firme dimostrative: modalità demo (CURIT_DEMO=1, "
            "curit-docs serve --demo).",
            path=("emittente",),
        )
    crea_demo_in_posto(nome, settings.identita_dir)


def _file(nome: str, base: Path) -> tuple[Path] | tuple[Path, Path] | None:
    """The files of identity ``nome`` in ``base``: its PKCS#12, or its PEM key and chain; None when
    absent."""
    for ext in (".p12", ".pfx"):
        if (base / f"{nome}{ext}").is_file():
            return (base / f"{nome}{ext}",)
    chiave, catena = base / nome / "chiave.pem", base / nome / "catena.pem"
    return (chiave, catena) if chiave.is_file() and catena.is_file() else None


def crea_demo_in_posto(nome: str, base: Path) -> None:
    """Create the demo identity ``nome`` in a private temporary folder and move it into place
    in one rename, so two processes never mix the key of one with the chain of the other."""
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{nome}-", dir=base))
    try:
        crea_identita_demo(nome, tmp)
        try:
            os.rename(tmp / nome, base / nome)
        except OSError:
            if not (base / nome / "chiave.pem").is_file():
                raise SigningError(f"Impossibile creare l'identità di firma demo {nome}.") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _leggi_chiave(nome: str, settings: Settings) -> ChiaveSoftware:
    from renderers.sign_chiavi import carica_pem, carica_pkcs12

    file = _file(nome, settings.identita_dir)
    password = _password(nome, settings)
    if file is not None and len(file) == 1:
        return carica_pkcs12(_leggi(file[0], nome), password)
    if file is not None:
        return carica_pem(_leggi(file[0], nome), _leggi(file[1], nome), password)
    raise NotFound(
        f"Identità di firma {nome} non trovata: attesi {nome}.p12 oppure {nome}/chiave.pem e "
        f"{nome}/catena.pem nella cartella delle identità.",
        path=("identita",),
    )


def _password(nome: str, settings: Settings) -> bytes | None:
    if settings.identita_password is None:
        return None
    try:
        mapping = json.loads(settings.identita_password.get_secret_value())
    except json.JSONDecodeError:
        raise SigningError(
            "CURIT_IDENTITA_PASSWORD non è un oggetto JSON valido (nome identità → password)."
        ) from None  # never chain: the cause would quote the secret
    if not isinstance(mapping, dict):
        raise SigningError("CURIT_IDENTITA_PASSWORD deve essere un oggetto JSON (nome identità → password).")
    value = mapping.get(nome)
    return str(value).encode() if value else None


def _leggi(path: Path, nome: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SigningError(f"Impossibile leggere i file dell'identità di firma {nome}.") from exc


def _valida_nome(nome: str) -> str:
    if not _NOME.match(nome):
        raise RuleViolation(
            "Nome identità non valido: lettere minuscole, cifre, '-' o '_' (al massimo 63 caratteri).",
            path=("identita",),
        )
    return nome


def _demo_name(cn: str) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "curit-docs demo"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEMO_OU),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _builder(
    subject: x509.Name, issuer: x509.Name, key: rsa.RSAPrivateKey, start: dt.datetime, end: dt.datetime
) -> x509.CertificateBuilder:
    from cryptography import x509

    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - dt.timedelta(minutes=5))
        .not_valid_after(end)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
