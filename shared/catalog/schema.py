"""Typed shape of the catalogue: generation types, field kinds, fields, prices and models."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "FOLLOW_UPS",
    "MEDIA_KINDS",
    "UNVERIFIED_SOURCE",
    "Condition",
    "Field",
    "FieldKind",
    "FollowUp",
    "GenType",
    "Localized",
    "Model",
    "Price",
    "PriceFactor",
    "PriceRate",
    "PriceUnit",
    "Route",
    "Rule",
    "Scalar",
    "scalar_equal",
]

UNVERIFIED_SOURCE = "unverified"
"""The price source of a model whose price no published KIE page confirms: not sold by default."""

Scalar = str | int | float | bool
"""A JSON scalar: the value of an enum, a default or a `when` condition."""


class GenType(StrEnum):
    """Generation types, declared in the order the bot's menu shows them."""

    TEXT_TO_IMAGE = "text-to-image"
    IMAGE_EDIT = "image-edit"
    BACKGROUND_REMOVAL = "background-removal"
    UPSCALE = "upscale"
    TEXT_TO_VIDEO = "text-to-video"
    IMAGE_TO_VIDEO = "image-to-video"
    VIDEO_TO_VIDEO = "video-to-video"
    AVATAR = "avatar"
    TEXT_TO_SPEECH = "text-to-speech"
    MUSIC = "music"
    SOUND_EFFECT = "sound-effect"


class Route(StrEnum):
    """Which KIE API family submits the model (`shared.kie.families`): Market or a dedicated API."""

    MARKET = "market"
    SUNO = "suno"
    VEO = "veo"
    GPT4O_IMAGE = "4o-image"
    FLUX_KONTEXT = "flux-kontext"
    MIDJOURNEY = "midjourney"
    RUNWAY = "runway"
    ALEPH = "aleph"


class FollowUp(StrEnum):
    """A priced action on a delivered result, done by the model's own KIE API (kie-api.md §4)."""

    HD_1080P = "1080p"  # Veo: the 1080p version of a video
    UHD_4K = "4k"  # Veo: the 4K version of a video
    UPSCALE = "upscale"  # Midjourney: one picture of a grid, larger
    VARY = "vary"  # Midjourney: a new grid from one picture of a grid
    EXTEND = "extend"  # Suno: a track continued


FOLLOW_UPS: Mapping[Route, frozenset[FollowUp]] = {
    Route.VEO: frozenset({FollowUp.HD_1080P, FollowUp.UHD_4K}),
    Route.MIDJOURNEY: frozenset({FollowUp.UPSCALE, FollowUp.VARY}),
    Route.SUNO: frozenset({FollowUp.EXTEND}),
}
"""The follow-ups each KIE API family offers; a registry model may price any of its route's."""


class FieldKind(StrEnum):
    """What an input field holds; media kinds hold URLs (a list of them when `multiple`)."""

    TEXT = "text"
    ENUM = "enum"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DIALOGUE = "dialogue"


MEDIA_KINDS = frozenset({FieldKind.IMAGE, FieldKind.VIDEO, FieldKind.AUDIO})


class PriceUnit(StrEnum):
    """What one unit of a model's base price buys."""

    TASK = "task"
    IMAGE = "image"
    SECOND = "second"
    CHARS_1000 = "1000_chars"


def scalar_equal(left: object, right: object) -> bool:
    """Compare JSON scalars without Python's `True == 1` coercion; ints and floats compare by value."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and left == right


@dataclass(frozen=True, slots=True)
class Localized:
    """A user-facing text in Russian and English."""

    ru: str
    en: str

    def get(self, lang: str) -> str:
        """Return the text for `lang` ("ru" or "en"), Russian for anything else."""
        return self.en if lang == "en" else self.ru


@dataclass(frozen=True, slots=True)
class Field:
    """One `input` field of a model: its kind, requirement, limits and default."""

    name: str
    kind: FieldKind
    required: bool
    default: Scalar | None = None
    values: tuple[Scalar, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    multiple: bool = False
    min_items: int | None = None
    max_items: int | None = None
    voices: tuple[str, ...] = ()

    @property
    def is_media(self) -> bool:
        """True for fields that take uploaded media URLs."""
        return self.kind in MEDIA_KINDS


@dataclass(frozen=True, slots=True)
class Condition:
    """A conjunction of `field == value` tests over a parameter set."""

    terms: tuple[tuple[str, Scalar], ...]

    def matches(self, params: Mapping[str, object]) -> bool:
        """True when every term's field is present in `params` with the term's value."""
        return all(name in params and scalar_equal(params[name], value) for name, value in self.terms)

    @property
    def names(self) -> tuple[str, ...]:
        """The field names this condition reads."""
        return tuple(name for name, _ in self.terms)


@dataclass(frozen=True, slots=True)
class Rule:
    """A conditional input rule: when `when` matches, require fields and tighten length limits."""

    when: Condition
    require: tuple[str, ...] = ()
    max_length: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class PriceRate:
    """A per-unit price that replaces the base price when its condition matches (first match wins)."""

    when: Condition
    base: Decimal


@dataclass(frozen=True, slots=True)
class PriceFactor:
    """A multiplier applied to the per-unit price when its condition matches (all matches apply)."""

    when: Condition
    factor: Decimal


@dataclass(frozen=True, slots=True)
class Price:
    """A declarative price: credits = rate(params) × factors(params) × units(params), rounded up."""

    unit: PriceUnit
    base: Decimal
    source: str
    rates: tuple[PriceRate, ...] = ()
    factors: tuple[PriceFactor, ...] = ()
    unit_param: str | None = None
    seconds: int | None = None
    note: str | None = None

    @property
    def verified(self) -> bool:
        """True when a published source confirms the price (anything but `UNVERIFIED_SOURCE`)."""
        return self.source != UNVERIFIED_SOURCE

    def conditions(self) -> Iterable[Condition]:
        """Every condition of the rates and factors."""
        yield from (rate.when for rate in self.rates)
        yield from (factor.when for factor in self.factors)


@dataclass(frozen=True, slots=True)
class Model:
    """A KIE model as the bot offers it."""

    id: str
    type: GenType
    route: Route
    name: Localized
    description: Localized
    typical_seconds: int
    time_limit_seconds: int
    fields: tuple[Field, ...]
    price: Price
    rules: tuple[Rule, ...] = ()
    notes: str | None = None
    follow_ups: tuple[tuple[FollowUp, Price], ...] = ()

    def follow_up_price(self, action: FollowUp) -> Price | None:
        """The price of a follow-up on this model's results, None when it is not offered."""
        return next((price for name, price in self.follow_ups if name is action), None)

    def field(self, name: str) -> Field | None:
        """Return the input field called `name`, or None."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        return None
