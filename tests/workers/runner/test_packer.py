"""workers.runner.packer: manifests, and a real Packer 1.6.6 build with the null builder."""

from __future__ import annotations

import stat

import pytest

from tests.workers.runner.helpers import PACKER, Lines
from workers.runner.packer import Artifact, artifacts_from_manifest, packer_build
from workers.runner.process import minimal_env
from workers.runner.redaction import Redactor


def test_artifacts_from_manifest_reads_only_the_last_run():
    manifest = {
        "builds": [
            {"artifact_id": "us-east-1:ami-old", "packer_run_uuid": "run-1"},
            {"artifact_id": "us-east-1:ami-123,eu-west-1:ami-456", "packer_run_uuid": "run-2"},
            {"artifact_id": "Null", "packer_run_uuid": "run-2"},
        ],
        "last_run_uuid": "run-2",
    }

    assert artifacts_from_manifest(manifest) == [
        Artifact("us-east-1", "ami-123"),
        Artifact("eu-west-1", "ami-456"),
        Artifact("", "Null"),
    ]


PACKER_TEMPLATE = """
variable "greeting" {
  type = string
}

variable "secret" {
  type      = string
  sensitive = true
}

source "null" "demo" {
  communicator = "none"
}

build {
  sources = ["source.null.demo"]

  provisioner "shell-local" {
    inline = ["echo \\"greeting: ${var.greeting}\\"", "echo \\"secret: ${var.secret}\\""]
  }

  post-processor "manifest" {
    output = "packer-manifest.json"
  }
}
"""


@pytest.mark.integration
def test_packer_build_streams_lines_and_returns_artifacts(tmp_path):
    assert PACKER is not None, "packer is not installed: `make test` installs it from Debian"
    (tmp_path / "image.pkr.hcl").write_text(PACKER_TEMPLATE)
    (tmp_path / "home").mkdir()
    lines = Lines()

    result, artifacts = packer_build(
        binary=str(PACKER),
        template_dir=tmp_path,
        template="image.pkr.hcl",
        variables={"greeting": "hi, there", "secret": "pk-s3cret-value"},
        env=minimal_env(home=tmp_path / "home", cli_config=None),
        redactor=Redactor(["pk-s3cret-value"]),
        on_line=lines,
        timeout_s=60,
    )

    assert result.exit_code == 0, lines.text()
    assert artifacts == [Artifact(region="", image_id="Null")]
    greeting = [line for line in lines.items if "greeting: hi, there" in line.message]
    assert greeting and greeting[0].resource == "null.demo" and greeting[0].level == "info"
    assert any("secret: [REDACTED]" in m for m in lines.messages)
    assert "pk-s3cret-value" not in lines.text()
    assert stat.S_IMODE((tmp_path / "portal.pkrvars.json").stat().st_mode) == 0o600
