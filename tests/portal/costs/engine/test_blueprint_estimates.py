"""Form estimates of the real blueprints (cost_resources + inventory + usage profiles), the
`cost resources` check, and the seeds' cost tables against the catalog."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import pytest

from blueprints.checks import check_cost_resources
from blueprints.inputs import validate_inputs
from blueprints.inventory import inventory
from blueprints.spec import BLUEPRINTS_DIR, TIERS, BlueprintSpec, load_all, load_blueprint
from portal.costs.engine.estimator import UNPRICED, Estimate, Resource, estimate, resources_from_form
from portal.costs.engine.prices import PriceCatalog, load_catalog
from portal.costs.engine.rules import FREE_TYPES, RULES

REGION = "us-east-1"
PROFILES = ("small", "medium", "large")
SPECS = {spec.slug: spec for spec in load_all()}


@pytest.fixture(scope="module")
def catalog() -> PriceCatalog:
    return load_catalog()


def form_inputs(spec: BlueprintSpec, tier: str, **overrides: Any) -> dict[str, Any]:
    """What the request form sends (tier defaults, hidden fields dropped) plus the portal's name,
    tier and region, which `when: tier=prod` conditions read."""
    data = {"name": "cost-check", "tier": tier, "region": REGION, **overrides}
    values = validate_inputs(spec, data).values
    return {**values, "name": "cost-check", "tier": tier, "region": REGION}


def form_estimate(
    spec: BlueprintSpec,
    tier: str,
    profile: str,
    catalog: PriceCatalog,
    *,
    region: str = REGION,
    **overrides: Any,
) -> Estimate:
    resources = resources_from_form(
        spec.metadata.get("cost_resources", []),
        inventory(spec.files, spec.entry_dir),
        form_inputs(spec, tier, **overrides),
        spec.metadata["usage_profiles"][profile],
    )
    return estimate(resources, catalog=catalog, region=region, rules=RULES, free_types=FREE_TYPES)


def line(result: Estimate, address: str, component: str) -> float:
    matches = [i for i in result.line_items if i.resource_address == address and i.component == component]
    assert len(matches) == 1, [(i.resource_address, i.component) for i in result.line_items]
    assert matches[0].monthly_usd is not None
    return matches[0].monthly_usd


def usd(catalog: PriceCatalog, key: str) -> float:
    return catalog.price(key, REGION).usd


# ------------------------------------------------------------------------------------------ every blueprint


def test_all_six_blueprints_are_here() -> None:
    assert sorted(SPECS) == [
        "cloudfront-ec2",
        "django-lambda",
        "eks-platform",
        "lambda-aurora",
        "local-sandbox",
        "serverless-api",
    ]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("slug", sorted(SPECS))
def test_every_blueprint_tier_and_profile_is_fully_priced(
    slug: str, tier: str, profile: str, catalog: PriceCatalog
) -> None:
    spec = SPECS[slug]
    result = form_estimate(spec, tier, profile, catalog)
    unpriced = [(i.resource_address, i.assumption) for i in result.line_items if i.status == UNPRICED]
    assert result.coverage.unpriced == 0, unpriced
    assert result.coverage.complete
    if slug == "local-sandbox":
        assert result.total_monthly_usd == 0
        assert result.coverage.free == result.coverage.total > 0
        assert {i.assumption for i in result.line_items} == {"local sandbox: no cloud resource"}
    else:
        assert result.total_monthly_usd > 0
        assert result.coverage.priced > 0
        assert all(i.assumption for i in result.line_items if i.monthly_usd)


@pytest.mark.parametrize("slug", sorted(set(SPECS) - {"local-sandbox"}))
def test_an_uncatalogued_region_leaves_billable_resources_unpriced_not_free(
    slug: str, catalog: PriceCatalog
) -> None:
    result = form_estimate(SPECS[slug], "dev", "medium", catalog, region="ap-southeast-2")
    assert result.coverage.unpriced > 0 and not result.coverage.complete
    assert all(i.monthly_usd is None for i in result.line_items if i.status == UNPRICED)


def test_bigger_profiles_cost_more(catalog: PriceCatalog) -> None:
    for slug in sorted(set(SPECS) - {"local-sandbox"}):
        totals = [form_estimate(SPECS[slug], "prod", p, catalog).total_monthly_usd for p in PROFILES]
        assert totals == sorted(totals), (slug, totals)


def test_tier_choices_show_in_the_estimate(catalog: PriceCatalog) -> None:
    # eks-platform: one NAT gateway in dev ("single"), one per AZ in prod (3 AZs, "per_az").
    dev = form_estimate(SPECS["eks-platform"], "dev", "medium", catalog)
    prod = form_estimate(SPECS["eks-platform"], "prod", "medium", catalog)
    nats = [i for i in dev.line_items if i.component == "NAT gateway"]
    assert len(nats) == 1
    assert len([i for i in prod.line_items if i.component == "NAT gateway"]) == 3
    assert len([i for i in prod.line_items if i.resource_address.startswith("module.vpc.aws_eip.nat")]) == 3
    # django-lambda: a shared database (dev) has no RDS instance here; a dedicated one (prod) has.
    shared = form_estimate(SPECS["django-lambda"], "dev", "medium", catalog)
    dedicated = form_estimate(SPECS["django-lambda"], "prod", "medium", catalog)
    assert not [i for i in shared.line_items if i.resource_type == "aws_db_instance"]
    assert (
        line(dedicated, "module.database.aws_db_instance.this", "Instance db.t3.small postgres (Single-AZ)")
        > 0
    )
    # serverless-api: X-Ray tracing only in prod (tier=prod), daily exports from staging up.
    api_dev = form_estimate(SPECS["serverless-api"], "dev", "medium", catalog)
    api_prod = form_estimate(SPECS["serverless-api"], "prod", "medium", catalog)
    assert not [i for i in api_dev.line_items if "X-Ray" in i.component or "export" in i.component]
    assert [i for i in api_prod.line_items if i.component == "X-Ray traces recorded"]
    assert [i for i in api_prod.line_items if i.component == "DynamoDB export to S3"]
    # The ALB has one public address per AZ: 2 in dev, 3 in prod.
    assert line(dev, "aws_lb.app", "Public IPv4 addresses") == pytest.approx(2 * 3.65)
    assert line(prod, "aws_lb.app", "Public IPv4 addresses") == pytest.approx(3 * 3.65)


def test_for_each_over_a_list_field_counts_its_entries(catalog: PriceCatalog) -> None:
    spec = SPECS["lambda-aurora"]
    result = form_estimate(
        spec, "dev", "medium", catalog, vpc_interface_endpoints=["secretsmanager", "logs", "ecr.api"]
    )
    endpoints = [i for i in result.line_items if i.component == "Interface endpoint"]
    assert [i.resource_address for i in endpoints] == [
        f"module.vpc.aws_vpc_endpoint.interface[{n}]" for n in range(3)
    ]


# ------------------------------------------------------------------------------------------ the check


def with_entries(spec: BlueprintSpec, entries: list[dict[str, Any]]) -> BlueprintSpec:
    return dataclasses.replace(spec, metadata={**spec.metadata, "cost_resources": entries})


@pytest.mark.parametrize("slug", sorted(SPECS))
def test_the_real_blueprints_pass_the_cost_check(slug: str) -> None:
    result = check_cost_resources(SPECS[slug])
    assert result.status == "ok", result.detail


def test_the_cost_check_catches_each_kind_of_mistake() -> None:
    spec = load_blueprint(BLUEPRINTS_DIR / "lambda-aurora")
    entries = [dict(e) for e in spec.metadata["cost_resources"]]
    # A billable resource without an entry.
    missing = with_entries(spec, [e for e in entries if e["address"] != "aws_budgets_budget.monthly"])
    assert "aws_budgets_budget.monthly: aws_budgets_budget is billable and has no cost_resources entry" in (
        check_cost_resources(missing).detail
    )
    bad = [
        {"address": "aws_budgets_budget.nope", "type": "aws_budgets_budget"},
        {"address": "aws_rds_cluster.aurora", "type": "aws_db_instance"},
        {"address": "aws_security_group.db", "type": "aws_security_group"},
        {"address": "aws_budgets_budget.monthly", "type": "aws_budgets_budget", "when": "no_such_field"},
        {
            "address": "aws_budgets_budget.monthly",
            "type": "aws_budgets_budget",
            "when": "function_url_auth_type=OPEN",
        },
        {"address": "aws_budgets_budget.monthly", "type": "aws_budgets_budget", "when": "tier=qa"},
        {"address": "aws_budgets_budget.monthly", "type": "aws_budgets_budget", "count": "how_many"},
        {"address": "aws_budgets_budget.monthly", "type": "aws_budgets_budget", "count": "image_uri"},
        {
            "address": "aws_budgets_budget.monthly",
            "type": "aws_budgets_budget",
            "attributes": {"x": ["{nope}"]},
        },
        {
            "address": "aws_budgets_budget.monthly",
            "type": "aws_budgets_budget",
            "usage": {"requests": "not_a_quantity"},
        },
    ]
    result = check_cost_resources(with_entries(spec, entries + bad))
    assert result.status == "fail"
    for expected in (
        "aws_budgets_budget.nope: no such resource in the blueprint's Terraform",
        "aws_rds_cluster.aurora: type aws_db_instance differs from the Terraform's aws_rds_cluster",
        "aws_security_group.db: aws_security_group has no pricing rule",
        "when 'no_such_field' names unknown field 'no_such_field'",
        "when 'function_url_auth_type=OPEN': 'OPEN' is not one of function_url_auth_type's choices",
        "when 'tier=qa': tier is one of dev, staging, prod",
        "count names unknown field 'how_many'",
        "count field 'image_uri' is neither a number nor a list",
        "attribute value {nope} names an unknown field",
        "usage requests = 'not_a_quantity' is missing from profile(s) small, medium, large",
    ):
        assert expected in result.detail, expected


def test_a_usage_quantity_missing_from_one_profile_fails() -> None:
    spec = load_blueprint(BLUEPRINTS_DIR / "lambda-aurora")
    profiles = json.loads(json.dumps(spec.metadata["usage_profiles"]))
    del profiles["large"]["aurora_io_requests_per_month"]
    broken = dataclasses.replace(spec, metadata={**spec.metadata, "usage_profiles": profiles})
    result = check_cost_resources(broken)
    assert "io_requests = 'aurora_io_requests_per_month' is missing from profile(s) large" in result.detail


def test_cost_attributes_use_the_provider_s_attribute_names() -> None:
    """Every attribute a cost_resources entry sets exists on that type in the AWS provider schema
    snapshot, nested blocks included, so the same rule reads a plan's `after` values."""
    from blueprints.provider_schema import load_schema

    schema = load_schema()["resources"]
    # The one deliberate exception: an Aurora instance has no scaling attribute of its own, so its
    # entry carries a copy of its cluster's (the rule's floor and cap at min/max capacity).
    borrowed = {("aws_rds_cluster_instance", "serverlessv2_scaling_configuration")}

    def walk(type_: str, block: Mapping[str, Any] | None, values: Mapping[str, Any], where: str) -> list[str]:
        if block is None:  # a recursive block the snapshot does not expand (WAF statements)
            return []
        problems = []
        for name, value in values.items():
            if name in block.get("arguments", {}) or (type_, name) in borrowed:
                continue
            nested = block.get("blocks", {}).get(name)
            if nested is None:
                problems.append(f"{where}.{name}")
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, Mapping):
                    problems += walk(type_, nested["schema"], item, f"{where}.{name}")
        return problems

    problems = []
    checked = 0
    for spec in SPECS.values():
        for entry in spec.metadata.get("cost_resources", []):
            where = f"{spec.slug}:{entry['address']}"
            problems += walk(entry["type"], schema[entry["type"]], entry.get("attributes", {}), where)
            checked += len(entry.get("attributes", {}))
    assert checked > 100
    assert not problems


# ------------------------------------------------------------------------------------------ seeds


def test_seed_002_aurora_at_half_an_acu(catalog: PriceCatalog) -> None:
    """Seed 002 (Edgar's Mobile Auto Shop): "Aurora Serverless v2 (0.5 ACU): ~$43.80" and
    "Secrets Manager: $0.40/secret"."""
    result = form_estimate(SPECS["lambda-aurora"], "dev", "medium", catalog)
    aurora = line(result, "aws_rds_cluster_instance.writer", "Aurora Serverless v2 capacity")
    assert aurora == pytest.approx(0.5 * 730 * usd(catalog, "aurora.serverless_v2.acu_hour"))
    assert aurora == pytest.approx(43.80)
    # The one secret of the seed is RDS's managed master password.
    secret = line(result, "aws_rds_cluster.aurora", "Master password secret (Secrets Manager)")
    assert secret == pytest.approx(0.40)
    # In prod the cluster never pauses: even the small profile's 90 ACU-hours pay 0.5 ACU all month.
    prod_small = form_estimate(SPECS["lambda-aurora"], "prod", "small", catalog)
    assert line(
        prod_small, "aws_rds_cluster_instance.writer", "Aurora Serverless v2 capacity"
    ) == pytest.approx(43.80)


def test_seed_003_ec2_ebs_and_elastic_ip(catalog: PriceCatalog) -> None:
    """Seed 003 (Shtetl Zmanim) cost table: "EC2 m7g.medium (reserved) ~$25", "EBS 30GB gp3 ~$3",
    "Elastic IP ~$4" — prod tier (m7g.medium, 30 GB data volume), medium profile."""
    result = form_estimate(SPECS["cloudfront-ec2"], "prod", "medium", catalog)
    ec2 = line(result, "aws_instance.server", "Instance m7g.medium (on-demand, Linux)")
    ebs = line(result, "aws_ebs_volume.data", "volume: gp3 storage")
    eip = line(result, "aws_eip.server", "Public IPv4 address")
    assert ec2 == pytest.approx(730 * usd(catalog, "ec2.instance.m7g.medium"), abs=0.01)
    assert ebs == pytest.approx(30 * usd(catalog, "ebs.gp3.storage"), abs=0.01)
    assert eip == pytest.approx(730 * usd(catalog, "ec2.public_ipv4"), abs=0.01)
    # EC2: the seed's ~$25 is a *reserved* rate; the estimate uses on-demand list prices,
    # $0.0408/h × 730 h = $29.78. The difference is the reservation discount, not an error.
    assert ec2 == pytest.approx(29.78, abs=0.01)
    assert ec2 - 25 == pytest.approx(4.78, abs=0.01), (
        "seed 003 says ~$25 for a reserved m7g.medium; on demand it is $29.78/month"
    )
    # EBS: 30 GB × $0.08 = $2.40; the seed's "~$3" is that figure rounded up.
    assert ebs == pytest.approx(2.40, abs=0.01)
    assert abs(ebs - 3) < 1, "seed 003's ~$3 for 30 GB gp3 should round from $2.40"
    # Elastic IP: 730 h × $0.005 = $3.65. Before 1 Feb 2024 an EIP attached to a running instance
    # was free; the seed's "~$4" already reflects the public IPv4 charge, so it is current.
    assert eip == pytest.approx(3.65, abs=0.01)
    assert round(eip) == 4, "seed 003's ~$4 for the Elastic IP matches the public IPv4 charge"
    # Not in the seed's table: the instance's 20 GB root volume and prod's detailed monitoring.
    assert line(result, "aws_instance.server", "root volume: gp3 storage") == pytest.approx(1.60)
    assert line(result, "aws_instance.server", "Detailed monitoring") == pytest.approx(2.10)


def test_seed_001_serverless_column(catalog: PriceCatalog) -> None:
    """Seed 001 (Coalition Builder) "Serverless" column: Lambda $5, API Gateway $4, RDS $15
    (db.t3.micro, 20 GB gp3), DynamoDB $1 — the medium profile with a dedicated db.t3.micro."""
    result = form_estimate(
        SPECS["django-lambda"],
        "staging",
        "medium",
        catalog,
        database_mode="dedicated",
        db_instance_class="db.t3.micro",
    )
    function = "module.app_function.aws_lambda_function.this"  # staging: no X-Ray
    lambda_usd = line(result, function, "Requests") + line(result, function, "Duration")
    # 1M requests × 550 ms at 512 MB x86_64: $0.20 + 275,000 GB-s × $0.0000166667 = $4.78.
    assert lambda_usd == pytest.approx(0.20 + 275_000 * usd(catalog, "lambda.gb_second.x86_64"), abs=0.01)
    assert abs(lambda_usd - 5) < 0.5
    api = line(result, "module.api.aws_api_gateway_rest_api.this", "REST API requests")
    assert api == pytest.approx(1.1 * 3.50) and abs(api - 4) < 0.5
    database = "module.database.aws_db_instance.this"
    rds = line(result, database, "Instance db.t3.micro postgres (Single-AZ)") + line(
        result, database, "gp3 storage"
    )
    assert rds == pytest.approx(730 * 0.018 + 20 * 0.115)  # $13.14 + $2.30
    assert abs(rds - 15) < 0.5
    table = "module.rate_limits.aws_dynamodb_table.this"
    writes = line(result, table, "On-demand write request units")
    reads = line(result, table, "On-demand read request units")
    # The seed's $1 is 0.8M writes at $1.25/M, the on-demand price before the 1 Nov 2024 cut;
    # since then writes cost $0.625/M and reads $0.125/M: $0.50 + $0.10 = $0.60.
    assert writes + reads == pytest.approx(0.60), (
        "seed 001's DynamoDB $1 predates the Nov 2024 on-demand price cut; it is $0.60 now"
    )


def test_seed_000_small_neighborhood(catalog: PriceCatalog) -> None:
    """Seed 000 (nbhd.city) "Small Neighborhood" table: DynamoDB 1M read/writes $1.25, API Gateway
    100K requests $0.35, Route53 1 hosted zone $0.50."""
    result = form_estimate(SPECS["serverless-api"], "dev", "small", catalog)
    dynamodb = line(result, "module.table.aws_dynamodb_table.this", "On-demand write request units")
    # The seed priced the 1M requests as writes at $1.25/M (before the 1 Nov 2024 cut); the
    # same million write units cost $0.625 now.
    assert dynamodb == pytest.approx(usd(catalog, "dynamodb.on_demand.write_request"))
    assert dynamodb == pytest.approx(0.625), "seed 000's $1.25 predates the Nov 2024 DynamoDB price cut"
    api = line(result, "module.api.aws_api_gateway_rest_api.this", "REST API requests")
    assert api == pytest.approx(0.35)
    # The blueprint uses a hosted zone it is given (hosted_zone_id) and creates none, so its
    # $0.50 is not in the estimate; the zone rule itself gives the seed's figure.
    assert not [i for i in result.line_items if i.resource_type == "aws_route53_zone"]
    zone = estimate(
        [Resource(address="aws_route53_zone.main", type="aws_route53_zone")],
        catalog=catalog,
        region=REGION,
        rules=RULES,
        free_types=FREE_TYPES,
    )
    assert zone.total_monthly_usd == pytest.approx(0.50)


# ------------------------------------------------------------------------------------------ form path


def test_when_count_and_several_entries_per_address() -> None:
    entries = [
        {"address": "aws_nat_gateway.this", "type": "aws_nat_gateway", "when": "mode=single", "count": 1},
        {
            "address": "aws_nat_gateway.this",
            "type": "aws_nat_gateway",
            "when": "mode=per_az",
            "count": "zones",
        },
        {"address": "aws_eip.this", "type": "aws_eip", "when": "mode!=single", "count": "names"},
        {
            "address": "aws_lb.this",
            "type": "aws_lb",
            "when": "enable_lb",
            "attributes": {"name": "{lb_name}"},
        },
        {"address": "aws_eks_cluster.this", "type": "aws_eks_cluster", "when": "!enable_lb"},
    ]
    inventory_ = [
        ("aws_nat_gateway.this", "aws_nat_gateway"),
        ("aws_eip.this", "aws_eip"),
        ("aws_lb.this", "aws_lb"),
        ("aws_eks_cluster.this", "aws_eks_cluster"),
        ("aws_iam_role.this", "aws_iam_role"),
    ]

    def addresses(**inputs: Any) -> list[str]:
        return [r.address for r in resources_from_form(entries, inventory_, inputs, {})]

    # A choice field is compared by value (a bare name would always be true); a list field
    # counts its entries; one entry producing one instance keeps the plain address.
    assert addresses(mode="single", zones=3, names=["a", "b"], enable_lb=True, lb_name="x") == [
        "aws_nat_gateway.this",
        "aws_lb.this",
        "aws_iam_role.this",
    ]
    assert addresses(mode="per_az", zones=3, names=["a", "b"], enable_lb=False) == [
        "aws_nat_gateway.this[0]",
        "aws_nat_gateway.this[1]",
        "aws_nat_gateway.this[2]",
        "aws_eip.this[0]",
        "aws_eip.this[1]",
        "aws_eks_cluster.this",
        "aws_iam_role.this",
    ]
    [lb] = [
        r
        for r in resources_from_form(entries, inventory_, {"enable_lb": True, "lb_name": "web"}, {})
        if r.type == "aws_lb"
    ]
    assert lb.attributes == {"name": "web"}
