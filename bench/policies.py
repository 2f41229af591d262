"""Policy evaluation latency for `make bench`: the starter set in policies/ against a generated
300-resource plan, prod tier (every starter policy in scope). No Django.

Figures: `policy.eval_p95_ms` (the default path: evaluated in the long-lived evaluator processes,
as the portal does), `policy.eval_inprocess_p95_ms` (same process), `policy.eval_cpu_p95_ms` and
`policy.eval_inprocess_cpu_p95_ms` (CPU time of the caller and its evaluators, which a busy shared
machine does not inflate), p50s and the slowest policy.
Run alone: `python -m bench --only policies` (or `python -m bench.policies`). Target: p95 < 100 ms.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from portal.policies.engine import PolicyContext, load_policy_dir, policies_evaluate_plan
from portal.policies.engine.evaluator import evaluator_pids

RUNS = int(os.environ.get("BENCH_POLICY_RUNS", "50"))
RESOURCES = 300
POLICIES_DIR = Path(__file__).resolve().parents[1] / "policies"
TAGS = {"Team": "payments", "CostCentre": "cc-4711", "Tier": "prod", "Environment": "bench"}

# (type, planned values): a mix like the AWS blueprints', every starter policy has work to do.
_SHAPES: list[tuple[str, dict[str, Any]]] = [
    ("aws_s3_bucket", {"bucket": "b", "force_destroy": False}),
    (
        "aws_s3_bucket_public_access_block",
        dict.fromkeys(
            ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"),
            True,
        ),
    ),
    (
        "aws_vpc_security_group_ingress_rule",
        {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0"},
    ),
    ("aws_security_group", {"name": "sg", "ingress": []}),
    ("aws_ebs_volume", {"type": "gp3", "size": 30, "encrypted": True, "final_snapshot": True}),
    ("aws_instance", {"instance_type": "m7g.large", "root_block_device": [{"encrypted": True}]}),
    (
        "aws_db_instance",
        {
            "instance_class": "db.m7g.large",
            "storage_encrypted": True,
            "multi_az": True,
            "deletion_protection": True,
            "skip_final_snapshot": False,
        },
    ),
    ("aws_dynamodb_table", {"name": "t", "deletion_protection_enabled": True}),
    ("aws_lambda_function", {"function_name": "f", "memory_size": 512}),
    ("aws_cloudwatch_log_group", {"retention_in_days": 30}),
    ("aws_iam_role_policy", {"policy": "{}"}),
    ("aws_sqs_queue", {"name": "q"}),
]
_UNTAGGED = {"aws_s3_bucket_public_access_block", "aws_iam_role_policy"}


def generated_plan(resources: int = RESOURCES) -> dict[str, Any]:
    """A `terraform show -json` plan document with `resources` resource changes (all creates)."""
    changes = []
    for i in range(resources):
        rtype, values = _SHAPES[i % len(_SHAPES)]
        after = dict(values)
        if rtype not in _UNTAGGED:
            after["tags"] = {"Name": f"r{i}"}
            after["tags_all"] = {**TAGS, "Name": f"r{i}"}
        changes.append(
            {
                "address": f"module.m{i // 25}.{rtype}.r{i}",
                "module_address": f"module.m{i // 25}",
                "mode": "managed",
                "type": rtype,
                "name": f"r{i}",
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": after,
                    "after_unknown": {"id": True, "arn": True},
                    "before_sensitive": False,
                    "after_sensitive": {},
                },
            }
        )
    return {
        "format_version": "0.2",
        "terraform_version": "1.0.3",
        "variables": {"tier": {"value": "prod"}},
        "resource_changes": changes,
    }


def _p(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def _evaluators_cpu_ms() -> float:
    """CPU time used so far by this process's policy evaluators (Linux /proc), in ms."""
    total = 0.0
    for pid in evaluator_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    return total


def bench_policy_eval(runs: int = RUNS) -> dict[str, float | str]:
    policies = load_policy_dir(POLICIES_DIR)
    plan = generated_plan()
    context = PolicyContext(team="payments", tier="prod", blueprint="eks-platform", blueprint_version="1.0.0")
    figures: dict[str, float | str] = {}
    per_policy: dict[str, list[float]] = defaultdict(list)
    for label, isolate in (("", True), ("inprocess_", False)):
        policies_evaluate_plan(plan_json=plan, context=context, policies=policies, isolate=isolate)  # compile
        samples, cpu_samples = [], []
        for _ in range(runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            children_started = _evaluators_cpu_ms()
            report = policies_evaluate_plan(
                plan_json=plan, context=context, policies=policies, isolate=isolate
            )
            samples.append((time.perf_counter() - started) * 1000)
            cpu_samples.append(
                (time.process_time() - cpu_started) * 1000 + _evaluators_cpu_ms() - children_started
            )
            assert report.passed and len(report.results) == len(policies), report.to_dict()
            if not isolate:
                for result in report.results:
                    per_policy[result.policy].append(result.duration_ms)
        figures[f"policy.eval_{label}p95_ms"] = round(_p(samples, 95), 1)
        figures[f"policy.eval_{label}p50_ms"] = round(_p(samples, 50), 1)
        # CPU time (this process and its evaluators): the work, without waiting for a shared CPU.
        # /proc counts in clock ticks (10 ms), so the isolated figure is coarse per sample.
        figures[f"policy.eval_{label}cpu_p95_ms"] = round(_p(cpu_samples, 95), 1)
        figures[f"policy.eval_{label}cpu_p50_ms"] = round(_p(cpu_samples, 50), 1)
    slowest = max(per_policy, key=lambda name: _p(per_policy[name], 95))
    figures["policy.slowest"] = slowest
    figures["policy.slowest_p95_ms"] = round(_p(per_policy[slowest], 95), 1)
    figures["policy.resources"] = float(RESOURCES)
    figures["policy.count"] = float(len(policies))
    return figures


if __name__ == "__main__":
    for name, value in bench_policy_eval().items():
        print(f"{name} {value}")
