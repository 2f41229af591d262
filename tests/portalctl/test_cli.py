"""portalctl against a live portal started by the test (Django's live server), run as a separate
process exactly as a user runs it; the last test is the issue's whole story with a real worker and
real Terraform."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.environments.models import Environment, EnvironmentStatus
from portal.requests.models import EnvironmentRequest, RequestState
from portal.requests.services import approval_policies_ensure_defaults
from portal.runs.models import Run, RunKind
from tests.portal.runs.conftest import log_tail, wait_for

ROOT = Path(settings.BASE_DIR)
SECRET = re.compile(r"pat_[A-Za-z0-9_-]{20,}")


def portalctl(*args: str, url: str | None, token: str | None, home: Path, timeout: float = 60):
    """Runs `python -m portalctl ARGS` (what the console script runs) with a clean environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")})
    if url:
        env["PORTAL_URL"] = url
    if token:
        env["PORTAL_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "portalctl", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_the_console_script_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    module, _, function = project["project"]["scripts"]["portalctl"].partition(":")
    assert callable(getattr(importlib.import_module(module), function))


def test_configuration_errors_and_the_config_file(live_server, requester, make_token, tmp_path):
    done = portalctl("blueprints", url=None, token=None, home=tmp_path)
    assert done.returncode == 3 and "PORTAL_URL" in done.stderr
    done = portalctl("blueprints", url=live_server.url, token=None, home=tmp_path)
    assert done.returncode == 3 and "/profile/tokens/" in done.stderr

    config = tmp_path / ".config" / "portalctl" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'url = "{live_server.url}"\ntoken = "{make_token(requester)}"\n')
    done = portalctl("whoami", url=None, token=None, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert requester.username in done.stdout

    done = portalctl("whoami", url=live_server.url, token="pat_0000000000000000000000000", home=tmp_path)
    assert done.returncode == 4 and "Unknown token" in done.stderr


def test_tables_json_and_exit_codes(live_server, sandbox, requester, make_token, tmp_path):
    token = make_token(requester)
    read_only = make_token(requester, read_only=True, name="ro")

    def run(*args, token=token):
        return portalctl(*args, url=live_server.url, token=token, home=tmp_path)

    done = run("blueprints")
    assert done.returncode == 0 and "BLUEPRINT" in done.stdout and "local-sandbox" in done.stdout
    listed = json.loads(run("--json", "blueprints").stdout)
    assert "local-sandbox" in [item["slug"] for item in listed["items"]]

    done = run("estimate", "local-sandbox", "--tier", "prod", "--set", "app_replicas=3")
    assert done.returncode == 0, done.stderr
    assert "local-sandbox" in done.stdout and "a month" in done.stdout
    estimate = json.loads(run("--json", "estimate", "local-sandbox", "--tier", "dev").stdout)
    assert estimate["tier"] == "dev" and estimate["estimate"]["complete"] is True

    done = run("estimate", "local-sandbox", "--tier", "gold", "--set", "app_replicas=many")
    assert done.returncode == 7
    assert "tier:" in done.stderr and "app_replicas:" in done.stderr
    done = run("--json", "request", "show", "999999")
    assert done.returncode == 6 and json.loads(done.stderr)["error"]["code"] == "not_found"
    done = run("request", "create", "local-sandbox", "--name", "ro-env", "--tier", "dev", token=read_only)
    assert done.returncode == 5 and "read-only" in done.stderr
    assert not EnvironmentRequest.objects.exists()
    assert run("no-such-command").returncode == 2


@pytest.mark.integration
def test_reject_destroy_and_run_commands(
    live_server, redis_url, awaiting, make_environment, approver, requester, make_token, tmp_path
):
    """The other commands, against a live server with a real Redis (notifications are queued)."""
    approval_policies_ensure_defaults()
    request = awaiting()
    environment = make_environment(name="old-env")
    theirs, mine = make_token(approver), make_token(requester, name="mine")

    def run(*args, token=mine):
        return portalctl(*args, url=live_server.url, token=token, home=tmp_path)

    done = run("approvals", token=theirs)
    assert done.returncode == 0 and "rq-env" in done.stdout
    done = run("reject", str(request.pk), "--yes", token=theirs)
    assert done.returncode == 2 and "--comment" in done.stderr  # a rejection needs a reason
    done = run("reject", str(request.pk), "--yes", "-m", "too big", token=theirs)
    assert done.returncode == 0, done.stderr
    assert request.plan_run.plan_sha256 in done.stdout and "Rejected" in done.stderr
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED
    assert run("reject", str(request.pk), "--yes", "-m", "again", token=theirs).returncode == 8

    done = run("destroy", str(environment.pk), "--confirm", "not-its-name", "--reason", "done")
    assert done.returncode != 0 and "name" in done.stderr  # the typed name must match
    done = run(
        "--json",
        "destroy",
        str(environment.pk),
        "--confirm",
        environment.name,
        "--no-submit",
        "--reason",
        "done",
    )
    assert done.returncode == 0, done.stderr
    destroy = EnvironmentRequest.objects.get(pk=json.loads(done.stdout)["request"]["id"])
    assert (destroy.kind, destroy.state, destroy.environment_id) == ("destroy", "draft", environment.pk)
    done = run("--json", "request", "submit", str(destroy.pk))  # submitted: the destroy is planned
    assert done.returncode == 0, done.stderr
    queued = Run.objects.get(pk=json.loads(done.stdout)["run"])
    assert (queued.kind, queued.destroy_plan, queued.status) == ("plan", True, "queued")
    done = run("runs", "list", "--kind", "plan")
    assert done.returncode == 0 and str(queued.pk) in done.stdout and "queued" in done.stdout
    done = run("runs", "show", str(queued.pk))
    assert done.returncode == 0 and "queued" in done.stdout
    assert run("runs", "cancel", str(queued.pk)).returncode == 0
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    done = run("runs", "logs", str(queued.pk))
    assert done.returncode == 11 and "cancelled" in done.stderr
    envs = json.loads(run("--json", "envs", "--name", "old").stdout)
    assert [e["name"] for e in envs["items"]] == ["old-env"]


@pytest.mark.integration
def test_a_new_user_requests_and_another_approves_from_the_cli(
    portal_url, celery_worker, sandbox, requester, approver, team, tmp_path
):
    """The issue's "done when": a new user creates a token, runs estimate, request create, request
    submit and runs logs --follow and sees the plan; another user approves and the apply streams."""
    approval_policies_ensure_defaults()  # a transactional test starts with the tables flushed

    def token_from_profile_page(user) -> str:
        browser = Client()
        browser.force_login(user)
        page = browser.post(reverse("profile:tokens"), {"name": "cli", "expires_in_days": "7"})
        return SECRET.search(page.content.decode()).group(0)

    mine = token_from_profile_page(requester)

    def run(*args, token=mine, timeout=60):
        done = portalctl(*args, url=portal_url, token=token, home=tmp_path, timeout=timeout)
        return done

    inputs = ["--set", "app_replicas=2", "--set", "greeting=hi", "--set", "apply_seconds=0"]
    done = run("estimate", "local-sandbox", "--tier", "staging", *inputs)
    assert done.returncode == 0 and "a month" in done.stdout, done.stderr

    done = run(
        "--json",
        "request",
        "create",
        "local-sandbox",
        "--name",
        "cli-env",
        "--tier",
        "staging",
        *inputs,
        "--set",
        "api_token=cli-secret-42",
        "--reason",
        "from the CLI",
    )
    assert done.returncode == 0, done.stderr
    request_id = json.loads(done.stdout)["id"]

    done = run("--json", "request", "submit", str(request_id))
    assert done.returncode == 0, done.stderr
    plan_id = json.loads(done.stdout)["run"]
    assert Run.objects.get(pk=plan_id).kind == RunKind.PLAN

    done = run("runs", "logs", str(plan_id), "--follow", "--interval", "0.2", timeout=180)
    plan = Run.objects.get(pk=plan_id)
    assert done.returncode == 0, (done.stdout, done.stderr, log_tail(plan))
    assert "null_resource.app[1]" in done.stdout and "Plan:" in done.stdout
    assert f"Run #{plan_id} succeeded." in done.stderr
    assert "cli-secret-42" not in done.stdout  # redacted before it was stored
    wait_for(
        lambda: EnvironmentRequest.objects.get(pk=request_id).state == RequestState.AWAITING_APPROVAL,
        what="awaiting approval",
    )

    # The requester cannot approve their own request (403 → exit 5); another user can.
    assert run("approve", str(request_id), "--yes").returncode == 5
    theirs = token_from_profile_page(approver)
    plan.refresh_from_db()
    done = run(
        "approve",
        str(request_id),
        "--yes",
        "--comment",
        "ok",
        "--follow",
        "--interval",
        "0.2",
        token=theirs,
        timeout=180,
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert plan.plan_sha256 in done.stdout  # the hash shown is the one decided on
    apply = Run.objects.get(request_id=request_id, kind=RunKind.APPLY)
    assert "Apply complete" in done.stdout and f"Run #{apply.pk} succeeded." in done.stderr
    wait_for(lambda: EnvironmentRequest.objects.get(pk=request_id).state == RequestState.DONE, what="done")
    assert Environment.objects.get(name="cli-env").status == EnvironmentStatus.ACTIVE

    listing = run("envs", token=theirs)
    assert listing.returncode == 0 and "cli-env" in listing.stdout and "active" in listing.stdout
