"""`python -m shared.catalog.check [path]`: validate the registry offline (no Redis, no network).

Prints one JSON line `{"models": N, "types": {...}}` and exits 0, or prints the error naming the
model and field to stderr and exits 1. Operators run it (as `make catalog-check`) before deploying.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TextIO

from shared.catalog.errors import RegistryError
from shared.catalog.loader import DEFAULT_REGISTRY_PATH, load_registry

__all__ = ["main"]

USAGE = "usage: python -m shared.catalog.check [registry.json]\n"


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    """Validate the registry named in `argv` (default: the repository's) and report; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or any(arg in ("-h", "--help") for arg in args):
        stderr.write(USAGE)
        return 2
    path = args[0] if args else DEFAULT_REGISTRY_PATH
    try:
        registry = load_registry(path)
    except RegistryError as exc:
        stderr.write(f"catalog-check: {exc}\n")
        return 1
    stdout.write(json.dumps({"models": len(registry), "types": registry.counts()}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
