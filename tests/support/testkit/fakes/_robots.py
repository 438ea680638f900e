"""What the chat-robot stand-ins share: a clock they can be given, and a per-robot send count
over a sliding window, as the services count toward their rate limits."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

__all__ = ["SendCounter"]


class SendCounter:
    def __init__(self, limit: int, per: float, clock: Callable[[], float] = time.time):
        self.limit = limit
        self.per = per
        self.clock = clock
        self.times: deque[float] = deque()

    def over(self) -> bool:
        """Count one send; True when it is over the limit (then it is not counted)."""
        now = self.clock()
        while self.times and self.times[0] <= now - self.per:
            self.times.popleft()
        if len(self.times) >= self.limit:
            return True
        self.times.append(now)
        return False
