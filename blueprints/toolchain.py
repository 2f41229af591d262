"""Can this installation run a blueprint? Pure Python (no Django), so the CLI and tests use it too.

Facts about the machine (`ToolchainFacts`: the Terraform and Packer versions, the providers in the
filesystem mirrors, what the Terraform CLI config allows, whether AWS credentials answer) are
gathered once by `gather_facts`; `blueprint_readiness` then judges one blueprint version's files
against them, with a sentence per problem that says what an operator must configure.

Version constraints follow Terraform's syntax (hashicorp/go-version): a comma-separated list of
`=`, `!=`, `>`, `>=`, `<`, `<=` and `~>` clauses, all of which must hold.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from blueprints.hcl import parse_text, unquote

DEFAULT_HOST = "registry.terraform.io"
DOC_LINKS = {
    "terraform": "README.md#aws-and-a-real-terraform",
    "provider": "README.md#aws-and-a-real-terraform",
    "credentials": "README.md#aws-and-a-real-terraform",
}
OPERATORS = ("~>", ">=", "<=", "!=", ">", "<", "=")
VERSION_RE = re.compile(r"^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


class ConstraintError(ValueError):
    """A version or constraint that Terraform itself would not accept."""


@dataclass(frozen=True, eq=False)
class Version:
    """A dotted version; `1.5` and `1.5.0` compare equal. A pre-release sorts before its release."""

    segments: tuple[int, ...]
    prerelease: str = ""
    given: int = field(default=3, compare=False)  # how many segments were written (for `~>`)

    @classmethod
    def parse(cls, text: str) -> Version:
        match = VERSION_RE.match(text.strip())
        if not match:
            raise ConstraintError(f"{text!r} is not a version")
        numbers = tuple(int(part) for part in match.group(1).split("."))
        padded = numbers + (0,) * (3 - len(numbers)) if len(numbers) < 3 else numbers
        return cls(padded, match.group(2) or "", len(numbers))

    def _key(self) -> tuple[tuple[int, ...], int, str]:
        return (self.segments, 0 if self.prerelease else 1, self.prerelease)

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Version) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Version) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Version) -> bool:
        return self._key() >= other._key()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        text = ".".join(map(str, self.segments[: max(self.given, 1)]))
        return f"{text}-{self.prerelease}" if self.prerelease else text


@dataclass(frozen=True)
class Clause:
    operator: str
    version: Version

    def allows(self, version: Version) -> bool:
        op, bound = self.operator, self.version
        if version.prerelease and not (bound.prerelease and version.segments == bound.segments):
            return False  # as in Terraform, a pre-release matches only a clause naming that release
        if op == "=":
            return version == bound
        if op == "!=":
            return version != bound
        if op == ">":
            return version > bound
        if op == ">=":
            return version >= bound
        if op == "<":
            return version < bound
        if op == "<=":
            return version <= bound
        # ~>: at least the bound, and the same leading segments except the last one written
        if version < bound:
            return False
        keep = max(bound.given - 1, 1)
        return version.segments[:keep] == bound.segments[:keep] if bound.given > 1 else True

    def __str__(self) -> str:
        return f"{self.operator} {self.version}"


def parse_constraint(text: str) -> tuple[Clause, ...]:
    """`">= 1.2, < 2.0"` as clauses; a bare version means `=`."""
    clauses = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ConstraintError(f"{text!r} has an empty clause")
        operator = next((op for op in OPERATORS if part.startswith(op)), "=")
        rest = part[len(operator) :].strip() if part.startswith(operator) else part
        clauses.append(Clause(operator, Version.parse(rest)))
    return tuple(clauses)


def constraint_allows(constraint: str, version: str | Version) -> bool:
    """Whether `version` satisfies every clause of `constraint`."""
    parsed = version if isinstance(version, Version) else Version.parse(version)
    return all(clause.allows(parsed) for clause in parse_constraint(constraint))


def explain_mismatch(what: str, version: str, constraint: str) -> str:
    """One sentence naming the first clause that fails, e.g. "Terraform 1.0.3 is older than this
    blueprint's required >= 1.5.7"."""
    parsed = Version.parse(version)
    for clause in parse_constraint(constraint):
        if clause.allows(parsed):
            continue
        if clause.operator in (">", ">=") or (clause.operator == "~>" and parsed < clause.version):
            return f"{what} {version} is older than this blueprint's required {clause}"
        if clause.operator in ("<", "<=", "~>"):
            return f"{what} {version} is newer than this blueprint's required {clause}"
        return f"{what} {version} does not satisfy this blueprint's required {clause}"
    return f"{what} {version} satisfies {constraint}"


# ---------------------------------------------------------------------------------------------
# What a blueprint needs, read from its Terraform files


@dataclass(frozen=True)
class ProviderRequirement:
    source: str  # fully qualified: registry.terraform.io/hashicorp/aws
    constraints: tuple[str, ...]

    @property
    def short(self) -> str:
        return self.source.removeprefix(DEFAULT_HOST + "/")

    @property
    def constraint(self) -> str:
        return ", ".join(self.constraints)


@dataclass(frozen=True)
class Requirements:
    terraform: tuple[str, ...]  # every required_version found (all must hold)
    providers: tuple[ProviderRequirement, ...]


def qualify_source(source: str) -> str:
    """`hashicorp/aws` → `registry.terraform.io/hashicorp/aws`; `aws` → `…/hashicorp/aws`."""
    parts = source.strip().lower().split("/")
    if len(parts) == 1:
        parts = ["hashicorp", *parts]
    if len(parts) == 2:
        parts = [DEFAULT_HOST, *parts]
    return "/".join(parts)


def requirements_from_files(files: dict[str, str]) -> Requirements:
    """The `required_version` and `required_providers` of every .tf file in a blueprint snapshot
    (its root module and the local modules it uses: Terraform checks them all)."""
    return _requirements(tuple(sorted((name, text) for name, text in files.items() if name.endswith(".tf"))))


@lru_cache(maxsize=64)
def _requirements(files: tuple[tuple[str, str], ...]) -> Requirements:
    versions: list[str] = []
    providers: dict[str, list[str]] = {}
    for _name, text in files:
        if "required_version" not in text and "required_providers" not in text:
            continue  # parsing HCL is slow; most files have no terraform block
        for block in parse_text(text).get("terraform", []):
            if not isinstance(block, dict):
                continue
            if "required_version" in block:
                versions.append(str(unquote(block["required_version"])))
            for providers_block in block.get("required_providers", []):
                for local_name, body in providers_block.items():
                    if local_name.startswith("__"):
                        continue
                    body = body if isinstance(body, dict) else {"version": body}
                    source = qualify_source(str(unquote(body.get("source", f'"{local_name}"'))))
                    constraints = providers.setdefault(source, [])
                    if body.get("version") and unquote(body["version"]) not in constraints:
                        constraints.append(str(unquote(body["version"])))
    return Requirements(
        terraform=tuple(dict.fromkeys(versions)),
        providers=tuple(ProviderRequirement(source, tuple(c)) for source, c in sorted(providers.items())),
    )


# ---------------------------------------------------------------------------------------------
# What the machine has


@dataclass(frozen=True)
class MirrorProvider:
    source: str
    version: str
    platforms: tuple[str, ...]
    mirror: str


def mirror_providers(mirror: str | Path) -> list[MirrorProvider]:
    """Providers in a filesystem mirror, in Terraform's unpacked layout
    `<mirror>/<host>/<ns>/<type>/<version>/<os_arch>/` or its packed layout
    `<mirror>/<host>/<ns>/<type>/terraform-provider-<type>_<version>_<os>_<arch>.zip`."""
    root = Path(mirror)
    found: dict[tuple[str, str], set[str]] = {}
    if not root.is_dir():
        return []
    for type_dir in sorted(root.glob("*/*/*")):
        if not type_dir.is_dir():
            continue
        source = "/".join(type_dir.relative_to(root).parts).lower()
        for entry in type_dir.iterdir():
            if entry.is_dir():
                for platform in entry.iterdir():
                    if platform.is_dir() and any(platform.iterdir()):
                        found.setdefault((source, entry.name), set()).add(platform.name)
            packed = re.match(
                rf"terraform-provider-{re.escape(type_dir.name)}_(.+)_([a-z0-9]+_[a-z0-9]+)\.zip$", entry.name
            )
            if entry.is_file() and packed:
                found.setdefault((source, packed.group(1)), set()).add(packed.group(2))
    return [
        MirrorProvider(source, version, tuple(sorted(platforms)), str(root))
        for (source, version), platforms in sorted(found.items())
    ]


@dataclass(frozen=True)
class InstallMethod:
    kind: str  # "filesystem_mirror" | "direct"
    path: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def covers(self, source: str) -> bool:
        def match(patterns: tuple[str, ...]) -> bool:
            return any(fnmatch.fnmatchcase(source, qualify_pattern(p)) for p in patterns)

        return (not self.include or match(self.include)) and not match(self.exclude)


def qualify_pattern(pattern: str) -> str:
    parts = pattern.strip().lower().split("/")
    return "/".join([DEFAULT_HOST, *parts] if len(parts) == 2 else parts)


def install_methods(cli_config_text: str | None) -> tuple[InstallMethod, ...]:
    """The CLI config's `provider_installation` methods. Without that block (or without a config
    file at all) Terraform installs every provider directly from its registry."""
    if not cli_config_text:
        return (InstallMethod("direct"),)
    try:
        doc = parse_text(cli_config_text)
    except Exception:  # Terraform refuses an unreadable config too; no method is known
        return ()
    methods: list[InstallMethod] = []
    for block in doc.get("provider_installation", []):
        for kind in ("filesystem_mirror", "direct"):
            for body in block.get(kind, []) if isinstance(block, dict) else []:
                methods.append(
                    InstallMethod(
                        kind,
                        path=str(unquote(body.get("path", ""))),
                        include=tuple(str(unquote(p)) for p in body.get("include", [])),
                        exclude=tuple(str(unquote(p)) for p in body.get("exclude", [])),
                    )
                )
    if not doc.get("provider_installation"):
        return (InstallMethod("direct"),)
    return tuple(methods)


@dataclass
class ToolchainFacts:
    """What this machine offers, gathered once and cached by the caller."""

    terraform_bin: str = ""
    terraform_version: str = ""
    terraform_platform: str = ""
    terraform_error: str = ""
    packer_bin: str = ""
    packer_version: str = ""
    packer_error: str = ""
    mirror: str = ""
    cli_config: str = ""
    cli_config_error: str = ""
    methods: list[dict[str, Any]] = field(default_factory=list)
    providers: list[dict[str, Any]] = field(default_factory=list)
    aws_checked: bool = False
    aws_identity: dict[str, str] | None = None
    aws_error: str = ""
    checked_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolchainFacts:
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in data.items() if key in known})

    @property
    def install_methods(self) -> tuple[InstallMethod, ...]:
        return tuple(
            InstallMethod(
                m["kind"], m.get("path", ""), tuple(m.get("include", ())), tuple(m.get("exclude", ()))
            )
            for m in self.methods
        )


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CHECKPOINT_DISABLE": "1",
        "HOME": tempfile.gettempdir(),
    }
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def terraform_version(terraform_bin: str, timeout: float = 10) -> tuple[str, str, str]:
    """(version, platform, error) from `terraform version -json` (Terraform >= 0.13), else from the
    first line of `terraform version` ("Terraform v0.12.31")."""
    try:
        proc = _run([terraform_bin, "version", "-json"], timeout)
    except FileNotFoundError:
        return "", "", f"no Terraform at TERRAFORM_BIN={terraform_bin}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "", "", f"`{terraform_bin} version` failed: {exc}"
    try:
        data = json.loads(proc.stdout)
        return str(data["terraform_version"]), str(data.get("platform", "")), ""
    except (ValueError, KeyError, TypeError):
        match = re.search(r"Terraform v(\S+)", proc.stdout)
        if match:
            return match.group(1), "", ""
        return "", "", f"`{terraform_bin} version` gave no version (exit {proc.returncode})"


def packer_version(packer_bin: str, timeout: float = 10) -> tuple[str, str]:
    """(version, error) from `packer version` ("Packer v1.6.6")."""
    try:
        proc = _run([packer_bin, "version"], timeout)
    except FileNotFoundError:
        return "", f"no Packer at PACKER_BIN={packer_bin}"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "", f"`{packer_bin} version` failed: {exc}"
    match = re.search(r"Packer v(\S+)", proc.stdout)
    return (match.group(1), "") if match else ("", f"`{packer_bin} version` gave no version")


def aws_identity(timeout: float = 3.0, endpoint_url: str | None = None) -> tuple[dict[str, str] | None, str]:
    """(identity, error): STS GetCallerIdentity with a short timeout and no retries. With no
    credentials configured at all, it answers at once without touching the network."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.Session()
    if session.get_credentials() is None:
        return None, "no AWS credentials are configured"
    config = Config(
        connect_timeout=timeout, read_timeout=timeout, retries={"total_max_attempts": 1, "mode": "standard"}
    )
    try:
        client = session.client(
            "sts", config=config, endpoint_url=endpoint_url, region_name=session.region_name or "us-east-1"
        )
        answer = client.get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        return None, f"AWS credentials did not answer: {exc}"
    return {"account": answer["Account"], "arn": answer["Arn"]}, ""


def gather_facts(
    *,
    terraform_bin: str,
    packer_bin: str,
    mirror: str,
    cli_config: str,
    check_aws: bool = True,
    aws_endpoint_url: str | None = None,
    now: str = "",
) -> ToolchainFacts:
    """Runs the version commands, lists the mirrors and (optionally) asks STS who we are."""
    facts = ToolchainFacts(
        terraform_bin=terraform_bin, packer_bin=packer_bin, mirror=mirror, cli_config=cli_config
    )
    facts.terraform_version, facts.terraform_platform, facts.terraform_error = terraform_version(
        terraform_bin
    )
    facts.packer_version, facts.packer_error = packer_version(packer_bin)
    config_text = None
    if cli_config and Path(cli_config).is_file():
        config_text = Path(cli_config).read_text(encoding="utf-8", errors="replace")
    methods = install_methods(config_text)
    if config_text and not methods:
        facts.cli_config_error = f"the Terraform CLI config {cli_config} could not be read"
    facts.methods = [asdict(m) for m in methods]
    mirrors = [m.path for m in methods if m.kind == "filesystem_mirror" and m.path]
    if mirror and mirror not in mirrors:
        mirrors.append(mirror)
    facts.providers = [asdict(p) for path in mirrors for p in mirror_providers(path)]
    if check_aws:
        facts.aws_identity, facts.aws_error = aws_identity(endpoint_url=aws_endpoint_url)
        facts.aws_checked = True
    facts.checked_at = now
    return facts


# ---------------------------------------------------------------------------------------------
# The verdict


@dataclass(frozen=True)
class Problem:
    kind: str  # terraform | provider | credentials
    message: str
    configure: str  # the setting an operator changes
    doc: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Readiness:
    ready: bool
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()  # facts worth showing that do not block (e.g. "from the registry")

    @property
    def summary(self) -> str:
        if self.ready:
            return "Ready to run here."
        return " ".join(p.message + "." for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "summary": self.summary,
            "problems": [p.to_dict() for p in self.problems],
            "notes": list(self.notes),
        }


def _provider_problem(requirement: ProviderRequirement, facts: ToolchainFacts) -> tuple[Problem | None, str]:
    platform = facts.terraform_platform
    methods = facts.install_methods
    mirror_paths = {m.path for m in methods if m.kind == "filesystem_mirror" and m.covers(requirement.source)}
    candidates = [p for p in facts.providers if p["source"] == requirement.source]
    usable = [
        p
        for p in candidates
        if p["mirror"] in mirror_paths or not any(m.kind == "filesystem_mirror" for m in methods)
    ]
    matching = [
        p
        for p in usable
        if all(constraint_allows(c, p["version"]) for c in requirement.constraints)
        and (not platform or platform in p["platforms"])
    ]
    wanted = f"{requirement.short} {requirement.constraint}".strip()
    if matching:
        best = max(matching, key=lambda p: Version.parse(p["version"]))
        return None, f"{requirement.short} {best['version']} from the mirror {best['mirror']}"
    if any(m.kind == "direct" and m.covers(requirement.source) for m in methods):
        return (
            None,
            f"{wanted} from the registry (the CLI config allows direct installation; not checked offline)",
        )
    if candidates and not usable:
        message = (
            f"The provider {requirement.short} is in {candidates[0]['mirror']}, but the Terraform CLI config "
            "does not install it from there"
        )
    elif candidates:
        have = ", ".join(sorted({f"{p['version']} ({'/'.join(p['platforms'])})" for p in candidates}))
        message = f"The provider mirror has {requirement.short} {have}, but this blueprint needs {wanted}" + (
            f" for {platform}" if platform else ""
        )
    else:
        message = (
            f"The provider {wanted} is not in the provider mirror, and the Terraform CLI config does not "
            "allow installing it from the registry"
        )
    return Problem(
        "provider", message, "TERRAFORM_PROVIDER_MIRROR (or TERRAFORM_CLI_CONFIG)", DOC_LINKS["provider"]
    ), ""


def blueprint_readiness(files: dict[str, str], runtime: str, facts: ToolchainFacts) -> Readiness:
    """Whether a blueprint version (its snapshot `files`) can run with `facts`, and why not."""
    problems: list[Problem] = []
    notes: list[str] = []
    requirements = requirements_from_files(files)
    if not facts.terraform_version:
        problems.append(
            Problem(
                "terraform",
                f"Terraform could not be run ({facts.terraform_error or 'unknown error'})",
                "TERRAFORM_BIN",
                DOC_LINKS["terraform"],
            )
        )
    else:
        for constraint in requirements.terraform:
            try:
                ok = constraint_allows(constraint, facts.terraform_version)
            except ConstraintError as exc:
                problems.append(
                    Problem(
                        "terraform",
                        f"Unreadable required_version: {exc}",
                        "TERRAFORM_BIN",
                        DOC_LINKS["terraform"],
                    )
                )
                continue
            if not ok:
                problems.append(
                    Problem(
                        "terraform",
                        explain_mismatch("Terraform", facts.terraform_version, constraint),
                        "TERRAFORM_BIN",
                        DOC_LINKS["terraform"],
                    )
                )
    for requirement in requirements.providers:
        try:
            problem, note = _provider_problem(requirement, facts)
        except ConstraintError as exc:
            problem, note = (
                Problem(
                    "provider",
                    f"Unreadable provider constraint: {exc}",
                    "TERRAFORM_PROVIDER_MIRROR",
                    DOC_LINKS["provider"],
                ),
                "",
            )
        if problem:
            problems.append(problem)
        if note:
            notes.append(note)
    if runtime == "aws" and facts.aws_checked and facts.aws_identity is None:
        problems.append(
            Problem(
                "credentials",
                f"The workers have no working AWS credentials ({facts.aws_error})",
                "AWS credentials for the workers (instance role, AWS_PROFILE or AWS_* variables)",
                DOC_LINKS["credentials"],
            )
        )
    elif runtime == "aws" and facts.aws_identity:
        notes.append(f"AWS account {facts.aws_identity['account']}")
    return Readiness(ready=not problems, problems=tuple(problems), notes=tuple(notes))


# ---------------------------------------------------------------------------------------------
# Why did a run fail? One sentence from its log lines.

_TOO_OLD = re.compile(
    r"Unsupported Terraform Core version|Invalid validation error message|Unsupported block type|"
    r"Unsupported argument|Invalid expression|Variables not allowed|Invalid function"
)
_CAUSES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"Unsupported Terraform Core version"),
        "This Terraform version does not satisfy the blueprint's required_version; "
        "point TERRAFORM_BIN at a newer Terraform.",
    ),
    (
        re.compile(r"Invalid validation error message"),
        "This Terraform is too old for the blueprint's modules (they use rules of a newer release); "
        "point TERRAFORM_BIN at a newer Terraform.",
    ),
    (
        re.compile(
            r"Failed to query available provider packages|Failed to install provider|"
            r"could not find provider|no available releases match|"
            r"provider registry\.terraform\.io\S* was not found"
        ),
        "A provider could not be installed: it is not in the provider mirror and the registry cannot be "
        "reached; add it to the mirror at TERRAFORM_PROVIDER_MIRROR.",
    ),
    (
        re.compile(
            r"No valid credential sources found|NoCredentialProviders|failed to refresh cached credentials|"
            r"no EC2 IMDS role found|InvalidClientTokenId|ExpiredToken|UnrecognizedClientException",
            re.IGNORECASE,
        ),
        "AWS refused the run: the workers have no valid AWS credentials.",
    ),
    (
        re.compile(r"Error acquiring the state lock"),
        "The environment's Terraform state is locked by another run.",
    ),
)


def failure_cause(
    lines: list[str], *, terraform_version: str = "", required_versions: tuple[str, ...] = ()
) -> str:
    """One human sentence of cause for a failed run, from its log lines, or "" when none is known.

    When the log shows a configuration Terraform could not read and the Terraform that ran is
    outside the blueprint's `required_version`, the sentence names both, e.g. "Terraform 1.0.3 is
    older than this blueprint's required >= 1.5.7."."""
    text = "\n".join(lines)
    if terraform_version and _TOO_OLD.search(text):
        for constraint in required_versions:
            try:
                if not constraint_allows(constraint, terraform_version):
                    return (
                        explain_mismatch("Terraform", terraform_version, constraint)
                        + "; point TERRAFORM_BIN at a Terraform that satisfies it."
                    )
            except ConstraintError:
                continue
    for pattern, sentence in _CAUSES:
        if pattern.search(text):
            return sentence
    return ""
