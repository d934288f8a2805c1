"""The project's error tree: every exception TRT defines roots at :class:`TrtError`.

    TrtError
    ├── ConfigError               a setting is missing or malformed; the program exits with EXIT_CONFIG
    ├── ServiceUnavailable        Redis or PostgreSQL cannot be reached within its budget
    ├── LeaseError                shared/lease/backend.py: the lease store failed or was lost
    │   ├── LeaseBackendFailed
    │   └── LeaseConnectionLost
    ├── StaleEpoch                shared/lease/fencing.py: a leader-only write from an old term
    ├── LedgerError               shared/ledger/errors.py: a credit movement refused
    │   ├── IdempotencyConflict
    │   ├── InsufficientCredits
    │   └── UnknownUser
    ├── MoneyError                shared/money/errors.py: payments, refunds, promo codes
    │   ├── PaymentMismatch     a payment that does not match its signed invoice
    │   ├── PaymentNotFound
    │   ├── PromoExists
    │   └── RefundRefused
    ├── PackError                 shared/money/packs.py: CREDIT_PACKS malformed (also a ValueError)
    ├── JobError                  shared/jobs/errors.py
    │   ├── JobLimitReached       shared/jobs/limits.py: a user's limit stops a new job
    │   │   ├── DailyCapReached
    │   │   └── TooManyActiveJobs
    │   └── JobNotFound
    ├── CatalogError              shared/catalog/errors.py: the model catalogue
    │   ├── CatalogNotLoaded      shared/catalog/cache.py
    │   ├── InputError
    │   ├── RegistryError
    │   └── UnknownModelError     (also a KeyError)
    ├── KieError                  shared/kie/errors.py: the KIE.ai client; its subtree is drawn there
    ├── BotApiError               shared/telegram/botapi.py: the raw Bot API client
    ├── CallbackTooLong           shared/chat/callbacks.py: callback_data over 64 bytes (also a ValueError)
    ├── DownloadError             shared/chat/download.py: a result could not be fetched
    ├── ForbiddenAddress          shared/chat/download.py: a result host that is not public (also an OSError)
    ├── SendRetryLater            shared/chat/delivery.py: Telegram asked to retry
    ├── Unreachable               shared/chat/delivery.py: the chat cannot be written to
    ├── Refused                   shared/chat/delivery.py: Telegram would not take it in this form
    ├── Undeliverable             shared/chat/delivery.py: refused in every form tried
    ├── LinkInvalid               shared/chat/result_links.py: a result link this bot did not sign
    ├── LinkExpired               shared/chat/result_links.py: a result link whose time is up
    ├── SupervisorUnavailable     shared/ops/supervisor.py
    ├── HandlerFailed             services/bot/dispatch.py: a handler raised; the cause is chained
    ├── MediaRejected             services/bot/media.py: an upload the bot cannot take
    ├── Stale                     services/bot/handlers/turn.py: a button that no longer matches
    ├── _Usage                    services/bot/handlers/admin.py: an admin command's arguments
    ├── AnswerRejected            services/bot/wizard/engine.py: a wizard answer (also a ValueError)
    └── ProtocolError             services/listener/protocol.py: supervisord's event protocol

Errors live beside the code that raises them; this drawing is checked against the code by
tests/shared/test_errors.py. The errors that steer a handler to a friendly message (Stale, _Usage,
AnswerRejected, MediaRejected) root here too: whatever TRT raises on purpose is a TrtError.
"""

from __future__ import annotations

__all__ = ["ConfigError", "ServiceUnavailable", "TrtError"]


class TrtError(Exception):
    """Root of every error TRT raises on purpose."""


class ConfigError(TrtError):
    """A setting is missing or malformed. The message names the variable and what is expected."""


class ServiceUnavailable(TrtError):
    """A backing service (Redis, PostgreSQL) did not answer within its budget."""
