"""The docs stay true: every setting is in the README's configuration table and in .env.example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.env import field_types
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
# Set by supervisord for each child, never by an operator.
SUPERVISOR_PROVIDED = {"SUPERVISOR_PROCESS_NAME", "SUPERVISOR_GROUP_NAME", "SUPERVISOR_SERVER_URL"}
SETTINGS = sorted(set(field_types(Settings)) - SUPERVISOR_PROVIDED)


class TestDocs:
    @pytest.mark.parametrize("name", SETTINGS)
    def test_setting_is_in_the_readme_table(self, name: str) -> None:
        """Each variable has a row in the README's configuration table."""
        readme = (ROOT / "README.md").read_text()
        assert re.search(rf"^\| `{name}` \|", readme, re.MULTILINE), name

    @pytest.mark.parametrize("name", SETTINGS)
    def test_setting_is_in_env_example(self, name: str) -> None:
        """Each variable is listed in .env.example with its default."""
        example = (ROOT / ".env.example").read_text()
        assert re.search(rf"^{name}=", example, re.MULTILINE), name

    def test_readme_gives_the_two_commands(self) -> None:
        """The quickstart names make run and make test, the commands CI and people use."""
        readme = (ROOT / "README.md").read_text()
        assert "make run" in readme and "make test" in readme
