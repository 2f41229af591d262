"""Plan JSON in the shape `terraform show -json` (Terraform 1.0.3, format_version 0.2) writes.

`aws_intended_plan(blueprint, tier)` is each AWS blueprint's intended configuration for a tier:
the resources its Terraform creates with the tier defaults of its blueprint.yaml (form defaults
otherwise), reduced to the attributes the starter policies read plus the provider's default_tags
in tags_all. No AWS provider can run here, so these are written by hand from terraform/; a test
checks every resource type against the Terraform source, and `python -m
tests.portal.policies.plans` rewrites fixtures/*.json.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
AWS_BLUEPRINTS = ("cloudfront-ec2", "django-lambda", "eks-platform", "lambda-aurora", "serverless-api")
TIERS = ("dev", "staging", "prod")

# Types whose AWS provider schema has tags/tags_all (and so receive default_tags).
UNTAGGED = {
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_lambda_permission",
    "aws_lambda_function_url",
    "aws_volume_attachment",
    "aws_route53_record",
    "aws_route_table_association",
    "aws_sns_topic_policy",
    "aws_cloudfront_origin_access_control",
    "aws_secretsmanager_secret_version",
    "aws_kms_alias",
    "aws_eks_addon",
}


def _name_and_index(address: str) -> tuple[str, str, str, Any]:
    """Splits `[module.a[0].]type.name[index]` (no dots inside the index keys used here)."""
    parts = address.split(".")
    i = 0
    while parts[i] == "module":
        i += 2
    module_address = ".".join(parts[:i])
    rtype = parts[i]
    rest = ".".join(parts[i + 1 :])
    match = re.match(r"^([a-z0-9_]+)(?:\[(.+)\])?$", rest)
    assert match, address
    name, index = match.group(1), match.group(2)
    if index is not None:
        index = json.loads(index) if index.startswith('"') else int(index)
    return module_address, rtype, name, index


def resource_change(
    address: str,
    after: dict[str, Any],
    *,
    actions: list[str] | None = None,
    tags: dict | None = None,
    before: dict[str, Any] | None = None,
    default_tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    module_address, rtype, name, index = _name_and_index(address)
    after = dict(after)
    after_unknown: dict[str, Any] = {"id": True}
    if rtype not in UNTAGGED and not rtype.startswith("null_"):
        after["tags"] = tags
        after["tags_all"] = {**(default_tags or {}), **(tags or {})}
    if rtype.startswith("null_"):
        provider = "registry.terraform.io/hashicorp/null"
    else:
        provider = "registry.terraform.io/hashicorp/aws"
        after_unknown["arn"] = True
    actions = actions or ["create"]
    change: dict[str, Any] = {
        "actions": actions,
        "before": before,
        "after": None if actions == ["delete"] else after,
        "after_unknown": {} if actions == ["delete"] else after_unknown,
        "before_sensitive": False if before is None else {},
        "after_sensitive": False if actions == ["delete"] else {},
    }
    rc: dict[str, Any] = {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        "provider_name": provider,
        "change": change,
    }
    if module_address:
        rc["module_address"] = module_address
    if index is not None:
        rc["index"] = index
    return rc


def plan_document(resource_changes: list[dict[str, Any]], variables: dict[str, Any]) -> dict[str, Any]:
    """Wraps resource changes in the rest of `terraform show -json`'s plan document."""
    modules: dict[str, list[dict[str, Any]]] = {}
    for rc in resource_changes:
        if rc["change"]["after"] is None:
            continue
        values = {k: v for k, v in rc["change"]["after"].items()}
        entry = {
            "address": rc["address"],
            "mode": "managed",
            "type": rc["type"],
            "name": rc["name"],
            "provider_name": rc["provider_name"],
            "schema_version": 0,
            "values": values,
            "sensitive_values": {},
        }
        if "index" in rc:
            entry["index"] = rc["index"]
        modules.setdefault(rc.get("module_address", ""), []).append(entry)
    root: dict[str, Any] = {"resources": modules.pop("", [])}
    if modules:
        root["child_modules"] = [{"address": a, "resources": r} for a, r in sorted(modules.items())]
    return {
        "format_version": "0.2",
        "terraform_version": "1.0.3",
        "variables": {k: {"value": v} for k, v in sorted(variables.items())},
        "planned_values": {"root_module": root},
        "resource_changes": resource_changes,
        "configuration": {"provider_config": {}, "root_module": {}},
    }


# ------------------------------------------------------------------ building blocks of the modules


def _s3_bucket(prefix: str, bucket: str, *, force_destroy: bool, kms: bool = False) -> list[tuple[str, dict]]:
    return [
        (f"{prefix}.aws_s3_bucket.this", {"bucket": bucket, "force_destroy": force_destroy}),
        (
            f"{prefix}.aws_s3_bucket_public_access_block.this",
            {
                "block_public_acls": True,
                "block_public_policy": True,
                "ignore_public_acls": True,
                "restrict_public_buckets": True,
            },
        ),
        (
            f"{prefix}.aws_s3_bucket_ownership_controls.this",
            {"rule": [{"object_ownership": "BucketOwnerEnforced"}]},
        ),
        (
            f"{prefix}.aws_s3_bucket_server_side_encryption_configuration.this",
            {
                "rule": [
                    {
                        "apply_server_side_encryption_by_default": [
                            {"sse_algorithm": "aws:kms" if kms else "AES256"}
                        ],
                        "bucket_key_enabled": kms,
                    }
                ]
            },
        ),
        (f"{prefix}.aws_s3_bucket_versioning.this", {"versioning_configuration": [{"status": "Enabled"}]}),
        # The policy document comes from a data source that reads the bucket ARN: unknown at plan.
        (f"{prefix}.aws_s3_bucket_policy.this", {}),
    ]


def _vpc(prefix: str, *, az_count: int, private: bool, nat: str) -> list[tuple[str, dict]]:
    items: list[tuple[str, dict]] = [
        (f"{prefix}.aws_vpc.this", {"cidr_block": "10.0.0.0/16", "enable_dns_hostnames": True}),
        (f"{prefix}.aws_default_security_group.this", {"ingress": [], "egress": []}),
        (f"{prefix}.aws_internet_gateway.this", {}),
        (f"{prefix}.aws_route_table.public", {}),
        (f"{prefix}.aws_cloudwatch_log_group.flow", {"retention_in_days": 14}),
        (f"{prefix}.aws_flow_log.this", {"traffic_type": "REJECT"}),
    ]
    for i in range(az_count):
        items.append((f"{prefix}.aws_subnet.public[{i}]", {"map_public_ip_on_launch": False}))
        items.append((f"{prefix}.aws_route_table_association.public[{i}]", {}))
        if private:
            items.append((f"{prefix}.aws_subnet.private[{i}]", {"map_public_ip_on_launch": False}))
    nat_count = {"none": 0, "single": 1, "per_az": az_count}[nat]
    for i in range(nat_count):
        items.append((f"{prefix}.aws_eip.nat[{i}]", {"domain": "vpc"}))
        items.append((f"{prefix}.aws_nat_gateway.this[{i}]", {"connectivity_type": "public"}))
    return items


def _lambda(prefix: str, name: str, memory: int) -> list[tuple[str, dict]]:
    return [
        (f"{prefix}.aws_iam_role.this", {"name": f"{name}-role"}),
        (f"{prefix}.aws_cloudwatch_log_group.this", {"name": f"/aws/lambda/{name}", "retention_in_days": 14}),
        (f"{prefix}.aws_lambda_function.this", {"function_name": name, "memory_size": memory}),
    ]


def _monitoring(prefix: str) -> list[tuple[str, dict]]:
    return [
        (f"{prefix}.aws_sns_topic.alarms", {"kms_master_key_id": "alias/aws/sns"}),
        (f"{prefix}.aws_sns_topic_policy.alarms", {}),
        (f"{prefix}.aws_cloudwatch_dashboard.this", {}),
    ]


def _static_site(prefix: str, bucket: str, *, prod: bool) -> list[tuple[str, dict]]:
    return [
        *_s3_bucket(f"{prefix}.module.bucket", bucket, force_destroy=not prod),
        (f"{prefix}.aws_cloudfront_origin_access_control.this", {"signing_protocol": "sigv4"}),
        (f"{prefix}.aws_cloudfront_distribution.this", {"enabled": True, "is_ipv6_enabled": True}),
    ]


def _ingress(address: str, port: int, *, cidr: str | None = None) -> tuple[str, dict]:
    """A rule from a CIDR, or (cidr None) from a security group whose id is known only after apply."""
    after: dict[str, Any] = {"ip_protocol": "tcp", "from_port": port, "to_port": port}
    if cidr:
        after["cidr_ipv4"] = cidr
    return (address, after)


def _egress_all(address: str, cidr: str = "0.0.0.0/0") -> tuple[str, dict]:
    return (address, {"ip_protocol": "-1", "cidr_ipv4": cidr})


def _rds_postgres(
    prefix: str, name: str, *, instance_class: str, multi_az: bool, deletion_protection: bool, storage: int
) -> list[tuple[str, dict]]:
    return [
        (f"{prefix}.aws_db_subnet_group.this", {"name": name}),
        (f"{prefix}.aws_security_group.this", {"name": f"{name}-db"}),
        (f"{prefix}.aws_db_parameter_group.this", {"name": name, "family": "postgres16"}),
        (
            f"{prefix}.aws_db_instance.this",
            {
                "identifier": name,
                "engine": "postgres",
                "instance_class": instance_class,
                "allocated_storage": storage,
                "storage_type": "gp3",
                "storage_encrypted": True,
                "publicly_accessible": False,
                "multi_az": multi_az,
                "deletion_protection": deletion_protection,
                "skip_final_snapshot": not deletion_protection,
            },
        ),
    ]


# ------------------------------------------------------------------ the five blueprints


def _cloudfront_ec2(tier: str, name: str) -> list[tuple[str, dict]]:
    prod = tier == "prod"
    instance_type = {"dev": "t4g.small", "staging": "t4g.medium", "prod": "m7g.medium"}[tier]
    volume = {"dev": 20, "staging": 30, "prod": 30}[tier]
    return [
        *_vpc("module.vpc", az_count=1, private=False, nat="none"),
        ("aws_security_group.server", {"name": f"{name}-server"}),
        _ingress('aws_vpc_security_group_ingress_rule.web["80"]', 80, cidr="0.0.0.0/0"),
        _ingress('aws_vpc_security_group_ingress_rule.web["443"]', 443, cidr="0.0.0.0/0"),
        _egress_all("aws_vpc_security_group_egress_rule.all"),
        ("aws_ssm_parameter.secret", {"type": "SecureString"}),
        *_s3_bucket("module.backups", f"{name}-backups-123456789012", force_destroy=not prod),
        ("aws_iam_role.server", {}),
        ("aws_iam_role_policy.server", {}),
        ("aws_iam_instance_profile.server", {}),
        ("aws_iam_role.dlm", {}),
        ("aws_dlm_lifecycle_policy.data", {"state": "ENABLED"}),
        (
            "aws_ebs_volume.data",
            {
                "type": "gp3",
                "size": volume,
                "iops": 3000,
                "throughput": 125,
                "encrypted": True,
                "final_snapshot": prod,
            },
        ),
        (
            "aws_instance.server",
            {
                "instance_type": instance_type,
                "monitoring": prod,
                "disable_api_termination": prod,
                "metadata_options": [{"http_tokens": "required", "http_endpoint": "enabled"}],
                "root_block_device": [{"volume_type": "gp3", "volume_size": 20, "encrypted": True}],
            },
        ),
        ("aws_volume_attachment.data", {"device_name": "/dev/sdf", "stop_instance_before_detaching": True}),
        ("aws_eip.server", {"domain": "vpc"}),
        ("module.api.aws_apigatewayv2_api.this", {"protocol_type": "HTTP"}),
        ("module.api.aws_apigatewayv2_stage.default", {"name": "$default"}),
        *_lambda("module.nextjs", f"{name}-nextjs", 1024),
        ("aws_lambda_function_url.nextjs", {"authorization_type": "AWS_IAM"}),
        *_static_site("module.site", f"{name}-assets-123456789012", prod=prod),
        *_monitoring("module.monitoring"),
    ]


def _django_lambda(tier: str, name: str) -> list[tuple[str, dict]]:
    prod = tier == "prod"
    items: list[tuple[str, dict]] = []
    if prod:  # database_mode "dedicated" only in prod; dev and staging share a database
        items += [
            *_vpc("module.vpc[0]", az_count=2, private=True, nat="single"),
            ("aws_security_group.app[0]", {"name": f"{name}-app"}),
            _egress_all("aws_vpc_security_group_egress_rule.app_all[0]"),
            *_rds_postgres(
                "module.database[0]",
                name,
                instance_class="db.t3.small",
                multi_az=False,
                deletion_protection=True,
                storage=20,
            ),
        ]
    items += [
        (
            "module.rate_limits.aws_dynamodb_table.this",
            {
                "name": f"{name}-rate-limits",
                "billing_mode": "PAY_PER_REQUEST",
                "deletion_protection_enabled": prod,
                "point_in_time_recovery": [{"enabled": True}],
                "server_side_encryption": [{"enabled": True}],
            },
        ),
        *_s3_bucket("module.media", f"{name}-media-123456789012", force_destroy=not prod),
        ("module.django_secret.aws_secretsmanager_secret.this", {"name": f"{name}/django"}),
        *_lambda("module.app_function", f"{name}-django", 1024 if prod else 512),
        ("module.api.aws_api_gateway_rest_api.this", {"name": f"{name}-api"}),
        ("module.api.aws_api_gateway_stage.this", {"stage_name": "live"}),
        ("module.api.aws_cloudwatch_log_group.access", {"retention_in_days": 7}),
        *_static_site("module.web", f"{name}-web-123456789012", prod=prod),
        ("aws_ecs_cluster.import", {"name": f"{name}-import"}),
        ("aws_cloudwatch_log_group.import", {"retention_in_days": 7}),
        ("aws_ecs_task_definition.import", {"family": f"{name}-import", "cpu": "1024", "memory": "2048"}),
        ("aws_iam_role.import_task", {}),
        ("aws_iam_role.import_execution", {}),
        *_monitoring("module.monitoring"),
    ]
    return items


def _eks_platform(tier: str, name: str) -> list[tuple[str, dict]]:
    prod = tier == "prod"
    az_count, nat = {"dev": (2, "single"), "staging": (2, "single"), "prod": (3, "per_az")}[tier]
    db_class = {"dev": "db.t4g.micro", "staging": "db.t4g.medium", "prod": "db.m7g.large"}[tier]
    items: list[tuple[str, dict]] = [
        *_vpc("module.vpc", az_count=az_count, private=True, nat=nat),
        ("aws_kms_key.main", {"enable_key_rotation": True, "deletion_window_in_days": 30}),
        ("aws_kms_alias.main", {"name": f"alias/{name}"}),
        ("aws_iam_role.cluster", {}),
        ("aws_cloudwatch_log_group.cluster", {"retention_in_days": 90 if prod else 14}),
        (
            "aws_eks_cluster.this",
            {
                "name": name,
                "vpc_config": [{"endpoint_private_access": True, "endpoint_public_access": False}],
            },
        ),
        ("aws_iam_role.fargate", {}),
        ("aws_eks_fargate_profile.coredns", {"fargate_profile_name": "coredns"}),
        ("aws_eks_fargate_profile.namespace", {"fargate_profile_name": "app"}),
        ("aws_eks_addon.coredns", {"addon_name": "coredns"}),
        ("aws_security_group.alb", {"name": f"{name}-alb"}),
        _ingress('aws_vpc_security_group_ingress_rule.alb["443"]', 443, cidr="0.0.0.0/0"),
        _ingress('aws_vpc_security_group_ingress_rule.alb["80"]', 80, cidr="0.0.0.0/0"),
        (
            "aws_vpc_security_group_egress_rule.alb_to_pods",
            {"ip_protocol": "tcp", "from_port": 8000, "to_port": 8000, "cidr_ipv4": "10.0.0.0/16"},
        ),
        _ingress("aws_vpc_security_group_ingress_rule.pods_from_alb", 8000),
        (
            "aws_lb.app",
            {
                "name": f"{name}-alb",
                "load_balancer_type": "application",
                "internal": False,
                "drop_invalid_header_fields": True,
                "enable_deletion_protection": prod,
            },
        ),
        ("aws_lb_target_group.app", {"port": 8000, "protocol": "HTTP", "target_type": "ip"}),
        ("aws_lb_listener.http", {"port": 80, "protocol": "HTTP"}),
        ("aws_lb_listener.https", {"port": 443, "protocol": "HTTPS"}),
        ("aws_wafv2_web_acl.app", {"scope": "REGIONAL"}),
        *_rds_postgres(
            "module.database",
            name,
            instance_class=db_class,
            multi_az=prod,
            deletion_protection=prod,
            storage=20 if not prod else 100,
        ),
        *_s3_bucket("module.data_bucket", f"{name}-data-123456789012", force_destroy=not prod, kms=True),
        ("aws_sqs_queue.tasks", {"name": f"{name}-tasks", "kms_master_key_id": "alias/aws/sqs"}),
        ("aws_sqs_queue.tasks_dlq", {"name": f"{name}-tasks-dlq"}),
        *_s3_bucket("module.trail_bucket[0]", f"{name}-trail-123456789012", force_destroy=not prod),
        ("aws_cloudtrail.this[0]", {"is_multi_region_trail": False, "enable_log_file_validation": True}),
        *_monitoring("module.monitoring"),
    ]
    if prod:  # enable_s3_replication
        items += [
            ("aws_kms_key.replica", {"enable_key_rotation": True}),
            *_s3_bucket(
                "module.replica_bucket[0]", f"{name}-replica-123456789012", force_destroy=False, kms=True
            ),
            ("aws_iam_role.s3_replication[0]", {}),
            ("aws_s3_bucket_replication_configuration.data[0]", {}),
        ]
    return items


def _lambda_aurora(tier: str, name: str) -> list[tuple[str, dict]]:
    prod = tier == "prod"
    return [
        *_vpc("module.vpc", az_count=2, private=True, nat="none"),
        ("aws_security_group.lambda", {"name": f"{name}-lambda"}),
        _egress_all("aws_vpc_security_group_egress_rule.lambda_vpc", "10.0.0.0/16"),
        ("aws_security_group.db", {"name": f"{name}-aurora"}),
        _ingress("aws_vpc_security_group_ingress_rule.db_from_lambda", 5432),
        ("aws_db_subnet_group.aurora", {"name": name}),
        (
            "aws_rds_cluster.aurora",
            {
                "cluster_identifier": name,
                "engine": "aurora-postgresql",
                "engine_mode": "provisioned",
                "storage_encrypted": True,
                "deletion_protection": prod,
                "skip_final_snapshot": not prod,
                "serverlessv2_scaling_configuration": [
                    {
                        "min_capacity": 0.5 if prod else 0,
                        "max_capacity": {"dev": 1, "staging": 2, "prod": 4}[tier],
                    }
                ],
            },
        ),
        (
            "aws_rds_cluster_instance.writer",
            {"instance_class": "db.serverless", "publicly_accessible": False},
        ),
        *_lambda("module.app_function", f"{name}-flask-app", 1024 if prod else 512),
        ("aws_lambda_function_url.app", {"authorization_type": "NONE"}),
        ("aws_budgets_budget.monthly", {"budget_type": "COST", "limit_amount": "300" if prod else "50"}),
        *_monitoring("module.monitoring"),
    ]


def _serverless_api(tier: str, name: str) -> list[tuple[str, dict]]:
    prod = tier == "prod"
    items: list[tuple[str, dict]] = [
        (
            "module.table.aws_dynamodb_table.this",
            {
                "name": f"{name}-items",
                "billing_mode": "PAY_PER_REQUEST",
                "deletion_protection_enabled": prod,
                "point_in_time_recovery": [{"enabled": True}],
                "server_side_encryption": [{"enabled": True}],
            },
        ),
        ("module.app_secret.aws_secretsmanager_secret.this", {"name": f"{name}/app"}),
        *_lambda("module.api_function", f"{name}-api", 1024 if prod else 512),
        ("module.api.aws_api_gateway_rest_api.this", {"name": f"{name}-api"}),
        ("module.api.aws_api_gateway_stage.this", {"stage_name": "live"}),
        *_static_site("module.web", f"{name}-web-123456789012", prod=prod),
        *_monitoring("module.monitoring"),
    ]
    if tier != "dev":  # enable_daily_export
        items += [
            *_s3_bucket("module.exports[0]", f"{name}-exports-123456789012", force_destroy=not prod),
            ("aws_iam_role.export[0]", {}),
            ("aws_scheduler_schedule.export[0]", {"schedule_expression": "cron(0 3 * * ? *)"}),
        ]
    return items


BUILDERS = {
    "cloudfront-ec2": _cloudfront_ec2,
    "django-lambda": _django_lambda,
    "eks-platform": _eks_platform,
    "lambda-aurora": _lambda_aurora,
    "serverless-api": _serverless_api,
}


def portal_variables(blueprint: str, tier: str) -> dict[str, Any]:
    return {
        "name": f"{blueprint.split('-')[0]}-{tier}",
        "tier": tier,
        "team": "payments",
        "cost_centre": "cc-4711",
        "blueprint": blueprint,
        "blueprint_version": "1.0.0",
        "region": "eu-west-1",
    }


def default_tags(variables: dict[str, Any]) -> dict[str, str]:
    return {
        "Team": variables["team"],
        "Environment": variables["name"],
        "Tier": variables["tier"],
        "Blueprint": variables["blueprint"],
        "BlueprintVersion": variables["blueprint_version"],
        "CostCentre": variables["cost_centre"],
    }


def aws_intended_plan(blueprint: str, tier: str) -> dict[str, Any]:
    variables = portal_variables(blueprint, tier)
    tags = default_tags(variables)
    changes = [
        resource_change(address, after, default_tags=tags)
        for address, after in BUILDERS[blueprint](tier, variables["name"])
    ]
    return plan_document(changes, variables)


def context_for(blueprint: str, tier: str) -> dict[str, Any]:
    return {
        "team": "payments",
        "tier": tier,
        "blueprint": blueprint,
        "blueprint_version": "1.0.0",
        "requester": "alice",
        "estimate": 120.0,
        "delta": 120.0,
        "action": "create",
    }


def load_fixture(blueprint: str, tier: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{blueprint}-{tier}.json").read_text())


def with_change(plan: dict[str, Any], address: str, **after_updates: Any) -> dict[str, Any]:
    """A copy of `plan` whose resource `address` has `after_updates` merged into its planned values."""
    plan = copy.deepcopy(plan)
    for rc in plan["resource_changes"]:
        if rc["address"] == address:
            rc["change"]["after"].update(after_updates)
            return plan
    raise KeyError(address)


def write_fixtures() -> list[Path]:
    FIXTURES.mkdir(exist_ok=True)
    written = []
    for blueprint in AWS_BLUEPRINTS:
        for tier in TIERS:
            path = FIXTURES / f"{blueprint}-{tier}.json"
            path.write_text(json.dumps(aws_intended_plan(blueprint, tier), indent=1, sort_keys=True) + "\n")
            written.append(path)
    return written


if __name__ == "__main__":
    for p in write_fixtures():
        print(p.name)
