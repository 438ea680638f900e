"""Markup for the chat apps' markdown (DingTalk, WeCom, Feishu lark_md) and for plain text: how
a value is written so it stays text, and how a link is made (only to an http(s) URL)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .view import is_http

__all__ = ["Safe", "Markup", "MARKDOWN", "PLAIN", "md_escape", "md_url", "report_markdown"]


# Markup characters of the chat apps' markdown (DingTalk, WeCom, Feishu lark_md) and their
# full-width forms. Their renderers differ and none documents one escape that works everywhere
# (backslashes show up literally in some, entities are decoded in others), while the full-width
# forms read naturally in Chinese text and mean nothing to any of them. "&" is included because an
# entity such as &lt; is decoded into the markup it names; "@" because a mention is markup.
_MD_SWAP = str.maketrans(
    {
        "\\": "＼",
        "*": "＊",
        "_": "＿",
        "~": "～",
        "`": "｀",
        "[": "［",
        "]": "］",
        "<": "＜",
        ">": "＞",
        "#": "＃",
        "@": "＠",
        "|": "｜",
        "&": "＆",
        "$": "＄",
        "\r": " ",
        "\n": " ",
        "\t": " ",
    }
)


def md_escape(text: str) -> str:
    """User text that stays text in chat-app markdown: no link, mention, emphasis, heading or
    quote can be made of it, and no bare URL in it is turned into a link by the app."""
    # "://" is what the apps' autolinkers look for; a full-width colon keeps it readable.
    return str(text).translate(_MD_SWAP).replace("://", "：//")


def md_url(url: str) -> str | None:
    """``url`` made safe inside ``[label](url)``; None unless it is http(s)."""
    url = str(url).strip()
    if not is_http(url):
        return None
    # A ")" or a space would end the link early; quotes and brackets could start markup.
    for ch, code in ((" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E")):
        url = url.replace(ch, code)
    return url.replace('"', "%22").replace("[", "%5B").replace("]", "%5D").replace("\n", "")


class Safe(str):
    """Markup a template made on purpose (a link): written as it is."""


@dataclass(frozen=True, slots=True)
class Markup:
    escape: Callable[[str], str]
    link: Callable[[str, str], str]  # (label, url) -> markup; the label is raw user text


def _md_link(label: str, url: str) -> str:
    safe_url = md_url(url)
    text = md_escape(label)
    return f"[{text}]({safe_url})" if safe_url else text


def _plain_link(label: str, url: str) -> str:
    return f"{label} {url}" if is_http(url) else label


def _plain(text: str) -> str:
    return text


MARKDOWN = Markup(md_escape, _md_link)
PLAIN = Markup(_plain, _plain_link)


def report_markdown(title: str, summary: str, link: str | None) -> str:
    """A written report in a chat app: its title, its figures in a sentence, and a link to the
    PDF when one is known (there is no file to attach through a robot's webhook)."""
    text = f"**{md_escape(title)}**\n\n{md_escape(summary)}"
    url = md_url(link) if link else None
    return text + (f"\n\n[查看报告（PDF）]({url})" if url else "")
