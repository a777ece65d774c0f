"""The CLI must start fast: loading the commands imports no renderer (WeasyPrint costs seconds)."""

import subprocess
import sys


def test_loading_the_commands_does_not_import_weasyprint() -> None:
    code = "import sys, service.cli as c; c._load_commands(); print('weasyprint' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_help_lists_the_profiles_the_imposer_knows() -> None:
    from renderers.impose import PROFILI
    from service.cli.commands import targhe

    import inspect

    source = inspect.getsource(targhe)
    assert all(name in source for name in PROFILI)


def test_the_verb_table_names_the_module_of_every_verb() -> None:
    import importlib
    import pkgutil

    import typer

    from service.cli import MODULO_DEL_VERBO, commands

    registrati = {}
    for info in pkgutil.iter_modules(commands.__path__):
        app = typer.Typer()
        importlib.import_module(f"service.cli.commands.{info.name}").register(app)
        nomi = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands]
        nomi += [g.name or g.typer_instance.info.name for g in app.registered_groups]
        registrati.update(dict.fromkeys(nomi, info.name))
    assert MODULO_DEL_VERBO == registrati


def test_a_verb_loads_its_own_module_only() -> None:
    code = ("import sys, service.cli as c; c._load_commands('batch'); "
            "print(sorted(m for m in sys.modules if m.startswith('service.cli.commands.')), "
            "'fastapi' in sys.modules, 'uvicorn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['service.cli.commands.batch'] False False"


def test_validating_a_document_imports_no_renderer() -> None:
    """A batch job's parent validates its input and never lays a page out (WeasyPrint: ~0.5 s)."""
    code = ("import sys; from service.registry import get_document_type as g; d = g('allegato-g'); "
            "d.valida(d.example()); print('weasyprint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_unknown_verb_or_none_is_a_usage_message_not_an_internal_error() -> None:
    from service.settings import ROOT

    cli = str(ROOT / ".venv" / "bin" / "curit-docs")
    sconosciuto = subprocess.run([cli, "nonesiste"], capture_output=True, text=True)
    assert sconosciuto.returncode == 2 and "No such command 'nonesiste'" in sconosciuto.stderr
    nessuno = subprocess.run([cli], capture_output=True, text=True)
    assert nessuno.returncode == 2 and "Usage: curit-docs" in nessuno.stdout + nessuno.stderr
    assert "Errore interno" not in sconosciuto.stderr + nessuno.stderr
