"""Inputs and outputs as people read them: labels instead of variable names, and values as text,
lists or JSON, never as Python reprs."""

from __future__ import annotations

import json
from typing import Any


def value_text(value: Any) -> str:
    """A value as one line of text: yes/no, comma-separated lists, JSON for anything nested."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple) and all(isinstance(item, str | int | float) for item in value):
        return ", ".join(map(str, value)) if value else "—"
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True)
    return str(value)


def input_rows(
    version: Any, inputs: dict[str, Any], secret_names: list[str] | tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """One row per input, in the blueprint's field order, labelled; unknown names (a field removed
    in a later version) keep their variable name."""
    fields = {spec.name: spec for spec in version.fields} if version is not None else {}
    rows = []
    for name, spec in fields.items():
        if name in inputs:
            rows.append(
                {"name": name, "label": spec.label, "value": value_text(inputs[name]), "secret": False}
            )
        elif name in secret_names:
            rows.append({"name": name, "label": spec.label, "value": "", "secret": True})
    for name in sorted(set(inputs) - set(fields)):
        rows.append({"name": name, "label": name, "value": value_text(inputs[name]), "secret": False})
    return rows


def output_rows(outputs: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Terraform outputs (`terraform output -json`: {name: {value, sensitive, type}}): a scalar as
    text, a list of scalars as a list, anything else as indented JSON."""
    rows = []
    for name, out in sorted((outputs or {}).items()):
        out = out if isinstance(out, dict) and "value" in out else {"value": out}
        value = out.get("value")
        row: dict[str, Any] = {
            "name": name,
            "sensitive": bool(out.get("sensitive")),
            "text": "",
            "items": None,
            "json": "",
        }
        if row["sensitive"]:
            pass
        elif isinstance(value, list) and all(isinstance(item, str | int | float | bool) for item in value):
            row["items"] = [value_text(item) for item in value]
        elif isinstance(value, dict | list):
            row["json"] = json.dumps(value, indent=2, sort_keys=True)
        else:
            row["text"] = value_text(value)
        rows.append(row)
    return rows


def free_tier_applies(version: Any) -> bool:
    """The AWS free tier only changes an estimate with AWS resources in it."""
    return any(
        str(entry.get("type", "")).startswith("aws_") for entry in version.metadata.get("cost_resources", [])
    )
