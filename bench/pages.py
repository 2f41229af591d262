"""Page latency: the home page through Django's test client."""

from __future__ import annotations

import statistics

from django.contrib.auth import get_user_model
from django.test import Client

from bench.timing import percentile, timed


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
