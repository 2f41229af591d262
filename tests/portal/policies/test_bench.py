"""The policy benchmark runs and reports its figures (a couple of runs; `make bench` does 50)."""

from __future__ import annotations

from bench.policies import bench_policy_eval, generated_plan
from tests.portal.policies.test_starter_policies import STARTER_NAMES


def test_generated_plan_has_300_resources_that_the_starter_set_passes():
    plan = generated_plan()
    assert len(plan["resource_changes"]) == 300
    assert len({rc["address"] for rc in plan["resource_changes"]}) == 300


def test_policy_benchmark_reports_its_figures():
    figures = bench_policy_eval(runs=2)
    assert figures["policy.resources"] == 300 and figures["policy.count"] == 8
    assert 0 < figures["policy.eval_p50_ms"] <= figures["policy.eval_p95_ms"]
    assert figures["policy.eval_inprocess_cpu_p95_ms"] > 0
    assert figures["policy.slowest"] in STARTER_NAMES
