"""Tail probabilities of counts: how surprising is seeing ``k`` posts when ``mu`` are expected?

Most products are quiet (0–3 complaints a day), so a window usually holds 0 or 1 posts. A
z-score divides by a standard deviation that is 0 or tiny there and cries wolf at the first
post; a count model asks the right question instead: P(X >= k) under the expected mean.

* Poisson, when the counts are as regular as chance allows;
* negative binomial with dispersion ``phi`` (variance ``mu + phi * mu**2``), when the day-to-day
  level wobbles more than Poisson noise, as busy products' counts do.

Tails come from scipy's regularized incomplete gamma and beta functions: constant time and
accurate far into the tail, where summing terms one by one would take millions of steps.
"""

from __future__ import annotations

import math

from scipy.special import betainc, gammainc

__all__ = ["log_pmf", "tail", "upper_bound"]


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


def tail(k: int, mu: float, phi: float = 0.0) -> float:
    """P(X >= k), in constant time for any count (10 or 10^8 per bucket alike).

    Poisson: P(X >= k) = P(k, mu), the regularized lower incomplete gamma function.
    Negative binomial with r = 1/phi successes and success probability r / (r + mu):
    P(X >= k) = I_x(k, r) with x = mu / (r + mu), the regularized incomplete beta function.
    """
    if k <= 0:
        return 1.0
    if mu <= 0.0:
        return 0.0
    if phi <= 1e-9:
        p = float(gammainc(k, mu))
    else:
        r = 1.0 / phi
        p = float(betainc(k, r, mu / (r + mu)))
    return min(1.0, max(0.0, p))


def upper_bound(mu: float, phi: float = 0.0, z: float = 3.0) -> float:
    """A count above this is unusual for one bucket: mean + z standard deviations (+1 for mu~0)."""
    return mu + z * math.sqrt(mu + phi * mu * mu) + 1.0
