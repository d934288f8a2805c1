"""The Dockerfile, read as text (no Docker engine here): stages, user, health check, command, secrets;
and the container's supervisord configuration generated from supervisor.conf."""

from __future__ import annotations

import configparser
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|HMAC", re.IGNORECASE)


@dataclass
class Stage:
    """One FROM ... AS name section: its base image and instructions (keyword, arguments)."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args_of(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse_dockerfile(text: str) -> tuple[list[tuple[str, str]], list[Stage]]:
    """Instructions before the first FROM, and the stages; continuation lines joined."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    preamble: list[tuple[str, str]] = []
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        elif stages:
            stages[-1].instructions.append((keyword, args))
        else:
            preamble.append((keyword, args))
    return preamble, stages


@pytest.fixture(name="dockerfile", scope="module")
def _dockerfile() -> tuple[list[tuple[str, str]], list[Stage]]:
    return parse_dockerfile((ROOT / "Dockerfile").read_text())


@pytest.fixture(name="runtime", scope="module")
def _runtime(dockerfile: tuple[list[tuple[str, str]], list[Stage]]) -> Stage:
    return dockerfile[1][-1]


def _load_container_conf() -> ModuleType:
    spec = importlib.util.spec_from_file_location("container_conf", ROOT / "deploy" / "container_conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestStages:
    def test_wheels_are_built_in_a_build_stage(self, dockerfile: tuple[list, list[Stage]]) -> None:
        """The first stage builds wheels; the last one is a separate slim runtime."""
        stages = dockerfile[1]
        assert len(stages) >= 2
        build, runtime = stages[0], stages[-1]
        assert build.name == "build" and runtime.name == "runtime"
        assert any("pip wheel" in run and "/wheels" in run for run in build.args_of("RUN"))

    def test_runtime_is_slim_and_installs_only_the_wheels(self, runtime: Stage, dockerfile: tuple) -> None:
        """The runtime starts from a slim image, takes /wheels from the build stage, compiles nothing."""
        preamble = dict(dockerfile[0])
        base = runtime.base.replace("${PYTHON_IMAGE}", preamble.get("ARG", "").partition("=")[2])
        assert "slim" in base
        assert any(c.startswith("--from=build") and "/wheels" in c for c in runtime.args_of("COPY"))
        runs = " ".join(runtime.args_of("RUN"))
        assert "--no-index" in runs and "build-essential" not in runs and "gcc" not in runs


class TestRuntime:
    def test_runs_as_a_non_root_user(self, runtime: Stage) -> None:
        """The last USER of the runtime stage is neither root nor uid 0, and comes before CMD."""
        users = runtime.args_of("USER")
        assert users, "no USER in the runtime stage"
        name = users[-1].split(":")[0]
        assert name not in ("root", "0")
        keywords = [kw for kw, _ in runtime.instructions]
        assert max(i for i, kw in enumerate(keywords) if kw == "USER") < keywords.index("CMD")

    def test_healthcheck_probes_ready(self, runtime: Stage) -> None:
        """HEALTHCHECK asks the webhook's /ready."""
        checks = runtime.args_of("HEALTHCHECK")
        assert len(checks) == 1 and "/ready" in checks[0] and "CMD" in checks[0]

    def test_command_is_supervisord_in_the_foreground(self, runtime: Stage) -> None:
        """CMD (exec form) runs supervisord -n with the container configuration."""
        command = json.loads(runtime.args_of("CMD")[-1])
        assert command[0] == "supervisord" and "-n" in command
        assert command[command.index("-c") + 1].endswith("supervisor.container.conf")

    def test_entrypoint_migrates_then_execs_the_command(self, runtime: Stage) -> None:
        """The entrypoint applies migrations, then execs CMD so supervisord gets the signals."""
        entry = json.loads(runtime.args_of("ENTRYPOINT")[-1])
        script = (ROOT / "deploy" / Path(entry[0]).name).read_text()
        assert "python -m shared.migrations" in script and 'exec "$@"' in script


class TestNoSecrets:
    def test_no_secret_values_in_env_or_arg(self, dockerfile: tuple[list, list[Stage]]) -> None:
        """No ENV or ARG gives a token, key, secret or password a value."""
        preamble, stages = dockerfile
        pairs = [args for kw, args in preamble if kw in ("ENV", "ARG")]
        pairs += [args for stage in stages for kw, args in stage.instructions if kw in ("ENV", "ARG")]
        for args in pairs:
            for name, _, value in (item.partition("=") for item in args.split()):
                assert not (SECRET_NAME.search(name) and value), f"{name} is baked into the image"

    def test_env_files_never_reach_the_build_context(self, runtime: Stage) -> None:
        """.dockerignore drops .env and var/, and no COPY names an env file."""
        ignored = (ROOT / ".dockerignore").read_text().split()
        assert ".env" in ignored and "var" in ignored and ".git" in ignored
        copies = " ".join(runtime.args_of("COPY"))
        assert ".env" not in copies and ". ." not in copies


class TestContainerSupervisorConf:
    def test_every_log_goes_to_the_container_streams(self) -> None:
        """supervisord and every program log to /dev/stdout (listeners to /dev/stderr), maxbytes 0."""
        source = (ROOT / "supervisor.conf").read_text()
        config = _load_container_conf().container_config(source)
        assert config["supervisord"]["logfile"] == "/dev/stdout"
        assert config["supervisord"]["logfile_maxbytes"] == "0"
        for name in config.sections():
            section = config[name]
            if name.startswith("program:"):
                assert (
                    section["stdout_logfile"] == "/dev/stdout" and section["stdout_logfile_maxbytes"] == "0"
                )
            if name.startswith("eventlistener:"):
                assert (
                    section["stderr_logfile"] == "/dev/stderr" and section["stderr_logfile_maxbytes"] == "0"
                )

    def test_programs_are_those_of_supervisor_conf(self, tmp_path: Path) -> None:
        """The generated file has the same sections and commands as supervisor.conf."""
        target = tmp_path / "supervisor.container.conf"
        assert _load_container_conf().main(["x", str(ROOT / "supervisor.conf"), str(target)]) == 0
        original, generated = configparser.RawConfigParser(), configparser.RawConfigParser()
        original.read(ROOT / "supervisor.conf")
        generated.read(target)
        assert original.sections() == generated.sections()
        for name in original.sections():
            if "command" in original[name]:
                assert original[name]["command"] == generated[name]["command"]
