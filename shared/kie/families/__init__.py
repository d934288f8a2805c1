"""KIE's generation API families, keyed by the registry's `route` (kie-api.md §2, §4).

    family = family_for(model.route)          # Market, Suno, Veo, 4o Image, Flux Kontext, ...
    body = family.build(model.id, params, callback_url)
    record = family.parse(data)               # every family's record as one TaskRecord

`KieClient.submit` and `KieClient.record` use this table; nothing else needs to know which family a
model belongs to.
"""

from __future__ import annotations

from shared.kie.families.base import Family
from shared.kie.families.flux import FLUX_KONTEXT
from shared.kie.families.gpt4o import GPT4O_IMAGE
from shared.kie.families.market import MARKET
from shared.kie.families.midjourney import MIDJOURNEY
from shared.kie.families.runway import ALEPH, RUNWAY
from shared.kie.families.suno import SUNO
from shared.kie.families.veo import VEO

__all__ = ["FAMILIES", "Family", "family_for"]

FAMILIES: dict[str, Family] = {
    family.route: family
    for family in (MARKET, SUNO, VEO, GPT4O_IMAGE, FLUX_KONTEXT, MIDJOURNEY, RUNWAY, ALEPH)
}
"""Every family by its route name, the same names as `shared.catalog.Route`."""


def family_for(route: str) -> Family:
    """The family of a registry route; ValueError names an unknown one."""
    try:
        return FAMILIES[str(route)]
    except KeyError:
        raise ValueError(f"no KIE API family for route {route!r}; known: {sorted(FAMILIES)}") from None
