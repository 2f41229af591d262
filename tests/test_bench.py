"""The bench package stays runnable: every registered benchmark imports, and the cheap one runs
against the test database and prints figures as `make bench` does."""

from __future__ import annotations

import pytest
from django.utils.module_loading import import_string

import bench
from tests.factories import MembershipFactory


@pytest.mark.parametrize("path", bench.BENCHMARKS)
def test_every_benchmark_imports(path):
    assert callable(import_string(path))


@pytest.mark.django_db
def test_the_page_benchmark_reports_its_figures():
    MembershipFactory()
    figures = dict(bench.run(only="bench.pages."))
    assert set(figures) == {"foundation.home_page_p50_ms", "foundation.home_page_p95_ms"}
    assert 0 < figures["foundation.home_page_p50_ms"] <= figures["foundation.home_page_p95_ms"]
