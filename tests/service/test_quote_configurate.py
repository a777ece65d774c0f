"""Money from configuration: ``CURIT_QUOTE_ENTI_FILE`` + each Ente's ``quote_ente`` customisation; the
shipped example quotas only in demo mode; a sale for an Ente without a quota refused (CLI, real database)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from domain.errors import RuleViolation
from service.quote_enti import quote_configurate
from service.settings import Settings


def _scrivi(path: Path, dati: dict) -> Path:
    path.write_text(json.dumps(dati), encoding="utf-8")
    return path


def test_esempi_solo_in_modalita_dimostrativa(tmp_path: Path) -> None:
    assert quote_configurate(Settings(demo=True)).quota("provincia-mantova", "F1") == Decimal("8.00")
    vuota = quote_configurate(Settings(demo=False))
    with pytest.raises(RuleViolation, match="CURIT_QUOTE_ENTI_FILE"):
        vuota.quota("provincia-mantova", "F1")
    # a file still marked as examples is examples
    esempio = _scrivi(tmp_path / "e.json", {"esempio": True, "enti": {"provincia-mantova": {"F1": "1.00"}}})
    with pytest.raises(RuleViolation):
        quote_configurate(Settings(demo=False, quote_enti_file=esempio)).quota("provincia-mantova", "F1")


def test_file_e_personalizzazioni_sono_una_sola_tabella(tmp_path: Path) -> None:
    quote = _scrivi(tmp_path / "q.json", {"enti": {"provincia-mantova": {"F1": "8.50", "F2": "27.00"}}})
    pers = _scrivi(tmp_path / "p.json", {"provincia-mantova": {"etichetta": {"quote_ente": {"F2": "29.00"}}},
                                         "comune-brescia": {"etichetta": {"quote_ente": {"F1": "9.00"}}}})
    tabella = quote_configurate(Settings(demo=False, quote_enti_file=quote, personalizzazioni_file=pers))
    assert tabella.quota("provincia-mantova", "F1") == Decimal("8.50")
    assert tabella.quota("provincia-mantova", "F2") == Decimal("29.00")  # the customisation wins for its bands
    assert tabella.quota("comune-brescia", "F1") == Decimal("9.00")
    with pytest.raises(RuleViolation, match="comune-brescia non ha configurato la propria quota per la fascia F2"):
        tabella.quota("comune-brescia", "F2")


def test_file_illeggibile_o_errato(tmp_path: Path) -> None:
    with pytest.raises(RuleViolation, match="non leggibile") as err:
        quote_configurate(Settings(demo=False, quote_enti_file=tmp_path / "manca.json"))
    assert err.value.path == ("quote_enti_file",)
    rotto = _scrivi(tmp_path / "r.json", {"enti": {"provincia-mantova": {"F9": "1.00"}}})
    with pytest.raises(Exception, match="Fascia sconosciuta F9"):
        quote_configurate(Settings(demo=False, quote_enti_file=rotto))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_vendita_rifiutata_senza_quota(db_url: str, tmp_path: Path, cli_locale) -> None:
    """Production defaults (no demo, no quota file): the Ente's etichette are generated and handed to
    the CAIT, but selling one is refused in Italian, naming the Ente, the band and the setting; with the
    Ente's quota configured the same sale goes through at that price."""
    from datetime import date

    from archive.anagrafiche import Cait, CaitEnte, Manutentore
    from archive.db import make_engine, session_scope

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            s.add(Cait(id="CAIT-BS-01", denominazione="CAIT Brescia Impianti"))
            s.flush()
            s.add(CaitEnte(cait_id="CAIT-BS-01", ente_id="comune-brescia"))
            s.add(Manutentore(ragione_sociale="Bianchi Calore S.r.l.", partita_iva="03456780171",
                              username="bianchicalore", cait_id="CAIT-BS-01", registrato_il=date(2018, 5, 9)))
    finally:
        engine.dispose()
    env = {"CURIT_DB_URL": db_url, "CURIT_VAR_DIR": str(tmp_path / "var"), "CURIT_DEMO": "0",
           "CURIT_FIRMA_OUTPUT": "0"}

    def ok(*args: str, **kw) -> dict:
        r = cli_locale("etichette", *args, **kw)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    gen = ok("genera", "--ente", "comune-brescia", "--tipo", "F", "--fascia", "F3", "--quantita", "2",
             "--stagione", "2026/2027", "-o", str(tmp_path / "f3.pdf"), "--utente", "ente.brescia", env=env)
    ok("assegna", "--cait", "CAIT-BS-01", "--ente", "comune-brescia", "--dal", gen["dal"], "--al", gen["al"], env=env)
    r = cli_locale("etichette", "vendi", gen["dal"], "--cait", "CAIT-BS-01", "--manutentore", "bianchicalore", env=env)
    assert r.returncode == 1 and r.stdout == ""
    assert ("quote_enti.comune-brescia.F3: L'Ente comune-brescia non ha configurato la propria quota per la "
            "fascia F3") in r.stderr and "CURIT_QUOTE_ENTI_FILE" in r.stderr
    stato = ok("verifica", gen["dal"], env=env)
    assert stato["stato"] == "assegnata"  # nothing half-done
    assert stato["prezzo"]["quota_ente"] is None and stato["prezzo"]["contributo_regionale"] == "3.50"

    quote = _scrivi(tmp_path / "quote.json", {"enti": {"comune-brescia": {"F3": "41.00"}}})
    venduta = ok("vendi", gen["dal"], "--cait", "CAIT-BS-01", "--manutentore", "bianchicalore",
                 env={**env, "CURIT_QUOTE_ENTI_FILE": str(quote)})
    assert (venduta["quota_ente"], venduta["totale"]) == ("41.00", "44.50")
