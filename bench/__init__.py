"""Benchmarks printed by `make bench` (`python -m bench`): one `name value` line per figure.

Each module measures one area and has one entry point in BENCHMARKS that returns
{figure name: value}. The benchmarks need Django set up against a database with the demo data
(`make setup`); the run-engine benchmark starts its own throwaway portal instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from django.utils.module_loading import import_string

# Dotted paths, imported when run; each returns {figure name: value}.
BENCHMARKS = [
    "bench.pages.bench_pages",
    "bench.scale_pages.bench_scale_pages",
    "bench.costs.bench_estimates",
    "bench.run_engine.bench_run_engine",
    "bench.drills.bench_drills",
    "bench.policies.bench_policy_eval",
]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def run(only: str = "") -> Iterator[tuple[str, float | str]]:
    """Every figure of the benchmarks whose path contains `only` (all when empty), in order."""
    for path in BENCHMARKS:
        if only and only not in path:
            continue
        yield from import_string(path)().items()
