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
        """The default registry yields exit 0 and one line: {"models", "types", "routes", "price_sources"}."""
        result = _run()
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 1
        report = json.loads(lines[0])
        assert list(report) == ["models", "types", "routes", "price_sources"]
        assert report["models"] == len(registry)
        assert report["types"] == {t.value: len(registry.by_type(t)) for t in registry.types()}
        assert sum(report["types"].values()) == report["models"]
        assert sum(report["routes"].values()) == report["models"] and report["routes"]["suno"] == 6
        assert sum(report["price_sources"].values()) == report["models"]
        assert "estimate" not in report["price_sources"]

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

    def test_an_estimated_price_fails_the_check(
        self, write_registry: Callable[[dict[str, Any]], Path], document: dict[str, Any]
    ) -> None:
        """A price still marked "estimate" is refused, naming the model and price.source."""
        document["price_sources"]["estimate"] = "a guess"
        entry = next(m for m in document["models"] if m["id"] == "z-image")
        entry["price"]["source"] = "estimate"
        result = _run(str(write_registry(document)))
        assert result.returncode == 1 and result.stdout == ""
        assert "model 'z-image' field 'price.source'" in result.stderr

    def test_a_source_object_needs_page_and_date(
        self, write_registry: Callable[[dict[str, Any]], Path], document: dict[str, Any]
    ) -> None:
        """A price source given as an object must name the page and the date it was read."""
        document["price_sources"]["kie-pricing-2025-12-21"].pop("date")
        result = _run(str(write_registry(document)))
        assert result.returncode == 1
        assert "price_sources.kie-pricing-2025-12-21" in result.stderr

    def test_a_market_model_kie_does_not_document_fails_the_check(
        self, write_registry: Callable[[dict[str, Any]], Path], document: dict[str, Any]
    ) -> None:
        """A Market id missing from KIE's docs table (a typo, a guessed model) is refused by id."""
        next(m for m in document["models"] if m["id"] == "z-image")["id"] = "z-image-turbo"
        result = _run(str(write_registry(document)))
        assert result.returncode == 1 and result.stdout == ""
        assert "model 'z-image-turbo' field 'id'" in result.stderr and "docs table" in result.stderr

    def test_an_undocumented_family_model_fails_the_check(
        self, write_registry: Callable[[dict[str, Any]], Path], document: dict[str, Any]
    ) -> None:
        """A Suno model value that Suno's generate page does not list is refused too."""
        next(m for m in document["models"] if m["id"] == "V5")["id"] = "V6"
        result = _run(str(write_registry(document)))
        assert result.returncode == 1 and result.stdout == ""
        assert "model 'V6' field 'id': model='V6' is not documented for /api/v1/generate" in result.stderr


class TestForSale:
    """Models whose price no KIE page confirms are not sold unless the operator allows it."""

    def test_unverified_models_are_left_out_of_the_catalogue_for_sale(self, registry: Registry) -> None:
        """allow_unverified=False drops exactly the models whose price source is "unverified"."""
        from shared.catalog import load_registry

        selling = load_registry(allow_unverified=False)
        unverified = {m.id for m in registry if not m.price.verified}
        assert unverified and len(selling) == len(registry) - len(unverified)
        assert all(m.price.verified for m in selling)
        assert "V5" in selling and "veo3_fast" in selling and "nano-banana-pro" not in selling
