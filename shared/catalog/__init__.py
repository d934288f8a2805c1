"""The KIE model catalogue: one registry file, validated on load, with prices, menus and snapshots.

registry = load_registry()                      # catalog/registry.json
registry.price("nano-banana-2", {"resolution": "2K"})
registry.validate_input("nano-banana-2", {...})  # InputError names the field
"""

from typing import TYPE_CHECKING

from shared.lazy import lazy_exports

if TYPE_CHECKING:
    from shared.catalog.errors import CatalogError, InputError, RegistryError, UnknownModelError
    from shared.catalog.loader import DEFAULT_REGISTRY_PATH, load_registry
    from shared.catalog.menus import MenuItem
    from shared.catalog.registry import SNAPSHOT_FORMAT, Registry
    from shared.catalog.schema import (
        Field,
        FieldKind,
        FollowUp,
        GenType,
        Localized,
        Model,
        Price,
        PriceUnit,
        Route,
    )

__all__ = [
    "DEFAULT_REGISTRY_PATH",
    "SNAPSHOT_FORMAT",
    "CatalogError",
    "Field",
    "FieldKind",
    "FollowUp",
    "GenType",
    "InputError",
    "Localized",
    "MenuItem",
    "Model",
    "Price",
    "PriceUnit",
    "Registry",
    "RegistryError",
    "Route",
    "UnknownModelError",
    "load_registry",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "errors": ("CatalogError", "InputError", "RegistryError", "UnknownModelError"),
        "loader": ("DEFAULT_REGISTRY_PATH", "load_registry"),
        "menus": ("MenuItem",),
        "registry": ("SNAPSHOT_FORMAT", "Registry"),
        "schema": (
            "Field",
            "FieldKind",
            "FollowUp",
            "GenType",
            "Localized",
            "Model",
            "Price",
            "PriceUnit",
            "Route",
        ),
    },
)
