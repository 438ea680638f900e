"""A post of the demo world, as the server shows it: a forum thread, a feed item or a call.

Apart from the world so that the parts that make posts (the ordinary chatter, the wave, the call
files) and the world that publishes them share the record without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DemoPost"]


@dataclass
class DemoPost:
    seq: int  # the thread, news or call number
    channel: str  # forum, feed or transcript
    product: str | None
    title: str
    text: str
    author: str  # a handle, or a masked phone number for calls
    published: float  # epoch seconds
    views: int = 0
    comments: int = 0
    growth: float = 0.0  # views gained per second: only the wave draws a crowd
    wave: bool = False
    replies: list[str] = field(default_factory=list)

    def reach(self, now: float) -> tuple[int, int]:
        gained = self.growth * max(0.0, now - self.published)
        return self.views + int(gained), self.comments + int(gained / 20)
