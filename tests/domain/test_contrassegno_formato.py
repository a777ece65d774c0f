"""domain.contrassegno: Base45 (RFC 9285 vectors), the COSE_Sign1 payload and Italian refusals."""

from __future__ import annotations

from datetime import date, datetime, timezone

import cbor2
import pytest

from domain.contrassegno import PREFISSO, Sigillo, b45decode, b45encode, codifica, decodifica, preparazione
from domain.errors import RuleViolation


def test_base45_matches_rfc_9285_examples() -> None:
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45encode(b"base-45") == "UJCLQE7W581"
    assert b45decode("QED8WEX0") == b"ietf!"
    with pytest.raises(ValueError):
        b45decode("GGW")  # 65535 + 1: out of range (RFC 9285 §6)


def _sigillo(**kw) -> Sigillo:
    base = dict(documento_id="019a2b3c4d5e" + "ab" * 10, tipo="allegato-g", codice_impianto="020066IN0000347",
                data_documento=date(2025, 10, 14), emittente="provincia-mantova", impronta=bytes(range(32)),
                lunghezza=123456, sigillato_il=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    return Sigillo(**{**base, **kw})


def test_cose_sign1_round_trip_keeps_every_field() -> None:
    for sigillo in (_sigillo(), _sigillo(documento_id="non-esadecimale/1", codice_impianto=None)):
        protetto, payload, tbs = preparazione(sigillo, b"12345678")
        testo = codifica(protetto, payload, b"\x01" * 64)
        assert testo.startswith(PREFISSO) and set(testo[4:]) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
        letto = decodifica(testo)
        assert letto.sigillo == sigillo and letto.kid == b"12345678" and letto.firma == b"\x01" * 64
        assert letto.da_verificare() == tbs == cbor2.dumps(["Signature1", protetto, b"", payload])
        assert cbor2.loads(protetto) == {1: -7, 4: b"12345678"}  # ES256 + kid, the COSE registry values


def test_fits_a_version_11_qr_at_level_m() -> None:
    from renderers.barcode import qr_matrix

    sigillo = _sigillo(tipo="rendiconto-ente-trimestrale", emittente="provincia-monza-brianza")
    protetto, payload, _ = preparazione(sigillo, b"12345678")
    assert qr_matrix(codifica(protetto, payload, b"\0" * 64), error="M").size <= 65  # version 12 at most


@pytest.mark.parametrize("testo", ["https://esempio.it/x", "CR1:", "CR1:ÀÀ", "CR1:" + "A" * 30])
def test_anything_else_is_refused_in_italian(testo: str) -> None:
    with pytest.raises(RuleViolation) as err:
        decodifica(testo)
    assert err.value.path == ("contrassegno",)
    assert "contrassegno" in str(err.value).lower()
