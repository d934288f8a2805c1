"""KIE's API families: each one's create endpoints, record endpoint and shapes.

`ROUTES` lists every family endpoint the emulator serves (create and follow-up calls validate their
body into a `TaskPlan`; record calls render a task with the family's `record`). `build_families`
gives the renderers by family name; the Market family renders `Task.record` / `Task.callback_body`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..config import EmulatorConfig
from ..model import Task
from . import images, mj, runway, suno, veo
from .base import Family, Lookup, TaskPlan

__all__ = [
    "CREATE_ROUTES",
    "FAMILY_ENDPOINTS",
    "RECORD_ROUTES",
    "CreateRoute",
    "Family",
    "MarketFamily",
    "TaskPlan",
    "build_families",
]

Parser = Callable[[object, Lookup], TaskPlan]


@dataclass(frozen=True)
class CreateRoute:
    """A POST that starts a task of `family` (a generate, or a follow-up like extend or upscale)."""

    path: str
    family: str
    endpoint: str
    parse: Parser
    answer: tuple[tuple[str, None], ...] = ()
    """Documented `data` keys answered beside taskId (Veo 4K's resultUrls/imageUrls: null)."""


CREATE_ROUTES = (
    CreateRoute("/api/v1/generate", "suno", "suno.generate", suno.parse_generate),
    CreateRoute("/api/v1/generate/extend", "suno", "suno.extend", suno.parse_extend),
    CreateRoute("/api/v1/veo/generate", "veo", "veo.generate", veo.parse_generate),
    CreateRoute("/api/v1/veo/extend", "veo", "veo.extend", veo.parse_extend),
    CreateRoute(
        "/api/v1/veo/get-4k-video", "veo", "veo.4k", veo.parse_4k, (("resultUrls", None), ("imageUrls", None))
    ),
    CreateRoute("/api/v1/gpt4o-image/generate", "gpt4o", "gpt4o.generate", images.parse_gpt4o),
    CreateRoute("/api/v1/flux/kontext/generate", "flux", "flux.generate", images.parse_flux),
    CreateRoute("/api/v1/mj/generate", "mj", "mj.generate", mj.parse_generate),
    CreateRoute("/api/v1/mj/generateUpscale", "mj", "mj.upscale", mj.parse_upscale),
    CreateRoute("/api/v1/mj/generateVary", "mj", "mj.vary", mj.parse_vary),
    CreateRoute("/api/v1/runway/generate", "runway", "runway.generate", runway.parse_generate),
    CreateRoute("/api/v1/runway/extend", "runway", "runway.extend", runway.parse_extend),
    CreateRoute("/api/v1/aleph/generate", "aleph", "aleph.generate", runway.parse_aleph),
)

RECORD_ROUTES = {
    "/api/v1/generate/record-info": "suno",
    "/api/v1/veo/record-info": "veo",
    "/api/v1/gpt4o-image/record-info": "gpt4o",
    "/api/v1/flux/kontext/record-info": "flux",
    "/api/v1/mj/record-info": "mj",
    "/api/v1/runway/record-detail": "runway",
    "/api/v1/aleph/record-info": "aleph",
}
"""GET ?taskId= record paths by family; the endpoint name for faults is "<family>.recordInfo"."""

FAMILY_ENDPOINTS = (
    *(route.endpoint for route in CREATE_ROUTES),
    *(f"{family}.recordInfo" for family in RECORD_ROUTES.values()),
    "veo.1080p",
    "gpt4o.downloadUrl",
)
"""Fault-injection names of the family endpoints."""


class MarketFamily(Family):
    """The Market (createTask) shapes, kept on `Task` itself."""

    name = "market"

    def record(self, task: Task, now: float) -> dict[str, Any]:
        """recordInfo `data`."""
        return task.record(now)

    def final_callback(self, task: Task, now: float) -> dict[str, Any]:
        """The Market callback envelope."""
        return task.callback_body(now)


def build_families(config: EmulatorConfig) -> dict[str, Family]:
    """Every family's renderer by name."""
    families: list[Family] = [
        MarketFamily(),
        suno.SunoFamily(config),
        veo.VeoFamily(),
        images.Gpt4oFamily(),
        images.FluxFamily(),
        mj.MidjourneyFamily(),
        runway.RunwayFamily(),
        runway.AlephFamily(),
    ]
    return {family.name: family for family in families}


def result_ids(task: Task) -> list[str]:
    """Ids a follow-up call may name instead of the task id (Suno's track ids)."""
    return suno.result_ids(task) if task.family == "suno" else []
