"""The pure policy engine: evaluation, failing closed, time budget, scope, report rules."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from portal.policies.engine import (
    Policy,
    PolicyContext,
    PolicyReport,
    build_input,
    check_policy,
    evaluate,
    policies_evaluate_plan,
    policies_in_scope,
    run_policy_tests,
)
from portal.policies.engine.evaluator import evaluator_pids

GOOD = """package portal.big_things

import rego.v1

violations(inp) := {v |
	some r in inp.plan.resource_changes
	r.change.after.size > 3
	v := {"msg": sprintf("%s is too big", [r.address]), "resource": r.address}
}
"""

PLAN = {
    "format_version": "0.2",
    "terraform_version": "1.0.3",
    "resource_changes": [
        {"address": "x.small", "type": "x", "change": {"actions": ["create"], "after": {"size": 1}}},
        {"address": "x.large", "type": "x", "change": {"actions": ["create"], "after": {"size": 9}}},
        {"address": "y.large", "type": "y", "change": {"actions": ["create"], "after": {"size": 9}}},
    ],
    "planned_values": {"root_module": {}},
    "configuration": {"root_module": {}},
}


def doc(plan=PLAN, **context):
    return build_input(plan_json=plan, context=PolicyContext(**context))


@pytest.mark.parametrize("isolate", [True, False])
def test_a_violation_gives_the_policy_severity_and_names_the_resource(isolate):
    report = evaluate([Policy(name="big_things", source=GOOD, severity="warn")], doc(), isolate=isolate)
    (result,) = report.results
    assert result.outcome == "warn"
    assert [(m.msg, m.resources) for m in result.messages] == [
        ("x.large is too big", ("x.large",)),
        ("y.large is too big", ("y.large",)),
    ]
    assert report.passed and report.needs_acknowledgement and not report.blocks_approval()


def test_no_violation_passes_and_input_leaves_out_duplicate_plan_parts():
    plan = {**PLAN, "resource_changes": PLAN["resource_changes"][:1]}
    input_doc = doc(plan, tier="dev")
    assert set(input_doc["plan"]) == {"format_version", "terraform_version", "resource_changes"}
    assert input_doc["context"]["tier"] == "dev"
    report = evaluate([Policy(name="big_things", source=GOOD)], input_doc)
    assert [r.outcome for r in report.results] == ["pass"]
    assert report.passed and not report.blocks_approval()


def test_resource_types_narrow_what_the_policy_sees():
    policy = Policy(name="big_things", source=GOOD, resource_types=("y",))
    (result,) = evaluate([policy], doc()).results
    assert [m.resources for m in result.messages] == [("y.large",)]


def test_change_fields_narrow_what_the_policy_sees_of_each_change():
    source = """package portal.keys

import rego.v1

violations(inp) := {v |
	some r in inp.plan.resource_changes
	v := concat(",", [r.address, concat("+", sort(object.keys(r.change.after)))])
}
"""
    plan = {
        "resource_changes": [
            {
                "address": "a.b",
                "type": "a",
                "provider_name": "p",
                "change": {"actions": ["create"], "after": {"size": 1, "tags": {}, "other": 2}},
            }
        ]
    }
    whole = evaluate([Policy(name="keys", source=source)], doc(plan))
    assert [m.msg for m in whole.results[0].messages] == ["a.b,other+size+tags"]
    narrowed = evaluate([Policy(name="keys", source=source, change_fields=("size", "tags"))], doc(plan))
    assert [m.msg for m in narrowed.results[0].messages] == ["a.b,size+tags"]


def test_string_messages_and_resource_lists_are_normalized():
    source = """package portal.shapes

import rego.v1

violations(inp) := {"plain text", {"msg": "two", "resources": ["a.b", "c.d"]}, {"odd": 1}}
"""
    (result,) = evaluate([Policy(name="shapes", source=source)], doc()).results
    assert result.outcome == "deny"
    assert {(m.msg, m.resources) for m in result.messages} == {
        ("plain text", ()),
        ("two", ("a.b", "c.d")),
        ('{"odd": 1}', ()),
    }


BROKEN = {
    "compile error": (
        "package portal.broken\n\nimport rego.v1\n\nviolations(inp) := {x | x := }\n",
        "Compile error",
    ),
    "wrong package": (
        "package portal.other\n\nimport rego.v1\n\nviolations(inp) := set()\n",
        "package portal.broken",
    ),
    "no violations function": (
        "package portal.broken\n\nimport rego.v1\n\ndeny := set()\n",
        "violations(inp)",
    ),
    "with keyword": (
        "package portal.broken\n\nimport rego.v1\n\nviolations(inp) := set()\n\n"
        "test_x if { violations(inp) with input as {} }\n",
        "with input/data as",
    ),
    "runtime error": (
        'package portal.broken\n\nimport rego.v1\n\nviolations(inp) := {to_number("not a number")}\n',
        "Evaluation error",
    ),
    "not a set": ("package portal.broken\n\nimport rego.v1\n\nviolations(inp) := 42\n", "must return a set"),
    "undefined": (
        "package portal.broken\n\nimport rego.v1\n\nviolations(inp) := x if { x := inp.nothing.here }\n",
        "undefined",
    ),
}


@pytest.mark.parametrize("isolate", [True, False])
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_policy_fails_closed(case, isolate):
    source, error = BROKEN[case]
    good = Policy(name="big_things", source=GOOD)
    report = evaluate([Policy(name="broken", source=source, severity="info"), good], doc(), isolate=isolate)
    results = {r.policy: r for r in report.results}
    assert results["broken"].outcome == "error"
    assert error in results["broken"].error
    assert results["big_things"].outcome == "deny"  # the others still run
    assert not report.passed
    assert report.blocks_approval() and report.blocks_approval(break_glass=True)


def test_check_policy_reports_the_compile_error_with_its_line():
    problems = check_policy(Policy(name="broken", source=BROKEN["compile error"][0]))
    assert len(problems) == 1 and "line 5" in problems[0], problems
    assert check_policy(Policy(name="big_things", source=GOOD)) == []
    assert check_policy(Policy(name="Bad-Name", source=GOOD))[0].startswith("Name")
    assert "Severity" in check_policy(Policy(name="big_things", source=GOOD, severity="block"))[0]


SLOW = """package portal.slow

import rego.v1

violations(inp) := {v | n := count([x | some x in numbers.range(1, 100000); x % 7 == 0]); n < 0; v := "never"}
"""


def test_a_policy_over_its_budget_fails_in_process():
    # In-process, the budget is checked when the query returns (about 1 s here, budget 50 ms).
    report = evaluate([Policy(name="slow", source=SLOW)], doc(), budget_ms=50, isolate=False)
    (result,) = report.results
    assert result.outcome == "error" and "time budget" in result.error


def test_a_runaway_policy_is_killed_and_the_rest_still_run():
    started = time.monotonic()
    report = evaluate(
        [
            Policy(name="slow", source=SLOW),
            Policy(name="big_things", source=GOOD),
            Policy(name="zz", source=GOOD.replace("big_things", "zz")),
        ],
        doc(),
        budget_ms=50,
    )
    results = {r.policy: r for r in report.results}
    assert results["slow"].outcome == "error"
    assert "time budget" in results["slow"].error
    assert results["big_things"].outcome == "deny" and results["zz"].outcome == "deny"
    assert time.monotonic() - started < 30


def test_scope_filters_by_blueprint_and_tier():
    everywhere = Policy(name="a", source=GOOD)
    prod_only = Policy(name="b", source=GOOD, tiers=("prod",))
    sandbox_dev = Policy(name="c", source=GOOD, blueprints=("local-sandbox",), tiers=("dev",))
    policies = [everywhere, prod_only, sandbox_dev]
    assert [p.name for p in policies_in_scope(policies, blueprint="local-sandbox", tier="dev")] == ["a", "c"]
    assert [p.name for p in policies_in_scope(policies, blueprint="eks-platform", tier="prod")] == ["a", "b"]
    assert [p.name for p in policies_in_scope(policies, blueprint="eks-platform", tier="dev")] == ["a"]
    report = policies_evaluate_plan(
        plan_json=PLAN,
        context=PolicyContext(blueprint="eks-platform", tier="dev"),
        policies=[Policy(name="big_things", source=GOOD, tiers=("prod",))],
    )
    assert report.results == ()


def test_break_glass_overrides_only_policies_that_allow_it():
    lenient = Policy(name="big_things", source=GOOD, break_glass=True)
    strict = Policy(name="strict", source=GOOD.replace("big_things", "strict"))
    only_lenient = evaluate([lenient], doc())
    assert only_lenient.blocks_approval() and not only_lenient.blocks_approval(break_glass=True)
    both = evaluate([lenient, strict], doc())
    assert both.blocks_approval(break_glass=True)


def test_report_round_trips_through_json():
    report = evaluate([Policy(name="big_things", source=GOOD, description="d")], doc())
    data = report.to_dict()
    assert data["counts"]["deny"] == 1 and data["passed"] is False
    assert PolicyReport.from_dict(data) == report


def test_rego_unit_tests_report_failures():
    tests = """package portal.big_things

import rego.v1

test_passes if {
	count(violations({"plan": {"resource_changes": []}})) == 0
}

test_fails if {
	count(violations({"plan": {"resource_changes": []}})) == 1
}
"""
    results = {r.name: r for r in run_policy_tests(Policy(name="big_things", source=GOOD, tests=tests))}
    assert results["test_passes"].passed
    assert not results["test_fails"].passed
    (broken,) = run_policy_tests(
        Policy(name="big_things", source=GOOD, tests="package portal.big_things\ntest_x if {")
    )
    assert broken.name == "compile" and not broken.passed


def _dead(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def test_the_evaluators_are_long_lived_and_replaced_when_killed_at_a_budget():
    zz = Policy(name="zz", source=GOOD.replace("big_things", "zz"))
    good = [Policy(name="big_things", source=GOOD), zz]
    evaluate(good, doc(), processes=2)
    first = evaluator_pids()
    assert len(first) == 2
    assert evaluate(good, doc(), processes=2).results[0].outcome == "deny"
    assert evaluator_pids() == first  # the same processes: no fork or start per evaluation

    report = evaluate([Policy(name="slow", source=SLOW), *good], doc(), budget_ms=50, processes=1)
    outcomes = {r.policy: r.outcome for r in report.results}
    assert outcomes == {"slow": "error", "big_things": "deny", "zz": "deny"}
    assert first[0] not in evaluator_pids()  # killed at the budget, replaced by a new one

    # An evaluator that dies between evaluations is replaced; nothing passes by default.
    killed = evaluator_pids()
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not all(_dead(pid) for pid in killed) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r.outcome for r in evaluate(good, doc(), processes=2).results] == ["deny", "deny"]
