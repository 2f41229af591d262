"""workers.runner.redaction: secrets and credential-shaped text never reach a log line."""

from __future__ import annotations

import base64
import json
import sys
import textwrap
import urllib.parse
from pathlib import Path

import pytest

from tests.workers.runner.helpers import TERRAFORM, Lines, python, run
from workers.runner.process import minimal_env
from workers.runner.redaction import DEFAULT_PATTERNS, PATTERN_HINTS, Redactor
from workers.runner.terraform import Terraform
from workers.runner.workdir import prepare_workdir

LEAKY_MODULE = Path(__file__).parent / "leaky_module"


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


@pytest.mark.parametrize(
    ("line", "leaked"),
    [
        ("key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        ('"SecretAccessKey": "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"', "wJalrXUtnFEMI"),
        ("AWS_SESSION_TOKEN=FwoGZXIvYXdzEJr0123456789abcdef", "FwoGZXIvYXdzEJr"),
        ('"SessionToken": "FwoGZXIvYXdzEJr0123456789abcdef"', "FwoGZXIvYXdzEJr"),
        ("session_token: FwoGZXIvYXdzEJr0123456789abcdef", "FwoGZXIvYXdzEJr"),
        ("secret_accesskey='wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY'", "wJalrXUtnFEMI"),
        ("AWSSECRETACCESSKEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
        ("aws_ſecret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
        ("BEARER eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
        ("AUTHORIZATION: Basic cG9ydGFsOmh1bnRlcjI=", "cG9ydGFsOmh1bnRlcjI"),
        ("HTTPS://portal:hunter2secret@db.internal/", "hunter2secret"),
        ("-----BEGIN EC PRIVATE KEY-----MHcCAQEEI-----END EC PRIVATE KEY-----", "MHcCAQEEI"),
    ],
)
def test_each_default_pattern_runs_on_a_line_of_its_own(line, leaked):
    # The hint prefilter must let every pattern through on a line holding only its own match,
    # in any letter case the pattern accepts.
    assert leaked not in Redactor().redact(line)


def test_an_operators_pattern_has_no_hint_and_always_runs():
    redactor = Redactor(patterns=[*DEFAULT_PATTERNS, r"tenant-[0-9]{6}"])
    assert redactor.redact("created tenant-123456 in eu") == "created [REDACTED] in eu"
    assert set(PATTERN_HINTS) == set(DEFAULT_PATTERNS)


def test_redactor_redact_value_keeps_json_structure():
    redactor = Redactor(["s3cr3t-value"])
    value = {"variables": {"api_token": {"value": "s3cr3t-value"}}, "list": ["x s3cr3t-value y", 3, None]}

    assert redactor.redact_value(value) == {
        "variables": {"api_token": {"value": "[REDACTED]"}},
        "list": ["x [REDACTED] y", 3, None],
    }


def test_redact_value_walks_only_what_may_hold_a_secret_and_misses_nothing():
    secret = 'pa"ss\\word\nline-two é'  # JSON escapes its quote, backslash and newline
    redactor = Redactor([secret])
    resources = [{"address": f"null_resource.r{i}", "values": {"triggers": {"n": str(i)}}} for i in range(50)]
    clean = {"resource_changes": resources}
    assert redactor.redact_value(clean)["resource_changes"] is resources  # nothing to replace: unwalked
    leaky = {
        "resource_changes": resources,
        "deep": [{"a": [{"b": f"x{secret}y"}]}, {"key": "AKIAABCDEFGHIJKLMNOP"}],
        f"k-{secret}": 1,
    }
    redacted = redactor.redact_value(leaky)
    assert redacted["deep"] == [{"a": [{"b": "x[REDACTED]y"}]}, {"key": "[REDACTED]"}]
    assert redacted["k-[REDACTED]"] == 1 and redacted["resource_changes"] is resources
    assert secret not in json.dumps(redacted, ensure_ascii=False) and secret not in str(redacted)


def private_key_pem() -> str:
    """A real RSA private key in PEM, freshly made: 28 lines of 64 base64 characters between the
    armour lines."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def leaked_forms(secret: str) -> list[str]:
    """Every form of the secret and of each of its lines (8+ characters) that must never be seen."""
    body_lines = [line for line in secret.splitlines() if len(line) >= 8]
    forms = [secret, base64.b64encode(secret.encode()).decode(), urllib.parse.quote(secret, safe="")]
    for line in body_lines:
        forms += [line, base64.b64encode(line.encode()).decode(), urllib.parse.quote(line, safe="")]
    return forms


def test_each_line_of_a_multi_line_secret_is_redacted_wherever_it_appears():
    key = private_key_pem()
    lines = key.splitlines()
    redactor = Redactor([key])

    # Line by line, as a tool prints it, with a prefix, and a middle line on its own elsewhere.
    for line in lines:
        assert redactor.redact(f"  out: {line}") == "  out: [REDACTED]"
    assert redactor.redact(f"later {lines[7]} again") == "later [REDACTED] again"
    # Its lines' base64 and URL-encoded forms, and the whole key's.
    middle = lines[len(lines) // 2]
    assert redactor.redact(base64.b64encode(middle.encode()).decode()) == "[REDACTED]"
    assert redactor.redact("x=" + urllib.parse.quote(lines[3], safe="")) == "x=[REDACTED]"
    assert redactor.redact(base64.b64encode(key.encode()).decode()) == "[REDACTED]"
    assert redactor.redact(urllib.parse.quote(key, safe="")) == "[REDACTED]"
    # The whole key's base64 as `base64` prints it: wrapped at 76 characters.
    wrapped = textwrap.wrap(base64.b64encode(key.encode()).decode(), 76)
    leftovers = [redactor.redact(piece) for piece in wrapped]
    assert all(piece in ("[REDACTED]", "") or len(piece) < 8 for piece in leftovers), leftovers
    # Short lines of a secret are not secrets on their own: "}" or "ok" stays readable.
    config = 'password = "correct-horse-battery"\n}\nok'
    redactor = Redactor([config])
    assert redactor.redact("ok } password") == "ok } password"
    assert redactor.redact('password = "correct-horse-battery"') == "[REDACTED]"


@pytest.mark.integration
def test_a_process_printing_a_private_key_leaks_no_line_of_it(tmp_path):
    key = private_key_pem()
    script = (
        "import base64, os, sys, urllib.parse\n"
        "k = os.environ['KEY']\n"
        "print('key follows:'); print(k)\n"
        "print(base64.encodebytes(k.encode()).decode(), file=sys.stderr)\n"  # wrapped at 76
        "print('one line', base64.b64encode(k.encode()).decode())\n"
        "print('url', urllib.parse.quote(k, safe=''))\n"
        "for line in k.splitlines():\n"
        "    b64 = base64.b64encode(line.encode()).decode()\n"
        "    print('b64', b64, 'url', urllib.parse.quote(line, safe=''))\n"
        "print('done')\n"
    )
    result, lines = run(
        python(script),
        tmp_path,
        env={**minimal_env(home=tmp_path, cli_config=None), "KEY": key},
        redactor=Redactor([key]),
        parse_json=False,
    )

    assert result.exit_code == 0, lines.text()
    stored = lines.text()
    assert "key follows:" in stored and "done" in stored
    for form in leaked_forms(key):
        assert form not in stored
    assert stored.count("[REDACTED]") >= 4 * len(key.splitlines())


@pytest.mark.integration
def test_terraform_local_exec_printing_a_private_key_leaks_no_line_of_it(tmp_path, terraform_cli_config):
    key = private_key_pem()
    workdir = prepare_workdir(
        module_dir=LEAKY_MODULE,
        workdir=tmp_path / "run",
        variables={"private_key": key, "python": sys.executable},
        backend=None,
    )
    (tmp_path / "home").mkdir()
    lines = Lines()
    tf = Terraform(
        binary=str(TERRAFORM),
        workdir=workdir,
        env=minimal_env(home=tmp_path / "home", cli_config=terraform_cli_config),
        redactor=Redactor([key]),
        on_line=lines,
        timeout_s=120,
    )

    assert tf.init().exit_code == 0, lines.text()
    assert tf.plan(detailed_exitcode=True).exit_code == 2, lines.text()
    assert tf.apply("plan.tfplan").exit_code == 0, lines.text()

    stored = lines.text()
    assert "done leaking" in stored, stored
    assert "(local-exec)" in stored
    for form in leaked_forms(key):
        assert form not in stored
    # Nor a piece of the wrapped base64 that `base64` printed (all but a short last line).
    for piece in textwrap.wrap(base64.b64encode(key.encode()).decode(), 76)[:-1]:
        assert piece not in stored
