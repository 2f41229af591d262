"""Validates request inputs against a blueprint's fields. Pure Python; the form, the API and the
CLI all go through `validate_inputs`, so every entry point rejects the same bad values.

Values reach Terraform only as a .tfvars.json file, so nothing here is ever pasted into HCL; still,
Terraform template sequences are refused in text fields because no blueprint input needs one and a
value like `${file("/etc/passwd")}` is a sign of an injection attempt.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from blueprints.spec import AWS_REGIONS, TIERS, BlueprintSpec, FieldSpec

DNS_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
TEMPLATE_SEQUENCE = re.compile(r"[$%]\{")
TRUE_WORDS = {"1", "true", "on", "yes"}
FALSE_WORDS = {"0", "false", "off", "no", ""}
MAX_TEXT = 1000
REQUIRED_MESSAGE = "This field is required."
# Whitespace a multi-line text (a reason, a comment, a key) may hold; every other control character
# (category Cc: NUL, ESC, DEL, C1 codes) is refused. PostgreSQL cannot store NUL in text at all.
MULTILINE_WHITESPACE = frozenset("\t\n\r")
_CONTROL_NAMES = {
    "\0": "NUL",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESC",
    "\x7f": "DEL",
}


def control_character_error(value: str, *, multiline: bool) -> str | None:
    """The message to show when `value` holds a control character, or None when it holds none.

    Single-line values may not even hold a tab or a line break."""
    for index, char in enumerate(value):
        if unicodedata.category(char) == "Cc" and not (multiline and char in MULTILINE_WHITESPACE):
            name = _CONTROL_NAMES.get(char, "control character")
            return (
                f"Must not contain control characters: found U+{ord(char):04X} ({name}) at position "
                f"{index + 1}." + ("" if multiline else " Tabs and line breaks are not allowed here either.")
            )
    return None


@dataclass
class ValidatedInputs:
    """Clean, typed values (`name`, `tier`, `region` apart from the blueprint's own fields)."""

    name: str = ""
    tier: str = ""
    region: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _number(raw: Any, spec: FieldSpec, integer: bool) -> int | float:
    if isinstance(raw, bool):
        raise ValueError("Enter a number.")
    try:
        value = float(raw) if not isinstance(raw, int | float) else raw
    except (TypeError, ValueError):
        raise ValueError("Enter a whole number." if integer else "Enter a number.") from None
    if not math.isfinite(value):
        raise ValueError("Enter a finite number.")
    if integer:
        if float(value) != int(value):
            raise ValueError("Enter a whole number.")
        value = int(value)
    if spec.min is not None and value < spec.min:
        raise ValueError(f"Must be at least {spec.min:g}.")
    if spec.max is not None and value > spec.max:
        raise ValueError(f"Must be at most {spec.max:g}.")
    return value


def _text(raw: Any, spec: FieldSpec) -> str:
    if not isinstance(raw, str):
        raise ValueError("Enter text.")
    value = raw.strip()
    # Single line, except sensitive values such as a private key or a certificate.
    problem = control_character_error(value, multiline=spec.sensitive)
    if problem:
        raise ValueError(problem)
    if len(value) > MAX_TEXT:
        raise ValueError(f"At most {MAX_TEXT} characters.")
    if TEMPLATE_SEQUENCE.search(value):
        raise ValueError("Must not contain Terraform template sequences such as ${…} or %{…}.")
    if spec.pattern and value and not re.fullmatch(spec.pattern, value):
        raise ValueError(pattern_message(spec.pattern, value))
    return value


_CHARACTER_CLASS = re.compile(r"^\^?\[([^\]]+)\](?:\{(\d*)(,?)(\d*)\}|([+*]))\$?$")
_CLASS_WORDS = (
    ("A-Za-z", "letters"),
    ("a-zA-Z", "letters"),
    ("A-Z", "capital letters"),
    ("a-z", "lowercase letters"),
    ("0-9", "digits"),
    ("\\s", "spaces"),
    (" ", "spaces"),
)


def _class_rule(body: str, low: str, comma: str, high: str) -> str:
    words: list[str] = []
    rest = body
    for token, word in _CLASS_WORDS:
        if token in rest:
            rest = rest.replace(token, "", 1)
            if word not in words:
                words.append(word)
    symbols = " ".join(dict.fromkeys(rest.replace("\\", "")))
    allowed = ", ".join(words)
    if symbols:
        allowed = f"{allowed} and {symbols}" if allowed else symbols
    elif len(words) > 1:
        allowed = ", ".join(words[:-1]) + " and " + words[-1]
    rule = f"Use only {allowed}"
    if comma and high and low not in ("", "0"):
        rule += f", {low} to {high} characters"
    elif comma and high:
        rule += f", at most {high} characters"
    elif comma and low not in ("", "0", "1"):
        rule += f", at least {low} characters"
    elif low and not comma:
        rule += f", exactly {low} characters"
    return rule


def pattern_message(pattern: str, value: str) -> str:
    """What a value that fails `pattern` breaks, in words where the pattern is a character class
    ("Use only letters, digits, spaces and , . ! ? ' -. Not allowed: é."), else the pattern itself."""
    empty_ok = pattern.startswith("^$|")
    core = pattern[3:] if empty_ok else pattern
    match = _CHARACTER_CLASS.match(core)
    if match:
        body, low, comma, high, repeat = match.groups()
        rule = _class_rule(
            body, low or ("1" if repeat == "+" else ""), comma or ("," if repeat else ""), high
        )
        try:
            bad = [ch for ch in dict.fromkeys(value) if not re.fullmatch(f"[{body}]", ch)]
        except re.error:
            bad = []
        message = rule + (" (or leave it empty)" if empty_ok else "") + "."
        shown = ["space" if ch == " " else f"“{ch}”" for ch in bad]
        return message + (" Not allowed here: " + ", ".join(shown) + "." if bad else "")
    return f"Must match the pattern {core}" + (" (or be empty)" if empty_ok else "") + "."


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError("Choose yes or no.")


def _choice(raw: Any, spec: FieldSpec) -> Any:
    for choice in spec.choices:
        if raw == choice or str(raw) == str(choice):
            return choice
    raise ValueError("Choose one of: " + ", ".join(map(str, spec.choices)) + ".")


def _list(raw: Any, spec: FieldSpec) -> list[str]:
    items = raw if isinstance(raw, list) else [part for part in str(raw).split(",")]
    cleaned = [_text(item, spec) for item in items]
    return [item for item in cleaned if item]


def clean_field(spec: FieldSpec, raw: Any) -> Any:
    """One field's typed value; raises ValueError with the message to show beside the field."""
    if spec.type == "bool":
        return _bool(raw)
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if spec.required:
            raise ValueError(REQUIRED_MESSAGE)
        return [] if spec.type == "list" else (spec.default if spec.type != "string" else "")
    if spec.type == "integer":
        return _number(raw, spec, integer=True)
    if spec.type == "number":
        return _number(raw, spec, integer=False)
    if spec.type == "choice":
        return _choice(raw, spec)
    if spec.type == "list":
        return _list(raw, spec)
    return _text(raw, spec)


def field_visible(spec: FieldSpec, values: dict[str, Any]) -> bool:
    if not spec.show_if:
        return True
    return bool(values.get(spec.show_if["field"]) == spec.show_if["equals"])


def validate_inputs(blueprint: BlueprintSpec, data: dict[str, Any]) -> ValidatedInputs:
    """Checks the common inputs and every field; unknown keys are errors, not silently dropped."""
    result = ValidatedInputs()
    name = str(data.get("name", "")).strip()
    if not DNS_NAME.fullmatch(name):
        result.errors["name"] = (
            "Use 3-32 lowercase letters, digits and hyphens, starting with a letter "
            "and not ending with a hyphen (it becomes part of DNS names)."
        )
    result.name = name
    tier = str(data.get("tier", "")).strip()
    if tier not in TIERS:
        result.errors["tier"] = "Choose one of: " + ", ".join(TIERS) + "."
    result.tier = tier
    if blueprint.runtime == "aws":
        region = str(data.get("region", "")).strip()
        if region not in AWS_REGIONS:
            result.errors["region"] = (
                f"Unknown region {region!r}. Choose one of: " + ", ".join(AWS_REGIONS) + "."
            )
        result.region = region

    known = {spec.name for spec in blueprint.fields} | {"name", "tier", "region"}
    for key in sorted(set(data) - known):
        result.errors[key] = f"Unknown input {key!r} for blueprint {blueprint.slug}."

    defaults = blueprint.tier_defaults(tier) if tier in TIERS else {}
    for spec in blueprint.fields:
        raw = data.get(
            spec.name, defaults.get(spec.name) if spec.type != "bool" else defaults.get(spec.name, False)
        )
        try:
            result.values[spec.name] = clean_field(spec, raw)
        except ValueError as exc:
            result.errors[spec.name] = str(exc)
    # Fields hidden by show_if are not sent; Terraform uses the variable's default for them.
    for spec in blueprint.fields:
        if not field_visible(spec, result.values):
            result.values.pop(spec.name, None)
            result.errors.pop(spec.name, None)
    return result


def sensitive_names(blueprint: BlueprintSpec) -> set[str]:
    return {spec.name for spec in blueprint.fields if spec.sensitive}
