"""What a generation costs in the bot's credits: the registry's KIE price times ``PRICE_MARKUP``.

:func:`sell_price` is the one rule (rounded up, at least 1). :class:`PricedRegistry` is the model
registry as the bot sells it: its ``price`` and ``starting_price`` apply the rule, so every screen
that shows a price and the Generate path that charges it (all of which ask the registry) agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal

from shared.catalog import Registry

__all__ = ["PricedRegistry", "sell_price"]


def sell_price(kie_credits: int, markup: Decimal) -> int:
    """Credits the user pays for a run costing ``kie_credits`` at KIE: ceil(kie × markup), at least 1."""
    if markup <= 0:
        raise ValueError(f"markup must be positive, got {markup}")
    return max(1, int((Decimal(kie_credits) * markup).to_integral_value(rounding=ROUND_CEILING)))


class PricedRegistry(Registry):
    """A registry whose prices are in the bot's credits (KIE price × markup, rounded up).

    Built from a validated registry with :meth:`of`; everything but the two price methods is the
    underlying catalogue unchanged.
    """

    _markup: Decimal = Decimal(1)

    @classmethod
    def of(cls, base: Registry, markup: Decimal) -> PricedRegistry:
        """``base`` with prices marked up by ``markup``."""
        snapshot = base.to_snapshot()
        priced = cls.from_document(snapshot["document"])
        assert isinstance(priced, PricedRegistry)
        priced._markup = markup
        return priced

    @property
    def markup(self) -> Decimal:
        """The factor applied to KIE prices."""
        return self._markup

    def price(self, model_id: str, params: Mapping[str, object] | None = None) -> int:
        """The run's price in the bot's credits."""
        return sell_price(super().price(model_id, params), self._markup)

    def starting_price(self, model_id: str) -> int:
        """The lowest price of the model in the bot's credits, for "from N credits" labels."""
        return sell_price(super().starting_price(model_id), self._markup)
