"""What a user reads speaks the regulation, never our notes; templates fail loudly.

Walks everything a user sees: the printed paper of every document type (its example and its blank
form, through ``pdftotext``), the ``--help`` of every CLI command and group, every JSON Schema, the
OpenAPI document and a sample of console pages. None may cite our internal spec (``FORMS.md``,
ambiguity ids ``AMB-nn``, seed line numbers ``S1 L…``, ``S2 L…``, ``S1 p. …``) nor a bare ``§``
that is not a paragraph of the regulation ("Disposizioni regionali", "D.G.R."). Every command's help
carries an example. A template asking ``dato()`` for a name the data cannot have is an error.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest

from domain.errors import RuleViolation
from renderers.errors import RenderError
from renderers.html import dato
from service.produce import render_document
from service.registry import DOCUMENT_TYPES

_NOTE_INTERNE = re.compile(r"FORMS\.md|FORMS §|AMB-\d|\bS[12] ?(?:L\d|§|p\. ?\d|All\.|def\.)|[,;(] ?S[12]\)")
_CITA_REGOLAMENTO = re.compile(r"Disposizioni|D\.G\.R\.|DGR")


def riferimenti_interni(testo: str) -> list[str]:
    """Each internal reference in ``testo`` with some context: our spec's names, or a ``§`` that
    does not belong to a citation of the regulation written just before it."""
    trovati = [testo[max(0, m.start() - 40):m.end() + 20] for m in _NOTE_INTERNE.finditer(testo)]
    for m in re.finditer("§", testo):
        prima = testo[max(0, m.start() - 60):m.start()]
        if not _CITA_REGOLAMENTO.search(prima):
            trovati.append(testo[max(0, m.start() - 40):m.end() + 20])
    return trovati


def test_il_controllo_riconosce_i_riferimenti_interni() -> None:
    """The pattern itself: what it must catch and what it must let through."""
    for cattivo in ("stampato da FORMS.md §21", "(AMB-16; vuoto)", "S1 L1076–1090", "S2 L10–16", "(S1 p. 63)",
                    "(S1 All. 1)", "vedi §0.4", "(solo il CAIT può farlo, S2)"):
        assert riferimenti_interni(cattivo), cattivo
    for buono in ("Disposizioni regionali, punto 16", "(Disposizioni §15.3)", "(D.G.R. 18/09/2007, § 14)",
                  "Piano S1, interno 4", "DGR 18/09/2007, Allegato G", "Esito 9.a"):
        assert not riferimenti_interni(buono), buono


# -- printed paper ---------------------------------------------------------------------------

SENZA_MODULO_IN_BIANCO = frozenset(c for c, doc in DOCUMENT_TYPES.items() if not doc.modulo_in_bianco)
"""Office letters and registers: issued from records, no printed model to fill in by hand."""


def _pdftotext(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def _una_copia(code: str) -> list[str] | None:
    copies = DOCUMENT_TYPES[code].copies
    return [copies[0]] if copies else None


@pytest.fixture(scope="module")
def moduli_in_bianco() -> dict[str, str]:
    """Text of every blank form (first copy), rendered under the strict ``dato()``. The examples are
    rendered, signed and checked the same way by test_esempi.py (``esempio X | render X``)."""
    return {code: _pdftotext(render_document(code, None, copie=_una_copia(code)))
            for code in DOCUMENT_TYPES if code not in SENZA_MODULO_IN_BIANCO}


@pytest.mark.slow
def test_ogni_modulo_in_bianco_si_stampa_senza_note_interne(moduli_in_bianco: dict[str, str]) -> None:
    assert {"allegato-a", "allegato-g", "allegato-g-precompilato", "allegato-m", "targhe"} <= set(moduli_in_bianco)
    for code, testo in moduli_in_bianco.items():
        if code != "targhe":  # a blank targa is drawn boxes only, no text
            assert len(testo.split()) > 20, code
    assert not {c: riferimenti_interni(t) for c, t in moduli_in_bianco.items() if riferimenti_interni(t)}


def test_le_lettere_non_hanno_modulo_in_bianco(cli_locale, tmp_path) -> None:
    """The office paper is issued from records only: asking for it blank is refused in Italian."""
    assert SENZA_MODULO_IN_BIANCO == {
        "avviso-ispezione", "lettera-esito", "distinta-ricevuta", "lettera-trasmissione", "ricevuta", "rendiconto-cait",
        "rendiconto-ente-trimestrale", "elenco-manutentori", "elenco-operatori", "elenco-strumenti",
        "etichette"}  # the FAC-SIMILE etichette sheet is printed from example numbers only
    for code in SENZA_MODULO_IN_BIANCO:
        with pytest.raises(RuleViolation, match="senza modulo in bianco") as err:
            render_document(code, None)
        assert err.value.path == ("vuoto",)
    r = cli_locale("render", "ricevuta", "--vuoto", "-o", str(tmp_path / "r.pdf"))
    assert r.returncode == 1 and "vuoto: Ricevuta del CAIT" in r.stderr and "curit-docs esempio ricevuta" in r.stderr
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize("modo", ["facsimile", "normalizzato"])
def test_ogni_modello_si_compone_con_esempio_e_in_bianco(modo: str) -> None:
    """Every template, as Jinja renders it (also for types the stamp engine prints from a compiled blank
    layout), in both modes, with its example and blank: strict ``dato()``, no internal notes in the text."""
    from renderers.html import render_html
    from service.produce import validate
    from service.settings import get_settings

    for code, doc in DOCUMENT_TYPES.items():
        casi = [validate(doc, doc.example())] + ([None] if code not in SENZA_MODULO_IN_BIANCO else [])
        for d in casi:
            calcoli = dict(doc.derive(d)) if (d is not None and doc.derive) else {}
            contesto = {**doc.contesto, "d": d, "calcoli": calcoli, "modo": modo, "vuoto": d is None,
                        "titolo": doc.title, "copie": doc.copies or ("",)}
            html = render_html(get_settings().templates_dir, doc.template_path, contesto)
            testo = re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", " ", html, flags=re.S))
            assert not riferimenti_interni(testo), (code, modo, d is None)


# -- templates fail loudly -------------------------------------------------------------------


def test_dato_rifiuta_un_nome_che_i_dati_non_hanno() -> None:
    from jinja2 import UndefinedError

    from domain.cait_precompilati import PrecompilatoG
    from domain.forms.allegato_g import AllegatoG

    g = AllegatoG.model_validate(DOCUMENT_TYPES["allegato-g"].example())
    assert dato(g, "tecnico", "nome_cognome") == g.tecnico.nome_cognome
    assert dato(g, "consumi", 7, "valore") is None  # absent row: blank
    assert dato(None, "qualsiasi", "cosa") is None  # blank form
    with pytest.raises(UndefinedError, match="nome_cognom"):
        dato(g, "tecnico", "nome_cognom")
    with pytest.raises(UndefinedError, match="manca"):
        dato({"a": 1}, "manca")
    # A precompilato lacks the measured parts of the full G: they print blank; anything else is an error.
    p = PrecompilatoG.model_validate(DOCUMENT_TYPES["allegato-g-precompilato"].example())
    assert dato(p, "numero_etichetta") is None
    with pytest.raises(UndefinedError):
        dato(p, "numero_etichettaa")


def test_un_modello_con_un_percorso_sbagliato_non_si_stampa(tmp_path) -> None:
    from renderers.html import render_html

    (tmp_path / "t.html.j2").write_text('<p>{{ dato(d, "tecnico", "nome") }}</p>')
    from domain.forms.allegato_g import AllegatoG

    g = AllegatoG.model_validate(DOCUMENT_TYPES["allegato-g"].example())
    with pytest.raises(RenderError, match="Modello di stampa non utilizzabile"):
        render_html(tmp_path, "t.html.j2", {"d": g})


# -- command line ----------------------------------------------------------------------------


def _comandi() -> list[list[str]]:
    """Every command and group of the Typer app, as argv paths (``["etichette", "vendi"]``)."""
    import typer

    from service.cli import _load_commands, app

    registrati = (list(app.registered_commands), list(app.registered_groups))
    try:
        _load_commands()
        radice = typer.main.get_command(app)
    finally:
        app.registered_commands[:], app.registered_groups[:] = registrati

    def cammina(cmd: Any, percorso: list[str]) -> list[list[str]]:
        out = [percorso] if percorso else []
        for nome, sub in sorted(getattr(cmd, "commands", {}).items()):
            out += cammina(sub, [*percorso, nome])
        return out

    return cammina(radice, [])


def test_ogni_comando_ha_un_esempio_e_nessun_riferimento_interno(cli_locale) -> None:
    comandi = _comandi()
    assert len(comandi) > 50 and ["etichette", "vendi"] in comandi and ["originali"] in comandi
    senza_esempio, con_note = [], {}
    for percorso in comandi:
        r = cli_locale(*percorso, "--help", env={"COLUMNS": "200"})
        assert r.returncode == 0, (percorso, r.stderr)
        if "Esempio" not in r.stdout:
            senza_esempio.append(" ".join(percorso))
        if riferimenti_interni(r.stdout):
            con_note[" ".join(percorso)] = riferimenti_interni(r.stdout)
    r = cli_locale("--help", env={"COLUMNS": "200"})
    assert not riferimenti_interni(r.stdout)
    assert not senza_esempio
    assert not con_note


def test_esempio_help_elenca_i_tipi(cli_locale) -> None:
    r = cli_locale("esempio", "--help", env={"COLUMNS": "200"})
    testo = " ".join(r.stdout.replace("│", " ").split())
    mancanti = [c for c in DOCUMENT_TYPES if not re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", testo)]
    assert not mancanti


# -- schemas, OpenAPI, console ---------------------------------------------------------------


def test_gli_schemi_json_non_citano_le_nostre_note() -> None:
    trovati = {}
    for code, doc in DOCUMENT_TYPES.items():
        testo = json.dumps(doc.model.model_json_schema(), ensure_ascii=False)
        if riferimenti_interni(testo):
            trovati[code] = riferimenti_interni(testo)
    assert not trovati


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_openapi_e_console_non_citano_le_nostre_note(client, login) -> None:
    r = client.get("/documenti/lettera-esito/vuoto", headers=login("ente.mantova"))
    assert r.status_code == 422 and r.json()["errori"][0]["campo"] == "vuoto"  # not a 500
    r = client.get("/openapi.json")
    assert r.status_code == 200
    assert not riferimenti_interni(json.dumps(r.json(), ensure_ascii=False))

    assert not riferimenti_interni(client.get("/console/accesso").text)
    pagine = {
        "cait.mantova": ["/", "/console/cait", "/console/archivio", "/console/verifica"],
        "manutentore.rossi": ["/", "/console/manutentore"],
        "ente.mantova": ["/", "/console/archivio", "/console/richieste", "/console/lavori"],
    }
    from service.console import COOKIE_TOKEN

    for utente, percorsi in pagine.items():
        token = login(utente)["Authorization"].removeprefix("Bearer ")
        client.cookies.set(COOKIE_TOKEN, token)
        for percorso in percorsi:
            r = client.get(percorso, follow_redirects=False)
            assert r.status_code == 200, (utente, percorso, r.status_code)
            assert "text/html" in r.headers["content-type"]
            assert not riferimenti_interni(r.text), (utente, percorso)
        client.cookies.clear()
