"""Fetching result files from wherever KIE says they are, without trusting that address.

A result URL comes from KIE's answer, so it is treated as hostile input:

- only ``http``/``https``, and only public addresses: a host name is resolved by
  :class:`PublicResolver`, which refuses loopback, private, link-local, multicast, reserved and other
  non-global addresses *after* resolution (the connection then goes to the address that was checked,
  so a name cannot be re-pointed in between); an address literal is checked before the request. The
  configured KIE and Bot API hosts are trusted as they are (how the emulators on 127.0.0.1 are met);
- at most :data:`MAX_REDIRECTS` redirects, each new address checked again;
- the body is streamed and counted: past the byte cap (``RESULT_DOWNLOAD_MAX_BYTES``, by default
  Telegram's 50 MB upload limit) nothing more is read and the result is marked ``too_large`` (its
  link goes to the user, as for every file Telegram cannot take), whatever Content-Length claimed.

A refused address, too many redirects or a gone file is a permanent :class:`DownloadError` (the job
is refunded); a network failure or a timeout is not (the download is tried again later).
"""

from __future__ import annotations

import ipaddress
import mimetypes
import posixpath
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from shared.errors import TrtError
from shared.settings import Settings

__all__ = [
    "MAX_REDIRECTS",
    "DownloadError",
    "DownloadPolicy",
    "Downloader",
    "ForbiddenAddress",
    "Media",
    "PublicResolver",
    "guarded_session",
]

MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_GONE = frozenset({403, 404, 410})
_CHUNK = 64 * 1024


class DownloadError(TrtError):
    """A result file could not be fetched; `permanent` when retrying cannot help (404, 410, ...)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class ForbiddenAddress(TrtError, OSError):
    """A result host that is, or resolves to, an address that is not public."""


@dataclass(frozen=True, slots=True)
class Media:
    """A downloaded result: its bytes, MIME type, file name and where it came from.

    ``too_large`` marks a file past the byte cap: ``data`` is then empty and only its link can be sent.
    """

    data: bytes
    content_type: str
    file_name: str
    url: str
    title: str | None = None  # a track's title (Suno), shown by Telegram's audio player
    cover: bytes | None = None  # a track's cover image (Suno), sent as the audio's thumbnail
    too_large: bool = False


@dataclass(frozen=True, slots=True)
class DownloadPolicy:
    """How much may be read, and which hosts are trusted whatever their address."""

    max_bytes: int
    trusted_hosts: frozenset[str]

    @classmethod
    def of(cls, settings: Settings) -> DownloadPolicy:
        """The byte cap from settings; the KIE API, KIE upload and Bot API hosts as trusted."""
        bases = (settings.KIE_API_BASE_URL, settings.KIE_UPLOAD_BASE_URL, settings.TELEGRAM_API_BASE_URL)
        return cls(settings.RESULT_DOWNLOAD_MAX_BYTES, _hosts(bases))

    def trusts(self, host: str) -> bool:
        return _normal(host) in self.trusted_hosts


def is_public(address: str) -> bool:
    """Whether ``address`` is a global unicast address (an IPv4-mapped IPv6 address judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class PublicResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then refuses every host not found only at public
    addresses (a trusted host is resolved as it is)."""

    def __init__(self, policy: DownloadPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if self._policy.trusts(host):
            return found
        refused = [entry["host"] for entry in found if not is_public(entry["host"])]
        if refused:
            raise ForbiddenAddress(f"{host} resolves to a non-public address {refused[0]}")
        return found

    async def close(self) -> None:
        await self._inner.close()


def guarded_session(policy: DownloadPolicy) -> aiohttp.ClientSession:
    """A client session whose connections go only to public addresses (or trusted hosts)."""
    connector = aiohttp.TCPConnector(resolver=PublicResolver(policy))
    return aiohttp.ClientSession(connector=connector, trust_env=False)


class Downloader:
    """GETs result URLs under a :class:`DownloadPolicy`, with a bounded size, time and redirects.

    ``session`` must come from :func:`guarded_session` (with the same policy) for host names to be
    checked after resolution; address literals and redirects are checked here.
    """

    def __init__(
        self, session: aiohttp.ClientSession, policy: DownloadPolicy, *, timeout_seconds: float = 120.0
    ) -> None:
        self._session = session
        self._policy = policy
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=10.0)

    async def fetch(self, url: str) -> Media:
        """Download `url`; raise DownloadError (permanent for 403/404/410 or a refused address)."""
        try:
            return await self._follow(url)
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, ForbiddenAddress):
                raise DownloadError(f"result address refused: {exc.os_error}", permanent=True) from exc
            raise DownloadError(f"result download failed: {type(exc).__name__}", permanent=False) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DownloadError(f"result download failed: {type(exc).__name__}", permanent=False) from exc

    async def _follow(self, url: str) -> Media:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            self._check(current)
            async with self._session.get(current, timeout=self._timeout, allow_redirects=False) as resp:
                if resp.status in _REDIRECTS:
                    current = self._next_hop(current, resp)
                    continue
                if resp.status != 200:
                    raise DownloadError(f"result answered HTTP {resp.status}", permanent=resp.status in _GONE)
                return await self._read(url, resp)
        raise DownloadError(f"result redirected more than {MAX_REDIRECTS} times", permanent=True)

    def _check(self, url: str) -> None:
        """Refuse a scheme other than http(s) and a non-public address literal before connecting."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DownloadError(f"result URL refused: scheme {parts.scheme!r}", permanent=True)
        host = parts.hostname
        if self._policy.trusts(host) or not _is_literal(host):
            return
        if not is_public(host):
            raise DownloadError(f"result address refused: {host} is not public", permanent=True)

    def _next_hop(self, url: str, resp: aiohttp.ClientResponse) -> str:
        location = resp.headers.get("Location")
        if not location:
            raise DownloadError(f"result redirect HTTP {resp.status} without a Location", permanent=True)
        return urljoin(url, location)

    async def _read(self, url: str, resp: aiohttp.ClientResponse) -> Media:
        """The body, counted as it arrives; past the cap, a ``too_large`` Media without bytes."""
        declared = resp.content_type or "application/octet-stream"
        content_type, file_name = _content_type(declared, url), _file_name(url, declared)
        cap = self._policy.max_bytes
        if (resp.content_length or 0) > cap:
            return Media(b"", content_type, file_name, url, too_large=True)
        data = bytearray()
        async for chunk in resp.content.iter_chunked(_CHUNK):
            data += chunk
            if len(data) > cap:
                return Media(b"", content_type, file_name, url, too_large=True)
        return Media(bytes(data), content_type, file_name, url)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _normal(host: str) -> str:
    return host.rstrip(".").lower()


def _hosts(urls: Iterable[str]) -> frozenset[str]:
    return frozenset(_normal(host) for url in urls if (host := urlsplit(url).hostname))


def _content_type(declared: str, url: str) -> str:
    if declared in ("application/octet-stream", "binary/octet-stream", ""):
        return mimetypes.guess_type(urlsplit(url).path)[0] or declared
    return declared


def _file_name(url: str, content_type: str) -> str:
    name = posixpath.basename(urlsplit(url).path)
    if name and "." in name:
        return name
    extension = mimetypes.guess_extension(content_type) or ""
    return f"{name or 'result'}{extension}"
