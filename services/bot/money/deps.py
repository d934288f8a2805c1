"""What the money and admin handlers need, built once per worker: stores, limits, the admin list."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from services.bot.ratelimit import RateLimiter
from shared.keys import Keys
from shared.money import (
    Accounts,
    BroadcastStore,
    PaymentStore,
    PromoStore,
    Referrals,
    StarsRefunds,
    SupportStore,
)

__all__ = ["MoneyDeps"]

BAN_NOTICE_SECONDS = 600.0
"""A banned user is told so at most once per this many seconds; everything else they send is ignored."""

SLOW_DOWN_NOTICE_SECONDS = 30.0
"""A user over a rate limit is asked to slow down at most once per this many seconds."""


@dataclass(frozen=True, slots=True)
class MoneyDeps:
    """The collaborators of payments, referrals, promo codes, limits and the admin commands."""

    payments: PaymentStore
    promos: PromoStore
    referrals: Referrals
    accounts: Accounts
    broadcasts: BroadcastStore
    refunds: StarsRefunds
    limiter: RateLimiter
    redis: aioredis.Redis
    keys: Keys
    admin_ids: frozenset[int]
    referral_bonus: int
    support: SupportStore
    database_url: str = ""  # for reports that read PostgreSQL on their own connection (/money)
    host: str = ""  # HOST_ID and this process, named in money alerts
    program: str = "bot"
    ban_notice_seconds: float = BAN_NOTICE_SECONDS
    slow_down_notice_seconds: float = SLOW_DOWN_NOTICE_SECONDS

    def is_admin(self, user_id: int) -> bool:
        """Whether the user is one of ADMIN_IDS."""
        return user_id in self.admin_ids
