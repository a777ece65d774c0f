"""An avviso di ispezione (and a lettera di esito) naming an Ente the registry does not know: the
Italian error names the record's field, ``ente_id``, whether the issuer is derived from it or given."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from domain.errors import NotFound
from service.documents.batch import ente_di
from service.registry import get_document_type


def _con_ente(tipo: str, ente_id: str) -> dict:
    dati = copy.deepcopy(get_document_type(tipo).example())
    dati["ente_id"] = ente_id
    return dati


def test_ente_sconosciuto_nominato_sotto_ente_id() -> None:
    with pytest.raises(NotFound) as err:
        ente_di("provincia-atlantide", "020066IN0000347")
    assert err.value.path == ("ente_id",)
    assert "Ente sconosciuto" in err.value.message and "provincia-atlantide" in err.value.message
    assert ente_di("provincia-mantova", "020066IN0000347").id == "provincia-mantova"


@pytest.mark.parametrize("tipo", ["avviso-ispezione", "lettera-esito"])
def test_cli_nomina_il_campo_ente_id(tipo: str, cli_locale, tmp_path: Path) -> None:
    (tmp_path / "dati.json").write_text(json.dumps(_con_ente(tipo, "provincia-atlantide")))
    env = {"CURIT_VAR_DIR": str(tmp_path / "var"), "CURIT_DEMO": "1"}
    # the issuer taken from the data (no --emittente), and given explicitly: the record's field at fault
    for extra in ((), ("--emittente", "provincia-mantova")):
        r = cli_locale("render", tipo, "dati.json", "-o", "out.pdf", "--no-firma", *extra, env=env, cwd=tmp_path)
        assert r.returncode == 1, (extra, r.stdout, r.stderr)
        assert "ente_id: Ente sconosciuto (ente_id): provincia-atlantide." in r.stderr, (extra, r.stderr)
        assert "emittente:" not in r.stderr and "  - ente:" not in r.stderr
        assert not (tmp_path / "out.pdf").exists()
