"""callback_data and deep-link encodings: compact, within Telegram's limits, and reversible."""

from __future__ import annotations

import uuid

import pytest

from services.bot.callbacks import MAX_CALLBACK_BYTES, CallbackTooLong, Op, decode, encode, job_ref
from services.bot.deeplinks import decode_model, encode_model, is_valid_payload
from shared.catalog import Registry
from tests.bot.harness import BotHarness, button_data


class TestCallbackData:
    def test_round_trip(self) -> None:
        """An encoded press decodes to its operation and arguments."""
        callback = decode(encode(Op.STEP, "abc", 3, "v2"))
        assert callback is not None and callback.op is Op.STEP and callback.args == ("abc", "3", "v2")

    def test_foreign_data_is_not_ours(self) -> None:
        """Data this scheme did not produce (an old bot's "ping") decodes to None."""
        assert decode("ping") is None and decode(None) is None and decode("") is None

    def test_too_long_is_refused(self) -> None:
        """Encoding past 64 bytes raises instead of producing a button Telegram rejects."""
        with pytest.raises(CallbackTooLong):
            encode(Op.MODEL, "x" * MAX_CALLBACK_BYTES)

    def test_longest_model_buttons_fit(self, registry: Registry) -> None:
        """Model, Start and chained buttons fit for the longest model id with a job reference."""
        longest = max((model.id for model in registry), key=len)
        ref = job_ref(uuid.uuid4())
        for op in (Op.MODEL, Op.USE):
            assert len(encode(op, longest, ref).encode()) <= MAX_CALLBACK_BYTES


class TestDeepLinks:
    def test_every_model_has_a_unique_valid_start_parameter(self, registry: Registry) -> None:
        """Each model's m_<id> payload uses Telegram's alphabet, fits 64 chars and decodes back to it."""
        payloads = {encode_model(model.id): model.id for model in registry}
        assert len(payloads) == len(registry)
        for payload, model_id in payloads.items():
            assert is_valid_payload(payload), payload
            decoded = decode_model(registry, payload)
            assert decoded is not None and decoded.id == model_id

    def test_unknown_payload_opens_nothing(self, registry: Registry) -> None:
        """A payload naming no model (or a referral code) is not a model."""
        assert decode_model(registry, "m_no-such-model") is None
        assert decode_model(registry, "ref_abc") is None

    async def test_start_with_a_model_link_opens_its_card(self, bot: BotHarness) -> None:
        """/start m_<model> greets with the menu, then shows that model's card with its Start button."""
        user = bot.new_user("ru")
        await bot.text(user, f"/start {encode_model('kling-2.6/text-to-video')}")
        card = bot.last(user)
        assert button_data(card, "u:") == "u:kling-2.6/text-to-video"
        assert len(bot.replies(user)) == 2

    async def test_commands_are_registered_in_both_languages(self, bot: BotHarness) -> None:
        """setMyCommands ran for the default (English) list and for Russian."""
        calls = bot.telegram.calls_of("setMyCommands", ok=True)
        assert {call.params.get("language_code") for call in calls} >= {None, "ru"}
