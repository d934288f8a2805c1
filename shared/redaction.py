"""Secrets out of text: the password of any URL, whether or not it is a known secret.

A setting that failed validation never becomes a known secret, so an error about a malformed
``DATABASE_URL`` must mask its password by shape. Logging (:class:`shared.logging.SecretRedactor`),
settings errors and the crash guard's alerts all use this.
"""

from __future__ import annotations

import re

__all__ = ["mask_url_passwords"]

# scheme://user:password@host — the password runs to the last "@" before the host.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)[^\s/]+@")


def mask_url_passwords(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\g<head>***@", text)
