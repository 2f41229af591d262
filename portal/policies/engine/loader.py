"""Reads policies from a folder in the repository. No Django.

Layout: one folder per policy, `<dir>/<name>/policy.yaml` (metadata), `policy.rego` (the policy,
`package portal.<name>`) and optionally `policy_test.rego` (its `test_` rules). POLICY_DIR may also
be a single policy's folder.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from portal.policies.engine.model import Policy


class PolicyLoadError(Exception):
    """A policy folder is incomplete or its metadata is malformed."""


def load_policy(folder: Path) -> Policy:
    meta_path = folder / "policy.yaml"
    rego_path = folder / "policy.rego"
    if not rego_path.is_file():
        raise PolicyLoadError(f"{folder.name}: policy.rego is missing")
    meta = yaml.safe_load(meta_path.read_text()) or {}
    if not isinstance(meta, dict):
        raise PolicyLoadError(f"{folder.name}: policy.yaml must be a mapping")
    test_path = folder / "policy_test.rego"
    scope = meta.get("scope") or {}
    return Policy(
        name=str(meta.get("name", folder.name)),
        description=str(meta.get("description", "")).strip(),
        severity=str(meta.get("severity", "deny")),
        blueprints=tuple(scope.get("blueprints") or ()),
        tiers=tuple(scope.get("tiers") or ()),
        break_glass=bool(meta.get("break_glass", False)),
        resource_types=tuple(meta.get("resource_types") or ()),
        change_fields=tuple(meta.get("change_fields") or ()),
        source=rego_path.read_text(),
        tests=test_path.read_text() if test_path.is_file() else "",
    )


def load_policy_dir(path: Path | str) -> list[Policy]:
    """Every policy under `path`, sorted by name."""
    root = Path(path)
    if (root / "policy.yaml").is_file():
        return [load_policy(root)]
    if not root.is_dir():
        raise PolicyLoadError(f"{root} is not a folder")
    policies = [load_policy(d) for d in sorted(root.iterdir()) if (d / "policy.yaml").is_file()]
    names = [p.name for p in policies]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise PolicyLoadError(f"duplicate policy names: {', '.join(duplicates)}")
    return policies
