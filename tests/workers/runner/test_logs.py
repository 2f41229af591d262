"""workers.runner.logs: Terraform -json, Go log tag and Packer machine-readable line parsing."""

from __future__ import annotations

import json

from workers.runner.logs import mask_outputs, parse_packer_line, parse_plain_line, parse_terraform_line


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


def test_mask_outputs():
    outputs = {
        "token": {"value": "t0k3n", "type": "string", "sensitive": True},
        "url": {"value": "http://x", "type": "string", "sensitive": False},
    }

    assert mask_outputs(outputs) == {
        "token": {"value": "(sensitive)", "sensitive": True},
        "url": {"value": "http://x", "sensitive": False},
    }


def test_plain_lines_take_their_level_from_a_go_log_tag() -> None:
    assert parse_plain_line("stderr", "2026/11/21 23:40:36 [DEBUG] GET http://x/state/1").level == "debug"
    assert parse_plain_line("stderr", "2026/11/21 [WARN] slow").level == "warn"
    assert parse_plain_line("stderr", "Error: no such file").level == "error"
    assert parse_plain_line("stdout", "Terraform has been successfully initialized!").level == "info"
