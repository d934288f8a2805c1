"""The emulator's docs table: documented Market models and voices are accepted, undocumented values
refused with 422 naming the field, and every model our registry sells validates (a cross-check of
the registry against KIE's docs, which fails when the registry drifts from them)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from emulators.kie.docs_table import load_docs_table
from emulators.kie.errors import KieFailure
from emulators.kie.families import CREATE_ROUTES, images, mj, suno, veo
from emulators.kie.validation import parse_create_request
from shared.catalog import Route, load_registry
from tests.emulators.kie.conftest import Call

EMULATOR = Path(__file__).parents[3] / "emulators" / "kie"
DOCS = load_docs_table()
# kling-3.0/video's page lists all of these as required (kie-api.md Appendix A).
KLING3 = {
    "prompt": "a fox",
    "sound": True,
    "duration": "5",
    "aspect_ratio": "9:16",
    "mode": "pro",
    "multi_shots": False,
    "multi_prompt": [],
    "kling_elements": [],
}


def _create(model: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"model": model, "input": params}


def _refusal(body: dict[str, Any]) -> str:
    with pytest.raises(KieFailure) as caught:
        parse_create_request(DOCS, body)
    assert caught.value.code == 422
    return caught.value.msg


class TestDocumentedModels:
    def test_every_entry_names_its_doc_page(self) -> None:
        """Each documented model says where it comes from."""
        assert len(DOCS) >= 110
        for model_id in DOCS.ids():
            model = DOCS.get(model_id)
            assert model is not None and model.doc.strip(), model_id

    @pytest.mark.parametrize(
        ("model", "params"),
        [
            ("kling-3.0/video", {**KLING3, "duration": "7", "mode": "4K"}),
            ("bytedance/seedance-2", {"prompt": "a fox", "resolution": "4k"}),
            ("nano-banana-2", {"prompt": "a fox", "resolution": "4K", "aspect_ratio": "8:1"}),
            ("elevenlabs/text-to-speech-turbo-2-5", {"text": "hello", "voice": "Adam"}),
            ("elevenlabs/text-to-speech-multilingual-v2", {"text": "hello", "voice": "TX3LPaxmHKxFdv7VOQHJ"}),
            (
                "elevenlabs/text-to-dialogue-v3",
                {"dialogue": [{"text": "hi", "voice": "Brian"}, {"text": "yo", "voice": "Laura"}]},
            ),
            ("wan/2-7-image-pro", {"prompt": "a fox", "resolution": "4K"}),
            ("nano-banana-2-lite", {"prompt": "a fox", "image_urls": [], "aspect_ratio": "auto"}),
            ("elevenlabs/sound-effect-v2", {"text": "rain on a tin roof", "duration_seconds": 8.0}),
        ],
    )
    def test_documented_inputs_are_accepted(self, model: str, params: dict[str, Any]) -> None:
        """Models and values KIE documents pass, including ones our registry does not sell."""
        parse_create_request(DOCS, _create(model, params))

    @pytest.mark.parametrize(
        ("model", "params", "field"),
        [
            ("kling-3.0/video", {**KLING3, "duration": "16"}, "duration"),
            ("elevenlabs/text-to-speech-turbo-2-5", {"text": "hello", "voice": "Zorg"}, "voice"),
            ("elevenlabs/text-to-speech-turbo-2-5", {"text": "hello", "voice": "Adam", "speed": 2}, "speed"),
            ("nano-banana-2", {"prompt": "x" * 20001}, "prompt"),
            ("nano-banana-pro", {"prompt": "a", "image_input": ["https://x.io/a.png"] * 9}, "image_input"),
            ("google/nano-banana-edit", {"prompt": "a"}, "image_urls"),
            (
                "kling-2.6/text-to-video",
                {"prompt": "a", "sound": "yes", "aspect_ratio": "1:1", "duration": "5"},
                "sound",
            ),
            ("qwen/image-edit", {"prompt": "a", "image_url": "not a url"}, "image_url"),
        ],
    )
    def test_undocumented_values_are_422_naming_the_field(
        self, model: str, params: dict[str, Any], field: str
    ) -> None:
        """An enum, limit, type or media rule broken is refused with the field's name."""
        assert f"input.{field}" in _refusal(_create(model, params))

    def test_unknown_model_is_422(self) -> None:
        """A model KIE does not document is refused."""
        assert "not supported" in _refusal(_create("V5", {"prompt": "a song"}))

    def test_unknown_input_fields_are_ignored(self) -> None:
        """Fields the docs do not name pass, as KIE ignores them (kie-api.md §2.1)."""
        parse_create_request(DOCS, _create("z-image", {"prompt": "a", "aspect_ratio": "1:1", "mood": "calm"}))


class TestIndependence:
    def test_emulator_imports_nothing_of_ours(self) -> None:
        """No emulator module imports shared.* or services.*: it cannot share a mistake with them."""
        for path in EMULATOR.rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                assert not any(n.split(".")[0] in ("shared", "services") for n in names), (path, names)

    def test_the_family_models_table_is_what_the_emulator_validates(self) -> None:
        """docs/family_models.json (read by `make catalog-check`) lists exactly the model values the
        emulator's family modules accept, so the two copies of those doc facts cannot drift apart."""
        table = json.loads((EMULATOR / "docs" / "family_models.json").read_text(encoding="utf-8"))
        values = {path: tuple(spec["values"]) for path, spec in table["endpoints"].items()}
        assert values["/api/v1/generate"] == suno.MODELS
        assert values["/api/v1/veo/generate"] == veo.MODELS
        assert set(values["/api/v1/flux/kontext/generate"]) == set(images.FLUX_PRICES)
        assert values["/api/v1/mj/generate"] == (*mj._IMAGE_TYPES, *mj._VIDEO_TYPES)

    def test_every_documented_follow_up_is_served(self) -> None:
        """docs/family_models.json's follow-ups are endpoints the emulator serves, each acting on the
        tasks of a create endpoint of its own family."""
        table = json.loads((EMULATOR / "docs" / "family_models.json").read_text(encoding="utf-8"))
        creates = {route.path: route.family for route in CREATE_ROUTES}
        served = {**creates, "/api/v1/veo/get-1080p-video": "veo"}
        for path, spec in table["follow_ups"].items():
            assert spec["_doc"].startswith("https://docs.kie.ai/"), path
            assert path in served and served[path] == creates[spec["of"]], path


class TestRegistryCrossCheck:
    def test_every_market_model_we_sell_validates_with_its_defaults(self) -> None:
        """Each registry Market model, with its default parameters (and a sample media URL where
        required), is accepted by the docs table: a registry mistake shows up here."""
        registry = load_registry()
        refused = {}
        for model in registry.models:
            if model.route is not Route.MARKET:
                continue
            params = _sample_params(registry, model)
            try:
                parse_create_request(DOCS, _create(model.id, params))
            except KieFailure as exc:
                refused[model.id] = exc.msg
        assert refused == {}

    async def test_the_running_emulator_accepts_a_registry_model(self, call: Call) -> None:
        """Over HTTP too: a registry model with a documented voice creates a task."""
        answer = await call(
            "POST",
            "/api/v1/jobs/createTask",
            json=_create(
                "elevenlabs/text-to-speech-multilingual-v2", {"text": "hi", "voice": "EkK5I93UQWFDigLMpZcX"}
            ),
        )
        assert answer["code"] == 200


def _sample_params(registry: Any, model: Any) -> dict[str, Any]:
    params: dict[str, Any] = dict(registry.default_params(model.id))
    for field in model.fields:
        if not field.required or field.name in params:
            continue
        kind = str(field.kind.value)
        if kind in ("image", "video", "audio"):
            url = f"https://files.example/{field.name}.{'png' if kind == 'image' else 'mp4'}"
            params[field.name] = [url] if field.multiple else url
        elif kind == "text":
            params[field.name] = "a red fox in the snow"
        elif kind == "dialogue":
            params[field.name] = [{"text": "hello", "voice": "Adam"}]
    return params
