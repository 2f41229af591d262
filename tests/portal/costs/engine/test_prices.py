"""The price catalog: the shipped data file, validation, lookups and tier arithmetic."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from portal.costs.engine.prices import (
    PRICES_DIR,
    CatalogError,
    UnknownPrice,
    load_catalog,
    parse_catalog,
    validate_catalog_data,
)

REPO = Path(__file__).resolve().parents[4]
REQUIRED_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")

# Every key the catalog issue asks for by name.
REQUIRED_KEYS = (
    "lambda.requests",
    "lambda.gb_second.x86_64",
    "lambda.gb_second.arm64",
    "ec2.instance.t4g.small",
    "rds.instance.postgres.db.t4g.micro.single_az",
    "rds.instance.postgres.db.t4g.micro.multi_az",
    "rds.storage.gp3.single_az",
    "rds.backup_storage",
    "aurora.serverless_v2.acu_hour",
    "aurora.storage",
    "aurora.io",
    "ebs.gp3.storage",
    "ebs.gp3.iops",
    "ebs.gp3.throughput",
    "ebs.snapshot",
    "ec2.public_ipv4",
    "vpc.nat_gateway.hour",
    "vpc.nat_gateway.gb",
    "vpc.interface_endpoint.hour",
    "vpc.interface_endpoint.gb",
    "elb.alb.hour",
    "elb.alb.lcu_hour",
    "eks.cluster.hour",
    "eks.cluster.hour.extended",
    "fargate.vcpu_hour.x86_64",
    "fargate.vcpu_hour.arm64",
    "fargate.gb_hour.x86_64",
    "fargate.gb_hour.arm64",
    "dynamodb.on_demand.write_request",
    "dynamodb.on_demand.read_request",
    "dynamodb.provisioned.wcu_hour",
    "dynamodb.provisioned.rcu_hour",
    "dynamodb.storage",
    "dynamodb.pitr",
    "dynamodb.backup",
    "apigateway.rest.requests",
    "apigateway.http.requests",
    "s3.standard.storage",
    "s3.requests.put",
    "s3.requests.get",
    "cloudfront.data_transfer_out",
    "cloudfront.requests.https",
    "route53.hosted_zone",
    "route53.queries",
    "route53.health_check",
    "secretsmanager.secret",
    "secretsmanager.api_calls",
    "cloudwatch.logs.ingest",
    "cloudwatch.logs.storage",
    "cloudwatch.alarm.standard",
    "cloudwatch.dashboard",
    "cloudwatch.metrics.custom",
    "sqs.standard.requests",
    "kms.key",
    "kms.requests",
    "waf.web_acl",
    "waf.rule",
    "waf.requests",
    "cloudtrail.management_events",
    "cloudtrail.data_events",
    "sns.requests",
    "sns.email",
    "xray.traces_recorded",
    "xray.traces_retrieved",
    "data_transfer.out_to_internet",
    "ecr.storage",
    "ssm.parameter.standard",
    # Other things the blueprints' resources bill for (or explicitly do not).
    "acm.public_certificate",
    "budgets.budget",
    "eventbridge.scheduler.invocations",
    "cloudwatch.logs.vended_ingest",
    "s3.glacier_ir.storage",
    "s3.standard_ia.storage",
    "data_transfer.inter_region",
    "vpc.gateway_endpoint",
    "dynamodb.export_s3",
)


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog()


# ------------------------------------------------------------------------------------ the shipped file


def test_default_catalog_is_the_newest_file(catalog: Any) -> None:
    files = sorted(PRICES_DIR.glob("aws-*.json"))
    assert catalog.path == files[-1]
    assert files[-1].name == f"aws-{catalog.version.isoformat()}.json"
    assert catalog.currency == "USD"


@pytest.mark.parametrize("region", REQUIRED_REGIONS)
@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_required_key_exists(catalog: Any, key: str, region: str) -> None:
    entry = catalog.price(key, region)
    assert entry.key == key and entry.region == region


def test_every_region_prices_the_same_keys(catalog: Any) -> None:
    keys = {region: {e.key for e in catalog.for_region(region)} for region in catalog.regions()}
    assert set(keys) == set(REQUIRED_REGIONS)
    assert keys["us-east-1"] == keys["us-west-2"] == keys["eu-west-1"]


def test_every_entry_has_a_source_and_a_plausible_date(catalog: Any) -> None:
    for entry in catalog:
        assert re.match(r"^https://aws\.amazon\.com/[a-z0-9/-]+/$", entry.source), entry.key
        assert dt.date(2024, 1, 1) <= entry.source_date <= catalog.version, entry.key


def _blueprint_choices(field: str) -> set[str]:
    """Every value a blueprint offers for ``field``: its choices, its default, and tier defaults."""
    found: set[str] = set()
    for path in (REPO / "terraform" / "blueprints").glob("*/blueprint.yaml"):
        data = yaml.safe_load(path.read_text())
        for item in data.get("fields", []):
            if item.get("name") == field:
                found.update(str(c) for c in item.get("choices", []))
                if item.get("default"):
                    found.add(str(item["default"]))
        for tier in (data.get("tiers") or {}).values():
            value = (tier.get("defaults") or {}).get(field)
            if value:
                found.add(str(value))
    return found


def test_every_instance_choice_in_the_blueprints_has_a_price(catalog: Any) -> None:
    ec2 = _blueprint_choices("instance_type")
    rds = _blueprint_choices("db_instance_class")
    assert {"t4g.small", "m7g.xlarge"} <= ec2
    assert {"db.t3.micro", "db.r7g.xlarge"} <= rds
    for region in REQUIRED_REGIONS:
        for itype in ec2:
            catalog.price(f"ec2.instance.{itype}", region)
        for cls in rds:
            single = catalog.price(f"rds.instance.postgres.{cls}.single_az", region)
            multi = catalog.price(f"rds.instance.postgres.{cls}.multi_az", region)
            assert multi.usd == pytest.approx(2 * single.usd)


def test_dynamodb_on_demand_reflects_the_november_2024_cut(catalog: Any) -> None:
    write = catalog.price("dynamodb.on_demand.write_request", "us-east-1")
    read = catalog.price("dynamodb.on_demand.read_request", "us-east-1")
    assert (write.unit, write.usd) == ("1M WRU", 0.625)
    assert (read.unit, read.usd) == ("1M RRU", 0.125)
    assert "1.25" in write.notes and "0.25" in read.notes
    assert write.cost_of(800_000) == pytest.approx(0.50)


@pytest.mark.parametrize("region", REQUIRED_REGIONS)
def test_public_ipv4_is_half_a_cent_an_hour(catalog: Any, region: str) -> None:
    entry = catalog.price("ec2.public_ipv4", region)
    assert (entry.unit, entry.usd) == ("hour", 0.005)
    assert entry.cost(730) == pytest.approx(3.65)


@pytest.mark.parametrize(
    ("gb", "usd"),
    [
        (0, 0.0),
        (100, 2.30),
        (51_200, 1_177.60),  # exactly the first 50 TB
        (60_000, 1_177.60 + 8_800 * 0.022),
        (600_000, 1_177.60 + 460_800 * 0.022 + 88_000 * 0.021),
    ],
)
def test_s3_standard_storage_tiers(catalog: Any, gb: float, usd: float) -> None:
    assert catalog.price("s3.standard.storage", "us-east-1").cost(gb) == pytest.approx(usd)


def test_lambda_and_unit_conversion(catalog: Any) -> None:
    requests = catalog.price("lambda.requests", "us-east-1")
    assert requests.unit_size == 1_000_000
    assert requests.cost_of(2_500_000) == pytest.approx(0.50)
    gb_s = catalog.price("lambda.gb_second.x86_64", "us-east-1")
    # 8B GB-seconds: 6B at the first tier, 2B at the second.
    assert gb_s.cost(8e9) == pytest.approx(6e9 * 0.0000166667 + 2e9 * 0.000015)
    with pytest.raises(ValueError, match="non-negative"):
        gb_s.cost(-1)


def test_seed_figures_are_reproduced(catalog: Any) -> None:
    """Old prices quoted by the seeds that are still current."""
    region = "us-east-1"
    assert 0.5 * 730 * catalog.price("aurora.serverless_v2.acu_hour", region).usd == pytest.approx(43.80)
    assert 730 * catalog.price("vpc.nat_gateway.hour", region).usd == pytest.approx(32.85)  # "NAT: $32"
    assert 730 * catalog.price("elb.alb.hour", region).usd == pytest.approx(16.425)  # "ALB: $16"
    assert catalog.price("secretsmanager.secret", region).usd == 0.40
    assert catalog.price("apigateway.rest.requests", region).usd == 3.50  # "saves ~$3.50/M requests"
    assert catalog.price("route53.hosted_zone", region).cost(1) == 0.50


def test_unknown_price_names_close_matches(catalog: Any) -> None:
    with pytest.raises(UnknownPrice, match=r"close matches: .*lambda\.gb_second\.x86_64") as info:
        catalog.price("lambda.gb_second.x86", "us-east-1")
    assert "lambda.gb_second.x86_64" in info.value.suggestions
    with pytest.raises(UnknownPrice, match="exists only for regions: eu-west-1, us-east-1, us-west-2"):
        catalog.price("lambda.requests", "ap-south-1")
    with pytest.raises(UnknownPrice, match=r"ec2\.instance"):
        catalog.price("ec2.instance.x9z.huge", "us-east-1")
    assert isinstance(UnknownPrice("a.b", "r", suggestions=[], regions=[]), LookupError)


# ------------------------------------------------------------------------------------ validation

GOOD_ENTRY: dict[str, Any] = {
    "key": "s3.standard.storage",
    "service": "Amazon S3",
    "description": "S3 Standard storage",
    "region": "us-east-1",
    "unit": "GB-month",
    "usd": 0.023,
    "tiers": [
        {"from": 0, "to": 51200, "usd": 0.023},
        {"from": 51200, "to": 512000, "usd": 0.022},
        {"from": 512000, "to": None, "usd": 0.021},
    ],
    "source": "https://aws.amazon.com/s3/pricing/",
    "source_date": "2025-06-01",
    "notes": "",
}


def _doc(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "catalog_version": "2026-11-21",
        "currency": "USD",
        "generated_by": "test",
        "prices": list(entries) or [copy.deepcopy(GOOD_ENTRY)],
    }


def test_good_document_is_valid() -> None:
    assert validate_catalog_data(_doc()) == []
    flat = {**copy.deepcopy(GOOD_ENTRY), "tiers": None, "origin": "price-list-api", "sku": "ABC"}
    assert validate_catalog_data(_doc(flat)) == []


def _set(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(entry: dict[str, Any]) -> None:
        entry[field] = value

    return mutate


def _tiers(*bands: tuple[Any, Any, Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(entry: dict[str, Any]) -> None:
        entry["tiers"] = [{"from": a, "to": b, "usd": c} for a, b, c in bands]
        entry["usd"] = bands[0][2]

    return mutate


def _drop(field: str) -> Callable[[dict[str, Any]], None]:
    def mutate(entry: dict[str, Any]) -> None:
        del entry[field]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_drop("source"), "missing field 'source'"),
        (_drop("unit"), "missing field 'unit'"),
        (_set("usd", "0.023"), "field 'usd' has the wrong type"),
        (_set("usd", True), "field 'usd' has the wrong type"),
        (_set("tiers", {"from": 0}), "field 'tiers' has the wrong type"),
        (_set("unit", "GB-months"), "unknown unit 'GB-months'"),
        (_set("usd", -0.01), "usd must be a non-negative number"),
        (_set("region", "US East"), "is not a region code"),
        (_set("key", "S3 Standard"), "key must be dotted lowercase words"),
        (_set("key", "s3"), "key must be dotted lowercase words"),
        (_set("source", ""), "source is empty"),
        (_set("source", "http://example.com/prices"), "is not an AWS https URL"),
        (_set("source_date", "June 2025"), "is not a YYYY-MM-DD date"),
        (_set("source_date", "2025-02-30"), "is not a YYYY-MM-DD date"),
        (_set("origin", "scraped"), "origin must be one of"),
        (_set("colour", "blue"), "unknown field(s) colour"),
        (_set("description", " "), "must not be empty"),
        (_set("tiers", []), "tiers is an empty list"),
        (_tiers((0, 100, 0.02), (100, None, -0.01)), "tier 1: usd must be a non-negative number"),
        (_tiers((10, 100, 0.02), (100, None, 0.01)), "first tier must start at 0"),
        (_tiers((0, 100, 0.02), (150, None, 0.01)), "starts at 150, previous ends at 100"),
        (_tiers((0, 100, 0.02), (50, None, 0.01)), "starts at 50, previous ends at 100"),
        (_tiers((0, 0, 0.02), (0, None, 0.01)), "to (0) must be greater than from (0)"),
        (_tiers((0, 100, 0.02), (100, 200, 0.01)), "last tier must be open-ended"),
        (_tiers((0, None, 0.02), (100, None, 0.01)), "follows an open-ended tier"),
        (_set("usd", 0.5), "must equal the first tier's usd"),
    ],
)
def test_validation_catches_bad_entries(mutate: Callable[[dict[str, Any]], None], message: str) -> None:
    entry = copy.deepcopy(GOOD_ENTRY)
    mutate(entry)
    problems = validate_catalog_data(_doc(entry))
    assert any(message in p for p in problems), problems
    with pytest.raises(CatalogError) as info:
        parse_catalog(_doc(entry))
    assert info.value.problems == problems


def test_validation_catches_duplicates_and_reports_all_problems() -> None:
    second = {**copy.deepcopy(GOOD_ENTRY), "usd": -1, "tiers": None, "unit": "parsec"}
    problems = validate_catalog_data(_doc(copy.deepcopy(GOOD_ENTRY), second))
    assert any("duplicate (s3.standard.storage, us-east-1)" in p for p in problems)
    assert any("unknown unit 'parsec'" in p for p in problems)
    assert any("usd must be a non-negative number" in p for p in problems)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"currency": "EUR"}, "currency must be USD"),
        ({"catalog_version": "latest"}, "catalog_version 'latest'"),
        ({"prices": {}}, "prices must be a list"),
        ({"extra": 1}, "unknown top-level field(s) extra"),
    ],
)
def test_validation_catches_bad_documents(change: dict[str, Any], message: str) -> None:
    assert any(message in p for p in validate_catalog_data({**_doc(), **change}))
    assert validate_catalog_data([]) == ["catalog must be a JSON object"]


def test_load_catalog_rejects_broken_files(tmp_path: Path) -> None:
    broken = tmp_path / "aws-2026-01-01.json"
    broken.write_text("{not json")
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_catalog(broken)
    mismatched = tmp_path / "aws-2026-01-02.json"
    mismatched.write_text(json.dumps(_doc()))
    with pytest.raises(CatalogError, match="differs from catalog_version"):
        load_catalog(mismatched)
    good = tmp_path / "aws-2026-11-21.json"
    good.write_text(json.dumps(_doc()))
    assert len(load_catalog(good)) == 1
    assert load_catalog(str(good)).price("s3.standard.storage", "us-east-1").cost(100) == pytest.approx(2.3)


def test_round_trip_through_to_dict(catalog: Any) -> None:
    again = parse_catalog(json.loads(json.dumps(catalog.to_dict())))
    assert again.entries == catalog.entries
