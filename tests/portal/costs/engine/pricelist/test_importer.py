"""The Price List API adapter, against botocore's Stubber with hand-made recorded responses.

The recorded files in ``recorded/`` are HAND-MADE from the documented GetProducts format (see
recorded/README.md); nothing here touches the network: a guard makes any socket connect fail.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from portal.costs.engine.pricelist import (
    MANUAL_KEYS,
    PRICE_SPECS,
    PriceListError,
    PriceSpec,
    build_filters,
    fetch_entries,
    fetch_report,
    price_products,
    usagetype_matches,
    write_catalog,
)
from portal.costs.engine.prices import load_catalog, parse_catalog

RECORDED = Path(__file__).parent / "recorded"
TODAY = dt.date(2026, 11, 21)
SPECS = {spec.key: spec for spec in PRICE_SPECS}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def pricing_client() -> Any:
    # A real botocore client; the Stubber answers before anything is signed or sent.
    return boto3.client(
        "pricing",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def recorded_pages(name: str) -> list[dict[str, Any]]:
    """The recorded pages with each product serialised to a JSON string, as the API returns them."""
    data = json.loads((RECORDED / name).read_text())
    assert "HAND-MADE" in data["_comment"]
    pages = []
    for page in data["pages"]:
        response = {
            "FormatVersion": page["FormatVersion"],
            "PriceList": [
                json.dumps({k: v for k, v in p.items() if k != "_hypothetical"}) for p in page["PriceList"]
            ],
        }
        if "NextToken" in page:
            response["NextToken"] = page["NextToken"]
        pages.append(response)
    return pages


def stub_pages(stubber: Stubber, spec: PriceSpec, region: str | None, pages: list[dict[str, Any]]) -> None:
    token = None
    for page in pages:
        expected: dict[str, Any] = {
            "ServiceCode": spec.service_code,
            "Filters": build_filters(spec, region),
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        if token:
            expected["NextToken"] = token
        stubber.add_response("get_products", page, expected)
        token = page.get("NextToken")


def test_ec2_t4g_small_request_and_entry(pricing_client: Any) -> None:
    spec = SPECS["ec2.instance.t4g.small"]
    with Stubber(pricing_client) as stubber:
        # The filters are spelled out here, not rebuilt with build_filters: they pin the real
        # Price List attribute names for an EC2 Linux on-demand instance.
        stubber.add_response(
            "get_products",
            recorded_pages("ec2_t4g_small_linux_us-east-1.json")[0],
            {
                "ServiceCode": "AmazonEC2",
                "Filters": [
                    {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
                    {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "t4g.small"},
                    {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"},
                    {"Type": "TERM_MATCH", "Field": "tenancy", "Value": "Shared"},
                    {"Type": "TERM_MATCH", "Field": "preInstalledSw", "Value": "NA"},
                    {"Type": "TERM_MATCH", "Field": "capacitystatus", "Value": "Used"},
                    {"Type": "TERM_MATCH", "Field": "licenseModel", "Value": "No License required"},
                    {"Type": "CONTAINS", "Field": "usagetype", "Value": "BoxUsage:t4g.small"},
                ],
                "FormatVersion": "aws_v1",
                "MaxResults": 100,
            },
        )
        entries = fetch_entries(pricing_client, ["us-east-1"], [spec], template=load_catalog(), today=TODAY)
        stubber.assert_no_pending_responses()

    assert len(entries) == 1
    entry = entries[0]
    assert entry["key"] == "ec2.instance.t4g.small"
    assert entry["region"] == "us-east-1"
    assert entry["unit"] == "hour"
    assert entry["usd"] == 0.0168  # the OnDemand term, not the Reserved one
    assert entry["tiers"] is None
    assert entry["origin"] == "price-list-api"
    assert entry["sku"] == "HANDMADE7T4GSMALL"
    assert entry["source"] == "https://aws.amazon.com/ec2/pricing/on-demand/"
    assert entry["source_date"] == "2025-06-01"  # the term's effectiveDate
    assert entry["service"] == "Amazon EC2"  # descriptions come from the template catalog
    assert "sku HANDMADE7T4GSMALL" in entry["notes"]


def test_dynamodb_on_demand_write_paginates_and_ignores_other_usagetypes(pricing_client: Any) -> None:
    spec = SPECS["dynamodb.on_demand.write_request"]
    with Stubber(pricing_client) as stubber:
        stub_pages(stubber, spec, "us-east-1", recorded_pages("dynamodb_on_demand_wru_us-east-1.json"))
        entries = fetch_entries(pricing_client, ["us-east-1"], [spec], template=load_catalog(), today=TODAY)
        stubber.assert_no_pending_responses()

    assert [(e["key"], e["unit"], e["usd"]) for e in entries] == [
        ("dynamodb.on_demand.write_request", "1M WRU", 0.625)
    ]
    assert entries[0]["source_date"] == "2024-11-01"
    assert "1.25" in entries[0]["notes"]  # the template's note on the old price survives


def test_lambda_requests_and_gb_second_tiers(pricing_client: Any) -> None:
    specs = [SPECS["lambda.requests"], SPECS["lambda.gb_second.x86_64"]]
    with Stubber(pricing_client) as stubber:
        stub_pages(stubber, specs[0], "us-east-1", recorded_pages("lambda_requests_us-east-1.json"))
        stub_pages(stubber, specs[1], "us-east-1", recorded_pages("lambda_duration_x86_us-east-1.json"))
        entries = fetch_entries(pricing_client, ["us-east-1"], specs, template=load_catalog(), today=TODAY)
        stubber.assert_no_pending_responses()

    by_key = {e["key"]: e for e in entries}
    requests = by_key["lambda.requests"]
    assert requests["unit"] == "1M requests"
    assert requests["usd"] == 0.2  # 0.0000002 per request, scaled without float noise
    duration = by_key["lambda.gb_second.x86_64"]
    assert duration["unit"] == "GB-second"
    assert duration["usd"] == 0.0000166667
    assert duration["tiers"] == [
        {"from": 0, "to": 6_000_000_000, "usd": 0.0000166667},
        {"from": 6_000_000_000, "to": 15_000_000_000, "usd": 0.000015},
        {"from": 15_000_000_000, "to": None, "usd": 0.0000133334},
    ]
    # The produced entries form a valid catalog and price like the hand-curated ones.
    catalog = parse_catalog(
        {"catalog_version": "2026-11-21", "currency": "USD", "generated_by": "test", "prices": entries}
    )
    curated = load_catalog()
    for key in by_key:
        assert catalog.price(key, "us-east-1").cost(7e9) == pytest.approx(
            curated.price(key, "us-east-1").cost(7e9)
        )


def test_api_entries_match_the_curated_catalog(pricing_client: Any) -> None:
    """The recorded (us-east-1) figures agree with the hand-curated catalog's."""
    curated = load_catalog()
    cases = [
        ("ec2.instance.t4g.small", "ec2_t4g_small_linux_us-east-1.json"),
        ("dynamodb.on_demand.write_request", "dynamodb_on_demand_wru_us-east-1.json"),
        ("lambda.requests", "lambda_requests_us-east-1.json"),
    ]
    with Stubber(pricing_client) as stubber:
        for key, name in cases:
            stub_pages(stubber, SPECS[key], "us-east-1", recorded_pages(name))
        entries = fetch_entries(pricing_client, ["us-east-1"], [SPECS[k] for k, _ in cases], today=TODAY)
    for entry in entries:
        assert entry["usd"] == curated.price(entry["key"], "us-east-1").usd


def test_global_service_is_queried_once_and_copied_to_each_region(pricing_client: Any) -> None:
    spec = SPECS["route53.health_check"]
    product = {
        "product": {
            "sku": "HANDMADER53HC",
            "productFamily": "DNS Health Check",
            "attributes": {"usagetype": "Health-Check-AWS", "location": "Global"},
        },
        "terms": {
            "OnDemand": {
                "HANDMADER53HC.JRTCKXETXF": {
                    "effectiveDate": "2025-06-01T00:00:00Z",
                    "priceDimensions": {
                        "a": {
                            "unit": "Count",
                            "beginRange": "0",
                            "endRange": "50",
                            "pricePerUnit": {"USD": "0"},
                        },
                        "b": {
                            "unit": "Count",
                            "beginRange": "50",
                            "endRange": "Inf",
                            "pricePerUnit": {"USD": "0.5"},
                        },
                    },
                }
            }
        },
    }
    with Stubber(pricing_client) as stubber:
        stub_pages(stubber, spec, None, [{"FormatVersion": "aws_v1", "PriceList": [json.dumps(product)]}])
        entries = fetch_entries(pricing_client, ["us-east-1", "eu-west-1"], [spec], today=TODAY)
        stubber.assert_no_pending_responses()
    # "paid" drops the free allowance (kept in notes) and quotes the paid rate.
    assert [(e["region"], e["usd"], e["tiers"]) for e in entries] == [
        ("us-east-1", 0.5, None),
        ("eu-west-1", 0.5, None),
    ]


def test_problems_are_reported_not_guessed(pricing_client: Any) -> None:
    spec = SPECS["eks.cluster.hour"]

    def product(sku: str, usd: str) -> str:
        return json.dumps(
            {
                "product": {
                    "sku": sku,
                    "attributes": {"regionCode": "us-west-2", "usagetype": "USW2-AmazonEKS-Hours:perCluster"},
                },
                "terms": {
                    "OnDemand": {
                        f"{sku}.T": {
                            "priceDimensions": {"d": {"unit": "Hours", "pricePerUnit": {"USD": usd}}}
                        }
                    }
                },
            }
        )

    with Stubber(pricing_client) as stubber:
        stub_pages(stubber, spec, "us-east-1", [{"FormatVersion": "aws_v1", "PriceList": []}])
        stub_pages(
            stubber,
            spec,
            "us-west-2",
            [{"FormatVersion": "aws_v1", "PriceList": [product("A", "0.1"), product("B", "0.6")]}],
        )
        result = fetch_report(pricing_client, ["us-east-1", "us-west-2"], [spec], today=TODAY)
        stubber.assert_no_pending_responses()
    assert result.entries == []
    assert any("us-east-1" in p and "no product matched" in p for p in result.problems)
    assert any("us-west-2" in p and "different prices" in p for p in result.problems)


def test_api_unit_guard_catches_a_wrong_scale() -> None:
    spec = SPECS["ec2.instance.t4g.small"]
    doc = json.loads(recorded_pages("ec2_t4g_small_linux_us-east-1.json")[0]["PriceList"][0])
    dim = next(iter(next(iter(doc["terms"]["OnDemand"].values()))["priceDimensions"].values()))
    dim["unit"] = "Quantity"
    with pytest.raises(PriceListError, match="priced per 'Quantity'"):
        price_products(spec, "us-east-1", [doc])


@pytest.mark.parametrize(
    ("usagetype", "wanted", "exact", "matches"),
    [
        ("BoxUsage:t4g.small", "BoxUsage:t4g.small", False, True),
        ("USW2-BoxUsage:t4g.small", "BoxUsage:t4g.small", False, True),
        ("EU-Aurora:ServerlessV2Usage", "Aurora:ServerlessV2Usage", False, True),
        ("us-east-1-KMS-Keys", "KMS-Keys", False, True),
        ("USE1-Fargate-ARM-vCPU-Hours:perCPU", "Fargate-vCPU-Hours:perCPU", False, False),
        ("IA-WriteRequestUnits", "WriteRequestUnits", False, False),
        ("USE1-Aurora:ServerlessV2IOOptimizedUsage", "Aurora:ServerlessV2Usage", False, False),
        ("EU-Requests-Tier2-HTTPS", "US-Requests-Tier2-HTTPS", True, False),
        ("US-Requests-Tier2-HTTPS", "Requests-Tier2-HTTPS", True, False),
    ],
)
def test_usagetype_matching(usagetype: str, wanted: str, exact: bool, matches: bool) -> None:
    assert usagetype_matches(usagetype, wanted, exact=exact) is matches


def test_specs_cover_the_catalog() -> None:
    catalog = load_catalog()
    spec_keys = set(SPECS)
    assert len(spec_keys) == len(PRICE_SPECS), "duplicate spec keys"
    assert not spec_keys & set(MANUAL_KEYS)
    assert set(catalog.keys()) == spec_keys | set(MANUAL_KEYS)
    for spec in PRICE_SPECS:
        assert spec.unit == catalog.price(spec.key, "us-east-1").unit, spec.key
        assert spec.source == catalog.price(spec.key, "us-east-1").source, spec.key


def test_write_catalog_keeps_what_the_api_did_not_return(tmp_path: Path) -> None:
    previous = load_catalog()
    (tmp_path / previous.path.name).write_text(previous.path.read_text())  # type: ignore[union-attr]
    api_entry = {
        **previous.price("ec2.instance.t4g.small", "us-east-1").to_dict(),
        "usd": 0.0170,
        "origin": "price-list-api",
        "sku": "SKU1",
        "source_date": "2026-12-01",
    }
    path = write_catalog([api_entry], tmp_path, "2026-12-01")
    assert path.name == "aws-2026-12-01.json"

    fresh = load_catalog(path)
    assert fresh.version == dt.date(2026, 12, 1)
    assert len(fresh) == len(previous)
    updated = fresh.price("ec2.instance.t4g.small", "us-east-1")
    assert (updated.usd, updated.origin, updated.sku) == (0.0170, "price-list-api", "SKU1")
    carried = fresh.price("lambda.requests", "eu-west-1")
    assert carried.origin == "carried-over"
    assert carried.usd == previous.price("lambda.requests", "eu-west-1").usd
    assert carried.source_date == previous.price("lambda.requests", "eu-west-1").source_date
    assert f"carried over from catalog {previous.version}" in carried.notes
    # load_catalog() on that directory would now pick the new file; the old one is untouched.
    assert (tmp_path / previous.path.name).read_text() == previous.path.read_text()  # type: ignore[union-attr]

    with pytest.raises(FileExistsError):
        write_catalog([api_entry], tmp_path, "2026-12-01")

    # A second refresh does not stack "carried over" notes.
    third = load_catalog(write_catalog([], tmp_path, dt.date(2027, 1, 1)))
    assert third.price("lambda.requests", "eu-west-1").notes.count("Not returned by the Price List API") == 1


def test_write_catalog_refuses_invalid_entries(tmp_path: Path) -> None:
    bad = {**load_catalog().price("lambda.requests", "us-east-1").to_dict(), "usd": -1}
    with pytest.raises(ValueError, match="non-negative"):
        write_catalog([bad], tmp_path, "2026-12-01", previous=None)
    assert not list(tmp_path.iterdir())


def test_every_spec_builds_a_request_botocore_accepts(pricing_client: Any) -> None:
    """All specs go through botocore's parameter validation; an empty answer is a problem, not a crash."""
    regions = ["us-east-1", "eu-west-1"]
    calls = 0
    with Stubber(pricing_client) as stubber:
        for spec in PRICE_SPECS:
            for region in [None] if spec.global_service else regions:
                stub_pages(stubber, spec, region, [{"FormatVersion": "aws_v1", "PriceList": []}])
                calls += 1
        result = fetch_report(pricing_client, regions, today=TODAY)
        stubber.assert_no_pending_responses()
    assert result.entries == []
    assert len(result.problems) == calls
    for spec in PRICE_SPECS:
        filters = build_filters(spec, "us-east-1")
        types = {f["Type"] for f in filters}
        assert types <= {"TERM_MATCH", "CONTAINS", "EQUALS"}
        if not spec.global_service:
            assert filters[0] == {"Type": "TERM_MATCH", "Field": spec.region_field, "Value": "us-east-1"}
