"""Deep links: every model has a valid /start parameter that opens its card; commands in both languages."""

from __future__ import annotations

from services.bot.deeplinks import decode_model, encode_model, is_valid_payload
from shared.catalog import Registry
from tests.services.bot.harness import BotHarness, button_data


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
