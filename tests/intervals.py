"""Helpers for tests of estimates with intervals."""


def within_99(value: float, low90: float, high90: float) -> bool:
    """Is `value` inside the 99 % interval implied by a symmetric 90 % one?

    A calibrated 90 % interval misses the truth 10 % of the time by design, so a
    fixed-seed test that demands it for several platforms and worlds would fail
    about half the time; fixed seeds check the 99 % interval, and the 90 % coverage
    rate is measured over many seeds by scripts/roi_coverage.py.
    """
    center, half = (low90 + high90) / 2, (high90 - low90) / 2
    return abs(value - center) <= half * 2.5758 / 1.6449
