"""Pricing rules for storage: S3 buckets."""

from __future__ import annotations

from portal.costs.engine.prices import PriceCatalog
from tests.portal.costs.engine.rules.helpers import (
    approx,
    component,
    price,
    usd,
)


def test_s3_storage_classes_and_requests(catalog: PriceCatalog) -> None:
    usage = {"storage_gb": 100, "standard_ia_gb": 50, "put_requests": 10_000, "get_requests": 100_000}
    result = price(catalog, "aws_s3_bucket", {}, usage)
    assert component(result, "Standard storage") == approx(100 * usd(catalog, "s3.standard.storage"))
    assert component(result, "Standard-IA storage") == approx(50 * usd(catalog, "s3.standard_ia.storage"))
    assert component(result, "PUT/COPY/POST/LIST requests") == approx(10 * usd(catalog, "s3.requests.put"))
    assert component(result, "GET requests") == approx(100 * usd(catalog, "s3.requests.get"))
    replication = price(catalog, "aws_s3_bucket_replication_configuration", {}, {"replicated_gb": 200})
    assert replication.total_monthly_usd == approx(200 * usd(catalog, "data_transfer.inter_region"))
