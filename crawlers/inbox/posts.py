"""A transcript as a post, and the reading a source's config asks for: what the inbox folder and
the HTTP push share."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from yujing.config import TranscriptSource
from yujing.printable import printable
from yujing.records import Post, hash_author, post_id, utcnow

from .calls import CallLayout
from .encoding import TextLimits
from .fields import normalise_caller
from .records import Transcript

__all__ = ["to_post", "layout_of", "limits_of"]


def to_post(t: Transcript, *, source: str, file: str, salt: str) -> Post:
    """The post for one transcript; ``file`` is the bare name the file arrived with."""
    # The url names the file as it arrived, not where it ends up, so it never changes.
    base, shown = _file_names(source, file)
    url = base + (f"#{t.line}" if t.line else "")
    return Post(
        source=source,
        url=url,
        id=post_id(source, t.native_id),
        author=hash_author(normalise_caller(t.caller) if t.caller else None, salt),
        title=" ".join(t.text.split())[:30],
        text=t.text,
        published_at=t.published_at,
        fetched_at=utcnow(),
        extras={
            "agent": t.agent,
            "duration": t.duration,
            "product": t.product,
            "file": shown,
            "line": t.line,
            "channel": "hotline",
            # The call centre's own id: what a PR person quotes to find the recording.
            **({"call_id": t.call_id} if t.call_id else {}),
            # Cut at max_text_chars: the length it had, so nobody takes the cut for the call.
            **({"truncated_from": t.truncated_from} if t.truncated_from else {}),
        },
    )


@lru_cache(maxsize=64)
def _file_names(source: str, file: str) -> tuple[str, str]:
    """A file's url and its name as shown: the same for each of its calls, made once."""
    return f"transcript://{quote(source)}/{quote(file)}", printable(file)


def layout_of(source: TranscriptSource | None) -> CallLayout:
    """How a source's exports name their columns and roles (the usual names without one)."""
    if source is None:
        return CallLayout()
    return CallLayout.of(source.columns, source.roles.customer, source.roles.agent)


def limits_of(source: TranscriptSource | None) -> TextLimits:
    """The reading limits a source's config sets (the safe defaults without one)."""
    if source is None:
        return TextLimits()
    limits = source.limits
    return TextLimits(
        max_file_bytes=int(limits.max_file_mb * 1024 * 1024),
        max_line_chars=limits.max_line_chars,
        max_text_chars=limits.max_text_chars,
    )
