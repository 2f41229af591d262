"""Offline AWS provider schema: extract it from the cdktf bindings, check Terraform modules against it.

The AWS provider binary cannot be installed on the project's machines, but the npm package
``@cdktf/provider-aws`` is generated from the provider's schema.  Each
``package/lib/<resource-name>/index.d.ts`` has an ``export interface <Name>Config`` with one
``readonly camelName?: type;`` per settable argument (``?`` = optional); the doc comment above each
field carries the snake_case name in its registry link; nested blocks are fields whose type is
another interface exported by the same file (their doc comment starts with ``<name> block``).

``refresh`` extracts the schema of every ``aws_*`` type used under ``terraform/`` into
``blueprints/data/aws_provider_schema.json`` (committed, so checks need no npm), and ``check``
validates every ``resource``/``data`` block of the modules against it.

Schema shape, per type (nested blocks recurse with the same shape)::

    {"arguments": {name: {"required": bool}},
     "blocks": {name: {"required": bool, "schema": {...}}}}

An argument whose value is an object (a nested *attribute*, not a block) additionally has
``"nested": "single" | "list"`` and ``"schema"``.  List ones may also be written in block syntax
(the provider's "attributes as blocks" mode, e.g. ``aws_security_group`` ``ingress``).

The snapshot also lists every resource and data source type name of the provider
(``all_resource_types``, ``all_data_source_types``), so that a real type missing from the snapshot
("run refresh") is told apart from a typo.

This module is pure Python (no Django): ``python -m blueprints.provider_schema refresh|check``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import logging
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blueprints.hcl import BLOCK_MARK, labelled, parse_file, unquote

# CDK Terrain (cdktn) continues the archived cdktf bindings with the same file layout; 25.7.0 is
# generated from hashicorp/aws 6.66.0 (cdktf 21.22.1, the last cdktf release, stopped at 6.25.0,
# before `invoked_via_function_url` on aws_lambda_permission appeared in 6.28.0).
NPM_PACKAGE = "@cdktn/provider-aws"
NPM_VERSION = "25.7.0"
PROVIDER = "hashicorp/aws"
PROVIDER_VERSION = "6.66.0"
SOURCE = f"npm {NPM_PACKAGE}@{NPM_VERSION}"

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
TERRAFORM_DIR = REPO_ROOT / "terraform"
SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "aws_provider_schema.json"
CACHE_DIR = REPO_ROOT / "data" / "cache"

# Always part of the snapshot, whatever the modules use: the project's tests rely on them.
BASELINE_RESOURCE_TYPES = frozenset({"aws_db_instance", "aws_s3_bucket", "aws_security_group"})
BASELINE_DATA_TYPES = frozenset({"aws_ami"})

# Terraform meta-arguments (handled here, never part of a provider schema).
RESOURCE_META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on"})
RESOURCE_META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})
DATA_META_ARGUMENTS = frozenset({"count", "for_each", "provider", "depends_on"})
DATA_META_BLOCKS = frozenset({"lifecycle"})
DYNAMIC_ARGUMENTS = frozenset({"for_each", "iterator", "labels"})

Schema = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Extraction from the cdktf .d.ts files
# --------------------------------------------------------------------------------------------

_INTERFACE_RE = re.compile(r"^export interface (\w+)(?: extends [^{\n]+)? \{\n(.*?)^\}", re.M | re.S)
_FIELD_RE = re.compile(
    r"(?P<doc>/\*\*(?:(?!\*/).)*\*/)\s*readonly (?P<camel>\w+)(?P<optional>\??): (?P<type>.*?);\n"
    r"(?=\s*(?:/\*\*|readonly |$))",
    re.S,
)
_DOC_NAME_RE = re.compile(r"/docs/(?:resources|data-sources)/\w+#(\w+)\s")
_CLASS_RE = re.compile(
    r"^export declare class (\w+) extends cdkt[fn]\.(TerraformResource|TerraformDataSource) \{\n"
    r'\s*static readonly tfResourceType = "([\w-]+)";',
    re.M,
)
_CONSTRUCTOR_RE = re.compile(r"constructor\(scope: Construct, id: string, config\??: (\w+)\);")
_RESOLVABLE_RE = re.compile(r"\s*\|\s*cdkt[fn]\.IResolvable\b")


@dataclass(frozen=True)
class _Field:
    name: str
    required: bool
    type: str
    documented_block: bool


class SchemaError(Exception):
    """The cdktf package does not look as expected."""


def _parse_interfaces(text: str) -> dict[str, list[_Field]]:
    interfaces: dict[str, list[_Field]] = {}
    for match in _INTERFACE_RE.finditer(text):
        fields: list[_Field] = []
        for fmatch in _FIELD_RE.finditer(match.group(2)):
            doc = fmatch.group("doc")
            name = _DOC_NAME_RE.search(doc)
            if name is None:
                raise SchemaError(f"{match.group(1)}.{fmatch.group('camel')}: no registry link")
            snake = name.group(1)
            fields.append(
                _Field(
                    name=snake,
                    required=fmatch.group("optional") == "",
                    type=" ".join(fmatch.group("type").split()),
                    documented_block=re.search(rf"\*\s+{re.escape(snake)} block\s*\n", doc) is not None,
                )
            )
        interfaces[match.group(1)] = fields
    return interfaces


def _nested_interface(type_text: str, interfaces: dict[str, list[_Field]]) -> tuple[str, bool] | None:
    """(interface name, is a list) if the field's type is an interface of the same file."""
    bare = _RESOLVABLE_RE.sub("", type_text).strip()
    is_list = bare.endswith("[]")
    if is_list:
        bare = bare[:-2]
    if bare in interfaces:
        return bare, is_list
    return None


def _build(interface: str, interfaces: dict[str, list[_Field]], seen: tuple[str, ...] = ()) -> Schema:
    if interface in seen:  # defensive: cdktf flattens recursion, but never loop
        return {"arguments": {}, "blocks": {}}
    arguments: dict[str, Any] = {}
    blocks: dict[str, Any] = {}
    for f in interfaces[interface]:
        nested = _nested_interface(f.type, interfaces)
        if nested is None and f.documented_block:
            # cdktf types blocks nested too deeply to spell out (wafv2 rule statements) as
            # `any`: the block is known, its contents are not checked.
            blocks[f.name] = {"required": f.required, "schema": None}
            continue
        if nested is None:
            arguments[f.name] = {"required": f.required}
            continue
        sub = _build(nested[0], interfaces, (*seen, interface))
        if f.documented_block:
            blocks[f.name] = {"required": f.required, "schema": sub}
        else:
            arguments[f.name] = {
                "required": f.required,
                "nested": "list" if nested[1] else "single",
                "schema": sub,
            }
    return {"arguments": arguments, "blocks": blocks}


def _schema_from_file(path: Path, tf_type: str, kind: str) -> Schema | None:
    text = path.read_text(encoding="utf-8")
    for cls in _CLASS_RE.finditer(text):
        if cls.group(3) == tf_type and cls.group(2) == kind:
            interfaces = _parse_interfaces(text)
            # Usually <Class>Config, renamed on clashes (Wafv2WebAclAssociationConfigA): trust the
            # constructor's signature.
            ctor = _CONSTRUCTOR_RE.search(text, cls.end())
            config = ctor.group(1) if ctor else f"{cls.group(1)}Config"
            if config not in interfaces:
                raise SchemaError(f"{path}: no interface {config}")
            return _build(config, interfaces)
    return None


def _lib_dir(package_dir: Path) -> Path:
    for candidate in (package_dir / "package" / "lib", package_dir / "lib"):
        if candidate.is_dir():
            return candidate
    raise SchemaError(f"{package_dir}: no lib/ folder (expected the unpacked {NPM_PACKAGE} package)")


def _scan_index(lib: Path) -> dict[tuple[str, str], Path]:
    index: dict[tuple[str, str], Path] = {}
    for dts in sorted(lib.glob("*/index.d.ts")):
        for cls in _CLASS_RE.finditer(dts.read_text(encoding="utf-8")):
            index[(cls.group(2), cls.group(3))] = dts
    return index


def all_types(package_dir: Path) -> tuple[set[str], set[str]]:
    """Every resource type and data source type the package knows."""
    index = _scan_index(_lib_dir(package_dir))
    resources = {name for kind, name in index if kind == "TerraformResource"}
    data = {name for kind, name in index if kind == "TerraformDataSource"}
    return resources, data


def extract_schema(package_dir: Path, resource_types: set[str], data_types: set[str]) -> dict[str, Any]:
    """Schema of the given types from an unpacked ``@cdktf/provider-aws`` package.

    ``package_dir`` is the folder holding ``package/lib`` (or ``lib``).  Returns
    ``{"resources": {type: schema}, "data_sources": {type: schema}}``; types the provider does not
    have are left out.
    """
    lib = _lib_dir(package_dir)
    index: dict[tuple[str, str], Path] | None = None
    result: dict[str, dict[str, Schema]] = {"resources": {}, "data_sources": {}}
    wanted = [("TerraformResource", t, "resources") for t in sorted(resource_types)] + [
        ("TerraformDataSource", t, "data_sources") for t in sorted(data_types)
    ]
    for kind, tf_type, section in wanted:
        if not tf_type.startswith("aws_"):
            continue
        stem = tf_type.removeprefix("aws_").replace("_", "-")
        guess = lib / (stem if kind == "TerraformResource" else f"data-aws-{stem}") / "index.d.ts"
        schema = _schema_from_file(guess, tf_type, kind) if guess.is_file() else None
        if schema is None:  # cdktf renamed the folder: look the type up by tfResourceType
            if index is None:
                index = _scan_index(lib)
            path = index.get((kind, tf_type))
            schema = _schema_from_file(path, tf_type, kind) if path is not None else None
        if schema is not None:
            result[section][tf_type] = schema
    return result


# --------------------------------------------------------------------------------------------
# HCL helpers
# --------------------------------------------------------------------------------------------


def _is_block_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and item.get(BLOCK_MARK) is True for item in value)
    )


def _items(body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, value in body.items():
        if not key.startswith("__"):
            yield key, value


def parse_tf(path: Path) -> dict[str, Any]:
    return parse_file(path)


def _tf_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.tf") if p.is_file())


def _walk_tf_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.tf")):
        if path.is_file() and ".terraform" not in path.relative_to(root).parts:
            yield path


def _blocks_of(doc: dict[str, Any], kind: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of each ``resource``/``data`` block in a parsed file."""
    for tf_type_label, named in labelled(doc.get(kind)):
        for name, body in labelled([named]):
            yield unquote(tf_type_label), name, body


def collect_types(terraform_dir: Path) -> tuple[set[str], set[str]]:
    """The ``aws_*`` resource types and data source types used by every .tf file under a folder."""
    resources: set[str] = set()
    data: set[str] = set()
    for path in _walk_tf_files(terraform_dir):
        try:
            doc = parse_tf(path)
        except Exception as exc:  # a colleague's half-written file must not stop a refresh
            log.warning("skipping %s: cannot parse (%s)", path, type(exc).__name__)
            continue
        resources.update(t for t, _, _ in _blocks_of(doc, "resource") if t.startswith("aws_"))
        data.update(t for t, _, _ in _blocks_of(doc, "data") if t.startswith("aws_"))
    return resources, data


# --------------------------------------------------------------------------------------------
# Refresh
# --------------------------------------------------------------------------------------------


def fetch_package(cache_dir: Path = CACHE_DIR) -> Path:
    """``npm pack`` the cdktf package into the cache and unpack it; returns the package folder."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    stem = NPM_PACKAGE.lstrip("@").replace("/", "-") + f"-{NPM_VERSION}"  # npm pack's file name
    unpacked = cache_dir / stem
    marker = unpacked / ".complete"
    if marker.is_file():
        return unpacked
    tarball = cache_dir / f"{stem}.tgz"
    if not tarball.is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise SchemaError("npm is not installed: install it, or pass an unpacked package folder")
        subprocess.run(
            [npm, "pack", f"{NPM_PACKAGE}@{NPM_VERSION}", "--silent"],
            cwd=cache_dir,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    if not tarball.is_file():
        raise SchemaError(f"npm pack did not produce {tarball}")
    unpacked.mkdir(exist_ok=True)
    with tarfile.open(tarball, "r:gz") as tar:
        members = [
            m
            for m in tar.getmembers()
            if m.isfile() and (m.name.endswith(".d.ts") or m.name == "package/package.json")
        ]
        tar.extractall(unpacked, members=members, filter="data")
    marker.write_text(f"{NPM_PACKAGE}@{NPM_VERSION}\n", encoding="utf-8")
    return unpacked


def dumps_schema(document: dict[str, Any]) -> str:
    """Sorted, one key a line, with ``{"required": x}`` leaves kept on one line."""
    text = json.dumps(document, indent=1, sort_keys=True)
    text = re.sub(r'\{\n\s*"required": (true|false)\n\s*\}', r'{"required": \1}', text)
    return text + "\n"


def refresh(
    terraform_dir: Path = TERRAFORM_DIR,
    output_path: Path = SCHEMA_PATH,
    package_dir: Path | None = None,
) -> dict[str, Any]:
    """Rebuild the committed schema snapshot from the types used under ``terraform_dir``."""
    if package_dir is None:
        package_dir = fetch_package()
    resources, data = collect_types(terraform_dir)
    resources |= BASELINE_RESOURCE_TYPES
    data |= BASELINE_DATA_TYPES
    extracted = extract_schema(package_dir, resources, data)
    known_resources, known_data = all_types(package_dir)
    document: dict[str, Any] = {
        "source": SOURCE,
        "provider": PROVIDER,
        "provider_version": PROVIDER_VERSION,
        "generated": dt.date.today().isoformat(),
        "resources": extracted["resources"],
        "data_sources": extracted["data_sources"],
        "all_resource_types": sorted(known_resources),
        "all_data_source_types": sorted(known_data),
    }
    output_path.parent.mkdir(parents=True, exist_ok=True)
    output_path.write_text(dumps_schema(document), encoding="utf-8")
    return document


def load_schema(path: Path = SCHEMA_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        document: dict[str, Any] = json.load(fh)
    return document


# --------------------------------------------------------------------------------------------
# Check
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    address: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.address}: {self.message}"


@dataclass
class CheckReport:
    problems: list[Problem] = field(default_factory=list)
    blocks: int = 0
    modules: int = 0

    @property
    def summary(self) -> str:
        return f"{self.blocks} blocks checked in {self.modules} modules, {len(self.problems)} problems"


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


class _Checker:
    def __init__(self, file: str, address: str, problems: list[Problem]) -> None:
        self.file = file
        self.address = address
        self.problems = problems

    def report(self, message: str) -> None:
        self.problems.append(Problem(self.file, self.address, message))

    def body(
        self,
        body: dict[str, Any],
        schema: Schema,
        path: str,
        meta_arguments: frozenset[str] = frozenset(),
        meta_blocks: frozenset[str] = frozenset(),
    ) -> None:
        arguments: dict[str, Any] = schema.get("arguments", {})
        blocks: dict[str, Any] = schema.get("blocks", {})
        where = f' in block "{path}"' if path else ""
        present: set[str] = set()
        for key, value in _items(body):
            if key == "dynamic" and isinstance(value, list) and not _is_block_list(value):
                for label, dyn in labelled(value):
                    present.add(label)
                    self.dynamic(label, dyn, arguments, blocks, path)
                continue
            if key in meta_blocks and isinstance(value, list):
                continue
            if key in meta_arguments:
                continue
            present.add(key)
            if _is_block_list(value):
                self.block(key, value, arguments, blocks, path)
            elif key not in arguments:
                hint = f" (it is a block: write {key} {{ ... }})" if key in blocks else ""
                self.report(f'unknown argument "{key}"{where}{hint or _suggest(key, [*arguments, *blocks])}')
        for name, spec in sorted(arguments.items()):
            if spec.get("required") and name not in present:
                self.report(f'missing required argument "{name}"{where}')
        for name, spec in sorted(blocks.items()):
            if spec.get("required") and name not in present:
                self.report(f'missing required block "{name}"{where}')

    def _nested_schema(
        self, name: str, arguments: dict[str, Any], blocks: dict[str, Any], path: str, dynamic: bool
    ) -> Schema | None:
        sub_path = f"{path}.{name}" if path else name
        where = f' in block "{path}"' if path else ""
        what = f'dynamic block "{name}"' if dynamic else f'block "{name}"'
        if name in blocks:
            schema: Schema | None = blocks[name]["schema"]  # None: contents not in the snapshot
            return schema
        spec = arguments.get(name)
        if spec is not None and spec.get("nested") == "list":  # attributes-as-blocks mode
            schema = spec["schema"]
            return schema
        if spec is not None:
            self.report(f'"{sub_path}" is an argument, not a block: write {name} = ...')
        else:
            self.report(f"unknown {what}{where}{_suggest(name, [*blocks, *arguments])}")
        return None

    def block(
        self, name: str, instances: list[Any], arguments: dict[str, Any], blocks: dict[str, Any], path: str
    ) -> None:
        schema = self._nested_schema(name, arguments, blocks, path, dynamic=False)
        if schema is None:
            return
        sub_path = f"{path}.{name}" if path else name
        for instance in instances:
            self.body(instance, schema, sub_path)

    def dynamic(
        self, name: str, dyn: dict[str, Any], arguments: dict[str, Any], blocks: dict[str, Any], path: str
    ) -> None:
        schema = self._nested_schema(name, arguments, blocks, path, dynamic=True)
        sub_path = f"{path}.{name}" if path else name
        contents: list[Any] = []
        for key, value in _items(dyn):
            if key == "content" and _is_block_list(value):
                contents.extend(value)
            elif key not in DYNAMIC_ARGUMENTS:
                self.report(f'unknown argument "{key}" in dynamic block "{sub_path}"')
        if "for_each" not in dyn:
            self.report(f'dynamic block "{sub_path}" has no for_each')
        if len(contents) != 1:
            self.report(f'dynamic block "{sub_path}" needs exactly one content block')
        if schema is not None:
            for content in contents:
                self.body(content, schema, sub_path)


def _module_blocks(module_dir: Path) -> Iterator[tuple[Path, str, str, str, dict[str, Any]] | Problem]:
    for path in _tf_files(module_dir):
        try:
            doc = parse_tf(path)
        except Exception as exc:  # python-hcl2 raises lark errors of many kinds
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            yield Problem(str(path), "", f"cannot parse: {first}")
            continue
        for kind in ("resource", "data"):
            for tf_type, name, body in _blocks_of(doc, kind):
                yield path, kind, tf_type, name, body


def _check(module_dir: Path, schema: dict[str, Any], report: CheckReport) -> None:
    version = schema.get("provider_version", "?")
    for item in _module_blocks(module_dir):
        if isinstance(item, Problem):
            report.problems.append(item)
            continue
        path, kind, tf_type, name, body = item
        if not tf_type.startswith("aws_"):
            continue
        report.blocks += 1
        is_resource = kind == "resource"
        address = f"{tf_type}.{name}" if is_resource else f"data.{tf_type}.{name}"
        checker = _Checker(str(path), address, report.problems)
        section = schema["resources" if is_resource else "data_sources"]
        type_schema = section.get(tf_type)
        what = "resource type" if is_resource else "data source type"
        if type_schema is None:
            known = schema.get("all_resource_types" if is_resource else "all_data_source_types")
            if known is not None and tf_type in known:
                checker.report(
                    f'{what} "{tf_type}" is not in the schema snapshot yet: '
                    "run python -m blueprints.provider_schema refresh"
                )
            else:
                hint = _suggest(tf_type, known if known is not None else section)
                checker.report(f'unknown {what} "{tf_type}" (not in {PROVIDER} {version}){hint}')
            continue
        checker.body(
            body,
            type_schema,
            "",
            RESOURCE_META_ARGUMENTS if is_resource else DATA_META_ARGUMENTS,
            RESOURCE_META_BLOCKS if is_resource else DATA_META_BLOCKS,
        )


def check_module(module_dir: Path, schema: dict[str, Any]) -> list[Problem]:
    """Problems in the ``aws_*`` resource and data blocks of every .tf file in ``module_dir``."""
    report = CheckReport()
    _check(module_dir, schema, report)
    return report.problems


def module_dirs(root: Path = TERRAFORM_DIR) -> list[Path]:
    """Every folder under ``root`` (itself included) that holds .tf files."""
    return sorted({path.parent for path in _walk_tf_files(root)})


def check_modules(dirs: Sequence[Path], schema: dict[str, Any]) -> CheckReport:
    report = CheckReport()
    for module_dir in dirs:
        report.modules += 1
        _check(module_dir, schema, report)
    return report


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m blueprints.provider_schema", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p_refresh = commands.add_parser("refresh", help="rebuild the schema snapshot (runs npm pack)")
    p_refresh.add_argument("--terraform-dir", type=Path, default=TERRAFORM_DIR)
    p_refresh.add_argument("--output", type=Path, default=SCHEMA_PATH)
    p_refresh.add_argument("--package-dir", type=Path, default=None, help="an unpacked package")
    p_check = commands.add_parser("check", help="check modules against the schema snapshot")
    p_check.add_argument("dirs", nargs="*", type=Path, help="module folders (default: all under terraform/)")
    p_check.add_argument("--schema", type=Path, default=SCHEMA_PATH)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")

    if args.command == "refresh":
        document = refresh(args.terraform_dir, args.output, args.package_dir)
        print(
            f"wrote {args.output}: {len(document['resources'])} resource types, "
            f"{len(document['data_sources'])} data source types ({SOURCE}, {PROVIDER} {PROVIDER_VERSION})"
        )
        return 0

    schema = load_schema(args.schema)
    dirs: list[Path] = args.dirs or module_dirs()
    missing = [d for d in dirs if not d.is_dir()]
    if missing:
        parser.error(f"not a folder: {', '.join(map(str, missing))}")
    report = check_modules(dirs, schema)
    for problem in report.problems:
        print(problem)
    print(report.summary)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
