"""Deep links ``t.me/<bot>?start=m_<model>``: a model id in Telegram's start-parameter alphabet.

Start parameters allow only ``A-Za-z0-9_-`` and 64 characters, and model ids hold ``/`` and ``.``.
The encoding maps ``/`` to ``__`` and ``.`` to ``_``; decoding looks the payload up among the
registry's encoded ids, so the mapping need not be reversible character by character.
"""

from __future__ import annotations

import re

from shared.catalog import Model, Registry

__all__ = ["MODEL_PREFIX", "decode_model", "encode_model"]

MODEL_PREFIX = "m_"
_ALLOWED = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def encode_model(model_id: str) -> str:
    """The start parameter that opens ``model_id``'s card."""
    return MODEL_PREFIX + model_id.replace("/", "__").replace(".", "_")


def decode_model(registry: Registry, payload: str) -> Model | None:
    """The model a start parameter names, or None when it names none."""
    if not payload.startswith(MODEL_PREFIX) or not _ALLOWED.match(payload):
        return None
    for model in registry:
        if encode_model(model.id) == payload:
            return model
    return None


def is_valid_payload(payload: str) -> bool:
    """Whether Telegram accepts ``payload`` as a start parameter."""
    return bool(_ALLOWED.match(payload))
