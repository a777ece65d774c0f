"""A JSON array input is kept one text per item and parsed on access (memory of long jobs): the
items are those ``json.loads`` gives, and bad JSON is the same Italian error naming the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.errors import RuleViolation
from service.batch.sorgente import ElencoCompatto, leggi_sorgente


@pytest.mark.parametrize("testo", ["[]", " [ ] \n", '[1, {"a": [1, 2]}, "x" ]',
                                   '[\n {"a": 1},\n {"b": "]", "c": "\\u00e8"}\n]\n'])
def test_items_are_what_json_loads_gives(testo: str, tmp_path: Path) -> None:
    f = tmp_path / "in.json"
    f.write_text(testo, encoding="utf-8")
    letto = leggi_sorgente(f)
    assert isinstance(letto, ElencoCompatto)
    assert list(letto) == json.loads(testo) and len(letto) == len(json.loads(testo))
    assert letto[0:2] == json.loads(testo)[0:2]


@pytest.mark.parametrize("testo, riga", [("[1 2]", 1), ("[1,\n]", 2), ("[1] x", 1), ('[\n{"a":1}', 2)])
def test_bad_json_names_the_line(testo: str, riga: int, tmp_path: Path) -> None:
    f = tmp_path / "in.json"
    f.write_text(testo, encoding="utf-8")
    with pytest.raises(RuleViolation) as err:
        leggi_sorgente(f)
    assert err.value.path == ("sorgente",) and f"alla riga {riga}:" in err.value.message
