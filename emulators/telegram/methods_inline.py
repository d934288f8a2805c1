"""Inline mode: answerInlineQuery stores the bot's results for the user to choose from."""

from __future__ import annotations

from .call import MethodCall, MethodTable
from .errors import BadRequest
from .inline_results import check_button, check_next_offset, check_results

__all__ = ["INLINE_METHODS"]

_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


async def answer_inline_query(call: MethodCall) -> bool:
    """answerInlineQuery: each query can be answered once, with at most 50 valid results."""
    params = call.params
    query_id = params.get_str("inline_query_id", required=True) or ""
    record = call.bot.inline_queries.get(query_id)
    if record is None or record.answered:
        raise BadRequest(_QUERY_INVALID)
    results = check_results(params.get_json("results"))
    record.answer = {
        "results": results,
        "cache_time": params.get_int("cache_time") if params.has("cache_time") else 300,
        "is_personal": params.get_bool("is_personal"),
        "next_offset": check_next_offset(params.get_str("next_offset")),
        "button": check_button(params.get_json("button")),
    }
    call.state.changes.notify()
    return True


INLINE_METHODS: MethodTable = {"answerInlineQuery": answer_inline_query}
