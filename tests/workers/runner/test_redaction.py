"""workers.runner.redaction: secrets and credential-shaped text never reach a log line."""

from __future__ import annotations

import base64
import json

from workers.runner.redaction import Redactor


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
