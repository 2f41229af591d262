"""Initialized-folder templates: one `terraform init` per module version and host, not per run.

`terraform init` in a fresh run folder costs 0.2-0.4 s even with every provider in the plugin
cache. What it leaves behind (`.terraform/`: provider links into the plugin cache, downloaded
modules, the backend's type; and `.terraform.lock.hcl`) depends only on the module's files,
the Terraform binary, its CLI configuration and the backend's type, when the backend's settings
come from environment variables (the http backend's TF_HTTP_*) instead of `-backend-config`.
So the first run of a module version on a host runs init and saves those files here under a
key of all that; later runs of that version, of any environment, copy them into their own
folder and go straight to `plan`.

A template is never shared between hosts (it links into this host's plugin cache), is checked
before use (a broken provider link means the plugin cache was cleaned: the template is dropped
and init runs), and is removed when unused for `max_age_s`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

INIT_FILES = (".terraform", ".terraform.lock.hcl")


def init_key(*, files: Iterable[tuple[str, str]], entry_dir: str, parts: Iterable[str]) -> str:
    """SHA-256 of what `terraform init` depends on: the module's files (relative path, text),
    its entry folder, and `parts` (the binary's identity, the CLI configuration's text, the
    plugin cache's path, the backend type)."""
    digest = hashlib.sha256()
    for value in (entry_dir, *parts):
        digest.update(value.encode() + b"\0")
    for name, text in sorted(files):
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


def binary_identity(binary: str) -> str:
    """A Terraform binary's path, size and modification time: a new binary makes new keys."""
    resolved = shutil.which(binary) or binary
    try:
        stat = os.stat(resolved)
    except OSError:
        return resolved
    return f"{resolved}:{stat.st_size}:{stat.st_mtime_ns}"


class InitCache:
    """Initialized-folder templates under `root`, one folder per key."""

    def __init__(self, root: Path, *, max_age_s: float) -> None:
        self.root = root
        self.max_age_s = max_age_s

    def restore(self, key: str, module_dir: Path) -> bool:
        """Copies the template of `key` into `module_dir`; False when there is none, or when it
        is broken (then it is removed)."""
        template = self.root / key
        if not (template / ".terraform").is_dir():
            return False
        if not _links_resolve(template / ".terraform"):
            shutil.rmtree(template, ignore_errors=True)
            return False
        try:
            _copy(template, module_dir)
        except OSError:
            for name in INIT_FILES:
                _remove(module_dir / name)
            return False
        with contextlib.suppress(OSError):
            os.utime(template)  # in use: not pruned
        return True

    def save(self, key: str, module_dir: Path) -> None:
        """Keeps `module_dir`'s init files as the template of `key` (the first save wins), and
        prunes templates unused for max_age_s. Never fails a run: errors are swallowed."""
        with contextlib.suppress(OSError):
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            if (self.root / key).exists() or not (module_dir / ".terraform").is_dir():
                return
            staging = self.root / f".staging-{uuid.uuid4().hex}"
            try:
                _copy(module_dir, staging)
                staging.rename(self.root / key)  # atomic; loses to a concurrent save of the key
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        self.prune()

    def prune(self) -> None:
        too_old = time.time() - self.max_age_s
        with contextlib.suppress(OSError):
            for folder in self.root.iterdir():
                with contextlib.suppress(OSError):
                    if folder.stat().st_mtime < too_old:
                        shutil.rmtree(folder, ignore_errors=True)


def _copy(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in INIT_FILES:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, target / name, symlinks=True, dirs_exist_ok=True)
        elif path.is_file():
            shutil.copy2(path, target / name)


def _links_resolve(folder: Path) -> bool:
    for directory, names, files in os.walk(folder):
        for name in [*names, *files]:
            path = Path(directory) / name
            if path.is_symlink() and not path.exists():
                return False
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
