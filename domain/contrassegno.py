"""The contrassegno a stampa (CAD art. 23-ter c.5; AgID Circolare 62/2013): format of the seal.

A seal is a COSE_Sign1 structure (RFC 9052) in CBOR, signed ES256 (ECDSA P-256 / SHA-256) by
the seal key of the issuing organisation, carried in a QR code as ``CR1:`` + Base45 (RFC 9285:
the QR alphanumeric mode, read identically by every scanner and phone).

Payload (CBOR map, small integer keys to stay compact)::

    1: documento id (bytes if hex)  5: emittente id (text: provincia-mantova, CAIT-MN-01, regione)
    2: tipo (text: allegato-g)      6: SHA-256 of the content revision of the archived PDF (32 bytes)
    3: codice impianto (text|null)  7: length in bytes of that content revision
    4: data documento (YYYYMMDD)    8: sealed at (seconds since 1970, UTC)

Protected header: ``{1: -7 (ES256), 4: kid}`` where ``kid`` is the first 8 bytes of the SHA-256
of the public key (SubjectPublicKeyInfo DER). See docs/parts/contrassegno.md for why the hash
covers the *content revision* (the archived PDF is that revision + the seal overlay + the PAdES
signature, each an incremental update).

Pure format: no keys, no I/O (signing and verification live in ``service.contrassegno``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

import cbor2

from domain.errors import RuleViolation

__all__ = [
    "STAMPATI",
    "PREFISSO",
    "ALG_ES256",
    "Sigillo",
    "Contrassegno",
    "b45encode",
    "b45decode",
    "codifica",
    "decodifica",
    "da_firmare",
    "preparazione",
]

STAMPATI = frozenset({"etichette", "targhe"})
"""Print stock, not copies of an archived document: never sealed. A plate carries its own QR with the
codice impianto (``/verifica/impianto/<codice>``), an etichetta its number (``etichette verifica``)."""

PREFISSO = "CR1:"
"""Prefix of a seal in a QR code (version 1 of the format)."""
ALG_ES256 = -7
_COSE_SIGN1_TAG = 18
_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_IDX = {c: i for i, c in enumerate(_B45)}


def b45encode(data: bytes) -> str:
    """RFC 9285 Base45."""
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out += [_B45[c], _B45[d], _B45[e]]
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += [_B45[c], _B45[d]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    """RFC 9285 Base45; ``ValueError`` on anything that is not valid Base45."""
    try:
        vals = [_B45_IDX[c] for c in text]
    except KeyError:
        raise ValueError("carattere non Base45") from None
    out = bytearray()
    for i in range(0, len(vals), 3):
        chunk = vals[i:i + 3]
        if len(chunk) == 3:
            n = chunk[0] + chunk[1] * 45 + chunk[2] * 2025
            if n > 0xFFFF:
                raise ValueError("Base45 fuori intervallo")
            out += n.to_bytes(2, "big")
        elif len(chunk) == 2:
            n = chunk[0] + chunk[1] * 45
            if n > 0xFF:
                raise ValueError("Base45 fuori intervallo")
            out.append(n)
        else:
            raise ValueError("lunghezza Base45 non valida")
    return bytes(out)


@dataclass(frozen=True)
class Sigillo:
    """What a seal certifies."""

    documento_id: str
    tipo: str
    codice_impianto: str | None
    data_documento: date
    emittente: str
    impronta: bytes
    """SHA-256 of the content revision of the archived PDF."""
    lunghezza: int
    """Bytes of that content revision (the archived PDF's first ``lunghezza`` bytes)."""
    sigillato_il: datetime

    def payload(self) -> bytes:
        ident: str | bytes = self.documento_id
        if re.fullmatch(r"(?:[0-9a-f]{2})+", ident):  # hex ids travel as bytes (half the size)
            ident = bytes.fromhex(ident)
        giorno = self.data_documento
        return cbor2.dumps({
            1: ident, 2: self.tipo, 3: self.codice_impianto, 4: giorno.year * 10000 + giorno.month * 100 + giorno.day,
            5: self.emittente, 6: self.impronta, 7: self.lunghezza, 8: int(self.sigillato_il.timestamp()),
        })

    @classmethod
    def da_payload(cls, data: bytes) -> Sigillo:
        m = cbor2.loads(data)
        if not isinstance(m, dict):
            raise ValueError("payload non è una mappa")
        impronta = m.get(6)
        if not isinstance(impronta, bytes) or len(impronta) != 32:
            raise ValueError("impronta mancante")
        for k, t in ((1, (str, bytes)), (2, str), (4, int), (5, str), (7, int), (8, int)):
            if not isinstance(m.get(k), t):
                raise ValueError(f"campo {k} mancante")
        if m.get(3) is not None and not isinstance(m[3], str):
            raise ValueError("codice impianto non valido")
        ident = m[1].hex() if isinstance(m[1], bytes) else m[1]
        giorno = date(m[4] // 10000, m[4] // 100 % 100, m[4] % 100)
        return cls(ident, m[2], m.get(3), giorno, m[5], impronta, m[7], datetime.fromtimestamp(m[8], timezone.utc))


@dataclass(frozen=True)
class Contrassegno:
    """A decoded (not yet verified) seal."""

    sigillo: Sigillo
    kid: bytes
    protetto: bytes
    payload: bytes
    firma: bytes

    def da_verificare(self) -> bytes:
        """The COSE Sig_structure the signature covers."""
        return da_firmare(self.protetto, self.payload)


def _protetto(kid: bytes) -> bytes:
    return cbor2.dumps({1: ALG_ES256, 4: kid})


def da_firmare(protetto: bytes, payload: bytes) -> bytes:
    """COSE Sig_structure for COSE_Sign1 (RFC 9052 §4.4), empty external AAD."""
    return cbor2.dumps(["Signature1", protetto, b"", payload])


def preparazione(sigillo: Sigillo, kid: bytes) -> tuple[bytes, bytes, bytes]:
    """(protected header, payload, bytes to sign) for ``sigillo`` under key ``kid``."""
    protetto, payload = _protetto(kid), sigillo.payload()
    return protetto, payload, da_firmare(protetto, payload)


def codifica(protetto: bytes, payload: bytes, firma: bytes) -> str:
    """COSE_Sign1 → the text of the QR code."""
    cose = cbor2.dumps(cbor2.CBORTag(_COSE_SIGN1_TAG, [protetto, {}, payload, firma]))
    return PREFISSO + b45encode(cose)


def decodifica(testo: str) -> Contrassegno:
    """Text of a QR code → :class:`Contrassegno` (signature not checked); Italian ``RuleViolation``."""
    if not testo.startswith(PREFISSO):
        raise RuleViolation("Il codice letto non è un contrassegno CURIT.", path=("contrassegno",))
    try:
        obj = cbor2.loads(b45decode(testo[len(PREFISSO):]))
        if not isinstance(obj, cbor2.CBORTag) or obj.tag != _COSE_SIGN1_TAG:
            raise ValueError("non COSE_Sign1")
        protetto, _non_protetto, payload, firma = obj.value
        header = cbor2.loads(protetto)
        if header.get(1) != ALG_ES256 or not isinstance(header.get(4), bytes):
            raise ValueError("algoritmo non supportato")
        return Contrassegno(Sigillo.da_payload(payload), header[4], protetto, payload, firma)
    except (ValueError, TypeError, KeyError, AttributeError, cbor2.CBORDecodeError) as exc:
        raise RuleViolation(f"Contrassegno illeggibile o alterato ({exc}).", path=("contrassegno",)) from None
