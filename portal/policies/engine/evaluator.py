"""A long-lived evaluation process, so that a runaway or crashing policy costs only that process,
without forking the caller for every evaluation. No Django.

The caller side (`Evaluator`) starts `python -m portal.policies.engine.evaluator` once per process
(again after a fork). Per evaluation it sends a JSON header line (the policies, the sizes of their
inputs, the budget) followed by each policy's narrowed input as raw JSON text, and reads one JSON
line per policy as each completes. The evaluator keeps the compiled bundles of the sets it has
seen (rego.compiled), so a set is compiled once, not per evaluation. A caller keeps up to two
evaluators (`processes`) and spreads a set's policies over them by input size.

The caller enforces the time budget of each policy: when a policy's result does not arrive within
it, the evaluator is killed, that policy becomes an "error", and a new evaluator evaluates the
policies after it. An evaluator that dies (a crash in rego-cpp) is handled the same way.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from portal.policies.engine.model import Policy, PolicyReport, PolicyResult
from portal.policies.engine.rego import DEFAULT_BUDGET_MS, _InputCache, _result, compiled

# Starting the evaluator (a Python process importing regopy) is not a policy's fault.
START_TIMEOUT_S = 30.0
# Neither is compiling a set the evaluator has not seen; the first result gets this on top.
COMPILE_ALLOWANCE_S = 1.0
_PROJECT_ROOT = Path(__file__).resolve().parents[3]
_TUPLE_FIELDS = ("blueprints", "tiers", "resource_types", "change_fields")


def _policy_from_dict(data: dict[str, Any]) -> Policy:
    fields: dict[str, Any] = {k: tuple(v) if k in _TUPLE_FIELDS else v for k, v in data.items()}
    return Policy(**fields)


def _result_line(result: PolicyResult) -> bytes:
    report = PolicyReport(results=(result,)).to_dict()["results"][0]
    return (json.dumps(report) + "\n").encode()


def _result_from_line(line: bytes) -> PolicyResult:
    return PolicyReport.from_dict({"results": [json.loads(line)]}).results[0]


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The evaluator's loop: one request line in, one result line per policy out, until EOF."""
    stdout.write(b"ready\n")
    stdout.flush()
    for line in stdin:
        request = json.loads(line)
        policies = [_policy_from_dict(p) for p in request["policies"]]
        body = stdin.read(sum(request["lengths"]))
        texts, start = [], 0
        for length in request["lengths"]:
            texts.append(body[start : start + length].decode())
            start += length
        for result in compiled(policies).run_texts(policies, texts, budget_ms=request["budget_ms"]):
            stdout.write(_result_line(result))
            stdout.flush()


class EvaluatorGone(Exception):
    """The evaluator stopped (killed at a time budget, or crashed)."""


class Evaluator:
    """The caller's handle on one evaluator process. Thread-safe; one evaluation at a time."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._owner = os.getpid()
        self._lock = threading.Lock()
        self._buffer = b""

    def _start(self) -> subprocess.Popen[bytes]:
        path = [str(_PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.policies.engine.evaluator"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=_PROJECT_ROOT,
            env=env,
        )
        self._process, self._buffer = process, b""
        if self._read_line(time.monotonic() + START_TIMEOUT_S) != b"ready":
            self.stop()
            raise EvaluatorGone("the policy evaluator did not start")
        return process

    def _forget_if_forked(self) -> None:
        """After a fork, the evaluator belongs to the parent: close our copies of its pipes (so it
        still sees EOF when the parent goes) and never signal it."""
        if self._owner == os.getpid():
            return
        process, self._process, self._owner, self._buffer = self._process, None, os.getpid(), b""
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()

    def stop(self) -> int | None:
        """Kills the evaluator; returns its exit status (negative: the signal that ended it)."""
        self._forget_if_forked()
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.kill()
        status = process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        return status

    def _read_line(self, deadline: float) -> bytes | None:
        """The next line from the evaluator; None at the deadline; EvaluatorGone at EOF."""
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EvaluatorGone("the policy evaluator stopped")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def evaluate(
        self, policies: Sequence[Policy], texts: Sequence[str], budget_ms: float
    ) -> list[PolicyResult]:
        """One result per policy, in order. Never raises for a policy's fault: a policy that runs
        over its budget, or that takes the evaluator down, is an "error" result."""
        with self._lock:
            self._forget_if_forked()
            results: list[PolicyResult] = []
            remaining = list(zip(policies, texts, strict=True))
            while remaining:
                if self._process is None or self._process.poll() is not None:
                    self.stop()
                    try:
                        self._start()
                    except (EvaluatorGone, OSError) as exc:  # fail closed: every policy left is an error
                        results.extend(
                            _result(p, "error", error=f"Not evaluated: {exc}.") for p, _ in remaining
                        )
                        break
                assert self._process is not None and self._process.stdin is not None
                # A header line, then the inputs as raw bytes (no JSON escaping of JSON text).
                bodies = [text.encode() for _, text in remaining]
                request = {
                    "policies": [asdict(p) for p, _ in remaining],
                    "lengths": [len(b) for b in bodies],
                    "budget_ms": budget_ms,
                }
                done, error = 0, ""
                try:
                    self._process.stdin.write(json.dumps(request, separators=(",", ":")).encode() + b"\n")
                    for body in bodies:
                        self._process.stdin.write(body)
                    self._process.stdin.flush()
                    deadline = time.monotonic() + budget_ms / 1000 + COMPILE_ALLOWANCE_S
                    while done < len(remaining):
                        line = self._read_line(deadline)
                        if line is None:
                            self.stop()
                            error = f"Exceeded its time budget ({budget_ms:.0f} ms); evaluation was stopped."
                            break
                        results.append(_result_from_line(line))
                        done += 1
                        deadline = time.monotonic() + budget_ms / 1000
                except (EvaluatorGone, BrokenPipeError):
                    status = self.stop()
                    if status is not None and status < 0:
                        error = f"Crashed the policy engine (signal {-status})."
                    else:
                        error = "The policy engine stopped without a result."
                if done < len(remaining):
                    results.append(_result(remaining[done][0], "error", error=error))
                    remaining = remaining[done + 1 :]
                else:
                    remaining = []
            return results


# Two evaluators let a set's policies run on two cores; more rarely helps (one policy's input
# usually dominates). Callers may ask for another number (the portal: POLICY_EVALUATORS).
DEFAULT_PROCESSES = max(1, min(2, os.cpu_count() or 1))
_POOL: list[Evaluator] = []
_POOL_LOCK = threading.Lock()


def _stop_pool() -> None:
    for evaluator in _POOL:
        evaluator.stop()


atexit.register(_stop_pool)


def evaluator_pids() -> list[int]:
    """The process ids of this process's running evaluators (the benchmark reads their CPU time)."""
    return [e._process.pid for e in _POOL if e._process is not None and e._process.poll() is None]


def _split(texts: Sequence[str], groups: int) -> list[list[int]]:
    """Indexes of the policies for each evaluator, balanced by input size (the main cost)."""
    buckets: list[list[int]] = [[] for _ in range(groups)]
    loads = [0] * groups
    for index in sorted(range(len(texts)), key=lambda i: -len(texts[i])):
        lightest = loads.index(min(loads))
        buckets[lightest].append(index)
        loads[lightest] += len(texts[index])
    return [b for b in buckets if b]


def evaluate_isolated(
    policies: Sequence[Policy], texts: Sequence[str], budget_ms: float, *, processes: int | None = None
) -> list[PolicyResult]:
    """Evaluates each policy against its input text in this process's long-lived evaluators
    (started on first use), spread over up to `processes` of them at once."""
    wanted = max(1, processes or DEFAULT_PROCESSES)
    with _POOL_LOCK:
        while len(_POOL) < wanted:
            _POOL.append(Evaluator())
        pool = _POOL[:wanted]
    groups = _split(texts, min(wanted, len(policies)))
    if len(groups) == 1:
        return pool[0].evaluate(policies, texts, budget_ms)
    outcomes: list[list[PolicyResult]] = [[] for _ in groups]

    def work(slot: int) -> None:
        indexes = groups[slot]
        outcomes[slot] = pool[slot].evaluate(
            [policies[i] for i in indexes], [texts[i] for i in indexes], budget_ms
        )

    # The waiting happens in select(); the evaluating in the evaluator processes.
    threads = [threading.Thread(target=work, args=(slot,), daemon=True) for slot in range(1, len(groups))]
    for thread in threads:
        thread.start()
    work(0)
    for thread in threads:
        thread.join()
    return [result for outcome in outcomes for result in outcome]


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller stops it (EOF or kill), not Ctrl-C
    # rego-cpp writes some diagnostics to stdout itself; keep the protocol on a private descriptor.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, protocol)


def evaluate(
    policies: Iterable[Policy],
    input_doc: dict[str, Any],
    *,
    budget_ms: float = DEFAULT_BUDGET_MS,
    isolate: bool = True,
    processes: int | None = None,
) -> PolicyReport:
    """Evaluates every policy against one input document. With `isolate` (the default) the engine
    runs in this process's long-lived evaluator processes (below; `processes` of them, in
    parallel), so a runaway or crashing policy becomes an "error" result and the calling process
    survives."""
    ordered = sorted(policies, key=lambda p: p.name)
    if not ordered:
        return PolicyReport()
    if isolate:
        inputs = _InputCache(input_doc)
        texts = [inputs.narrowed(p.resource_types, p.change_fields) for p in ordered]
        results = evaluate_isolated(ordered, texts, budget_ms, processes=processes)
    else:
        results = list(compiled(ordered).run(input_doc, budget_ms=budget_ms, policies=ordered))
    return PolicyReport(results=tuple(sorted(results, key=lambda r: r.policy)))
