"""Lazy package exports: every exported name still resolves, and importing the package loads none of it."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

LAZY_PACKAGES = ["shared.money", "shared.catalog", "shared.ledger", "shared.jobs"]


class TestLazyExports:
    @pytest.mark.parametrize("package", LAZY_PACKAGES)
    def test_every_exported_name_resolves(self, package: str) -> None:
        """Each name in the package's __all__ is importable from the package, as before."""
        module = importlib.import_module(package)
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{package}.{name}"

    @pytest.mark.parametrize("package", LAZY_PACKAGES)
    def test_unknown_name_is_an_attribute_error(self, package: str) -> None:
        """A name the package does not export raises AttributeError naming it."""
        with pytest.raises(AttributeError, match="no_such_name"):
            _ = importlib.import_module(package).no_such_name

    @pytest.mark.parametrize("package", LAZY_PACKAGES)
    def test_importing_the_package_loads_no_submodule(self, package: str) -> None:
        """`import shared.X` alone loads none of its submodules (a fresh interpreter tells)."""
        code = f"import sys, {package}; print(sorted(m for m in sys.modules if m.startswith('{package}.')))"
        loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert loaded.stdout.strip() == "[]"
