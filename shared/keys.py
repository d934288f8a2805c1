"""Redis key and channel names, all under one configurable prefix.

A prefix per deployment (and per test run) keeps two systems on one Redis apart. Stream keys keep the
prefix in a hash tag so that, under Redis Cluster, a stream and its companion keys share a slot.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Keys"]


@dataclass(frozen=True, slots=True)
class Keys:
    """Every Redis name TRT uses, derived from one prefix such as ``trt:``."""

    prefix: str

    def heartbeats(self, host: str) -> str:
        """Hash of one host's liveness records, one field per process; expires when the host stops beating."""
        return f"{self.prefix}hb:{host}"

    @property
    def hosts(self) -> str:
        """Sorted set of host ids by the last time any of their processes beat."""
        return f"{self.prefix}hosts"

    @property
    def lease(self) -> str:
        """The leader lease: holder id, expires with the lease TTL."""
        return f"{self.prefix}leader:lease"

    @property
    def lease_epoch(self) -> str:
        """Counter incremented on every acquisition: the fencing token."""
        return f"{self.prefix}leader:epoch"

    @property
    def leader_state(self) -> str:
        """JSON of the current leader, read by any process at start."""
        return f"{self.prefix}leader:state"

    @property
    def leader_channel(self) -> str:
        """Pub/sub channel announcing every change of leader."""
        return f"{self.prefix}leader"

    # The inbox: every key shares the {inbox} hash tag so the ingest script touches one cluster slot.
    @property
    def inbox(self) -> str:
        """Stream of accepted Telegram updates, consumed by the bot workers' group."""
        return f"{self.prefix}{{inbox}}:updates"

    @property
    def inbox_dead(self) -> str:
        """Stream of updates that failed too often; kept for operators, no longer blocking their chat."""
        return f"{self.prefix}{{inbox}}:dead"

    def update_claim(self, update_id: int) -> str:
        """Marks an update_id as accepted, so Telegram's retries and duplicates are dropped."""
        return f"{self.prefix}{{inbox}}:claim:{update_id}"

    @property
    def chat_sequence(self) -> str:
        """Hash chat → number of updates accepted for it: each entry carries its place in its chat."""
        return f"{self.prefix}{{inbox}}:chat-seq"

    @property
    def chat_done(self) -> str:
        """Hash chat → sequence number of the last update of that chat fully handled."""
        return f"{self.prefix}{{inbox}}:chat-done"

    @property
    def inbox_failures(self) -> str:
        """Hash entry id → failed handling attempts, for the dead-letter rule."""
        return f"{self.prefix}{{inbox}}:failures"

    @property
    def polling_offset(self) -> str:
        """getUpdates offset of the polling leader, advanced only after the append."""
        return f"{self.prefix}{{inbox}}:offset"

    def telegram_rate(self, scope: str) -> str:
        """Sliding-window log of outgoing Bot API sends for one scope (global or a chat)."""
        return f"{self.prefix}tg-rate:{scope}"

    @property
    def telegram_pause(self) -> str:
        """Set while Telegram asked us to wait (RetryAfter): every worker holds its sends until it expires."""
        return f"{self.prefix}tg-rate:pause"

    @property
    def bot_profile(self) -> str:
        """Fingerprint of the bot profile (commands, menu button) Telegram last accepted in full."""
        return f"{self.prefix}bot-profile"

    @property
    def bot_profile_lock(self) -> str:
        """Held (with a TTL) by the one worker publishing the profile right now."""
        return f"{self.prefix}bot-profile:lock"

    def telegram_journal(self, update_id: int, call: int) -> str:
        """Result of the n-th Bot API call made while handling an update, replayed if it is re-handled."""
        return f"{self.prefix}tg-journal:{update_id}:{call}"

    # The model catalogue: warmup writes it, shared.catalog.cache reads it (layout: shared.catalog.store).
    def catalog_snapshot(self, version: str) -> str:
        """JSON envelope of one catalogue version (content hash); written whole before anything names it."""
        return f"{self.prefix}catalog:snapshot:{version}"

    @property
    def catalog_current(self) -> str:
        """The catalogue version in service; moved only after its snapshot is fully written."""
        return f"{self.prefix}catalog:current"

    @property
    def catalog_channel(self) -> str:
        """Pub/sub channel announcing each new catalogue version: a hint, the pointer is the truth."""
        return f"{self.prefix}catalog"

    @property
    def catalog_fence(self) -> str:
        """Highest leader epoch that moved the catalogue pointer: an older leader's refresh is refused."""
        return f"{self.prefix}catalog:fence"

    @property
    def catalog_refresh(self) -> str:
        """JSON report of the last KIE catalogue refresh (disappeared models, price changes, outcome)."""
        return f"{self.prefix}catalog:refresh"

    @property
    def catalog_cost_floors(self) -> str:
        """Hash of price floors learnt from KIE's creditsConsumed (shared/catalog/cost_floors.py)."""
        return f"{self.prefix}catalog:cost_floors"

    @property
    def catalog_cost_watch(self) -> str:
        """The newest job settlement the cost watch has compared with its price (ISO time)."""
        return f"{self.prefix}catalog:cost_watch"

    def wizard(self, user_id: int) -> str:
        """JSON of one user's generation wizard (state before and after the last update applied)."""
        return f"{self.prefix}wizard:{user_id}"

    def user_language(self, user_id: int) -> str:
        """The language a user chose in /settings; absent means Telegram's language_code decides."""
        return f"{self.prefix}user-lang:{user_id}"

    def user_choice(self, user_id: int, gen_type: str) -> str:
        """JSON of the model and settings a user last generated a type with (the quick path's start)."""
        return f"{self.prefix}user-choice:{user_id}:{gen_type}"

    def user_photo(self, user_id: int) -> str:
        """JSON of the picture a user sent outside a step that asked for one (its URL and caption)."""
        return f"{self.prefix}user-photo:{user_id}"

    def support_waiting(self, user_id: int) -> str:
        """The topic of the support ticket a user was asked to write to (their next text goes there)."""
        return f"{self.prefix}support-waiting:{user_id}"

    def inline_draft(self, draft_id: str) -> str:
        """JSON of one inline offer (user, prompt, model, params, price) until its Generate is pressed."""
        return f"{self.prefix}inline-draft:{draft_id}"

    def user_draft(self, user_id: int) -> str:
        """Text a user typed at the menu, waiting for them to pick what to make of it."""
        return f"{self.prefix}user-draft:{user_id}"

    # Operations: the crash guard writes these; `python -m shared.ops.status` reads them.
    @property
    def alerts(self) -> str:
        """Stream of operator alerts (exits, give-ups, crash-guard stops, …); also their pub/sub channel."""
        return f"{self.prefix}alerts"

    def restarts(self, host: str) -> str:
        """One host's unexpected exits and failed starts: sorted set of ``name|time|pid`` by time."""
        return f"{self.prefix}restarts:{host}"

    # KIE callbacks: the webhook appends verified ones, the `jobs` group consumes them.
    @property
    def kie_callbacks(self) -> str:
        """Stream of verified KIE callbacks (job id, task id, raw body), consumed by the jobs group."""
        return f"{self.prefix}{{kie}}:callbacks"

    @property
    def kie_callbacks_dead(self) -> str:
        """Stream of callbacks whose handling failed too often; kept for operators (the poller settles)."""
        return f"{self.prefix}{{kie}}:callbacks-dead"

    @property
    def kie_callback_failures(self) -> str:
        """Hash entry id → failed handling attempts of a callback, for the dead-letter rule."""
        return f"{self.prefix}{{kie}}:callback-failures"

    def progress_final(self, job_id: str) -> str:
        """Set once a job's progress message has been edited to its final line (never edited again)."""
        return f"{self.prefix}progress-final:{job_id}"

    # Money and limits (services/bot gate and broadcaster).
    def rate_window(self, user_id: int, kind: str) -> str:
        """Sorted set of one user's recent update ids of ``kind`` (message/button) by time: the rate limit."""
        return f"{self.prefix}rate:{kind}:{user_id}"

    def notice_once(self, kind: str, user_id: int) -> str:
        """Set while a user has been told ``kind`` (banned, slow down), so they are told once per window."""
        return f"{self.prefix}notice:{kind}:{user_id}"

    def broadcast_pace(self, second: int) -> str:
        """Counter of broadcast messages sent in one wall-clock second, shared by every sender."""
        return f"{self.prefix}broadcast:pace:{second}"

    @property
    def kie_balance(self) -> str:
        """The KIE account's credit balance, when the warmup's balance watch publishes it."""
        return f"{self.prefix}kie:balance"

    def telegram_file(self, url_digest: str) -> str:
        """Telegram file_id of a result already sent once (by a digest of its URL): never uploaded twice."""
        return f"{self.prefix}tg-file:{url_digest}"
