"""``GET /results/{token}``: a result Telegram would not take, behind a link the bot signed.

A valid token redirects to the file (KIE keeps it longer than the link lives); an expired one answers
410 saying when it expired, anything else 404. See :mod:`shared.chat.result_links`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from aiohttp import web

from shared.chat.result_links import RESULT_PATH, LinkExpired, LinkInvalid, ResultLinks
from shared.jobs.callback_url import callback_secret, public_base_url
from shared.process import Runtime

__all__ = ["mount"]

log = structlog.get_logger()

LINKS = web.AppKey("result_links", ResultLinks)


def mount(app: web.Application, runtime: Runtime) -> None:
    """Serve result links when this deployment can sign them (it has the callback secret)."""
    secret = callback_secret(runtime.settings)
    if secret is None:
        return
    app[LINKS] = ResultLinks(secret, public_base_url(runtime.settings))
    app.router.add_get(RESULT_PATH, serve_result)


async def serve_result(request: web.Request) -> web.Response:
    try:
        file_url = request.app[LINKS].resolve(request.match_info["token"], datetime.now(UTC))
    except LinkExpired as exc:
        return web.Response(
            status=410, text=f"This download link expired at {exc.expired_at:%Y-%m-%d %H:%M} UTC."
        )
    except LinkInvalid:
        return web.Response(status=404, text="No such download link.")
    log.info("result_link_followed")
    raise web.HTTPFound(file_url)
