"""Credit packs sold for Telegram Stars, parsed from ``CREDIT_PACKS``, and the invoice payload naming one.

``CREDIT_PACKS`` is ``credits:stars`` pairs separated by commas, e.g. ``100:50,500:225,1500:600``.
A pack's id is its credit amount (unique within the setting). The invoice payload (signed, see
``shared.money.invoices``) carries the pack and the price it was offered at, so a checkout for a pack
whose price changed since the invoice was sent is refused instead of being credited at the old rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.errors import TrtError

__all__ = ["CreditPack", "PackError", "find_pack", "parse_packs"]

MAX_STARS = 100_000
"""Telegram caps a Stars invoice well below this; a larger value is a typo in the setting."""


class PackError(TrtError, ValueError):
    """``CREDIT_PACKS`` is malformed; the message says which part and what is expected."""


@dataclass(frozen=True, slots=True)
class CreditPack:
    """``credits`` credits sold for ``stars`` Telegram Stars."""

    credits: int
    stars: int


def _pair(part: str) -> CreditPack:
    credits_text, sep, stars_text = part.strip().partition(":")
    if not sep or not credits_text.strip().isdigit() or not stars_text.strip().isdigit():
        raise PackError(f"{part.strip()!r}: expected credits:stars with whole numbers, e.g. 100:50")
    pack = CreditPack(int(credits_text), int(stars_text))
    if pack.credits <= 0 or not 0 < pack.stars <= MAX_STARS:
        raise PackError(f"{part.strip()!r}: credits must be positive and stars 1-{MAX_STARS}")
    return pack


def parse_packs(raw: str) -> tuple[CreditPack, ...]:
    """The packs of a ``CREDIT_PACKS`` value, in the order given; raises PackError naming the bad part."""
    parts = [part for part in raw.split(",") if part.strip()]
    if not parts:
        raise PackError("expected at least one credits:stars pack, e.g. 100:50,500:225")
    packs = tuple(_pair(part) for part in parts)
    amounts = [pack.credits for pack in packs]
    if len(set(amounts)) != len(amounts):
        raise PackError("two packs have the same number of credits")
    return packs


def find_pack(packs: Sequence[CreditPack], credits: int) -> CreditPack | None:
    """The configured pack of ``credits`` credits, or None."""
    return next((pack for pack in packs if pack.credits == credits), None)
