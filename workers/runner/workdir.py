"""Work folders: a fresh folder per run, with the module's files, its inputs and backend settings.

Inputs go into 0600 files, and backend credentials into 0600 files or the process environment,
never onto a command line (which any local user can read in /proc) and never pasted into HCL
source (which would allow HCL injection).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

TFVARS_FILE = "terraform.tfvars.json"
BACKEND_OVERRIDE_FILE = "portal_backend_override.tf"
BACKEND_CONFIG_FILE = "backend.tfbackend"
_SKIP_DIRS = {".terraform", ".git"}
_SKIP_FILE = re.compile(
    r"(^terraform\.tfstate(\..*)?$)|(\.tfstate(\.backup)?$)|(^\.terraform\.tfstate\.lock\.info$)"
    r"|(\.tfplan$)|(^crash\.log$)"
)


def prepare_workdir(
    *,
    module_dir: Path,
    workdir: Path,
    variables: Mapping[str, object],
    backend: Mapping[str, str] | None,
    backend_type: str = "http",
) -> Path:
    """Copies a module into a fresh run directory and writes its inputs and backend config.

    Each run gets its own copy so concurrent runs of one blueprint never share ``.terraform``
    or a plan file, and provider caches or state left in the source tree are never picked up.
    Inputs go to ``terraform.tfvars.json`` (JSON, so a value can never become HCL code). With a
    backend, ``portal_backend_override.tf`` replaces any backend the module declares with the
    portal's (see :func:`write_inputs` for where its settings go).
    """

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = set()
        for name in names:
            path = Path(directory) / name
            if (name in _SKIP_DIRS and path.is_dir()) or (_SKIP_FILE.search(name) and path.is_file()):
                skipped.add(name)
        return skipped

    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(module_dir, workdir, ignore=ignore, dirs_exist_ok=True)
    return write_inputs(workdir=workdir, variables=variables, backend=backend, backend_type=backend_type)


def materialize(files: Mapping[str, str], root: Path) -> Path:
    """Writes a pinned file tree (relative path -> text, as a blueprint version stores it) under
    ``root``. Paths that would escape ``root`` are refused."""
    root.mkdir(parents=True, exist_ok=True)
    resolved_root = root.resolve()
    for name, text in files.items():
        target = (root / name).resolve()
        if resolved_root not in target.parents:
            raise ValueError(f"refusing to write {name!r} outside the run folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def write_inputs(
    *,
    workdir: Path,
    variables: Mapping[str, object],
    backend: Mapping[str, str] | None,
    backend_type: str = "http",
) -> Path:
    """Writes ``terraform.tfvars.json`` and the backend override/config into a module folder.
    ``backend_type`` is the Terraform backend (``http`` for the portal's own, or ``s3``).

    The http backend's settings are not written: they reach Terraform as environment variables
    (:func:`backend_env`), so no credential lands on disk, in ``.terraform/`` or in the plan
    file, and one initialized folder serves every environment (:mod:`.initcache`)."""
    if not re.fullmatch(r"[a-z0-9]+", backend_type):
        raise ValueError(f"invalid backend type: {backend_type!r}")
    write_private(workdir / TFVARS_FILE, json.dumps(dict(variables), indent=2, sort_keys=True) + "\n")
    override = workdir / BACKEND_OVERRIDE_FILE
    config = workdir / BACKEND_CONFIG_FILE
    if backend is not None:
        override.write_text(f'terraform {{\n  backend "{backend_type}" {{}}\n}}\n')
        if backend_type == "http":
            config.unlink(missing_ok=True)
        else:
            lines = [f"{_hcl_key(key)} = {hcl_string(str(value))}\n" for key, value in backend.items()]
            write_private(config, "".join(lines))
    else:
        # A reused workdir must not keep a backend from an earlier run.
        override.unlink(missing_ok=True)
        config.unlink(missing_ok=True)
    return workdir


def backend_env(backend_type: str, backend: Mapping[str, str] | None) -> dict[str, str]:
    """The environment variables that carry the http backend's settings (``TF_HTTP_ADDRESS``,
    ``TF_HTTP_PASSWORD``, ...); none for other backends, whose settings go to the config file."""
    if backend is None or backend_type != "http":
        return {}
    return {f"TF_HTTP_{_hcl_key(key).upper()}": str(value) for key, value in backend.items()}


def hcl_string(value: str) -> str:
    """Quotes ``value`` as an HCL string literal that evaluates to exactly ``value``.

    JSON string syntax is almost HCL's, but HCL also reads ``${`` and ``%{`` as template
    sequences and lacks JSON's ``\\b``/``\\f`` escapes, so those are handled here.
    """
    out = ['"']
    for index, char in enumerate(value):
        following = value[index + 1 : index + 2]
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        elif char in "$%" and following == "{":
            out.append(char * 2)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _hcl_key(key: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", key):
        raise ValueError(f"invalid backend setting name: {key!r}")
    return key


def write_private(path: Path, text: str) -> None:
    """Writes a file only its owner can read, without a window where it is world-readable."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # The file may have existed with wider permissions.
        handle.write(text)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks; used to prove apply ran the approved plan file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
