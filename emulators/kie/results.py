"""Task results: PNGs, MP4s or MP3/WAVs showing the model, prompt and parameters, plus cover pictures.

A task makes `result_count` files of its kind (Midjourney's grid makes four, Suno two tracks); when
it has `covers`, each result also gets a PNG cover (Suno's `image_url`, Runway's `image_url`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import AudioFormat, EmulatorConfig
from .media import (
    SANDBOX_LABEL,
    aspect_of,
    draw_card,
    encode_mp3,
    encode_png,
    encode_still_clip,
    encode_wav,
    mux_mp4,
)
from .model import OutputKind, Task

__all__ = ["RenderedFile", "prompt_of", "render_cover", "render_result", "render_results"]

_IMAGE_SIDE = 384
_VIDEO_FPS = 4


@dataclass(frozen=True)
class RenderedFile:
    """One result file: its name, MIME type and bytes."""

    name: str
    mime_type: str
    data: bytes


def prompt_of(params: Mapping[str, Any]) -> str:
    """The text a task was asked for: prompt, text, style, or the lines of a dialogue."""
    for name in ("prompt", "text", "style"):
        value = params.get(name)
        if isinstance(value, str) and value.strip():
            return value
    dialogue = params.get("dialogue")
    if isinstance(dialogue, list):
        return " / ".join(str(line.get("text", "")) for line in dialogue if isinstance(line, dict))
    return ""


def render_results(task: Task, config: EmulatorConfig) -> list[RenderedFile]:
    """Every result file of a successful task: `result_count` variants (numbered when several)."""
    if task.result_count == 1:
        return [render_result(task, config)]
    files = [render_result(task, config, variant=n) for n in range(1, task.result_count + 1)]
    return [RenderedFile(f"{n}-{f.name}", f.mime_type, f.data) for n, f in enumerate(files, start=1)]


def render_cover(task: Task, variant: int) -> RenderedFile:
    """The cover picture of one result (Suno tracks, Runway videos)."""
    params = {**task.input, "cover": variant}
    rendered = _image(task.model, prompt_of(task.input), params)
    return RenderedFile(f"cover-{variant}.png", rendered.mime_type, rendered.data)


def render_result(task: Task, config: EmulatorConfig, variant: int | None = None) -> RenderedFile:
    """Render one result file of a successful task (`variant` marks one of several)."""
    params, prompt = task.input, prompt_of(task.input)
    if variant is not None:
        params = {**params, "variant": variant}
    if task.kind is OutputKind.IMAGE:
        return _image(task.model, prompt, params)
    if task.kind is OutputKind.VIDEO:
        return _video(task.model, prompt, params, config.video_seconds)
    return _audio(task.model, prompt, params, config)


def _description(model: str, prompt: str, params: Mapping[str, Any]) -> str:
    return json.dumps({"model": model, "prompt": prompt, "input": params}, ensure_ascii=False, default=str)


def _image(model: str, prompt: str, params: Mapping[str, Any]) -> RenderedFile:
    ratio_w, ratio_h = aspect_of(params)
    if ratio_w >= ratio_h:
        size = (_IMAGE_SIDE, max(64, _IMAGE_SIDE * ratio_h // ratio_w))
    else:
        size = (max(64, _IMAGE_SIDE * ratio_w // ratio_h), _IMAGE_SIDE)
    card = draw_card(size, model, prompt, params)
    text = {"Title": SANDBOX_LABEL, "Description": _description(model, prompt, params)}
    return RenderedFile("result.png", "image/png", encode_png(card, text))


def _video(model: str, prompt: str, params: Mapping[str, Any], seconds: int) -> RenderedFile:
    ratio_w, ratio_h = aspect_of(params)
    size = (160, 96) if ratio_w > ratio_h else (96, 160) if ratio_w < ratio_h else (128, 128)
    card = draw_card(size, model, prompt, params)
    stream = encode_still_clip(card, max(1, seconds * _VIDEO_FPS))
    marker = f"{SANDBOX_LABEL}\n{_description(model, prompt, params)}"
    return RenderedFile("result.mp4", "video/mp4", mux_mp4(stream, size[0], size[1], _VIDEO_FPS, marker))


def _audio(model: str, prompt: str, params: Mapping[str, Any], config: EmulatorConfig) -> RenderedFile:
    title = f"{SANDBOX_LABEL}: {model}"
    comment = _description(model, prompt, params)
    if config.audio_format is AudioFormat.WAV:
        seed = hashlib.sha256(comment.encode()).digest()[0]
        return RenderedFile("result.wav", "audio/wav", encode_wav(title, comment, config.audio_seconds, seed))
    return RenderedFile("result.mp3", "audio/mpeg", encode_mp3(title, comment, config.audio_seconds))
