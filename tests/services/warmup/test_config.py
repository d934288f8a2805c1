"""The warmup's settings: registry path, refresh and balance intervals, low-balance threshold."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.errors import ConfigError
from shared.settings import load_settings


class TestCatalogSettings:
    def test_defaults(self) -> None:
        """No registry path means the checkout's registry; refresh every 6 h; alert below 1000 credits."""
        settings = load_settings({})
        assert settings.CATALOG_REGISTRY_PATH is None
        assert settings.CATALOG_REFRESH_INTERVAL_SECONDS == 21600
        assert settings.KIE_LOW_BALANCE_CREDITS == 1000

    def test_empty_registry_path_means_the_default(self) -> None:
        """An empty CATALOG_REGISTRY_PATH (as in .env.example) is not the current directory."""
        assert load_settings({"CATALOG_REGISTRY_PATH": " "}).CATALOG_REGISTRY_PATH is None
        configured = load_settings({"CATALOG_REGISTRY_PATH": "/srv/registry.json"})
        path = configured.CATALOG_REGISTRY_PATH
        assert path == Path("/srv/registry.json")

    def test_negative_threshold_is_refused(self) -> None:
        """A negative low-balance threshold stops the program with the variable named."""
        with pytest.raises(ConfigError, match="KIE_LOW_BALANCE_CREDITS"):
            load_settings({"KIE_LOW_BALANCE_CREDITS": "-1"})
