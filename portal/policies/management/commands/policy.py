"""`python manage.py policy sync|check|unittest|test`.

- `sync [--dir DIR]` loads the repository's policies/ folder into the portal (versioned, audited).
- `check POLICY_DIR` compiles every policy; exit 1 on any problem.
- `unittest POLICY_DIR` runs every policy's Rego `test_` rules; exit 1 on any failure.
- `test POLICY_DIR --plan plan.json [--context ctx.json] [--format json|text] [--ignore-scope]`
  evaluates the policies that apply to the context's blueprint and tier against a plan
  (`terraform show -json`); exit 1 when any policy denies or errors, 0 otherwise (warnings too).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.policies.engine import (
    PolicyContext,
    PolicyLoadError,
    build_input,
    check_policy,
    evaluate,
    load_policy_dir,
    policies_in_scope,
    run_policy_tests,
)


def _read_json(path: str, label: str) -> dict:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read {label} {path}: {exc}", returncode=2) from exc
    if not isinstance(data, dict):
        raise CommandError(f"{label} {path} must hold a JSON object", returncode=2)
    return data


class Command(BaseCommand):
    help = "Plan policies: sync from the repository, check, run Rego unit tests, test against a plan."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sync = sub.add_parser("sync", help="Load the policies/ folder into the portal.")
        sync.add_argument("--dir", default=None, help="Policy folder (default: settings.POLICIES_DIR).")
        check = sub.add_parser("check", help="Compile every policy; exit 1 on any problem.")
        check.add_argument("policy_dir")
        unit = sub.add_parser("unittest", help="Run the Rego test_ rules; exit 1 on any failure.")
        unit.add_argument("policy_dir")
        test = sub.add_parser("test", help="Evaluate policies against a plan JSON; exit 1 on deny/error.")
        test.add_argument("policy_dir")
        test.add_argument("--plan", required=True, help="terraform show -json output")
        test.add_argument(
            "--context", default=None, help="JSON: team, tier, blueprint, blueprint_version, ..."
        )
        test.add_argument("--format", choices=["json", "text"], default="text")
        test.add_argument(
            "--ignore-scope", action="store_true", help="Evaluate every policy, in scope or not."
        )
        test.add_argument("--budget-ms", type=float, default=None, help="Time budget per policy.")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, "handle_" + action)(**options)
        except PolicyLoadError as exc:
            raise CommandError(str(exc), returncode=2) from exc

    def handle_sync(self, *, dir: str | None, **options) -> None:
        from portal.policies.services import PolicyInvalid, policy_sets_sync

        try:
            results = policy_sets_sync(root=Path(dir) if dir else None)
        except PolicyInvalid as exc:
            raise CommandError(str(exc)) from exc
        for policy_set, outcome in results:
            self.stdout.write(f"{outcome:9} {policy_set}")

    def handle_check(self, *, policy_dir: str, **options) -> None:
        failed = 0
        for policy in load_policy_dir(policy_dir):
            problems = check_policy(policy)
            failed += bool(problems)
            self.stdout.write(
                f"{'FAIL' if problems else 'ok':4} {policy.name}" + "".join(f"\n     {p}" for p in problems)
            )
        if failed:
            raise CommandError(f"{failed} policies do not compile", returncode=1)

    def handle_unittest(self, *, policy_dir: str, **options) -> None:
        results = [r for policy in load_policy_dir(policy_dir) for r in run_policy_tests(policy)]
        for r in results:
            self.stdout.write(
                f"{'PASS' if r.passed else 'FAIL'} {r.policy}.{r.name}" + (f": {r.error}" if r.error else "")
            )
        failures = [r for r in results if not r.passed]
        self.stdout.write(f"{len(results) - len(failures)} passed, {len(failures)} failed")
        if failures:
            raise CommandError(f"{len(failures)} Rego tests failed", returncode=1)

    def handle_test(
        self,
        *,
        policy_dir: str,
        plan: str,
        context: str | None,
        format: str,
        ignore_scope: bool,
        budget_ms: float | None,
        **options,
    ) -> None:
        plan_json = _read_json(plan, "plan")
        if "resource_changes" not in plan_json and "format_version" not in plan_json:
            raise CommandError(f"{plan} is not `terraform show -json` output of a plan", returncode=2)
        policy_context = PolicyContext.from_dict(_read_json(context, "context") if context else {})
        policies = load_policy_dir(policy_dir)
        if not ignore_scope:
            policies = policies_in_scope(
                policies, blueprint=policy_context.blueprint, tier=policy_context.tier
            )
        kwargs = {"budget_ms": budget_ms} if budget_ms else {}
        report = evaluate(policies, build_input(plan_json=plan_json, context=policy_context), **kwargs)
        if format == "json":
            self.stdout.write(json.dumps(report.to_dict(), indent=2))
        else:
            for r in report.results:
                self.stdout.write(f"{r.outcome.upper():5} {r.policy} ({r.severity})")
                if r.error:
                    self.stdout.write(f"      error: {r.error}")
                for m in r.messages:
                    self.stdout.write(f"      {m.msg}")
            self.stdout.write("passed" if report.passed else "failed")
        if not report.passed:
            raise CommandError(f"{len(report.denials)} denied, {len(report.errors)} errors", returncode=1)
