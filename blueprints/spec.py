"""Blueprint specs: a Terraform root module plus its blueprint.yaml metadata, loaded from disk.

Pure Python (no Django): the catalog app publishes these into the database, and the checks and
the CLI read them directly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from blueprints import hcl

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
BLUEPRINTS_DIR = REPO_ROOT / "terraform" / "blueprints"
METADATA_FILE = "blueprint.yaml"
TIERS = ("dev", "staging", "prod")

# Variables the portal fills itself on every run; they are not form fields.
CONTEXT_VARIABLES = ("name", "tier", "team", "cost_centre", "blueprint", "blueprint_version")
# AWS blueprints also take the region, which the request form asks for on every blueprint.
# Only regions the price catalog covers (portal/costs/prices/aws-*.json) are offered, so that no
# estimate is silently incomplete; eu-central-1 and ap-southeast-2 come back once they are priced
# from sourced figures (`blueprints check` fails when an offered region lacks a priced key).
AWS_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
# Account-level settings a blueprint may need and must not manage (one value per account and
# region; environments would overwrite each other). id -> what it is and how to set it.
ACCOUNT_PREREQUISITES = {
    "apigateway-cloudwatch-role": (
        "API Gateway CloudWatch Logs role (account setting, per region): REST API stage access and "
        "execution logs fail to deploy without it. Apply terraform/modules/apigateway_account once "
        "per account and region."
    ),
}
REQUIRED_TAGS = ("Team", "Environment", "Blueprint", "BlueprintVersion", "CostCentre")
# Files a blueprint version pins: everything Terraform or Packer reads, plus the metadata.
SOURCE_SUFFIXES = (".tf", ".hcl", ".yaml", ".svg", ".sh")


class SpecError(Exception):
    """A blueprint's files are missing or its metadata does not match the schema."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str
    help: str = ""
    default: Any = None
    choices: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    required: bool = False
    advanced: bool = False
    sensitive: bool = False
    show_if: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FieldSpec:
        values = dict(data)
        values["choices"] = tuple(values.get("choices", ()))
        return cls(**values)


@dataclass(frozen=True)
class DrRunbookSpec:
    """One drill a blueprint version pins: the runbook, its ordered steps and what it exercises."""

    name: str
    steps: tuple[str, ...]
    outputs: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DrRunbookSpec:
        resources = data.get("resources", {})
        return cls(
            name=data["name"],
            steps=tuple(data["steps"]),
            outputs=tuple(resources.get("outputs", ())),
            inputs=tuple(resources.get("inputs", ())),
            addresses=tuple(resources.get("addresses", ())),
        )


@dataclass(frozen=True)
class DrProfile:
    """A blueprint version's DR profile (the `dr:` section of blueprint.yaml)."""

    rto_minutes: float
    rpo_minutes: float
    assumed: bool
    assumption: str
    backups: tuple[str, ...]
    notes: str
    schedule: dict[str, str]
    runbooks: tuple[DrRunbookSpec, ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DrProfile:
        return cls(
            rto_minutes=float(data["rto_minutes"]),
            rpo_minutes=float(data["rpo_minutes"]),
            assumed=bool(data["assumed"]),
            assumption=str(data.get("assumption", "")),
            backups=tuple(data["backups"]),
            notes=str(data.get("notes", "")),
            schedule=dict(data["schedule"]),
            runbooks=tuple(DrRunbookSpec.from_dict(item) for item in data["runbooks"]),
        )

    @property
    def main_runbook(self) -> DrRunbookSpec:
        return self.runbooks[0]

    def runbook(self, name: str) -> DrRunbookSpec:
        for spec in self.runbooks:
            if spec.name == name:
                return spec
        raise KeyError(name)


@dataclass(frozen=True)
class BlueprintSpec:
    """Everything about one blueprint version, as read from its folder."""

    slug: str
    directory: Path
    metadata: dict[str, Any]
    fields: tuple[FieldSpec, ...]
    files: dict[str, str] = field(repr=False)

    @property
    def version(self) -> str:
        return str(self.metadata["version"])

    @property
    def title(self) -> str:
        return str(self.metadata["title"])

    @property
    def runtime(self) -> str:
        return str(self.metadata["runtime"])

    @property
    def seed(self) -> str | None:
        return self.metadata.get("seed")

    @property
    def dr(self) -> DrProfile:
        return DrProfile.from_dict(self.metadata["dr"])

    @property
    def account_prerequisites(self) -> dict[str, str]:
        return {key: ACCOUNT_PREREQUISITES[key] for key in self.metadata.get("account_prerequisites", [])}

    @property
    def context_variables(self) -> tuple[str, ...]:
        return CONTEXT_VARIABLES + (("region",) if self.runtime == "aws" else ())

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def tier_defaults(self, tier: str) -> dict[str, Any]:
        defaults = {spec.name: spec.default for spec in self.fields}
        defaults.update(self.metadata["tiers"][tier]["defaults"])
        return defaults

    @property
    def entry_dir(self) -> str:
        """Where Terraform runs, relative to the pinned file tree."""
        return f"blueprints/{self.slug}"

    @property
    def source_sha256(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        return digest.hexdigest()


@cache
def metadata_schema() -> dict[str, Any]:
    return dict(yaml.safe_load((PACKAGE_DIR / "metadata_schema.yaml").read_text()))


def local_module_dirs(directory: Path) -> set[Path]:
    """Folders of the local child modules (`source = "../../modules/x"`) a module uses, recursively."""
    found: set[Path] = set()
    pending = [directory]
    while pending:
        current = pending.pop()
        for tf_file in sorted(current.glob("*.tf")):
            for _, body in hcl.blocks(hcl.parse_file(tf_file), "module"):
                source = str(hcl.unquote(body.get("source", "")))
                if source.startswith(("./", "../")):
                    child = (current / source).resolve()
                    if child not in found:
                        found.add(child)
                        pending.append(child)
    return found


def read_source_files(directory: Path) -> dict[str, str]:
    """The files a blueprint version pins, keyed by path relative to the terraform/ folder:
    the blueprint's own folder plus every local module it uses, so a pinned version never
    changes when a shared module does."""
    directory = directory.resolve()
    root = directory.parent.parent
    files: dict[str, str] = {}
    for folder in [directory, *sorted(local_module_dirs(directory))]:
        if root not in folder.parents:
            raise SpecError(f"{directory.name}: module {folder} is outside {root}")
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in SOURCE_SUFFIXES and ".terraform" not in path.parts:
                files[path.relative_to(root).as_posix()] = path.read_text()
    return files


def load_blueprint(directory: Path) -> BlueprintSpec:
    meta_path = directory / METADATA_FILE
    if not meta_path.exists():
        raise SpecError(f"{directory.name}: no {METADATA_FILE}")
    try:
        metadata = yaml.safe_load(meta_path.read_text())
    except yaml.YAMLError as exc:
        raise SpecError(f"{directory.name}: {METADATA_FILE} is not valid YAML: {exc}") from exc
    errors = sorted(jsonschema.Draft202012Validator(metadata_schema()).iter_errors(metadata), key=str)
    if errors:
        details = "; ".join(
            f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors[:5]
        )
        raise SpecError(f"{directory.name}: {METADATA_FILE} does not match the schema: {details}")
    if metadata["slug"] != directory.name:
        raise SpecError(f"{directory.name}: slug {metadata['slug']!r} differs from the folder name")
    runbook_names = [item["name"] for item in metadata["dr"]["runbooks"]]
    if len(set(runbook_names)) != len(runbook_names):
        raise SpecError(f"{directory.name}: dr.runbooks names a runbook twice: {runbook_names}")
    return BlueprintSpec(
        slug=metadata["slug"],
        directory=directory,
        metadata=metadata,
        fields=tuple(FieldSpec.from_dict(item) for item in metadata["fields"]),
        files=read_source_files(directory),
    )


def blueprint_dirs(root: Path = BLUEPRINTS_DIR) -> list[Path]:
    return sorted(path for path in root.iterdir() if path.is_dir() and (path / METADATA_FILE).exists())


def load_all(root: Path = BLUEPRINTS_DIR) -> list[BlueprintSpec]:
    return [load_blueprint(directory) for directory in blueprint_dirs(root)]
