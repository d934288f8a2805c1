"""`python -m shared.catalog.check [path]`: validate the registry offline (no Redis, no network).

Prints one JSON line `{"models": N, "types": {...}, "routes": {...}, "price_sources": {...}}` and exits
0, or prints the error naming the model and field to stderr and exits 1. A price still marked
`estimate` is an error: every price names its published source, or says `unverified` (not sold unless
ALLOW_UNVERIFIED_PRICES). A model KIE's docs tables do not know (a Market id, a dedicated endpoint or
its model field; see docs_table.py) is an error too. Operators run it (as `make catalog-check`)
before deploying.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from shared.catalog.docs_table import check_documented, load_docs_tables
from shared.catalog.errors import RegistryError
from shared.catalog.loader import DEFAULT_REGISTRY_PATH, load_registry
from shared.catalog.registry import Registry

__all__ = ["ESTIMATE_SOURCE", "main", "summary"]

ESTIMATE_SOURCE = "estimate"
"""The retired price source of guessed prices; `make catalog-check` refuses it."""

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
        _no_estimates(registry)
        check_documented(registry, load_docs_tables())
    except RegistryError as exc:
        stderr.write(f"catalog-check: {exc}\n")
        return 1
    stdout.write(json.dumps(summary(registry)) + "\n")
    return 0


def summary(registry: Registry) -> dict[str, object]:
    """Models, and how many per type, per KIE API route and per price source."""
    return {
        "models": len(registry),
        "types": registry.counts(),
        "routes": dict(Counter(model.route.value for model in registry)),
        "price_sources": dict(sorted(Counter(model.price.source for model in registry).items())),
    }


def _no_estimates(registry: Registry) -> None:
    for model in registry:
        if model.price.source == ESTIMATE_SOURCE:
            raise RegistryError(
                "an estimated price: name its KIE source or mark it unverified",
                model_id=model.id,
                field="price.source",
            )


if __name__ == "__main__":
    sys.exit(main())
