"""The seasonal baseline's sums (``baseline``): decayed counts per slot of the day and week, and
the sums over-dispersion is learned from."""

from __future__ import annotations

__all__ = [
    "DecayedSlots",
    "dispersion_step",
    "dispersion",
    "PRIOR_POSTS",
    "DISPERSION_PRIOR",
    "DISPERSION_WEIGHT",
    "DISPERSION_CAP",
]

PRIOR_POSTS = 4.0  # pseudo-posts pulling each seasonal factor towards 1 (at least)
DISPERSION_PRIOR = 0.05  # assumed extra variance (phi) until windows say otherwise
DISPERSION_WEIGHT = 50.0  # ... worth this much sum of squared window means
DISPERSION_CAP = 6.0  # a window teaches phi at most as much as one this many sd out


class DecayedSlots:
    """Parallel decayed sums (count, buckets) per slot, each decayed lazily from its last touch."""

    __slots__ = ("lam", "s", "n", "t")

    def __init__(self, slots: int, lam: float, t: int):
        self.lam = lam
        self.s = [0.0] * slots
        self.n = [0.0] * slots
        self.t = [t] * slots

    def add(self, slot: int, i: int, count: float, buckets: float) -> None:
        last = self.t[slot]
        if i <= last:
            w = self.lam ** (last - i)
            self.s[slot] += count * w
            self.n[slot] += buckets * w
        else:
            w = self.lam ** (i - last)
            self.s[slot] = self.s[slot] * w + count
            self.n[slot] = self.n[slot] * w + buckets
            self.t[slot] = i

    def at(self, slot: int, now: int) -> tuple[float, float]:
        w = self.lam ** max(0, now - self.t[slot])
        return self.s[slot] * w, self.n[slot] * w

    def factors(
        self,
        now: int,
        prior: float = PRIOR_POSTS,
        lo: int = 0,
        hi: int | None = None,
        towards: list[float] | None = None,
    ) -> list[float]:
        """Slots ``lo``..``hi``: each one's posts over what a flat series would have had there,
        shrunk by ``prior`` pseudo-posts towards 1 (or towards ``towards``, slot by slot)."""
        pairs = [self.at(k, now) for k in range(lo, len(self.s) if hi is None else hi)]
        total_s = sum(s for s, _ in pairs)
        total_n = sum(n for _, n in pairs)
        rate = total_s / total_n if total_n > 0 else 0.0
        to = towards or [1.0] * len(pairs)
        return [(s + prior * f) / (rate * n + prior) for (s, n), f in zip(pairs, to, strict=True)]

    def dump(self) -> list[list[float]]:
        return [[round(v, 6) for v in self.s], [round(v, 6) for v in self.n], list(self.t)]

    def load(self, data: list[list[float]]) -> None:
        self.s, self.n, self.t = (
            [float(v) for v in data[0]],
            [float(v) for v in data[1]],
            [int(v) for v in data[2]],
        )


def dispersion_step(
    a: float, b: float, phi: float, count: float, expected: float, lam: float
) -> tuple[float, float]:
    """One step of the dispersion sums (see ``observe_window``)."""
    if expected <= 0.0:
        return a, b
    var = expected + phi * expected * expected
    r2 = min((count - expected) ** 2, DISPERSION_CAP * DISPERSION_CAP * var)
    u = 1.0 / (1.0 + DISPERSION_PRIOR * expected) ** 2
    return a * lam + u * (r2 - expected), b * lam + u * expected * expected


def dispersion(a: float, b: float) -> float:
    return max(0.0, (a + DISPERSION_PRIOR * DISPERSION_WEIGHT) / (b + DISPERSION_WEIGHT))
