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
