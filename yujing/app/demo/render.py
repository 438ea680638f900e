"""HTML and RSS of the demo world, kept small but shaped like the real thing.

The forum is a classic Discuz-style board served in GBK, as many Chinese forums still are, so
the crawler's charset handling is exercised. The class names here are what config/demo.yaml
selects; tests/demo checks the two against each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from html import escape
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["TZ", "forum_list", "forum_thread", "rss", "news_page", "index_page", "local_time"]

TZ = ZoneInfo("Asia/Shanghai")
FORUM = "保友社区 · 理赔投诉"
FEED = "保观察 · 保险资讯与投诉"


class Item(Protocol):
    seq: int
    title: str
    text: str
    author: str
    published: float


def local_time(ts: float, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(ts, TZ).strftime(fmt)


def _page(title: str, body: str, charset: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="{charset}">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def forum_list(items: Sequence[tuple[Item, int, int]], page: int, pages: int) -> str:
    """One page of threads: (post, views, comments), newest first."""
    rows = "\n".join(
        f'<tr class="thread"><td class="subject"><a class="title" href="/forum/thread/{p.seq}">'
        f'{escape(p.title)}</a></td><td class="by"><a class="user">{escape(p.author)}</a></td>'
        f'<td class="num">{comments}/{views}</td>'
        f'<td class="lastpost">{local_time(p.published)}</td></tr>'
        for p, views, comments in items
    )
    nav = f"<span>第 {page}/{pages} 页</span>"
    if page > 1:
        nav += f' <a class="prev" href="/forum/list?page={page - 1}">上一页</a>'
    if page < pages:
        nav += f' <a class="nxt" href="/forum/list?page={page + 1}">下一页</a>'
    body = (
        f'<div id="hd"><a href="/">首页</a> &gt; <b>{escape(FORUM)}</b></div>\n'
        '<table class="threads">\n'
        "<tr><th>标题</th><th>作者</th><th>回复/查看</th><th>发表时间</th></tr>\n"
        f'{rows}\n</table>\n<div class="pg">{nav}</div>'
    )
    return _page(f"{FORUM} - 第{page}页", body, "gbk")


def forum_thread(p: Item, views: int, comments: int, replies: Sequence[str]) -> str:
    reply_html = "\n".join(
        f'<div class="reply"><span class="floor">{n}楼</span> <p>{escape(r)}</p></div>'
        for n, r in enumerate(replies, start=2)
    )
    body = (
        f'<div id="hd"><a href="/">首页</a> &gt; <a href="/forum/list">{escape(FORUM)}</a></div>\n'
        f'<div id="postlist">\n<h1 class="thread-title">{escape(p.title)}</h1>\n'
        f'<div class="main-post" id="post-{p.seq}">\n'
        f'<div class="post-meta"><a class="author" href="#">{escape(p.author)}</a> 发表于 '
        f'<span class="post-time">{local_time(p.published)}</span> '
        f'<span class="views">阅读 <em>{views}</em></span> '
        f'<span class="replies">回复 <em>{comments}</em></span></div>\n'
        # The body is one text node: a crawler taking the first match still gets all of it.
        f'<div class="post-body">{escape(p.text)}</div>\n</div>\n{reply_html}\n</div>'
    )
    return _page(f"{p.title} - {FORUM}", body, "gbk")


def rss(items: Sequence[Item], base_url: str) -> str:
    def item(p: Item) -> str:
        link = f"{base_url}/news/{p.seq}"
        when = format_datetime(datetime.fromtimestamp(p.published, TZ))
        return (
            f"<item>\n<title>{escape(p.title)}</title>\n<link>{link}</link>\n"
            f"<description>{escape(p.text)}</description>\n<pubDate>{when}</pubDate>\n"
            f'<guid isPermaLink="true">{link}</guid>\n'
            f"<dc:creator>{escape(p.author)}</dc:creator>\n</item>"
        )

    body = "\n".join(item(p) for p in items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>{escape(FEED)}</title>\n<link>{base_url}/</link>\n"
        "<description>保险行业资讯与消费者投诉摘编（演示）</description>\n<language>zh-cn</language>\n"
        f"{body}\n</channel>\n</rss>\n"
    )


def news_page(p: Item) -> str:
    body = (
        f'<h1>{escape(p.title)}</h1>\n<p class="meta">{escape(p.author)} '
        f"{local_time(p.published)}</p>\n<p>{escape(p.text)}</p>"
    )
    return _page(p.title, body, "utf-8")


def index_page(stats: dict[str, object]) -> str:
    body = (
        "<h1>yujing demo world</h1>\n<ul>\n"
        f'<li><a href="/forum/list">{escape(FORUM)}</a> (GBK)</li>\n'
        f'<li><a href="/feed.xml">{escape(FEED)}</a> (RSS)</li>\n</ul>\n'
        f"<pre>{escape(repr(stats))}</pre>"
    )
    return _page("yujing demo", body, "utf-8")
