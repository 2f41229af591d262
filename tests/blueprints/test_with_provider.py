"""`blueprints check --with-provider` never passes silently: it runs, or says why it cannot."""

from __future__ import annotations

import os
import shutil

import pytest

from blueprints import checks
from blueprints.spec import BLUEPRINTS_DIR, load_blueprint
from tests.processes import VENV_BIN

LAMBDA_AURORA = BLUEPRINTS_DIR / "lambda-aurora"


def test_terraform_older_than_1_5_7_is_skipped_with_the_reason():
    bundled = str(VENV_BIN / "terraform")
    assert checks.terraform_version(bundled) == (1, 0, 3)
    [result] = checks.check_with_provider(load_blueprint(LAMBDA_AURORA), bundled, None, dict(os.environ))
    assert result.status == "skipped"
    assert "Terraform 1.0.3; the AWS blueprints need >= 1.5.7" in result.detail


def test_a_missing_binary_is_skipped_with_the_reason(tmp_path):
    [result] = checks.check_with_provider(
        load_blueprint(LAMBDA_AURORA), str(tmp_path / "terraform"), None, dict(os.environ)
    )
    assert result.status == "skipped" and "does not run" in result.detail


def test_without_hashicorp_aws_in_the_mirror_it_is_skipped(tmp_path):
    current = shutil.which("terraform", path=os.environ.get("PATH", ""))
    version = checks.terraform_version(current) if current else None
    if version is None or version < checks.MIN_TERRAFORM:
        pytest.skip("no Terraform >= 1.5.7 on PATH")
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_TERRAFORM_REGISTRY"}
    [result] = checks.check_with_provider(load_blueprint(LAMBDA_AURORA), current, str(tmp_path), env)
    assert result.status == "skipped" and "hashicorp/aws is not in the provider mirror" in result.detail


def test_plans_are_skipped_where_data_sources_read_the_account():
    # lambda-aurora's vpc module reads aws_availability_zones: no plan with dummy credentials.
    readers = checks._api_data_sources(load_blueprint(LAMBDA_AURORA))
    assert "aws_availability_zones" in readers and "aws_iam_policy_document" not in readers
