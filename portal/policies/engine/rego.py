"""Compiling and evaluating policies with the embedded rego-cpp engine (regopy). No Django.

Two facts about regopy 1.5.2 shape this module:
- `Interpreter.set_input(dict)` frees its `Input` when the call returns, so the interpreter may read
  freed memory; the input is always passed as JSON text (`set_input_term`).
- `with input as ...` on a partial set rule (`deny contains ...`) crashes the process. The portal's
  convention therefore has each policy define a function `violations(inp)`, which Rego unit tests
  call with a fixture as the argument, and `check_policy` refuses any `with` keyword.

Every evaluation runs, by default, in a forked child process: a policy that exceeds its time budget
is killed, and one that crashes the engine takes down only the child. Both count as errors.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from regopy import Interpreter

from portal.policies.engine.model import (
    NAME_RE,
    SEVERITIES,
    TIERS,
    Policy,
    PolicyMessage,
    PolicyReport,
    PolicyResult,
)

DEFAULT_BUDGET_MS = 2000.0
# Forking and compiling are not the policy's fault; the child gets this much on top of the budget.
_STARTUP_ALLOWANCE_S = 1.0
_WITH_RE = re.compile(r"(?m)^[^#\n]*\bwith\s+(input|data)\b")
_TEST_RULE_RE = re.compile(r"(?m)^(test_[A-Za-z0-9_]+)\b")
_ERRORMSG_RE = re.compile(r"\(errormsg \d+:([^)]*)\)")
_ERROR_POS_RE = re.compile(r"\(error \d+:[^|]*\|(\d+)\|")


class PolicyCompileError(Exception):
    """The policy's source does not compile or breaks the portal's convention."""


def _package_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?m)^\s*package\s+portal\.{re.escape(name)}\s*$")


def _rego_error_text(exc: Exception, source: str) -> str:
    raw = str(exc)
    messages = _ERRORMSG_RE.findall(raw)
    if not messages:
        return raw.strip() or exc.__class__.__name__
    position = _ERROR_POS_RE.search(raw)
    where = ""
    if position:
        offset = int(position.group(1))
        where = f" (line {source[:offset].count(chr(10)) + 1})"
    return "; ".join(m.strip() for m in messages) + where


def _convention_errors(policy: Policy) -> list[str]:
    errors: list[str] = []
    if not NAME_RE.match(policy.name):
        errors.append(
            f"Name {policy.name!r}: lowercase letters, digits and underscores, starting with a letter."
        )
        return errors
    if policy.severity not in SEVERITIES:
        errors.append(f"Severity {policy.severity!r} is not one of {', '.join(SEVERITIES)}.")
    unknown_tiers = sorted(set(policy.tiers) - set(TIERS))
    if unknown_tiers:
        errors.append(f"Unknown tiers: {', '.join(unknown_tiers)}.")
    for label, text in (("policy", policy.source), ("tests", policy.tests)):
        if not text.strip():
            continue
        if not _package_re(policy.name).search(text):
            errors.append(f"The {label} must declare `package portal.{policy.name}`.")
        if _WITH_RE.search(text):
            errors.append(
                f"The {label} uses `with input/data as`, which crashes the embedded engine (rego-cpp); "
                "pass fixtures to `violations(...)` as an argument instead."
            )
    if not re.search(r"(?m)^violations\(", policy.source):
        errors.append("The policy must define a function `violations(inp)` returning a set.")
    return errors


def check_policy(policy: Policy) -> list[str]:
    """Every reason the policy cannot be evaluated, or [] when it compiles and follows the
    convention. Compiles the policy and its tests together, so the tests are checked too."""
    errors = _convention_errors(policy)
    if errors:
        return errors
    try:
        _interpreter(policy, with_tests=True)
    except PolicyCompileError as exc:
        errors.append(str(exc))
    return errors


def _interpreter(policy: Policy, *, with_tests: bool = False, checked: bool = True) -> Interpreter:
    """An interpreter holding the policy. `checked=False` turns off rego-cpp's well-formedness
    checks between its passes (a debugging aid that nearly doubles the time to take in an input);
    compile errors are still raised by the parser."""
    rego = Interpreter()
    rego.strict_built_in_errors = True
    rego.well_formed_checks_enabled = checked
    try:
        rego.add_module(f"{policy.name}.rego", policy.source)
    except Exception as exc:
        raise PolicyCompileError(f"Compile error: {_rego_error_text(exc, policy.source)}") from exc
    if with_tests and policy.tests.strip():
        try:
            rego.add_module(f"{policy.name}_test.rego", policy.tests)
        except Exception as exc:
            raise PolicyCompileError(
                f"Compile error in tests: {_rego_error_text(exc, policy.tests)}"
            ) from exc
    return rego


def _output_error(output: Any) -> str:
    """The error text rego-cpp attaches to a failed query (its API gives only an S-expression)."""
    try:
        from regopy.rego_shared import rego_node_get, rego_node_json, rego_node_size

        node = output.node()._impl
        texts = [rego_node_json(rego_node_get(node, i)) for i in range(rego_node_size(node))]
        found = [m.strip() for t in texts for m in _ERRORMSG_RE.findall(t)]
        if found:
            return "; ".join(found)
    except Exception:  # noqa: S110 - best effort; the generic text below is still an error
        pass
    return "evaluation failed"


def _normalize(item: Any) -> PolicyMessage:
    if isinstance(item, str):
        return PolicyMessage(msg=item)
    if isinstance(item, dict):
        msg = item.get("msg", item.get("message"))
        if not isinstance(msg, str):
            msg = json.dumps(item, sort_keys=True)
        resources: list[str] = []
        for key in ("resource", "resources"):
            value = item.get(key)
            if isinstance(value, str) and value:
                resources.append(value)
            elif isinstance(value, list):
                resources.extend(v for v in value if isinstance(v, str) and v)
        return PolicyMessage(msg=msg, resources=tuple(resources))
    return PolicyMessage(msg=json.dumps(item, sort_keys=True))


def _result(policy: Policy, outcome: str, **kwargs: Any) -> PolicyResult:
    return PolicyResult(
        policy=policy.name,
        severity=policy.severity,
        outcome=outcome,
        description=policy.description,
        break_glass=policy.break_glass,
        version=policy.version,
        **kwargs,
    )


class CompiledPolicies:
    """A policy set compiled once: one interpreter per valid policy, holding its module and a
    wrapper rule `data.portal_eval.<name>.result := data.portal.<name>.violations(input)`.

    rego-cpp re-runs its passes over every module and the whole input on each query, so each
    policy gets its own interpreter, and a policy that lists `resource_types` receives only those
    resource changes. Querying the wrapper keeps `input` out of the answer's bindings (rego-cpp
    would copy the whole input into it). Policies that break the convention or do not compile are
    kept as errors, never evaluated."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        # Only names and sources matter here (the cache key); metadata comes with each run.
        self.policies = sorted(policies, key=lambda p: p.name)
        self.problems: dict[str, str] = {}
        self.interpreters: dict[str, Interpreter] = {}
        self._lock = threading.Lock()
        for policy in self.policies:
            problems = _convention_errors(policy)
            if not problems:
                try:
                    rego = _interpreter(policy, checked=False)
                    rego.add_module(
                        f"{policy.name}.eval.rego",
                        f"package portal_eval.{policy.name}\n\n"
                        f"result := data.portal.{policy.name}.violations(input)\n",
                    )
                    self.interpreters[policy.name] = rego
                except PolicyCompileError as exc:
                    problems = [str(exc)]
            if problems:
                self.problems[policy.name] = " ".join(problems)

    def run(
        self, input_doc: dict[str, Any], *, budget_ms: float, policies: Sequence[Policy] | None = None
    ) -> Iterator[PolicyResult]:
        """Evaluates in this process, yielding one result per policy as it completes."""
        inputs = _InputCache(input_doc)
        with self._lock:
            for policy in self.policies if policies is None else policies:
                yield self._run_one(policy, inputs, budget_ms)

    def _run_one(self, policy: Policy, inputs: _InputCache, budget_ms: float) -> PolicyResult:
        if policy.name in self.problems:
            return _result(policy, "error", error=self.problems[policy.name])
        rego = self.interpreters[policy.name]
        started = time.perf_counter()
        output = None
        error = ""
        try:
            rego.set_input_term(inputs.narrowed(policy.resource_types, policy.change_fields))
            output = rego.query(f"data.portal_eval.{policy.name}.result")
        except Exception as exc:
            error = f"Evaluation error: {_rego_error_text(exc, policy.source)}"
        duration = round((time.perf_counter() - started) * 1000, 3)
        if output is None:
            return _result(policy, "error", error=error, duration_ms=duration)
        if not output.ok():
            return _result(
                policy, "error", error=f"Evaluation error: {_output_error(output)}", duration_ms=duration
            )
        if duration > budget_ms:
            return _result(
                policy,
                "error",
                error=f"Exceeded its time budget ({duration:.0f} ms > {budget_ms:.0f} ms).",
                duration_ms=duration,
            )
        values = output.results[0].expressions if output.results else []
        if not values:
            return _result(
                policy,
                "error",
                error="`violations(input)` is undefined for this input.",
                duration_ms=duration,
            )
        if not isinstance(values[0], list):
            return _result(
                policy, "error", error="`violations(input)` must return a set.", duration_ms=duration
            )
        messages = sorted({_normalize(v) for v in values[0]}, key=lambda m: (m.resources, m.msg))
        outcome = policy.severity if messages else "pass"
        return _result(policy, outcome, messages=tuple(messages), duration_ms=duration)


class _InputCache:
    """The input as JSON text, whole or narrowed (resource types, change fields), each built once.
    rego-cpp's time to take in an input grows with its size, so narrowing is the main speed-up."""

    def __init__(self, input_doc: dict[str, Any]) -> None:
        self.input_doc = input_doc
        self._texts: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}

    def narrowed(self, types: tuple[str, ...], fields: tuple[str, ...]) -> str:
        key = (tuple(sorted(types)), tuple(sorted(fields)))
        if key not in self._texts:
            doc = self.input_doc
            if types or fields:
                plan = dict(doc.get("plan") or {})
                changes = plan.get("resource_changes") or []
                if types:
                    wanted = set(types)
                    changes = [rc for rc in changes if rc.get("type") in wanted]
                if fields:
                    changes = [_project(rc, fields) for rc in changes]
                plan["resource_changes"] = changes
                doc = {**doc, "plan": plan}
            self._texts[key] = json.dumps(doc, separators=(",", ":"))
        return self._texts[key]


def _project(resource_change: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    change = resource_change.get("change") or {}
    slim = {"actions": change.get("actions", [])}
    for side in ("before", "after"):
        values = change.get(side)
        slim[side] = {k: values[k] for k in fields if k in values} if isinstance(values, dict) else values
    unknown = change.get("after_unknown")
    if isinstance(unknown, dict):
        slim["after_unknown"] = {k: unknown[k] for k in fields if k in unknown}
    kept = ("address", "mode", "type", "index")
    return {**{k: resource_change[k] for k in kept if k in resource_change}, "change": slim}


_COMPILED: OrderedDict[tuple[tuple[str, str], ...], CompiledPolicies] = OrderedDict()
_COMPILED_LOCK = threading.Lock()
_COMPILED_MAX = 16


def compiled(policies: Sequence[Policy]) -> CompiledPolicies:
    """The compiled form of a policy set, cached by the policies' names and sources."""
    key = tuple(sorted((p.name, p.source) for p in policies))
    with _COMPILED_LOCK:
        found = _COMPILED.get(key)
        if found is not None:
            _COMPILED.move_to_end(key)
            return found
    built = CompiledPolicies(policies)
    with _COMPILED_LOCK:
        _COMPILED[key] = built
        while len(_COMPILED) > _COMPILED_MAX:
            _COMPILED.popitem(last=False)
    return built


def evaluate_policy(
    policy: Policy, input_doc: dict[str, Any], *, budget_ms: float = DEFAULT_BUDGET_MS
) -> PolicyResult:
    """Evaluates one policy in this process. Never raises: failures are "error" results."""
    return next(compiled([policy]).run(input_doc, budget_ms=budget_ms, policies=[policy]))


def _result_to_json(result: PolicyResult) -> bytes:
    report = PolicyReport(results=(result,)).to_dict()["results"][0]
    return (json.dumps(report) + "\n").encode()


def _evaluate_forked(
    policies: Sequence[Policy], input_doc: dict[str, Any], budget_ms: float
) -> list[PolicyResult]:
    # Compiled in this process (compiling never runs a policy), evaluated in forked children.
    compiled_set = compiled(policies)
    results: list[PolicyResult] = []
    # The cache is keyed by name and source only: severity and scope come from the caller's policies.
    remaining = sorted(policies, key=lambda p: p.name)
    while remaining:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: evaluate, stream one JSON line per policy, never return
            try:
                os.close(read_fd)
                with os.fdopen(write_fd, "wb") as out:
                    for result in compiled_set.run(input_doc, budget_ms=budget_ms, policies=remaining):
                        out.write(_result_to_json(result))
                        out.flush()
            finally:
                os._exit(0)
        os.close(write_fd)
        done = 0
        buffer = b""
        timed_out = False
        deadline = time.monotonic() + budget_ms / 1000 + _STARTUP_ALLOWANCE_S
        try:
            while done < len(remaining):
                ready, _, _ = select.select([read_fd], [], [], max(deadline - time.monotonic(), 0))
                if not ready:
                    timed_out = True
                    break
                chunk = os.read(read_fd, 1 << 16)
                if not chunk:
                    break
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    results.append(PolicyReport.from_dict({"results": [json.loads(line)]}).results[0])
                    done += 1
                    deadline = time.monotonic() + budget_ms / 1000
        finally:
            os.close(read_fd)
            if timed_out:
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        if done < len(remaining):
            culprit = remaining[done]
            if timed_out:
                error = f"Exceeded its time budget ({budget_ms:.0f} ms); evaluation was stopped."
            elif os.WIFSIGNALED(status):
                error = f"Crashed the policy engine (signal {os.WTERMSIG(status)})."
            else:
                error = "The policy engine stopped without a result."
            results.append(_result(culprit, "error", error=error))
            remaining = remaining[done + 1 :]
        else:
            remaining = []
    return results


def evaluate(
    policies: Iterable[Policy],
    input_doc: dict[str, Any],
    *,
    budget_ms: float = DEFAULT_BUDGET_MS,
    isolate: bool = True,
) -> PolicyReport:
    """Evaluates every policy against one input document. With `isolate` (the default) the engine
    runs in a forked child, so a runaway or crashing policy becomes an "error" result and the
    calling process survives."""
    ordered = sorted(policies, key=lambda p: p.name)
    if not ordered:
        return PolicyReport()
    if isolate:
        results = _evaluate_forked(ordered, input_doc, budget_ms)
    else:
        results = list(compiled(ordered).run(input_doc, budget_ms=budget_ms, policies=ordered))
    return PolicyReport(results=tuple(sorted(results, key=lambda r: r.policy)))


@dataclass(frozen=True)
class RegoTestResult:
    """One `test_` rule of a policy's Rego unit tests."""

    policy: str
    name: str
    passed: bool
    error: str = ""


def run_policy_tests(policy: Policy) -> list[RegoTestResult]:
    """Runs every `test_` rule in the policy's tests. A test passes only when it evaluates to true;
    undefined, false and errors fail. A compile error fails as one result named "compile"."""
    problems = check_policy(policy)
    if problems:
        return [RegoTestResult(policy=policy.name, name="compile", passed=False, error=" ".join(problems))]
    names = sorted(set(_TEST_RULE_RE.findall(policy.tests)))
    if not names:
        return []
    rego = _interpreter(policy, with_tests=True)
    rego.set_input_term("{}")
    results = []
    for name in names:
        output = rego.query(f"data.portal.{policy.name}.{name}")
        if not output.ok():
            results.append(RegoTestResult(policy.name, name, False, _output_error(output)))
            continue
        value = output.results[0].expressions if output.results else []
        passed = value == [True]
        results.append(
            RegoTestResult(
                policy.name, name, passed, "" if passed else f"evaluated to {value or 'undefined'}"
            )
        )
    return results
