"""How a delivered result reads: a caption with model, cost and settings, and what to do next.

The buttons are the bot's own callback_data (``shared.chat.callbacks``): Again (rerun with the same
settings), New, and for picture results Animate, Upscale and Remove background, which open those
types with the result already attached. Results whose KIE API offers priced follow-ups carry them
too (``shared.chat.follow_ups``: Veo 1080p/4K, Midjourney U1-U4/V1-V4); a follow-up's own result says
what it was, and its failure offers the same follow-up again instead of Again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from shared.catalog import CatalogError, FieldKind, GenType, Model, Registry
from shared.chat.callbacks import CHAIN_TYPES, JOB_NEW, JOB_REGENERATE, JOB_SETTINGS, Op, encode, job_ref
from shared.chat.follow_ups import Offer, follow_data, offers
from shared.chat.labels import field_label, value_label
from shared.chat.result_links import ResultLink
from shared.chat.texts import Language, Texts
from shared.jobs import FailureReason, FollowUpRequest, Job

__all__ = ["PICTURE_TYPES", "ResultPresenter"]

CAPTION_LIMIT = 1024
"""Telegram's limit for a media caption."""

PICTURE_TYPES = frozenset(
    {GenType.TEXT_TO_IMAGE, GenType.IMAGE_EDIT, GenType.UPSCALE, GenType.BACKGROUND_REMOVAL}
)
_CHAIN_LABELS: Mapping[GenType, str] = {
    GenType.IMAGE_TO_VIDEO: "btn_animate",
    GenType.UPSCALE: "btn_upscale",
    GenType.BACKGROUND_REMOVAL: "btn_remove_bg",
}
_SHOWN_KINDS = frozenset({FieldKind.ENUM, FieldKind.BOOL, FieldKind.INT, FieldKind.FLOAT})


class ResultPresenter:
    """Builds result captions and keyboards in the user's language."""

    def __init__(self, registry: Registry, texts: Texts | None = None) -> None:
        self._registry = registry
        self._texts = texts or Texts()

    def caption(self, job: Job, language: str) -> str:
        """Model, cost and the choices that shaped the result, within Telegram's caption limit."""
        lang = Language.parse(language) or Language.RU
        model = self._model(job.model_id)
        name = model.name.get(lang.value) if model else job.model_id
        follow_up = FollowUpRequest.of(job.params)
        if follow_up is not None:
            action = Offer(follow_up.action, follow_up.index).describe(self._texts, lang)
            name = self._texts.get("follow_result", lang, model=name, action=action)
        params = self._params(model, job.params, lang) if model else ""
        text = self._texts.get(
            "result_caption",
            lang,
            model=name,
            price=self._texts.credits(job.price_credits, lang),
            params=params,
        )
        return text[:CAPTION_LIMIT]

    def failure(self, job: Job, language: str) -> str:
        """Why the job ended without a result, and that its credits are back."""
        lang = Language.parse(language) or Language.RU
        reason = job.error_code or FailureReason.GENERATION_FAILED
        credits = self._texts.credits(job.price_credits, lang)
        return self._texts.get(f"failure_{reason.value}", lang, credits=credits)

    def failure_keyboard(self, job: Job, language: str) -> InlineKeyboardMarkup:
        """No dead end: Again, Change settings and Menu under every failure."""
        lang = Language.parse(language) or Language.RU
        ref = job_ref(job.id)
        follow_up = FollowUpRequest.of(job.params)
        if follow_up is not None and follow_up.parent_job:
            offer = Offer(follow_up.action, follow_up.index)
            retry = self._texts.get("btn_follow_retry", lang)
            return InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            retry, callback_data=follow_data(follow_up.parent_job[:12], offer)
                        )
                    ],
                    [InlineKeyboardButton(self._texts.get("btn_menu", lang), callback_data=encode(Op.MENU))],
                ]
            )
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        self._texts.get("btn_regenerate", lang),
                        callback_data=encode(Op.JOB, ref, JOB_REGENERATE),
                    ),
                    InlineKeyboardButton(
                        self._texts.get("btn_change_settings", lang),
                        callback_data=encode(Op.JOB, ref, JOB_SETTINGS),
                    ),
                ],
                [InlineKeyboardButton(self._texts.get("btn_menu", lang), callback_data=encode(Op.MENU))],
            ]
        )

    def keyboard(self, job: Job, language: str) -> InlineKeyboardMarkup:
        """Again and New, plus the chaining buttons for a picture result."""
        lang = Language.parse(language) or Language.RU
        ref = job_ref(job.id)
        again = InlineKeyboardButton(
            self._texts.get("btn_regenerate", lang), callback_data=encode(Op.JOB, ref, JOB_REGENERATE)
        )
        new = InlineKeyboardButton(
            self._texts.get("btn_new", lang), callback_data=encode(Op.JOB, ref, JOB_NEW)
        )
        rows = self._follow_up_rows(job, lang)
        rows.append([new] if FollowUpRequest.of(job.params) else [again, new])
        model = self._model(job.model_id)
        if model is not None and model.type in PICTURE_TYPES:
            chain = [
                InlineKeyboardButton(
                    self._texts.get(_CHAIN_LABELS[gen_type], lang), callback_data=encode(Op.JOB, ref, action)
                )
                for action, gen_type in CHAIN_TYPES.items()
                if gen_type in self._registry.types() and gen_type is not model.type
            ]
            rows.extend([chain[i : i + 2] for i in range(0, len(chain), 2)])
        return InlineKeyboardMarkup(rows)

    def _follow_up_rows(self, job: Job, language: Language) -> list[list[InlineKeyboardButton]]:
        """The result's follow-up buttons: a grid's U1-U4 and V1-V4 rows, a video's 1080p/4K row."""
        rows: dict[str, list[InlineKeyboardButton]] = {}
        for offer in offers(self._registry, job):
            label = offer.button(self._texts, language)
            rows.setdefault(offer.row, []).append(
                InlineKeyboardButton(label, callback_data=follow_data(job.id, offer))
            )
        return list(rows.values())

    def with_original(self, job: Job, content_type: str) -> bool:
        """Whether a picture from the bot's wizard (it has a progress message) also goes as a file."""
        return job.progress_message_id is not None and content_type.startswith("image/")

    def link_caption(self, job: Job, language: str, link: ResultLink) -> str:
        """The caption, then why the result comes as a link and until when the link works."""
        lang = Language.parse(language) or Language.RU
        until = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        return self._texts.get(
            "result_link", lang, caption=self.caption(job, language), until=until, url=link.url
        )

    def _model(self, model_id: str) -> Model | None:
        try:
            return self._registry.get(model_id)
        except CatalogError:
            return None

    def _params(self, model: Model, params: Mapping[str, Any], language: Language) -> str:
        parts = [
            self._texts.get(
                "result_param",
                language,
                label=field_label(self._texts, field, language),
                value=value_label(self._texts, field, params[field.name], language),
            )
            for field in model.fields
            if field.kind in _SHOWN_KINDS and params.get(field.name) is not None
        ]
        return self._texts.get("result_param_separator", language).join(parts)
