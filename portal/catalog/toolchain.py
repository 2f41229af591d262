"""The toolchain check inside the portal: `blueprints.toolchain` over this installation's settings.

The machine's facts are gathered at most once per `TOOLCHAIN_MAX_AGE_S` and kept in
`TOOLCHAIN_REPORT_FILE`, so every web and worker process on the machine shares one answer and no
page waits on a network call after the first; `manage.py toolchain` refreshes the file.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from blueprints.toolchain import (
    Readiness,
    ToolchainFacts,
    blueprint_readiness,
    failure_cause,
    gather_facts,
    requirements_from_files,
)

_memo: dict[str, Any] = {"key": None, "facts": None, "at": 0.0}


class BlueprintNotRunnable(Exception):
    """This installation cannot run the blueprint version (see the message for what to configure)."""


def _settings_key() -> list[str]:
    return [
        str(settings.TERRAFORM_BIN),
        str(settings.PACKER_BIN),
        str(settings.TERRAFORM_PROVIDER_MIRROR),
        str(settings.TERRAFORM_CLI_CONFIG),
        str(settings.TOOLCHAIN_CHECK_AWS),
    ]


def _read_file(path: Path, key: list[str]) -> ToolchainFacts | None:
    try:
        if time.time() - path.stat().st_mtime > settings.TOOLCHAIN_MAX_AGE_S:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("key") != key:
        return None
    return ToolchainFacts.from_dict(data.get("facts", {}))


def _write_file(path: Path, key: list[str], facts: ToolchainFacts) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
            json.dump({"key": key, "facts": facts.to_dict()}, handle)
        os.replace(handle.name, path)
    except OSError:
        pass  # a read-only data folder only costs a recomputation per process


def toolchain_facts(*, refresh: bool = False) -> ToolchainFacts:
    """This machine's facts: from this process's memory, else the shared file, else gathered now
    (a few short subprocesses and, with credentials configured, one STS call with a 3 s timeout)."""
    key = _settings_key()
    fresh = time.monotonic() - _memo["at"] < settings.TOOLCHAIN_MAX_AGE_S
    if not refresh and _memo["key"] == key and fresh:
        return _memo["facts"]
    path = Path(settings.TOOLCHAIN_REPORT_FILE)
    facts = None if refresh else _read_file(path, key)
    if facts is None:
        facts = gather_facts(
            terraform_bin=settings.TERRAFORM_BIN,
            packer_bin=settings.PACKER_BIN,
            mirror=str(settings.TERRAFORM_PROVIDER_MIRROR),
            cli_config=str(settings.TERRAFORM_CLI_CONFIG),
            check_aws=settings.TOOLCHAIN_CHECK_AWS,
            now=timezone.now().isoformat(timespec="seconds"),
        )
        _write_file(path, key, facts)
    _memo.update(key=key, facts=facts, at=time.monotonic())
    return facts


def version_readiness(version: Any, facts: ToolchainFacts | None = None) -> Readiness:
    """Whether this installation can run a `BlueprintVersion`."""
    return blueprint_readiness(version.source_files, version.blueprint.runtime, facts or toolchain_facts())


def toolchain_guard(*, version: Any) -> None:
    """Raises BlueprintNotRunnable with what to configure when the version cannot run here."""
    readiness = version_readiness(version)
    if not readiness.ready:
        settings_named = sorted({problem.configure for problem in readiness.problems})
        raise BlueprintNotRunnable(
            f"{version} cannot run on this installation, so the request was not submitted: "
            f"{readiness.summary} An operator must configure {'; '.join(settings_named)} "
            "(README: “AWS and a real Terraform”). The draft stays saved and can still be estimated."
        )


def run_failure_cause(run: Any, lines: list[str]) -> str:
    """The one-sentence cause shown above a failed run's log ("" when none is recognised)."""
    version = None
    if run.request_id is not None:
        version = run.request.blueprint_version
    elif run.environment_id is not None:
        version = run.environment.blueprint_version
    elif getattr(run, "image_source_id", None):
        version = run.image_source
    required = requirements_from_files(version.source_files).terraform if version is not None else ()
    return failure_cause(
        lines, terraform_version=toolchain_facts().terraform_version, required_versions=required
    )


def toolchain_report(*, refresh: bool = False) -> dict[str, Any]:
    """The facts and every published blueprint's latest version with its readiness, as plain data
    (the /toolchain/ page and `manage.py toolchain --format json`)."""
    from portal.catalog.selectors import blueprint_list

    facts = toolchain_facts(refresh=refresh)
    rows = []
    for blueprint in blueprint_list():
        version = blueprint.latest_version
        if version is None:
            continue
        readiness = version_readiness(version, facts)
        requirements = requirements_from_files(version.source_files)
        rows.append(
            {
                "slug": blueprint.slug,
                "title": blueprint.title,
                "version": version.version,
                "runtime": blueprint.runtime,
                "required_terraform": list(requirements.terraform),
                "required_providers": [
                    {"source": p.short, "constraint": p.constraint} for p in requirements.providers
                ],
                **readiness.to_dict(),
            }
        )
    return {"facts": facts.to_dict(), "blueprints": rows}
