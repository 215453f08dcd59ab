"""Fetching an article's web page for a curator: public addresses only, checked again after every
redirect, and a size cap applied while the body streams in.

A curator can type any address; without these checks the bot would fetch, and save as an
article, whatever its own network can reach (a cloud metadata service, an admin page on
localhost).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable

import httpx

from corpus.article import ArticleError

MAX_FETCH_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
Resolver = Callable[[str], Awaitable[list[str]]]


async def system_resolver(host: str) -> list[str]:
    """The addresses `host` resolves to, asked of the system's resolver without blocking the loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def is_public(address: str) -> bool:
    """False for private, loopback, link-local, shared, reserved and unspecified addresses (an
    IPv4 address written as IPv6 counts as itself)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def check_public(url: httpx.URL, resolve: Resolver) -> None:
    """ArticleError unless every address `url`'s host resolves to is public."""
    if url.scheme not in ("http", "https"):
        raise ArticleError(f"{url} is not a web address; give one starting with https://")
    host = url.host
    try:
        addresses = [host] if _literal(host) else await resolve(host)
    except OSError:
        raise ArticleError(f"{url}: the name `{host}` could not be resolved; check the address") from None
    private = [a for a in addresses if not is_public(a)] or ([] if addresses else [host])
    if private:
        raise ArticleError(f"{url} leads to a private or local address ({private[0]}); Footnote only fetches "
                           "public web pages. Save the article and upload it as a file instead")


async def fetch_page(client: httpx.AsyncClient, url: str, resolve: Resolver = system_resolver,
                     max_bytes: int = MAX_FETCH_BYTES) -> tuple[str, str]:
    """(the page's final address, its HTML); ArticleError names the URL and what went wrong."""
    if not re.match(r"https?://", url):
        raise ArticleError(f"`{url}` is not a web address; give one starting with https://")
    current = httpx.URL(url)
    for _ in range(MAX_REDIRECTS + 1):
        await check_public(current, resolve)
        try:
            async with client.stream("GET", current, follow_redirects=False) as response:
                if response.is_redirect and "location" in response.headers:
                    current = current.join(response.headers["location"])
                    continue
                _check_peer(response, current)
                _check_response(response, url, max_bytes)
                body = await _read(response, url, max_bytes)
                return str(current), body.decode(response.encoding or "utf-8", errors="replace")
        except httpx.HTTPError as exc:
            raise ArticleError(f"{url} could not be fetched ({type(exc).__name__}); check the address") from None
    raise ArticleError(f"{url} redirects more than {MAX_REDIRECTS} times; give the article's final address")


def _check_peer(response: httpx.Response, url: httpx.URL) -> None:
    """The address actually connected to, when the transport tells it (a name may resolve
    differently the second time)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if peer and not is_public(peer[0]):
        raise ArticleError(f"{url} leads to a private or local address ({peer[0]}); Footnote only fetches "
                           "public web pages. Save the article and upload it as a file instead")


def _check_response(response: httpx.Response, url: str, max_bytes: int) -> None:
    if response.status_code >= 400:
        raise ArticleError(f"{url} answered HTTP {response.status_code}; check the address or upload the page")
    kind = response.headers.get("content-type", "text/html")
    if "html" not in kind:
        raise ArticleError(f"{url} is `{kind}`, not a web page; upload the file instead")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_big(url, max_bytes)


async def _read(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    body = bytearray()
    async for piece in response.aiter_bytes():
        body += piece
        if len(body) > max_bytes:
            raise _too_big(url, max_bytes)
    return bytes(body)


def _too_big(url: str, max_bytes: int) -> ArticleError:
    return ArticleError(f"{url} is over {max_bytes // 2**20} MiB; save the article and upload it")
