"""Packer builds: ``packer build -machine-readable`` and the images its manifest records."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workers.runner.logs import LogLine, parse_packer_line
from workers.runner.process import ProcessResult, RunnerError, never, stream_process
from workers.runner.redaction import Redactor
from workers.runner.workdir import write_private

PACKER_VARS_FILE = "portal.pkrvars.json"


class PackerError(RunnerError):
    """A Packer build could not be started or its results read."""


@dataclass(frozen=True)
class Artifact:
    """One image a Packer build produced; region is "" for builders without regions (null)."""

    region: str
    image_id: str


def packer_build(
    *,
    binary: str,
    template_dir: Path,
    template: str,
    variables: Mapping[str, object],
    env: Mapping[str, str],
    redactor: Redactor,
    on_line: Callable[[LogLine], None],
    timeout_s: float,
    should_cancel: Callable[[], bool] = never,
    on_tick: Callable[[], None] | None = None,
    tick_s: float = 2.0,
    grace_s: float = 10.0,
    manifest: str = "packer-manifest.json",
) -> tuple[ProcessResult, list[Artifact]]:
    """Runs ``packer build`` and returns the artifacts its manifest post-processor recorded.

    Variables go into a 0600 JSON var file (Packer 1.6.6 reads ``-var-file=*.json`` for both
    HCL2 and JSON templates) so values never reach the command line. The template must use the
    ``manifest`` post-processor writing ``manifest`` (relative to template_dir); only the builds
    of this run (its ``last_run_uuid``) are read, because the manifest accumulates across runs.
    Packer 1.6.6 prints sensitive variables in clear, so the redactor must know them.
    """
    var_file = template_dir / PACKER_VARS_FILE
    write_private(var_file, json.dumps(dict(variables), indent=2, sort_keys=True) + "\n")
    result = stream_process(
        [binary, "build", "-machine-readable", "-color=false", f"-var-file={PACKER_VARS_FILE}", template],
        cwd=template_dir,
        env=env,
        on_line=on_line,
        redactor=redactor,
        timeout_s=timeout_s,
        should_cancel=should_cancel,
        on_tick=on_tick,
        tick_s=tick_s,
        grace_s=grace_s,
        parser=parse_packer_line,
    )
    if not result.ok:
        return result, []
    manifest_path = template_dir / manifest
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackerError(f"packer build succeeded but {manifest} could not be read: {exc}", result) from exc
    return result, artifacts_from_manifest(data)


def artifacts_from_manifest(manifest: Mapping[str, Any]) -> list[Artifact]:
    """Reads the artifacts of the last run from a Packer manifest.

    ``artifact_id`` is ``region:image,region:image`` for cloud images (amazon-ebs) and a bare id
    such as ``Null`` for builders that have no region.
    """
    builds = [b for b in manifest.get("builds") or [] if isinstance(b, dict)]
    last_run = manifest.get("last_run_uuid")
    current = [b for b in builds if last_run and b.get("packer_run_uuid") == last_run] or builds[-1:]
    artifacts: list[Artifact] = []
    for build in current:
        for part in str(build.get("artifact_id") or "").split(","):
            part = part.strip()
            if not part:
                continue
            region, sep, image_id = part.partition(":")
            artifact = Artifact(region=region, image_id=image_id) if sep else Artifact("", part)
            if artifact not in artifacts:
                artifacts.append(artifact)
    return artifacts
