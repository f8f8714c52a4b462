"""The count model every rule shares: an expected count, its overdispersion, and the upper limit above which a
count is flagged (a negative binomial quantile), with the parameters in one place (docs/alerts.md says why)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AlertParameters:
    """Every rule's parameters; the defaults are the tuned ones (docs/alerts.md, docs/benchmarks.md)."""

    # A count is flagged when a count this high or higher would happen by chance less often than this.
    alpha: float = 1e-4
    # Surges: the same weekday's weight is learnt from this many previous weeks of the area's own counts.
    baseline_weeks: int = 8
    # The expected count is never taken as lower than this, so a grid going from 0 to 1 or 2 is no surge.
    min_expected: float = 1.0
    # … and a surge needs at least this many requests in the day, whatever the expectation.
    min_observed: int = 5
    # The spread (overdispersion) is measured on ordinary days: a baseline day with at least min_observed
    # requests that chance would give less often than this is left out of it (a past surge).
    ordinary_alpha: float = 0.005
    # Repeat clusters: this many requests of one second-level category within the radius and the days.
    cluster_requests: int = 3
    cluster_radius_m: float = 200.0
    cluster_days: int = 7
    # … and, a request arriving, more others before it than a spot that busy would see by chance this often:
    # cluster_alpha when set; else what holds the rule to cluster_budget chance clusters per community a week
    # at the city's volume (cluster_budget × communities ÷ requests a week: the busier the hotline per
    # community, the stronger the evidence each request needs), never above cluster_alpha_cap.
    cluster_alpha: float | None = None
    cluster_budget: float = 0.003
    cluster_alpha_cap: float = 1e-2
    # … looked for in circles of these radii too, inside the cluster's (the same problem reported again is
    # reported from about the same place; a busy street's chance neighbours are spread over the whole circle).
    cluster_scan_radii_m: tuple[float, ...] = (50.0, 100.0)
    # … the spot's usual count learnt within this radius over the baseline weeks (scaled to the cluster's).
    cluster_baseline_radius_m: float = 500.0
    # Backlog: an area's open (or overdue) count against its level over these previous days.
    backlog_days: int = 14
    # … flagged only when it rose by at least this many orders and this share above that level.
    backlog_min_jump: int = 10
    backlog_min_ratio: float = 1.5
    # A finding joins the alert of the same area and category flagged within this many days; an alert with no
    # finding for longer is closed.
    join_gap_days: int = 2


DEFAULT_PARAMETERS = AlertParameters()


def upper_limit(mean: np.ndarray, inverse_size: np.ndarray | float, alpha: float) -> np.ndarray:
    """The smallest count u with P(Y ≤ u) ≥ 1 − alpha, Y negative binomial with this mean and variance
    mean + inverse_size · mean² (inverse_size 0: Poisson). Vectorised; mean > 0."""
    mean = np.asarray(mean, dtype=float)
    return capped_limit(mean, inverse_size, alpha, np.full(mean.shape, np.inf))


def capped_limit(mean: np.ndarray, inverse_size: np.ndarray | float, alpha: float, caps: np.ndarray) -> np.ndarray:
    """min(upper_limit(mean, inverse_size, alpha), caps), element by element, summing each element's
    probabilities only up to its cap (a count is above its limit exactly when capped_limit(…, count) < count, and
    an ordinary count needs far fewer terms than its limit). The same arithmetic as upper_limit, to the bit."""
    mean = np.asarray(mean, dtype=float)
    caps = np.broadcast_to(np.asarray(caps, dtype=float), mean.shape)
    inverse = np.broadcast_to(np.asarray(inverse_size, dtype=float), mean.shape).copy()
    result = np.zeros(mean.shape, dtype=float)
    if mean.size == 0:
        return result
    if np.any(mean <= 0):
        raise ValueError("upper_limit needs positive means")
    if not 0 < alpha <= 1:
        raise ValueError(f"upper_limit needs 0 < alpha ≤ 1, not {alpha}")
    # log P(Y = 0), then P(x + 1) = P(x) · m (1 + r x) / ((x + 1)(1 + r m)) in logs (no underflow at large m).
    poisson = inverse <= 0
    log_p = np.where(poisson, -mean, -np.log1p(inverse * mean) / np.where(poisson, 1.0, inverse))
    cdf = np.exp(log_p)
    result = np.minimum(result, caps)
    active = np.flatnonzero((cdf < 1 - alpha) & (caps > 0))
    log_p, log_mean, log_scale = log_p[active], np.log(mean[active]), np.log1p(inverse[active] * mean[active])
    r, cdf, cap = inverse[active], cdf[active], caps[active]
    x = 0
    while active.size:
        log_p = log_p + log_mean + np.log1p(r * x) - np.log(x + 1.0) - log_scale
        x += 1
        cdf = cdf + np.exp(log_p)
        done = cdf >= 1 - alpha
        result[active[done]] = x
        capped = ~done & (cap <= x)
        result[active[capped]] = cap[capped]
        keep = ~done & ~capped
        active, log_p, log_mean, log_scale, r, cdf, cap = (
            active[keep], log_p[keep], log_mean[keep], log_scale[keep], r[keep], cdf[keep], cap[keep])
    return result


def pooled_inverse_size(counts: np.ndarray, means: np.ndarray) -> float:
    """Method-of-moments overdispersion shared by many series: 1/k in Var = m + m²/k, from
    Σ((y − m)² − y) / Σ m² (0 when the counts vary no more than Poisson)."""
    denominator = float(np.sum(np.square(means)))
    if denominator <= 0:
        return 0.0
    return max(0.0, float(np.sum(np.square(counts - means) - counts)) / denominator)
