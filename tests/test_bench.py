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


@pytest.mark.django_db
def test_the_scale_builder_builds_once_and_the_page_benchmark_measures_every_page():
    from bench.scale import SMALL, scale_build
    from bench.scale_pages import ADMIN_ONLY, LISTS, measure
    from portal.environments.models import Environment
    from portal.requests.models import EnvironmentRequest, RequestState
    from portal.runs.models import Run, RunLogLine, RunPlanData

    assert scale_build(SMALL) is True
    assert scale_build(SMALL) is False  # the marker says it is complete
    assert Environment.objects.count() == SMALL.environments
    assert Run.objects.count() == SMALL.runs and RunLogLine.objects.count() == SMALL.log_lines
    assert (
        EnvironmentRequest.objects.filter(state=RequestState.AWAITING_APPROVAL).count()
        == SMALL.requests_waiting
    )
    assert RunPlanData.objects.count() == SMALL.environments + SMALL.requests_waiting
    figures = measure(SMALL, runs=1)
    for user in ("admin", "requester"):
        for page in LISTS:
            if page in ADMIN_ONLY and user == "requester":
                continue
            for name in (f"{page}.page1x50", f"{page}.page50x100"):
                assert figures[f"scale.{user}.{name}.queries"] > 0
        for page in ("home", "environment_detail", "request_detail", "run_detail", "blueprint_detail"):
            assert figures[f"scale.{user}.{page}.p95_ms"] > 0


@pytest.mark.django_db
def test_the_dr_estate_benchmark_reports_its_figures(sandbox):
    from bench.drills import bench_estate
    from portal.dr.models import Drill

    figures = bench_estate(environments=30, drills_per_environment=2, repeat=3)
    assert figures["dr.estate_page_drills"] == 60
    assert 0 < figures["dr.estate_page_p50_ms"] <= figures["dr.estate_page_p95_ms"]
    assert 5 <= figures["dr.estate_page_queries"] <= 15
    assert not Drill.objects.exists()  # rolled back


def test_pages_compared_with_each_other_are_timed_in_turn():
    from bench.timing import timed_in_turn

    calls: list[str] = []
    samples = timed_in_turn([lambda: calls.append("page1"), lambda: calls.append("page50")], 3)
    assert calls == ["page1", "page50"] * 3
    assert [len(own) for own in samples] == [3, 3] and all(ms >= 0 for own in samples for ms in own)
