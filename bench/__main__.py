"""Run every ``bench/bench_*.py`` in turn (or the ones named) and print their tables.

    python -m bench              # all
    python -m bench forms firma  # bench_forms.py and bench_firma.py only

Each script prints its own table with machine, date and commit, and appends it to
bench/RESULTS.md when run with --salva.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    flags = [a for a in argv if a.startswith("-")]
    names = [a for a in argv if not a.startswith("-")]
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    status = 0
    for script in scripts:
        print(f"\n## {script.stem}\n", flush=True)
        rc = subprocess.call([sys.executable, str(script), *flags], cwd=HERE.parent)
        status = status or rc
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
