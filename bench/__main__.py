"""``python -m bench [NAME ...]``: run every benchmark's ``run()`` (or the named ones), print the table.

A benchmark module is any module of this package with a ``run()`` returning its summary dict. Its
``table(summary)``, when present, renders the detail (otherwise the summary's top-level scalars are
listed); its ``rows(summary)`` gives its lines of the README's benchmark table, which is printed at the
end with the command and the machine behind it. Results files are written by the modules themselves.
A benchmark that fails is reported and the others still run; the exit code is 1 if any failed.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGE = Path(__file__).parent
README_HEADER = ["| benchmark (module) | TRT | baseline | ratio |", "|---|---|---|---|"]


def benchmarks(names: list[str]) -> list[ModuleType]:
    """The benchmark modules, alphabetically (or just ``names``)."""
    every = sorted(info.name for info in pkgutil.iter_modules([str(PACKAGE)]) if info.name[0] != "_")
    found = names or every
    modules = [importlib.import_module(f"bench.{name}") for name in found]
    return [module for module in modules if callable(getattr(module, "run", None))]


def render(module: ModuleType, summary: dict[str, Any]) -> str:
    """The module's own table, or its scalar results one per line."""
    table: Callable[[dict[str, Any]], str] | None = getattr(module, "table", None)
    if table is not None:
        return table(summary)
    name = module.__name__.removeprefix("bench.")
    rows = [f"  {key:<28} {value}" for key, value in summary.items() if isinstance(value, int | float | str)]
    return "\n".join([name, *rows])


def readme_table(argv: list[str], rows: list[str]) -> str:
    """The README's benchmark table for the rows gathered, headed by the command and the machine."""
    command = "make bench" + (f' BENCH="{" ".join(argv)}"' if argv else "")
    heading = f"`{command}` on {os.cpu_count()} cores (1-min load average now {os.getloadavg()[0]:.1f}):"
    return "\n".join([heading, "", *README_HEADER, *rows])


def main(argv: list[str]) -> int:
    """Run the benchmarks; return 1 if any of them failed."""
    failed, readme_rows = [], []
    for module in benchmarks(argv):
        name = module.__name__.removeprefix("bench.")
        sys.stdout.write(f"== {name}\n")
        sys.stdout.flush()
        try:
            summary = module.run()
        except Exception:  # one broken benchmark must not hide the others' results
            traceback.print_exc()
            failed.append(name)
            continue
        sys.stdout.write(render(module, summary) + "\n\n")
        rows: Callable[[dict[str, Any]], list[str]] | None = getattr(module, "rows", None)
        readme_rows += rows(summary) if rows is not None else []
    if readme_rows:
        sys.stdout.write(readme_table(argv, readme_rows) + "\n")
    if failed:
        sys.stdout.write(f"failed: {', '.join(failed)}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
