"""An apply survives a 30-second PostgreSQL outage (see outage_scenario.py, which runs its own
PostgreSQL cluster, so this test runs in both the SQLite and the PostgreSQL pass)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.processes import ROOT

pytestmark = pytest.mark.integration


def test_an_apply_completes_through_a_30_second_database_outage():
    result = subprocess.run(
        [sys.executable, "-m", "tests.portal.runs.outage_scenario"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["outage_s"] >= 30
    assert (found["status"], found["error"], found["exit_code"]) == ("succeeded", "", 0), found
    assert found["state_versions"] >= 1 and not found["locked"], found
    assert found["environment_status"] == "active"
    # The log has no gap, and says what happened.
    assert found["seqs"] == list(range(1, found["log_lines_count"] + 1))
    messages = "\n".join(found["messages"])
    assert "instance 1 ready" in messages
    assert "The database is unreachable" in messages and "The database is reachable again" in messages
    # Terraform met the outage at the state backend, which answered 503 and was retried.
    assert found["web_503"] >= 1 and found["web_500"] == 0, found
    # The worker keeps its database connection between tasks; after a restart that broke it
    # while the worker was idle, the next run is still claimed and runs.
    assert found["replan"] == ["succeeded", ""], found
