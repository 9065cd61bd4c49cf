"""Forecasting and classification maths, in plain Python (no numpy): pure functions over
monthly demand series, so they are easy to test and cheap for a page's 50 rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product as grid

DAYS_PER_MONTH = 365.25 / 12
# One-sided normal quantiles for the cycle service levels the page offers.
SERVICE_LEVEL_Z = {90: 1.2816, 95: 1.6449, 99: 2.3263}


@dataclass(frozen=True)
class BasicForecast:
    monthly_average: float  # 12-month rolling average: also next month's forecast
    monthly_std: float
    daily_demand: float
    safety_stock: float
    reorder_point: float


def basic_forecast(series: Sequence[float], *, lead_time_days: int, z: float) -> BasicForecast:
    """Rolling average over the whole window (months without demand count as zero).

    Safety stock = z · σ(monthly demand) · √(lead time in months); reorder point = demand over
    the lead time + safety stock.
    """
    n = len(series)
    if n == 0:
        return BasicForecast(0.0, 0.0, 0.0, 0.0, 0.0)
    mean = sum(series) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in series) / n)
    daily = mean / DAYS_PER_MONTH
    safety = z * std * math.sqrt(lead_time_days / DAYS_PER_MONTH)
    return BasicForecast(mean, std, daily, safety, daily * lead_time_days + safety)


@dataclass(frozen=True)
class AdvancedForecast:
    method: str  # "Holt-Winters (additive, 12-month season)" or "Holt (trend)"
    forecast: tuple[float, ...]  # the next months, never negative
    trend_per_month: float
    peak_month_offset: int | None  # 0..11 from the series' first month, for the season
    mean_abs_error: float  # one-step-ahead, in-sample
    alpha: float
    beta: float
    gamma: float | None


_ALPHAS = (0.2, 0.4, 0.6, 0.8)
_BETAS = (0.05, 0.2)
_GAMMAS = (0.1, 0.3, 0.5)


def _holt(series: Sequence[float], alpha: float, beta: float, horizon: int):
    level, trend = series[0], (series[1] - series[0]) if len(series) > 1 else 0.0
    error = 0.0
    for x in series[1:]:
        predicted = level + trend
        error += abs(x - predicted)
        new_level = alpha * x + (1 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1 - beta) * trend
        level = new_level
    forecast = tuple(max(0.0, level + (h + 1) * trend) for h in range(horizon))
    return forecast, trend, error / max(1, len(series) - 1)


def _holt_winters(
    series: Sequence[float], alpha: float, beta: float, gamma: float, horizon: int, season: int
):
    first, second = series[:season], series[season : 2 * season]
    mean = sum(first) / season
    trend = (sum(second) - sum(first)) / season**2
    # Detrended start: the first season's mean sits mid-season; the level starts at its end.
    middle = (season - 1) / 2
    seasonal = [x - (mean + trend * (i - middle)) for i, x in enumerate(first)]
    level = mean + trend * middle
    error = 0.0
    for t in range(season, len(series)):
        x = series[t]
        s = seasonal[t % season]
        predicted = level + trend + s
        error += abs(x - predicted)
        new_level = alpha * (x - s) + (1 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1 - beta) * trend
        seasonal[t % season] = gamma * (x - new_level) + (1 - gamma) * s
        level = new_level
    n = len(series)
    forecast = tuple(
        max(0.0, level + (h + 1) * trend + seasonal[(n + h) % season]) for h in range(horizon)
    )
    peak = max(range(season), key=lambda i: seasonal[i])
    return forecast, trend, error / max(1, n - season), peak


def advanced_forecast(
    series: Sequence[float], *, horizon: int = 3, season: int = 12
) -> AdvancedForecast | None:
    """Holt-Winters additive smoothing when two full seasons of history exist, Holt's linear
    trend otherwise; parameters picked by grid search on the one-step-ahead absolute error.

    Leading months without any demand (before the product existed) are dropped first.
    """
    start = next((i for i, x in enumerate(series) if x), None)
    if start is None:
        return None
    series = list(series[start:])
    if len(series) < 3:
        return None
    if len(series) >= 2 * season:
        best = None
        for alpha, beta, gamma in grid(_ALPHAS, _BETAS, _GAMMAS):
            forecast, trend, mae, peak = _holt_winters(series, alpha, beta, gamma, horizon, season)
            if best is None or mae < best[2]:
                best = (forecast, trend, mae, peak, alpha, beta, gamma)
        forecast, trend, mae, peak, alpha, beta, gamma = best
        # The peak's calendar position, relative to the first month of the full window.
        return AdvancedForecast(
            "Holt-Winters (additive, 12-month season)",
            forecast,
            trend,
            (peak + start) % season,
            mae,
            alpha,
            beta,
            gamma,
        )
    best = None
    for alpha, beta in grid(_ALPHAS, _BETAS):
        forecast, trend, mae = _holt(series, alpha, beta, horizon)
        if best is None or mae < best[2]:
            best = (forecast, trend, mae, alpha, beta)
    forecast, trend, mae, alpha, beta = best
    return AdvancedForecast("Holt (trend)", forecast, trend, None, mae, alpha, beta, None)


def abc_classes(values: dict[int, float], *, a: float = 0.80, b: float = 0.95) -> dict[int, str]:
    """Pareto classes by share of total value: A up to 80 % cumulative, B up to 95 %, C the rest.

    The item that crosses a threshold belongs to the class it starts in.
    """
    total = sum(v for v in values.values() if v > 0)
    classes: dict[int, str] = {}
    cumulative = 0.0
    for key, value in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
        share_before = cumulative / total if total else 1.0
        classes[key] = "A" if share_before < a else "B" if share_before < b else "C"
        cumulative += max(value, 0)
    return classes
