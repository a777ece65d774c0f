"""Jinja's bytecode cache of ``renderers.html``: a new process reuses the compiled templates, a
changed template is compiled again, and a cache that cannot be written never fails a render."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from renderers.html import _environment, render_html

ROOT = Path(__file__).resolve().parents[2]


def _render_in_new_process(templates: Path, cache: Path) -> tuple[str, bool]:
    """(the render, whether Jinja compiled the template) in a fresh interpreter."""
    script = (
        "import sys\nfrom pathlib import Path\nimport jinja2.environment as e\nfrom renderers.html import render_html\n"
        "compilati = []\nor_ = e.Environment._compile\n"
        "e.Environment._compile = lambda self, *a: compilati.append(1) or or_(self, *a)\n"
        f"print(render_html(Path({str(templates)!r}), 'x.html.j2', {{'a': 1}}, cache=Path({str(cache)!r})))\n"
        "print(bool(compilati))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    testo, compilato = out.rsplit("\n", 2)[:2]
    return testo, compilato == "True"


def test_a_new_process_reuses_the_compiled_template_until_it_changes(tmp_path: Path) -> None:
    templates, cache = tmp_path / "modelli", tmp_path / "cache"
    templates.mkdir()
    (templates / "x.html.j2").write_text("Impianto {{ a }}", encoding="utf-8")
    assert _render_in_new_process(templates, cache) == ("Impianto 1", True)
    assert list((cache / "jinja").iterdir())
    assert _render_in_new_process(templates, cache) == ("Impianto 1", False)  # read from the cache
    (templates / "x.html.j2").write_text("Generatore {{ a }}", encoding="utf-8")
    assert _render_in_new_process(templates, cache) == ("Generatore 1", True)  # source changed: compiled again


def test_a_cache_that_cannot_be_made_costs_the_compile_not_the_render(tmp_path: Path) -> None:
    templates = tmp_path / "modelli"
    templates.mkdir()
    (templates / "x.html.j2").write_text("Impianto {{ a }}", encoding="utf-8")
    non_cartella = tmp_path / "file"
    non_cartella.write_text("")  # <file>/jinja cannot be created
    _environment.cache_clear()
    assert render_html(templates, "x.html.j2", {"a": 2}, cache=non_cartella) == "Impianto 2"
