"""Starting a real program with a bad environment: one clear line on stderr, exit code 78, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shared.process import EXIT_CONFIG


def start(program: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"TELEGRAM_BOT_TOKEN", "PORT"}}
    return subprocess.run(
        [sys.executable, "-m", f"services.{program}"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestProgramStart:
    @pytest.mark.parametrize("program", ["bot", "jobs"])
    def test_missing_bot_token_stops_with_one_line(self, program: str) -> None:
        """Programs that call Telegram refuse to start without a token and say which variable."""
        result = start(program)
        assert result.returncode == EXIT_CONFIG
        expected = "TELEGRAM_BOT_TOKEN: required, expected the bot token from @BotFather"
        assert result.stderr.strip().splitlines() == [f"{program}: configuration error: {expected}"]

    @pytest.mark.parametrize(
        ("program", "variable", "value"),
        [
            ("webhook", "PORT", "http"),
            ("lockkeeper", "LEASE_TTL_SECONDS", "0"),
            ("warmup", "REDIS_URL", "localhost:6379"),
            ("bot", "DATABASE_URL", "sqlite:///trt.db"),
            ("jobs", "LOG_FORMAT", "yaml"),
        ],
    )
    def test_malformed_variable_is_named(self, program: str, variable: str, value: str) -> None:
        """A malformed value stops the program before it connects anywhere, naming the variable."""
        result = start(program, TELEGRAM_BOT_TOKEN="1:x", **{variable: value})
        assert result.returncode == EXIT_CONFIG
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"{program}: configuration error: {variable}: ")
        assert "Traceback" not in result.stderr
