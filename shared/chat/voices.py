"""The ElevenLabs voices of the registry by name and gender, so a voice reads "James, male voice".

Names are ElevenLabs' own names of these premade voice ids; a voice id not listed here has no name
and the label test fails until it is added.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["VOICES"]

VOICES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "EkK5I93UQWFDigLMpZcX": ("James", "male"),
        "NNl6r8mD7vthiJatiJt1": ("Bradford", "male"),
        "YOq2y2Up4RgXP2HyXjE5": ("Xavier", "male"),
        "1SM7GgM6IMuvQlz2BwM3": ("Mark", "male"),
        "Z3R5wn05IrDiVCyEkUrK": ("Arabella", "female"),
        "B8gJV1IhpuegLxdpXFOE": ("Kuon", "female"),
        "2zRM7PkgwBPiau2jvVXc": ("Monika Sogam", "female"),
        "5l5f8iK3YPeGga21rQIX": ("Adeline", "female"),
    }
)
"""Voice id → (name, gender)."""
