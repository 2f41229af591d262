"""The Price List specifications file (specs.yaml): schema-checked data, expanded into PriceSpecs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from portal.costs.engine.pricelist.specs import MANUAL_KEYS, PRICE_SPECS, SpecsError, load_specs
from portal.costs.engine.prices import UNITS


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "specs.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def minimal() -> dict:
    return {
        "sources": {"lambda": "https://aws.amazon.com/lambda/pricing/"},
        "specs": [
            {"key": "lambda.requests", "service_code": "AWSLambda", "unit": "1M requests", "source": "lambda"}
        ],
        "matrices": [],
        "manual_keys": {"acm.public_certificate": "free"},
    }


def test_the_shipped_file_gives_one_spec_per_key_in_known_units() -> None:
    keys = [spec.key for spec in PRICE_SPECS]
    assert len(keys) == len(set(keys)) == 121
    assert {spec.unit for spec in PRICE_SPECS} <= set(UNITS)
    assert not set(keys) & set(MANUAL_KEYS)
    assert all(spec.source.startswith("https://aws.amazon.com/") for spec in PRICE_SPECS)


def test_matrices_expand_in_order_with_every_placeholder_filled() -> None:
    by_key = {spec.key: spec for spec in PRICE_SPECS}
    ec2 = by_key["ec2.instance.t4g.small"]
    assert ec2.usagetype == "BoxUsage:t4g.small" and ec2.api_units == ("Hrs",)
    assert ec2.filters[:2] == (("instanceType", "t4g.small"), ("operatingSystem", "Linux"))
    multi = by_key["rds.instance.postgres.db.t4g.micro.multi_az"]
    assert multi.usagetype == "Multi-AZUsage:db.t4g.micro"
    assert ("deploymentOption", "Multi-AZ") in multi.filters
    rds = [key for key in by_key if key.startswith("rds.instance.")]
    assert rds[:2] == [
        "rds.instance.postgres.db.t3.micro.single_az",
        "rds.instance.postgres.db.t3.micro.multi_az",
    ]
    assert not [spec for spec in PRICE_SPECS if "{" in repr(spec)]


def test_defaults_apply_to_omitted_fields(tmp_path: Path) -> None:
    specs, manual = load_specs(write(tmp_path, minimal()))
    (spec,) = specs
    assert (spec.pick, spec.scale, spec.verified, spec.region_field, spec.filters) == (
        "flat",
        1.0,
        True,
        "regionCode",
        (),
    )
    assert spec.source == "https://aws.amazon.com/lambda/pricing/"
    assert manual == {"acm.public_certificate": "free"}


def test_schema_problems_are_all_reported(tmp_path: Path) -> None:
    data = minimal()
    data["specs"][0] |= {"pick": "cheapest", "scale": 0, "colour": "red"}
    data["sources"]["bad"] = "http://example.com/"
    with pytest.raises(SpecsError) as caught:
        load_specs(write(tmp_path, data))
    text = str(caught.value)
    assert "'cheapest' is not one of" in text
    assert "0 is less than or equal to the minimum" in text
    assert "'colour' was unexpected" in text
    assert "sources/bad" in text
    assert len(caught.value.problems) == 4


def test_cross_checks_the_schema_cannot_make(tmp_path: Path) -> None:
    data = minimal()
    data["specs"] += [
        {"key": "lambda.requests", "service_code": "AWSLambda", "unit": "1M requests", "source": "lambda"},
        {"key": "lambda.other", "service_code": "AWSLambda", "unit": "1M requests", "source": "nowhere"},
    ]
    data["manual_keys"]["lambda.other"] = "both"
    data["matrices"] = [
        {
            "matrix": {"size": ["a"]},
            "spec": {"key": "x.{colour}", "service_code": "X", "unit": "hour", "source": "lambda"},
        }
    ]
    with pytest.raises(SpecsError) as caught:
        load_specs(write(tmp_path, data))
    assert caught.value.problems == [
        "matrices/0: the spec names a value the matrix lacks ('colour')",
        "lambda.requests: specified twice",
        "lambda.other: unknown source 'nowhere' (known: lambda)",
        "lambda.other: both a spec and a manual key",
    ]
