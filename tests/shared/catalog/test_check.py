"""`python -m shared.catalog.check`: one JSON line and exit 0, or the error on stderr and exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.catalog import Registry
from tests.shared.catalog.conftest import input_field

REPO_ROOT = Path(__file__).resolve().parents[3]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.catalog.check", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class TestCatalogCheck:
    def test_valid_registry_prints_one_json_line(self, registry: Registry) -> None:
        """The default registry yields exit 0 and exactly one line: {"models": N, "types": {...}}."""
        result = _run()
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 1
        report = json.loads(lines[0])
        assert list(report) == ["models", "types"]
        assert report["models"] == len(registry)
        assert report["types"] == {t.value: len(registry.by_type(t)) for t in registry.types()}
        assert sum(report["types"].values()) == report["models"]

    def test_explicit_path_is_checked(
        self, write_registry: Callable[[dict[str, Any]], Path], document: dict[str, Any]
    ) -> None:
        """A path argument is validated instead of the default file."""
        document["models"] = document["models"][:3]
        result = _run(str(write_registry(document)))
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["models"] == 3

    def test_broken_registry_exits_1_naming_model_and_field(
        self, write_registry: Callable[[dict[str, Any]], Path], document: dict[str, Any]
    ) -> None:
        """An enum default outside its enum: exit 1, nothing on stdout, model and field on stderr."""
        input_field(document, "flux-2/pro-text-to-image", "resolution")["default"] = "3K"
        result = _run(str(write_registry(document)))
        assert result.returncode == 1
        assert result.stdout == ""
        assert "model 'flux-2/pro-text-to-image' field 'resolution'" in result.stderr

    def test_missing_file_exits_1(self, tmp_path: Path) -> None:
        """A path that does not exist is an error, not a crash."""
        result = _run(str(tmp_path / "absent.json"))
        assert result.returncode == 1
        assert "cannot read registry" in result.stderr
        assert "Traceback" not in result.stderr

    def test_extra_arguments_print_usage(self) -> None:
        """Two paths are a usage error (exit 2)."""
        result = _run("a.json", "b.json")
        assert result.returncode == 2
        assert result.stderr.startswith("usage:")
