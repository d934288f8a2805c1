"""The catalogue as the bot sells it: whatever registry is in service, with prices marked up.

Handlers read ``deps.catalog.current()``; wrapping the catalogue cache in :class:`PricedCatalog` is
what makes every shown and charged price go through ``shared.money.pricing.sell_price``. The marked-up
registry is built once per catalogue version.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from shared.catalog import Registry
from shared.money.pricing import PricedRegistry

__all__ = ["PricedCatalog"]


class _Source(Protocol):
    def current(self) -> Registry:
        """The registry in service now."""
        ...


class PricedCatalog:
    """A catalogue source whose registry prices are KIE prices × ``markup``, rounded up."""

    def __init__(self, source: _Source, markup: Decimal) -> None:
        self._source = source
        self._markup = markup
        self._priced: tuple[Registry, PricedRegistry] | None = None

    def current(self) -> Registry:
        """The registry in service, priced in the bot's credits."""
        base = self._source.current()
        cached = self._priced
        if cached is None or cached[0] is not base:
            cached = (base, PricedRegistry.of(base, self._markup))
            self._priced = cached
        return cached[1]
