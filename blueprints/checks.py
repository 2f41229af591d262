"""Every offline check of the blueprints, as run by `python manage.py blueprints check`.

Pure Python. Each check returns CheckResult rows; a check that cannot run here (no AWS provider for
`terraform validate`) says so as `skipped` with the reason, never as a pass.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprints import hcl, provider_schema
from blueprints.inputs import REQUIRED_MESSAGE, validate_inputs
from blueprints.inventory import inventory
from blueprints.spec import (
    AWS_REGIONS,
    BLUEPRINTS_DIR,
    REQUIRED_TAGS,
    TIERS,
    BlueprintSpec,
    SpecError,
    blueprint_dirs,
    load_blueprint,
)
from portal.costs.engine.rules import RULES

TERRAFORM_ROOT = BLUEPRINTS_DIR.parent


@dataclass(frozen=True)
class CheckResult:
    check: str
    subject: str
    status: str  # "ok" | "fail" | "skipped"
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.status.upper():7} {self.check:22} {self.subject}" + (
            f": {self.detail}" if self.detail else ""
        )


def _blocks(spec: BlueprintSpec, kind: str) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """(file, label, body) of each labelled block of one kind in the blueprint's own .tf files."""
    for tf_file in sorted(spec.directory.glob("*.tf")):
        for label, body in hcl.blocks(hcl.parse_file(tf_file), kind):
            yield tf_file, label, body


def _unlabelled(spec: BlueprintSpec, kind: str) -> Iterator[dict[str, Any]]:
    """Bodies of unlabelled blocks such as `locals { ... }`."""
    for tf_file in sorted(spec.directory.glob("*.tf")):
        yield from hcl.parse_file(tf_file).get(kind, [])


def check_fmt(terraform_bin: str, root: Path = TERRAFORM_ROOT) -> CheckResult:
    proc = subprocess.run(
        [terraform_bin, "fmt", "-check", "-recursive", "-list=true", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode == 0:
        return CheckResult("terraform fmt -check", "terraform/", "ok")
    return CheckResult("terraform fmt -check", "terraform/", "fail", (proc.stdout + proc.stderr).strip())


def check_hcl_parse(root: Path = TERRAFORM_ROOT) -> list[CheckResult]:
    failures = []
    files = sorted(root.rglob("*.tf"))
    for path in files:
        try:
            hcl.parse_file(path)
        except Exception as exc:  # python-hcl2 raises several lark error types
            failures.append(CheckResult("hcl parse", str(path.relative_to(root)), "fail", str(exc)[:300]))
    return failures or [CheckResult("hcl parse", f"{len(files)} .tf files", "ok")]


def check_variables_agree(spec: BlueprintSpec) -> CheckResult:
    declared = {label: body for _, label, body in _blocks(spec, "variable")}
    problems = []
    fields = {field.name for field in spec.fields}
    expected = fields | set(spec.context_variables)
    for name in sorted(set(declared) - expected):
        problems.append(f"variable {name} has no form field")
    for name in sorted(fields - set(declared)):
        problems.append(f"field {name} has no variable")
    for name in sorted(set(spec.context_variables) - set(declared)):
        problems.append(f"portal variable {name} is not declared")
    for name, body in sorted(declared.items()):
        if "type" not in body or "description" not in body:
            problems.append(f"variable {name} needs a type and a description")
    for field in spec.fields:
        body = declared.get(field.name, {})
        if field.sensitive and body and not body.get("sensitive"):
            problems.append(f"field {field.name} is sensitive but its variable is not")
    return CheckResult("variables = fields", spec.slug, "fail" if problems else "ok", "; ".join(problems))


def _tag_keys(value: Any) -> set[str]:
    if isinstance(value, list):
        value = value[0] if value else {}
    return set(value) if isinstance(value, dict) else set()


def check_required_tags(spec: BlueprintSpec) -> CheckResult:
    problems = []
    if spec.runtime == "aws":
        providers = [(path, body) for path, name, body in _blocks(spec, "provider") if name == "aws"]
        if not providers:
            problems.append("no aws provider block")
        for path, body in providers:
            alias = hcl.unquote(body.get("alias", "default"))
            default_tags = body.get("default_tags") or [{}]
            keys = _tag_keys(default_tags[0].get("tags", {}) if default_tags else {})
            missing = [tag for tag in REQUIRED_TAGS if tag not in keys]
            if missing:
                problems.append(f"{path.name}: provider aws ({alias}) default_tags lack {', '.join(missing)}")
    else:
        keys = set()
        for block in _unlabelled(spec, "locals"):
            keys |= _tag_keys(block.get("tags", {}))
        missing = [tag for tag in REQUIRED_TAGS if tag not in keys]
        if missing:
            problems.append("locals.tags lack " + ", ".join(missing))
    return CheckResult("required tags", spec.slug, "fail" if problems else "ok", "; ".join(problems))


def check_no_backend(spec: BlueprintSpec) -> CheckResult:
    offenders = [name for name, text in spec.files.items() if name.endswith(".tf") and 'backend "' in text]
    detail = (
        "backend blocks in " + ", ".join(offenders) + " (the portal injects the backend)" if offenders else ""
    )
    return CheckResult("no hard-coded backend", spec.slug, "fail" if offenders else "ok", detail)


def check_tier_defaults(spec: BlueprintSpec) -> CheckResult:
    """Every tier's defaults must pass the same validation a request form does."""
    problems = []
    field_names = {field.name for field in spec.fields}
    for tier, body in spec.metadata["tiers"].items():
        unknown = set(body["defaults"]) - field_names
        if unknown:
            problems.append(f"{tier}: defaults for unknown fields {sorted(unknown)}")
        result = validate_inputs(spec, {"name": "check-defaults", "tier": tier, "region": AWS_REGIONS[0]})
        # A required field with no default is the requester's to fill in; anything else is a bad default.
        problems += [
            f"{tier}: {name}: {message}"
            for name, message in result.errors.items()
            if message != REQUIRED_MESSAGE
        ]
    image_field = spec.metadata.get("image_field")
    if image_field and (image_field not in field_names or not spec.metadata.get("packer_template")):
        problems.append(f"image_field {image_field} must name a field, with a packer_template")
    for field in spec.fields:
        if field.show_if and field.show_if["field"] not in field_names:
            problems.append(f"{field.name}: show_if names unknown field {field.show_if['field']}")
    return CheckResult("tier defaults valid", spec.slug, "fail" if problems else "ok", "; ".join(problems))


#: Inputs the portal passes to a form estimate besides the blueprint's fields.
COST_CONTEXT_INPUTS = ("name", "tier", "region")
_FIELD_REF = re.compile(r"^\{([a-z][a-z0-9_]*)\}$")


def _field_refs(value: Any) -> Iterator[str]:
    """Field names of every `"{field}"` string inside an attribute value."""
    if isinstance(value, str):
        match = _FIELD_REF.match(value)
        if match:
            yield match.group(1)
    elif isinstance(value, list):
        for item in value:
            yield from _field_refs(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _field_refs(item)


def _condition_problems(spec: BlueprintSpec, condition: str) -> list[str]:
    """`field`, `!field`, `field=value` or `field!=value` (see estimator._enabled)."""
    operator = "!=" if "!=" in condition else "=" if "=" in condition else None
    if operator is None:
        name, value = condition.lstrip("!"), None
    else:
        name, value = (part.strip() for part in condition.split(operator, 1))
    if name in COST_CONTEXT_INPUTS:
        if name == "tier" and value is not None and value not in TIERS:
            return [f"when {condition!r}: tier is one of {', '.join(TIERS)}"]
        return []
    try:
        field = spec.field(name)
    except KeyError:
        return [f"when {condition!r} names unknown field {name!r}"]
    if value is None:
        return []
    if field.type == "bool" and value not in ("true", "false"):
        return [f"when {condition!r}: {name} is a bool, compare with true or false"]
    if field.type == "choice" and value not in {str(choice) for choice in field.choices}:
        return [f"when {condition!r}: {value!r} is not one of {name}'s choices"]
    return []


def check_cost_resources(spec: BlueprintSpec) -> CheckResult:
    """`cost_resources` against the Terraform: every resource of a type with a pricing rule has an
    entry, every entry names a real resource of the right type, and its conditions, counts,
    `{field}` attributes and usage quantities name fields and profile quantities that exist."""
    problems: list[str] = []
    resources = inventory(spec.files, spec.entry_dir)
    types = dict(resources)
    entries = spec.metadata.get("cost_resources", [])
    declared = {entry["address"] for entry in entries}
    known_fields = {field.name for field in spec.fields} | set(COST_CONTEXT_INPUTS)
    profiles = spec.metadata["usage_profiles"]
    for address, type_ in resources:
        if type_ in RULES and address not in declared:
            problems.append(f"{address}: {type_} is billable and has no cost_resources entry")
    for entry in entries:
        address, type_ = entry["address"], entry["type"]
        if address not in types:
            problems.append(f"{address}: no such resource in the blueprint's Terraform")
        elif types[address] != type_:
            problems.append(f"{address}: type {type_} differs from the Terraform's {types[address]}")
        if type_ not in RULES:
            problems.append(f"{address}: {type_} has no pricing rule (free types need no entry)")
        if entry.get("when"):
            problems += [f"{address}: {problem}" for problem in _condition_problems(spec, entry["when"])]
        count = entry.get("count", 1)
        if isinstance(count, str):
            if count not in known_fields:
                problems.append(f"{address}: count names unknown field {count!r}")
            elif count in {f.name for f in spec.fields} and spec.field(count).type not in (
                "integer",
                "number",
                "list",
            ):
                problems.append(f"{address}: count field {count!r} is neither a number nor a list")
        elif count < 0:
            problems.append(f"{address}: count must not be negative")
        for name in sorted(set(_field_refs(entry.get("attributes", {}))) - known_fields):
            problems.append(f"{address}: attribute value {{{name}}} names an unknown field")
        for parameter, source in entry.get("usage", {}).items():
            if isinstance(source, str):
                missing = [profile for profile, quantities in profiles.items() if source not in quantities]
                if missing:
                    problems.append(
                        f"{address}: usage {parameter} = {source!r} is missing from profile(s) "
                        + ", ".join(missing)
                    )
    return CheckResult("cost resources", spec.slug, "fail" if problems else "ok", "; ".join(problems))


def check_dr_profile(spec: BlueprintSpec) -> CheckResult:
    """The DR profile names real things: every output a drill reads is declared in the root
    module, every input is a form field or a context variable, every address is a resource of the
    blueprint. (That each runbook exists with exactly these steps is tested in tests/drills.)"""
    problems: list[str] = []
    outputs = {
        name
        for tf_file in sorted(spec.directory.glob("*.tf"))
        for name, _ in hcl.blocks(hcl.parse_file(tf_file), "output")
    }
    addresses = {address for address, _ in inventory(spec.files, spec.entry_dir)}
    inputs = {field.name for field in spec.fields} | set(spec.context_variables)
    for runbook in spec.dr.runbooks:
        problems += [f"{runbook.name}: no output {name!r}" for name in runbook.outputs if name not in outputs]
        problems += [f"{runbook.name}: no input {name!r}" for name in runbook.inputs if name not in inputs]
        problems += [f"{runbook.name}: no resource {a}" for a in runbook.addresses if a not in addresses]
    if spec.dr.assumed and not spec.dr.assumption:
        problems.append("assumed targets need an assumption saying why")
    if problems:
        return CheckResult("dr profile", spec.slug, "fail", "; ".join(problems))
    names = ", ".join(runbook.name for runbook in spec.dr.runbooks)
    return CheckResult("dr profile", spec.slug, "ok", names)


def check_packer(spec: BlueprintSpec, packer_bin: str) -> CheckResult | None:
    template = spec.metadata.get("packer_template")
    if not template:
        return None
    if shutil.which(packer_bin) is None:
        return CheckResult(
            "packer validate", spec.slug, "fail", f"{packer_bin} not found (run `make system`)"
        )
    proc = subprocess.run(
        [packer_bin, "validate", template],
        cwd=spec.directory,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"},
    )
    status = "ok" if proc.returncode == 0 else "fail"
    return CheckResult(
        "packer validate", f"{spec.slug}/{template}", status, (proc.stdout + proc.stderr).strip()[:500]
    )


def check_provider_schema(root: Path = TERRAFORM_ROOT) -> list[CheckResult]:
    schema = provider_schema.load_schema()
    report = provider_schema.check_modules(provider_schema.module_dirs(root), schema)
    source = f"hashicorp/aws {schema['provider_version']} schema"
    results = [
        CheckResult("aws provider schema", str(problem.file), "fail", f"{problem.address}: {problem.message}")
        for problem in report.problems
    ]
    return results or [CheckResult("aws provider schema", "terraform/", "ok", f"{report.summary} ({source})")]


def provider_available(provider: str, mirror: str | None) -> bool:
    if os.environ.get("PORTAL_TERRAFORM_REGISTRY") == "1":
        return True
    if not mirror:
        return False
    return (Path(mirror) / "registry.terraform.io" / "hashicorp" / provider).is_dir()


def check_validate(
    spec: BlueprintSpec, terraform_bin: str, mirror: str | None, env: dict[str, str]
) -> CheckResult:
    """`terraform init -backend=false && terraform validate` where the providers can be installed."""
    provider = "aws" if spec.runtime == "aws" else "null"
    if not provider_available(provider, mirror):
        return CheckResult(
            "terraform validate",
            spec.slug,
            "skipped",
            f"hashicorp/{provider} is not in the provider mirror ({mirror}) "
            "and PORTAL_TERRAFORM_REGISTRY is not 1",
        )
    with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
        for name, text in spec.files.items():
            target = Path(tmp) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        workdir = Path(tmp) / spec.entry_dir
        for argv in (
            [terraform_bin, "init", "-backend=false", "-input=false", "-no-color"],
            [terraform_bin, "validate", "-no-color"],
        ):
            proc = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
            if proc.returncode != 0:
                return CheckResult(
                    "terraform validate",
                    spec.slug,
                    "fail",
                    f"{argv[1]}: {(proc.stdout + proc.stderr).strip()[-600:]}",
                )
    return CheckResult(
        "terraform validate", spec.slug, "ok", f"init -backend=false + validate with {terraform_bin}"
    )


def run_all(
    *,
    terraform_bin: str,
    packer_bin: str,
    mirror: str | None,
    env: dict[str, str],
    root: Path = TERRAFORM_ROOT,
) -> list[CheckResult]:
    # Checks run Terraform in other folders, so a relative binary path must be made absolute.
    terraform_bin = str(Path(shutil.which(terraform_bin) or terraform_bin).resolve())
    results = [check_fmt(terraform_bin, root), *check_hcl_parse(root)]
    for directory in blueprint_dirs(root / "blueprints"):
        try:
            spec = load_blueprint(directory)
        except SpecError as exc:
            results.append(CheckResult("metadata schema", directory.name, "fail", str(exc)))
            continue
        results.append(CheckResult("metadata schema", spec.slug, "ok"))
        results += [
            check_variables_agree(spec),
            check_required_tags(spec),
            check_no_backend(spec),
            check_tier_defaults(spec),
            check_cost_resources(spec),
            check_dr_profile(spec),
        ]
        packer = check_packer(spec, packer_bin)
        if packer is not None:
            results.append(packer)
        results.append(check_validate(spec, terraform_bin, mirror, env))
    results += check_provider_schema(root)
    return results
