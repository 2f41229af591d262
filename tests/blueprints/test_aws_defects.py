"""Issue 14 defects: each check passes on the real blueprints and fails when the defect is put
back into a copy of the Terraform."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from blueprints import checks
from blueprints.spec import load_blueprint
from blueprints.static_analysis import accepted_skips, skips_in_text, top_level_blocks
from tests.processes import ROOT

TERRAFORM = ROOT / "terraform"


@pytest.fixture
def tree(tmp_path) -> Path:
    target = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, target, symlinks=True, ignore=shutil.ignore_patterns(".terraform"))
    return target


def remove_block(path: Path, address: str) -> None:
    text = path.read_text()
    block = next(b for b in top_level_blocks(text) if b.address == address)
    lines = text.splitlines()
    del lines[block.start - 1 : block.end]
    path.write_text("\n".join(lines) + "\n")


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def spec(tree: Path, slug: str):
    return load_blueprint(tree / "blueprints" / slug)


@pytest.mark.parametrize(
    ("slug", "permission"),
    [
        ("lambda-aurora", "aws_lambda_permission.function_url_invoke"),
        ("cloudfront-ec2", "aws_lambda_permission.nextjs_url_invoke"),
    ],
)
def test_a_public_function_url_without_invoke_function_fails(tree, slug, permission):
    assert checks.check_function_url_permissions(spec(tree, slug)).status == "ok"
    remove_block(tree / "blueprints" / slug / "main.tf", permission)
    result = checks.check_function_url_permissions(spec(tree, slug))
    assert result.status == "fail"
    assert "lambda:InvokeFunction with invoked_via_function_url = true" in result.detail


def test_a_public_function_url_without_invoke_function_url_fails(tree):
    remove_block(tree / "blueprints" / "lambda-aurora" / "main.tf", "aws_lambda_permission.function_url")
    result = checks.check_function_url_permissions(spec(tree, "lambda-aurora"))
    assert result.status == "fail" and "lambda:InvokeFunctionUrl" in result.detail


def test_an_iam_function_url_needs_no_public_permissions(tree):
    main = tree / "blueprints" / "lambda-aurora" / "main.tf"
    replace(main, "authorization_type = var.function_url_auth_type", 'authorization_type = "AWS_IAM"')
    remove_block(main, "aws_lambda_permission.function_url")
    remove_block(main, "aws_lambda_permission.function_url_invoke")
    assert checks.check_function_url_permissions(spec(tree, "lambda-aurora")).status == "ok"


def test_open_ingress_needs_the_intentionally_public_marker(tree):
    main = tree / "blueprints" / "cloudfront-ec2" / "main.tf"
    assert checks.check_open_ingress(spec(tree, "cloudfront-ec2")).status == "ok"
    text = main.read_text()
    main.write_text(re.sub(r"\n *# intentionally-public:[^\n]*", "", text))
    result = checks.check_open_ingress(spec(tree, "cloudfront-ec2"))
    assert result.status == "fail"
    assert "aws_vpc_security_group_ingress_rule.web opens ingress to 0.0.0.0/0" in result.detail


def test_a_new_rule_open_to_the_internet_fails(tree):
    extra = tree / "blueprints" / "lambda-aurora" / "ssh.tf"
    extra.write_text(
        'resource "aws_vpc_security_group_ingress_rule" "ssh" {\n'
        "  security_group_id = aws_security_group.lambda.id\n"
        '  ip_protocol       = "tcp"\n  from_port         = 22\n  to_port           = 22\n'
        '  cidr_ipv6         = "::/0"\n}\n'
    )
    result = checks.check_open_ingress(spec(tree, "lambda-aurora"))
    assert result.status == "fail" and "ssh opens ingress to ::/0" in result.detail


def test_restricted_egress_without_the_s3_prefix_list_fails(tree):
    assert checks.check_gateway_endpoint_egress(spec(tree, "lambda-aurora")).status == "ok"
    remove_block(
        tree / "blueprints" / "lambda-aurora" / "main.tf", "aws_vpc_security_group_egress_rule.lambda_s3"
    )
    result = checks.check_gateway_endpoint_egress(spec(tree, "lambda-aurora"))
    assert result.status == "fail"
    assert "aws_security_group.lambda restricts egress" in result.detail


def test_the_no_gateway_marker_is_needed_on_the_eks_load_balancer(tree):
    assert checks.check_gateway_endpoint_egress(spec(tree, "eks-platform")).status == "ok"
    alb = tree / "blueprints" / "eks-platform" / "alb.tf"
    alb.write_text(re.sub(r"\n *# no-gateway-endpoint:[^\n]*", "", alb.read_text()))
    result = checks.check_gateway_endpoint_egress(spec(tree, "eks-platform"))
    assert result.status == "fail" and "aws_security_group.alb" in result.detail


def test_rest_api_logging_needs_the_account_role(tree):
    assert checks.check_apigateway_account_role(spec(tree, "serverless-api")).status == "ok"
    meta = tree / "blueprints" / "serverless-api" / "blueprint.yaml"
    replace(meta, "account_prerequisites: [apigateway-cloudwatch-role]\n", "")
    result = checks.check_apigateway_account_role(spec(tree, "serverless-api"))
    assert result.status == "fail"
    assert (
        "aws_api_gateway_stage.this" in result.detail
        and "aws_api_gateway_method_settings.all" in result.detail
    )
    # Managing the account setting inside the blueprint also satisfies it.
    (tree / "blueprints" / "serverless-api" / "account.tf").write_text(
        'resource "aws_api_gateway_account" "this" {\n  cloudwatch_role_arn = "arn:aws:iam::1:role/x"\n}\n'
    )
    assert checks.check_apigateway_account_role(spec(tree, "serverless-api")).status == "ok"


def test_a_skip_without_a_reason_fails(tree):
    replace(
        tree / "modules" / "secret" / "main.tf",
        "  # checkov:skip=CKV2_AWS_57:",
        "  # checkov:skip=CKV_AWS_149\n  # checkov:skip=CKV2_AWS_57:",
    )
    result = checks.check_checkov_skips(spec(tree, "django-lambda"))
    assert (
        result.status == "fail"
        and "CKV_AWS_149 on aws_secretsmanager_secret.this has no reason" in result.detail
    )


def test_accepted_skips_come_from_the_blueprint_and_its_modules():
    skips = accepted_skips(load_blueprint(TERRAFORM / "blueprints" / "lambda-aurora").files)
    by_file = {(s.file, s.check_id, s.resource) for s in skips}
    assert ("blueprints/lambda-aurora/main.tf", "CKV_AWS_139", "aws_rds_cluster.aurora") in by_file
    assert ("modules/lambda_function/main.tf", "CKV_AWS_116", "aws_lambda_function.this") in by_file
    assert not any(s.file.startswith("modules/rds_postgres") for s in skips)  # not used here
    assert all(len(s.reason) >= 12 for s in skips)


def test_skip_extraction_ignores_braces_in_strings_and_heredocs():
    text = (
        'resource "aws_instance" "a" {\n'
        "  # checkov:skip=CKV_AWS_8: the tier keeps it small\n"
        '  user_data = <<-EOT\n    echo "}"\n    }\n  EOT\n'
        '  tags = { Name = "x}" }\n}\n'
        'resource "aws_instance" "b" {\n  # checkov:skip=CKV_AWS_79\n}\n'
    )
    skips = skips_in_text(text, "main.tf")
    assert [(s.resource, s.check_id, s.reason) for s in skips] == [
        ("aws_instance.a", "CKV_AWS_8", "the tier keeps it small"),
        ("aws_instance.b", "CKV_AWS_79", ""),
    ]


def test_offered_regions_must_be_priced():
    assert checks.check_regions_priced().status == "ok"
    result = checks.check_regions_priced(regions=("us-east-1", "eu-central-1"))
    assert result.status == "fail" and "eu-central-1 lacks" in result.detail


def test_checkov_finds_a_reintroduced_finding(tree):
    """The real tree has no unexplained finding; an unencrypted SNS topic is found again."""
    checkov_bin = settings.CHECKOV_BIN
    if not Path(checkov_bin).is_file():
        pytest.fail(f"{checkov_bin} is missing: `make checkov` builds it (make test does)")
    [real] = checks.check_checkov(checkov_bin, TERRAFORM)
    assert real.status == "ok" and " 0 failed" in real.detail
    replace(tree / "modules" / "monitoring" / "main.tf", "  kms_master_key_id = aws_kms_key.alarms.arn\n", "")
    results = checks.check_checkov(checkov_bin, tree)
    assert {r.status for r in results} == {"fail"}
    assert any("CKV_AWS_26" in r.detail and "aws_sns_topic.alarms" in r.detail for r in results)


def test_checkov_missing_is_a_failure_not_a_pass(tmp_path):
    [result] = checks.check_checkov(str(tmp_path / "no-checkov"), TERRAFORM)
    assert result.status == "fail" and "make checkov" in result.detail
