"""The cost commands: `estimate` (JSON shape, bad input) and `refresh_prices` (against botocore's
Stubber with a recorded Price List response; the network edge is the only fake)."""

from __future__ import annotations

import json
import shutil

import boto3
import pytest
from botocore.stub import Stubber
from django.core.management import CommandError, call_command

from portal.catalog.services import blueprints_sync
from portal.costs.engine.pricelist import PRICE_SPECS, build_filters
from portal.costs.engine.prices import catalog_files, load_catalog
from tests.portal.costs.engine.pricelist.test_importer import recorded_pages


@pytest.fixture
def catalog_blueprints(db):
    blueprints_sync()


def run_json(*args):
    from io import StringIO

    out = StringIO()
    call_command("estimate", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


def test_estimate_json_carries_totals_items_coverage_and_catalog_version(catalog_blueprints):
    data = run_json("lambda-aurora", "--tier", "prod", "--profile", "large", "--region", "eu-west-1")
    assert data["total_monthly_usd"] > 0 and data["price_catalog_version"]
    assert set(data["coverage"]) >= {"priced", "free", "unpriced"} and data["coverage"]["unpriced"] == 0
    item = data["line_items"][0]
    assert set(item) >= {
        "resource_type",
        "resource_address",
        "component",
        "unit",
        "quantity",
        "unit_price_usd",
        "monthly_usd",
        "usage_based",
        "assumption",
    }
    aurora = [i for i in data["line_items"] if i["resource_type"] == "aws_rds_cluster_instance"]
    assert aurora and all(i["price_source"].startswith("https://aws.amazon.com/") for i in aurora)
    more = run_json(
        "lambda-aurora",
        "--tier",
        "prod",
        "--profile",
        "large",
        "--region",
        "eu-west-1",
        "--usage",
        "lambda_requests_per_month=900000000",
    )
    assert more["total_monthly_usd"] > data["total_monthly_usd"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "mars-1"], "Choose one of: us-east-1"),
        (["--set", "lambda_memory_mb=-128"], "at least 128"),
        (["--usage", "lambda_requests_per_month=-5"], "zero or more"),
        (["--usage", "lambda_requests_per_month=1e30"], "beyond any plausible month"),
        (["--usage", "cats=3"], "this blueprint has: aurora"),
        (["--set", "nope=1"], "Unknown input 'nope'"),
    ],
)
def test_estimate_rejects_bad_input_with_a_clear_error(catalog_blueprints, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("estimate", "lambda-aurora", *args)


def test_unknown_blueprint_lists_the_known_ones(catalog_blueprints):
    with pytest.raises(CommandError, match=r"Known: .*local-sandbox"):
        call_command("estimate", "no-such-thing")


def test_refresh_prices_writes_a_new_dated_catalog_from_the_price_list_api(tmp_path, settings, monkeypatch):
    for path in catalog_files():
        shutil.copy(path, tmp_path / path.name)
    settings.PRICE_CATALOG_DIR = str(tmp_path)
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    spec = next(s for s in PRICE_SPECS if s.key == "ec2.instance.t4g.small")
    stubber = Stubber(client)
    stubber.add_response(
        "get_products",
        recorded_pages("ec2_t4g_small_linux_us-east-1.json")[0],
        {
            "ServiceCode": spec.service_code,
            "Filters": build_filters(spec, "us-east-1"),
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        },
    )
    stubber.activate()
    monkeypatch.setattr(
        "portal.costs.management.commands.refresh_prices.boto3.client", lambda *a, **k: client
    )
    call_command(
        "refresh_prices",
        "--only",
        "ec2.instance.t4g.small",
        "--region",
        "us-east-1",
        "--catalog-date",
        "2030-01-01",
    )
    stubber.assert_no_pending_responses()
    written = load_catalog(tmp_path / "aws-2030-01-01.json")
    fresh = written.price("ec2.instance.t4g.small", "us-east-1")
    assert fresh.origin == "price-list-api" and fresh.usd == 0.0168
    assert written.price("lambda.requests", "us-east-1").origin == "carried-over"
    from portal.costs.services import current_catalog

    assert current_catalog().version.isoformat() == "2030-01-01"  # new estimates use the new catalog
