"""Timing helpers the benchmarks share (no Django)."""

from __future__ import annotations

import time
from collections.abc import Callable


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    return timed_in_turn([fn], repeat)[0]


def timed_in_turn(fns: list[Callable[[], object]], repeat: int) -> list[list[float]]:
    """`repeat` samples in ms of each of `fns`, called in turn (a, b, a, b, ...): a passing
    load on the machine then weighs on each alike, so their figures compare like with like."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, own in zip(fns, samples, strict=True):
            start = time.perf_counter()
            fn()
            own.append((time.perf_counter() - start) * 1000)
    return samples
