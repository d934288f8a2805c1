"""Is every registry model one KIE's docs know? A cross-check against the docs tables, read as data.

The tables are facts copied from docs.kie.ai and kept beside the KIE emulator
(`emulators/kie/docs/market_models.json`: Market model ids; `family_models.json`: the dedicated
endpoints and the documented values of the field that names the model, and the follow-up endpoints of
each). They are read here as JSON files only (never by importing the emulator), so `make catalog-check`
refuses a model id, a route, a model field or a priced follow-up that KIE's docs do not list before it
reaches users. The body the client would send is
built by the client's own family builder, so what is checked is what KIE would receive.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.catalog.errors import RegistryError
from shared.catalog.registry import Registry
from shared.catalog.schema import Route
from shared.kie.families import family_for

__all__ = ["DEFAULT_DOCS_DIR", "DocsTables", "check_documented", "load_docs_tables"]

DEFAULT_DOCS_DIR = Path(__file__).resolve().parents[2] / "emulators" / "kie" / "docs"


class DocsTables:
    """The documented Market model ids and, per dedicated create endpoint, its model field and values."""

    def __init__(
        self,
        market: set[str],
        endpoints: dict[str, tuple[str | None, set[str]]],
        follow_ups: dict[str, str] | None = None,
    ) -> None:
        self.market = market
        self.endpoints = endpoints
        self.follow_ups = follow_ups or {}
        """Documented follow-up endpoint → the create endpoint whose tasks it acts on."""


def load_docs_tables(directory: Path = DEFAULT_DOCS_DIR) -> DocsTables:
    """Read both tables; RegistryError naming the file when one is missing or not the expected JSON."""
    market = _read(directory / "market_models.json").get("models")
    families = _read(directory / "family_models.json")
    endpoints, follow_ups = families.get("endpoints"), families.get("follow_ups", {})
    if not isinstance(market, dict) or not isinstance(endpoints, dict) or not isinstance(follow_ups, dict):
        raise RegistryError(f"KIE docs tables in {directory} lack `models` / `endpoints` / `follow_ups`")
    return DocsTables(
        market=set(market),
        endpoints={
            path: (spec.get("field"), set(spec.get("values", ()))) for path, spec in endpoints.items()
        },
        follow_ups={path: str(spec.get("of")) for path, spec in follow_ups.items()},
    )


def check_documented(registry: Registry, tables: DocsTables) -> None:
    """RegistryError naming the first model KIE's docs do not know (id, endpoint or model field)."""
    for model in registry:
        if model.route is Route.MARKET:
            if model.id not in tables.market:
                raise RegistryError("not a Market model in KIE's docs table", model_id=model.id, field="id")
            continue
        _check_endpoint(model.id, model.route.value, tables)
        for action, _ in model.follow_ups:
            _check_follow_up(model.id, model.route.value, action.value, tables)


def _check_follow_up(model_id: str, route: str, action: str, tables: DocsTables) -> None:
    """A priced follow-up must be one the client speaks and KIE's docs list for the family's tasks."""
    family = family_for(route)
    path = family.follow_ups.get(action)
    field = f"follow_ups.{action}"
    if path is None:
        raise RegistryError(f"the client has no {route} follow-up {action!r}", model_id=model_id, field=field)
    if tables.follow_ups.get(path) != family.create_path:
        reason = f"KIE's docs table has no follow-up {path} of {family.create_path}"
        raise RegistryError(reason, model_id=model_id, field=field)


def _check_endpoint(model_id: str, route: str, tables: DocsTables) -> None:
    family = family_for(route)
    if family.create_path not in tables.endpoints:
        raise RegistryError(
            f"KIE's docs table has no endpoint {family.create_path}", model_id=model_id, field="route"
        )
    field, values = tables.endpoints[family.create_path]
    if field is None:
        return
    body = family.build(model_id, {}, None)
    if body.get(field) not in values:
        raise RegistryError(
            f"{field}={body.get(field)!r} is not documented for {family.create_path}",
            model_id=model_id,
            field="id",
        )


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegistryError(f"cannot read KIE docs table {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise RegistryError(f"KIE docs table {path} is not a JSON object")
    return data
