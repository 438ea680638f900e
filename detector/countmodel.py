"""Tail probabilities of counts: how surprising is seeing ``k`` posts when ``mu`` are expected?

Most products are quiet (0–3 complaints a day), so a window usually holds 0 or 1 posts. A
z-score divides by a standard deviation that is 0 or tiny there and cries wolf at the first
post; a count model asks the right question instead: P(X >= k) under the expected mean.

* Poisson, when the counts are as regular as chance allows;
* negative binomial with dispersion ``phi`` (variance ``mu + phi * mu**2``), when the day-to-day
  level wobbles more than Poisson noise, as busy products' counts do.

Pure Python (``math.lgamma``), no numpy on the hot path.
"""

from __future__ import annotations

import math

__all__ = ["log_pmf", "tail", "upper_bound"]

_MAX_TERMS = 20_000  # a tail this long is far beyond any threshold we compare with


def log_pmf(k: int, mu: float, phi: float = 0.0) -> float:
    """log P(X = k) for Poisson(mu) (phi == 0) or NB with mean mu and dispersion phi."""
    if mu <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if phi <= 1e-9:
        return k * math.log(mu) - mu - math.lgamma(k + 1)
    r = 1.0 / phi
    return (
        math.lgamma(k + r)
        - math.lgamma(r)
        - math.lgamma(k + 1)
        + r * math.log(r / (r + mu))
        + k * math.log(mu / (r + mu))
    )


def _ratio(i: int, mu: float, phi: float) -> float:
    """P(X = i + 1) / P(X = i): lets a tail be summed without another lgamma per term."""
    if phi <= 1e-9:
        return mu / (i + 1)
    r = 1.0 / phi
    return (i + r) / (i + 1) * (mu / (r + mu))


def tail(k: int, mu: float, phi: float = 0.0) -> float:
    """P(X >= k). Exact to double precision; cheap when k is far above mu (the case we alert on)."""
    if k <= 0:
        return 1.0
    if mu <= 0.0:
        return 0.0
    if k <= mu + 1:
        # The head is short here: 1 - P(X < k) loses nothing that matters for p close to 1.
        p = math.exp(log_pmf(0, mu, phi))
        head = 0.0
        for i in range(k):
            head += p
            p *= _ratio(i, mu, phi)
        return min(1.0, max(0.0, 1.0 - head))
    p = math.exp(log_pmf(k, mu, phi))
    total = 0.0
    i = k
    for _ in range(_MAX_TERMS):
        total += p
        p *= _ratio(i, mu, phi)
        i += 1
        if p < total * 1e-12:
            break
    return min(1.0, total)


def upper_bound(mu: float, phi: float = 0.0, z: float = 3.0) -> float:
    """A count above this is unusual for one bucket: mean + z standard deviations (+1 for mu~0)."""
    return mu + z * math.sqrt(mu + phi * mu * mu) + 1.0
