"""What the handlers need, built once per worker and passed in: catalogs, stores, ledger, uploads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.bot.inline_drafts import InlineDrafts
from services.bot.media import MediaIntake
from services.bot.prefs import Preferences
from services.bot.wizard.store import WizardStore
from shared.catalog import Registry
from shared.chat.file_ids import FileIdCache
from shared.chat.texts import Texts
from shared.jobs import JobStore
from shared.ledger import Ledger

__all__ = ["BotDeps", "CatalogSource"]


class CatalogSource(Protocol):
    """Where handlers read the current model registry from."""

    def current(self) -> Registry:
        """The registry in service now."""
        ...


@dataclass(frozen=True, slots=True)
class BotDeps:
    """The worker's collaborators, injected into every handler."""

    texts: Texts
    catalog: CatalogSource
    wizards: WizardStore
    prefs: Preferences
    ledger: Ledger
    jobs: JobStore
    starter_credits: int
    media: MediaIntake | None
    file_ids: FileIdCache | None = None
    inline: InlineDrafts | None = None  # inline mode's offers; None: inline queries get no offer
