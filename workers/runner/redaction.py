"""Redaction: every line of tool output passes through a Redactor before anything parses, stores
or shows it, so no code downstream (the database, the UI, an exception message) ever holds a
secret in clear.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"
# Patterns for credentials whose value the portal was never told about (a user pasting an AWS key
# into a greeting, a provider echoing a connection string). A named group "secret" limits the
# replacement to that group, so the log still says *what* was hidden.
DEFAULT_PATTERNS: tuple[str, ...] = (
    # AWS access key ids (long-term AKIA, temporary ASIA).
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    # aws_secret_access_key = "...", "SecretAccessKey": "...", AWS_SESSION_TOKEN=...
    r"(?i)(?:aws_?secret_?access_?key|secret_?access_?key|aws_?session_?token|session_?token)"
    r"[\"']?\s*[:=]\s*[\"']?(?P<secret>[A-Za-z0-9/+=]{16,})",
    # Authorization: Bearer <token>, and bare "Bearer <token>" in error dumps.
    r"(?i)\bbearer\s+(?P<secret>[A-Za-z0-9\-._~+/]+=*)",
    # Authorization: Basic <base64 user:pass>
    r"(?i)\bauthorization\s*[:=]\s*[\"']?basic\s+(?P<secret>[A-Za-z0-9+/]+=*)",
    # Passwords in URLs: scheme://user:password@host
    r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@\"']*:(?P<secret>[^/\s@\"']+)@",
    # PEM private keys that arrive on one line (JSON-escaped newlines, or a single-line dump).
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
)
# Text one of which (case-folded) each default pattern's match must contain. A line holding none
# of a pattern's hints cannot match it, so the pattern is not run on it: most log lines hold none,
# and checking a few substrings costs far less than six regular expressions per line.
PATTERN_HINTS: dict[str, tuple[str, ...]] = dict(
    zip(
        DEFAULT_PATTERNS,
        (
            ("akia", "asia"),
            # Every spelling the pattern accepts: secret[_]access[_]key, [aws_]session[_]token.
            # Not "token" or "secret" alone: plans and logs name variables such as api_token,
            # and each such line or plan section would run the pattern for nothing.
            ("secret_access", "secretaccess", "session_token", "sessiontoken"),
            ("bearer",),
            ("authorization",),
            ("://",),
            ("private key",),
        ),
        strict=True,
    )
)
# Secrets shorter than this are not redacted: replacing "dev" or "1" everywhere would shred the
# log while protecting nothing worth protecting.
MIN_SECRET_LENGTH = 4
# Each line of a multi-line secret (a private key, a kubeconfig) at least this long is a secret on
# its own, wherever it appears: tools print such values one line at a time, and the redactor sees
# one line at a time. Shorter lines ("}", "---") would shred the log.
MIN_SECRET_LINE_LENGTH = 8
# Tools that print base64 wrap it: `base64` and MIME at 76 characters, PEM and OpenSSL at 64.
BASE64_WRAP_WIDTHS = (64, 76)


class Redactor:
    """Replaces known secret values and credential-shaped text with ``[REDACTED]``.

    Secrets are matched in the forms they commonly leak in: verbatim, JSON-escaped (Terraform's
    ``-json`` output and plan files escape quotes and backslashes), URL-encoded (connection
    strings) and base64 (HTTP basic auth, Kubernetes secrets, user-data).

    It works one line at a time, so a secret that spans lines is also taken apart: each of its
    lines of MIN_SECRET_LINE_LENGTH characters or more is redacted wherever it appears, in the same
    forms; and its base64 form, which a tool may print wrapped, is redacted in 64- and 76-character
    pieces too.
    """

    def __init__(self, secrets: Iterable[str] = (), patterns: Iterable[str] = DEFAULT_PATTERNS) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
                continue
            forms.update(_secret_forms(secret))
            for line in secret.splitlines():
                line = line.strip()
                if len(line) >= MIN_SECRET_LINE_LENGTH:
                    forms.update(_secret_forms(line))
            if len(secret.splitlines()) > 1:
                forms.update(_wrapped_base64_pieces(secret))
        # Longest first, so a secret that contains another secret is replaced whole.
        ordered = sorted((f for f in forms if f), key=len, reverse=True)
        self._secrets: re.Pattern[str] | None = (
            re.compile("|".join(re.escape(f) for f in ordered)) if ordered else None
        )
        self._patterns: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
            (re.compile(p), PATTERN_HINTS.get(p, ())) for p in patterns
        )

    def redact(self, text: str) -> str:
        """Returns ``text`` with every secret form and every pattern match replaced."""
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
        lowered = text.casefold()
        for pattern, hints in self._patterns:
            if _hinted(hints, lowered):
                text = pattern.sub(_replace_match, text)
        return text

    def redact_value(self, value: Any) -> Any:
        """Redacts every string inside a parsed JSON value, keeping its structure intact.

        Used for plan and output JSON: redacting the serialized text could corrupt the JSON if a
        pattern ever matched across a quote, while walking the parsed value cannot. Inside the
        value, a list or object whose JSON text holds nothing redact() could replace is kept
        unwalked: a plan of 100 resources holds thousands of strings, and few of them are anywhere
        near a secret. The value itself is always walked: the top of a plan holds its variables,
        so nearly always a secret, and checking its whole text first would only cost a
        serialization.
        """
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list):
            return [self._redact_part(v) for v in value]
        if isinstance(value, dict):
            return {self.redact(str(k)): self._redact_part(v) for k, v in value.items()}
        return value

    def _redact_part(self, value: Any) -> Any:
        if isinstance(value, list | dict) and not self._may_hold_secret(
            json.dumps(value, ensure_ascii=False, default=str)
        ):
            return value
        return self.redact_value(value)

    def _may_hold_secret(self, text: str) -> bool:
        """Whether some string inside this JSON text may hold what redact() replaces. Sound, not
        exact: JSON escapes character by character, so a secret inside a string shows in the text
        in its JSON-escaped form (one of the secret's forms), and no pattern hint holds a
        character JSON escapes. A match across two strings only costs a walk."""
        if self._secrets is not None and self._secrets.search(text):
            return True
        lowered = text.casefold()
        return any(_hinted(hints, lowered) for _, hints in self._patterns)


def _hinted(hints: tuple[str, ...], lowered: str) -> bool:
    """Whether a pattern with these hints may match the case-folded text (a pattern without
    hints always may)."""
    return not hints or any(hint in lowered for hint in hints)


def _secret_forms(secret: str) -> set[str]:
    raw = secret.encode("utf-8")
    b64 = base64.b64encode(raw).decode("ascii")
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
        b64,
        b64.rstrip("="),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
    }


def _wrapped_base64_pieces(secret: str) -> set[str]:
    """The lines that a wrapping base64 encoder prints for the secret (the last, short one only
    when it is long enough to be worth redacting)."""
    raw = secret.encode("utf-8")
    pieces: set[str] = set()
    for b64 in (base64.b64encode(raw).decode("ascii"), base64.urlsafe_b64encode(raw).decode("ascii")):
        for width in BASE64_WRAP_WIDTHS:
            for start in range(0, len(b64), width):
                piece = b64[start : start + width]
                if len(piece) >= MIN_SECRET_LINE_LENGTH:
                    pieces.add(piece)
    return pieces


def _replace_match(match: re.Match[str]) -> str:
    if "secret" in match.re.groupindex and match.group("secret") is not None:
        start, end = match.span("secret")
        whole_start = match.start()
        text = match.group(0)
        return text[: start - whole_start] + REDACTED + text[end - whole_start :]
    return REDACTED
