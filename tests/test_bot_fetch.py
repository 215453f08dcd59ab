"""/article add url: the page is fetched with a size cap while it streams, only from public
addresses (after every redirect), and parsed off the event loop."""

from __future__ import annotations

import discord
import httpx
import pytest

from tests.bot_harness import Harness, make_bot, run

MANAGE_GUILD = discord.Permissions(manage_guild=True).value
PARAGRAPH = ("<p>The harbour council met on Tuesday and agreed that the repair budget for the old bridge would "
             "be reviewed again in spring, after engineers reported new corrosion on the steel cables.</p>\n")
DNS = {"news.example": ["93.184.216.34"], "localhost": ["127.0.0.1"], "intranet.example": ["10.0.0.7"],
       "both.example": ["93.184.216.35", "192.168.1.20"]}


def page(paragraphs: int = 1) -> str:
    return ("<html><head><title>Bridge budget reviewed</title>"
            '<meta property="article:published_time" content="2026-05-02"></head><body><article>'
            f"<h1>Bridge budget reviewed</h1>{PARAGRAPH * paragraphs}</article></body></html>")


async def resolve(host: str) -> list[str]:
    """The bot's resolver, answering from a table as DNS would."""
    if host in DNS:
        return DNS[host]
    if host.strip("[]").replace(".", "").replace(":", "").isalnum():  # a literal address
        return [host.strip("[]")]
    raise OSError(f"{host}: name not known")


def add_url(bot, handler, url: str):
    bot.fetcher = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    bot.resolver = resolve

    async def scenario(h: Harness):
        calls = await h.slash("article", {"url": url}, subcommand="add", permissions=MANAGE_GUILD)
        return calls[-1].message.content, h.max_stall_s

    return scenario


def test_parsing_a_large_page_does_not_block_the_event_loop(own_index, tmp_path):
    html = page(2000)  # about 0.4 MiB: a second of trafilatura on this machine

    def handler(request):
        return httpx.Response(200, text=html, headers={"content-type": "text/html"})

    bot = make_bot(*own_index, tmp_path)
    reply, stall_s = run(add_url(bot, handler, "https://news.example/bridge"), bot)
    assert "Saved `discord/bridge-budget-reviewed`" in reply
    assert stall_s < 0.5, f"the event loop stood still for {stall_s:.2f} s while the page was parsed"


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_a_page_over_5_mib_is_not_read_to_the_end(own_index, tmp_path, declared):
    pulled = []

    async def body():
        for _ in range(12 * 16):  # 12 MiB in 64 KiB pieces
            pulled.append(65536)
            yield b"<p>" + b"x" * 65529 + b"</p>"

    def handler(request):
        headers = {"content-type": "text/html"} | ({"content-length": str(12 * 2**20)} if declared else {})
        return httpx.Response(200, content=body(), headers=headers)

    bot = make_bot(*own_index, tmp_path)
    reply, _ = run(add_url(bot, handler, "https://news.example/huge"), bot)
    assert "is over 5 MiB; save the article and upload it" in reply
    assert sum(pulled) <= 5 * 2**20 + 65536, f"{sum(pulled) / 2**20:.1f} MiB read"


@pytest.mark.parametrize("url,target", [
    ("http://127.0.0.1:8080/admin", "127.0.0.1"),
    ("http://localhost/", "127.0.0.1"),
    ("http://[::1]/", "::1"),
    ("http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1"),
    ("https://news.example/moved", "169.254.169.254"),  # redirected to the cloud metadata service
    ("https://news.example/intranet", "10.0.0.7"),  # redirected to a name that resolves inside
    ("https://both.example/", "192.168.1.20"),  # one public and one private address
], ids=["loopback", "localhost", "ipv6-loopback", "ipv4-mapped", "redirect-link-local", "redirect-private",
        "mixed"])
def test_private_loopback_and_link_local_targets_are_refused_after_every_redirect(own_index, tmp_path, url, target):
    requested = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        if request.url.path == "/moved":
            return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
        if request.url.path == "/intranet":
            return httpx.Response(301, headers={"location": "https://intranet.example/wiki"})
        return httpx.Response(200, text=page(), headers={"content-type": "text/html"})

    bot = make_bot(*own_index, tmp_path)
    reply, _ = run(add_url(bot, handler, url), bot)
    assert f"({target})" in reply and "only fetches public web pages" in reply
    assert all(urlhost in ("news.example",) for urlhost in (httpx.URL(r).host for r in requested)), requested
