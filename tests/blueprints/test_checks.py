"""`blueprints check` on the real tree passes, and each check fails when it should."""

import os
import re
import shutil
import subprocess

import pytest

from blueprints import checks
from blueprints.spec import load_blueprint
from tests.processes import ROOT, VENV_BIN

SANDBOX = ROOT / "terraform" / "blueprints" / "local-sandbox"


@pytest.fixture
def sandbox_copy(tmp_path):
    target = tmp_path / "blueprints" / "local-sandbox"
    shutil.copytree(SANDBOX, target)
    return target


def test_the_real_blueprints_pass_every_check():
    result = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "blueprints", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout
    # The sandbox is validated for real with the bundled Terraform and the offline null provider.
    assert "OK      terraform validate     local-sandbox" in result.stdout
    assert re.search(r"\d+ blocks checked in \d+ modules, 0 problems", result.stdout)


def test_a_variable_without_a_field_and_a_field_without_a_variable_fail(sandbox_copy):
    (sandbox_copy / "extra.tf").write_text(
        'variable "orphan" {\n  type        = string\n  description = "x"\n}\n'
    )
    meta = (sandbox_copy / "blueprint.yaml").read_text()
    meta = meta.replace("fields:\n", "fields:\n  - name: ghost\n    label: Ghost\n    type: string\n", 1)
    (sandbox_copy / "blueprint.yaml").write_text(meta)
    result = checks.check_variables_agree(load_blueprint(sandbox_copy))
    assert result.status == "fail"
    assert "variable orphan has no form field" in result.detail
    assert "field ghost has no variable" in result.detail


def test_missing_tags_and_a_backend_block_fail(sandbox_copy):
    main = (sandbox_copy / "main.tf").read_text().replace("    CostCentre       = var.cost_centre\n", "")
    (sandbox_copy / "main.tf").write_text(main)
    (sandbox_copy / "backend.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    spec = load_blueprint(sandbox_copy)
    tags = checks.check_required_tags(spec)
    assert tags.status == "fail" and "CostCentre" in tags.detail
    assert checks.check_no_backend(spec).status == "fail"


def test_bad_tier_default_fails(sandbox_copy):
    meta = (sandbox_copy / "blueprint.yaml").read_text().replace("app_replicas: 3,", "app_replicas: 30,")
    (sandbox_copy / "blueprint.yaml").write_text(meta)
    result = checks.check_tier_defaults(load_blueprint(sandbox_copy))
    assert result.status == "fail" and "prod: app_replicas: Must be at most 10." in result.detail


def test_validate_is_skipped_and_says_why_without_the_provider(sandbox_copy):
    spec = load_blueprint(sandbox_copy)
    result = checks.check_validate(spec, "terraform", mirror="/nonexistent", env=dict(os.environ))
    assert result.status == "skipped" and "hashicorp/null is not in the provider mirror" in result.detail


def test_bad_metadata_is_reported(sandbox_copy):
    (sandbox_copy / "blueprint.yaml").write_text("slug: local-sandbox\ntitle: x\n")
    results = checks.run_all(
        terraform_bin=str(VENV_BIN / "terraform"),
        packer_bin="packer",
        mirror=None,
        env=dict(os.environ),
        root=sandbox_copy.parent.parent,
    )
    metadata = [r for r in results if r.check == "metadata schema"]
    assert metadata[0].status == "fail" and "does not match the schema" in metadata[0].detail
