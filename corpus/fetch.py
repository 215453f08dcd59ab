"""Fetching a web page for the collection without letting a URL reach into this machine or its
network: the one fetcher behind the web page's and the Discord bot's "add by address". Every connection, each redirect's included, is made by a network backend that resolves
the host itself, refuses it unless every address is public, and connects to the address it
checked (so a name cannot resolve one way for the check and another for the connection). The
body is read in pieces and abandoned past a size cap or a deadline."""

from __future__ import annotations

import ipaddress
import math
import socket
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import httpcore

from corpus.article import ArticleError

MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT_S = 15.0
USER_AGENT = b"Footnote/0.1 (adds an article a curator asked for)"
_NETWORK_ERRORS = (httpcore.NetworkError, httpcore.TimeoutException, httpcore.ProtocolError)


class FetchError(ArticleError):
    """The page could not be fetched; the message names the address and what to do instead."""


Resolver = Callable[[str, int], list[str]]  # (host, port) -> its addresses


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives `host`, in its order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError(f"the host {host!r} could not be resolved; check the address") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


_NAT64, _LOCAL_NAT64 = ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48")


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not loopback, private, link-local, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:  # an IPv4 address wrapped in IPv6 is judged as the IPv4 address
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if ip in _LOCAL_NAT64:  # a network's own NAT64 prefix (RFC 8215): never the public internet
            return False
        if inner is None and ip in _NAT64:  # the well-known NAT64 prefix: the IPv4 address is its last 32 bits
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            ip = inner
    return ip.is_global and not ip.is_multicast


# A test setting, never a default: lets the fetcher reach servers on this machine's loopback
# (tests serve feeds and pages on 127.0.0.1). Read by `allowed_from_env` alone.
ALLOW_LOOPBACK_ENV = "FOOTNOTE_FETCH_ALLOW_LOOPBACK"


def allowed_from_env(environ: Mapping[str, str]) -> Callable[[str], bool]:
    """The address rule the entry points give the fetcher: public addresses only, unless
    FOOTNOTE_FETCH_ALLOW_LOOPBACK=1 in `environ` also allows loopback (for tests)."""
    if environ.get(ALLOW_LOOPBACK_ENV, "").strip() == "1":
        return _public_or_loopback
    return is_public


def _public_or_loopback(address: str) -> bool:
    return is_public(address) or ipaddress.ip_address(address.split("%", 1)[0]).is_loopback


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses `allowed` accepts, and giving up
    on every read, write and handshake once `deadline` (time.monotonic) has passed: a server
    that sends its headers a byte at a time cannot hold a worker past it."""

    def __init__(self, allowed: Callable[[str], bool] = is_public, deadline: float = math.inf,
                 resolve: Resolver = system_resolver):
        self.allowed = allowed
        self.deadline = deadline
        self.resolve = resolve

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        # Resolved once, here: the connection goes to the address that was checked, so a name
        # cannot answer a public address to the check and a private one to the connection.
        addresses = self.resolve(host, port)
        if not addresses or not all(self.allowed(a) for a in addresses):
            # The addresses are not named: they are this network's own DNS answers.
            raise FetchError(f"{host} resolves to an address inside this machine or a private network, which "
                             "Footnote never fetches from; save the page and upload the file")
        stream = super().connect_tcp(addresses[0], port, _within(timeout, self.deadline), local_address,
                                     socket_options)
        return DeadlineStream(stream, self.deadline)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation waits at most until `deadline`."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float):
        self.stream = stream
        self.deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, _within(timeout, self.deadline))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, _within(timeout, self.deadline))

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        tls = self.stream.start_tls(ssl_context, server_hostname, _within(timeout, self.deadline))
        return DeadlineStream(tls, self.deadline)

    def close(self) -> None:
        self.stream.close()

    def get_extra_info(self, info: str):
        return self.stream.get_extra_info(info)


def _within(timeout: float | None, deadline: float) -> float:
    """The time an operation may take: its own timeout, cut to what is left before `deadline`."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the time allowed for the whole fetch ran out")
    return left if timeout is None else min(timeout, left)


@dataclass(frozen=True)
class Fetched:
    """What a GET came back with: the final address (after redirects), the status, the headers
    (names lower-cased) and the body, decompressed (empty unless the status is 200)."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def fetch(url: str, accept: str, headers: Mapping[str, str] | None = None, allowed: Callable[[str], bool] = is_public,
          max_bytes: int = MAX_PAGE_BYTES, timeout_s: float = TIMEOUT_S, resolve: Resolver = system_resolver,
          user_agent: bytes = USER_AGENT) -> Fetched:
    """GET `url` through the guards, following up to MAX_REDIRECTS redirects (each re-checked), all
    within `timeout_s`; gzip and deflate are asked for and undone under the size cap. Any status
    is returned (a 304 for a conditional GET, a 404 for a robots.txt); FetchError names the
    address and the fix when the fetch itself fails. Blocking: call it from a worker thread."""
    deadline = time.monotonic() + timeout_s
    timeouts = {"connect": timeout_s, "read": timeout_s, "write": timeout_s, "pool": timeout_s}
    sent = [(b"User-Agent", user_agent), (b"Accept", accept.encode()), (b"Accept-Encoding", b"gzip, deflate"),
            *((k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items())]
    asked = url
    with httpcore.ConnectionPool(network_backend=GuardedBackend(allowed, deadline, resolve), retries=0) as pool:
        for _ in range(MAX_REDIRECTS + 1):
            url = web_address(url)
            try:
                with pool.stream("GET", url, headers=sent, extensions={"timeout": timeouts}) as response:
                    location = _header(response, b"location")
                    if response.status in (301, 302, 303, 307, 308) and location:
                        url = urljoin(url, location)
                        continue
                    got = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
                    body = _read_body(url, response, max_bytes, deadline) if response.status == 200 else b""
                    return Fetched(url, response.status, got, body)
            except httpcore.TimeoutException:
                raise FetchError(f"{url} took longer than {timeout_s:.0f} s to arrive; save the page and upload "
                                 "it") from None
            except _NETWORK_ERRORS as exc:
                raise FetchError(f"{url} could not be fetched ({type(exc).__name__}); check the address, or save "
                                 "the page and upload the file") from None
            except FetchError as exc:
                if url != web_address(asked):
                    raise FetchError(f"{asked[:200]} redirects to {url[:200]}, and {exc}") from None
                raise
    raise FetchError(f"{url} redirects more than {MAX_REDIRECTS} times; give the page's final address")


def fetch_page(url: str, allowed: Callable[[str], bool] = is_public, max_bytes: int = MAX_PAGE_BYTES,
               timeout_s: float = TIMEOUT_S, resolve: Resolver = system_resolver,
               user_agent: bytes = USER_AGENT) -> tuple[str, str]:
    """(the final address, the HTML there), fetched through `fetch`. Blocking."""
    got = fetch(url, "text/html", allowed=allowed, max_bytes=max_bytes, timeout_s=timeout_s, resolve=resolve,
                user_agent=user_agent)
    return got.url, page_text(got)


def page_text(got: Fetched) -> str:
    """The HTML of a fetched page, decoded by its charset; FetchError when it is no page."""
    if got.status != 200:
        raise FetchError(f"{got.url} answered HTTP {got.status}; check the address, or save the page and "
                         "upload the file")
    kind = got.header("content-type") or "text/html"
    if "html" not in kind.lower():
        raise FetchError(f"{got.url} is {kind.split(';')[0]!r}, not a web page; upload the file instead")
    charset = next((p.split("=", 1)[1].strip(' "') for p in kind.split(";")[1:] if "charset=" in p.lower()),
                   "utf-8")
    try:
        return got.body.decode(charset, errors="replace")
    except (LookupError, UnicodeError):  # a charset Python does not know, or one that is no text encoding
        return got.body.decode("utf-8", errors="replace")


def web_address(url: str) -> str:
    """`url` as it goes on the wire: the host in IDNA ("bücher.example" → "xn--bcher-kva.example"),
    the path and query percent-encoded ("/wiki/Köln" → "/wiki/K%C3%B6ln"); FetchError names
    what is wrong with an address that is not a fetchable one (scheme, host, port, credentials)."""
    shown = repr(url[:200])
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # ValueError for ":99999", ":-1", ":abc"
    except ValueError as exc:
        raise FetchError(f"{shown} is not a valid web address ({exc}); check it, e.g. https://example.org/page") \
            from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{shown} is not a web address; give one starting with https://")
    if parts.username or parts.password:
        raise FetchError(f"{shown} carries a user name or password; give the page's public address")
    if port == 0:
        raise FetchError(f"{shown} has port 0; give a port from 1 to 65535, or none")
    host = parts.hostname
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    else:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise FetchError(f"{shown} has a host name that is not a valid domain name; check the address") \
                from None
    netloc = host if port is None else f"{host}:{port}"
    path = quote(parts.path, safe="/%!$&'()*+,;=:@-._~")
    query = quote(parts.query, safe="/?%!$&'()*+,;=:@-._~")
    return urlunsplit((parts.scheme.lower(), netloc, path or "/", query, ""))


def _header(response: httpcore.Response, name: bytes) -> str | None:
    value = next((v for k, v in response.headers if k.lower() == name), None)
    return value.decode("latin-1") if value is not None else None


def _read_body(url: str, response: httpcore.Response, max_bytes: int, deadline: float) -> bytes:
    """The body, decompressed, given up past `max_bytes` (after decompression: a small gzip can
    unpack to gigabytes) or past the deadline."""
    size, pieces = 0, []
    for piece in _decoded(url, response.iter_stream(), _header(response, b"content-encoding") or ""):
        size += len(piece)
        if size > max_bytes:
            raise FetchError(f"{url} is over {max_bytes / 2**20:g} MiB; save the article and upload it")
        if time.monotonic() > deadline:
            raise FetchError(f"{url} took longer than the time allowed to arrive; save the page and upload it")
        pieces.append(piece)
    return b"".join(pieces)


def _decoded(url: str, pieces: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    """`pieces` with their Content-Encoding undone, a bounded piece at a time."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        yield from pieces
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"{url} is sent with the encoding {encoding[:40]!r}, which Footnote does not read; "
                         "ask the site for plain or gzip")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # 32: a gzip or a zlib header, whichever comes
    try:
        for piece in pieces:
            while piece:
                yield inflater.decompress(piece, 65536)
                piece = inflater.unconsumed_tail
        yield inflater.flush()
    except zlib.error:
        raise FetchError(f"{url} says it is {encoding} but is not; tell the site, or save the page and upload "
                         "it") from None
