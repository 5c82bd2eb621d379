"""Binomial checks on loss figures, for integration tests that compare measured loss with a
known drop rate or with another tool's (stdlib only).

    lo, hi = binomial_interval(n=30, p=0.36, alpha=0.001)   # lost probes expected in [lo, hi]
    p = two_proportion_p_value(lost_a, sent_a, lost_b, sent_b)
    assert p > 0.001, "the two tools' loss rates differ"
"""

import math
import statistics


def binomial_cdf(k, n, p):
    """P(X <= k) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(0, min(k, n) + 1))


def binomial_interval(n, p, alpha):
    """(lo, hi): the central interval that X ~ Binomial(n, p) falls outside of with probability
    at most alpha (at most alpha/2 on each side)."""
    lo = 0
    while lo < n and binomial_cdf(lo, n, p) <= alpha / 2:
        lo += 1
    hi = n
    while hi > 0 and 1 - binomial_cdf(hi - 1, n, p) <= alpha / 2:
        hi -= 1
    return lo, hi


def two_proportion_p_value(x1, n1, x2, n2):
    """Two-sided p-value of the pooled two-proportion z test that x1 of n1 and x2 of n2 come from
    one rate. 1.0 when either sample is empty or both rates are 0% or both 100%."""
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (x1 + x2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x1 / n1 - x2 / n2) / se
    return 2 * (1 - statistics.NormalDist().cdf(abs(z)))
