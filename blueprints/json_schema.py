"""A blueprint's request form as JSON Schema (draft 2020-12), derived from its fields. Pure Python.

The API serves it so scripts can build and check inputs before sending them. The schema describes;
`blueprints.inputs.validate_inputs` stays the one judge of values (cross-field rules such as
`show_if` and per-tier defaults are given as `x-` annotations, not enforced by the schema).
"""

from __future__ import annotations

from typing import Any

from blueprints.inputs import DNS_NAME, MAX_TEXT
from blueprints.spec import AWS_REGIONS, TIERS, BlueprintSpec, FieldSpec

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    """One field's schema, with the form's label, help text and default."""
    schema: dict[str, Any]
    if spec.type == "bool":
        schema = {"type": "boolean"}
    elif spec.type in ("integer", "number"):
        schema = {"type": spec.type}
        if spec.min is not None:
            schema["minimum"] = spec.min
        if spec.max is not None:
            schema["maximum"] = spec.max
    elif spec.type == "choice":
        schema = {"enum": list(spec.choices)}
    elif spec.type == "list":
        item: dict[str, Any] = {"type": "string", "maxLength": MAX_TEXT}
        if spec.pattern:
            item["pattern"] = spec.pattern
        schema = {"type": "array", "items": item}
    else:
        schema = {"type": "string", "maxLength": MAX_TEXT}
        if spec.pattern:
            schema["pattern"] = spec.pattern
    schema["title"] = spec.label
    if spec.help:
        schema["description"] = spec.help
    if spec.default is not None and not spec.sensitive:
        schema["default"] = list(spec.default) if isinstance(spec.default, tuple) else spec.default
    if spec.sensitive:
        schema["writeOnly"] = True
    if spec.advanced:
        schema["x-advanced"] = True
    if spec.show_if:
        schema["x-show-if"] = dict(spec.show_if)
    return schema


def inputs_json_schema(blueprint: BlueprintSpec) -> dict[str, Any]:
    """The schema of the `inputs` a request for this blueprint version takes."""
    properties: dict[str, Any] = {
        "name": {
            "type": "string",
            "pattern": DNS_NAME.pattern,
            "title": "Environment name",
            "description": "Lowercase letters, digits and hyphens; part of resource and DNS names.",
        },
        "tier": {"enum": list(TIERS), "title": "Tier"},
    }
    required = ["name", "tier"]
    if blueprint.runtime == "aws":
        properties["region"] = {"enum": list(AWS_REGIONS), "title": "Region"}
        required.append("region")
    for spec in blueprint.fields:
        properties[spec.name] = field_schema(spec)
        if spec.required and not spec.show_if:
            required.append(spec.name)
    return {
        "$schema": DIALECT,
        "title": f"{blueprint.title} {blueprint.version}",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        "x-tier-defaults": {tier: blueprint.tier_defaults(tier) for tier in TIERS},
    }
