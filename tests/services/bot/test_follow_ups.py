"""Follow-up buttons in the bot: the offer shows the price and balance; Run holds the credits in a
new job carrying the follow-up; too few credits is the Buy offer; nothing runs on an unfinished job."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from shared.catalog import FollowUp, Registry
from shared.chat.presentation import ResultPresenter
from shared.chat.texts import Language
from shared.jobs import FollowUpRequest, Job, JobState, JobTracking, NewJob
from shared.ledger import MovementKind
from tests.services.bot.harness import BotHarness, button_data, buttons

MJ = "midjourney/text-to-image"


async def delivered(
    bot: BotHarness,
    pool: AsyncConnectionPool,
    user: int,
    *,
    finish: bool = True,
    capture: bool = True,
    price: int = 16,
) -> Job:
    """A Midjourney grid of the user's, finished by KIE (unless not `finish`) and captured (unless not
    `capture`: its files are still being sent), with its result message."""
    new = NewJob(user, user, MJ, {"prompt": "a castle", "speed": "turbo"}, price, 600, 60)
    job = (await bot.deps.jobs.create_job(new)).job
    if finish:
        async with pool.connection() as conn:  # as the submitter's claim does
            await conn.execute("UPDATE jobs SET state = 'submitting' WHERE id = %s", (job.id,))
        job = await JobTracking(pool).record_task(job.id, f"mj-{job.id.hex}") or job
    if finish and capture:
        job = (await bot.deps.jobs.capture(job.id, ["https://files.example.com/0.jpeg"])).job
    markup = ResultPresenter(bot.registry).keyboard(job, "en")
    await bot.application.bot.send_message(user, "the grid", reply_markup=markup)
    return job


async def start(bot: BotHarness, credits: int = 0) -> int:
    """A user who said /start (starter credits), topped up by `credits`."""
    user = bot.new_user()
    await bot.text(user, "/start")
    if credits:
        await bot.deps.ledger.grant(user, credits, MovementKind.GRANT, "test", f"test:{user}")
    return user


def jobs_of(rows: list[Job], action: FollowUp) -> list[Job]:
    """The follow-up jobs of `action` among `rows`."""
    return [job for job in rows if (request := FollowUpRequest.of(job.params)) and request.action is action]


class TestFollowUpButtons:
    async def test_offer_then_run_holds_the_price_in_a_follow_up_job(
        self, bot: BotHarness, pool: AsyncConnectionPool, registry: Registry
    ) -> None:
        """U2 shows what it makes, its price (a turbo grid's 16) and the balance; Run creates the job."""
        user = await start(bot, 100)
        grid = await delivered(bot, pool, user)
        balance = await bot.deps.ledger.balance(user)
        await bot.press(
            user, bot.last(user).message_id, button_data(bot.last(user), f"f:{grid.id.hex[:12]}:u1")
        )
        offer = bot.last(user)
        texts = bot.deps.texts
        assert "picture 2 upscaled" in (offer.text or "")
        assert texts.credits(16, Language.EN) in (offer.text or "") and texts.credits(
            balance, Language.EN
        ) in (offer.text or "")
        assert await bot.deps.ledger.balance(user) == balance  # nothing held yet
        await bot.press(user, offer.message_id, button_data(offer, "f:"))
        [upscale] = jobs_of(await bot.deps.jobs.recent_jobs(user), FollowUp.UPSCALE)
        request = FollowUpRequest.of(upscale.params)
        assert request == FollowUpRequest(FollowUp.UPSCALE, f"mj-{grid.id.hex}", 1, grid.id.hex)
        assert upscale.model_id == MJ and upscale.price_credits == 16 and upscale.state is JobState.QUEUED
        assert upscale.params["speed"] == "turbo"
        assert await bot.deps.ledger.balance(user) == balance - 16

    async def test_offered_while_the_rest_of_the_result_is_delivered(
        self, bot: BotHarness, pool: AsyncConnectionPool
    ) -> None:
        """The first picture of a grid carries the buttons before the job is captured: a press then
        gets the offer, not "unavailable"."""
        user = await start(bot, 100)
        grid = await delivered(bot, pool, user, capture=False)
        await bot.press(
            user, bot.last(user).message_id, button_data(bot.last(user), f"f:{grid.id.hex[:12]}:u0")
        )
        assert any(str(b["callback_data"]).endswith(":u0:y") for b in buttons(bot.last(user)))

    async def test_too_few_credits_is_the_buy_offer(self, bot: BotHarness, pool: AsyncConnectionPool) -> None:
        """Run with less than the price creates no job and offers to buy the missing credits."""
        user = await start(bot)
        grid = await delivered(bot, pool, user, price=await bot.deps.ledger.balance(user) - 10)
        await bot.press(
            user, bot.last(user).message_id, button_data(bot.last(user), f"f:{grid.id.hex[:12]}:v0")
        )
        offer = bot.last(user)
        await bot.press(user, offer.message_id, button_data(offer, "f:"))
        assert jobs_of(await bot.deps.jobs.recent_jobs(user), FollowUp.VARY) == []
        assert any(str(b["callback_data"]).startswith("by:") for b in buttons(bot.last(user)))
        assert await bot.deps.ledger.balance(user) == 10

    async def test_nothing_runs_on_an_unfinished_job(
        self, bot: BotHarness, pool: AsyncConnectionPool
    ) -> None:
        """A follow-up of a job KIE has not finished is answered as unavailable, and nothing is held."""
        user = await start(bot, 100)
        grid = await delivered(bot, pool, user, finish=False)
        balance = await bot.deps.ledger.balance(user)
        count = len(bot.replies(user))
        message = bot.last(user).message_id
        run = f"f:{grid.id.hex[:12]}:u0:y"  # a Run button, as if the offer had been shown
        await bot.application.bot.edit_message_reply_markup(
            user,
            message,
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("U1", callback_data=run)]]),
        )
        await bot.press(user, message, run)
        assert len(bot.replies(user)) == count and await bot.deps.ledger.balance(user) == balance
        assert bot.answers()[-1].get("text") == bot.deps.texts.get("follow_unavailable", Language.EN)
