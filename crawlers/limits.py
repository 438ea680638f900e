"""What one post of a web source may hold, cut where a source's ``limits`` say.

A feed item of twelve million characters, an API record with ten thousand fields: stored whole,
either is a post nobody reads that costs memory in every stage after it. Past the limit a post
is cut, not dropped (its first hundred thousand characters still say what it is about), and its
extras say what it had, as a hotline call cut at ``max_text_chars`` does.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from yujing.config import TextLimits
from yujing.records import Post

__all__ = ["bounded", "MARKUP_PER_CHAR"]

# An item's HTML is cut at this many characters of markup per character of text allowed before
# it is parsed: generous for real markup, and a 12-million-character item never reaches the parser.
MARKUP_PER_CHAR = 8


def bounded(post: Post, limits: TextLimits) -> Post:
    """``post`` within ``limits``; what was cut is in its extras (``truncated_from`` etc.)."""
    cut: dict[str, Any] = {}
    text, title, extras = post.text, post.title, post.extras
    if len(text) > limits.max_text_chars:
        cut["truncated_from"] = len(text)
        text = text[: limits.max_text_chars]
    if len(title) > limits.max_title_chars:
        cut["title_truncated_from"] = len(title)
        title = title[: limits.max_title_chars]
    if len(extras) > limits.max_fields:
        cut["fields_dropped"] = len(extras) - limits.max_fields
        extras = dict(list(extras.items())[: limits.max_fields])
    long = [k for k, v in extras.items() if isinstance(v, str) and len(v) > limits.max_text_chars]
    if long:
        extras = {k: v[: limits.max_text_chars] if k in long else v for k, v in extras.items()}
        cut["fields_truncated"] = sorted(long)
    if not cut:
        return post
    return replace(post, text=text, title=title, extras={**extras, **cut})
