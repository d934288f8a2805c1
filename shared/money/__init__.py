"""Money and administration: credit packs and Stars payments, referrals, promo codes, bans, broadcasts.

    payments = PaymentStore(pool, parse_packs("100:50,500:225"), referral_bonus=25)
    verdict = await payments.check_checkout(user_id, payload, "XTR", 50)   # Checkout.OK
    credited = await payments.credit(user_id, charge_id, provider_id, payload)  # once per charge id
    await payments.refund(charge_id, admin_id, refund_stars)   # RefundRefused when credits were spent

Prices: ``sell_price(kie_credits, markup)`` and ``PricedRegistry`` (``shared.money.pricing``).
"""

from typing import TYPE_CHECKING

from shared.lazy import lazy_exports

if TYPE_CHECKING:
    from shared.money.accounts import Accounts, Dashboard, UserCard
    from shared.money.broadcasts import BroadcastStore, Claimed, Delivery, Finished
    from shared.money.errors import MoneyError, PaymentNotFound, PromoExists, RefundBlock, RefundRefused
    from shared.money.packs import CreditPack, PackError, find_pack, parse_packs, parse_payload
    from shared.money.payments import STARS, Checkout, Credited, Payment, PaymentStore, RefundStars
    from shared.money.pricing import PricedRegistry, sell_price
    from shared.money.promos import PromoStore, Redeemed, Redemption, normalise_code
    from shared.money.referrals import Referrals, decode_code, encode_code
    from shared.money.support import SupportStore, Ticket, Topic

__all__ = [
    "STARS",
    "Accounts",
    "BroadcastStore",
    "Checkout",
    "Claimed",
    "CreditPack",
    "Credited",
    "Dashboard",
    "Delivery",
    "Finished",
    "MoneyError",
    "PackError",
    "Payment",
    "PaymentNotFound",
    "PaymentStore",
    "PricedRegistry",
    "PromoExists",
    "PromoStore",
    "Redeemed",
    "Redemption",
    "Referrals",
    "RefundBlock",
    "RefundRefused",
    "RefundStars",
    "SupportStore",
    "Ticket",
    "Topic",
    "UserCard",
    "decode_code",
    "encode_code",
    "find_pack",
    "normalise_code",
    "parse_packs",
    "parse_payload",
    "sell_price",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "accounts": ("Accounts", "Dashboard", "UserCard"),
        "broadcasts": ("BroadcastStore", "Claimed", "Delivery", "Finished"),
        "errors": ("MoneyError", "PaymentNotFound", "PromoExists", "RefundBlock", "RefundRefused"),
        "packs": ("CreditPack", "PackError", "find_pack", "parse_packs", "parse_payload"),
        "payments": ("STARS", "Checkout", "Credited", "Payment", "PaymentStore", "RefundStars"),
        "pricing": ("PricedRegistry", "sell_price"),
        "promos": ("PromoStore", "Redeemed", "Redemption", "normalise_code"),
        "referrals": ("Referrals", "decode_code", "encode_code"),
        "support": ("SupportStore", "Ticket", "Topic"),
    },
)
