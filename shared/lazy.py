"""Lazy package exports: a package's ``__init__`` names its public API without importing it all.

A program that needs one small module of a package (the settings need ``shared.money.packs``) must not
pay for the rest of it (payments, accounts, the catalogue, psycopg): every module a process imports
stays in its memory for its whole life. A package lists its exports per submodule, imports them for
the type checker only, and resolves each name on first use::

    if TYPE_CHECKING:
        from shared.money.payments import PaymentStore
    __getattr__ = lazy_exports(__name__, {"payments": ("PaymentStore",)})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, Sequence[str]]) -> Callable[[str], object]:
    """A module ``__getattr__`` importing ``package.<submodule>`` when one of its names is first read."""
    home = {name: submodule for submodule, names in exports.items() for name in names}
    clashes = sorted(set(home) & set(exports))
    if clashes:
        # Importing the submodule binds its name on the package, hiding the export of the same name.
        raise ValueError(f"{package}: exports named like a submodule must be imported eagerly: {clashes}")

    def __getattr__(name: str) -> object:
        submodule = home.get(name)
        if submodule is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{submodule}"), name)
        setattr(sys.modules[package], name, value)  # later reads are plain attribute reads
        return value

    return __getattr__
