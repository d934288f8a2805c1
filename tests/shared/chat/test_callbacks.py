"""callback_data: round trip, foreign data, Telegram's 64-byte limit for every model's buttons."""

from __future__ import annotations

import uuid

import pytest

from shared.catalog import Registry, load_registry
from shared.chat.callbacks import MAX_CALLBACK_BYTES, CallbackTooLong, Op, decode, encode, job_ref


@pytest.fixture(name="registry", scope="module")
def _registry() -> Registry:
    return load_registry()


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
