"""The balance screen: every movement named for what it was, no zero rows, a way to buy more."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.bot.views.account import balance_screen, history_screen
from shared.catalog import load_registry
from shared.chat.texts import Language, Texts
from shared.jobs import Job, JobState
from shared.ledger import Movement, MovementKind

TEXTS = Texts()


def _movement(amount: int, kind: MovementKind, reason: str) -> Movement:
    return Movement(
        id=1,
        user_id=1,
        amount=amount,
        kind=kind,
        reason=reason,
        idempotency_key="k",
        job_id=None,
        balance_after=0,
        created_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
    )


@pytest.mark.parametrize("language", list(Language))
class TestBalanceScreen:
    def test_each_kind_reads_as_what_happened(self, language: Language) -> None:
        """A Stars purchase, a promo code and an invitation bonus are named, not called adjustments."""
        movements = [
            _movement(100, MovementKind.PURCHASE, "stars pack:100:50"),
            _movement(20, MovementKind.GRANT, "promo SPRING"),
            _movement(25, MovementKind.REFERRAL, "referral"),
        ]
        text = balance_screen(TEXTS, language, 145, movements).text
        for key in ("reason_purchase", "reason_promo", "reason_referral"):
            assert TEXTS.get(key, language) in text
        assert TEXTS.get("reason_other", language) not in text

    def test_a_capture_moving_nothing_is_not_a_row(self, language: Language) -> None:
        """A run shows once, as its hold; the capture's +0 does not follow it."""
        movements = [_movement(0, MovementKind.CAPTURE, "job"), _movement(-8, MovementKind.HOLD, "job")]
        text = balance_screen(TEXTS, language, 42, movements).text
        assert "+0" not in text and "-8" in text

    def test_the_balance_offers_buying(self, language: Language) -> None:
        """Buy credits is one tap from the balance."""
        screen = balance_screen(TEXTS, language, 0, [])
        assert next(b.data for b in screen.buttons()) == "by:n0"


class TestHistory:
    def test_use_as_input_only_for_pictures(self) -> None:
        """A video result offers Open and Again, but not Use as input (no picture model takes it)."""
        registry = load_registry()
        video = _job("bytedance/v1-pro-text-to-video")
        picture = _job("nano-banana-2")
        screen = history_screen(TEXTS, registry, Language.EN, [video, picture])
        reuse = [b.data for b in screen.buttons() if b.data.startswith("h:i:")]
        assert reuse == [f"h:i:{picture.id.hex[:12]}"]


def _job(model_id: str) -> Job:
    job_id = uuid.uuid4()
    row = {
        "id": job_id,
        "user_id": 1,
        "chat_id": 1,
        "model_id": model_id,
        "params": {},
        "price_credits": 1,
        "state": JobState.SUCCEEDED.value,
        "settlement": "captured",
        "kie_task_id": "t",
        "attempts": 1,
        "error_code": None,
        "error_text": None,
        "result_urls": ["https://example.com/r"],
        "typical_seconds": 10,
        "time_limit_seconds": 60,
        "created_at": datetime(2026, 12, 1, tzinfo=UTC),
        "submitted_at": None,
        "finished_at": None,
        "deadline": None,
        "progress_message_id": None,
        "delivered_at": None,
        "notified_at": None,
    }
    return Job.from_row(row)
