"""Money under every trick and failure: one system (supervisord, both emulators) for the whole package.

Users press Cancel at each job state (queued, submitted, running, delivering) and at the moment KIE's
callback arrives, press Generate and Cancel twice; payments are replayed, raced, underpaid, carry
another user's or another pack's signed payload or another currency; an admin's Star refund races the
user spending the credits, and one whose answer Telegram loses is run again; the Bot API emulator
refuses results (400 per media type, 403 blocked, 413) or answers too late. KIE tasks never end on their
own here (every phase lasts ten minutes): each scenario ends its task through the emulator's control
API when it wants the callback. The last test checks every user of the module against KIE's own
records: what KIE charged, what was captured, what was delivered, and that each balance is its ledger.
"""
