"""render.yaml, the Render Blueprint: fields Render documents, wiring by reference, and settings TRT
can start with (every variable production needs is provided, every secret is unsynced)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.env import field_types
from shared.secret import SecretStr
from shared.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]

# Render's Blueprint YAML reference (https://render.com/docs/blueprint-spec): the fields and values
# it documents for each kind of entry. A key outside these sets is one Render rejects or ignores.
ROOT_FIELDS = {"services", "databases", "envVarGroups", "previews", "projects", "ungrouped"}
SERVICE_TYPES = {"web", "worker", "pserv", "cron", "keyvalue", "redis"}
RUNTIMES = {"docker", "image", "node", "python", "ruby", "go", "rust", "elixir", "static"}
REGIONS = {"oregon", "ohio", "virginia", "frankfurt", "singapore"}
SERVICE_PLANS = {"free", "starter", "standard", "pro", "pro plus", "pro max", "pro ultra"}
DATABASE_PLANS = {"free", "basic-256mb", "basic-1gb", "basic-4gb", "pro-4gb", "pro-8gb", "accelerated-16gb"}
MAXMEMORY_POLICIES = {
    "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu",
    "volatile-random", "volatile-ttl", "noeviction",
}  # fmt: skip
WEB_FIELDS = {
    "type", "name", "runtime", "plan", "region", "repo", "branch", "rootDir", "numInstances", "scaling",
    "buildCommand", "startCommand", "preDeployCommand", "dockerfilePath", "dockerContext", "dockerCommand",
    "image", "registryCredential", "healthCheckPath", "maxShutdownDelaySeconds", "autoDeploy",
    "autoDeployTrigger", "buildFilter", "domains", "envVars", "disk", "previews", "initialDeployHook",
}  # fmt: skip
KEYVALUE_FIELDS = {"type", "name", "plan", "region", "ipAllowList", "maxmemoryPolicy", "previews"}
DATABASE_FIELDS = {
    "name", "databaseName", "user", "plan", "region", "postgresMajorVersion", "diskSizeGB",
    "ipAllowList", "readReplicas", "highAvailability", "previews",
}  # fmt: skip
ENV_SOURCES = {"value", "generateValue", "sync", "fromDatabase", "fromService", "fromGroup"}
DATABASE_PROPERTIES = {"host", "port", "database", "user", "password", "connectionString"}
SERVICE_PROPERTIES = {"host", "port", "hostport", "connectionString"}

# What TRT cannot run in production without (the defaults serve only a laptop): the programs raise
# ConfigError naming these at start when BOT_MODE=webhook.
PRODUCTION_REQUIRED = {
    "TELEGRAM_BOT_TOKEN", "WEBHOOK_URL", "WEBHOOK_SECRET_TOKEN", "KIE_API_KEY", "DATABASE_URL", "REDIS_URL",
}  # fmt: skip
# Read by supervisor.conf (numprocs of bot), not by shared/settings.py.
SUPERVISOR_VARIABLES = {"BOT_WORKERS"}
# A value per source, to build the environment Render would hand the container.
STAND_INS = {
    "DATABASE_URL": "postgresql://trt:pw@dpg-x-a:5432/trt",
    "REDIS_URL": "redis://red-x:6379",
    "TELEGRAM_BOT_TOKEN": "123:abc",
    "WEBHOOK_URL": "https://trt.onrender.com/telegram/webhook",
    "WEBHOOK_SECRET_TOKEN": "s3cret_token-1-of-at-least-32-characters",
    "ADMIN_IDS": "42",
}


def load_blueprint() -> dict[str, Any]:
    """render.yaml, parsed."""
    loaded = yaml.safe_load((ROOT / "render.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def web_service(blueprint: dict[str, Any]) -> dict[str, Any]:
    """The one web service: TRT's container."""
    (web,) = [service for service in blueprint["services"] if service["type"] == "web"]
    return web


def env_vars(blueprint: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The web service's variables by key."""
    return {entry["key"]: entry for entry in web_service(blueprint)["envVars"]}


def rendered_environment(blueprint: dict[str, Any]) -> dict[str, str]:
    """The environment the container gets: literal values, and a stand-in for everything Render fills."""
    variables = env_vars(blueprint).items()
    return {key: str(entry.get("value", STAND_INS.get(key, "x"))) for key, entry in variables}


class TestRenderSchema:
    def test_root_has_only_documented_fields(self) -> None:
        """The Blueprint's top level uses only fields Render documents."""
        assert set(load_blueprint()) <= ROOT_FIELDS

    def test_every_service_uses_documented_fields_and_values(self) -> None:
        """Each service has a known type, region and plan, and only the fields of its kind."""
        for service in load_blueprint()["services"]:
            assert service["type"] in SERVICE_TYPES, service["name"]
            fields = KEYVALUE_FIELDS if service["type"] == "keyvalue" else WEB_FIELDS
            assert set(service) <= fields, set(service) - fields
            assert service.get("region", "oregon") in REGIONS
            assert service.get("plan", "starter") in SERVICE_PLANS

    def test_key_value_is_private_and_never_evicts(self) -> None:
        """Key Value declares its required ipAllowList, and noeviction: streams and the lease are data."""
        (kv,) = [service for service in load_blueprint()["services"] if service["type"] == "keyvalue"]
        assert kv["ipAllowList"] == []
        assert kv["maxmemoryPolicy"] in MAXMEMORY_POLICIES and kv["maxmemoryPolicy"] == "noeviction"
        assert kv.get("plan") not in {None, "free"}, "free Key Value has no persistence"

    def test_databases_use_documented_fields_and_values(self) -> None:
        """Each Postgres entry uses only documented fields, a known plan and region."""
        for database in load_blueprint()["databases"]:
            assert set(database) <= DATABASE_FIELDS, set(database) - DATABASE_FIELDS
            assert database["plan"] in DATABASE_PLANS and database["region"] in REGIONS

    def test_every_variable_has_exactly_one_source(self) -> None:
        """Each envVar has a key and one source; sync may only be false (Render's prompt)."""
        for key, entry in env_vars(load_blueprint()).items():
            sources = set(entry) - {"key"}
            assert len(sources) == 1 and sources <= ENV_SOURCES, key
            assert entry.get("sync", False) is False, key
            assert isinstance(entry.get("value", ""), str), f"{key}: quote the value, Render wants strings"

    def test_references_name_resources_of_this_blueprint(self) -> None:
        """fromDatabase / fromService name a database / Key Value declared here, and a valid property."""
        blueprint = load_blueprint()
        databases = {database["name"] for database in blueprint["databases"]}
        services = {(service["type"], service["name"]) for service in blueprint["services"]}
        for key, entry in env_vars(blueprint).items():
            if "fromDatabase" in entry:
                ref = entry["fromDatabase"]
                assert ref["name"] in databases and ref["property"] in DATABASE_PROPERTIES, key
            if "fromService" in entry:
                ref = entry["fromService"]
                assert (ref["type"], ref["name"]) in services and ref["property"] in SERVICE_PROPERTIES, key


class TestRenderService:
    def test_docker_web_service_on_port_10000(self) -> None:
        """The web service builds the repository's Dockerfile and listens on 10000, Render's default."""
        web = web_service(load_blueprint())
        assert web["runtime"] == "docker"
        assert (ROOT / web["dockerfilePath"]).is_file()
        assert env_vars(load_blueprint())["PORT"]["value"] == "10000"
        assert "EXPOSE 10000" in (ROOT / "Dockerfile").read_text()

    def test_health_check_is_a_route_the_webhook_serves(self) -> None:
        """healthCheckPath is one of the webhook program's GET routes."""
        path = web_service(load_blueprint())["healthCheckPath"]
        sources = "".join((ROOT / "services/webhook" / name).read_text() for name in ("app.py", "health.py"))
        assert re.search(rf'add_get\("{re.escape(path)}"', sources), path

    def test_shutdown_delay_covers_the_longest_drain(self) -> None:
        """Render waits at least as long as supervisord's longest stopwaitsecs before killing."""
        conf = configparser.RawConfigParser()
        conf.read(ROOT / "supervisor.conf")
        longest = max(int(conf[s].get("stopwaitsecs", "10")) for s in conf.sections() if ":" in s)
        assert web_service(load_blueprint())["maxShutdownDelaySeconds"] >= longest


class TestRenderSettings:
    def test_every_variable_is_a_setting(self) -> None:
        """Each variable the Blueprint sets is one TRT reads (no typo sits unread)."""
        unknown = set(env_vars(load_blueprint())) - set(field_types(Settings)) - SUPERVISOR_VARIABLES
        assert not unknown

    @pytest.mark.parametrize("name", sorted(PRODUCTION_REQUIRED))
    def test_required_variable_is_provided(self, name: str) -> None:
        """Each variable production cannot start without is set, prompted for or wired."""
        assert name in env_vars(load_blueprint())

    def test_secrets_are_never_committed(self) -> None:
        """Every secret setting is unsynced or generated by Render, never a value in the file."""
        secrets = {name for name, kind in field_types(Settings).items() if SecretStr in _types(kind)}
        for key in secrets & set(env_vars(load_blueprint())):
            assert "value" not in env_vars(load_blueprint())[key], key

    def test_settings_load_from_the_rendered_environment(self) -> None:
        """The environment Render builds passes settings validation, webhook mode included."""
        settings = load_settings(rendered_environment(load_blueprint()))
        assert settings.PORT == 10000 and settings.BOT_MODE.value == "webhook"
        settings.require_telegram()
        settings.require_webhook_secret()


def _types(annotation: object) -> set[object]:
    return {annotation, *getattr(annotation, "__args__", ())}
