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


def test_negative_binomial_tail_matches_the_sum():
    for mu, phi in ((0.4, 0.25), (5.0, 0.3), (60.0, 0.05)):
        for k in (1, 2, 5, 12, 90):
            exact = 1 - sum(math.exp(log_pmf(i, mu, phi)) for i in range(k))
            if exact > 1e-12:
                assert tail(k, mu, phi) == pytest.approx(exact, rel=1e-7, abs=1e-14)


def test_huge_counts_have_tails_without_summing_millions_of_terms():
    # 10^8 per bucket: one sd above the mean is the normal tail (0.1587); 9 sd is vanishingly rare.
    assert tail(100_010_000, 100_000_000.0) == pytest.approx(0.15866, abs=2e-4)
    assert 0 < tail(130_000_000, 100_000_000.0, 0.001) < 1e-12
    assert tail(99_000_000, 100_000_000.0, 0.001) > 0.5
