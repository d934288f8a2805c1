"""Lazy package exports: every exported name still resolves, and importing the package loads none of it."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from types import ModuleType

import pytest

from shared.lazy import lazy_exports

LAZY_PACKAGES = ["shared.money", "shared.catalog", "shared.ledger", "shared.jobs"]
# Submodules a package imports eagerly, on purpose (see its __init__).
EAGER = {"shared.jobs": ["shared.jobs.callback_url"]}


class TestLazyExports:
    @pytest.mark.parametrize("package", LAZY_PACKAGES)
    def test_every_exported_name_resolves(self, package: str) -> None:
        """Each name in the package's __all__ is importable from the package, as before."""
        module = importlib.import_module(package)
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{package}.{name}"

    @pytest.mark.parametrize("package", LAZY_PACKAGES)
    def test_no_export_is_hidden_by_a_submodule(self, package: str) -> None:
        """With every submodule imported, each exported name is still the object, never a module."""
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__):
            importlib.import_module(f"{package}.{info.name}")
        hidden = [name for name in module.__all__ if isinstance(getattr(module, name), ModuleType)]
        assert hidden == []

    def test_an_export_named_like_its_submodule_is_refused(self) -> None:
        """lazy_exports raises when an export shares its submodule's name (the import would hide it)."""
        with pytest.raises(ValueError, match="callback_url"):
            lazy_exports("shared.jobs", {"callback_url": ("callback_url",)})

    @pytest.mark.parametrize("package", LAZY_PACKAGES)
    def test_unknown_name_is_an_attribute_error(self, package: str) -> None:
        """A name the package does not export raises AttributeError naming it."""
        with pytest.raises(AttributeError, match="no_such_name"):
            _ = importlib.import_module(package).no_such_name

    @pytest.mark.parametrize("package", LAZY_PACKAGES)
    def test_importing_the_package_loads_no_submodule(self, package: str) -> None:
        """`import shared.X` alone loads only its eager submodules (seen in a fresh interpreter)."""
        code = f"import sys, {package}; print(sorted(m for m in sys.modules if m.startswith('{package}.')))"
        loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert loaded.stdout.strip() == str(EAGER.get(package, []))
