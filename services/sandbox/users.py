"""The web chat's test users: a few people with fixed ids, and every ADMIN_IDS entry as an admin.

Ids are fixed so that a person who restarts the sandbox finds the same balance in the ledger, and so
that ``scripts/run.sh`` can name the admin in ``ADMIN_IDS`` before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulators.telegram import BotApiState

__all__ = ["DEFAULT_ROSTER", "TestUser", "build_roster", "register_users"]


@dataclass(frozen=True, slots=True)
class TestUser:
    """One person the web chat can act as."""

    id: int
    first_name: str
    username: str
    language: str
    admin: bool = False

    def to_json(self) -> dict[str, Any]:
        """The user as the page shows it."""
        return {
            "id": self.id,
            "first_name": self.first_name,
            "username": self.username,
            "language": self.language,
            "admin": self.admin,
        }


DEFAULT_ROSTER = (
    TestUser(100001, "Ada", "ada_sandbox", "en"),
    TestUser(100002, "Boris", "boris_sandbox", "ru"),
    TestUser(100003, "Chloe", "chloe_sandbox", "en"),
)
"""The people every sandbox has; ``scripts/run.sh`` makes Ada the admin by default."""


def build_roster(admin_ids: frozenset[int], base: tuple[TestUser, ...] = DEFAULT_ROSTER) -> list[TestUser]:
    """The base users (admins marked), then one extra user for each admin id not among them."""
    roster = [TestUser(u.id, u.first_name, u.username, u.language, admin=u.id in admin_ids) for u in base]
    known = {u.id for u in roster}
    for number, admin_id in enumerate(sorted(admin_ids - known), start=1):
        roster.append(TestUser(admin_id, f"Admin {number}", f"admin{number}_sandbox", "en", admin=True))
    return roster


def register_users(state: BotApiState, roster: list[TestUser]) -> None:
    """Create each test user (and its private chat) in the Bot API emulator."""
    for user in roster:
        state.create_user(
            user.first_name, username=user.username, user_id=user.id, language_code=user.language
        )
