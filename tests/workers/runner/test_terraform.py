"""workers.runner.terraform against the real Terraform 1.0.3 and the offline null provider."""

from __future__ import annotations

import base64
import functools
import json
import stat
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.workers.runner.helpers import API_TOKEN, SANDBOX, TERRAFORM, Lines
from workers.runner.logs import mask_outputs
from workers.runner.process import minimal_env
from workers.runner.redaction import Redactor
from workers.runner.terraform import Terraform, summarize_plan
from workers.runner.workdir import TFVARS_FILE, backend_env, file_sha256, prepare_workdir


def test_summarize_plan_counts_replace_as_add_and_destroy():
    plan = {
        "resource_changes": [
            {"address": "a.new", "type": "a", "change": {"actions": ["create"]}},
            {"address": "a.upd", "type": "a", "change": {"actions": ["update"]}},
            {"address": "a.gone", "type": "a", "change": {"actions": ["delete"]}},
            {"address": "a.repl", "type": "a", "change": {"actions": ["delete", "create"]}},
            {"address": "a.same", "type": "a", "change": {"actions": ["no-op"]}},
            {"address": "data.a.x", "type": "a", "change": {"actions": ["read"]}},
        ]
    }

    summary = summarize_plan(plan)

    assert (summary.add, summary.change, summary.destroy, summary.has_changes) == (2, 1, 2, True)
    assert [r["address"] for r in summary.resources] == ["a.new", "a.upd", "a.gone", "a.repl"]
    assert summary.resources[3] == {"address": "a.repl", "type": "a", "actions": ["delete", "create"]}
    assert summarize_plan({"resource_changes": []}).has_changes is False


def needs_terraform(test):
    """`make test` installs Terraform; a missing binary is a failure, never a silent skip."""

    def wrapped(*args, **kwargs):
        assert TERRAFORM is not None, "terraform is not installed: run `make test`, which installs it"
        return test(*args, **kwargs)

    return functools.wraps(test)(wrapped)


def sandbox_variables(**overrides: object) -> dict[str, object]:
    variables: dict[str, object] = {
        "name": "runner-test",
        "tier": "dev",
        "team": "platform",
        "cost_centre": "cc-1",
        "blueprint": "local-sandbox",
        "blueprint_version": "1.0.0",
        "app_replicas": 2,
        "greeting": "hello from the runner test",
        "api_token": API_TOKEN,
    }
    variables.update(overrides)
    return variables


def sandbox_terraform(
    tmp_path: Path, cli_config: str, lines: Lines, backend: dict[str, str] | None = None, **kwargs: Any
) -> Terraform:
    variables = kwargs.pop("variables", sandbox_variables())
    workdir = prepare_workdir(
        module_dir=SANDBOX, workdir=tmp_path / "run", variables=variables, backend=backend
    )
    (tmp_path / "home").mkdir(exist_ok=True)
    return Terraform(
        binary=str(TERRAFORM),
        workdir=workdir,
        env=minimal_env(home=tmp_path / "home", cli_config=cli_config, extra=backend_env("http", backend)),
        redactor=Redactor([API_TOKEN, *(backend or {}).values()]),
        on_line=lines,
        timeout_s=60,
        **kwargs,
    )


@needs_terraform
@pytest.mark.integration
def test_terraform_lifecycle_with_the_sandbox(tmp_path, terraform_cli_config):
    lines = Lines()
    tf = sandbox_terraform(tmp_path, terraform_cli_config, lines)
    tfvars = tf.workdir / TFVARS_FILE
    assert stat.S_IMODE(tfvars.stat().st_mode) == 0o600
    assert json.loads(tfvars.read_text())["api_token"] == API_TOKEN

    assert tf.init().exit_code == 0, lines.text()
    assert any("successfully initialized" in m for m in lines.messages)

    plan = tf.plan(detailed_exitcode=True)
    assert plan.exit_code == 2, lines.text()  # 2: there are changes
    assert {line.resource for line in lines.of_type("planned_change")} == {
        "null_resource.app[0]",
        "null_resource.app[1]",
        "null_resource.healthcheck",
    }

    plan_json = tf.show_json("plan.tfplan")
    summary = summarize_plan(plan_json)
    assert (summary.add, summary.change, summary.destroy) == (3, 0, 0)
    assert plan_json["variables"]["api_token"]["value"] == "[REDACTED]"
    digest = file_sha256(tf.workdir / "plan.tfplan")

    applied = tf.apply("plan.tfplan")
    assert applied.exit_code == 0, lines.text()
    assert file_sha256(tf.workdir / "plan.tfplan") == digest
    assert {line.resource for line in lines.of_type("apply_complete")} == {
        "null_resource.app[0]",
        "null_resource.app[1]",
        "null_resource.healthcheck",
    }

    outputs = tf.output_json()
    assert outputs["api_token"]["value"] == "[REDACTED]"
    masked = mask_outputs(outputs)
    assert masked["api_token"] == {"value": "(sensitive)", "sensitive": True}
    assert masked["app_url"] == {"value": "http://runner-test.sandbox.local", "sensitive": False}
    assert len(masked["instance_ids"]["value"]) == 2

    assert tf.plan(out="destroy.tfplan", destroy=True).exit_code == 0, lines.text()
    assert summarize_plan(tf.show_json("destroy.tfplan")).destroy == 3  # two instances and the health check
    assert tf.apply("destroy.tfplan").exit_code == 0, lines.text()
    assert any("Destroy complete" in m or "Apply complete" in m for m in lines.messages)

    for line in lines.items:
        assert API_TOKEN not in line.raw and API_TOKEN not in line.message


@needs_terraform
@pytest.mark.integration
def test_cancel_during_a_slow_apply_stops_terraform(tmp_path, terraform_cli_config):
    lines = Lines()
    tf = sandbox_terraform(
        tmp_path,
        terraform_cli_config,
        lines,
        variables=sandbox_variables(app_replicas=1, apply_seconds=20),
        should_cancel=lambda: bool(lines.of_type("apply_start")),
    )
    assert tf.init().exit_code == 0, lines.text()
    assert tf.plan().exit_code == 0, lines.text()

    result = tf.apply("plan.tfplan")

    assert result.cancelled, lines.text()
    assert result.exit_code != 0
    assert not lines.of_type("apply_complete"), lines.text()  # stopped before the resource finished
    # SIGINT alone was enough: Terraform stopped gracefully inside the first grace period.
    assert not any("SIGTERM" in m for m in lines.messages), lines.text()
    # The working directory is still usable: no stale lock blocks the next plan.
    tf.should_cancel = lambda: False
    assert tf.plan(out="after.tfplan").exit_code == 0, lines.text()


class StateServer(BaseHTTPRequestHandler):
    """The minimum of Terraform's http backend protocol, checking basic-auth credentials."""

    state: bytes | None = None
    locked = False
    auth_headers: list[str] = []

    def _authorized(self) -> bool:
        StateServer.auth_headers.append(self.headers.get("Authorization", ""))
        expected = base64.b64encode(b'portal-user:pa"ss${word}').decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            self._reply(401)
            return False
        return True

    def _reply(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self._authorized():
            self._reply(200, StateServer.state) if StateServer.state else self._reply(404)

    def do_POST(self) -> None:
        if self._authorized():
            StateServer.state = self.rfile.read(int(self.headers["Content-Length"]))
            self._reply(200)

    def do_LOCK(self) -> None:
        if self._authorized():
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self._reply(423 if StateServer.locked else 200)
            StateServer.locked = True

    def do_UNLOCK(self) -> None:
        if self._authorized():
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            StateServer.locked = False
            self._reply(200)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def state_server() -> Iterator[str]:
    StateServer.state, StateServer.locked, StateServer.auth_headers = None, False, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StateServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/state/env-1"
    server.shutdown()
    server.server_close()
    thread.join()


@needs_terraform
@pytest.mark.integration
def test_http_backend_credentials_reach_terraform_in_its_environment_only(
    tmp_path, terraform_cli_config, state_server
):
    lines = Lines()
    backend = {
        "address": state_server,
        "lock_address": state_server,
        "unlock_address": state_server,
        "username": "portal-user",
        "password": 'pa"ss${word}',
    }
    tf = sandbox_terraform(
        tmp_path, terraform_cli_config, lines, backend=backend, variables=sandbox_variables(app_replicas=1)
    )

    assert tf.init().exit_code == 0, lines.text()
    assert tf.plan().exit_code == 0, lines.text()
    assert tf.apply("plan.tfplan").exit_code == 0, lines.text()

    assert StateServer.state is not None and b"null_resource" in StateServer.state
    assert StateServer.locked is False  # apply released its lock
    assert not [h for h in StateServer.auth_headers if not h.startswith("Basic ")]
    assert 'pa"ss${word}' not in lines.text()
    # Neither the run folder (.terraform/ included) nor the saved plan file (a zip) holds it.
    forms = [b'pa"ss${word}', b'pa\\"ss${word}']
    files = [p for p in tf.workdir.rglob("*") if p.is_file() and not p.is_symlink()]
    contents = [p.read_bytes() for p in files if p.name != "plan.tfplan"]
    with zipfile.ZipFile(tf.workdir / "plan.tfplan") as archive:
        contents += [archive.read(name) for name in archive.namelist()]
    assert any(b"tfplan" in c or b"address" in c for c in contents)
    assert not [form for form in forms for c in contents if form in c]
