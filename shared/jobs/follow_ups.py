"""A follow-up job: a priced action on a delivered result, run by the result's own KIE API.

A follow-up is a job like any other (hold → submit → callback or poll → deliver → capture, or refund):
its `model_id` is the original's, so the route, time limit and name are the original model's, and its
`params` hold only this request under `FOLLOW_UP_KEY`:

    Veo 1080p   GET  /api/v1/veo/get-1080p-video ?taskId=&index=0 → data.resultUrl once ready (no task,
                     no callback: the job polls until the URL comes or the deadline refunds it)
    Veo 4K      POST /api/v1/veo/get-4k-video     {taskId, index, callBackUrl} → a task (record-info)
    MJ upscale  POST /api/v1/mj/generateUpscale   {taskId, imageIndex 0-3, callBackUrl} → a task
    MJ vary     POST /api/v1/mj/generateVary      {taskId, imageIndex 0-3, callBackUrl} → a task
    Suno extend POST /api/v1/generate/extend      {defaultParamFlag: false, audioId, model, callBackUrl}
                     → a task; `audioId` is the id of track `index` in the finished task's record

Docs: docs.kie.ai/veo3-api/get-veo-3-1080-p-video, /veo3-api/get-veo-3-4k-video, /mj-api/upscale,
/mj-api/vary, /suno-api/extend-music (golden fixtures tests/kie/fixtures/veo/get-*.json,
mj/upscale.json, mj/vary.json, suno/extend.json).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.catalog import FollowUp

__all__ = ["FOLLOW_UP_KEY", "GRID_SIZE", "RESULTS", "SUNO_TRACKS", "FollowUpRequest"]

FOLLOW_UP_KEY = "followUp"
"""The one key of a follow-up job's `params`; no registry model has an input field of that name."""

GRID_SIZE = 4
"""Pictures in a Midjourney grid: imageIndex 0-3 (docs.kie.ai/mj-api/upscale, /vary)."""

SUNO_TRACKS = 2
"""Tracks a Suno request makes (kie-api.md §4.2: "typically 2"); extend names one of them."""

RESULTS: dict[FollowUp, int] = {
    FollowUp.UPSCALE: GRID_SIZE,
    FollowUp.VARY: GRID_SIZE,
    FollowUp.EXTEND: SUNO_TRACKS,
}
"""How many results of the finished task a follow-up can pick from (1 when it is not listed)."""


@dataclass(frozen=True, slots=True)
class FollowUpRequest:
    """What a follow-up job asks KIE for: `action` on result `index` of the finished task `task_id`.

    `parent_job` is the hex id of the job whose result it acts on (for "Try again" after a failure).
    """

    action: FollowUp
    task_id: str
    index: int = 0
    parent_job: str = ""

    def __post_init__(self) -> None:
        if not self.task_id:
            raise ValueError("a follow-up needs the finished task's id")
        highest = RESULTS.get(self.action, 1) - 1
        if not 0 <= self.index <= highest:
            raise ValueError(f"{self.action.value}: index must be 0..{highest}, got {self.index}")

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> FollowUpRequest | None:
        """The follow-up a job's `params` hold, None for an ordinary job (or a malformed entry)."""
        raw = params.get(FOLLOW_UP_KEY)
        if not isinstance(raw, Mapping):
            return None
        try:
            return cls(
                action=FollowUp(str(raw.get("action"))),
                task_id=str(raw.get("taskId") or ""),
                index=int(raw.get("index", 0)),
                parent_job=str(raw.get("parentJob") or ""),
            )
        except (TypeError, ValueError):
            return None

    def to_params(self) -> dict[str, Any]:
        """The job's `params`."""
        entry = {"action": self.action.value, "taskId": self.task_id, "index": self.index}
        return {FOLLOW_UP_KEY: {**entry, "parentJob": self.parent_job}}

    @property
    def polled(self) -> bool:
        """True for the 1080p upgrade: no task and no callback, only its GET asked until ready."""
        return self.action is FollowUp.HD_1080P

    def kie_fields(self) -> dict[str, Any]:
        """The documented request body (without callBackUrl) of a task-creating follow-up."""
        if self.action in (FollowUp.UPSCALE, FollowUp.VARY):
            return {"taskId": self.task_id, "imageIndex": self.index}
        if self.action is FollowUp.UHD_4K:
            return {"taskId": self.task_id, "index": self.index}
        raise ValueError(f"{self.action.value} creates no task with a body of its own")

    @staticmethod
    def extend_fields(audio_id: str, model: str) -> dict[str, Any]:
        """Suno's extend body (without callBackUrl): the track continued with its own parameters."""
        return {"defaultParamFlag": False, "audioId": audio_id, "model": model}

    def polled_task_id(self, job_hex: str) -> str:
        """The job's `kie_task_id` for a polled follow-up: unique per job (the column is UNIQUE)."""
        return f"{self.task_id}:{self.action.value}:{job_hex[:12]}"
