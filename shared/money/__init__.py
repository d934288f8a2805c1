"""Money and administration: credit packs and Stars payments, referrals, promo codes, bans, broadcasts.

    payments = PaymentStore(pool, parse_packs("100:50,500:225"), 25, signer=InvoiceSigner(key))
    payload = payments.invoice_payload(pack, user_id)   # signed for this user, pack and price
    verdict = await payments.check_checkout(user_id, payload, "XTR", 50)   # Checkout.OK
    credited = await payments.credit(user_id, charge_id, provider_id, payload, currency="XTR", total=50)
    await StarsRefunds(pool).refund(charge_id, admin_id, refund_stars)   # two-phase; RefundRefused

Prices: ``sell_price(kie_credits, markup)`` and ``PricedRegistry`` (``shared.money.pricing``).
"""

from typing import TYPE_CHECKING

from shared.lazy import lazy_exports

if TYPE_CHECKING:
    from shared.money.accounts import Accounts, Dashboard, UserCard
    from shared.money.broadcasts import BroadcastStore, Claimed, Delivery, Finished
    from shared.money.errors import (
        MoneyError,
        PaymentMismatch,
        PaymentNotFound,
        PromoExists,
        RefundBlock,
        RefundRefused,
    )
    from shared.money.invoices import InvoiceSigner, Mismatch, payload_key
    from shared.money.packs import CreditPack, PackError, find_pack, parse_packs
    from shared.money.payments import STARS, Checkout, Credited, Payment, PaymentStore
    from shared.money.pricing import PricedRegistry, sell_price
    from shared.money.promos import PromoStore, Redeemed, Redemption, normalise_code
    from shared.money.referrals import Referrals, decode_code, encode_code
    from shared.money.refunds import RefundAnswer, RefundStars, StarsRefunds
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
    "InvoiceSigner",
    "Mismatch",
    "MoneyError",
    "PackError",
    "Payment",
    "PaymentMismatch",
    "PaymentNotFound",
    "PaymentStore",
    "PricedRegistry",
    "PromoExists",
    "PromoStore",
    "Redeemed",
    "Redemption",
    "Referrals",
    "RefundAnswer",
    "RefundBlock",
    "RefundRefused",
    "RefundStars",
    "StarsRefunds",
    "SupportStore",
    "Ticket",
    "Topic",
    "UserCard",
    "decode_code",
    "encode_code",
    "find_pack",
    "normalise_code",
    "parse_packs",
    "payload_key",
    "sell_price",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "accounts": ("Accounts", "Dashboard", "UserCard"),
        "broadcasts": ("BroadcastStore", "Claimed", "Delivery", "Finished"),
        "errors": (
            "MoneyError",
            "PaymentMismatch",
            "PaymentNotFound",
            "PromoExists",
            "RefundBlock",
            "RefundRefused",
        ),
        "invoices": ("InvoiceSigner", "Mismatch", "payload_key"),
        "packs": ("CreditPack", "PackError", "find_pack", "parse_packs"),
        "payments": ("STARS", "Checkout", "Credited", "Payment", "PaymentStore"),
        "pricing": ("PricedRegistry", "sell_price"),
        "promos": ("PromoStore", "Redeemed", "Redemption", "normalise_code"),
        "referrals": ("Referrals", "decode_code", "encode_code"),
        "refunds": ("RefundAnswer", "RefundStars", "StarsRefunds"),
        "support": ("SupportStore", "Ticket", "Topic"),
    },
)
