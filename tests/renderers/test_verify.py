"""renderers/verify.py: tamper evidence, trust, expiry, and the JSON verdict."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from renderers.sign import Firmatario
from renderers.sign_chiavi import ChiaveSoftware
from renderers.verify import Verificatore, verifica_pdf
from tests.pki import materiale, nss_db, pdf_di_prova


@pytest.fixture(scope="module")
def pki():
    return materiale()


@pytest.fixture(scope="module")
def firmato(pki) -> bytes:
    firmatario = Firmatario.da_dispositivo(ChiaveSoftware(pki.firmatario.key, pki.firmatario.cert, [pki.ca.cert]))
    return firmatario.firma(pdf_di_prova())


def _byte_range(pdf: bytes) -> list[int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert match
    return [int(g) for g in match.groups()]


def _aggiunge_testo_alla_pagina(pdf: bytes) -> bytes:
    """Unsigned incremental update that draws extra text on page 1."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    extra = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 700 Td (ANNULLATO) Tj ET"))
    contents = page["/Contents"]
    items = list(contents) if isinstance(contents, generic.ArrayObject) else [page.raw_get("/Contents")]
    page["/Contents"] = generic.ArrayObject(items + [extra])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_firma_integra(firmato, pki):
    verdetto = verifica_pdf(firmato, trust_roots=[pki.ca.cert])
    assert verdetto.valida and verdetto.integra
    assert verdetto.sha256 == hashlib.sha256(firmato).hexdigest()
    assert verdetto.motivo.startswith("Firma valida")
    data = json.loads(json.dumps(verdetto.as_dict()))
    assert data["firmatario"] == {
        "nome": "Mario Rossi", "organizzazione": "Comune di Bergamo",
        "emittente": data["firmatario"]["emittente"],
    }
    assert "CA di prova CURIT" in data["firmatario"]["emittente"]
    assert data["firme"][0]["data_firma"]  # ISO string


def test_byte_alterato_nel_range_firmato(firmato, pki, tmp_path):
    start, len1, start2, _ = _byte_range(firmato)
    # flip a byte of the document title inside the first signed range
    pos = firmato.index(b"/Title") + 9
    assert start <= pos < start + len1
    tampered = bytearray(firmato)
    tampered[pos] ^= 0x01
    verdetto = verifica_pdf(bytes(tampered), trust_roots=[pki.ca.cert])
    assert not verdetto.valida and not verdetto.integra
    assert "alterato" in verdetto.motivo
    assert verdetto.sha256 != hashlib.sha256(firmato).hexdigest()
    # poppler agrees
    nss = nss_db(tmp_path / "nss", pki.ca)
    (tmp_path / "t.pdf").write_bytes(bytes(tampered))
    out = subprocess.run(["pdfsig", "-nssdir", nss, str(tmp_path / "t.pdf")], capture_output=True, text=True).stdout
    assert "Signature is Valid." not in out


def test_byte_alterato_nella_seconda_parte(firmato, pki):
    _, _, start2, len2 = _byte_range(firmato)
    pos = start2 + len2 // 2
    tampered = bytearray(firmato)
    tampered[pos] = ord(" ") if tampered[pos] != ord(" ") else ord("\n")
    verdetto = verifica_pdf(bytes(tampered), trust_roots=[pki.ca.cert])
    assert not verdetto.valida and not verdetto.integra


def test_aggiornamento_incrementale_che_cambia_la_pagina(firmato, pki):
    modified = _aggiunge_testo_alla_pagina(firmato)
    assert modified.startswith(firmato)
    verdetto = verifica_pdf(modified, trust_roots=[pki.ca.cert])
    assert verdetto.integra  # the signed revision itself is intact…
    assert verdetto.modificato_dopo_firma and not verdetto.valida  # …but the page was changed later
    assert "modificato dopo la firma" in verdetto.motivo


def test_radice_di_fiducia_sbagliata(firmato, pki):
    verdetto = verifica_pdf(firmato, trust_roots=[pki.altra_ca.cert])
    assert verdetto.integra and not verdetto.catena_attendibile and not verdetto.valida
    assert "non riconosciuto" in verdetto.motivo


def test_firmatario_di_altra_ca(pki):
    estraneo = Firmatario.da_dispositivo(ChiaveSoftware(pki.estraneo.key, pki.estraneo.cert, [pki.altra_ca.cert]))
    verdetto = verifica_pdf(estraneo.firma(pdf_di_prova()), trust_roots=[pki.ca.cert])
    assert not verdetto.valida and verdetto.firmatario.nome == "Paolo Verdi"
    assert "non riconosciuto" in verdetto.motivo


def test_certificato_scaduto(pki):
    scaduto = Firmatario.da_dispositivo(ChiaveSoftware(pki.scaduto.key, pki.scaduto.cert, [pki.ca.cert]))
    verdetto = verifica_pdf(scaduto.firma(pdf_di_prova()), trust_roots=[pki.ca.cert])
    assert verdetto.integra and not verdetto.valida and not verdetto.catena_attendibile
    assert "scaduto" in verdetto.motivo and "Luigi Bianchi" in verdetto.motivo


def test_senza_firma_e_non_pdf(pki):
    verdetto = verifica_pdf(pdf_di_prova(), trust_roots=[pki.ca.cert])
    assert not verdetto.valida and verdetto.firmatario is None and verdetto.firme == ()
    assert verdetto.motivo == "Il documento non contiene firme digitali."
    verdetto = verifica_pdf(b"%PDF-1.7\nspazzatura", trust_roots=[pki.ca.cert])
    assert not verdetto.valida and "non è un PDF" in verdetto.motivo


def test_radici_in_pem_e_der_e_riuso(firmato, pki):
    from cryptography.hazmat.primitives import serialization

    pem = pki.ca.cert.public_bytes(serialization.Encoding.PEM)
    der = pki.ca.cert.public_bytes(serialization.Encoding.DER)
    verificatore = Verificatore([pem])
    assert verificatore.verifica(firmato).valida
    assert verificatore.verifica(firmato).valida  # same parsed roots, fresh context each time
    assert Verificatore([der]).verifica(firmato).valida


def test_seconda_firma_invalida_decide_il_verdetto(firmato, pki):
    estraneo = Firmatario.da_dispositivo(ChiaveSoftware(pki.estraneo.key, pki.estraneo.cert, [pki.altra_ca.cert]))
    doppio = estraneo.firma(firmato)
    verdetto = verifica_pdf(doppio, trust_roots=[pki.ca.cert])
    assert [f.valida for f in verdetto.firme] == [True, False]
    assert not verdetto.valida and verdetto.firmatario.nome == "Paolo Verdi"
