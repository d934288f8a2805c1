"""The Redis every shipped configuration starts persists each write before answering (AOF, fsync always)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


def redis_args(script: str) -> list[str]:
    """The redis-server options in scripts/local-services.sh, without the daemon, port and file ones."""
    text = (ROOT / script).read_text()
    line = text[text.index('"$bin" --daemonize') :].split("\n")
    joined = " ".join(part.strip().rstrip("\\") for part in line[:2])
    words = joined.split()
    keep = ("--appendonly", "--appendfsync", "--save")
    return [word for i, word in enumerate(words) if word in keep or (i and words[i - 1] in keep)]


class TestShippedRedis:
    def test_make_run_redis_fsyncs_every_write(self, tmp_path: Path) -> None:
        """The local Redis of `make run`, started with its own options, reports appendfsync always."""
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server not installed")
        options = [arg.strip('"') for arg in redis_args("scripts/local-services.sh")]
        port = free_port()
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path), *options]
        server = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        client = redis.Redis(port=port)
        try:
            for _ in range(200):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            assert client.config_get("appendonly") == {"appendonly": "yes"}
            assert client.config_get("appendfsync") == {"appendfsync": "always"}
        finally:
            client.close()
            server.terminate()
            server.wait(10)

    def test_compose_redis_fsyncs_every_write(self) -> None:
        """deploy/single-host/compose.yaml starts Redis with appendonly yes and appendfsync always."""
        compose = (ROOT / "deploy/single-host/compose.yaml").read_text()
        assert '"--appendonly", "yes", "--appendfsync", "always"' in compose

    def test_docs_say_so(self) -> None:
        """README and the two-hosts env file tell the operator of a managed Redis to set both options."""
        for path in ("README.md", "deploy/two-hosts/trt.env.example"):
            text = (ROOT / path).read_text()
            assert "appendfsync always" in text and "appendonly yes" in text, path
