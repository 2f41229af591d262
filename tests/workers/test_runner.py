"""Tests for workers.runner against real processes: python scripts, Terraform 1.0.3 and Packer 1.6.6.

Nothing is mocked: streaming, signals and redaction only mean something against a real child
process. The tests need no database, so they run with or without pytest-django.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import json
import os
import shutil
import stat
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from workers.runner import (
    BACKEND_CONFIG_FILE,
    BACKEND_OVERRIDE_FILE,
    TFVARS_FILE,
    Artifact,
    LogLine,
    Redactor,
    Terraform,
    artifacts_from_manifest,
    file_sha256,
    hcl_string,
    mask_outputs,
    minimal_env,
    packer_build,
    parse_packer_line,
    parse_terraform_line,
    prepare_workdir,
    stream_process,
    summarize_plan,
)

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = ROOT / "terraform" / "blueprints" / "local-sandbox"
PYTHON = sys.executable
TERRAFORM = os.environ.get("TERRAFORM_BIN") or shutil.which("terraform", path=str(Path(PYTHON).parent))
PACKER = os.environ.get("PACKER_BIN") or shutil.which("packer")

API_TOKEN = "tok-9f8e7d6c5b4a-sandbox"


class Lines:
    """Collects LogLines and answers questions about them."""

    def __init__(self) -> None:
        self.items: list[LogLine] = []
        self.times: list[float] = []

    def __call__(self, line: LogLine) -> None:
        self.items.append(line)
        self.times.append(time.monotonic())

    @property
    def messages(self) -> list[str]:
        return [line.message for line in self.items]

    def text(self) -> str:
        return "\n".join(f"{line.stream} {line.level} {line.resource} | {line.raw}" for line in self.items)

    def of_type(self, kind: str) -> list[LogLine]:
        found = []
        for line in self.items:
            try:
                data = json.loads(line.raw)
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("type") == kind:
                found.append(line)
        return found


def python(script: str) -> list[str]:
    return [PYTHON, "-u", "-c", script]


def run(argv: list[str], tmp_path: Path, **kwargs: Any) -> tuple[Any, Lines]:
    lines = Lines()
    options: dict[str, Any] = {
        "cwd": tmp_path,
        "env": minimal_env(home=tmp_path, cli_config=None),
        "on_line": lines,
        "redactor": Redactor(),
        "timeout_s": 20,
    }
    options.update(kwargs)
    return stream_process(argv, **options), lines


# --------------------------------------------------------------------------------------------------
# Redactor


def test_redactor_replaces_secret_and_its_encoded_forms():
    secret = 'p@ss"word\\with-quotes'
    redactor = Redactor([secret, "abc", ""])
    escaped = json.dumps(secret)[1:-1]
    b64 = base64.b64encode(secret.encode()).decode()
    text = f"plain={secret} json={escaped} b64={b64} short=abc"

    redacted = redactor.redact(text)

    assert secret not in redacted
    assert escaped not in redacted
    assert b64 not in redacted
    assert redacted.count("[REDACTED]") == 3
    assert "short=abc" in redacted  # too short to redact safely


def test_redactor_default_patterns():
    redactor = Redactor()
    line = (
        "key AKIAIOSFODNN7EXAMPLE temp ASIAY34FZKBOKMUTVV7A "
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY "
        "url postgres://portal:hunter2secret@db.internal:5432/portal "
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig "
        "key -----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\n-----END RSA PRIVATE KEY----- end"
    )

    redacted = redactor.redact(line)

    for leaked in (
        "AKIAIOSFODNN7EXAMPLE",
        "ASIAY34FZKBOKMUTVV7A",
        "wJalrXUtnFEMI",
        "hunter2secret",
        "eyJhbGciOiJIUzI1NiJ9",
        "MIIEow",
    ):
        assert leaked not in redacted
    # What was hidden stays readable.
    assert "aws_secret_access_key = [REDACTED]" in redacted
    assert "postgres://portal:[REDACTED]@db.internal:5432/portal" in redacted
    assert "Bearer [REDACTED]" in redacted


def test_redactor_redact_value_keeps_json_structure():
    redactor = Redactor(["s3cr3t-value"])
    value = {"variables": {"api_token": {"value": "s3cr3t-value"}}, "list": ["x s3cr3t-value y", 3, None]}

    assert redactor.redact_value(value) == {
        "variables": {"api_token": {"value": "[REDACTED]"}},
        "list": ["x [REDACTED] y", 3, None],
    }


# --------------------------------------------------------------------------------------------------
# Parsing and pure helpers


def test_parse_terraform_hook_and_diagnostic_lines():
    hook = json.dumps(
        {
            "@level": "info",
            "@message": "null_resource.app[0]: Creating...",
            "type": "apply_start",
            "hook": {"resource": {"addr": "null_resource.app[0]"}, "action": "create"},
        }
    )
    diagnostic = json.dumps(
        {
            "@level": "error",
            "@message": "Error: Invalid value",
            "type": "diagnostic",
            "diagnostic": {
                "severity": "warning",
                "summary": "Invalid value",
                "detail": "Must be positive.",
                "address": "null_resource.cache[0]",
                "range": {"filename": "main.tf", "start": {"line": 3}},
            },
        }
    )

    started = parse_terraform_line("stdout", hook)
    warned = parse_terraform_line("stdout", diagnostic)
    plain = parse_terraform_line("stderr", "panic: something")

    assert (started.level, started.resource, started.message) == (
        "info",
        "null_resource.app[0]",
        "null_resource.app[0]: Creating...",
    )
    assert warned.level == "warn"
    assert warned.message == "Invalid value: Must be positive. (main.tf line 3)"
    assert warned.resource == "null_resource.cache[0]"
    assert (plain.level, plain.message, plain.resource) == ("error", "panic: something", None)


def test_parse_terraform_outputs_line_masks_sensitive_values():
    line = json.dumps(
        {
            "@level": "info",
            "@message": "Outputs: 2",
            "type": "outputs",
            "outputs": {
                "password": {"sensitive": True, "type": "string", "value": "generated-pw"},
                "url": {"sensitive": False, "type": "string", "value": "http://x"},
            },
        }
    )

    parsed = parse_terraform_line("stdout", line)

    assert "generated-pw" not in parsed.raw
    assert "http://x" in parsed.raw


def test_parse_packer_machine_readable_lines():
    say = parse_packer_line("stdout", "1700000000,,ui,message,    null.demo: hi%!(PACKER_COMMA) there")
    error = parse_packer_line("stdout", "1700000000,,ui,error,Build 'null.demo' errored")
    artifact = parse_packer_line("stdout", "1700000000,null.demo,artifact,0,id,Null")

    assert (say.level, say.message, say.resource) == ("info", "null.demo: hi, there", "null.demo")
    assert error.level == "error"
    assert (artifact.level, artifact.resource) == ("debug", "null.demo")
    assert artifact.message == "artifact 0 id Null"


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


def test_mask_outputs():
    outputs = {
        "token": {"value": "t0k3n", "type": "string", "sensitive": True},
        "url": {"value": "http://x", "type": "string", "sensitive": False},
    }

    assert mask_outputs(outputs) == {
        "token": {"value": "(sensitive)", "sensitive": True},
        "url": {"value": "http://x", "sensitive": False},
    }


def test_artifacts_from_manifest_reads_only_the_last_run():
    manifest = {
        "builds": [
            {"artifact_id": "us-east-1:ami-old", "packer_run_uuid": "run-1"},
            {"artifact_id": "us-east-1:ami-123,eu-west-1:ami-456", "packer_run_uuid": "run-2"},
            {"artifact_id": "Null", "packer_run_uuid": "run-2"},
        ],
        "last_run_uuid": "run-2",
    }

    assert artifacts_from_manifest(manifest) == [
        Artifact("us-east-1", "ami-123"),
        Artifact("eu-west-1", "ami-456"),
        Artifact("", "Null"),
    ]


def test_hcl_string_escapes_templates_and_quotes():
    assert hcl_string('a"b\\c') == '"a\\"b\\\\c"'
    assert hcl_string("${x} %{y} $z") == '"$${x} %%{y} $z"'
    assert hcl_string("line\nnext\x08") == '"line\\nnext\\u0008"'


def test_minimal_env_passes_only_what_a_run_needs(tmp_path, monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "portal-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-the-portal")

    env = minimal_env(home=tmp_path, cli_config="/etc/rc", extra={"AWS_REGION": "eu-west-1"})

    assert env == {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": "/etc/rc",
        "AWS_REGION": "eu-west-1",
    }


def test_prepare_workdir_copies_module_and_writes_private_inputs(tmp_path):
    module = tmp_path / "module"
    (module / ".terraform" / "providers").mkdir(parents=True)
    (module / "sub").mkdir()
    (module / "main.tf").write_text("# main\n")
    (module / "sub" / "x.tf").write_text("# x\n")
    (module / "terraform.tfstate").write_text("{}")
    (module / "terraform.tfstate.backup").write_text("{}")
    workdir = tmp_path / "run"

    prepare_workdir(
        module_dir=module,
        workdir=workdir,
        variables={"greeting": 'say "hi" ${oops}', "replicas": 2},
        backend={"address": "https://portal/state/1", "password": 'pa"ss${x}'},
    )

    assert sorted(p.relative_to(workdir).as_posix() for p in workdir.rglob("*")) == sorted(
        ["main.tf", "sub", "sub/x.tf", TFVARS_FILE, BACKEND_OVERRIDE_FILE, BACKEND_CONFIG_FILE]
    )
    tfvars = workdir / TFVARS_FILE
    assert stat.S_IMODE(tfvars.stat().st_mode) == 0o600
    assert json.loads(tfvars.read_text()) == {"greeting": 'say "hi" ${oops}', "replicas": 2}
    assert stat.S_IMODE((workdir / BACKEND_CONFIG_FILE).stat().st_mode) == 0o600
    assert (workdir / BACKEND_OVERRIDE_FILE).read_text() == 'terraform {\n  backend "http" {}\n}\n'
    assert (workdir / BACKEND_CONFIG_FILE).read_text() == (
        'address = "https://portal/state/1"\npassword = "pa\\"ss$${x}"\n'
    )

    prepare_workdir(module_dir=module, workdir=workdir, variables={}, backend=None)
    assert not (workdir / BACKEND_CONFIG_FILE).exists()
    assert not (workdir / BACKEND_OVERRIDE_FILE).exists()


def test_file_sha256(tmp_path):
    path = tmp_path / "plan.tfplan"
    path.write_bytes(b"abc")

    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# --------------------------------------------------------------------------------------------------
# stream_process with real processes


@pytest.mark.integration
def test_lines_arrive_while_the_process_runs(tmp_path):
    ticks: list[float] = []
    threads_before = threading.active_count()

    result, lines = run(
        python("import time; print('first'); time.sleep(1); print('second')"),
        tmp_path,
        on_tick=lambda: ticks.append(time.monotonic()),
        tick_s=0.2,
    )
    ended = time.monotonic()

    assert result.exit_code == 0 and not result.timed_out and not result.cancelled
    assert lines.messages == ["first", "second"]
    assert lines.times[0] < ended - 0.5, "the first line was only delivered when the process ended"
    assert len(ticks) >= 3
    assert threading.active_count() == threads_before


@pytest.mark.integration
def test_secrets_are_redacted_before_on_line_sees_them(tmp_path):
    secret = 'db-"pass"-4242'
    b64 = base64.b64encode(secret.encode()).decode()
    script = (
        "import json, sys\n"
        f"s = {secret!r}\n"
        "print('plain', s)\n"
        "print(json.dumps({'@level': 'info', '@message': 'v=' + s, 'type': 'log'}))\n"
        f"print('b64 {b64}', file=sys.stderr)\n"
    )

    result, lines = run(python(script), tmp_path, redactor=Redactor([secret]))

    assert result.exit_code == 0
    assert "db-" not in lines.text() and b64 not in lines.text()
    # stdout and stderr are separate pipes, so their relative order is not guaranteed.
    assert sorted(lines.messages) == ["b64 [REDACTED]", "plain [REDACTED]", "v=[REDACTED]"]
    assert {line.level for line in lines.items if line.stream == "stderr"} == {"error"}


@pytest.mark.integration
def test_timeout_stops_the_process(tmp_path):
    started = time.monotonic()

    result, _ = run(["sleep", "30"], tmp_path, timeout_s=1, grace_s=2)

    assert result.timed_out and not result.cancelled
    assert result.exit_code is not None and result.exit_code < 0
    assert time.monotonic() - started < 6


@pytest.mark.integration
def test_cancel_sends_sigint_first(tmp_path):
    script = (
        "import signal, sys, time\n"
        "def stop(*_):\n"
        "    print('got SIGINT', flush=True)\n"
        "    sys.exit(130)\n"
        "signal.signal(signal.SIGINT, stop)\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    lines = Lines()

    result = stream_process(
        python(script),
        cwd=tmp_path,
        env=minimal_env(home=tmp_path, cli_config=None),
        on_line=lines,
        redactor=Redactor(),
        timeout_s=20,
        should_cancel=lambda: "ready" in lines.messages,
        grace_s=5,
    )

    assert result.cancelled and not result.timed_out
    assert result.exit_code == 130
    assert "got SIGINT" in lines.messages
    assert result.duration_s < 4


@pytest.mark.integration
def test_process_ignoring_sigint_and_sigterm_is_killed(tmp_path):
    script = (
        "import signal, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    lines = Lines()

    result = stream_process(
        python(script),
        cwd=tmp_path,
        env=minimal_env(home=tmp_path, cli_config=None),
        on_line=lines,
        redactor=Redactor(),
        timeout_s=20,
        should_cancel=lambda: "ready" in lines.messages,
        grace_s=0.5,
    )

    assert result.cancelled
    assert result.exit_code == -9
    assert any("SIGTERM" in m for m in lines.messages) and any("SIGKILL" in m for m in lines.messages)
    assert result.duration_s < 4


@pytest.mark.integration
def test_grandchild_holding_the_pipe_does_not_hang_the_runner(tmp_path):
    threads_before = threading.active_count()

    result, lines = run(["sh", "-c", "sleep 30 & echo started"], tmp_path)

    assert result.exit_code == 0
    assert lines.messages == ["started"]
    assert result.duration_s < 5
    assert threading.active_count() == threads_before


@pytest.mark.integration
def test_a_failing_callback_still_stops_the_process(tmp_path):
    def explode(line: LogLine) -> None:
        raise RuntimeError("database went away")

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="database went away"):
        stream_process(
            python("import time; print('hi'); time.sleep(30)"),
            cwd=tmp_path,
            env=minimal_env(home=tmp_path, cli_config=None),
            on_line=explode,
            redactor=Redactor(),
            timeout_s=20,
            grace_s=2,
        )

    assert time.monotonic() - started < 5


def test_missing_binary_is_reported_not_raised(tmp_path):
    result, lines = run(["/nonexistent/terraform", "version"], tmp_path)

    assert result.exit_code is None
    assert lines.items[0].level == "error" and "could not start" in lines.items[0].message


# --------------------------------------------------------------------------------------------------
# Real Terraform 1.0.3 with the offline null provider


def needs_terraform(test):
    """`make test` installs Terraform; a missing binary is a failure, never a silent skip."""

    def wrapped(*args, **kwargs):
        assert TERRAFORM is not None, "terraform is not installed: run `make test`, which installs it"
        return test(*args, **kwargs)

    return functools.wraps(test)(wrapped)


@pytest.fixture(scope="module")
def terraform_cli_config(tmp_path_factory) -> str:
    script = ROOT / "scripts" / "terraform_mirror.py"
    spec = importlib.util.spec_from_file_location("terraform_mirror", script)
    assert spec is not None and spec.loader is not None
    mirror_script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mirror_script)
    base = tmp_path_factory.mktemp("tf-mirror")
    mirror_script.build_mirror(base / "mirror", base / "terraformrc", Path(sys.prefix))
    return str(base / "terraformrc")


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
        env=minimal_env(home=tmp_path / "home", cli_config=cli_config),
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
    }

    plan_json = tf.show_json("plan.tfplan")
    summary = summarize_plan(plan_json)
    assert (summary.add, summary.change, summary.destroy) == (2, 0, 0)
    assert plan_json["variables"]["api_token"]["value"] == "[REDACTED]"
    digest = file_sha256(tf.workdir / "plan.tfplan")

    applied = tf.apply("plan.tfplan")
    assert applied.exit_code == 0, lines.text()
    assert file_sha256(tf.workdir / "plan.tfplan") == digest
    assert {line.resource for line in lines.of_type("apply_complete")} == {
        "null_resource.app[0]",
        "null_resource.app[1]",
    }

    outputs = tf.output_json()
    assert outputs["api_token"]["value"] == "[REDACTED]"
    masked = mask_outputs(outputs)
    assert masked["api_token"] == {"value": "(sensitive)", "sensitive": True}
    assert masked["app_url"] == {"value": "http://runner-test.sandbox.local", "sensitive": False}
    assert len(masked["instance_ids"]["value"]) == 2

    assert tf.plan(out="destroy.tfplan", destroy=True).exit_code == 0, lines.text()
    assert summarize_plan(tf.show_json("destroy.tfplan")).destroy == 2
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
    assert result.duration_s < 10, lines.text()
    assert result.exit_code != 0
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
def test_http_backend_credentials_come_from_the_backend_file(tmp_path, terraform_cli_config, state_server):
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


# --------------------------------------------------------------------------------------------------
# Real Packer 1.6.6 with the null builder

PACKER_TEMPLATE = """
variable "greeting" {
  type = string
}

variable "secret" {
  type      = string
  sensitive = true
}

source "null" "demo" {
  communicator = "none"
}

build {
  sources = ["source.null.demo"]

  provisioner "shell-local" {
    inline = ["echo \\"greeting: ${var.greeting}\\"", "echo \\"secret: ${var.secret}\\""]
  }

  post-processor "manifest" {
    output = "packer-manifest.json"
  }
}
"""


@pytest.mark.integration
def test_packer_build_streams_lines_and_returns_artifacts(tmp_path):
    assert PACKER is not None, "packer is not installed: `make test` installs it from Debian"
    (tmp_path / "image.pkr.hcl").write_text(PACKER_TEMPLATE)
    (tmp_path / "home").mkdir()
    lines = Lines()

    result, artifacts = packer_build(
        binary=str(PACKER),
        template_dir=tmp_path,
        template="image.pkr.hcl",
        variables={"greeting": "hi, there", "secret": "pk-s3cret-value"},
        env=minimal_env(home=tmp_path / "home", cli_config=None),
        redactor=Redactor(["pk-s3cret-value"]),
        on_line=lines,
        timeout_s=60,
    )

    assert result.exit_code == 0, lines.text()
    assert artifacts == [Artifact(region="", image_id="Null")]
    greeting = [line for line in lines.items if "greeting: hi, there" in line.message]
    assert greeting and greeting[0].resource == "null.demo" and greeting[0].level == "info"
    assert any("secret: [REDACTED]" in m for m in lines.messages)
    assert "pk-s3cret-value" not in lines.text()
    assert stat.S_IMODE((tmp_path / "portal.pkrvars.json").stat().st_mode) == 0o600


def test_plain_lines_take_their_level_from_a_go_log_tag() -> None:
    from workers.runner import parse_plain_line

    assert parse_plain_line("stderr", "2026/11/21 23:40:36 [DEBUG] GET http://x/state/1").level == "debug"
    assert parse_plain_line("stderr", "2026/11/21 [WARN] slow").level == "warn"
    assert parse_plain_line("stderr", "Error: no such file").level == "error"
    assert parse_plain_line("stdout", "Terraform has been successfully initialized!").level == "info"
