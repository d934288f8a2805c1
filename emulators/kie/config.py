"""The emulator's settings: keys and credits, phase timings per output kind, callback delivery,
charging, HTTP status mirroring, rate limits and the random seed. Frozen; built once and injected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from .model import OutputKind

__all__ = [
    "DEFAULT_API_KEY",
    "AudioFormat",
    "CallbackPolicy",
    "ChargeOn",
    "EmulatorConfig",
    "PhaseDurations",
    "RateLimits",
    "default_phases",
]

DEFAULT_API_KEY = "kie-emulator-key"


class ChargeOn(StrEnum):
    """When a task's price leaves the balance (kie-api.md §8.2: on success by default)."""

    SUCCESS = "success"
    ACCEPT = "accept"


class AudioFormat(StrEnum):
    """The container of audio results."""

    MP3 = "mp3"
    WAV = "wav"


@dataclass(frozen=True, slots=True)
class PhaseDurations:
    """Seconds a task spends waiting, queuing and generating before it ends."""

    waiting: float
    queuing: float
    generating: float

    def __post_init__(self) -> None:
        if min(self.waiting, self.queuing, self.generating) < 0:
            raise ValueError("phase durations must not be negative")

    @property
    def total(self) -> float:
        """Seconds from creation to the final state."""
        return self.waiting + self.queuing + self.generating

    @classmethod
    def split(cls, total: float) -> PhaseDurations:
        """Split a total as 10% waiting, 20% queuing, 70% generating."""
        return cls(total * 0.1, total * 0.2, total * 0.7)


_DEFAULT_PHASES: dict[str, PhaseDurations] = {
    OutputKind.IMAGE.value: PhaseDurations(0.5, 0.5, 2.0),
    OutputKind.VIDEO.value: PhaseDurations(1.0, 1.0, 6.0),
    OutputKind.AUDIO.value: PhaseDurations(0.5, 0.5, 3.0),
}


def default_phases() -> Mapping[str, PhaseDurations]:
    """A few seconds per task: quick enough for the sandbox, slow enough to see the states."""
    return MappingProxyType(dict(_DEFAULT_PHASES))


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    """How callbacks are delivered: per-attempt timeout, retry delays after failures, duplicate spacing.

    KIE documents a 15 s timeout and "3 consecutive retries" (§2.4, §7); the delays are ours (§8.8).
    """

    timeout: float = 15.0
    retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0)
    duplicate_delay: float = 0.5


@dataclass(frozen=True, slots=True)
class RateLimits:
    """KIE's documented limits (§7); None switches a limit off."""

    create_per_window: int | None = 20
    create_window_seconds: float = 10.0
    record_per_second: int | None = 10


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """Everything the emulator is started with.

    `api_keys` maps each accepted key to its starting credits. `hmac_key` switches on KIE's webhook
    signature headers. `mirror_http_status` answers errors with the code as HTTP status too (KIE's
    practice is HTTP 200 with the code in the body). `null_polls` makes recordInfo answer
    "recordInfo is null" for that many polls right after creation (§2.2).
    """

    api_keys: Mapping[str, float] = field(default_factory=lambda: {DEFAULT_API_KEY: 10_000.0})
    phases: Mapping[str, PhaseDurations] = field(default_factory=default_phases)
    callbacks: CallbackPolicy = field(default_factory=CallbackPolicy)
    rate_limits: RateLimits = field(default_factory=RateLimits)
    hmac_key: str | None = None
    charge_on: ChargeOn = ChargeOn.SUCCESS
    mirror_http_status: bool = False
    null_polls: int = 0
    seed: int = 0
    fail_code: str = "500"
    fail_msg: str = "Internal server error"
    audio_format: AudioFormat = AudioFormat.MP3
    video_seconds: int = 2
    audio_seconds: float = 2.0

    def phases_for(self, kind: OutputKind, gen_type: str = "") -> PhaseDurations:
        """The phase timings of a task: its generation type's when set (e.g. "text-to-video", as
        the docs table names types), else its output kind's ("image", "video", "audio")."""
        return self.phases.get(gen_type) or self.phases.get(kind.value) or _DEFAULT_PHASES[kind.value]
