"""Every offline check of the blueprints, as run by `python manage.py blueprints check`.

Pure Python. Each check returns CheckResult rows; a check that cannot run here (no AWS provider for
`terraform validate`) says so as `skipped` with the reason, never as a pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprints import hcl, provider_schema
from blueprints.inputs import REQUIRED_MESSAGE, validate_inputs
from blueprints.spec import (
    AWS_REGIONS,
    BLUEPRINTS_DIR,
    REQUIRED_TAGS,
    BlueprintSpec,
    SpecError,
    blueprint_dirs,
    load_blueprint,
)

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
    return bool(mirror) and (Path(mirror) / "registry.terraform.io" / "hashicorp" / provider).is_dir()


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
        ]
        packer = check_packer(spec, packer_bin)
        if packer is not None:
            results.append(packer)
        results.append(check_validate(spec, terraform_bin, mirror, env))
    results += check_provider_schema(root)
    return results
