"""Sign and verify with the configured identities and trust list (used by the CLI and the archive).

- ``firma_documento(pdf, identita)``: one document, PAdES B-B, or B-T when ``CURIT_TSA_URL`` is set,
  or the level of ``CURIT_FIRMA_LIVELLO`` (B-LT, B-LTA: validation data embedded, document timestamp);
  the signature is visible when the document type is listed in ``CURIT_FIRMA_VISIBILE_TIPI``.
- ``firma_lotto(pdfs, identita)``: many per-record archival PDFs with one loaded key, chain and
  TSA client; a merged print PDF is just one document and is signed once with ``firma_documento``.
- ``verifica_documento(pdf)``: the verdict against ``CURIT_TRUST_ROOTS`` (the archive calls it on
  every retrieval and records ``sha256`` and the verdict in its index).
- ``FirmeProprie``: the verdict at archiving time of a PDF this process (or one of its own worker
  processes) signed a moment ago, by hash instead of a second full verification; the first PDF of
  each identity is verified in full and its verdict is the template. Retrieval and the archive
  audit (``curit-docs archivio verifica``) always verify in full.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from functools import lru_cache
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography import x509

from renderers.errors import SigningError
from renderers.sign import AspettoFirma, FirmaSpec, Firmatario, Livello
from renderers.verify import VerdettoFirma, Verificatore
from service.identita import carica_identita
from service.settings import Settings, get_settings

__all__ = ["firma_documento", "firma_lotto", "verifica_documento", "spec_per_tipo", "verificatore", "FirmeProprie"]

FONT_FIRMA = Path("titillium-web") / "TitilliumWeb-latin-400-normal.ttf"
"""Font of the visible signature, below ``Settings.fonts_dir``."""

_verificatori: dict[tuple[Path, ...], Verificatore] = {}
_lock = threading.Lock()


def spec_per_tipo(
    tipo: str | None,
    *,
    visibile: bool | None = None,
    motivo: str | None = None,
    luogo: str | None = None,
    livello: Livello | None = None,
    settings: Settings | None = None,
) -> FirmaSpec:
    """The signature spec of a document type; ``visibile`` overrides the configured choice,
    ``livello`` the configured PAdES level (``CURIT_FIRMA_LIVELLO``)."""
    settings = settings or get_settings()
    if livello in (None, "auto"):
        livello = settings.firma_livello
    if visibile is None:
        visibile = tipo is not None and tipo in settings.firma_visibile_tipi
    aspetto = AspettoFirma(font=_font(settings.fonts_dir / FONT_FIRMA)) if visibile else None
    return FirmaSpec(
        campo="FirmaEnte",
        motivo=motivo or "Emissione del documento (CURIT - Regione Lombardia)",
        luogo=luogo,
        aspetto=aspetto,
        livello=livello,
    )


def firma_documento(
    pdf: bytes,
    identita: str | Firmatario,
    *,
    tipo: str | None = None,
    spec: FirmaSpec | None = None,
    settings: Settings | None = None,
) -> bytes:
    """Sign one PDF with the named identity (or an already loaded ``Firmatario``)."""
    settings = settings or get_settings()
    firmatario = _in_corso_di_validita(identita if isinstance(identita, Firmatario) else carica_identita(identita, settings))
    return firmatario.firma(pdf, spec or spec_per_tipo(tipo, settings=settings))


def firma_lotto(
    pdfs: Iterable[bytes],
    identita: str | Firmatario,
    *,
    tipo: str | None = None,
    settings: Settings | None = None,
) -> Iterator[bytes]:
    """Sign each PDF of a batch, loading the identity and building the spec once."""
    settings = settings or get_settings()
    firmatario = _in_corso_di_validita(identita if isinstance(identita, Firmatario) else carica_identita(identita, settings))
    spec = spec_per_tipo(tipo, settings=settings)
    for pdf in pdfs:
        yield firmatario.firma(pdf, spec)


def verificatore(settings: Settings | None = None) -> Verificatore:
    """The ``Verificatore`` of the configured trust list (roots parsed once per process)."""
    settings = settings or get_settings()
    radici = radici_attendibili(settings)
    key = tuple(p.resolve() for p in radici)
    with _lock:
        if key not in _verificatori:
            _verificatori[key] = Verificatore(_carica_radici(radici))
        return _verificatori[key]


def radici_attendibili(settings: Settings) -> tuple[Path, ...]:
    """The trust list: ``CURIT_TRUST_ROOTS``, plus — in demo mode only — the throw-away demo CAs
    under ``CURIT_IDENTITA_DIR`` so a newcomer's demo documents verify. Production (demo off)
    trusts exactly the configured roots."""
    radici = tuple(settings.trust_roots)
    if settings.demo and settings.identita_dir.is_dir():
        radici += tuple(sorted(settings.identita_dir.glob("*/ca-demo.pem")))
    return radici


def verifica_documento(pdf: bytes, *, settings: Settings | None = None) -> VerdettoFirma:
    """Verify every signature of ``pdf`` against the configured trust list."""
    return verificatore(settings).verifica(pdf)


def _in_corso_di_validita(firmatario: Firmatario) -> Firmatario:
    """Refuse to issue documents whose signature would already be invalid (expired certificate)."""
    validity = firmatario.certificato["tbs_certificate"]["validity"]
    now = datetime.now(timezone.utc)
    if now > validity["not_after"].native:
        raise SigningError(
            f"Il certificato di firma di {firmatario.nome} è scaduto il "
            f"{validity['not_after'].native:%d/%m/%Y}: rinnovare l'identità prima di firmare."
        )
    if now < validity["not_before"].native:
        raise SigningError(f"Il certificato di firma di {firmatario.nome} non è ancora valido.")
    return firmatario


@lru_cache(maxsize=4)
def _font(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SigningError("Il carattere per la firma visibile non è disponibile.") from exc


def _carica_radici(paths: Iterable[Path]) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SigningError(f"Elenco di fiducia: impossibile leggere il file {path}.") from exc
        try:
            roots.extend(
                x509.load_pem_x509_certificates(data) if b"-----BEGIN" in data else [x509.load_der_x509_certificate(data)]
            )
        except ValueError as exc:
            raise SigningError(f"Elenco di fiducia: il file {path} non contiene certificati leggibili.") from exc
    return roots


_DATA_FIRMA = re.compile(rb"/M\s*\(D(?::|\\072)(\d{14})([Zz]|[+-]\d{2}'?\d{2}'?)?")
_TEMPLATE_S = 600.0
"""How long a full verification serves as the template of an identity's verdicts."""


def _data_firma(pdf: bytes) -> datetime | None:
    """The signing time ``/M`` of the last signature dictionary (at the end of the file)."""
    trovate = _DATA_FIRMA.findall(pdf[-40_000:])
    if not trovate:
        return None
    cifre, zona = trovate[-1]
    quando = datetime.strptime(cifre.decode(), "%Y%m%d%H%M%S")
    zona = zona.decode().replace("'", "")
    if zona in ("", "Z", "z"):
        return quando.replace(tzinfo=timezone.utc)
    segno = 1 if zona[0] == "+" else -1
    offset = timedelta(hours=int(zona[1:3]), minutes=int(zona[3:5] or 0)) * segno
    return (quando - offset).replace(tzinfo=timezone.utc)


def _testo_data(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%d/%m/%Y alle %H:%M:%S UTC")


class VerdettoProprio:
    """The verdict of a PDF signed a moment ago by this process: the identity's full verdict with
    this file's hash and signing time; ``as_dict`` says it was checked by hash."""

    def __init__(self, verdetto: VerdettoFirma, come_dict: dict[str, Any]) -> None:
        self._verdetto = verdetto
        self._dict = come_dict
        self.valida = verdetto.valida

    def __getattr__(self, name: str) -> Any:
        return getattr(self._verdetto, name)

    def as_dict(self) -> dict[str, Any]:
        return {**self._dict, "verifica": "impronta di una firma appena apposta da questo servizio"}


class FirmeProprie:
    """Verdicts of PDFs signed by this process (``registra``), by SHA-256 instead of a second
    full verification; any other PDF goes through ``verifica`` (the full check).

    Per identity, the first registered PDF is verified in full (at most every ten minutes): the
    template keeps trust list, certificate validity and field name honest; each later PDF of the
    same identity gets that verdict with its own hash and signing time (read from the ``/M`` entry
    the signature appended). Bounded: the oldest hashes are forgotten first.
    """

    def __init__(self, verifica: Callable[[bytes], Any], *, capienza: int = 8192) -> None:
        self.verifica = verifica
        self._capienza = capienza
        self._attese: OrderedDict[str, str] = OrderedDict()
        self._modelli: dict[str, tuple[float, Any, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.per_impronta = 0
        """How many verdicts came from the hash (the rest were full verifications)."""

    def registra(self, pdf: bytes, identita: str) -> str:
        """Remember that ``identita`` signed ``pdf`` just now; returns its SHA-256."""
        sha = hashlib.sha256(pdf).hexdigest()
        with self._lock:
            self._attese[sha] = identita
            self._attese.move_to_end(sha)
            while len(self._attese) > self._capienza:
                self._attese.popitem(last=False)
        return sha

    def __call__(self, pdf: bytes) -> Any:
        sha = hashlib.sha256(pdf).hexdigest()
        with self._lock:
            identita = self._attese.pop(sha, None)
            modello = self._modelli.get(identita) if identita else None
        adesso = time.monotonic()
        if identita is None:
            return self.verifica(pdf)
        if modello is None or adesso - modello[0] > _TEMPLATE_S:
            verdetto = self.verifica(pdf)
            # a template only for a plain B-B verdict: a timestamp (B-T) differs in every file
            if (verdetto.valida and len(verdetto.firme) == 1 and verdetto.firme[0].data_firma
                    and verdetto.marca_temporale is None):
                with self._lock:
                    self._modelli[identita] = (adesso, verdetto, verdetto.as_dict())
            return verdetto
        base: VerdettoFirma = modello[1]
        quando = _data_firma(pdf)
        if quando is None:
            return self.verifica(pdf)
        esito = base.firme[0]
        motivo = esito.motivo.replace(_testo_data(esito.data_firma), _testo_data(quando))
        nuovo = replace(esito, data_firma=quando, motivo=motivo)
        # the template's JSON with this file's values (dataclasses.asdict costs ~20 ms a verdict)
        come_dict = dict(modello[2])
        firma_json = {**come_dict["firme"][0], "data_firma": quando.isoformat(), "motivo": motivo}
        come_dict.update(sha256=sha, motivo=motivo, firme=[firma_json])
        with self._lock:
            self.per_impronta += 1
        return VerdettoProprio(replace(base, sha256=sha, firme=(nuovo,), motivo=motivo), come_dict)
