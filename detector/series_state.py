"""A series saved with the detector's state and read back after a restart (``Series``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from yujing.records import format_time

from .details import Details

if TYPE_CHECKING:
    from .baseline import SeasonalBaseline
    from .look import Wave
    from .record import Record

__all__ = ["SeriesState"]


class SeriesState:
    """``dump`` and ``load`` of ``Series`` (a mixin: the attributes are the series')."""

    size: float
    w: int
    head: int
    ring_len: int
    counts: list[int]
    missing: bytearray
    details: dict[int, Details]
    unfolded: set[int]
    baseline: SeasonalBaseline
    wave: Wave | None
    record: Record
    measurement: bool
    tail_peak: float
    tail_at: float
    waves: float
    waves_peak: float
    waves_at: float
    elevated_since: int | None
    fired_at: float

    def dump(self) -> dict[str, Any]:
        wave = None
        if self.wave is not None:
            wave = {
                "id": self.wave.alert.id,
                "peak": self.wave.peak,
                "d": self.wave.details.dump(),
                "quiet": format_time(self.wave.quiet_since) if self.wave.quiet_since else None,
            }
        r = self.ring_len
        return {
            "rule": [self.size, self.w],
            "head": self.head,
            "counts": [self.counts[k % r] for k in range(self.head - r + 1, self.head + 1)],
            "missing": [k for k in range(self.head - r + 1, self.head + 1) if self.missing[k % r]],
            "details": {str(k): d.dump() for k, d in self.details.items()},
            "baseline": self.baseline.dump(),
            "memory": [
                self.tail_peak,
                self.tail_at,
                round(self.waves, 6),
                self.waves_peak,
                self.waves_at,
                self.elevated_since,
                self.fired_at if math.isfinite(self.fired_at) else None,
            ],
            "record": self.record.dump(),
            "measurement": self.measurement,
            "wave": wave,
            "unfolded": sorted(self.unfolded),
        }

    def load(self, d: dict[str, Any]) -> bool:
        if d.get("rule") != [self.size, self.w]:
            return False  # bucket or window changed: this state measures something else
        self.head = int(d["head"])
        counts = list(d["counts"])[-self.ring_len :]
        for j, v in enumerate(counts):
            k = self.head - len(counts) + 1 + j
            self.counts[k % self.ring_len] = int(v)
        for k in d.get("missing", ()):
            if int(k) > self.head - self.ring_len:
                self.missing[int(k) % self.ring_len] = 1
        self.details = {int(k): Details.load(v) for k, v in d["details"].items()}
        self.unfolded = {int(k) for k in d.get("unfolded", ())}
        self.baseline.load(d["baseline"])
        memory = d.get("memory")
        if memory:
            self.tail_peak, self.tail_at, self.waves, self.waves_peak, self.waves_at = (
                float(v) for v in memory[:5]
            )
            self.elevated_since = int(memory[5]) if memory[5] is not None else None
            if len(memory) > 6 and memory[6] is not None:
                self.fired_at = float(memory[6])
        self.measurement = bool(d.get("measurement", False))
        if "record" in d:  # saved before records were kept: they are learned from now on
            self.record.load(d["record"])
        return True
