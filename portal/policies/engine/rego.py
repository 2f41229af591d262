"""Compiling and evaluating policies with the embedded rego-cpp engine (regopy). No Django.

Two facts about regopy 1.5.2 shape this module:
- `Interpreter.set_input(dict)` frees its `Input` when the call returns, so the interpreter may read
  freed memory; the input is always passed as JSON text (`set_input_term`).
- `with input as ...` on a partial set rule (`deny contains ...`) crashes the process. The portal's
  convention therefore has each policy define a function `violations(inp)`, which Rego unit tests
  call with a fixture as the argument, and `check_policy` refuses any `with` keyword.

Speed: each policy is compiled once into a bundle (rego-cpp's compiled form, run by its virtual
machine) and its input is handed over as JSON (`regoSetInputJSON`, a JSON parser, rather than the
Rego term parser behind `set_input_term`), narrowed to the resource types and change fields the
policy declares. Taking in the input is most of the cost and grows faster than its size.

Every evaluation runs, by default, in a long-lived evaluator process (evaluator.py) that keeps the
compiled bundles: a policy that exceeds its time budget is killed with that process, and one that
crashes the engine takes down only that process; both count as errors, and a new evaluator takes
over the remaining policies.
"""

from __future__ import annotations

import ctypes
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from regopy import Interpreter
from regopy.rego_shared import rego as _librego
from regopy.rego_shared import rego_get_error

from portal.policies.engine.model import (
    NAME_RE,
    SEVERITIES,
    TIERS,
    Policy,
    PolicyMessage,
    PolicyResult,
)

DEFAULT_BUDGET_MS = 2000.0
_WITH_RE = re.compile(r"(?m)^[^#\n]*\bwith\s+(input|data)\b")
_TEST_RULE_RE = re.compile(r"(?m)^(test_[A-Za-z0-9_]+)\b")
_ERRORMSG_RE = re.compile(r"\(errormsg \d+:([^)]*)\)")
_ERROR_POS_RE = re.compile(r"\(error \d+:[^|]*\|(\d+)\|")


class PolicyCompileError(Exception):
    """The policy's source does not compile or breaks the portal's convention."""


# regopy 1.5.2 does not wrap the C API's JSON input setter; it parses plain JSON about twice as fast
# as the Rego term parser (set_input_term). Older or newer builds without it use set_input_term.
_SET_INPUT_JSON = getattr(_librego, "regoSetInputJSON", None)
if _SET_INPUT_JSON is not None:
    _SET_INPUT_JSON.restype = ctypes.c_uint32
    _SET_INPUT_JSON.argtypes = [ctypes.c_void_p, ctypes.c_char_p]


def _set_input_json(rego: Interpreter, text: str) -> None:
    if _SET_INPUT_JSON is None:
        rego.set_input_term(text)
        return
    if _SET_INPUT_JSON(rego._impl, text.encode()) != 0:
        raise RuntimeError(rego_get_error(rego._impl))


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
    """A policy set compiled once: one bundle per valid policy, holding its module and a wrapper
    rule `data.portal_eval.<name>.result := data.portal.<name>.violations(input)`, run by one
    interpreter that takes each policy's narrowed input in turn.

    Querying the wrapper keeps `input` out of the answer's bindings (rego-cpp would copy the whole
    input into it). Policies that break the convention or do not compile (bundles are compiled
    ahead, so unknown functions and type errors are caught here too) are kept as errors, never
    evaluated."""

    def __init__(self, policies: Sequence[Policy]) -> None:
        # Only names and sources matter here (the cache key); metadata comes with each run.
        self.policies = sorted(policies, key=lambda p: p.name)
        self.problems: dict[str, str] = {}
        self.bundles: dict[str, Any] = {}
        self.runner = Interpreter()
        self.runner.strict_built_in_errors = True
        self.runner.well_formed_checks_enabled = False
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
                    try:
                        bundle = rego.build(None, [f"portal_eval/{policy.name}/result"])
                    except Exception as exc:
                        raise PolicyCompileError(
                            f"Compile error: {_rego_error_text(exc, policy.source)}"
                        ) from exc
                    if not bundle.ok():
                        raise PolicyCompileError("Compile error: the policy could not be compiled.")
                    self.bundles[policy.name] = bundle
                except PolicyCompileError as exc:
                    problems = [str(exc)]
            if problems:
                self.problems[policy.name] = " ".join(problems)

    def run(
        self, input_doc: dict[str, Any], *, budget_ms: float, policies: Sequence[Policy] | None = None
    ) -> Iterator[PolicyResult]:
        """Evaluates in this process, yielding one result per policy as it completes."""
        inputs = _InputCache(input_doc)
        chosen = self.policies if policies is None else policies
        texts = [inputs.narrowed(p.resource_types, p.change_fields) for p in chosen]
        yield from self.run_texts(chosen, texts, budget_ms=budget_ms)

    def run_texts(
        self, policies: Sequence[Policy], texts: Sequence[str], *, budget_ms: float
    ) -> Iterator[PolicyResult]:
        """Evaluates each policy against its own input (JSON text, already narrowed)."""
        with self._lock:
            for policy, text in zip(policies, texts, strict=True):
                yield self._run_one(policy, text, budget_ms)

    def _run_one(self, policy: Policy, text: str, budget_ms: float) -> PolicyResult:
        if policy.name in self.problems:
            return _result(policy, "error", error=self.problems[policy.name])
        started = time.perf_counter()
        output = None
        error = ""
        try:
            _set_input_json(self.runner, text)
            output = self.runner.query_bundle_entrypoint(
                self.bundles[policy.name], f"portal_eval/{policy.name}/result"
            )
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
