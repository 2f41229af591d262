"""Benchmarks printed by `make bench` (python manage.py bench). One line per figure: `name value`.

Each later capability adds a function to BENCHMARKS; each returns {figure name: value}.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.test import Client


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def bench_pages() -> dict[str, float]:
    """Server time of the home page through Django's test client (no network)."""
    client = Client()
    user = get_user_model().objects.filter(memberships__isnull=False).first()
    if user is None:
        raise RuntimeError("no demo users: run `python manage.py seed_demo` first")
    client.force_login(user)
    home = timed(lambda: client.get("/"), 200)
    return {
        "foundation.home_page_p50_ms": round(statistics.median(home), 2),
        "foundation.home_page_p95_ms": round(percentile(home, 95), 2),
    }


# Dotted paths, imported when run: each returns {figure name: value}.
BENCHMARKS = [
    "portal.core.benchmarks.bench_pages",
    "portal.costs.benchmarks.bench_estimates",
    "portal.runs.benchmarks.bench_run_engine",
]
