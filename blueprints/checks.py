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


def _write_tree(spec: BlueprintSpec, root: Path) -> Path:
    """Writes the blueprint's files (with its modules) under `root`; returns its root module folder."""
    for name, text in spec.files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root / spec.entry_dir


def _init_validate(terraform_bin: str, workdir: Path, env: dict[str, str], *, timeout_s: int) -> str | None:
    """`terraform init -backend=false` then `validate`; the failing step and its output, or None."""
    for argv in (
        [terraform_bin, "init", "-backend=false", "-input=false", "-no-color"],
        [terraform_bin, "validate", "-no-color"],
    ):
        proc = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout_s)
        if proc.returncode != 0:
            return f"{argv[1]}: {(proc.stdout + proc.stderr).strip()[-800:]}"
    return None


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
        failure = _init_validate(terraform_bin, _write_tree(spec, Path(tmp)), env, timeout_s=300)
        if failure:
            return CheckResult("terraform validate", spec.slug, "fail", failure)
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
    checkov_bin: str | None = None,
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
            check_function_url_permissions(spec),
            check_open_ingress(spec),
            check_gateway_endpoint_egress(spec),
            check_apigateway_account_role(spec),
            check_checkov_skips(spec),
        ]
        packer = check_packer(spec, packer_bin)
        if packer is not None:
            results.append(packer)
        results.append(check_validate(spec, terraform_bin, mirror, env))
    results += check_provider_schema(root)
    results.append(check_regions_priced())
    if checkov_bin is not None:
        results += check_checkov(checkov_bin, root)
    return results


# --------------------------------------------------------------------------------------------
# Defects a static reading can catch (issue 14): each check fails when the defect comes back.
# --------------------------------------------------------------------------------------------

#: Marker comment inside a security-group rule that opens a port to the whole internet on purpose.
PUBLIC_MARKER = "intentionally-public:"
#: Marker comment inside a security group with restricted egress that never needs S3.
NO_GATEWAY_MARKER = "no-gateway-endpoint:"
OPEN_CIDRS = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class _Resource:
    directory: str  # folder of the module, relative to terraform/
    type: str
    name: str
    body: dict[str, Any]
    raw: str  # the block's source text, comments included

    @property
    def address(self) -> str:
        return f"{self.directory}: {self.type}.{self.name}"


def _tree_blocks(files: dict[str, str], kind: str = "resource") -> list[_Resource]:
    """Every `resource` (or `module`) block of a pinned file tree with its raw text."""
    from blueprints.static_analysis import top_level_blocks

    found = []
    for name in sorted(files):
        if not name.endswith(".tf"):
            continue
        directory = name.rsplit("/", 1)[0]
        text = files[name]
        raw = {block.address: block.text for block in top_level_blocks(text)}
        doc = hcl.parse_text(text)
        for type_, body in hcl.blocks(doc, kind):
            if kind == "module":
                found.append(_Resource(directory, "module", type_, body, raw.get(f"module.{type_}", "")))
                continue
            for resource_name, resource_body in hcl.labelled([body]):
                raw_text = raw.get(f"{type_}.{resource_name}", "")
                found.append(_Resource(directory, type_, resource_name, resource_body, raw_text))
    return found


def _value(body: dict[str, Any], key: str) -> Any:
    value = body.get(key)
    if isinstance(value, list) and len(value) == 1 and not isinstance(value[0], dict):
        value = value[0]
    return hcl.unquote(value) if isinstance(value, str) else value


def _literal_strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(hcl.unquote(item)) for item in value if isinstance(item, str)]
    return [str(hcl.unquote(value))] if isinstance(value, str) else []


def check_function_url_permissions(spec: BlueprintSpec) -> CheckResult:
    """A function URL that can be public (authorization_type NONE, or chosen by a variable) needs
    two resource-policy statements on its function: lambda:InvokeFunctionUrl with
    function_url_auth_type NONE, and (since October 2025) lambda:InvokeFunction with
    invoked_via_function_url = true. Without the second the URL answers 403."""
    resources = _tree_blocks(spec.files)
    problems = []
    for url in (r for r in resources if r.type == "aws_lambda_function_url"):
        auth = _value(url.body, "authorization_type")
        if auth == "AWS_IAM":
            continue
        function = _value(url.body, "function_name")
        permissions = [
            r
            for r in resources
            if r.type == "aws_lambda_permission"
            and r.directory == url.directory
            and _value(r.body, "function_name") == function
        ]
        url_grant = any(
            _value(p.body, "action") == "lambda:InvokeFunctionUrl"
            and _value(p.body, "function_url_auth_type") == "NONE"
            for p in permissions
        )
        invoke_grant = any(
            _value(p.body, "action") == "lambda:InvokeFunction"
            and _value(p.body, "invoked_via_function_url") in (True, "true")
            for p in permissions
        )
        if not url_grant:
            problems.append(
                f"{url.address} is public and no aws_lambda_permission grants lambda:InvokeFunctionUrl "
                "with function_url_auth_type NONE"
            )
        if not invoke_grant:
            problems.append(
                f"{url.address} is public and no aws_lambda_permission grants lambda:InvokeFunction "
                "with invoked_via_function_url = true (required since October 2025, else 403)"
            )
    return CheckResult("public function URLs", spec.slug, "fail" if problems else "ok", "; ".join(problems))


def _open_cidrs(resource: _Resource) -> list[str]:
    body = resource.body
    if resource.type == "aws_vpc_security_group_ingress_rule":
        values = [_value(body, "cidr_ipv4"), _value(body, "cidr_ipv6")]
        return [v for v in values if v in OPEN_CIDRS]
    if resource.type == "aws_security_group_rule" and _value(body, "type") == "ingress":
        return [
            c
            for c in _literal_strings(body.get("cidr_blocks"))
            + _literal_strings(body.get("ipv6_cidr_blocks"))
            if c in OPEN_CIDRS
        ]
    if resource.type == "aws_security_group":
        found = []
        for rule in body.get("ingress", []) or []:
            if isinstance(rule, dict):
                cidrs = _literal_strings(rule.get("cidr_blocks")) + _literal_strings(
                    rule.get("ipv6_cidr_blocks")
                )
                found += [c for c in cidrs if c in OPEN_CIDRS]
        return found
    return []


def check_open_ingress(spec: BlueprintSpec) -> CheckResult:
    """No security group opens a port to 0.0.0.0/0 (or ::/0) unless the rule carries an
    `# intentionally-public: <reason>` comment."""
    problems = []
    for resource in _tree_blocks(spec.files):
        cidrs = _open_cidrs(resource)
        if not cidrs:
            continue
        marker = re.search(re.escape(PUBLIC_MARKER) + r"\s*(\S.{8,})", resource.raw)
        if not marker:
            problems.append(
                f"{resource.address} opens ingress to {', '.join(cidrs)} without an "
                f"`# {PUBLIC_MARKER} <reason>` comment"
            )
    return CheckResult("no unmarked 0.0.0.0/0", spec.slug, "fail" if problems else "ok", "; ".join(problems))


def check_gateway_endpoint_egress(spec: BlueprintSpec) -> CheckResult:
    """Where a blueprint's VPC has an S3 gateway endpoint, every security group whose egress is
    restricted (egress rules, none to 0.0.0.0/0) must allow the endpoint's prefix list, or carry
    an `# no-gateway-endpoint: <reason>` comment. Terraform removes AWS's default allow-all
    egress, and S3 is not inside the VPC CIDR, so otherwise S3 is unreachable."""
    resources = _tree_blocks(spec.files)
    modules = _tree_blocks(spec.files, "module")
    problems = []
    for directory in sorted({r.directory for r in resources} | {m.directory for m in modules}):
        with_s3 = any(
            m.directory == directory
            and str(_value(m.body, "source")).rstrip("/").endswith("modules/vpc")
            and "s3" in _literal_strings(m.body.get("gateway_endpoints"))
            for m in modules
        )
        if not with_s3:
            continue
        groups = [r for r in resources if r.directory == directory and r.type == "aws_security_group"]
        for group in groups:
            reference = f"aws_security_group.{group.name}"
            egress = [
                r
                for r in resources
                if r.directory == directory
                and r.type == "aws_vpc_security_group_egress_rule"
                and reference in str(r.body.get("security_group_id", ""))
            ]
            if not egress:
                continue  # no egress at all: the group never initiates connections
            if any(_value(r.body, "cidr_ipv4") in OPEN_CIDRS for r in egress):
                continue
            if any("prefix_list" in str(r.body.get("prefix_list_id", "")) for r in egress):
                continue
            if re.search(re.escape(NO_GATEWAY_MARKER) + r"\s*\S.{8,}", group.raw):
                continue
            problems.append(
                f"{group.address} restricts egress but no rule allows the S3 gateway endpoint's prefix "
                f'list (module.vpc.gateway_endpoint_prefix_list_ids["s3"]); add one or an '
                f"`# {NO_GATEWAY_MARKER} <reason>` comment"
            )
    return CheckResult("S3 endpoint reachable", spec.slug, "fail" if problems else "ok", "; ".join(problems))


def _rest_api_logging(resources: list[_Resource]) -> list[str]:
    """Addresses of REST API stages or method settings that write CloudWatch logs."""
    found = []
    for r in resources:
        if r.type == "aws_api_gateway_stage":
            dynamic = [label for d in r.body.get("dynamic", []) for label in d]
            if r.body.get("access_log_settings") or '"access_log_settings"' in dynamic:
                found.append(r.address)
        elif r.type == "aws_api_gateway_method_settings":
            for settings in r.body.get("settings", []) or []:
                level = _value(settings, "logging_level") if isinstance(settings, dict) else None
                if level not in (None, "OFF") or (
                    isinstance(settings, dict) and settings.get("data_trace_enabled")
                ):
                    found.append(r.address)
    return found


def check_apigateway_account_role(spec: BlueprintSpec) -> CheckResult:
    """REST API stage logging needs the account-level API Gateway CloudWatch role: the blueprint
    either sets it (aws_api_gateway_account) or declares the account prerequisite
    `apigateway-cloudwatch-role` so that the catalog and docs tell operators to set it first."""
    resources = _tree_blocks(spec.files)
    logging = _rest_api_logging(resources)
    managed = any(r.type == "aws_api_gateway_account" for r in resources)
    declared = "apigateway-cloudwatch-role" in spec.metadata.get("account_prerequisites", [])
    if logging and not (managed or declared):
        return CheckResult(
            "API Gateway account role",
            spec.slug,
            "fail",
            f"{', '.join(logging)} log to CloudWatch, which needs the account's API Gateway CloudWatch "
            "role: declare `account_prerequisites: [apigateway-cloudwatch-role]` in blueprint.yaml "
            "(or manage aws_api_gateway_account)",
        )
    return CheckResult("API Gateway account role", spec.slug, "ok")


def check_checkov_skips(spec: BlueprintSpec) -> CheckResult:
    """Every `checkov:skip` in the blueprint's tree gives a reason."""
    from blueprints.static_analysis import accepted_skips, unexplained

    bad = unexplained(accepted_skips(spec.files))
    detail = "; ".join(f"{s.file}:{s.line} {s.check_id} on {s.resource} has no reason" for s in bad)
    return CheckResult("checkov skips explained", spec.slug, "fail" if bad else "ok", detail)


def check_checkov(checkov_bin: str, root: Path = TERRAFORM_ROOT) -> list[CheckResult]:
    """checkov over every blueprint and module: any failed check, or a skip without a reason,
    fails. Accepted skips are counted in the ok line."""
    from blueprints.static_analysis import CheckovUnavailable, run_checkov

    try:
        report = run_checkov(checkov_bin, root)
    except (CheckovUnavailable, subprocess.TimeoutExpired) as exc:
        return [CheckResult("checkov", "terraform/", "fail", str(exc))]
    results = [
        CheckResult("checkov", finding.resource, "fail", f"unexplained finding {finding}")
        for finding in report.findings
    ]
    results += [
        CheckResult("checkov", finding.resource, "fail", f"skip without a reason: {finding}")
        for finding in report.skipped_without_reason
    ]
    summary = (
        f"checkov {report.version}: {report.passed} passed, {report.failed} failed, "
        f"{report.skipped} skipped with a reason"
    )
    return results or [CheckResult("checkov", "terraform/", "ok", summary)]


PRICES_DIR = TERRAFORM_ROOT.parent / "portal" / "costs" / "prices"


def check_regions_priced(
    prices_dir: Path = PRICES_DIR, regions: tuple[str, ...] = AWS_REGIONS
) -> CheckResult:
    """Every region the request form offers has a price for every key the first region has, so an
    estimate is never silently incomplete (never a silent $0)."""
    import json

    catalogs = sorted(prices_dir.glob("aws-*.json"))
    if not catalogs:
        return CheckResult(
            "offered regions priced", "portal/costs/prices", "fail", "no aws-*.json price catalog"
        )
    entries = json.loads(catalogs[-1].read_text())["prices"]
    keys: dict[str, set[str]] = {}
    for entry in entries:
        keys.setdefault(entry["region"], set()).add(entry["key"])
    reference = keys.get(regions[0], set())
    problems = []
    for region in regions:
        missing = sorted(reference - keys.get(region, set()))
        if missing:
            problems.append(f"{region} lacks {len(missing)} price keys ({', '.join(missing[:5])}...)")
    return CheckResult(
        "offered regions priced",
        catalogs[-1].name,
        "fail" if problems else "ok",
        "; ".join(problems) or f"{', '.join(regions)}: {len(reference)} keys each",
    )


# --------------------------------------------------------------------------------------------
# --with-provider: init + validate (+ plan per tier) against the real AWS provider
# --------------------------------------------------------------------------------------------

MIN_TERRAFORM = (1, 5, 7)
#: Data sources the AWS provider answers without calling AWS (so a plan with dummy credentials
#: can still run). Any other data source reads the account and needs real credentials.
OFFLINE_DATA_SOURCES = {"aws_iam_policy_document", "aws_partition", "aws_region"}
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAPORTALCHECKDUMMY",
    "AWS_SECRET_ACCESS_KEY": "portal-check-dummy-secret",
    "AWS_EC2_METADATA_DISABLED": "true",
}
# An override file merged into the blueprint's provider block for plans with dummy credentials.
_PLAN_OVERRIDE = """provider "aws" {
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}
"""


def terraform_version(terraform_bin: str) -> tuple[int, ...] | None:
    """The binary's version, or None when it does not run."""
    import json

    try:
        proc = subprocess.run([terraform_bin, "version", "-json"], capture_output=True, text=True, timeout=60)
        version = json.loads(proc.stdout)["terraform_version"]
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError):
        return None
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def _api_data_sources(spec: BlueprintSpec) -> list[str]:
    found = set()
    for name, text in spec.files.items():
        if name.endswith(".tf"):
            found |= {type_ for type_, _ in hcl.blocks(hcl.parse_text(text), "data")}
    return sorted(found - OFFLINE_DATA_SOURCES)


def _tfvars(spec: BlueprintSpec, tier: str) -> dict[str, Any] | None:
    """Tier defaults plus the portal's context variables; None when a required field has no
    default (only a requester can fill it in)."""
    values = {k: v for k, v in spec.tier_defaults(tier).items() if v is not None}
    if any(f.required and f.name not in values for f in spec.fields):
        return None
    values.update(
        name=f"check-{spec.slug}"[:30],
        tier=tier,
        team="platform",
        cost_centre="check",
        blueprint=spec.slug,
        blueprint_version=spec.version,
    )
    if spec.runtime == "aws":
        values["region"] = AWS_REGIONS[0]
    return values


def check_with_provider(
    spec: BlueprintSpec, terraform_bin: str, mirror: str | None, env: dict[str, str]
) -> list[CheckResult]:
    """`terraform init` + `validate` of an AWS blueprint with the real hashicorp/aws provider,
    then a plan of each tier with dummy credentials where the blueprint reads nothing from the
    account. Each step that cannot run says `skipped` and why; none passes silently."""
    import json

    subject = spec.slug
    version = terraform_version(terraform_bin)
    if version is None:
        return [CheckResult("provider validate", subject, "skipped", f"{terraform_bin} does not run")]
    if version < MIN_TERRAFORM:
        return [
            CheckResult(
                "provider validate",
                subject,
                "skipped",
                f"TERRAFORM_BIN is Terraform {'.'.join(map(str, version))}; the AWS blueprints need >= 1.5.7",
            )
        ]
    if not provider_available("aws", mirror):
        return [
            CheckResult(
                "provider validate",
                subject,
                "skipped",
                f"hashicorp/aws is not in the provider mirror ({mirror}) "
                "and PORTAL_TERRAFORM_REGISTRY is not 1",
            )
        ]
    results: list[CheckResult] = []
    with tempfile.TemporaryDirectory(prefix="provider-check-") as tmp:
        workdir = _write_tree(spec, Path(tmp))
        failure = _init_validate(terraform_bin, workdir, env, timeout_s=600)
        if failure:
            return [CheckResult("provider validate", subject, "fail", failure)]
        results.append(
            CheckResult(
                "provider validate",
                subject,
                "ok",
                f"init + validate with Terraform {'.'.join(map(str, version))}",
            )
        )
        readers = _api_data_sources(spec)
        if readers:
            reason = "needs AWS credentials: data sources read the account (" + ", ".join(readers) + ")"
            return [*results, CheckResult("provider plan", subject, "skipped", reason)]
        (workdir / "zz_portal_check_override.tf").write_text(_PLAN_OVERRIDE)
        for tier in spec.metadata["tiers"]:
            values = _tfvars(spec, tier)
            if values is None:
                results.append(
                    CheckResult(
                        "provider plan", f"{subject}/{tier}", "skipped", "a required field has no default"
                    )
                )
                continue
            (workdir / "check.auto.tfvars.json").write_text(json.dumps(values))
            proc = subprocess.run(
                [terraform_bin, "plan", "-input=false", "-refresh=false", "-lock=false", "-no-color"],
                cwd=workdir,
                env={**env, **DUMMY_CREDENTIALS},
                capture_output=True,
                text=True,
                timeout=600,
            )
            status = "ok" if proc.returncode == 0 else "fail"
            results.append(
                CheckResult(
                    "provider plan",
                    f"{subject}/{tier}",
                    status,
                    "plan with dummy credentials" if status == "ok" else (proc.stdout + proc.stderr)[-800:],
                )
            )
    return results


def run_with_provider(
    *, terraform_bin: str, mirror: str | None, env: dict[str, str], root: Path = TERRAFORM_ROOT
) -> list[CheckResult]:
    terraform_bin = str(Path(shutil.which(terraform_bin) or terraform_bin).resolve())
    results: list[CheckResult] = []
    for directory in blueprint_dirs(root / "blueprints"):
        spec = load_blueprint(directory)
        if spec.runtime == "aws":
            results += check_with_provider(spec, terraform_bin, mirror, env)
    return results
