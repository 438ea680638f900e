from __future__ import annotations

import math

import pytest

from yujing.detector.countmodel import log_pmf, tail, upper_bound


def test_poisson_tail_matches_the_sum():
    mu = 0.3
    for k in range(0, 8):
        exact = 1 - sum(math.exp(-mu) * mu**i / math.factorial(i) for i in range(k))
        assert tail(k, mu) == pytest.approx(exact, rel=1e-9, abs=1e-15)


def test_zero_heavy_series_values():
    # 2 posts a day is 0.083 an hour: one post in the hour is ordinary, six are not
    mu = 2 / 24
    assert tail(0, mu) == 1.0
    assert tail(1, mu) == pytest.approx(1 - math.exp(-mu))
    assert tail(6, mu) < 1e-8
    assert tail(3, 0.0) == 0.0  # nothing ever expected: any count is news (min_count guards)


def test_negative_binomial_has_a_heavier_tail_and_tends_to_poisson():
    assert tail(40, 20.0, phi=0.1) > 100 * tail(40, 20.0)
    assert tail(30, 20.0, phi=1e-12) == pytest.approx(tail(30, 20.0), rel=1e-9)
    total = sum(math.exp(log_pmf(k, 5.0, 0.3)) for k in range(400))
    assert total == pytest.approx(1.0, rel=1e-9)


def test_far_tail_is_tiny_not_zero_or_negative():
    p = tail(500, 50.0, 0.01)
    assert 0 < p < 1e-50


def test_upper_bound():
    assert upper_bound(0.0) == 1.0
    assert upper_bound(100.0, 0.0, 3.0) == pytest.approx(131.0)
