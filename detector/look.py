"""What one evaluation of a series says (``Look``), an open wave (``Wave``), and the bucket a
time falls in: the records the burst detector reads from a series (``series``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from yujing.alerts import Alert

from .details import Details

__all__ = ["Look", "Wave", "bucket_of"]


def bucket_of(ts: float, size: float) -> int:
    return math.floor(ts / size)


@dataclass(slots=True)
class Wave:
    """An open alert of one series, with everything seen since it fired."""

    alert: Alert
    peak: int
    details: Details
    quiet_since: datetime | None = None  # not even mildly unusual since
    cool_since: datetime | None = None  # not a burst since

    @property
    def window_start(self) -> datetime:
        burst = self.alert.burst
        return burst.window_start if burst is not None else self.alert.started_at


@dataclass(frozen=True, slots=True)
class Look:
    """One evaluation of one series."""

    bucket: int
    count: int
    expected: float
    p: float  # chance of the window (or, if stronger, of its last bucket) under the baseline
    hot: bool
    elevated: bool
    cold: bool
    growth: float
    previous: int  # posts in the window before this one
    window: Details
    series: tuple[int, ...]
    window_start: datetime
    judged: bool = True  # False: too little history (or data) in the window to judge it
    # The conditions of the test that did not hold, in the order the module states them
    # ("not judged", "min_count", "ratio", "p_value", "floor"); empty when hot. "cold" is not a
    # condition but says the expectation was the cold-start floor. For people and tools asking
    # why a window did not fire (``Series.last``), not read by the detector itself.
    held: tuple[str, ...] = ()
    floor: float = 0.0  # what the window had to exceed after earlier waves (see ``Series.floor``)
