"""Result downloads against a real HTTP server on 127.0.0.1: byte cap, public addresses, redirects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from shared.chat.download import (
    Downloader,
    DownloadError,
    DownloadPolicy,
    Media,
    guarded_session,
    is_public,
)

CAP = 64 * 1024
LOOPBACK = frozenset({"127.0.0.1"})


@dataclass
class Files:
    """A file host: ``/small``, ``/big`` (chunked, no Content-Length), ``/declared`` (Content-Length over
    the cap), ``/hop/N`` (redirects N times, then ``/small``), ``/to-localhost`` and ``/gone``."""

    server: TestServer
    sent: dict[str, int]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.port}{path}"


@pytest.fixture(name="files")
async def _files() -> AsyncIterator[Files]:
    sent: dict[str, int] = {}

    async def small(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 1000, content_type="image/png")

    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        sent["big"] = 0
        try:
            for _ in range(1024):  # 16 MiB if read to the end
                await response.write(b"v" * 16384)
                sent["big"] += 16384
        except (ConnectionResetError, RuntimeError):
            pass
        return response

    async def declared(request: web.Request) -> web.Response:
        return web.Response(body=b"d" * (CAP + 1), content_type="video/mp4")

    async def hop(request: web.Request) -> web.Response:
        left = int(request.match_info["left"])
        raise web.HTTPFound("/small" if left == 0 else f"/hop/{left - 1}")

    async def to_localhost(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://localhost:{request.url.port}/small")

    async def gone(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    app = web.Application()
    app.router.add_get("/small", small)
    app.router.add_get("/big", big)
    app.router.add_get("/declared", declared)
    app.router.add_get("/hop/{left}", hop)
    app.router.add_get("/to-localhost", to_localhost)
    app.router.add_get("/gone", gone)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield Files(server, sent)
    await server.close()


async def fetch(url: str, trusted: frozenset[str] = LOOPBACK) -> Media:
    policy = DownloadPolicy(max_bytes=CAP, trusted_hosts=trusted)
    async with guarded_session(policy) as session:
        return await Downloader(session, policy).fetch(url)


async def refused(url: str, trusted: frozenset[str] = LOOPBACK) -> DownloadError:
    with pytest.raises(DownloadError) as caught:
        await fetch(url, trusted)
    return caught.value


class TestByteCap:
    async def test_a_small_file_is_read_whole(self, files: Files) -> None:
        """Under the cap: the bytes and the declared type."""
        media = await fetch(files.url("/small"))
        assert media.data == b"x" * 1000 and media.content_type == "image/png"

    async def test_a_stream_past_the_cap_stops_without_content_length(self, files: Files) -> None:
        """No Content-Length: reading stops at the cap and the result is marked too large, without bytes."""
        media = await fetch(files.url("/big"))
        assert media.too_large and media.data == b""
        assert files.sent["big"] < 16 * 1024 * 1024

    async def test_a_declared_length_past_the_cap_is_not_read(self, files: Files) -> None:
        """Content-Length over the cap: marked too large at once."""
        media = await fetch(files.url("/declared"))
        assert media.too_large


class TestAddresses:
    async def test_an_untrusted_loopback_literal_is_refused(self, files: Files) -> None:
        """127.0.0.1 is not public: refused for good unless it is a configured host."""
        error = await refused(files.url("/small"), trusted=frozenset())
        assert error.permanent and "not public" in str(error)

    async def test_a_name_resolving_to_loopback_is_refused(self, files: Files) -> None:
        """``localhost`` resolves to loopback: refused after resolution."""
        error = await refused(files.url("/small", host="localhost"))
        assert error.permanent and "refused" in str(error)

    async def test_a_redirect_to_a_forbidden_address_is_refused(self, files: Files) -> None:
        """A trusted host redirecting to a non-public name: the new address is checked and refused."""
        error = await refused(files.url("/to-localhost"))
        assert error.permanent

    async def test_other_schemes_are_refused(self) -> None:
        """file:// and friends never reach a socket."""
        assert (await refused("file:///etc/passwd")).permanent

    def test_public_means_global_unicast(self) -> None:
        """Private, loopback, link-local, multicast, mapped and reserved addresses are not public."""
        for address in ("10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "169.254.169.254", "0.0.0.0"):
            assert not is_public(address), address
        for address in ("224.0.0.1", "100.64.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1"):
            assert not is_public(address), address
        assert is_public("8.8.8.8") and is_public("2606:4700:4700::1111")


class TestRedirects:
    async def test_three_redirects_are_followed(self, files: Files) -> None:
        """Up to three hops reach the file."""
        media = await fetch(files.url("/hop/2"))
        assert media.data == b"x" * 1000

    async def test_a_fourth_redirect_is_refused(self, files: Files) -> None:
        """Four hops: refused for good."""
        error = await refused(files.url("/hop/3"))
        assert error.permanent and "redirected" in str(error)

    async def test_a_gone_file_is_permanent(self, files: Files) -> None:
        """404 stays a permanent failure, as before."""
        assert (await refused(files.url("/gone"))).permanent
