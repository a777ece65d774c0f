"""Allegati E1 and E2 (FORMS.md §5, §6), and the checks every comunicazione shares.

``ModuloComunicazione`` holds the checks of E1, E2, H, I, L and M: every printed label and
verbatim text of the form's FORMS.md section (read by ``tests.forms.spec``, never
hand-picked) in the filled and in the blank form, A4 page, embedded fonts, the
``dati.json`` round trip, the facsimile/normalised difference. Each form renders three
times per test run (class-scoped fixtures): filled facsimile, filled normalised, blank.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any, ClassVar

import pytest

from domain.errors import ValidationFailed
from renderers.errors import RenderError
from renderers.pdf import read_attachment
from service.produce import render_document, validate
from service.registry import get_document_type
from tests.forms.spec import (
    fragments,
    label_fragments,
    missing,
    pdftotext_layout,
    pdftotext_raw,
    printed_lines,
    section,
    verbatim_blocks,
)


# --- what FORMS.md says is printed -----------------------------------------------------------

def didascalia(heading: str) -> str:
    """The caption given in backticks in the identity part of a form's section."""
    for line in section(heading):
        if m := re.search(r"[Cc]aption[^`]*`([^`]+)`", line):
            return m.group(1)
    raise AssertionError(f"no caption under {heading}")


def titoli_sezioni(heading: str) -> list[str]:
    """Fragments of the numbered section titles ("1.4. GENERATORI DI CALORE") of the § column."""
    out: list[str] = []
    for line in section(heading):
        cell = line.strip().strip("|").split("|")[0].strip() if line.lstrip().startswith("|") else ""
        if re.match(r"^\d+\.\d+\.", cell):
            out.extend(fragments(cell))
    return out


def righe_fisse(heading: str) -> list[str]:
    """Backticked printed texts of a layout section: the Oggetto line and the sender block labels."""
    out: list[str] = []
    for line in section(heading):
        out += re.findall(r"`(Oggetto:[^`]+)`", line)
        if "Sender block" in line:
            for quoted in re.findall(r"`([^`]+)`", line):
                out.extend(fragments(quoted))
    return out


def linee_stampate(heading: str) -> list[str]:
    """Fragments of the fenced "as printed" blocks (titles, addressee, committente, footnotes)."""
    return [f for line in printed_lines(heading) for f in fragments(line)]


def verbatim_stampati(heading: str) -> list[str]:
    """Fragments of the VERBATIM blocks of a layout section (placeholders split them)."""
    return [f for block in verbatim_blocks(heading) for f in fragments(block.text)]


# --- real tools on the rendered PDF ------------------------------------------------------------

def pdfinfo(pdf: bytes) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines()) if v}


def font_non_incorporati(pdf: bytes) -> list[str]:
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    rows = out.splitlines()[2:]
    assert rows, "pdffonts found no font"
    # columns: name type encoding emb sub uni object ID; "emb" is the 4th field from the right end
    return [r for r in rows if r.split()[-5] != "yes"]


def estratti(pdf: bytes) -> tuple[str, str]:
    return pdftotext_layout(pdf), pdftotext_raw(pdf)


class ModuloComunicazione:
    """Checks every comunicazione passes.

    A subclass sets ``codice`` and defines ``etichette() -> list[str]``: the printed texts its
    FORMS.md sections require, built from the spec with the helpers above.
    """

    codice: ClassVar[str]
    aggiunte_normalizzate: ClassVar[tuple[str, ...]] = ()
    """Texts only the normalised mode prints (optional blocks of FORMS.md §0.6, AMB-39/41)."""
    assenti: ClassVar[tuple[str, ...]] = ()
    """Texts of sibling forms that this form must not print."""
    barrabile: ClassVar[bool] = True
    """The form has fields that may be BARRATO, and its example uses some."""

    @pytest.fixture(scope="class")
    @classmethod
    def esempio(cls) -> dict[str, Any]:
        return get_document_type(cls.codice).example()

    @pytest.fixture(scope="class")
    @classmethod
    def pieno(cls, esempio: dict[str, Any]) -> bytes:
        return render_document(cls.codice, esempio, modo="facsimile")

    @pytest.fixture(scope="class")
    @classmethod
    def normalizzato(cls, esempio: dict[str, Any]) -> bytes:
        return render_document(cls.codice, esempio, modo="normalizzato")

    @pytest.fixture(scope="class")
    @classmethod
    def vuoto(cls) -> bytes:
        return render_document(cls.codice, None, modo="facsimile")

    def test_etichette_del_modulo_vuoto(self, vuoto: bytes) -> None:
        assert missing(self.etichette(), *estratti(vuoto)) == []

    def test_etichette_del_modulo_compilato(self, pieno: bytes, normalizzato: bytes) -> None:
        assert missing(self.etichette(), *estratti(pieno)) == []
        assert missing(self.etichette(), *estratti(normalizzato)) == []

    def test_testi_di_altri_modelli_assenti(self, pieno: bytes, vuoto: bytes) -> None:
        for pdf in (pieno, vuoto):
            assert [t for t in self.assenti if t not in missing([t], *estratti(pdf))] == []

    def test_a4_verticale_una_pagina(self, pieno: bytes, vuoto: bytes, normalizzato: bytes) -> None:
        for pdf in (pieno, vuoto, normalizzato):
            info = pdfinfo(pdf)
            assert info["Page size"].startswith("595.27") or info["Page size"].startswith("595.28")
            assert "(A4)" in info["Page size"]
            assert info["Pages"] == "1"

    def test_tutti_i_font_incorporati(self, pieno: bytes, vuoto: bytes) -> None:
        assert font_non_incorporati(pieno) == []
        assert font_non_incorporati(vuoto) == []

    def test_dati_json_andata_e_ritorno(self, pieno: bytes, esempio: dict[str, Any]) -> None:
        doc = get_document_type(self.codice)
        allegato = json.loads(read_attachment(pieno))
        assert allegato["tipo"] == self.codice and allegato["modo"] == "facsimile"
        atteso = validate(doc, esempio).model_dump(mode="json")
        assert allegato["dati"] == atteso
        assert validate(doc, allegato["dati"]) == validate(doc, esempio)

    def test_modulo_vuoto_senza_dati(self, vuoto: bytes) -> None:
        with pytest.raises(RenderError):
            read_attachment(vuoto)

    def test_barrato_disegnato_non_scritto(self, esempio: dict[str, Any], pieno: bytes) -> None:
        assert ("BARRATO" in json.dumps(esempio)) == self.barrabile, "the example must exercise BARRATO"
        assert "BARRATO" not in pdftotext_raw(pieno)

    def test_aggiunte_solo_in_normalizzato(self, pieno: bytes, normalizzato: bytes) -> None:
        assert missing(list(self.aggiunte_normalizzate), *estratti(normalizzato)) == []
        for testo in self.aggiunte_normalizzate:
            assert missing([testo], *estratti(pieno)) == [testo]


def errori(codice: str, data: dict[str, Any]) -> dict[tuple[str | int, ...], str]:
    """Validate ``data`` for ``codice``; the Italian messages keyed by field path (joined by " | ")."""
    with pytest.raises(ValidationFailed) as info:
        validate(get_document_type(codice), data)
    out: dict[tuple[str | int, ...], str] = {}
    for e in info.value.errors:
        out[e.path] = f"{out[e.path]} | {e.message}" if e.path in out else e.message
    return out


# --- E1 and E2 --------------------------------------------------------------------------------

class TestAllegatoE1(ModuloComunicazione):
    codice = "allegato-e1"
    assenti = ("Categoria:", "AMMINISTRATORE")

    def etichette(self) -> list[str]:
        return ([didascalia("### 5.1")] + titoli_sezioni("### 5.2") + label_fragments("### 5.2")
                + linee_stampate("### 5.2"))


class TestAllegatoE2(ModuloComunicazione):
    codice = "allegato-e2"
    assenti = ("Scala", "Interno", "OCCUPANTE")

    def etichette(self) -> list[str]:
        return ([didascalia("### 6.1")] + titoli_sezioni("### 6.2") + label_fragments("### 6.2")
                + linee_stampate("### 6.2") + linee_stampate("### 5.2"))


@pytest.mark.parametrize(
    ("codice", "campo", "valore", "parole"),
    [
        ("allegato-e1", "pot_focolare_kw", "35", ("Potenza termica del focolare nominale (kW)", "Allegato E2")),
        ("allegato-e1", "pot_focolare_kw", "120", ("inferiore a 35 kW", "Allegato E2")),
        ("allegato-e2", "pot_totale_kw", "34.9", ("nominale totale (kW)", "Allegato E1")),
        ("allegato-e2", "pot_totale_kw", "0", ("maggiore di zero",)),
    ],
)
def test_potenza_fuori_dal_modello(codice: str, campo: str, valore: str, parole: tuple[str, ...]) -> None:
    data = get_document_type(codice).example() | {campo: valore}
    messaggio = errori(codice, data)[(campo,)]
    assert all(p in messaggio for p in parole), messaggio


def test_e1_numero_catasto_facoltativo() -> None:
    """AMB-27: the scheda of a first notification has no catasto number yet."""
    doc = get_document_type("allegato-e1")
    assert validate(doc, doc.example() | {"codice_catasto": None}).codice_catasto is None


@pytest.mark.parametrize(
    ("codice", "modifiche", "campo", "parola"),
    [
        ("allegato-e1", {"comune": "Bergamo"}, ("comune",), "Brescia"),
        ("allegato-e1", {"provincia": "MI"}, ("provincia",), "Brescia"),
        ("allegato-e1", {"cap": "2512"}, ("cap",), "CAP"),
        ("allegato-e1", {"codice_catasto": "017029XX0000001"}, ("codice_catasto",), "Codice impianto non valido"),
        ("allegato-e1", {"data": "2026-10-01"}, ("data",), "data di installazione"),
        ("allegato-e1", {"ruolo_ditta": None}, ("ruolo_ditta",), "MANUTENTORE"),
        ("allegato-e1", {"dal": None}, ("dal",), "DAL"),
        ("allegato-e1", {"al": "2026-01-01"}, ("al",), "AL"),
        ("allegato-e1", {"occupante": None}, ("occupante",), "occupante"),
        ("allegato-e1", {"evacuazione": "Comignolo"}, ("evacuazione",), "Valore non ammesso"),
        ("allegato-e2", {"altro_testo": "serra"}, ("altro_testo",), "altro"),
        ("allegato-e2", {"destinazione": ["altro"]}, ("altro_testo",), "descrivere"),
        ("allegato-e2", {"categoria": "E.9"}, ("categoria",), "Valore non ammesso"),
        ("allegato-e2", {"n_generatori": 0}, ("n_generatori",), "maggiore o uguale a 1"),
    ],
)
def test_errori_in_italiano_con_percorso(codice: str, modifiche: dict[str, Any], campo: tuple, parola: str) -> None:
    data = get_document_type(codice).example() | modifiche
    trovati = errori(codice, data)
    assert campo in trovati, trovati
    assert parola in trovati[campo]


def test_e2_piu_errori_insieme() -> None:
    """All cross-field violations come back at once, each with its own path."""
    data = get_document_type("allegato-e2").example() | {"comune": "Milano", "dal": None, "data": "2020-01-01"}
    assert {("comune",), ("dal",), ("data",)} <= set(errori("allegato-e2", data))
